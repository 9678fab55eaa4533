"""Build the book once more, for the message catalogues or for the Chinese edition.

    python .ci/build_edition.py gettext          # _build/gettext/**/*.pot: the English sentences
    python .ci/build_edition.py zh_CN            # _build/html/zh/: the Chinese edition

Both are the project of ``_config.yml``, with a few settings changed (the language, and the
execution cache given as an absolute path so that every build reads the same one). The
notebooks are not executed again: their executed copies are read from
``_build/.jupyter_cache``, which the English build (``make book``) or nbval (``make test``)
filled. Run the English build first; this script stops with a message if the cache is empty.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"
EDITIONS = {"zh_CN": "zh"}   # language -> folder below _build/html
# Interface words that come from extensions' settings rather than from a catalogue.
EDITION_SETTINGS = {
    "zh_CN": {
        "togglebutton_hint": "点击展开",            # folded solutions
        "togglebutton_hint_hide": "点击收起",
        "nb_code_prompt_show": "显示代码",          # the folded setup cell (the book folds
        "nb_code_prompt_hide": "隐藏代码",          # only code cells' source)
    },
}


def edition_config(language: str | None) -> Path:
    """Write _build/_config.<name>.yml: _config.yml with the edition's settings."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
    # paths jupyter-book resolves relative to the config file: make them absolute
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {name: str((ROOT / path).resolve())
                                  for name, path in sphinx.get("local_extensions", {}).items()}
    config.setdefault("execute", {})["cache"] = str(CACHE)
    if language:
        sphinx.setdefault("config", {})["language"] = language
        sphinx["config"].update(EDITION_SETTINGS.get(language, {}))
    path = BUILD / f"_config.{language or 'gettext'}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf8")
    return path


def build(target: str) -> int:
    if not (CACHE / "global.db").exists():
        print(f"{CACHE} is empty: build the English book first (make book)", file=sys.stderr)
        return 2
    language = None if target == "gettext" else target
    if language is not None and language not in EDITIONS:
        print(f"unknown edition {target!r}; known: gettext, {', '.join(EDITIONS)}",
              file=sys.stderr)
        return 2
    work = BUILD / f"_{target}"
    shutil.rmtree(work, ignore_errors=True)
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
           "--config", str(edition_config(language)), "--path-output", str(work),
           "-W", "--keep-going", "-q"]
    if language is None:
        cmd += ["--builder", "custom", "--custom-builder", "gettext"]
    start = time.time()
    rc = subprocess.call(cmd, cwd=ROOT)
    if rc:
        return rc
    built = work / "_build" / ("gettext" if language is None else "html")
    dest = BUILD / "gettext" if language is None else BUILD / "html" / EDITIONS[language]
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(built), str(dest))
    shutil.rmtree(work, ignore_errors=True)
    what = "message templates" if language is None else f"{language} edition"
    print(f"{what} built in {time.time() - start:.0f} s: {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(build(sys.argv[1]))
