"""Bad input raises the exception Python expects, names the problem, and
changes no state."""

import math

import ml_dtypes
import numpy as np
import pytest

from exact_neuron import ExactNeuron


def neuron():
    return ExactNeuron((3, 4), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=2)


def stepped():
    """A neuron with a known, mixed state."""
    n = neuron()
    n(np.arange(-12, 12, dtype=np.float32).reshape(2, 3, 4))
    return n


def state(n):
    return (n.spike.copy(), n.voltage_as("float64").copy(), n.batchsz, n.dt, repr(n))


def assert_same_state(before, n):
    after = state(n)
    assert np.array_equal(before[0], after[0])
    assert np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(shape=(3, 0)), "'shape[1]' of 0 must be positive"),
        (dict(shape=(-2, 4)), "'shape[0]' of -2 must be positive"),
        (dict(shape=0), "'shape[0]' of 0 must be positive"),
        (dict(batch_size=0), "'batch_size' of 0 must be positive"),
        (dict(batch_size=-3), "'batch_size' of -3 must be positive"),
        (dict(step_time=0.0), "'step_time' of 0.0 must be positive"),
        (dict(step_time=-1e-05), "'step_time' of -1e-05 must be positive"),
        (dict(step_time=math.nan), "'step_time' of nan must be positive"),
        (dict(rest_v=-50.0), "'rest_v' (-50.0) must be less than 'thresh_v' (-50.0)"),
        (dict(rest_v=0.0, thresh_v=-0.0), "'rest_v' (0.0) must be less than 'thresh_v' (-0.0)"),
        (dict(thresh_v=math.nan), "'rest_v' (-60.0) must be less than 'thresh_v' (nan)"),
        # inferno's order: the shape before the batch size before the step
        (dict(shape=(0,), batch_size=0, step_time=0.0), "'shape[0]' of 0 must be positive"),
        (dict(batch_size=0, step_time=0.0), "'batch_size' of 0 must be positive"),
    ],
)
def test_bad_parameters_raise_inferno_s_value_error(kwargs, message):
    args = dict(shape=(3, 4), step_time=1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=2)
    args.update(kwargs)
    with pytest.raises(ValueError) as raised:
        ExactNeuron(
            args["shape"],
            args["step_time"],
            rest_v=args["rest_v"],
            thresh_v=args["thresh_v"],
            batch_size=args["batch_size"],
        )
    assert str(raised.value) == message


def test_parameters_of_the_wrong_kind_raise_type_error():
    with pytest.raises(TypeError, match="shape"):
        ExactNeuron((3, 4.5), 1.0, rest_v=-60.0, thresh_v=-50.0)
    with pytest.raises(TypeError, match="batch_size"):
        ExactNeuron((3,), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=2.0)
    with pytest.raises(TypeError):
        ExactNeuron((3,), None, rest_v=-60.0, thresh_v=-50.0)
    # inferno converts with float(): "fast" is float's ValueError, "-inf" a number
    with pytest.raises(ValueError):
        ExactNeuron((3,), "fast", rest_v=-60.0, thresh_v=-50.0)
    assert ExactNeuron((3,), 1.0, rest_v="-inf", thresh_v=-50.0).voltage_as("float64")[0, 0] == -np.inf
    with pytest.raises(TypeError):
        ExactNeuron((3,), 1.0, -60.0, -50.0)  # rest_v and thresh_v are keywords, as in inferno


def test_f32_overflowing_voltage_is_a_value_error_when_read_in_f32():
    n = ExactNeuron((2,), 1.0, rest_v=-1e300, thresh_v=1e300)
    assert n.voltage_as("float64")[0, 0] == -1e300
    with pytest.raises(ValueError, match="rest_v"):
        n.voltage


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "cuda:-1", "gpu"])
def test_an_unknown_device_is_a_value_error_naming_it(device):
    with pytest.raises(ValueError, match=repr(device)):
        ExactNeuron((3,), 1.0, rest_v=-60.0, thresh_v=-50.0, device=device)


def test_a_device_that_is_not_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="device"):
        ExactNeuron((3,), 1.0, rest_v=-60.0, thresh_v=-50.0, device=0)


