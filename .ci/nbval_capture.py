"""A pytest plugin: keep what nbval executed, so the site is built from that execution.

nbval runs every code cell of a notebook in a kernel and fails on a raising cell, but
throws the outputs away. With this plugin (``-p nbval_capture --book-cache DIR``) every
iopub message of each cell is recorded as nbval reads it, turned into notebook outputs
the way a Jupyter front end would (streams merged, ``clear_output`` and display
updates applied), and, when every cell of the notebook passed, the executed notebook is
stored in the jupyter-cache at DIR. `jupyter-book build` with ``execute_notebooks:
cache`` then finds it (the cache matches a notebook by its code) and renders those
outputs instead of executing the notebook a second time.

Progress-bar widgets (``tqdm.auto`` in Jupyter) are dropped: their state lives in the
kernel, so a static page could show only an empty widget.
"""
from __future__ import annotations

import copy
import time
from pathlib import Path

import nbformat
import pytest

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CAPTURED_BY = "nbval"


def pytest_addoption(parser):
    parser.addoption("--book-cache", default=None,
                     help="jupyter-cache folder to store the executed notebooks in")


def _install_recorder():
    """Record every iopub message and the msg_id of each executed cell (class-level patch)."""
    from nbval.kernel import RunningKernel

    if getattr(RunningKernel, "_book_recording", False):
        return
    get_message, execute = RunningKernel.get_message, RunningKernel.execute_cell_input

    def recording_get_message(self, stream, timeout=None):
        msg = get_message(self, stream, timeout=timeout)
        if stream == "iopub":
            self.__dict__.setdefault("_book_messages", []).append(msg)
        return msg

    def recording_execute(self, cell_input, allow_stdin=None):
        msg_id = execute(self, cell_input, allow_stdin=allow_stdin)
        self._book_last_msg_id = msg_id
        return msg_id

    RunningKernel.get_message = recording_get_message
    RunningKernel.execute_cell_input = recording_execute
    RunningKernel._book_recording = True


def outputs_from_messages(messages: list[dict]) -> list:
    """Notebook outputs from the iopub messages of one cell, as a front end shows them."""
    outputs: list = []
    by_display_id: dict[str, list] = {}
    clear_pending = False
    for msg in messages:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "clear_output":
            if content.get("wait"):
                clear_pending = True
            else:
                outputs.clear()
                by_display_id.clear()
            continue
        if kind == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for out in by_display_id.get(display_id, []):
                out["data"], out["metadata"] = content["data"], content["metadata"]
            continue
        if kind not in ("stream", "display_data", "execute_result", "error"):
            continue
        if clear_pending:
            outputs.clear()
            by_display_id.clear()
            clear_pending = False
        out = nbformat.v4.output_from_msg(msg)
        if kind == "stream" and outputs and outputs[-1].output_type == "stream" \
                and outputs[-1].name == out.name:
            outputs[-1].text += out.text
        else:
            outputs.append(out)
        display_id = content.get("transient", {}).get("display_id") if kind != "stream" else None
        if display_id:
            by_display_id.setdefault(display_id, []).append(out)
    kept = []
    for out in outputs:
        if out.output_type == "stream":
            out.text = _apply_control_characters(out.text)
            if not out.text:
                continue
        if out.output_type in ("display_data", "execute_result") and WIDGET_VIEW in out.get("data", {}):
            continue
        kept.append(out)
    return kept


def _apply_control_characters(text: str) -> str:
    """What a terminal shows: a carriage return restarts its line, a backspace deletes."""
    lines = []
    for line in text.split("\n"):
        line = line.rstrip("\r").split("\r")[-1] if "\r" in line else line
        while "\b" in line:
            i = line.index("\b")
            line = line[:max(i - 1, 0)] + line[i + 1:]
        lines.append(line)
    return "\n".join(lines)


class _Capture:
    def __init__(self, cache_dir: str):
        self.cache_dir = cache_dir
        self.notebooks: dict[str, dict] = {}   # path -> {"nb", "outputs", "failed", "start", "end"}

    def _entry(self, item):
        path = str(Path(str(item.parent.fspath)).resolve())
        entry = self.notebooks.get(path)
        if entry is None:
            entry = {"nb": item.parent.nb, "outputs": {}, "failed": False, "start": None, "end": None}
            self.notebooks[path] = entry
        return entry

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        from nbval.plugin import IPyNbCell

        if not isinstance(item, IPyNbCell):
            yield
            return
        entry = self._entry(item)
        kernel = item.parent.kernel
        kernel._book_messages = []
        kernel._book_last_msg_id = None
        entry["start"] = entry["start"] or time.perf_counter()
        outcome = yield
        msg_id = kernel._book_last_msg_id
        messages = [m for m in kernel._book_messages if m["parent_header"].get("msg_id") == msg_id]
        entry["outputs"][id(item.cell)] = outputs_from_messages(messages)
        entry["end"] = time.perf_counter()
        if outcome.excinfo is not None:
            entry["failed"] = True

    def pytest_sessionfinish(self, session, exitstatus):
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn

        cache = get_cache(self.cache_dir)
        for path, entry in self.notebooks.items():
            if entry["failed"] or exitstatus != 0:
                print(f"\nnbval_capture: {path} failed; nothing stored in the cache")
                continue
            nb = copy.deepcopy(entry["nb"])
            count = 0
            for cell, original in zip(nb.cells, entry["nb"].cells):
                if cell.cell_type != "code":
                    continue
                count += 1
                cell.outputs = entry["outputs"].get(id(original), [])
                cell.execution_count = count
            seconds = (entry["end"] or 0) - (entry["start"] or 0)
            record = cache.cache_notebook_bundle(
                CacheBundleIn(nb, path, data={"execution_seconds": seconds, "executed_by": CAPTURED_BY}),
                check_validity=False, overwrite=True)
            print(f"\nnbval_capture: stored the execution of {Path(path).name} "
                  f"({count} code cells, {seconds:.1f} s) in {self.cache_dir} as record {record.pk}")


def pytest_configure(config):
    cache_dir = config.getoption("--book-cache")
    if cache_dir:
        _install_recorder()
        config.pluginmanager.register(_Capture(cache_dir), "nbval_capture_instance")
