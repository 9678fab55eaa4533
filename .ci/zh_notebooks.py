"""The Chinese notebooks (Colab, download): the English notebooks with their prose translated.

The Chinese web pages are built by Sphinx from the English notebooks and the message
catalogues ``locales/zh_CN/LC_MESSAGES/book/<page>.po``. A reader who opens a Chinese page in
Colab, or downloads it, gets ``book/zh/<page>.ipynb``, made by this script from the same two
sources: every cell of the English notebook, in the same order and with the same ids; the
code cells and their metadata unchanged (no outputs); each markdown cell with its sentences
replaced by their translations. Nothing is translated twice: a sentence is looked up in the
catalogue under the key Sphinx's gettext builder gave it (see ``_key``).

    python .ci/zh_notebooks.py write     # after a catalogue or an English notebook changed
    python .ci/zh_notebooks.py check     # CI: fails when book/zh/ is not what `write` makes

How a markdown cell is translated: it is parsed by markdown-it with MyST's configuration (the
extensions of ``_config.yml``), which gives its blocks with their source lines. Each block of
prose (a paragraph, also inside a list item, a blockquote or a footnote; a heading; a table
cell) is looked up under the msgid Sphinx extracted for it: MyST's raw source of the node,
the block's text without its markers, its lines joined by spaces. Its source lines are
replaced by the translation, behind the same prefix (``## ``, ``* ``, ``1. ``, indentation,
``> ``); a table cell is replaced inside its row. A directive (a ``{name}`` code fence or
colon fence) keeps its option lines; its title (``{admonition} Title``, an exercise's
``{exercise} 1.1 · subtitle``) is translated when it is a message, and its body like a cell
of its own. Display math, HTML, targets ``(label)=``, comments and plain code fences stay as
they are.

``check`` regenerates every notebook in memory and fails (exit 1) when

* a file of ``book/zh/`` is missing, stale or has no English notebook;
* a prose block of the English text is a message of the catalogue that has no translation
  (empty or fuzzy): coverage of what the catalogue covers must be 100 %;
* a block whose translation exists is still English in the output (re-parsed: nothing the
  catalogue translates may survive);
* a translated cell's structure differs from the English cell's: the same block tokens
  (paragraphs, lists, items, tables, cells, headings, directives and their bodies) in the
  same order, so that no translation turned a paragraph into a list or broke a table row.

Blocks that are no message of the catalogue at all (the catalogue is older than the
notebook: run ``make gettext`` and ``.ci/i18n.py update``) are reported, and fail the check
only with ``--strict``.
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = "book"
ZH_DIR = "book/zh"
LOCALE_DIR = "locales/zh_CN/LC_MESSAGES/book"
WRITE_HINT = "run `python .ci/zh_notebooks.py write`"

DEFAULT_EXTENSIONS = ("amsmath", "dollarmath", "colon_fence", "deflist", "substitution")

# Directives whose body is not Markdown (code, math, raw output, other markup): left as it is.
LITERAL_DIRECTIVES = frozenset({
    "code", "code-block", "sourcecode", "code-cell", "literalinclude", "include", "math",
    "raw", "eval-rst", "mermaid", "graphviz", "csv-table", "bibliography", "toctree",
    "tableofcontents", "glossary", "testcode", "testoutput", "doctest", "jupyter-execute",
    "ipython", "glue:math",
})

_DIRECTIVE = re.compile(r"^\{([^}\s]+)\}\s*(.*)$", re.S)
_OPTION = re.compile(r"^\s*:[\w.-]+:(\s|$)")


# --------------------------------------------------------------------------- catalogues


@dataclass
class Catalogue:
    """A page's messages: every msgid, and the usable translations (non-empty, not fuzzy)."""

    ids: set[str] = field(default_factory=set)
    strings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_babel(cls, catalog) -> "Catalogue":
        out = cls()
        for message in catalog:
            if not message.id or not isinstance(message.id, str):
                continue
            out.ids.add(message.id)
            text = message.string if isinstance(message.string, str) else ""
            if text.strip() and not message.fuzzy:
                out.strings[message.id] = text.strip()
        return out

    @classmethod
    def read(cls, path: Path) -> "Catalogue":
        if not path.exists():
            return cls()
        from babel.messages.pofile import read_po

        with path.open("rb") as f:
            return cls.from_babel(read_po(f, locale="zh_CN"))


