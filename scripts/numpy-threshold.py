#!/usr/bin/env python3
"""numpy's `x > 0` on f32, timed the way `exact-neuron bench` times the
threshold kernel, side by side with it.

For each element count n (default 2^24 and 2^26): f32 inputs of both signs,
a warm-up, then the median of --reps repetitions (default 21) of one call,
with a fresh output array (`x > 0`) and with a preallocated one
(`np.greater(x, 0, out=out)`). GB/s counts bytes read plus bytes written
(4n + n), as the bench does. numpy runs single-threaded here, as the crate's
CPU backend does, and advises transparent huge pages for its arrays (its
default on Linux; the bench does the same for its buffers).

With --exact-neuron=PATH it alternates, --rounds times, one numpy
measurement and one `PATH bench --device=cpu --sizes=... --json=...` run,
and prints every round and the median over the rounds: on a shared machine
the speed drifts from minute to minute, so only interleaved figures compare.

Usage:
  python3 scripts/numpy-threshold.py [--sizes=2^24,2^26] [--reps=21]
      [--exact-neuron=target/release/exact-neuron] [--rounds=5]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def parse_sizes(text):
    sizes = []
    for item in text.split(","):
        item = item.strip()
        if "^" in item:
            base, exp = item.split("^")
            sizes.append(int(base) ** int(exp))
        else:
            sizes.append(int(item))
    return sizes


def shown(n):
    exp = n.bit_length() - 1
    return f"2^{exp}" if n == 1 << exp else str(n)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def median_seconds(fn, reps, warm_up=3):
    for _ in range(warm_up):
        fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def numpy_round(sizes, reps):
    """{(variant, n): median seconds} for one round."""
    rng = np.random.default_rng(0)
    result = {}
    for n in sizes:
        x = (rng.random(n, dtype=np.float32) - 0.5) * 200.0
        out = np.empty(n, dtype=np.bool_)
        result[("numpy x > 0 (fresh output)", n)] = median_seconds(lambda: x > 0, reps)
        result[("numpy np.greater(x, 0, out=out)", n)] = median_seconds(
            lambda: np.greater(x, 0, out=out), reps
        )
        del x, out
    return result


def exact_neuron_round(exe, sizes, reps):
    """{(variant, n): median seconds} of one `exact-neuron bench` run."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.json")
        subprocess.run(
            [
                exe,
                "bench",
                "--device=cpu",
                "--sizes=" + ",".join(str(n) for n in sizes),
                f"--reps={reps}",
                f"--json={path}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with open(path) as f:
            records = json.load(f)
    return {
        ("exact-neuron threshold f32", r["elements"]): r["median_s"]
        for r in records
        if r["op"] == "threshold" and r["dtype"] == "f32"
    }


def line(name, n, seconds):
    return (
        f"{name:<34} {shown(n):>6} {seconds * 1e3:>9.3f} ms "
        f"{n / seconds / 1e9:>8.3f} {5 * n / seconds / 1e9:>7.2f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2^24,2^26")
    parser.add_argument("--reps", type=int, default=21)
    parser.add_argument("--exact-neuron", metavar="PATH")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)

    print(
        f"numpy {np.__version__}, Python {platform.python_version()}, on {cpu_model()} "
        f"({os.cpu_count()} cores); median of {args.reps} repetitions after warm-up"
    )
    header = f"{'variant':<34} {'n':>6} {'median':>12} {'Gelem/s':>8} {'GB/s':>7}"
    rounds = []
    for r in range(args.rounds):
        figures = numpy_round(sizes, args.reps)
        if args.exact_neuron:
            figures.update(exact_neuron_round(args.exact_neuron, sizes, args.reps))
        rounds.append(figures)
        print(f"\nround {r + 1} of {args.rounds}")
        print(header)
        for (name, n), seconds in sorted(figures.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            print(line(name, n, seconds))
        sys.stdout.flush()
    if args.rounds > 1:
        print(f"\nmedian over {args.rounds} rounds (and the slowest to fastest round, Gelem/s)")
        print(header + "  range")
        for key in sorted(rounds[0], key=lambda k: (k[1], k[0])):
            name, n = key
            times = [r[key] for r in rounds]
            spread = f"  {n / max(times) / 1e9:.2f}-{n / min(times) / 1e9:.2f}"
            print(line(name, n, statistics.median(times)) + spread)


if __name__ == "__main__":
    main()
