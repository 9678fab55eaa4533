"""The setup cell every notebook starts with, and the logic it runs.

In Colab or a bare Jupyter the package ``helpers`` is not importable; the
first cell then installs the book's repository with pip. Locally (after
``pip install -e .``) it installs nothing. Either way it then calls
:func:`helpers.device.configure_threads` before anything imports torch (the
only moment its wait policy can take effect). The cell text is generated from
``SETUP_CELL_TEMPLATE`` with the repository URL of ``_config.yml``, so the
URL is kept in one place; ``tests/test_notebooks.py`` checks every notebook.

On the website the cell is folded: it carries the tag ``SETUP_CELL_TAG``
(``hide-input``), so a reader sees one line, "Show the setup cell (...)"
(``SETUP_CELL_PROMPTS``), instead of plumbing, and can still open it to see
what Colab runs. Colab ignores the tag.
A new chapter gets the cell (text and tag) with::

    python -m helpers.bootstrap book/06_new_chapter.ipynb

>>> 'BOOK_REPO = "https://example.org/book"' in setup_cell_source("https://example.org/book")
True
"""

from __future__ import annotations

import re
from pathlib import Path

SETUP_CELL_TEMPLATE = '''\
# Setup: in Colab or a bare Jupyter, install the book's `helpers` package first.
import importlib.util, subprocess, sys
# BOOK_REPO is repository.url in _config.yml
BOOK_REPO = "{url}"
if importlib.util.find_spec("helpers") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q",
                           "git+" + BOOK_REPO])
    importlib.invalidate_caches()
# Before torch loads: idle CPU threads sleep, and the small models run on
# one thread (why: help(configure_threads)).
from helpers.device import configure_threads
configure_threads()'''

#: The cell tag that folds the setup cell's code on the website (Jupyter Book's hide-input).
SETUP_CELL_TAG = "hide-input"
#: The folded cell's toggle text (myst-nb cell options), instead of "Show code cell source".
SETUP_CELL_PROMPTS = {"code_prompt_show": "Show the setup cell (Colab install, CPU threads)",
                      "code_prompt_hide": "Hide the setup cell"}


def setup_cell_source(repo_url: str) -> str:
    """The text of the first code cell of every notebook.

    >>> setup_cell_source("https://x.org/r").splitlines()[3]
    'BOOK_REPO = "https://x.org/r"'
    >>> max(len(line) for line in setup_cell_source("https://x.org/r").splitlines()) <= 84
    True
    """
    if not re.fullmatch(r"https://[\w.-]+(/[\w.-]+)+", repo_url):
        raise ValueError(f"repo_url must be an https URL of a repository, got {repo_url!r}")
    return SETUP_CELL_TEMPLATE.format(url=repo_url)


def repository_url(config_path: str | Path = "_config.yml") -> str:
    """``repository.url`` from the book's ``_config.yml``."""
    import yaml

    path = Path(config_path)
    if not path.is_file():
        raise FileNotFoundError(f"no book configuration at {path}; run from the repository root")
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return config["repository"]["url"]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path} has no repository.url") from exc


def apply_setup_cell(notebook: dict, source: str) -> bool:
    """Make the first code cell of ``notebook`` (a JSON dict) the setup cell; True if it changed.

    Sets the cell's text to ``source``, adds ``SETUP_CELL_TAG`` to its tags and
    ``SETUP_CELL_PROMPTS`` to its ``mystnb`` options (keeping other tags, options
    and the cell id). A notebook whose first code cell is
    not a setup cell (it does not start with the template's first line) is refused.

    >>> nb = {"cells": [{"cell_type": "markdown", "source": "# T", "metadata": {}},
    ...                 {"cell_type": "code", "source": "# Setup: old", "metadata": {}}]}
    >>> apply_setup_cell(nb, setup_cell_source("https://x.org/r"))
    True
    >>> nb["cells"][1]["metadata"]["tags"]
    ['hide-input']
    >>> apply_setup_cell(nb, setup_cell_source("https://x.org/r"))
    False
    """
    codes = [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    if not codes:
        raise ValueError("the notebook has no code cell to make the setup cell")
    cell = codes[0]
    old = "".join(cell.get("source", ""))
    first_line = SETUP_CELL_TEMPLATE.splitlines()[0].split(":")[0]  # "# Setup"
    if not old.startswith(first_line):
        raise ValueError(f"the first code cell does not start with {first_line!r}; add an empty "
                         f"cell '{first_line}' before the first code cell, then run this again")
    metadata = cell.setdefault("metadata", {})
    tags = list(metadata.get("tags", []))
    options = dict(metadata.get("mystnb", {}))
    changed = (old != source or SETUP_CELL_TAG not in tags
               or any(options.get(k) != v for k, v in SETUP_CELL_PROMPTS.items()))
    cell["source"] = source
    if SETUP_CELL_TAG not in tags:
        metadata["tags"] = tags + [SETUP_CELL_TAG]
    metadata["mystnb"] = {**options, **SETUP_CELL_PROMPTS}
    return changed


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.bootstrap NOTEBOOK...``: write the setup cell into each notebook."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Write the book's setup cell (text and tag) into "
                                     "the first code cell of each notebook.")
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--config", default="_config.yml", help="the book's _config.yml")
    args = parser.parse_args(argv)
    source = setup_cell_source(repository_url(args.config))
    for name in args.notebooks:
        path = Path(name)
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if apply_setup_cell(notebook, source):
            for cell in notebook["cells"]:     # on disk, as nbformat writes it: a list of lines
                if isinstance(cell.get("source"), str):
                    cell["source"] = cell["source"].splitlines(keepends=True)
            path.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"{path}: setup cell written")
        else:
            print(f"{path}: setup cell already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
