"""inferno's interface: construction, properties, setters, clear, repr."""

import threading

import numpy as np
import pytest

import exact_neuron
from exact_neuron import ExactNeuron


def test_repr_and_properties_are_inferno_s():
    n = ExactNeuron((8, 2), 2.0, rest_v=-60.0, thresh_v=-50.0, batch_size=8)
    assert repr(n) == "ExactNeuron(shape=(8, 2), batchsz=8, dt=2.0)"
    assert n.shape == (8, 2) and n.count == 16 and n.batchsz == 8
    assert n.batchedshape == (8, 8, 2) and n.dt == 2.0 and n.device == "cpu"
    one = ExactNeuron([5], 1e-05, rest_v=0.0, thresh_v=1.0)
    assert repr(one) == "ExactNeuron(shape=(5,), batchsz=1, dt=1e-05)"
    scalar = ExactNeuron((), 0.5, rest_v=0.0, thresh_v=1.0, batch_size=3)
    assert repr(scalar) == "ExactNeuron(shape=(), batchsz=3, dt=0.5)"
    assert scalar.count == 1 and scalar.batchedshape == (3,)
    assert ExactNeuron(4, 1.0, rest_v=0.0, thresh_v=1.0).shape == (4,)


def test_a_new_neuron_is_at_rest():
    n = ExactNeuron((3,), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=2)
    assert n.spike.dtype == np.bool_ and not n.spike.any()
    assert n.voltage.dtype == np.float32 and (n.voltage == -60.0).all()
    assert n.refrac.dtype == np.float32 and (n.refrac == 0).all()


def test_forward_returns_the_spikes_and_call_is_forward():
    n = ExactNeuron((2, 2), 1.0, rest_v=-60.0, thresh_v=-50.0)
    x = np.array([[[1.0, -1.0], [0.0, np.inf]]], np.float32)
    out = n.forward(x)
    assert np.array_equal(out, [[[True, False], [False, True]]])
    assert np.array_equal(n.spike, out)
    assert np.array_equal(n(-x), [[[False, True], [False, False]]])
    # keywords inferno passes along are accepted and ignored
    assert np.array_equal(n(x, refrac_lock=False), out)


def test_in_override_mode_the_inputs_are_ignored():
    n = ExactNeuron((3,), 1.0, rest_v=-60.0, thresh_v=-50.0)
    spikes = n(np.ones((1, 3), np.float32), override=np.array([0, 1, 0], np.uint8))
    assert np.array_equal(spikes, [[False, True, False]])
    assert np.array_equal(n("not even an array", override=np.array([1.0, 0.0, -0.0])), [[True, False, False]])


def test_clear_sets_every_spike_to_rest():
    n = ExactNeuron((4,), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=2)
    n(None, override=np.ones(8, np.bool_))
    assert n.spike.all()
    n.clear()
    assert not n.spike.any() and (n.voltage == -60.0).all()
    n.clear(some_inferno_keyword=True)


def test_dt_is_settable():
    n = ExactNeuron((4,), 1.0, rest_v=-60.0, thresh_v=-50.0)
    n.dt = 0.25
    assert n.dt == 0.25 and repr(n) == "ExactNeuron(shape=(4,), batchsz=1, dt=0.25)"
    n.dt = np.float32(3)
    assert n.dt == 3.0


def test_setting_batchsz_resizes_and_clears_at_once():
    n = ExactNeuron((4,), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=2)
    n(None, override=np.ones(8, np.bool_))
    n.batchsz = 3
    assert n.batchsz == 3 and n.batchedshape == (3, 4)
    assert n.spike.shape == (3, 4) and not n.spike.any()
    assert n.voltage.shape == (3, 4)
    n(None, override=np.ones(12, np.bool_))
    n.batchsz = 3  # clears even when unchanged
    assert not n.spike.any()


def test_views_in_every_float_type():
    import ml_dtypes

    n = ExactNeuron((2,), 1.0, rest_v=-60.1, thresh_v=-50.1)
    n(np.array([[1.0, -1.0]]))
    for spelling, dtype in [
        ("float16", np.float16),
        (np.float16, np.float16),
        ("bfloat16", ml_dtypes.bfloat16),
        (ml_dtypes.bfloat16, ml_dtypes.bfloat16),
        ("float32", np.float32),
        (np.dtype("float32"), np.float32),
        ("float64", np.float64),
        (np.float64, np.float64),
    ]:
        voltage = n.voltage_as(spelling)
        assert voltage.dtype == np.dtype(dtype)
        assert voltage.tolist() == [[dtype(np.float32(-50.1)) if dtype != np.float64 else -50.1,
                                     dtype(np.float32(-60.1)) if dtype != np.float64 else -60.1]]
        assert n.refrac_as(spelling).dtype == np.dtype(dtype)


def test_outputs_are_arrays_the_caller_owns():
    # On the CPU an output is a copy: the next step does not change it.
    n = ExactNeuron((3,), 1.0, rest_v=-60.0, thresh_v=-50.0)
    first = n(np.ones((1, 3)))
    voltage = n.voltage
    n(-np.ones((1, 3)))
    assert first.all() and (voltage == -50.0).all()
    assert not n.spike.any()


def test_neurons_step_in_parallel_threads():
    # Each step releases the GIL; neurons in threads stay independent.
    results = {}

    def run(index):
        n = ExactNeuron((256, 256), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=4)
        x = np.full(n.batchedshape, 1.0 if index % 2 else -1.0, np.float32)
        for _ in range(20):
            spikes = n(x)
        results[index] = bool(spikes.all()) if index % 2 else not spikes.any()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {0: True, 1: True, 2: True, 3: True}


def test_the_module_says_how_many_cuda_devices_there_are():
    assert exact_neuron.cuda_device_count() >= 0


def test_exports():
    assert exact_neuron.__all__ == ["ExactNeuron", "cuda_device_count"]
    with pytest.raises(TypeError):
        ExactNeuron((3,), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=1, extra=1)
