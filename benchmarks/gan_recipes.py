"""Chapter 04's benchmark: recipes over equal seconds, a one-setting-at-a-time ablation, and EMA.

    python benchmarks/gan_recipes.py                 # everything (about 10 min at 18 steps/s)
    python benchmarks/gan_recipes.py --quick         # a 1-minute smoke run, written to /tmp

Three parts, each on the CPU with one thread, writing one JSON file
(``benchmarks/gan_recipes.json``) that chapter 04 renders as a recorded run:

1. **Recipes over equal seconds.** The tutorial recipe and the fast recipe,
   two seeds, trained *interleaved* in one process (a slice of two seconds
   for each run in turn), so a machine whose load changes slows every run
   alike. Snapshots of each sampling generator are taken at fixed training
   times (the fast recipe often early on, the tutorial recipe at every mark)
   and evaluated afterwards (1,000 samples, ``helpers.metrics.evaluate``).
2. **Ablation.** The fast recipe with exactly one setting changed back to the
   tutorial's, seed 0, all interleaved, equal seconds; plus the raw generator
   of the fast run in place of its EMA copy (no extra training).
3. **EMA at the chapter's step count.** The fast recipe for ``CHAPTER_STEPS``
   steps on three seeds; FD of the raw and the EMA generator.

The JSON holds the date, the commit, the CPU, torch's version, the machine
speed (``.ci/machine_speed.py``'s probe) before and after, and the load average.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers.device import configure_threads  # noqa: E402

configure_threads(1)  # before torch loads: idle threads sleep, and one thread (see its docstring)

import torch  # noqa: E402

from helpers.gan import build, build_models, fit, load_dataset, recipe_config, sample  # noqa: E402
from helpers.metrics import evaluate, get_classifier  # noqa: E402

#: The number of steps chapter 04 trains the fast recipe for (its section 4.5).
CHAPTER_STEPS = 1500
OUT = ROOT / "benchmarks" / "gan_recipes.json"

#: Part 2: one setting changed per row, to the tutorial recipe's value.
ABLATIONS = {
    "fast": {},
    "spectral=False": dict(spectral=False),
    "loss=bce": dict(loss="bce"),
    "beta1=0.5": dict(beta1=0.5),
    "lr_g=2e-4": dict(lr_g=2e-4),
    "lr_d=2e-4": dict(lr_d=2e-4),
    "g_width=64": dict(g_width=64),
    "d_width=64": dict(d_width=64),
}


def machine_speed() -> float:
    sys.path.insert(0, str(ROOT / ".ci"))
    from machine_speed import measure

    return round(measure(), 2)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "helpers", "benchmarks"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


class Run:
    """One GAN run trained in slices, with snapshots of its generators at fixed training times."""

    def __init__(self, name, config, marks):
        self.name, self.config, self.marks = name, config, sorted(marks)
        self.state = build(config, device="cpu")
        self.snapshots = {}          # mark → (step, sampler state_dict, raw generator state_dict)

    @property
    def done(self):
        return len(self.snapshots) == len(self.marks)

    def advance(self, data, slice_s):
        nxt = next(t for t in self.marks if t not in self.snapshots)
        fit(self.state, data, seconds=max(min(slice_s, nxt - self.state.train_seconds), 1e-3),
            progress=False)
        for t in self.marks:
            if t not in self.snapshots and self.state.train_seconds >= t:
                s = self.state
                self.snapshots[t] = (s.step, copy.deepcopy(s.sampler.state_dict()),
                                     copy.deepcopy(s.generator.state_dict()))


def interleave(runs, data, slice_s=2.0):
    while not all(r.done for r in runs):
        for r in runs:
            if not r.done:
                r.advance(data, slice_s)


def metrics_of(config, weights, n=1000) -> dict:
    G, _ = build_models(config)
    G.load_state_dict(weights)
    m = evaluate(sample(G, n, seed=0))
    return {"fd": round(m["fd"], 2), "fd_roundtrip": round(m["fd_roundtrip"], 2),
            "classes": m["classes_covered"], "precision": round(m["precision"], 3),
            "recall": round(m["recall"], 3), "density": round(m["density"], 3),
            "coverage": round(m["knn_coverage"], 3)}


def part_recipes(data, seeds, seconds):
    fast_marks = sorted({1, 2, 3, 5, 7, 10, 15, 20, 30, 40, seconds} - {t for t in range(1000) if t > seconds})
    tutorial_marks = sorted({5, 10, 15, 20, 30, 40, seconds} - {t for t in range(1000) if t > seconds})
    rows = []
    for seed in seeds:
        runs = [Run("tutorial", recipe_config("tutorial", seed=seed), tutorial_marks),
                Run("fast", recipe_config("fast", seed=seed), fast_marks)]
        interleave(runs, data)
        for r in runs:
            for t in r.marks:
                step, weights, _ = r.snapshots[t]
                rows.append({"recipe": r.name, "seed": seed, "seconds": t, "step": step,
                             **metrics_of(r.config, weights)})
            rows[-1]["steps_per_second"] = round(r.state.step / r.state.train_seconds, 2)
            print(f"recipes: seed {seed} {r.name} done ({r.state.step} steps)", flush=True)
    return rows


def part_ablation(data, seconds):
    marks = sorted({5, 10, seconds} - {t for t in range(1000) if t > seconds})
    runs = [Run(name, recipe_config("fast", seed=0, **change), marks) for name, change in ABLATIONS.items()]
    interleave(runs, data)
    rows = []
    for r in runs:
        for t in r.marks:
            step, weights, raw = r.snapshots[t]
            rows.append({"variant": r.name, "seconds": t, "step": step,
                         "steps_per_second": round(r.state.step / r.state.train_seconds, 2),
                         **metrics_of(r.config, weights)})
            if r.name == "fast":
                rows.append({"variant": "ema_decay=None (raw G of the fast run)", "seconds": t, "step": step,
                             "steps_per_second": round(r.state.step / r.state.train_seconds, 2),
                             **metrics_of(r.config, raw)})
    print("ablation done", flush=True)
    return rows


def part_ema(data, seeds, steps):
    rows = []
    for seed in seeds:
        config = recipe_config("fast", seed=seed)
        state = fit(build(config, device="cpu"), data, steps=steps, progress=False)
        for which, model in (("EMA", state.ema_generator), ("raw", state.generator)):
            rows.append({"seed": seed, "step": steps, "generator": which,
                         **metrics_of(config, model.state_dict())})
        print(f"ema: seed {seed} done", flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run, written to /tmp")
    parser.add_argument("--out", default=None, help=f"JSON file (default {OUT})")
    args = parser.parse_args(argv)
    quick = args.quick
    out = Path(args.out) if args.out else (Path("/tmp/gan_recipes_quick.json") if quick else OUT)
    started = time.perf_counter()
    record = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "commit": commit(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
              "torch": torch.__version__, "python": platform.python_version(), "threads": 1,
              "quick": quick}
    record["machine_speed_before"] = machine_speed()
    record["load_average_before"] = [round(v, 2) for v in os.getloadavg()]
    get_classifier()
    data = load_dataset("digits", 32, "train")
    floor = evaluate(data[0][:1000])           # not used as the floor; the floor comes from evaluate()
    record["fd_floor"] = round(floor["fd_floor"], 2)
    record["fd_floor_roundtrip"] = round(floor["fd_floor_roundtrip"], 2)
    record["recipe_seconds"] = 6 if quick else 30
    record["recipes"] = part_recipes(data, (0,) if quick else (0, 1), record["recipe_seconds"])
    record["ablation_seconds"] = 3 if quick else 15
    record["ablation"] = part_ablation(data, record["ablation_seconds"])
    record["ema_steps"] = 40 if quick else CHAPTER_STEPS
    record["ema"] = part_ema(data, (0,) if quick else (0, 1, 2), record["ema_steps"])
    record["machine_speed_after"] = machine_speed()
    record["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    record["wall_seconds"] = round(time.perf_counter() - started, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} ({record['wall_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
