"""The golden cases through the Python interface on the CPU, bit for bit."""

import math

import numpy as np
import pytest

from exact_neuron import ExactNeuron
from golden import cases_dir, errors_file, load_cases, load_errors, replay


def test_every_golden_case_replays_bit_for_bit_on_the_cpu():
    cases = load_cases()
    assert cases, f"no golden cases in {cases_dir()}"
    problems = []
    for name, meta, arrays in cases:
        problems += replay(name, meta, arrays, ExactNeuron, lambda a: a, np.asarray)
    assert not problems, "\n".join(problems)
    print(f"{len(cases)} golden cases replayed on the CPU")


def test_the_cases_cover_every_input_and_override_type():
    cases = load_cases()
    inputs = {meta["input_dtype"] for _, meta, _ in cases if meta["mode"] == "threshold"}
    overrides = {meta["override_dtype"] for _, meta, _ in cases if meta["mode"] == "override"}
    voltages = {meta["voltage_dtype"] for _, meta, _ in cases}
    assert inputs == {"f16", "bf16", "f32", "f64"}
    assert {"bool", "u8", "f16", "f32", "f64"} <= overrides
    assert voltages == {"f16", "bf16", "f32", "f64"}


def test_a_replay_that_differs_is_reported():
    # The comparison itself can fail: a neuron whose thresh_v is off by one
    # ulp of f64 must not replay the first threshold case.
    name, meta, arrays = next(c for c in load_cases() if c[1]["voltage_dtype"] == "f64")

    def off_by_one_ulp(*args, thresh_v, **kwargs):
        return ExactNeuron(*args, thresh_v=math.nextafter(thresh_v, math.inf), **kwargs)

    assert replay(name, meta, arrays, off_by_one_ulp, lambda a: a, np.asarray)


def test_every_golden_error_raises_inferno_s_message():
    if not errors_file().is_file():
        pytest.skip(f"no {errors_file()}")
    entries = load_errors()
    assert entries
    for entry in entries:
        with pytest.raises(ValueError) as raised:
            ExactNeuron(
                entry["shape"],
                entry["step_time"],
                rest_v=entry["rest_v"],
                thresh_v=entry["thresh_v"],
                batch_size=entry["batch_size"],
            )
        assert str(raised.value) == entry["inferno_message"], entry
