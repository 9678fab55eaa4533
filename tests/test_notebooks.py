"""Static checks of the notebooks: setup cell, clean storage, Colab bootstrap logic."""
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from helpers.bootstrap import SETUP_CELL_PROMPTS, SETUP_CELL_TAG, apply_setup_cell, main as bootstrap_main, repository_url, setup_cell_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / ".ci"))
from check_clean_notebooks import dirty_cells  # noqa: E402


def code_cells(path, with_metadata=False):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if with_metadata:
        return cells
    return ["".join(c["source"]) for c in cells]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_setup_cell(path):
    expected = setup_cell_source(repository_url(ROOT / "_config.yml"))
    assert code_cells(path)[0] == expected, (
        f"{path.name}: the first code cell must be helpers.bootstrap.setup_cell_source(...) "
        f"with the URL of _config.yml (write it with: python -m helpers.bootstrap {path.name})"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_is_folded_on_the_site_and_only_it(path):
    tags = [c.get("metadata", {}).get("tags", []) for c in code_cells(path, with_metadata=True)]
    assert SETUP_CELL_TAG == "hide-input"
    assert SETUP_CELL_TAG in tags[0], (
        f"{path.name}: the setup cell needs the tag {SETUP_CELL_TAG!r} (python -m helpers.bootstrap)")
    # folded, not removed: a reader can still open it and see what Colab runs
    assert not {"remove-input", "remove-cell", "hide-cell"} & set(tags[0]), tags[0]
    assert not any(SETUP_CELL_TAG in t for t in tags[1:]), "only the setup cell is folded this way"
    options = code_cells(path, with_metadata=True)[0]["metadata"].get("mystnb", {})
    assert {k: options.get(k) for k in SETUP_CELL_PROMPTS} == SETUP_CELL_PROMPTS
    assert SETUP_CELL_PROMPTS["code_prompt_show"].startswith("Show the setup cell")


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


def _run_setup_cell(helpers_importable, monkeypatch):
    """Execute the real setup cell with a fake importlib/subprocess; return what it called."""
    import helpers.device

    calls = []
    fake_util = types.SimpleNamespace(
        find_spec=lambda name: (object() if helpers_importable else None) if name == "helpers" else None)
    fake_importlib = types.SimpleNamespace(util=fake_util,
                                           invalidate_caches=lambda: calls.append("invalidate_caches"))
    fake_subprocess = types.SimpleNamespace(check_call=lambda cmd: calls.append(cmd))
    monkeypatch.setattr(helpers.device, "configure_threads", lambda *a, **k: calls.append(("threads", a, k)))
    source = setup_cell_source(repository_url(ROOT / "_config.yml"))
    # the cell's own import line is replaced by the fakes (everything else runs as written)
    body = source.replace("import importlib.util, subprocess, sys",
                          "importlib, subprocess = _importlib, _subprocess")
    assert body != source
    exec(body, {"_importlib": fake_importlib, "_subprocess": fake_subprocess, "sys": sys})
    return calls


def test_setup_cell_installs_only_when_helpers_is_missing_and_then_sets_up_threads(monkeypatch):
    threads = ("threads", (), {})
    assert _run_setup_cell(True, monkeypatch) == [threads]
    calls = _run_setup_cell(False, monkeypatch)
    url = repository_url(ROOT / "_config.yml")
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", "git+" + url], "invalidate_caches",
                     threads]


def test_setup_cell_imports_no_torch_before_configure_threads():
    """configure_threads must run before torch loads (helpers.device itself does not load it:
    tests/test_device.py); the cell imports nothing else that could."""
    source = setup_cell_source(repository_url(ROOT / "_config.yml"))
    before, call, after = source.partition("configure_threads()")
    assert call and after == ""
    code = [line for line in before.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if "torch" in line]
    imports = [line for line in code if line.strip().startswith(("import ", "from "))]
    assert imports == ["import importlib.util, subprocess, sys",
                       "from helpers.device import configure_threads"]


def test_bootstrap_writes_the_setup_cell_and_tag_into_a_notebook(tmp_path, capsys):
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://example.org/r\n")
    nb = {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Title"},
                    {"cell_type": "code", "id": "s", "metadata": {"tags": ["keep-me"]}, "source": "# Setup",
                     "outputs": [], "execution_count": None},
                    {"cell_type": "code", "id": "c", "metadata": {}, "source": "x = 1", "outputs": [],
                     "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "new.ipynb"
    path.write_text(json.dumps(nb))
    assert bootstrap_main([str(path), "--config", str(tmp_path / "_config.yml")]) == 0
    assert "setup cell written" in capsys.readouterr().out
    cells = json.loads(path.read_text())["cells"]
    assert "".join(cells[1]["source"]) == setup_cell_source("https://example.org/r")
    assert cells[1]["metadata"]["tags"] == ["keep-me", SETUP_CELL_TAG] and cells[1]["id"] == "s"
    assert cells[1]["metadata"]["mystnb"] == SETUP_CELL_PROMPTS
    assert "".join(cells[0]["source"]) == "# Title" and "".join(cells[2]["source"]) == "x = 1"  # untouched
    assert bootstrap_main([str(path), "--config", str(tmp_path / "_config.yml")]) == 0
    assert "already up to date" in capsys.readouterr().out
    with pytest.raises(ValueError, match="does not start with '# Setup'"):
        apply_setup_cell({"cells": [{"cell_type": "code", "source": "import torch", "metadata": {}}]}, "x")
    with pytest.raises(ValueError, match="no code cell"):
        apply_setup_cell({"cells": []}, "x")


def test_setup_cell_rejects_a_bad_url():
    with pytest.raises(ValueError, match="https URL"):
        setup_cell_source("git@github.com:x/y.git")


def test_repository_url_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no book configuration"):
        repository_url(tmp_path / "_config.yml")
    (tmp_path / "_config.yml").write_text("title: x\n")
    with pytest.raises(ValueError, match="repository.url"):
        repository_url(tmp_path / "_config.yml")
