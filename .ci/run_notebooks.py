"""Run every notebook top to bottom with nbval; print each one's time, raw and speed-normalised.

    python .ci/run_notebooks.py [--cache DIR] book/*.ipynb

* A raising cell in any notebook makes the exit status non-zero.
* With ``--cache DIR`` the executions are kept in the jupyter-cache DIR (see
  ``nbval_capture.py``), and the site build renders them instead of running the
  notebooks again.
* The machine's speed (the fast GAN recipe's steps/s, ``machine_speed.py``) is measured
  before the first notebook and after the last, in this run, and each time is also
  given normalised to a machine running 40 steps/s: t x (speed / 40). The budgets are
  in normalised seconds: at most 90 per notebook (120 for chapter 04), 240 in all.
  Going over a budget is reported, and fails the run when ``BOOK_BUDGET=strict``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUDGET_TOTAL = 240.0
BUDGET_DEFAULT = 90.0
BUDGETS = {"04_gan_training.ipynb": 120.0}


def probe_speed() -> float | None:
    result = subprocess.run([sys.executable, str(HERE / "machine_speed.py"), "--steps", "100"],
                            capture_output=True, text=True)
    print(result.stdout.strip() or result.stderr.strip()[-500:])
    if result.returncode != 0:
        return None
    return float(result.stdout.split("machine speed:")[1].split("steps/s")[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", help="jupyter-cache folder to keep the executions in")
    parser.add_argument("--json", help="write the table to this JSON file")
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)
    if not args.notebooks:
        print("no notebooks given", file=sys.stderr)
        return 1
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    speeds = [probe_speed()]
    rows, failed = [], []
    for path in args.notebooks:
        command = [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                   "--nbval-cell-timeout=600", path]
        if args.cache:
            command[3:3] = ["-p", "nbval_capture", "--book-cache", args.cache]
        start = time.perf_counter()
        result = subprocess.run(command, env=env)
        seconds = time.perf_counter() - start
        rows.append({"notebook": path, "seconds": seconds, "ok": result.returncode == 0})
        if result.returncode != 0:
            failed.append(path)
    speeds.append(probe_speed())
    known = [s for s in speeds if s]
    speed = sum(known) / len(known) if known else None
    factor = speed / 40.0 if speed else None

    print("\nnotebook execution times (nbval, this machine, this run)")
    if speed:
        print(f"machine speed: {speed:.1f} steps/s (fast GAN recipe; before {speeds[0] or float('nan'):.1f}, "
              f"after {speeds[1] or float('nan'):.1f}); normalised = seconds x ({speed:.1f} / 40)")
    print(f"{'notebook':42s} {'seconds':>8s} {'normalised':>10s} {'budget':>7s}  result")
    over = []
    for row in rows:
        name = Path(row["notebook"]).name
        budget = BUDGETS.get(name, BUDGET_DEFAULT)
        norm = row["seconds"] * factor if factor else float("nan")
        row.update(normalised=norm, budget=budget)
        flag = "" if not factor or norm <= budget else "  OVER BUDGET"
        if flag:
            over.append(name)
        print(f"{row['notebook']:42s} {row['seconds']:8.1f} {norm:10.1f} {budget:7.0f}  "
              f"{'ok' if row['ok'] else 'FAILED'}{flag}")
    total = sum(r["seconds"] for r in rows)
    total_norm = total * factor if factor else float("nan")
    if factor and total_norm > BUDGET_TOTAL:
        over.append("the whole book")
    print(f"{'total':42s} {total:8.1f} {total_norm:10.1f} {BUDGET_TOTAL:7.0f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"steps_per_second": speed, "speeds": speeds, "rows": rows,
                                               "total_seconds": total, "total_normalised": total_norm},
                                              indent=1))
    status = 0
    if over:
        print(f"\nover the execution budget: {', '.join(over)}", file=sys.stderr)
        if os.environ.get("BOOK_BUDGET") == "strict":
            status = 1
    if failed:
        print(f"\n{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
