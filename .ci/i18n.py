"""The Chinese edition's message catalogues: update them after an English edit, check them in CI.

The English pages are the source. ``sphinx -b gettext`` (``make gettext``) extracts every
paragraph, heading, caption and admonition of every page, notebooks' markdown cells included,
into ``_build/gettext/**/*.pot``. The translations live in
``locales/zh_CN/LC_MESSAGES/**/*.po``, one catalogue per page.

    python .ci/i18n.py update _build/gettext locales zh_CN   # after an English edit
    python .ci/i18n.py check  _build/gettext locales zh_CN   # CI: fails unless 100 % translated
    python .ci/i18n.py stat   _build/gettext locales zh_CN   # counts per page

``update`` merges the new templates into the catalogues the way ``msgmerge`` does: a sentence
that changed a little keeps its old translation, marked *fuzzy* (to be reviewed); a new
sentence gets an empty translation; a sentence that is gone is dropped. ``check`` fails on
any empty or fuzzy entry, on a catalogue with no page, and on a translation that lost a
piece of the source it must carry over unchanged: inline math, a glued number, a
cross-reference target, a citation key, a URL.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

# Pieces of a message that a translation must keep verbatim (math, roles' targets, links).
_MATH = re.compile(r"(?<!\\)\$\$?(?:[^$\\]|\\.)+?\$\$?")
_ROLE = re.compile(r"\{(glue(?::\w+)?|cite(?::\w+)?|doc|ref|numref|eq|download|term)\}`([^`]*)`")
_LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
_CODE = re.compile(r"``?[^`]+``?")
_SUBST = re.compile(r"\{\{\s*\w+\s*\}\}")
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[A-Za-z]{3,}")


def _role_key(kind: str, text: str) -> str:
    """What a role's text must keep: the target (``label <target>`` keeps only the target).

    Terms, docs and refs may be given a translated label; their target may not change.
    Glue and citations keep their whole text (a key and a format, or keys).
    """
    m = re.fullmatch(r"(.*?)\s*<([^<>]+)>", text, re.S)
    if m and kind in {"term", "doc", "ref", "numref", "download"}:
        return f"{kind}:{m.group(2).strip()}"
    return f"{kind}:{text.strip()}"     # a bare target (a label may be added) or glue/cite


def invariants(text: str) -> list[str]:
    """The pieces of ``text`` a faithful translation keeps unchanged, sorted."""
    pieces = [m.group(0) for m in _MATH.finditer(text)]
    pieces += [_role_key(k, t) for k, t in _ROLE.findall(text)]
    pieces += [f"link:{t}" for t in _LINK_TARGET.findall(text)]
    pieces += [f"subst:{t.replace(' ', '')}" for t in _SUBST.findall(text)]
    # inline code (identifiers, shapes, commands) stays as it is; role bodies are counted above
    pieces += [f"code:{m.group(0)}" for m in _CODE.finditer(_ROLE.sub(" ", text))]
    return sorted(pieces)


def _prose_words(text: str) -> int:
    """English words outside math, code and roles: 0 means nothing to translate."""
    stripped = _ROLE.sub(" ", _CODE.sub(" ", _MATH.sub(" ", text)))
    stripped = re.sub(r"\]\([^)]*\)", "]", stripped)
    stripped = re.sub(r"https?://\S+", " ", stripped)
    return len(_WORD.findall(stripped))


_MD = None


def _markdown():
    global _MD
    if _MD is None:
        from myst_parser.config.main import MdParserConfig
        from myst_parser.parsers.mdit import create_md_parser
        from markdown_it.renderer import RendererHTML

        config = MdParserConfig(enable_extensions={"amsmath", "dollarmath", "colon_fence",
                                                   "deflist", "substitution"})
        _MD = create_md_parser(config, RendererHTML)
    return _MD


def block_problem(msgstr: str) -> str | None:
    r"""Why Sphinx would throw ``msgstr`` away, if it would.

    Sphinx parses each translation as a Markdown document of its own and keeps it only if
    it is one paragraph: a translation that starts with "1. " is read as a numbered list
    (and "- " as a bullet list, "# " as a heading), and the page then silently shows the
    English. Write ``1\.`` for a number at the start.

    >>> block_problem("3. 通过梯度下降学习卷积核") is not None
    True
    >>> block_problem(r"3\. 通过梯度下降学习卷积核") is None
    True
    """
    tokens = [t.type for t in _markdown().parse(msgstr) if t.level == 0]
    if tokens == ["paragraph_open", "paragraph_close"]:
        return None
    kind = next((t for t in tokens if t.endswith("_open") or t in ("fence", "hr")), tokens[:1])
    hint = ' (escape a leading number as "1\\.")' if kind == "ordered_list_open" else ""
    return (f"Sphinx would read the translation as {kind!s}, not one paragraph, and show the "
            f"English instead{hint}")


def problems(msgid: str, msgstr: str) -> list[str]:
    """Why ``msgstr`` is not a finished translation of ``msgid`` (empty list: it is)."""
    if not msgstr.strip():
        return ["not translated"]
    out = []
    structure = block_problem(msgstr)
    if structure and block_problem(msgid.replace("\n", " ")) is None:
        out.append(structure)
    elif structure and re.match(r"\d+\.\s", msgstr):
        out.append(structure)
    if invariants(msgid) != invariants(msgstr):
        lost = sorted(set(invariants(msgid)) - set(invariants(msgstr)))
        added = sorted(set(invariants(msgstr)) - set(invariants(msgid)))
        detail = []
        if lost:
            detail.append("missing " + ", ".join(lost[:4]))
        if added:
            detail.append("not in the English " + ", ".join(added[:4]))
        out.append("math/role/link pieces differ from the English: " + "; ".join(detail or
                                                                          ["counts differ"]))
    if _prose_words(msgid) >= 3 and not _CJK.search(msgstr):
        out.append("no Chinese in the translation (copied English?)")
    return out


def _templates(pot_dir: Path) -> dict[str, Path]:
    return {p.relative_to(pot_dir).with_suffix("").as_posix(): p
            for p in sorted(pot_dir.rglob("*.pot"))}


def _catalogue_path(locale_dir: Path, lang: str, name: str) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{name}.po"


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, ignore_obsolete=True,
                 include_previous=True, sort_output=False)


def update(pot_dir: Path, locale_dir: Path, lang: str) -> int:
    templates = _templates(pot_dir)
    if not templates:
        print(f"no .pot files under {pot_dir}: run `make gettext` first", file=sys.stderr)
        return 2
    for name, pot in templates.items():
        template = _read(pot)
        path = _catalogue_path(locale_dir, lang, name)
        if path.exists():
            catalog = _read(path, lang)
            before = {m.id for m in catalog if m.id}
            catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
            new = sum(1 for m in catalog if m.id and m.id not in before and not m.fuzzy)
        else:
            catalog = Catalog(locale=lang, project=template.project, version=template.version,
                              fuzzy=False)
            catalog.update(template)
            new = sum(1 for m in catalog if m.id)
        catalog.fuzzy = False          # the header: the catalogue is a finished one, not a draft
        _write(path, catalog)
        fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
        empty = sum(1 for m in catalog if m.id and not m.string)
        print(f"{path}: {new} new, {fuzzy} fuzzy, {empty} to translate")
    for path in sorted((locale_dir / lang / "LC_MESSAGES").rglob("*.po")):
        name = path.relative_to(locale_dir / lang / "LC_MESSAGES").with_suffix("").as_posix()
        if name not in templates:
            print(f"{path}: its page is gone; delete it (git rm) if that is intended")
    return 0


def _entries(pot_dir: Path, locale_dir: Path, lang: str):
    """(page, template ids, catalogue or None) for every page."""
    for name, pot in _templates(pot_dir).items():
        ids = [m.id for m in _read(pot) if m.id]
        path = _catalogue_path(locale_dir, lang, name)
        yield name, ids, (_read(path, lang) if path.exists() else None), path


def check(pot_dir: Path, locale_dir: Path, lang: str, show: int = 5,
          only: str | None = None) -> int:
    templates = _templates(pot_dir)
    if only:
        templates = {k: v for k, v in templates.items() if k.endswith(only)}
    if not templates:
        print(f"no .pot files under {pot_dir}: run `make gettext` first", file=sys.stderr)
        return 2
    failures, total = [], 0
    for name, ids, catalog, path in _entries(pot_dir, locale_dir, lang):
        if name not in templates:
            continue
        total += len(ids)
        if catalog is None:
            failures.append(f"{path}: missing ({len(ids)} messages to translate)")
            continue
        for msgid in ids:
            message = catalog.get(msgid)
            if message is None:
                why = ["not in the catalogue (run `make i18n-update`)"]
            elif message.fuzzy:
                why = ["fuzzy: the English changed; review the translation and drop the "
                       "`#, fuzzy` line"]
            else:
                why = problems(msgid, message.string)
            if why:
                failures.append(f"{path}: {'; '.join(why)}\n    msgid: {msgid[:160]!r}")
    for path in sorted((locale_dir / lang / "LC_MESSAGES").rglob("*.po")):
        name = path.relative_to(locale_dir / lang / "LC_MESSAGES").with_suffix("").as_posix()
        if name not in templates and not only:
            failures.append(f"{path}: no page has this name any more")
    if failures:
        print(f"the {lang} edition is not complete: {len(failures)} of {total} messages need "
              "work. After an English edit: `make i18n-update`, translate the empty and fuzzy "
              "entries in locales/, then `make i18n-check`.", file=sys.stderr)
        for line in failures[:show]:
            print("  " + line, file=sys.stderr)
        if len(failures) > show:
            print(f"  ... and {len(failures) - show} more", file=sys.stderr)
        return 1
    print(f"{lang}: all {total} messages of {len(templates)} pages translated "
          "(none empty, none fuzzy, math and references intact)")
    return 0


def stat(pot_dir: Path, locale_dir: Path, lang: str) -> int:
    grand = [0, 0, 0]
    for name, ids, catalog, path in _entries(pot_dir, locale_dir, lang):
        done = fuzzy = 0
        for msgid in ids:
            m = catalog.get(msgid) if catalog else None
            if m is not None and m.string:
                if m.fuzzy:
                    fuzzy += 1
                else:
                    done += 1
        grand = [grand[0] + len(ids), grand[1] + done, grand[2] + fuzzy]
        print(f"{name:40s} {len(ids):5d} messages  {done:5d} translated  {fuzzy:4d} fuzzy")
    print(f"{'total':40s} {grand[0]:5d} messages  {grand[1]:5d} translated  {grand[2]:4d} fuzzy")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["update", "check", "stat"])
    parser.add_argument("pot_dir", type=Path)
    parser.add_argument("locale_dir", type=Path)
    parser.add_argument("lang")
    parser.add_argument("--show", type=int, default=5, help="problems to print (check)")
    parser.add_argument("--only", help="check one page only, e.g. book/01_cnn_basics")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.pot_dir, args.locale_dir, args.lang, args.show, args.only)
    return {"update": update, "stat": stat}[args.command](args.pot_dir, args.locale_dir,
                                                          args.lang)


if __name__ == "__main__":
    sys.exit(main())