# --------------------------------------------------------------------------- parsing


def _extensions(root: Path) -> tuple[str, ...]:
    config = root / "_config.yml"
    try:
        import yaml

        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        found = (data.get("parse") or {}).get("myst_enable_extensions")
        if found:
            return tuple(sorted(found))
    except (OSError, ImportError, ValueError, AttributeError):
        pass
    return DEFAULT_EXTENSIONS


@lru_cache(maxsize=4)
def markdown_parser(extensions: tuple[str, ...] = DEFAULT_EXTENSIONS):
    """markdown-it configured as MyST-Parser configures it for the book."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)


_EXTENSIONS: tuple[str, ...] = DEFAULT_EXTENSIONS


def _md():
    return markdown_parser(_EXTENSIONS)


def _key(content: str) -> str:
    """The msgid Sphinx gives a block: its raw source, lines joined, stripped."""
    return content.replace("\n", " ").strip()


def _plain(text: str) -> str:
    """The text docutils' ``astext()`` gives an inline Markdown string (markup removed)."""
    out = []
    for tok in _md().parseInline(text)[0].children or []:
        if tok.type in ("text", "code_inline", "math_inline", "math_inline_double"):
            out.append(tok.content)
        elif tok.type == "myst_role":
            m = re.fullmatch(r"(.*?)\s*<[^<>]+>", tok.content, re.S)
            out.append(m.group(1) if m else tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out).strip()


def _directive(token):
    """(name, argument) of a ``{name} argument`` fence, or None for a plain code fence."""
    if token.type not in ("fence", "colon_fence"):
        return None
    m = _DIRECTIVE.match(token.info.strip())
    return (m.group(1), m.group(2).strip()) if m else None


def _count_options(lines: list[str]) -> int:
    """How many leading lines of a directive's content are options (``:key: value``, YAML)."""
    if lines and lines[0].strip() == "---":
        for k in range(1, len(lines)):
            if lines[k].strip() == "---":
                return k + 1
        return 0
    n = 0
    while n < len(lines) and _OPTION.match(lines[n]):
        n += 1
    return n


def _content_lines(token) -> list[str]:
    lines = token.content.split("\n")
    if token.content.endswith("\n"):
        lines.pop()
    return lines


# --------------------------------------------------------------------------- translating


@dataclass
class Block:
    """One prose block of a markdown cell and what became of it."""

    kind: str      # paragraph, heading, table cell, title
    key: str       # its msgid
    line: int      # 0-based line in the cell
    status: str    # translated, untranslated (a message with no translation), unknown (no message)


def _prefix(src: str, content: str) -> str:
    """What stands before ``content`` on the source line ``src`` (markers, indentation, ``>``)."""
    s, c = src.rstrip(), content.rstrip()
    if c and s.endswith(c):
        return s[: len(s) - len(c)]
    if not c:
        return src
    m = re.match(r"^[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?", src)
    return m.group(0) if m else ""


def _continuation(prefix: str) -> str:
    """The prefix of a block's further lines: list markers become spaces, ``>`` stays."""
    return re.sub(r"[^>\s]", " ", prefix)


def _replace_lines(src: list[str], content: str, translation: str) -> list[str]:
    """The lines of a paragraph-like block, its text replaced, its prefixes kept."""
    first = _prefix(src[0], content.split("\n")[0])
    more = _continuation(first)       # not the source's: its second line may be lazy
    lines = translation.split("\n")
    return [first + lines[0]] + [more + line for line in lines[1:]]


