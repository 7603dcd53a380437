"""torch tensors in: CPU tensors for a CPU neuron (numpy out), CUDA tensors
for a CUDA neuron (zero-copy torch tensors out, on torch's current stream).
Skipped where torch is absent; the CUDA tests where there is no CUDA device
(the GPU bundle runs them)."""

import os

import numpy as np
import pytest

import exact_neuron
from exact_neuron import ExactNeuron
from golden import bits, load_cases

torch = pytest.importorskip("torch")
try:  # numpy's bfloat16, for the CPU tests only (the GPU bundle may lack it)
    import ml_dtypes
except ImportError:
    ml_dtypes = None

needs_ml_dtypes = pytest.mark.skipif(ml_dtypes is None, reason="no ml_dtypes")

# REQUIRE_GPU=1 (the GPU bundle sets it) runs the CUDA tests even where no
# device is found, so that they fail there instead of skipping.
needs_cuda = pytest.mark.skipif(
    os.environ.get("REQUIRE_GPU") != "1"
    and not (torch.cuda.is_available() and exact_neuron.cuda_device_count() > 0),
    reason="no CUDA device (REQUIRE_GPU=1 makes this a failure)",
)

FLOATS = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


def random_tensor(generator, shape, dtype, device="cpu"):
    """Normal values with the edge values (±0, ±inf, NaN, a subnormal)."""
    x = torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype)
    flat = x.view(-1)
    edges = torch.tensor([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-45], dtype=torch.float64)
    flat[: min(edges.numel(), flat.numel())] = edges[: flat.numel()].to(dtype)
    return x[torch.randperm(x.shape[0], generator=generator)].to(device)


def to_numpy(tensor):
    """The tensor on the host as numpy; bfloat16 as its bits, in int16."""
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy()
    return tensor.numpy()


@pytest.fixture
def generator(rng):
    return torch.Generator().manual_seed(int(rng.integers(0, 2**62)))


# --- CPU tensors --------------------------------------------------------------


@needs_ml_dtypes
@pytest.mark.parametrize("dtype", FLOATS)
def test_cpu_tensors_in_numpy_out(generator, dtype):
    n = ExactNeuron((5, 7), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=3)
    x = random_tensor(generator, (3, 5, 7), dtype)
    spikes = n(x)
    assert isinstance(spikes, np.ndarray) and spikes.dtype == np.bool_
    assert np.array_equal(spikes, (x > 0).numpy())
    voltage = n.voltage_as(torch.bfloat16)
    assert voltage.dtype == np.dtype(ml_dtypes.bfloat16)
    want = torch.where(x > 0, -50.0, -60.0).to(torch.bfloat16)
    assert np.array_equal(bits(voltage), bits(to_numpy(want)))


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, *FLOATS])
def test_cpu_tensor_overrides(generator, dtype):
    n = ExactNeuron((4, 6), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=2)
    values = (random_tensor(generator, (48,), torch.float32) > 0).to(dtype)
    assert np.array_equal(n(None, override=values), (values != 0).view(2, 4, 6).numpy())


def test_strided_and_grad_tensors_are_read_by_value(generator):
    n = ExactNeuron((4, 6), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=2)
    x = random_tensor(generator, (2, 6, 4), torch.float32).transpose(1, 2)
    assert not x.is_contiguous()
    assert np.array_equal(n(x), (x > 0).numpy())
    y = random_tensor(generator, (2, 4, 6), torch.float32).requires_grad_()
    assert np.array_equal(n(y), (y > 0).numpy())


def test_unsupported_torch_dtypes_are_a_type_error_naming_them():
    n = ExactNeuron((4,), 1.0, rest_v=-60.0, thresh_v=-50.0)
    for dtype in [torch.int32, torch.int64, torch.complex64]:
        with pytest.raises(TypeError, match=str(dtype)):
            n(torch.ones((1, 4), dtype=dtype))
    with pytest.raises(TypeError, match="torch.bool"):
        n(torch.ones((1, 4), dtype=torch.bool))
    with pytest.raises(TypeError, match="torch.int32"):
        n.voltage_as(torch.int32)


