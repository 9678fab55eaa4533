"""Small Sphinx extension: tidy the written pages so they load cleanly offline.

jupyter-book 1.x writes two identical inline ``<script>`` lines into each
page (thebe's configuration and togglebutton's selector both declare
``THEBE_JS_URL``), which makes Chromium log "Identifier 'THEBE_JS_URL' has
already been declared". After the build, this handler keeps the first copy
of any repeated inline ``<script>…</script>`` line in each page.
"""

from __future__ import annotations

import re
from pathlib import Path

_INLINE_SCRIPT = re.compile(r"^\s*<script>.*</script>\s*$")


def dedupe_inline_scripts(html: str) -> str:
    """Drop repeated identical one-line inline scripts, keeping the first.

    >>> page = "<script>var a = 1;</script>\\n<p>x</p>\\n<script>var a = 1;</script>\\n"
    >>> dedupe_inline_scripts(page).count("var a")
    1
    """
    seen: set[str] = set()
    kept = []
    for line in html.splitlines(keepends=True):
        if _INLINE_SCRIPT.match(line):
            key = line.strip()
            if key in seen:
                continue
            seen.add(key)
        kept.append(line)
    return "".join(kept)


def _on_build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = dedupe_inline_scripts(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
