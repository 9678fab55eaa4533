"""Small Sphinx extension: the book in two languages from one source.

The English pages are the source; the Chinese edition is the same Sphinx project built a
second time with ``language = zh_CN`` and the message catalogues of ``locales/``
(gettext: every paragraph, heading and caption is looked up there and replaced by its
translation). The code cells and their outputs are the English run's, read from the
execution cache: the notebooks are not executed again.

This extension does two things the stock tool chain does not:

* **Glued numbers in translated sentences.** myst-nb resolves ``{glue:text}`key:.2f```
  while it parses a notebook, from that notebook's outputs, and then forgets them; Sphinx
  parses each translated sentence later, as a document of its own, where that lookup
  fails. The lookup is wrapped so that a translated sentence sees the outputs of the page it
  belongs to: a number in the Chinese text is the same glued output as in the English.
* **A language switch on every page.** A header button links to the same page in the other
  edition (``zh/`` below the English site's root), with a relative URL, so it works on the
  static site, offline and from ``file://``.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from docutils import nodes
from docutils.transforms import Transform

_RENDERERS: dict[str, object] = {}

# (language code, the switch's text in that language's edition, its tooltip)
_OTHER = {
    "en": ("zh_CN", "中文", "阅读本页的中文版"),
    "zh_CN": ("en", "English", "Read this page in English"),
}
EDITION_DIR = {"zh_CN": "zh"}   # where an edition lives below the English site's root
# Interface text that comes from cell metadata (helpers.bootstrap.SETUP_CELL_PROMPTS), not
# from a catalogue: the folded setup cell's toggle.
INTERFACE_TEXT = {
    "zh_CN": {
        "Show the setup cell (Colab install, CPU threads)": "显示设置单元格（Colab 安装、CPU 线程）",
        "Hide the setup cell": "隐藏设置单元格",
    },
}


def _docname(document) -> str | None:
    env = getattr(document.settings, "env", None)
    return getattr(env, "docname", None)


def _wrap_retrieve(original):
    def retrieve_glue_data(document, key):
        name = _docname(document)
        if "nb_renderer" in document:
            if name:
                _RENDERERS[name] = document["nb_renderer"]
        elif name in _RENDERERS and str(document.current_source).endswith("<translated>"):
            document["nb_renderer"] = _RENDERERS[name]
            try:
                return original(document, key)
            finally:
                del document["nb_renderer"]
        return original(document, key)

    retrieve_glue_data.__wrapped__ = original
    return retrieve_glue_data


def _patch_glue() -> None:
    from myst_nb.ext.glue import directives, roles

    for module in (roles, directives):
        if not hasattr(module.retrieve_glue_data, "__wrapped__"):
            module.retrieve_glue_data = _wrap_retrieve(module.retrieve_glue_data)


def switch_url(pagename: str, language: str) -> str:
    """Relative URL of the same page in the other edition.

    >>> switch_url("book/01_cnn_basics", "en")
    '../zh/book/01_cnn_basics.html'
    >>> switch_url("book/01_cnn_basics", "zh_CN")
    '../../book/01_cnn_basics.html'
    >>> switch_url("index", "en"), switch_url("index", "zh_CN")
    ('zh/index.html', '../index.html')
    """
    up = "../" * pagename.count("/")
    if language in EDITION_DIR:
        return f"{up}../{pagename}.html"
    return f"{up}{EDITION_DIR[_OTHER[language][0]]}/{pagename}.html"


def _on_page_context(app, pagename, templatename, context, doctree):
    language = app.config.language or "en"
    if language not in _OTHER or doctree is None and pagename not in ("genindex", "search"):
        return
    _, text, tooltip = _OTHER[language]
    buttons = context.setdefault("header_buttons", [])
    buttons.insert(0, {
        "type": "link",
        "url": switch_url(pagename, language),
        "text": text,
        "tooltip": tooltip,
        "icon": "fas fa-language",
        "label": "language-switch-button",
    })


class KeepUntranslated(Transform):
    """Leave out of the catalogues what is not prose: math blocks, cell outputs, glossary terms.

    A display formula is the same in every language; a cell's output (a table a cell prints as
    Markdown, say) is the English run's, and its numbers may change with the next run, which
    must not leave the Chinese edition "untranslated"; a glossary headword is both English and
    Chinese already, and its anchor must not change.
    """

    default_priority = 5   # before Sphinx's Locale transform (20) replaces the sentences

    def apply(self, **kwargs):
        for node in self.document.findall(nodes.math_block):
            node["translatable"] = False
        for node in self.document.findall(nodes.term):
            node["translatable"] = False
        for node in self.document.findall(nodes.title):
            if type(node).__name__ == "exercise_title":   # "Exercise": sphinx-exercise's own
                node["translatable"] = False
        for node in self.document.findall(nodes.subtitle):
            # sphinx-exercise's subtitle ("1.1 · output size by hand") is made without a
            # source, which hides it from gettext; give it its exercise's
            if not node.source and node.astext().strip():
                node.source = self.document.get("source") or self.document.current_source
                node.line = node.line or node.parent.line
                node.rawsource = node.rawsource or node.astext()
        for container in self.document.findall(nodes.container):
            if container.get("nb_element") == "cell_code_output" or \
                    "cell_output" in container.get("classes", []):
                for node in container.findall(nodes.Element):
                    node["translatable"] = False


def _keep_exercise_subtitles_for_gettext() -> None:
    """The gettext builder must see exercises' subtitles before sphinx-exercise merges them.

    sphinx-exercise's ResolveTitlesInExercises post-transform folds the subtitle node into
    the title ("Exercise (1.1 · output size by hand)"), after which the sentence is no longer
    a message of its own. For the gettext builder only, it is skipped; HTML builds, where
    the Locale transform has already translated the subtitle, run it as usual.
    """
    from sphinx_exercise.post_transforms import ResolveTitlesInExercises

    original = ResolveTitlesInExercises.run
    if getattr(original, "_keeps_subtitles", False):
        return

    def run(self, **kwargs):
        if self.app.builder.name == "gettext":
            return None
        return original(self, **kwargs)

    run._keeps_subtitles = True
    ResolveTitlesInExercises.run = run


_SWITCH = re.compile(r'(<a href="[^"]*")\s+target="_blank"(\s+class="btn btn-sm btn-language-switch-button")')


def same_tab(html: str) -> str:
    """The theme opens header links in a new tab; the language switch stays in this one.

    >>> same_tab('<a href="zh/index.html" target="_blank"\\n   class="btn btn-sm btn-language-switch-button"')
    '<a href="zh/index.html"\\n   class="btn btn-sm btn-language-switch-button"'
    """
    return _SWITCH.sub(r"\1\2", html)


def edition_notebooks(html: str, language: str) -> str:
    """On a translated page, "Launch on Colab" opens the translated notebook (book/zh/…).

    The notebooks of an edition are generated from the catalogues by .ci/zh_notebooks.py
    and committed, so Colab can open them from the repository.

    >>> edition_notebooks('href="https://colab.research.google.com/github/o/r/blob/main/'
    ...                   'book/01_cnn_basics.ipynb"', "zh_CN")
    'href="https://colab.research.google.com/github/o/r/blob/main/book/zh/01_cnn_basics.ipynb"'
    """
    folder = EDITION_DIR.get(language)
    if folder is None:
        return html
    return re.sub(r'(href="https://colab\.research\.google\.com/github/[^"]*/blob/[^/"]+/book/)'
                  r'([^/"]+\.ipynb")', rf"\1{folder}/\2", html)


def _translations(app, language: str) -> dict[str, str]:
    """msgid -> msgstr of every catalogue of ``language`` (the finished entries)."""
    from babel.messages.pofile import read_po

    out = {}
    for locale_dir in app.config.locale_dirs:
        for path in (Path(app.srcdir) / locale_dir / language / "LC_MESSAGES").rglob("*.po"):
            with path.open("rb") as f:
                out.update({m.id: m.string for m in read_po(f) if m.id and m.string
                            and not m.fuzzy})
    return out


def translate_captions(html: str, translations: dict[str, str]) -> str:
    """The sidebar's part captions ("Chapters", "Reference") in the page's language.

    sphinx-external-toc adds the table of contents after Sphinx has translated the page, so
    its captions are looked up in the catalogues here (they are messages of the root page).

    >>> translate_captions('<span class="caption-text">Chapters</span>', {"Chapters": "章节"})
    '<span class="caption-text">章节</span>'
    """
    return re.sub(r'(<span class="caption-text">)([^<]+)(</span>)',
                  lambda m: m.group(1) + translations.get(m.group(2), m.group(2)) + m.group(3),
                  html)


_SUBTITLE = re.compile(r"\d+\.\d+ · ")


def translate_solution_titles(html: str, translations: dict[str, str]) -> str:
    """Solutions' titles repeat their exercise's subtitle; give them the translated one.

    sphinx-exercise builds "Solution to Exercise (1.1 · …)" from the exercise as it was
    parsed, before the catalogue translated its subtitle.

    >>> translate_solution_titles('解答<a href="#x"> 练习 (1.1 · output size)</a>',
    ...                           {"1.1 · output size": "1.1 · 输出尺寸"})
    '解答<a href="#x"> 练习 (1.1 · 输出尺寸)</a>'
    """
    for english, chinese in translations.items():
        if _SUBTITLE.match(english):
            html = html.replace(f"({escape(english, quote=False)})",
                                f"({escape(chinese, quote=False)})")
    return html


def translate_interface(html: str, language: str) -> str:
    """The folded cells' toggle text, in the page's language.

    >>> translate_interface('<p class="collapsed admonition-title">Hide the setup cell</p>',
    ...                     "zh_CN")
    '<p class="collapsed admonition-title">隐藏设置单元格</p>'
    """
    table = INTERFACE_TEXT.get(language, {})
    return re.sub(r'(<p class="(?:collapsed|expanded) admonition-title">)([^<]+)(</p>)',
                  lambda m: m.group(1) + table.get(m.group(2), m.group(2)) + m.group(3), html)


def _on_config_inited(app, config):
    """Read a translated edition's catalogues once; its title is one of their messages."""
    language = config.language or "en"
    app.book_translations = _translations(app, language) if language in EDITION_DIR else {}
    if config.html_title in app.book_translations:
        config.html_title = app.book_translations[config.html_title]


