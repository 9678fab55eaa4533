"""The book's reference pages: readable glossary anchors, author–year labels, back-links.

Three small fixes to what Sphinx and sphinxcontrib-bibtex do by default, all offline:

* **Glossary anchors.** Sphinx makes a term's id from its ASCII letters, so every
  Chinese term (转置卷积, 步幅, …) gets a serial id, ``term-0``, ``term-1``, … that
  changes whenever a term is added. Here each Chinese term of a glossary entry gets
  the id of the English term before it with ``-zh`` appended
  (``#term-transposed-convolution-zh``), and the Sphinx domain that resolves
  ``{term}`` roles is told the new id, so every link keeps working.
* **Author–year labels.** The book cites author–year (``bibtex_reference_style:
  author_year``); the default bibliography style labels entries alpha-style
  (``[KynkaanniemiKL+19]``). The style ``authoryear`` registered here labels them
  the way the text cites them: ``[Kynkäänniemi et al., 2019]``. Select it with
  ``bibtex_default_style: authoryear``.
* **Back-links.** Each bibliography entry ends with "Cited in:" and a link to every
  place that cites it, across pages (sphinxcontrib-bibtex only back-links citations
  on the bibliography's own page).
"""

from __future__ import annotations

from typing import NamedTuple

import re

from docutils import nodes

_SERIAL_ID = re.compile(r"^term-\d+$")
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


# --------------------------------------------------------------------------------------------
# glossary anchors
# --------------------------------------------------------------------------------------------

def _readable_term_ids(app, doctree) -> None:
    std = app.env.get_domain("std")
    docname = app.env.docname
    for item in doctree.findall(nodes.definition_list_item):
        terms = [child for child in item.children if isinstance(child, nodes.term)]
        if not terms:
            continue
        english = [t for t in terms if t["ids"] and not _CJK.search(t.astext())
                   and not _SERIAL_ID.match(t["ids"][0])]
        if not english:
            continue
        base = english[0]["ids"][0]
        for term in terms:                 # a Chinese term follows its English one
            chinese = bool(_CJK.search(term.astext()))
            ids = term["ids"]
            if any(term is e for e in english):
                base = ids[0]
                continue
            if not ids or not (chinese or _SERIAL_ID.match(ids[0])):
                continue
            old = ids[0]
            new = f"{base}-zh"
            serial = 2
            while new in doctree.ids:
                new = f"{base}-zh-{serial}"
                serial += 1
            ids[0] = new
            doctree.ids.pop(old, None)
            doctree.ids[new] = term
            text = term.astext()
            for index in term.findall(lambda n: isinstance(n, nodes.Element)
                                      and "entries" in n.attributes):
                index["entries"] = [tuple(new if value == old else value for value in entry)
                                    for entry in index["entries"]]
            if ("term", text) in std.objects:
                std.objects["term", text] = (docname, new)
            if text.lower() in std._terms:
                std._terms[text.lower()] = (docname, new)


# --------------------------------------------------------------------------------------------
# author–year labels for the bibliography
# --------------------------------------------------------------------------------------------

def _register_authoryear_style() -> None:
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle

    def last_name(person) -> str:
        import codecs

        import latexcodec  # noqa: F401  (registers the "ulatex" codec; a pybtex dependency)

        text = " ".join(person.prelast_names + person.last_names)
        return codecs.decode(text, "ulatex").replace("{", "").replace("}", "")

    class AuthorYearLabelStyle(BaseLabelStyle):
        """``Author, year``, ``A and B, year`` or ``A et al., year``, as the text cites them."""

        def format_labels(self, sorted_entries):
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                names = [last_name(p) for p in people]
                if not names:
                    who = entry.fields.get("title", entry.key).split(":")[0]
                elif len(names) == 1:
                    who = names[0]
                elif len(names) == 2:
                    who = f"{names[0]} and {names[1]}"
                else:
                    who = f"{names[0]} et al."
                yield f"{who}, {entry.fields.get('year', 'n.d.')}"

    class AuthorYearStyle(UnsrtStyle):
        default_label_style = AuthorYearLabelStyle
        default_sorting_style = "author_year_title"

    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle, force=True)


# --------------------------------------------------------------------------------------------
# "Cited in" back-links
# --------------------------------------------------------------------------------------------

# the label and its punctuation, per edition: (label, separator, end)
CITED_IN = {"en": ("Cited in: ", "; ", "."), "zh": ("引用于：", "；", "。")}


_CITES: dict[tuple, list] = {}


def _citations_on_page(env, docname: str) -> list:
    """(citation keys, id) of every citation the read (and translated) page shows, in order.

    Counted from the page's doctree, not from the bibtex domain's list: a translated edition
    parses each cited sentence again, and the domain then lists that citation twice more.
    """
    cache_key = (id(env), docname)
    if cache_key not in _CITES:
        from sphinx import addnodes

        found = []
        for node in env.get_doctree(docname).findall(addnodes.pending_xref):
            if node.get("refdomain") == "cite" and node.get("ids"):
                keys = [k.strip() for k in node.get("reftarget", "").split(",") if k.strip()]
                found.append((keys, node["ids"][0]))
        _CITES[cache_key] = found
    return _CITES[cache_key]


class _Ref(NamedTuple):
    docname: str
    citation_ref_id: str


def _cited_in(app, doctree, docname) -> None:
    env = app.env
    try:
        domain = env.get_domain("cite")
    except Exception:                                   # sphinxcontrib-bibtex not loaded
        return
    key_of = {c.citation_id: c.key for c in domain.citations}
    where: dict[str, list] = {}
    citing = {ref.docname for ref in domain.citation_refs}
    for cited_doc in [d for d in env.all_docs if d in citing]:     # in reading order
        for keys, ref_id in _citations_on_page(env, cited_doc):
            for key in keys:
                where.setdefault(key, []).append(_Ref(cited_doc, ref_id))
    for citation in doctree.findall(nodes.citation):
        keys = [key_of[i] for i in citation["ids"] if i in key_of]
        refs = where.get(keys[0], []) if keys else []
        if not refs:
            continue
        para = nodes.paragraph(classes=["cited-in"])
        label, sep, end = CITED_IN.get((app.config.language or "en").split("_")[0],
                                       CITED_IN["en"])
        para += nodes.Text(label)
        seen = []
        for ref in refs:
            if ref.docname not in seen:
                seen.append(ref.docname)
        for n, cited_doc in enumerate(seen):
            first = next(r for r in refs if r.docname == cited_doc)
            title = env.titles[cited_doc].astext() if cited_doc in env.titles else cited_doc
            uri = app.builder.get_relative_uri(docname, cited_doc) + "#" + first.citation_ref_id
            if n:
                para += nodes.Text(sep)
            count = sum(r.docname == cited_doc for r in refs)
            para += nodes.reference("", title, internal=True, refuri=uri)
            if count > 1:
                para += nodes.Text(f" ({count}×)")
        para += nodes.Text(end)
        citation += para


def setup(app):
    _register_authoryear_style()
    app.connect("doctree-read", _readable_term_ids)
    app.connect("doctree-resolved", _cited_in, priority=900)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