def test_a_torch_device_is_accepted():
    n = ExactNeuron((4,), 1.0, rest_v=-60.0, thresh_v=-50.0, device=torch.device("cpu"))
    assert n.device == "cpu"


# --- CUDA tensors -------------------------------------------------------------


TORCH_DTYPES = {"bool": torch.bool, "u8": torch.uint8, "f16": torch.float16,
                "bf16": torch.bfloat16, "f32": torch.float32, "f64": torch.float64}


def replay_on_cuda(name, meta, arrays):
    """A golden case through CUDA tensors, bit for bit; the differences.
    bf16 (stored widened to f32) is converted by torch, exactly."""
    neuron = ExactNeuron(meta["shape"], meta["step_time"], rest_v=meta["rest_v"],
                         thresh_v=meta["thresh_v"], batch_size=meta["batch_size"], device="cuda")
    voltage_dtype = TORCH_DTYPES[meta["voltage_dtype"]]
    problems = []
    for step in range(meta["steps"]):
        if meta["mode"] == "threshold":
            x = torch.from_numpy(np.ascontiguousarray(arrays["inputs"][step]))
            spikes = neuron(x.to(TORCH_DTYPES[meta["input_dtype"]]).cuda())
        else:
            v = torch.from_numpy(np.ascontiguousarray(arrays["override"][step]))
            spikes = neuron(None, override=v.to(TORCH_DTYPES[meta["override_dtype"]]).cuda())
        want = arrays["spikes"][step]
        if spikes.device.type != "cuda" or spikes.dtype != torch.bool or not np.array_equal(to_numpy(spikes), want):
            problems.append(f"{name} step {step}: spikes differ")
        voltage = neuron.voltage_as(voltage_dtype)
        want = torch.from_numpy(np.ascontiguousarray(arrays["voltage"][step])).to(voltage_dtype)
        if voltage.dtype != voltage_dtype or voltage.device.type != "cuda" or \
                not np.array_equal(bits(to_numpy(voltage)), bits(to_numpy(want))):
            problems.append(f"{name} step {step}: voltage ({meta['voltage_dtype']}) differs")
    return problems


@needs_cuda
def test_every_golden_case_replays_bit_for_bit_on_cuda_tensors():
    cases = load_cases()
    assert cases
    problems = []
    for name, meta, arrays in cases:
        problems += replay_on_cuda(name, meta, arrays)
    assert not problems, "\n".join(problems)
    print(f"{len(cases)} golden cases replayed on CUDA tensors")


@needs_cuda
@pytest.mark.parametrize("dtype", FLOATS)
def test_cuda_tensors_in_cuda_tensors_out(generator, dtype):
    n = ExactNeuron((33, 65), 1.0, rest_v=-60.1, thresh_v=-50.1, batch_size=5, device="cuda")
    x = random_tensor(generator, (5, 33, 65), dtype, "cuda")
    spikes = n(x)
    assert spikes.device.type == "cuda" and spikes.dtype == torch.bool
    assert torch.equal(spikes, x > 0)
    for view in FLOATS:
        want = torch.where(x > 0, -50.1, -60.1).to(view)
        if view == torch.float64:
            want = torch.where(x > 0, torch.tensor(-50.1, dtype=torch.float64, device="cuda"),
                               torch.tensor(-60.1, dtype=torch.float64, device="cuda"))
        got = n.voltage_as(view)
        assert got.dtype == view and got.device.type == "cuda"
        assert np.array_equal(bits(to_numpy(got)), bits(to_numpy(want))), view
        assert not n.refrac_as(view).any()
    assert n.voltage.dtype == torch.float32 and n.refrac.dtype == torch.float32


