"""Measure this machine's speed as the book's fast GAN recipe runs it: steps per second.

Absolute times on shared machines swing by up to 4x from day to day, so `make test`
reports every notebook's time next to this speed, measured in the same run, and
normalises it to a reference machine running 40 steps/s:

    normalised seconds = seconds x (speed / 40 steps/s)

The probe trains the fast recipe (one thread, as the notebooks use on a CPU) for a
fixed number of steps after a short warm-up, on the digits the chapters use.

    python .ci/machine_speed.py            # prints "machine speed: 41.3 steps/s ..."
    python .ci/machine_speed.py --json F   # also writes {"steps_per_second": ...} to F
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from helpers.device import configure_threads  # noqa: E402

configure_threads(1)  # before torch loads: idle threads sleep; one thread, as the notebooks

REFERENCE_STEPS_PER_SECOND = 40.0
WARMUP_STEPS = 10
TIMED_STEPS = 150


def measure(timed_steps: int = TIMED_STEPS, warmup_steps: int = WARMUP_STEPS) -> float:
    """Steps per second of the fast recipe on the CPU, after ``warmup_steps``."""
    import torch

    from helpers.gan import build, fit, load_dataset, recipe_config

    config = recipe_config("fast")
    data = load_dataset(config.dataset, size=config.size, split="train")
    state = build(config, device=torch.device("cpu"))
    fit(state, data, steps=warmup_steps, progress=False)
    start = time.perf_counter()
    fit(state, data, steps=warmup_steps + timed_steps, progress=False)
    return timed_steps / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the result to this JSON file")
    parser.add_argument("--steps", type=int, default=TIMED_STEPS, help="timed steps (default %(default)s)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    speed = measure(args.steps)
    wall = time.perf_counter() - start
    print(f"machine speed: {speed:.1f} steps/s (fast GAN recipe, 1 CPU thread, {args.steps} steps; "
          f"reference {REFERENCE_STEPS_PER_SECOND:.0f} steps/s; probe took {wall:.1f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"steps_per_second": speed, "reference_steps_per_second": REFERENCE_STEPS_PER_SECOND,
                       "timed_steps": args.steps}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
