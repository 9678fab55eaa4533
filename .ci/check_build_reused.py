"""Fail unless the site build rendered every notebook from the execution nbval kept.

`make test` runs each notebook once, under nbval, and keeps that execution in the
jupyter-cache (``nbval_capture.py``); the build must then render it, not execute the
notebook again. A notebook the build executed itself has a cache record without the
``executed_by: nbval`` mark (or none at all, if it failed).

    python .ci/check_build_reused.py _build/.jupyter_cache book/*.ipynb
"""
import sys

import nbformat
from jupyter_cache import get_cache


def main(cache_dir, paths):
    cache = get_cache(cache_dir)
    bad = []
    for path in paths:
        try:
            record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            record = None
        if record is None or record.data.get("executed_by") != "nbval":
            bad.append(path)
    if bad:
        print("the site build executed these notebooks again instead of rendering nbval's run: "
              + ", ".join(bad), file=sys.stderr)
        return 1
    print(f"the site shows nbval's execution of all {len(paths)} notebooks (none executed twice)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
