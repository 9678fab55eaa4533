"""Small Sphinx extension: tidy the written pages so they load cleanly offline.

jupyter-book 1.x writes two identical inline ``<script>`` lines into each
page (thebe's configuration and togglebutton's selector both declare
``THEBE_JS_URL``), which makes Chromium log "Identifier 'THEBE_JS_URL' has
already been declared". After the build, this handler keeps the first copy
of any repeated inline ``<script>…</script>`` line in each page.

It also keeps the "launch" buttons (Colab, Binder) to pages made from an
``.ipynb`` file: sphinx-book-theme offers them on executable MyST pages too
(the FAQ), but Colab cannot open a ``.md`` file.

And it turns ``repository.url`` of ``_config.yml`` (the one place the URL is
written down) into MyST substitutions for the prose: ``{{ repo_link }}``,
``{{ site_link }}`` (its GitHub Pages address) and ``{{ colab_link }}`` (a
chapter opened in Colab).
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


def url_substitutions(repository_url: str, branch: str = "main") -> dict:
    """MyST substitutions (Markdown links) derived from the repository's URL.

    >>> subs = url_substitutions("https://github.com/org/book")
    >>> subs["site_link"]
    '<https://org.github.io/book/>'
    >>> subs["colab_link"].endswith("/github/org/book/blob/main/book/05_future_challenges.ipynb>")
    True
    """
    url = repository_url.rstrip("/")
    parts = url.split("/")
    if len(parts) < 5 or parts[2] != "github.com":
        raise ValueError(f"repository.url in _config.yml must be https://github.com/OWNER/NAME, got {url!r}")
    owner, name = parts[3], parts[4]
    return {
        "repo_link": f"<{url}>",
        "site_link": f"<https://{owner}.github.io/{name}/>",
        "colab_link": f"<https://colab.research.google.com/github/{owner}/{name}/blob/{branch}/"
                      "book/05_future_challenges.ipynb>",
    }


def _on_config_inited(app, config):
    options = config.html_theme_options or {}
    url = options.get("repository_url")
    if not url:
        return
    subs = dict(getattr(config, "myst_substitutions", None) or {})
    for key, value in url_substitutions(url, options.get("repository_branch") or "main").items():
        subs.setdefault(key, value)
    config.myst_substitutions = subs


def drop_launch_buttons(header_buttons: list, source_suffix: str) -> list:
    """The header buttons without the launch group, unless the page is a notebook file.

    >>> buttons = [{"label": "launch-buttons"}, {"label": "download-buttons"}]
    >>> [b["label"] for b in drop_launch_buttons(buttons, ".md")]
    ['download-buttons']
    >>> len(drop_launch_buttons(buttons, ".ipynb"))
    2
    """
    if source_suffix == ".ipynb":
        return header_buttons
    return [b for b in header_buttons if b.get("label") != "launch-buttons"]


def _on_page_context(app, pagename, templatename, context, doctree):
    if "header_buttons" not in context or pagename not in app.env.all_docs:
        return
    suffix = Path(app.env.doc2path(pagename)).suffix
    context["header_buttons"] = drop_launch_buttons(context["header_buttons"], suffix)


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
    app.connect("config-inited", _on_config_inited)
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", _on_page_context, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
