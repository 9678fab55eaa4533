"""Fail when a notebook is stored with outputs or execution counts (run nbstripout)."""
import json
import sys


def dirty_cells(path):
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            yield i


def main(paths):
    if not paths:
        print("no notebooks found in book/", file=sys.stderr)
        return 1
    bad = 0
    for path in paths:
        cells = list(dirty_cells(path))
        if cells:
            bad += 1
            print(f"{path}: code cells {cells} are stored with outputs; "
                  f"run `.venv/bin/nbstripout {path}` and commit again", file=sys.stderr)
    print(f"{len(paths) - bad} of {len(paths)} notebooks stored clean")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
