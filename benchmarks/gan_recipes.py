"""Chapter 04's benchmark: the tutorial DCGAN recipe against the book's fast recipe, side by side.

    python benchmarks/gan_recipes.py                      # 2 seeds, 120 s of training per recipe
    python benchmarks/gan_recipes.py --seeds 0 --seconds 60
    python benchmarks/gan_recipes.py --ablation           # the fast recipe minus one ingredient at a time

All runs of one seed train *interleaved* in one process — a slice of a
couple of seconds for each run in turn — so that a machine whose load
changes (a shared CPU) slows every run alike; only training time is
counted, not the evaluations. Snapshots of each sampling generator are
taken at fixed training times and evaluated at the end with
``helpers.metrics.evaluate`` (1,000 samples against the test digits).

Printed: a table (recipe, steps/s, metric at 10/30/60/120 s), the time the
fast recipe needs to reach the tutorial recipe's 120-s Fréchet distance
(and the speed-up that implies), and the chapter's targets for the fast
recipe at 60 s (median over seeds): 10/10 classes, precision and recall
≥ 0.7, FD ≤ 1.5 × the floor of bicubic-upsampled real train digits.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle threads sleep (measured ~4× faster under load)

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from helpers.gan import build, build_models, fit, load_dataset, recipe_config, sample  # noqa: E402
from helpers.metrics import evaluate, get_classifier  # noqa: E402

MARKS = (10, 30, 60, 120)

#: The ablation: the fast recipe with one ingredient changed back to the tutorial's choice.
ABLATIONS = {
    "fast": {},
    "− spectral norm (BN in D)": dict(spectral=False, d_norm="batch"),
    "− hinge (BCE loss)": dict(loss="bce"),
    "− β1 = 0 (β1 = 0.5)": dict(beta1=0.5, beta2=0.999),
    "− high lr (2e-4)": dict(lr_g=2e-4, lr_d=2e-4),
    "− small widths (64)": dict(g_width=64, d_width=64, latent_dim=100),
    "− channels_last": dict(channels_last=False),
    "− batch 64 (128)": dict(batch_size=128),
}


def snapshot_times(limit: float, fine: bool) -> list[float]:
    if not fine:
        return [float(t) for t in MARKS if t <= limit]
    times = list(range(1, 31)) + list(range(35, int(limit) + 1, 5))
    return sorted({float(t) for t in times if t <= limit} | {float(t) for t in MARKS if t <= limit})


class Run:
    def __init__(self, name, config, limit, fine):
        self.name, self.config = name, config
        self.state = build(config, device="cpu")
        self.times = snapshot_times(limit, fine)
        self.limit = limit
        self.snapshots = {}          # time → (sampler state_dict, raw generator state_dict, step)

    @property
    def done(self):
        return self.state.train_seconds >= self.limit

    def advance(self, data, slice_s):
        nxt = next((t for t in self.times if t not in self.snapshots), self.limit)
        fit(self.state, data, seconds=max(min(slice_s, nxt - self.state.train_seconds), 1e-3), progress=False)
        for t in self.times:
            if t not in self.snapshots and self.state.train_seconds >= t:
                self.snapshots[t] = (copy.deepcopy(self.state.sampler.state_dict()),
                                     copy.deepcopy(self.state.generator.state_dict()), self.state.step)

    def evaluate(self, raw=False):
        G, _ = build_models(self.config)
        out = {}
        for t, (ema_sd, raw_sd, step) in sorted(self.snapshots.items()):
            G.load_state_dict(raw_sd if raw else ema_sd)
            m = evaluate(sample(G, 1000, seed=0))
            out[t] = dict(step=step, fd=m["fd"], floor=m["fd_floor"], classes=m["classes_covered"],
                          precision=m["precision"], recall=m["recall"])
        return out


def train_interleaved(runs, data, slice_s):
    from tqdm.auto import tqdm

    total = sum(r.limit for r in runs)
    bar = tqdm(total=total, unit="s", desc="training (interleaved)",
               bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}]")
    while not all(r.done for r in runs):
        for r in runs:
            if not r.done:
                before = r.state.train_seconds
                r.advance(data, slice_s)
                bar.update(min(r.state.train_seconds - before, max(total - bar.n, 0.0)))
    bar.close()


def fmt(m):
    return f"{m['fd']:7.1f} ({m['classes']:2d}, {m['precision']:.2f}/{m['recall']:.2f})"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="0,1", help="comma-separated seeds (default 0,1)")
    p.add_argument("--seconds", type=float, default=120.0, help="training seconds per recipe (default 120)")
    p.add_argument("--slice", type=float, default=2.0, help="seconds per turn when interleaving")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--ablation", action="store_true", help="run the ablation table instead (60 s each)")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    with open("/proc/loadavg") if Path("/proc/loadavg").exists() else open(os.devnull) as f:
        load_before = f.read().split()[:3]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; "
          f"load average before: {' '.join(load_before) or 'n/a'}")
    model, accuracy = get_classifier()
    print(f"metric: digit classifier test accuracy {accuracy:.3f}; FD/classes/precision/recall on "
          f"1000 samples (EMA generator where there is one)")
    data = load_dataset("digits", 32)
    results = {"seeds": seeds, "runs": {}}
    t_start = time.time()
    if args.ablation:
        limit = min(args.seconds, 60.0)
        for seed in seeds:
            runs = [Run(name, recipe_config("fast", seed=seed, **over), limit, fine=False)
                    for name, over in ABLATIONS.items()]
            train_interleaved(runs, data, args.slice)
            for r in runs:
                results["runs"].setdefault(r.name, []).append(
                    {"steps_per_s": r.state.step / r.state.train_seconds, "marks": r.evaluate()})
            fast = runs[0]
            results["runs"].setdefault("− EMA (raw generator)", []).append(
                {"steps_per_s": fast.state.step / fast.state.train_seconds, "marks": fast.evaluate(raw=True)})
        print_table(results, [t for t in MARKS if t <= limit], seeds)
    else:
        for seed in seeds:
            runs = [Run("tutorial", recipe_config("tutorial", seed=seed), args.seconds, fine=False),
                    Run("fast", recipe_config("fast", seed=seed), args.seconds, fine=True)]
            train_interleaved(runs, data, args.slice)
            for r in runs:
                results["runs"].setdefault(r.name, []).append(
                    {"steps_per_s": r.state.step / r.state.train_seconds, "marks": r.evaluate()})
        print_table(results, [t for t in MARKS if t <= args.seconds], seeds)
        print_speedup(results, seeds, args.seconds)
        print_targets(results, seeds)
    with open("/proc/loadavg") if Path("/proc/loadavg").exists() else open(os.devnull) as f:
        load_after = f.read().split()[:3]
    print(f"wall time {time.time() - t_start:.0f} s; load average after: {' '.join(load_after) or 'n/a'}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))


def print_table(results, marks, seeds):
    print()
    print("metric at t s of training: FD (classes ≥5 %, precision/recall); lower FD is better")
    head = f"| {'recipe':28s} | seed | steps/s | " + " | ".join(f"{f'{t} s':>29s}" for t in marks) + " |"
    print(head)
    print("|" + "---|" * (3 + len(marks)))
    for name, per_seed in results["runs"].items():
        for seed, r in zip(seeds, per_seed):
            cells = [fmt(r["marks"][float(t)]) if float(t) in r["marks"] else "—" for t in marks]
            print(f"| {name:28s} | {seed:4d} | {r['steps_per_s']:7.1f} | " + " | ".join(f"{c:>29s}" for c in cells) + " |")
    any_run = next(iter(results["runs"].values()))[0]["marks"]
    floor = next(iter(any_run.values()))["floor"]
    print(f"FD floor (bicubic-upsampled real train digits, 1000 of them): {floor:.1f}")


def print_speedup(results, seeds, limit):
    print()
    for i, seed in enumerate(seeds):
        tut = results["runs"]["tutorial"][i]["marks"]
        fast = results["runs"]["fast"][i]["marks"]
        t_end = max(tut)
        goal = tut[t_end]["fd"]
        reach = next((t for t, m in sorted(fast.items()) if m["fd"] <= goal), None)
        if reach is None:
            print(f"seed {seed}: the fast recipe did not reach the tutorial's {t_end:.0f}-s FD {goal:.1f} "
                  f"within {limit:.0f} s")
        else:
            print(f"seed {seed}: tutorial FD after {t_end:.0f} s = {goal:.1f}; the fast recipe reached it after "
                  f"{reach:.0f} s (first snapshot at or below it; snapshots every 1 s up to 30 s) "
                  f"→ at least {t_end / reach:.1f}× faster")
        results.setdefault("speedup", []).append(None if reach is None else t_end / reach)


def print_targets(results, seeds):
    at = 60.0
    rows = [r["marks"].get(at) for r in results["runs"]["fast"]]
    if any(m is None for m in rows):
        return
    med = {k: statistics.median(m[k] for m in rows) for k in ("fd", "floor", "classes", "precision", "recall")}
    print()
    print(f"targets for the fast recipe at {at:.0f} s (median of {len(rows)} seed(s)):")
    checks = [
        ("10/10 classes", med["classes"] >= 10, f"{med['classes']:.0f}/10"),
        ("precision ≥ 0.7", med["precision"] >= 0.7, f"{med['precision']:.3f}"),
        ("recall ≥ 0.7", med["recall"] >= 0.7, f"{med['recall']:.3f}"),
        ("FD ≤ 1.5 × floor", med["fd"] <= 1.5 * med["floor"],
         f"{med['fd']:.1f} vs 1.5 × {med['floor']:.1f} = {1.5 * med['floor']:.1f} (ratio {med['fd'] / med['floor']:.2f})"),
    ]
    for name, ok, value in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {name}: {value}")
    sp = [s for s in results.get("speedup", []) if s is not None]
    if sp:
        print(f"  {'PASS' if statistics.median(sp) >= 10 else 'MISS'}  ≥ 10× faster to the tutorial's "
              f"120-s quality: median {statistics.median(sp):.1f}×")


if __name__ == "__main__":
    main()
