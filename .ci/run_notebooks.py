"""Run every notebook top to bottom with nbval and print how long each took.

A failing cell in any notebook makes the exit status non-zero.
"""
import subprocess
import sys
import time


def main(paths):
    if not paths:
        print("no notebooks given", file=sys.stderr)
        return 1
    rows, failed = [], []
    for path in paths:
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q",
                                 "-p", "no:cacheprovider", "--nbval-cell-timeout=600", path])
        seconds = time.perf_counter() - start
        rows.append((path, seconds, "ok" if result.returncode == 0 else "FAILED"))
        if result.returncode != 0:
            failed.append(path)
    print("\nnotebook execution times (nbval, this machine)")
    print(f"{'notebook':45s} {'seconds':>8s}  result")
    for path, seconds, status in rows:
        print(f"{path:45s} {seconds:8.1f}  {status}")
    print(f"{'total':45s} {sum(r[1] for r in rows):8.1f}")
    if failed:
        print(f"\n{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
