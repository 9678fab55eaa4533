"""The setup cell every notebook starts with, and the logic it runs.

In Colab or a bare Jupyter the package ``helpers`` is not importable; the
first cell then installs the book's repository with pip. Locally (after
``pip install -e .``) it does nothing. The cell text is generated from
``SETUP_CELL_TEMPLATE`` with the repository URL of ``_config.yml``, so the
URL is kept in one place; ``tests/test_notebooks.py`` checks every notebook.

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
                           "git+" + BOOK_REPO])'''


def setup_cell_source(repo_url: str) -> str:
    """The text of the first code cell of every notebook.

    >>> setup_cell_source("https://x.org/r").splitlines()[3]
    'BOOK_REPO = "https://x.org/r"'
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
