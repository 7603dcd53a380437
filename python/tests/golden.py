"""inferno's golden cases: where they are and how to replay them.

The cases are ``<repo>/tests/golden/cases``, or the folder named by
``EXACT_NEURON_GOLDEN`` (the cases folder itself or the folder holding it
and ``errors.json``)."""

import json
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def cases_dir():
    named = os.environ.get("EXACT_NEURON_GOLDEN")
    if not named:
        return REPO / "tests" / "golden" / "cases"
    named = Path(named)
    return named / "cases" if (named / "cases").is_dir() else named


def errors_file():
    return cases_dir().parent / "errors.json"


def load_cases():
    """Every case, sorted by name: (name, case.json's fields, arrays)."""
    folder = cases_dir()
    cases = []
    for case in sorted(p for p in folder.iterdir() if (p / "case.json").is_file()):
        meta = json.loads((case / "case.json").read_text())
        arrays = {f.stem: np.load(f) for f in case.glob("*.npy")}
        cases.append((case.name, meta, arrays))
    return cases


def load_errors():
    """errors.json's entries, with 'nan' as a float."""
    entries = json.loads(errors_file().read_text())
    for entry in entries:
        for key in ("step_time", "rest_v", "thresh_v"):
            entry[key] = float(entry[key])
    return entries


def numpy_dtype(name):
    import ml_dtypes

    return {
        "bool": np.dtype(np.bool_),
        "u8": np.dtype(np.uint8),
        "f16": np.dtype(np.float16),
        "bf16": np.dtype(ml_dtypes.bfloat16),
        "f32": np.dtype(np.float32),
        "f64": np.dtype(np.float64),
    }[name]


def bits(array):
    """The array's bytes as unsigned integers of its width, for bit-for-bit
    comparisons (NaN payloads and signed zeros included)."""
    array = np.ascontiguousarray(array)
    return array.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[array.dtype.itemsize])


def expected_voltage(meta, arrays, step):
    """The golden voltage of ``step`` in the case's voltage type (bf16 is
    stored widened to f32, exactly)."""
    return arrays["voltage"][step].astype(numpy_dtype(meta["voltage_dtype"]))


def replay(name, meta, arrays, make_neuron, to_values, to_numpy):
    """Replays a case; returns a list of differences (empty when it
    replays bit for bit). ``to_values(array)`` gives what ``forward``
    takes, ``to_numpy(output)`` a numpy array of what it gives back."""
    neuron = make_neuron(
        meta["shape"],
        meta["step_time"],
        rest_v=meta["rest_v"],
        thresh_v=meta["thresh_v"],
        batch_size=meta["batch_size"],
    )
    problems = []
    for step in range(meta["steps"]):
        if meta["mode"] == "threshold":
            inputs = arrays["inputs"][step].astype(numpy_dtype(meta["input_dtype"]))
            spikes = neuron(to_values(inputs))
        else:
            values = arrays["override"][step].astype(numpy_dtype(meta["override_dtype"]))
            spikes = neuron(None, override=to_values(values))
        spikes = to_numpy(spikes)
        want = arrays["spikes"][step]
        if spikes.dtype != np.bool_ or spikes.shape != want.shape or not np.array_equal(spikes, want):
            problems.append(f"{name} step {step}: spikes differ")
        voltage = to_numpy(neuron.voltage_as(numpy_dtype(meta["voltage_dtype"])))
        want = expected_voltage(meta, arrays, step)
        if voltage.shape != want.shape or not np.array_equal(bits(voltage), bits(want)):
            problems.append(f"{name} step {step}: voltage ({meta['voltage_dtype']}) differs")
        if str(voltage.dtype) != str(want.dtype):
            problems.append(f"{name} step {step}: voltage is {voltage.dtype}, expected {want.dtype}")
    return problems
