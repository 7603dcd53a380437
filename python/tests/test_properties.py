"""The neuron against numpy's own expressions of inferno's rule, on fresh
random data (edge values included): ``spike == (x > 0)``, override
``spike == (v != 0)``, ``voltage == np.where(spike, thresh_v, rest_v)`` in
each type, ``refrac == 0``."""

import ml_dtypes
import numpy as np
import pytest

from exact_neuron import ExactNeuron
from golden import bits

FLOATS = {
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
}
UNSIGNED = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def random_floats(rng, dtype, shape):
    """Random bit patterns (every NaN payload, subnormals, infinities),
    normal values and the edge values, shuffled."""
    n = int(np.prod(shape))
    raw = rng.integers(0, 2 ** (8 * dtype.itemsize), n, dtype=UNSIGNED[dtype.itemsize], endpoint=False)
    values = raw.view(dtype).copy()
    normal = rng.standard_normal(n).astype(dtype)
    pick = rng.random(n) < 0.5
    values[pick] = normal[pick]
    edges = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan], dtype=dtype)
    tiny = np.array([1, 0x8001 if dtype.itemsize == 2 else 1], dtype=UNSIGNED[dtype.itemsize]).view(dtype)
    extra = np.concatenate([edges, tiny])[: n]
    values[: extra.size] = extra
    rng.shuffle(values)
    return values.reshape(shape)


def random_parameters(rng):
    """A random shape (0-d to 3-d), batch size and voltages."""
    shape = tuple(int(d) for d in rng.integers(1, 6, rng.integers(0, 4)))
    batch = int(rng.integers(1, 5))
    rest = float(rng.standard_normal() * 60)
    thresh = rest + float(rng.exponential(20)) + 1e-3
    return shape, batch, rest, thresh


def random_neuron(rng):
    shape, batch, rest, thresh = random_parameters(rng)
    return ExactNeuron(shape, float(rng.exponential(2)) + 1e-3, rest_v=rest, thresh_v=thresh, batch_size=batch)


def expected_voltage(spike, neuron_rest, neuron_thresh, dtype):
    # f64 exact; f32 rounded to nearest; f16 and bf16 from that f32, as torch
    if dtype == np.float64:
        rest, thresh = np.float64(neuron_rest), np.float64(neuron_thresh)
    else:
        rest = np.float32(neuron_rest).astype(dtype)
        thresh = np.float32(neuron_thresh).astype(dtype)
    return np.where(spike, thresh, rest).astype(dtype)


@pytest.mark.parametrize("input_name", FLOATS)
def test_threshold_and_views_match_numpy(rng, input_name):
    dtype = FLOATS[input_name]
    for _ in range(40):
        shape, batch, rest, thresh = random_parameters(rng)
        neuron = ExactNeuron(shape, 1.0, rest_v=rest, thresh_v=thresh, batch_size=batch)
        # a state that a skipped step would leave visible
        neuron(None, override=np.ones(neuron.batchsz * neuron.count, np.bool_))
        x = random_floats(rng, dtype, neuron.batchedshape)
        spike = neuron(x)
        with np.errstate(invalid="ignore"):
            want = x > 0
        assert spike.dtype == np.bool_ and spike.shape == neuron.batchedshape
        assert np.array_equal(spike, want), (x[spike != want], input_name)
        for view_name, view_dtype in FLOATS.items():
            voltage = neuron.voltage_as(view_dtype)
            assert voltage.dtype == view_dtype
            assert np.array_equal(bits(voltage), bits(expected_voltage(want, rest, thresh, view_dtype))), view_name
            refrac = neuron.refrac_as(view_name)
            assert refrac.dtype == view_dtype and refrac.shape == neuron.batchedshape
            assert np.array_equal(bits(refrac), np.zeros(refrac.shape, bits(refrac).dtype))
        assert neuron.voltage.dtype == np.float32 and neuron.refrac.dtype == np.float32


@pytest.mark.parametrize("override_name", ["bool", "uint8", *FLOATS])
def test_overrides_match_numpy(rng, override_name):
    for _ in range(40):
        neuron = random_neuron(rng)
        n = neuron.batchsz * neuron.count
        if override_name == "bool":
            values = rng.random(n) < 0.5
        elif override_name == "uint8":
            values = rng.integers(0, 256, n, dtype=np.uint8)
            values[rng.random(n) < 0.5] = 0
        else:
            values = random_floats(rng, FLOATS[override_name], (n,))
        # any shape with as many values, as inferno's view
        shape = [(n,), (1, n), neuron.batchedshape, (n, 1)][int(rng.integers(0, 4))]
        values = values.reshape(shape)
        inputs = np.full(neuron.batchedshape, np.nan, np.float32)  # ignored, as in inferno
        spike = neuron(inputs, override=values)
        with np.errstate(invalid="ignore"):
            want = (values != 0).reshape(neuron.batchedshape)
        assert np.array_equal(spike, want)
        # a threshold step after it replaces the override's spikes
        x = random_floats(rng, FLOATS["float32"], neuron.batchedshape)
        with np.errstate(invalid="ignore"):
            assert np.array_equal(neuron(x), x > 0)


@np.errstate(invalid="ignore")
def test_strided_and_big_endian_arrays_are_read_by_value(rng):
    neuron = ExactNeuron((5, 6), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=3)
    wide = random_floats(rng, FLOATS["float32"], (3, 5, 12))
    strided = wide[:, :, ::2]
    assert not strided.flags.c_contiguous
    assert np.array_equal(neuron(strided), strided > 0)
    transposed = np.ascontiguousarray(random_floats(rng, FLOATS["float64"], (6, 5, 3))).T
    assert np.array_equal(neuron(transposed), transposed > 0)
    swapped = random_floats(rng, FLOATS["float64"], (3, 5, 6)).astype(">f8")
    assert np.array_equal(neuron(swapped), swapped > 0)
    raw = np.zeros(3 * 5 * 6 * 4 + 1, np.uint8)
    misaligned = raw[1:].view(np.float32).reshape(3, 5, 6)
    misaligned[...] = random_floats(rng, FLOATS["float32"], (3, 5, 6))
    assert not misaligned.flags.aligned
    assert np.array_equal(neuron(misaligned), misaligned > 0)
