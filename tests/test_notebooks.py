"""Static checks of the notebooks: setup cell, clean storage, Colab bootstrap logic."""
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from helpers.bootstrap import repository_url, setup_cell_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / ".ci"))
from check_clean_notebooks import dirty_cells  # noqa: E402


def code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_setup_cell(path):
    expected = setup_cell_source(repository_url(ROOT / "_config.yml"))
    assert code_cells(path)[0] == expected, (
        f"{path.name}: the first code cell must be helpers.bootstrap.setup_cell_source(...) "
        f"with the URL of _config.yml"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    assert list(dirty_cells(path)) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_hard_coded_device(path):
    for source in code_cells(path):
        for bad in ('"cuda"', "'cuda'", ".cuda()", 'device="cpu"', "device='cpu'"):
            assert bad not in source, f"{path.name} hard-codes a device ({bad}); use get_device()"


def test_clean_check_flags_outputs(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": "1", "metadata": {}, "execution_count": 3,
                     "outputs": [{"output_type": "execute_result", "data": {"text/plain": "1"},
                                  "metadata": {}, "execution_count": 3}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "dirty.ipynb"
    path.write_text(json.dumps(nb))
    result = subprocess.run([sys.executable, str(ROOT / ".ci/check_clean_notebooks.py"), str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "stored with outputs" in result.stderr


def _run_setup_cell(helpers_importable):
    """Execute the real setup cell with a fake importlib/subprocess; return the pip calls."""
    calls = []
    fake_util = types.SimpleNamespace(
        find_spec=lambda name: (object() if helpers_importable else None) if name == "helpers" else None)
    fake_importlib = types.SimpleNamespace(util=fake_util)
    fake_subprocess = types.SimpleNamespace(check_call=lambda cmd: calls.append(cmd))
    source = setup_cell_source(repository_url(ROOT / "_config.yml"))
    # the cell's own import line is replaced by the fakes (everything else runs as written)
    body = source.replace("import importlib.util, subprocess, sys",
                          "importlib, subprocess = _importlib, _subprocess")
    assert body != source
    exec(body, {"_importlib": fake_importlib, "_subprocess": fake_subprocess, "sys": sys})
    return calls


def test_setup_cell_installs_only_when_helpers_is_missing():
    assert _run_setup_cell(helpers_importable=True) == []
    calls = _run_setup_cell(helpers_importable=False)
    url = repository_url(ROOT / "_config.yml")
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", "git+" + url]]


def test_setup_cell_rejects_a_bad_url():
    with pytest.raises(ValueError, match="https URL"):
        setup_cell_source("git@github.com:x/y.git")


def test_repository_url_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no book configuration"):
        repository_url(tmp_path / "_config.yml")
    (tmp_path / "_config.yml").write_text("title: x\n")
    with pytest.raises(ValueError, match="repository.url"):
        repository_url(tmp_path / "_config.yml")