def _on_build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    language = app.config.language or "en"
    translations = getattr(app, "book_translations", {})
    outdir = Path(app.outdir)
    for path in outdir.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        fixed = edition_notebooks(same_tab(html), language)
        if translations:
            fixed = translate_solution_titles(translate_captions(fixed, translations),
                                              translations)
            fixed = translate_interface(fixed, language)
        if fixed != html:
            path.write_text(fixed, encoding="utf-8")
    folder = EDITION_DIR.get(language)
    if folder:
        # the download button (.ipynb) of a translated page: the translated notebook
        for source in (outdir / "_sources" / "book").glob("*.ipynb"):
            translated = Path(app.srcdir) / "book" / folder / source.name
            if translated.is_file():
                source.write_bytes(translated.read_bytes())


_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def cjk_bigrams(text: str) -> list[str]:
    """Index terms of Chinese text without a dictionary: every pair of neighbouring characters.

    Sphinx's Chinese search cuts words with jieba, an optional 19 MB package; without it,
    Chinese text is not indexed at all. Overlapping character pairs (the usual dictionary-free
    indexing of CJK text) make every word of two or more characters findable: a query is cut
    the same way in the browser, and a page matches when it has all of the query's pairs.

    >>> cjk_bigrams("转置卷积的步幅 stride 2")
    ['转置', '置卷', '卷积', '积的', '的步', '步幅', 'stride', '2']
    """
    out = []
    for part in re.split(r"[^\w]+", text):
        pos = 0
        for m in _CJK_RUN.finditer(part):
            out.extend(w for w in re.findall(r"[A-Za-z0-9_]+", part[pos:m.start()]))
            run = m.group(0)
            out.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
            pos = m.end()
        out.extend(re.findall(r"[A-Za-z0-9_]+", part[pos:]))
    return out


