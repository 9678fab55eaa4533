"""When does OMP_WAIT_POLICY take effect? The measurement quoted in helpers.device.configure_threads.

    python benchmarks/omp_wait_policy.py        # four fresh processes, about 15 s in all

Each process sets ``OMP_WAIT_POLICY`` (``ACTIVE`` or ``PASSIVE``) either *before* or
*after* ``import torch``, runs twenty 2-thread matrix products, and after each one
sleeps 50 ms while measuring the CPU time the process burns meanwhile: that is the
OpenMP worker thread waiting for more work. If the variable only counts when torch
loads OpenMP, the two "after" rows match a run with no setting at all.
"""
from __future__ import annotations

import os
import subprocess
import sys

PROBE = r"""
import os, resource, sys, time
when, policy = sys.argv[1], sys.argv[2]
if when == "before" and policy != "unset":
    os.environ["OMP_WAIT_POLICY"] = policy
import torch
if when == "after" and policy != "unset":
    os.environ["OMP_WAIT_POLICY"] = policy
torch.set_num_threads(2)
x = torch.rand(2000, 2000)
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
idle = 0.0
for _ in range(20):
    (x @ x).sum()                      # a parallel region: the worker thread runs, then waits
    c = cpu(); time.sleep(0.05); idle += cpu() - c
print(f"{idle:.3f}")
"""


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    print("OMP_WAIT_POLICY set ...          CPU s burnt while the main thread slept 1 s")
    for when, policy in (("before", "ACTIVE"), ("before", "PASSIVE"), ("after", "ACTIVE"),
                         ("after", "PASSIVE"), ("never", "unset")):
        out = subprocess.run([sys.executable, "-c", PROBE, when, policy], env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
        label = "not at all" if policy == "unset" else f"{policy} {when} import torch"
        print(f"  {label:30s} {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