@needs_cuda
@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, *FLOATS])
def test_cuda_overrides(generator, dtype):
    n = ExactNeuron((64,), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=3, device="cuda")
    values = random_tensor(generator, (192,), torch.float32, "cuda")
    values = values if dtype.is_floating_point else (values > 0).to(dtype)
    values = values.to(dtype)
    assert torch.equal(n(None, override=values), (values != 0).view(3, 64))


@needs_cuda
def test_outputs_view_the_neuron_s_buffers_without_a_copy(generator):
    n = ExactNeuron((1000,), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=4, device="cuda")
    stream = torch.cuda.current_stream().cuda_stream
    x = random_tensor(generator, (4, 1000), torch.float32, "cuda")
    spikes = n(x)
    assert spikes.data_ptr() == n._native.spike_address(stream)
    voltage = n.voltage
    assert voltage.data_ptr() == n._native.voltage_address("f32", stream)
    # the next step writes the same buffers: the tensors see it
    spikes_again = n(-x)
    assert spikes_again.data_ptr() == spikes.data_ptr()
    assert torch.equal(spikes, -x > 0)
    assert n.voltage.data_ptr() == voltage.data_ptr()
    assert torch.equal(voltage, torch.where(-x > 0, -50.0, -60.0))
    # an input is read in place: no copy of it is made either
    before = torch.cuda.memory_allocated()
    n(x)
    assert torch.cuda.memory_allocated() == before


@needs_cuda
def test_a_step_runs_in_order_on_a_non_default_stream(generator):
    n = ExactNeuron((1 << 20,), 1.0, rest_v=-60.0, thresh_v=-50.0, device="cuda")
    source = random_tensor(generator, (1, 1 << 20), torch.float32, "cuda")
    x = torch.zeros_like(source)
    side = torch.cuda.Stream()
    torch.cuda.synchronize()
    with torch.cuda.stream(side):
        torch.cuda._sleep(100_000_000)  # the copy below lands late
        x.copy_(source)
        spikes = n(x)
        voltage = n.voltage
        spikes_ok = torch.equal(spikes, source > 0)
        voltage_ok = torch.equal(voltage, torch.where(source > 0, -50.0, -60.0))
    side.synchronize()
    assert spikes_ok and voltage_ok
    # and a neuron made on a side stream runs in order on the default one
    with torch.cuda.stream(side):
        m = ExactNeuron((1 << 20,), 1.0, rest_v=-60.0, thresh_v=-50.0, device="cuda")
    y = torch.zeros_like(source)
    torch.cuda._sleep(100_000_000)
    y.copy_(source)
    assert torch.equal(m(y), source > 0)


@needs_cuda
def test_a_cuda_neuron_refuses_host_values():
    n = ExactNeuron((4,), 1.0, rest_v=-60.0, thresh_v=-50.0, device="cuda")
    before = n.spike.clone()
    with pytest.raises(ValueError, match="cpu"):
        n(torch.ones((1, 4)))
    with pytest.raises(ValueError, match="numpy"):
        n(np.ones((1, 4), np.float32))
    with pytest.raises(ValueError, match=r"\(1, 5\)"):
        n(torch.ones((1, 5), device="cuda"))
    assert torch.equal(n.spike, before)


@needs_cuda
def test_a_cpu_neuron_refuses_cuda_tensors():
    n = ExactNeuron((4,), 1.0, rest_v=-60.0, thresh_v=-50.0)
    with pytest.raises(ValueError, match="cuda"):
        n(torch.ones((1, 4), device="cuda"))


@needs_cuda
def test_batchsz_and_clear_on_cuda():
    n = ExactNeuron((8,), 1.0, rest_v=-60.0, thresh_v=-50.0, batch_size=2, device="cuda")
    n(None, override=torch.ones(16, dtype=torch.bool, device="cuda"))
    assert n.spike.all()
    n.clear()
    assert not n.spike.any()
    n.batchsz = 5
    assert n.spike.shape == (5, 8) and n.voltage.shape == (5, 8) and not n.spike.any()
    assert repr(n) == "ExactNeuron(shape=(8,), batchsz=5, dt=1.0)"
