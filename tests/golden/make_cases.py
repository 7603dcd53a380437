#!/usr/bin/env python3
"""Makes golden cases for exact-neuron with inferno itself.

Not run by the test suite or CI: it needs inferno and torch
(`pip install inferno-ai==0.0.5 torch==2.4.1 numpy`), which the Rust build
does not. It writes cases in the format that tests/golden/README.md
describes, into OUT/cases/caseNNN/ and OUT/errors.json:

    python3 tests/golden/make_cases.py --out=/tmp/golden --count=40 --seed=1
    EXACT_NEURON_GOLDEN=/tmp/golden cargo test --release --workspace

Each case draws a shape, a batch size, parameters, a mode (threshold
inputs or override values), the dtypes and T steps; runs inferno's
ExactNeuron step by step; and stores what inferno gave. The one value not
taken from inferno is the f64 voltage, which this port computes exactly
from the f64 parameter (docs/SPEC.md section 1): inferno rounds it through
torch's default f32.
"""

import argparse
import json
import math
import pathlib

import numpy as np
import torch
from inferno.extra import ExactNeuron

TORCH = {
    "f16": torch.float16,
    "bf16": torch.bfloat16,
    "f32": torch.float32,
    "f64": torch.float64,
}
# numpy has no bf16: bf16 inputs are stored as float32 and rounded on load
# (`--input-dtype=bf16`), bf16 voltages are stored widened to float32.
FILE_DTYPE = {"f16": np.float16, "bf16": np.float32, "f32": np.float32, "f64": np.float64}
OVERRIDE_DTYPES = ["bool", "u8", "f16", "f32", "f64"]
SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-45, -1e-45, 65504.0, 70000.0]


def json_number(x):
    """A float as case.json stores it: non-finite values as strings."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def draw_inputs(rng, shape):
    """Normal values with special values mixed in."""
    values = rng.standard_normal(shape)
    mask = rng.random(shape) < 0.1
    values[mask] = rng.choice(SPECIAL, size=int(mask.sum()))
    return values


def voltage(neuron, dtype, spikes):
    if dtype == "f64":
        # The port's deliberate difference: the exact f64 parameter.
        return np.where(spikes, neuron.thresh_v, neuron.rest_v).astype(np.float64)
    # inferno's voltage is in torch's default dtype (f32), then converted.
    v = neuron.voltage.to(TORCH[dtype])
    if dtype == "bf16":
        return v.to(torch.float32).numpy()  # exact widening
    return v.numpy()


def make_case(rng, folder):
    shape = [int(d) for d in rng.integers(1, 40, size=rng.integers(0, 4))]
    batch_size = int(rng.integers(1, 10))
    steps = int(rng.integers(1, 5))
    step_time = float(rng.choice([0.5, 1.0, 2.0]))
    rest_v = float(round(rng.uniform(-80, -55), 2))
    thresh_v = float(round(rng.uniform(-54, -40), 2))
    voltage_dtype = str(rng.choice(list(TORCH)))
    mode = str(rng.choice(["threshold", "override"]))

    neuron = ExactNeuron(
        shape, step_time, rest_v=rest_v, thresh_v=thresh_v, batch_size=batch_size
    )
    batched = (steps, batch_size, *shape)
    case = {
        "shape": shape,
        "batch_size": batch_size,
        "step_time": json_number(step_time),
        "rest_v": json_number(rest_v),
        "thresh_v": json_number(thresh_v),
        "mode": mode,
        "steps": steps,
        "voltage_dtype": voltage_dtype,
    }
    cli = [
        f"--shape={','.join(map(str, shape))}",
        f"--batch-size={batch_size}",
        f"--step-time={step_time!r}",
        f"--rest-v={rest_v!r}",
        f"--thresh-v={thresh_v!r}",
        f"--voltage-dtype={voltage_dtype}",
    ]
    if mode == "threshold":
        input_dtype = str(rng.choice(list(TORCH)))
        stored = draw_inputs(rng, batched).astype(FILE_DTYPE[input_dtype])
        np.save(folder / "inputs.npy", stored)
        steps_in = torch.from_numpy(stored).to(TORCH[input_dtype])
        case["input_dtype"] = input_dtype
        cli += ["--inputs=inputs.npy", f"--input-dtype={input_dtype}"]
        run = lambda t: neuron(steps_in[t])  # noqa: E731
    else:
        override_dtype = str(rng.choice(OVERRIDE_DTYPES))
        if override_dtype == "bool":
            stored = rng.random(batched) < 0.5
        elif override_dtype == "u8":
            stored = rng.choice([0, 0, 1, 2, 255], size=batched).astype(np.uint8)
        else:
            stored = rng.choice([0.0, -0.0, 1.0, math.nan], size=batched)
            stored = stored.astype(FILE_DTYPE[override_dtype])
        if rng.random() < 0.5:  # (T, n) is accepted too
            stored = stored.reshape(steps, -1)
        np.save(folder / "override.npy", stored)
        values = torch.from_numpy(stored)
        case["override_dtype"] = override_dtype
        cli += ["--override=override.npy"]
        run = lambda t: neuron(None, override=values[t])  # noqa: E731

    spikes, voltages = [], []
    for t in range(steps):
        run(t)
        s = neuron.spike.numpy().copy()
        spikes.append(s)
        voltages.append(voltage(neuron, voltage_dtype, s))
    np.save(folder / "spikes.npy", np.stack(spikes).reshape(batched))
    np.save(folder / "voltage.npy", np.stack(voltages).reshape(batched))
    case["cli"] = cli
    (folder / "case.json").write_text(json.dumps(case, indent=1))


def make_errors():
    """Invalid parameter sets and inferno's message for each."""
    sets = [
        dict(shape=[3, 4], batch_size=2, step_time=0.0, rest_v=-60.0, thresh_v=-50.0),
        dict(shape=[3, 4], batch_size=2, step_time=math.nan, rest_v=-60.0, thresh_v=-50.0),
        dict(shape=[3, 4], batch_size=0, step_time=1.0, rest_v=-60.0, thresh_v=-50.0),
        dict(shape=[3, 0], batch_size=1, step_time=1.0, rest_v=-60.0, thresh_v=-50.0),
        dict(shape=[3, 4], batch_size=2, step_time=1.0, rest_v=-50.0, thresh_v=-50.0),
        dict(shape=[3, 4], batch_size=2, step_time=1.0, rest_v=0.0, thresh_v=-0.0),
        dict(shape=[3, 4], batch_size=2, step_time=1.0, rest_v=math.nan, thresh_v=-50.0),
    ]
    entries = []
    for p in sets:
        try:
            ExactNeuron(
                p["shape"],
                p["step_time"],
                rest_v=p["rest_v"],
                thresh_v=p["thresh_v"],
                batch_size=p["batch_size"],
            )
        except (ValueError, TypeError, RuntimeError) as err:
            entry = {k: json_number(v) if isinstance(v, float) else v for k, v in p.items()}
            entry["inferno_message"] = str(err)
            entries.append(entry)
        else:
            raise SystemExit(f"inferno accepted {p}")
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=pathlib.Path)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for i in range(args.count):
        folder = args.out / "cases" / f"case{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        make_case(rng, folder)
    (args.out / "errors.json").write_text(json.dumps(make_errors(), indent=1))
    print(f"{args.count} cases and errors.json in {args.out}")


if __name__ == "__main__":
    main()
