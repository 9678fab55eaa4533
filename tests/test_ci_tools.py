"""Tests of the build tooling in .ci/: nbval's captured execution, its reuse by the site
build, and the system set-up step that `make test` runs first."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / ".ci"
sys.path.insert(0, str(CI))
from check_build_reused import main as check_reused  # noqa: E402
from nbval_capture import outputs_from_messages  # noqa: E402


def msg(kind, parent="m1", **content):
    return {"msg_type": kind, "content": content, "parent_header": {"msg_id": parent},
            "header": {"msg_type": kind}}


def test_streams_are_merged_and_carriage_returns_applied():
    outs = outputs_from_messages([msg("stream", name="stdout", text="10%\r"),
                                  msg("stream", name="stdout", text="100%\ndone\n")])
    assert len(outs) == 1 and outs[0].text == "100%\ndone\n"


def test_clear_output_wait_clears_at_the_next_output():
    outs = outputs_from_messages([
        msg("display_data", data={"text/plain": "frame 1"}, metadata={}),
        msg("clear_output", wait=True),
        msg("display_data", data={"text/plain": "frame 2"}, metadata={}),
    ])
    assert [o.data["text/plain"] for o in outs] == ["frame 2"]


def test_display_updates_replace_the_displayed_data():
    outs = outputs_from_messages([
        msg("display_data", data={"text/plain": "0 steps"}, metadata={}, transient={"display_id": "d"}),
        msg("update_display_data", data={"text/plain": "500 steps"}, metadata={},
            transient={"display_id": "d"}),
    ])
    assert [o.data["text/plain"] for o in outs] == ["500 steps"]


def test_widget_views_are_dropped_and_errors_kept():
    outs = outputs_from_messages([
        msg("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"},
                                  "text/plain": "HBox()"}, metadata={}),
        msg("execute_result", data={"text/plain": "42"}, metadata={}, execution_count=1),
        msg("error", ename="ValueError", evalue="bad", traceback=["ValueError: bad"]),
    ])
    assert [o.output_type for o in outs] == ["execute_result", "error"]


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# t")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, str(path))
    return path


def _run_nbval(path, cache):
    env = dict(os.environ, PYTHONPATH=str(CI))
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                           "-p", "nbval_capture", "--book-cache", str(cache), str(path)],
                          capture_output=True, text=True, env=env, cwd=path.parent)


@pytest.mark.slow
def test_nbval_run_is_stored_and_recognised_by_the_build_check(tmp_path):
    from jupyter_cache import get_cache

    good = _notebook(tmp_path / "good.ipynb", "print('hello')", "6 * 7")
    cache = tmp_path / "cache"
    result = _run_nbval(good, cache)
    assert result.returncode == 0, result.stdout + result.stderr
    record = get_cache(str(cache)).match_cache_notebook(nbformat.read(str(good), as_version=4))
    assert record.data["executed_by"] == "nbval"
    executed = get_cache(str(cache)).get_cache_bundle(record.pk).nb
    outputs = [c.outputs for c in executed.cells if c.cell_type == "code"]
    assert outputs[0][0].text == "hello\n"
    assert outputs[1][0].data["text/plain"] == "42"
    assert check_reused(str(cache), [str(good)]) == 0
    # A notebook whose code changed has no nbval execution: the check must fail.
    changed = _notebook(tmp_path / "changed.ipynb", "print('hello')", "6 * 8")
    assert check_reused(str(cache), [str(changed)]) == 1


@pytest.mark.slow
def test_a_raising_cell_fails_and_stores_nothing(tmp_path):
    from jupyter_cache import get_cache

    bad = _notebook(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('on purpose')")
    cache = tmp_path / "cache"
    result = _run_nbval(bad, cache)
    assert result.returncode != 0
    assert "on purpose" in result.stdout
    assert get_cache(str(cache)).list_cache_records() == []


def _tool_dir(tmp_path, *names):
    """A PATH folder holding only the named commands (links to the real ones)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("bash", "grep", "ls", "date", "cat", "true") + names:
        real = shutil.which(name)
        if real:
            (bin_dir / name).symlink_to(real)
    return bin_dir


def test_setup_stops_at_once_without_apt_get(tmp_path):
    bin_dir = _tool_dir(tmp_path, "id")
    result = subprocess.run(["bash", str(CI / "setup_system.sh"), "npm"], capture_output=True, text=True,
                            env={"PATH": str(bin_dir)}, timeout=20)
    assert result.returncode == 1
    assert "Missing: npm" in result.stderr and "no apt-get" in result.stderr


