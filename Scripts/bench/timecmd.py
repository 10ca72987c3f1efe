#!/usr/bin/env python3
"""Runs shell commands side by side, interleaved, and prints the median wall time of each.

usage: timecmd.py [-n RUNS] [-w WARMUP] LABEL=COMMAND ...
Interleaving (a, b, a, b, …) keeps the noise of a shared machine fair to every command.
"""
import argparse
import statistics
import subprocess
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30)
    parser.add_argument("-w", type=int, default=3)
    parser.add_argument("commands", nargs="+")
    args = parser.parse_args()
    pairs = [c.split("=", 1) for c in args.commands]
    samples = {label: [] for label, _ in pairs}
    for i in range(args.w + args.n):
        for label, command in pairs:
            start = time.perf_counter()
            result = subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            elapsed = time.perf_counter() - start
            if result.returncode != 0:
                raise SystemExit(f"{label} failed ({result.returncode}): {result.stderr.decode()[:500]}")
            if i >= args.w:
                samples[label].append(elapsed * 1000)
    for label, values in samples.items():
        values.sort()
        print(f"{label}\tmedian {statistics.median(values):.2f} ms\tmin {values[0]:.2f} ms\t"
              f"p90 {values[int(len(values) * 0.9) - 1]:.2f} ms\t(n={len(values)})")


if __name__ == "__main__":
    main()
