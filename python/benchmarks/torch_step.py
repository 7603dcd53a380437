"""Time per step on a CUDA device: this package's ExactNeuron beside torch
eager doing inferno's own work per step.

inferno's ExactNeuron spends a step on ``(x > 0).to(torch.bool)`` and a
voltage read on ``torch.where(spike, thresh_v, rest_v).to(dtype)``; the
same is timed here as "torch eager", from Python, wall clock per step with
the device synchronised at the end of each run (so launch overhead counts,
as it does for a user). Usage: ``python torch_step.py [JSON_OUT]``.
"""

import json
import sys
import time

import torch

from exact_neuron import ExactNeuron

REST, THRESH = -60.0, -50.0


def per_step(fn, budget_s=1.0):
    """Median-free, simple: warm up, then run until ``budget_s`` or 200
    steps, and return seconds per step."""
    fn()
    torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    once = max(time.perf_counter() - start, 1e-6)
    steps = max(3, min(200, int(budget_s / once)))
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main():
    rows = []
    device = torch.device("cuda")
    print(f"# {torch.cuda.get_device_name(device)}, torch {torch.__version__}")
    print("| neurons | dtype | ours step (us) | torch step (us) | x | ours step+voltage (us) | torch step+voltage (us) | x |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for exponent in range(16, 29, 2):
        n = 1 << exponent
        for dtype in (torch.float32, torch.bfloat16):
            x = torch.randn((1, n), device=device).to(dtype)
            neuron = ExactNeuron((n,), 1.0, rest_v=REST, thresh_v=THRESH, device="cuda")

            def ours_step():
                neuron(x)

            def ours_voltage():
                neuron(x)
                neuron.voltage_as(dtype)

            def torch_step():
                return (x > 0).to(torch.bool)

            def torch_voltage():
                spike = (x > 0).to(torch.bool)
                return torch.where(spike, THRESH, REST).to(dtype)

            budget = 0.3 if exponent < 26 else 0.6
            row = {
                "neurons": n,
                "dtype": str(dtype).removeprefix("torch."),
                "ours_step_s": per_step(ours_step, budget),
                "torch_step_s": per_step(torch_step, budget),
                "ours_step_voltage_s": per_step(ours_voltage, budget),
                "torch_step_voltage_s": per_step(torch_voltage, budget),
            }
            rows.append(row)
            print(
                f"| 2^{exponent} | {row['dtype']} "
                f"| {row['ours_step_s'] * 1e6:.1f} | {row['torch_step_s'] * 1e6:.1f} "
                f"| {row['torch_step_s'] / row['ours_step_s']:.1f} "
                f"| {row['ours_step_voltage_s'] * 1e6:.1f} | {row['torch_step_voltage_s'] * 1e6:.1f} "
                f"| {row['torch_step_voltage_s'] / row['ours_step_voltage_s']:.1f} |",
                flush=True,
            )
            del neuron, x
            torch.cuda.empty_cache()
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as out:
            json.dump({"device": torch.cuda.get_device_name(device), "torch": torch.__version__, "rows": rows}, out, indent=1)


if __name__ == "__main__":
    main()