def test_a_missing_cuda_device_is_a_value_error():
    with pytest.raises(ValueError, match="cuda:99"):
        ExactNeuron((3,), 1.0, rest_v=-60.0, thresh_v=-50.0, device="cuda:99")


@pytest.mark.parametrize("shape", [(3, 4), (2, 12), (24,), (2, 4, 3), (1, 2, 3, 4)])
def test_inputs_of_another_shape_are_a_value_error_naming_both(shape):
    n = stepped()
    before = state(n)
    with pytest.raises(ValueError) as raised:
        n(np.ones(shape, np.float32))
    assert str(shape) in str(raised.value) and "(2, 3, 4)" in str(raised.value)
    assert_same_state(before, n)


@pytest.mark.parametrize("shape", [(23,), (25,), (2, 3, 5), (0,)])
def test_an_override_of_another_length_is_a_value_error_naming_both(shape):
    n = stepped()
    before = state(n)
    with pytest.raises(ValueError) as raised:
        n(None, override=np.ones(shape, np.bool_))
    assert str(shape) in str(raised.value) and "(2, 3, 4)" in str(raised.value)
    assert_same_state(before, n)


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint16, np.complex64, np.bool_, np.uint8])
def test_inputs_of_an_unsupported_dtype_are_a_type_error_naming_it(dtype):
    n = stepped()
    before = state(n)
    with pytest.raises(TypeError, match=np.dtype(dtype).name):
        n(np.ones((2, 3, 4), dtype))
    assert_same_state(before, n)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.complex128, np.float128 if hasattr(np, "float128") else np.int16])
def test_an_override_of_an_unsupported_dtype_is_a_type_error_naming_it(dtype):
    n = stepped()
    before = state(n)
    with pytest.raises(TypeError, match=np.dtype(dtype).name):
        n(None, override=np.ones(24, dtype))
    assert_same_state(before, n)


@pytest.mark.parametrize("values", [[1.0] * 24, 1.0, "spikes", {"a": 1}])
def test_values_that_are_not_arrays_are_a_type_error_naming_their_kind(values):
    n = stepped()
    before = state(n)
    with pytest.raises(TypeError, match=type(values).__name__):
        n(values)
    with pytest.raises(TypeError, match=type(values).__name__):
        n(None, override=values)
    assert_same_state(before, n)


def test_an_override_with_bytes_that_are_not_bools_is_a_value_error():
    n = stepped()
    before = state(n)
    with pytest.raises(ValueError, match="bool"):
        n(None, override=np.full(24, 2, np.uint8).view(np.bool_))
    assert_same_state(before, n)


@pytest.mark.parametrize("dtype", [np.int32, "int8", "bool", np.bool_, "float8", None, 3])
def test_a_view_of_an_unsupported_dtype_is_a_type_error_naming_it(dtype):
    n = stepped()
    with pytest.raises(TypeError, match="unsupported voltage dtype"):
        n.voltage_as(dtype)
    with pytest.raises(TypeError, match="unsupported voltage dtype"):
        n.refrac_as(dtype)


@pytest.mark.parametrize("value, message", [(0, "'dt' of 0.0 must be positive"), (-2.5, "'dt' of -2.5 must be positive"), (math.nan, "'dt' of nan must be positive")])
def test_a_bad_dt_is_inferno_s_value_error_and_changes_nothing(value, message):
    n = stepped()
    before = state(n)
    with pytest.raises(ValueError) as raised:
        n.dt = value
    assert str(raised.value) == message
    assert_same_state(before, n)


@pytest.mark.parametrize("value", [0, -1])
def test_a_bad_batch_size_is_a_value_error_and_changes_nothing(value):
    n = stepped()
    before = state(n)
    with pytest.raises(ValueError, match=f"of {value} must be positive"):
        n.batchsz = value
    with pytest.raises(TypeError):
        n.batchsz = 2.0
    assert_same_state(before, n)


def test_a_huge_batch_size_is_an_error_not_a_crash():
    n = stepped()
    before = state(n)
    with pytest.raises((ValueError, MemoryError, OverflowError)):
        n.batchsz = 2**62
    assert_same_state(before, n)


def test_bfloat16_inputs_need_no_conversion():
    n = neuron()
    x = np.linspace(-1, 1, 24).astype(ml_dtypes.bfloat16).reshape(2, 3, 4)
    assert np.array_equal(n(x), x > 0)