_JS_SPLITTER = r"""
function splitQuery(query) {
  const out = [];
  for (const part of query.split(/[^\p{Letter}\p{Number}_]+/gu)) {
    if (!part) continue;
    for (const run of part.match(/[\u3400-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff\uf900-\ufaff]+/g) || []) {
      if (/[\u3400-\u9fff\uf900-\ufaff]/.test(run)) {
        if (run.length === 1) out.push(run);
        for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
      } else {
        out.push(...(run.match(/[A-Za-z0-9_]+/g) || []));
      }
    }
  }
  return out;
}
"""


def _search_language():
    from sphinx.search.zh import SearchChinese

    class SearchChineseBigrams(SearchChinese):
        js_splitter_code = _JS_SPLITTER

        def split(self, input: str) -> list[str]:
            terms = cjk_bigrams(input)
            self.latin_terms.extend(t for t in terms if not _CJK_RUN.match(t))
            return terms

    return SearchChineseBigrams


def setup(app):
    _patch_glue()
    app.add_search_language(_search_language())
    app.connect("config-inited", _on_config_inited)
    app.connect("build-finished", _on_build_finished)
    _keep_exercise_subtitles_for_gettext()
    app.add_transform(KeepUntranslated)
    # after sphinx-book-theme has filled header_buttons (priority 501)
    app.connect("html-page-context", _on_page_context, priority=503)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