def _cell_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, unescaped text) of the cells of a table row, split as markdown-it does."""
    spans, pos, escaped, last, current = [], 0, False, 0, ""
    start = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "|":
            if not escaped:
                spans.append((start, pos, current + text[last:pos]))
                current, last, start = "", pos + 1, pos + 1
            else:
                current += text[last:pos - 1]
                last = pos
        escaped = ch == "\\"
        pos += 1
    spans.append((start, len(text), current + text[last:]))
    if spans and spans[0][2] == "":
        spans.pop(0)
    if spans and spans[-1][2] == "":
        spans.pop()
    return spans


def _replace_cells(line: str, translations: list[str | None]) -> str:
    lead = re.match(r"^[ \t>]*", line).group(0)
    body = line[len(lead):]
    core = body.strip()
    offset = len(lead) + (len(body) - len(body.lstrip()))
    out = line
    spans = _cell_spans(core)
    for (a, b, _), text in reversed(list(zip(spans, translations))):
        if text is None:
            continue
        raw = core[a:b]
        left = raw[: len(raw) - len(raw.lstrip())]
        right = raw[len(raw.rstrip()):]
        cell = text.replace("\n", " ").replace("|", "\\|")
        out = out[: offset + a] + left + cell + right + out[offset + b:]
    return out


class _Translator:
    def __init__(self, catalogue: Catalogue | None):
        self.catalogue = catalogue
        self.blocks: list[Block] = []

    def unit(self, kind: str, content: str, line: int) -> str | None:
        """Record a block; its translation, or None to leave it."""
        key = _key(content)
        if not key:
            return None
        cat = self.catalogue
        if kind == "title" and cat is not None and key not in cat.ids:
            # sphinx-exercise makes its subtitle without a source; book/_ext/languages.py
            # then gives it its text as msgid: "$k$ = 3" is the message "k = 3"
            key = _plain(key) if _plain(key) in cat.ids else key
        if cat is None:
            self.blocks.append(Block(kind, key, line, "seen"))
            return None
        if key in cat.strings:
            self.blocks.append(Block(kind, key, line, "translated"))
            return cat.strings[key]
        if key in cat.ids:
            self.blocks.append(Block(kind, key, line, "untranslated"))
        elif kind != "title":            # a directive's argument may be a label, not prose
            self.blocks.append(Block(kind, key, line, "unknown"))
        return None

    def lines(self, lines: list[str], base: int) -> tuple[list[str], list[int]]:
        """Translated lines, and for each the index of the source line it comes from."""
        tokens = _md().parse("\n".join(lines))
        edits: dict[int, tuple[int, list[str], list[int]]] = {}
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.type == "paragraph_open" and tok.map:
                s, e = tok.map
                content = tokens[i + 1].content
                text = self.unit("paragraph", content, base + s)
                if text is not None:
                    new = _replace_lines(lines[s:e], content, text)
                    edits[s] = (e, new, [s] * len(new))
            elif tok.type == "heading_open" and tok.map:
                s, e = tok.map
                content = tokens[i + 1].content
                text = self.unit("heading", content, base + s)
                if text is not None:
                    if tok.markup.startswith("#"):
                        line = lines[s]
                        at = line.find(content, line.index("#") + len(tok.markup))
                        if at < 0:
                            at = len(line)
                        new = [line[:at] + text.replace("\n", " ") + line[at + len(content):]]
                        edits[s] = (e, new, [s])
                    else:                        # setext: text lines, then the underline
                        new = _replace_lines(lines[s:e - 1], content, text)
                        edits[s] = (e - 1, new, [s] * len(new))
            elif tok.type == "tr_open" and tok.map:
                r = tok.map[0]
                cells, j = [], i + 1
                while tokens[j].type != "tr_close":
                    if tokens[j].type == "inline":
                        cells.append(tokens[j].content)
                    j += 1
                texts = [self.unit("table cell", c, base + r) for c in cells]
                if any(t is not None for t in texts):
                    edits[r] = (r + 1, [_replace_cells(lines[r], texts)], [r])
                i = j
            elif _directive(tok) and tok.map:
                edit = self.directive(tok, lines, base)
                if edit is not None:
                    edits[tok.map[0]] = edit
            i += 1
        out, origins, k = [], [], 0
        while k < len(lines):
            if k in edits:
                end, new, orig = edits[k]
                out += new
                origins += orig
                k = max(end, k + 1)
            else:
                out.append(lines[k])
                origins.append(k)
                k += 1
        return out, origins

    def directive(self, tok, lines: list[str], base: int):
        name, argument = _directive(tok)
        s = tok.map[0]
        content = _content_lines(tok)
        n = min(len(content), len(lines) - s - 1)
        source = lines[s + 1: s + 1 + n]
        prefixes = [_prefix(src, c) if c else src[: len(src) - len(src.lstrip(" \t>"))]
                    for src, c in zip(source, content)]
        opening = lines[s]
        changed = False
        if argument:
            text = self.unit("title", argument, base + s)
            if text is not None:
                stripped = opening.rstrip()
                if stripped.endswith(argument):
                    opening = stripped[: len(stripped) - len(argument)] + text.replace("\n", " ")
                    changed = True
        n_opt = _count_options(content[:n])
        new, orig = list(source), list(range(s + 1, s + 1 + n))
        if name not in LITERAL_DIRECTIVES and n > n_opt:
            body, body_orig = self.lines(content[n_opt:n], base + s + 1 + n_opt)
            if body != content[n_opt:n]:
                changed = True
                new = source[:n_opt] + [prefixes[n_opt + o] + b for b, o in zip(body, body_orig)]
                orig = list(range(s + 1, s + 1 + n_opt)) + [s + 1 + n_opt + o for o in body_orig]
        if not changed:
            return None
        return (s + 1 + n, [opening] + new, [s] + orig)


def translate_markdown(text: str, catalogue: Catalogue | None) -> tuple[str, list[Block]]:
    """A markdown cell's text with its prose translated, and its prose blocks.

    With ``catalogue=None`` nothing is translated and every block is reported as ``seen``.
    """
    t = _Translator(catalogue)
    lines, _ = t.lines(text.split("\n"), 0)
    return "\n".join(lines), t.blocks


def structure(text: str) -> list:
    """The block structure of Markdown: token types and tags in order, directives' bodies
    included (inline text left out), to compare a translated cell with its English one."""
    out = []
    for tok in _md().parse(text):
        if tok.type == "inline":
            continue
        entry = [tok.type, tok.tag]
        d = _directive(tok)
        if d:
            name = d[0]
            entry.append(name)
            content = _content_lines(tok)
            if name in LITERAL_DIRECTIVES:
                entry.append(tok.content)
            else:
                n_opt = _count_options(content)
                entry.append(content[:n_opt])
                entry.append(structure("\n".join(content[n_opt:])))
        elif tok.type in ("fence", "code_block", "math_block", "math_block_label", "amsmath",
                          "html_block", "myst_target"):
            entry.append(tok.content)
        out.append(entry)
    return out


# --------------------------------------------------------------------------- notebooks


def _source_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _split_source(text: str, like) -> list[str] | str:
    if not isinstance(like, list):
        return text
    return text.splitlines(keepends=True) if text else []


def dumps(nb: dict) -> str:
    """JSON as nbformat writes it: sorted keys, indent 1, UTF-8 text, final newline."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False,
                      separators=(",", ": ")) + "\n"