def test_setup_prints_the_exact_command_when_it_cannot_install(tmp_path):
    bin_dir = _tool_dir(tmp_path)
    for name, body in {"apt-get": "exit 100", "id": "echo 1000"}.items():   # not root, no sudo
        script = bin_dir / name
        script.write_text(f"#!{shutil.which('bash')}\n{body}\n")
        script.chmod(0o755)
    result = subprocess.run(["bash", str(CI / "setup_system.sh"), "npm"], capture_output=True,
                            text=True, env={"PATH": str(bin_dir)}, timeout=20)
    assert result.returncode == 1
    assert "sudo sh -c 'apt-get update && apt-get install -y npm'" in result.stderr


def test_setup_passes_when_nothing_is_missing(tmp_path):
    bin_dir = _tool_dir(tmp_path)
    fake_npm = bin_dir / "npm"
    fake_npm.write_text(f"#!{shutil.which('bash')}\necho 11\n")
    fake_npm.chmod(0o755)
    result = subprocess.run(["bash", str(CI / "setup_system.sh"), "npm"], capture_output=True, text=True,
                            env={"PATH": str(bin_dir)}, timeout=20)
    assert result.returncode == 0, result.stderr


def test_budget_table_normalises_by_the_measured_speed(tmp_path, monkeypatch):
    import run_notebooks

    speeds = iter([20.0, 30.0])
    monkeypatch.setattr(run_notebooks, "probe_speed", lambda: next(speeds))

    class Done:
        returncode = 0

    monkeypatch.setattr(run_notebooks.subprocess, "run", lambda *a, **k: Done())
    clock = iter([0.0, 100.0])
    monkeypatch.setattr(run_notebooks.time, "perf_counter", lambda: next(clock))
    out = tmp_path / "times.json"
    assert run_notebooks.main(["--json", str(out), "book/01_cnn_basics.ipynb"]) == 0
    table = json.loads(out.read_text())
    assert table["steps_per_second"] == pytest.approx(25.0)
    assert table["rows"][0]["normalised"] == pytest.approx(100.0 * 25.0 / 40.0)


def test_setup_finds_the_cjk_font_in_a_long_font_list(tmp_path):
    """fc-list's output is long: the check must not trip over SIGPIPE under pipefail."""
    bin_dir = _tool_dir(tmp_path)
    fc_list = bin_dir / "fc-list"
    fc_list.write_text(f"#!{shutil.which('bash')}\necho 'Noto Sans CJK SC'\n"
                       "for i in $(seq 1 20000); do echo \"Some Font $i\"; done\n")
    fc_list.chmod(0o755)
    (bin_dir / "seq").symlink_to(shutil.which("seq"))
    result = subprocess.run(["bash", str(CI / "setup_system.sh"), "fonts-noto-cjk"], capture_output=True,
                            text=True, env={"PATH": str(bin_dir)}, timeout=20)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", "it tried to install a font that is there"


def _requirements(path):
    from packaging.requirements import Requirement

    lines = [line.split(" #")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [Requirement(line) for line in lines if line and not line.startswith("#")]


def test_requirements_name_no_platform_only_package():
    names = [r.name.lower() for r in _requirements(ROOT / "requirements.txt")]
    assert names, "requirements.txt lists nothing"
    platform_only = [n for n in names if n.startswith(("nvidia-", "cuda-", "triton"))]
    assert platform_only == [], f"requirements.txt names platform-only packages: {platform_only}"


def test_the_lock_satisfies_every_direct_requirement():
    """requirements-lock.txt (Linux, Python 3.11) pins a version each range of requirements.txt admits."""
    from packaging.markers import default_environment

    env = dict(default_environment(), sys_platform="linux", platform_system="Linux",
               platform_machine="x86_64", python_version="3.11", python_full_version="3.11.7")
    pins = {}
    for r in _requirements(ROOT / "requirements-lock.txt"):
        (spec,) = list(r.specifier)
        assert spec.operator == "==", f"the lock must pin exact versions: {r}"
        pins[r.name.lower().replace("_", "-")] = spec.version
    for r in _requirements(ROOT / "requirements.txt"):
        if r.marker is not None and not r.marker.evaluate(env):
            continue
        name = r.name.lower().replace("_", "-")
        assert name in pins, f"{r.name} is in requirements.txt but not in requirements-lock.txt (make lock)"
        assert r.specifier.contains(pins[name], prereleases=True), \
            f"the lock pins {r.name}=={pins[name]}, outside requirements.txt's {r.specifier} (make lock)"