@dataclass
class Report:
    name: str
    blocks: list[tuple[str, Block]] = field(default_factory=list)   # (cell id, block)
    problems: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)   # catalogue entries no block asked for

    def count(self, status: str) -> int:
        return sum(1 for _, b in self.blocks if b.status == status)

    @property
    def prose(self) -> int:
        """Prose blocks the catalogue covers (translated or not)."""
        return self.count("translated") + self.count("untranslated")

    def coverage_line(self) -> str:
        done, total = self.count("translated"), self.prose
        pct = 100.0 * done / total if total else 100.0
        line = f"{ZH_DIR}/{self.name}: {done}/{total} prose blocks translated ({pct:.1f} %)"
        unknown = self.count("unknown")
        if unknown:
            line += f"; {unknown} not in the catalogue"
        if self.unused:
            line += f"; {len(self.unused)} catalogue entries not found in the notebook"
        return line


def translate_notebook(nb: dict, catalogue: Catalogue, name: str) -> tuple[dict, Report]:
    """The Chinese notebook made from the English ``nb`` (not modified), and its report."""
    zh = copy.deepcopy(nb)
    report = Report(name)
    for index, cell in enumerate(zh.get("cells", [])):
        cell_id = cell.get("id", f"#{index}")
        if cell.get("cell_type") == "markdown":
            english = _source_text(cell)
            text, blocks = translate_markdown(english, catalogue)
            cell["source"] = _split_source(text, cell.get("source"))
            report.blocks += [(cell_id, b) for b in blocks]
            if structure(text) != structure(english):
                report.problems.append(
                    f"cell {cell_id}: the translation changes the cell's structure "
                    f"(a list marker, table row or directive fence in a msgstr?)")
            _, left = translate_markdown(text, None)
            for b in left:
                if b.key in catalogue.strings and catalogue.strings[b.key] != b.key:
                    report.problems.append(f"cell {cell_id}, line {b.line + 1}: still English "
                                           f"although translated: {b.key[:60]!r}")
        elif cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    seen = {b.key for _, b in report.blocks}
    report.unused = sorted(catalogue.ids - seen)
    metadata = zh.setdefault("metadata", {})
    metadata["zh_edition"] = {
        "source": f"{BOOK}/{name}",
        "language": "zh_CN",
        "catalogue": f"{LOCALE_DIR}/{Path(name).stem}.po",
        "generated_by": "python .ci/zh_notebooks.py write",
    }
    return zh, report


def build(root: Path = ROOT) -> dict[str, tuple[str, Report]]:
    """Every Chinese notebook as text, with its report: {file name: (json text, report)}."""
    global _EXTENSIONS
    _EXTENSIONS = _extensions(root)
    out = {}
    for path in sorted((root / BOOK).glob("0*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        catalogue = Catalogue.read(root / LOCALE_DIR / f"{path.stem}.po")
        zh, report = translate_notebook(nb, catalogue, path.name)
        out[path.name] = (dumps(zh), report)
    return out


def _print_blocks(report: Report, status: str, label: str, show: int) -> None:
    items = [(c, b) for c, b in report.blocks if b.status == status]
    for cell_id, b in items[:show]:
        print(f"  {label}: cell {cell_id}, line {b.line + 1} ({b.kind}): {b.key[:70]!r}")
    if len(items) > show:
        print(f"  … and {len(items) - show} more")


def write(root: Path = ROOT, show: int = 5) -> int:
    built = build(root)
    zh_dir = root / ZH_DIR
    zh_dir.mkdir(parents=True, exist_ok=True)
    status = 0
    for name, (text, report) in built.items():
        path = zh_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        print(report.coverage_line())
        _print_blocks(report, "untranslated", "untranslated", show)
        for problem in report.problems:
            print(f"  error: {problem}", file=sys.stderr)
            status = 1
    for path in sorted(zh_dir.glob("*.ipynb")):
        if path.name not in built:
            path.unlink()
            print(f"{path.relative_to(root)}: removed (no English notebook)")
    return status


def check(root: Path = ROOT, strict: bool = False, show: int = 5) -> int:
    built = build(root)
    zh_dir = root / ZH_DIR
    failures = []
    for name, (text, report) in built.items():
        rel = f"{ZH_DIR}/{name}"
        path = zh_dir / name
        print(report.coverage_line())
        if not path.exists():
            failures.append(f"{rel} is missing; {WRITE_HINT}")
        elif path.read_text(encoding="utf-8") != text:
            failures.append(f"{rel} is stale (not what {BOOK}/{name} and its catalogue give); "
                            f"{WRITE_HINT}")
        untranslated = report.count("untranslated")
        if untranslated:
            _print_blocks(report, "untranslated", "untranslated", show)
            failures.append(f"{rel}: {untranslated} prose blocks of the catalogue have no "
                            f"translation (empty or fuzzy in {LOCALE_DIR}/{Path(name).stem}.po)")
        unknown = report.count("unknown")
        if unknown:
            _print_blocks(report, "unknown", "not in the catalogue", show)
            if strict:
                failures.append(f"{rel}: {unknown} prose blocks are not in the catalogue "
                                f"(run `make gettext` and `.ci/i18n.py update`)")
        if report.unused:
            for key in report.unused[:show]:
                print(f"  catalogue entry not found in the notebook: {key[:70]!r}")
            if strict:
                failures.append(f"{rel}: {len(report.unused)} entries of the catalogue match "
                                f"no block of the notebook (an old catalogue, or a block this "
                                f"script does not see)")
        failures += [f"{rel}: {p}" for p in report.problems]
    if zh_dir.exists():
        for path in sorted(zh_dir.glob("*.ipynb")):
            if path.name not in built:
                failures.append(f"{ZH_DIR}/{path.name} has no English notebook in {BOOK}/; "
                                f"{WRITE_HINT} (it removes it)")
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    if not failures:
        print(f"{len(built)} Chinese notebooks in {ZH_DIR}/ up to date and fully translated")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's repository")
    parser.add_argument("--strict", action="store_true",
                        help="check: also fail on prose that is no message of the catalogue")
    parser.add_argument("--show", type=int, default=5, help="blocks listed per notebook")
    args = parser.parse_args(argv)
    if args.command == "write":
        return write(args.root, show=args.show)
    return check(args.root, strict=args.strict, show=args.show)


if __name__ == "__main__":
    sys.exit(main())
