"""The Chinese edition's catalogue tools (.ci/i18n.py), on small catalogues the tests write.

``update`` must carry an English edit into the catalogue the way msgmerge does (a new
sentence empty, a changed one fuzzy with its old translation, a removed one dropped), and
``check`` must fail on every kind of unfinished entry, naming it.
"""
from __future__ import annotations

import doctest
import importlib.util
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


i18n = _load("i18n")


def test_docstring_examples():
    assert doctest.testmod(i18n).failed == 0


def write_pot(folder: Path, page: str, ids: list[str]) -> None:
    catalog = Catalog()
    for msgid in ids:
        catalog.add(msgid)
    path = folder / f"{page}.pot"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog)


def read(locales: Path, page: str) -> Catalog:
    with (locales / "zh_CN" / "LC_MESSAGES" / f"{page}.po").open("rb") as f:
        return read_po(f, locale="zh_CN")


def translate(locales: Path, page: str, table: dict[str, str]) -> None:
    catalog = read(locales, page)
    for message in catalog:
        if message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
    with (locales / "zh_CN" / "LC_MESSAGES" / f"{page}.po").open("wb") as f:
        write_po(f, catalog, width=0)


SENTENCES = {
    "The kernel $w$ has size $k$.": "卷积核 $w$ 的大小为 $k$。",
    "See {term}`stride` and {cite}`dumoulin2016guide`.":
        "参见{term}`步幅 <stride>`与 {cite}`dumoulin2016guide`。",
    "It needs {glue:text}`n_weights:,d` weights, see [the guide](https://example.org).":
        "它需要 {glue:text}`n_weights:,d` 个权重，参见[指南](https://example.org)。",
}


@pytest.fixture
def book(tmp_path):
    pot, locales = tmp_path / "gettext", tmp_path / "locales"
    write_pot(pot, "book/ch", list(SENTENCES))
    assert i18n.update(pot, locales, "zh_CN") == 0
    return pot, locales


def test_update_creates_a_catalogue_to_translate(book, capsys):
    pot, locales = book
    assert [m.id for m in read(locales, "book/ch") if m.id] == list(SENTENCES)
    assert i18n.check(pot, locales, "zh_CN") == 1
    assert "3 of 3 messages need work" in capsys.readouterr().err


def test_a_finished_catalogue_passes(book, capsys):
    pot, locales = book
    translate(locales, "book/ch", SENTENCES)
    assert i18n.check(pot, locales, "zh_CN") == 0
    assert "all 3 messages of 1 pages translated" in capsys.readouterr().out


def test_an_english_edit_makes_the_entry_fuzzy_and_check_fail(book, capsys):
    pot, locales = book
    translate(locales, "book/ch", SENTENCES)
    edited = "The kernel $w$ has size $k \\times k$."
    write_pot(pot, "book/ch", [edited] + list(SENTENCES)[1:] + ["A new sentence here."])
    assert i18n.update(pot, locales, "zh_CN") == 0
    catalog = read(locales, "book/ch")
    changed = catalog.get(edited)
    assert changed.fuzzy and changed.string == SENTENCES["The kernel $w$ has size $k$."]
    assert catalog.get("A new sentence here.").string == ""
    assert catalog.get("The kernel $w$ has size $k$.") is None      # dropped, not kept
    assert i18n.check(pot, locales, "zh_CN", show=10) == 1
    err = capsys.readouterr().err
    assert "fuzzy: the English changed" in err and "not translated" in err


KERNEL, TERM, GLUE = SENTENCES


@pytest.mark.parametrize("english, bad, why", [
    (KERNEL, "卷积核 $w$ 的大小。", "missing $k$"),                                # lost math
    (TERM, "参见{term}`步幅`与 {cite}`dumoulin2016guide`。", "missing term:stride"),  # target
    (GLUE, "它需要很多权重，参见[指南](https://example.org)。", "missing glue:text:n_weights:,d"),
    (GLUE, "它需要 {glue:text}`n_weights:,d` 个权重。", "missing link:https://example.org"),
    (KERNEL, "The kernel $w$ has size $k$.", "no Chinese"),                      # copied
    (KERNEL, "1. 卷积核 $w$ 的大小为 $k$。", "not one paragraph"),                # a list
], ids=["math", "term", "glue", "link", "copied", "list"])
def test_check_names_what_a_translation_lost(book, capsys, english, bad, why):
    pot, locales = book
    translate(locales, "book/ch", {**SENTENCES, english: bad})
    assert i18n.check(pot, locales, "zh_CN", show=10) == 1
    assert why in capsys.readouterr().err


def test_a_catalogue_without_its_page_fails(book, capsys):
    pot, locales = book
    translate(locales, "book/ch", SENTENCES)
    (locales / "zh_CN" / "LC_MESSAGES" / "book" / "gone.po").write_bytes(
        (locales / "zh_CN" / "LC_MESSAGES" / "book" / "ch.po").read_bytes())
    assert i18n.check(pot, locales, "zh_CN") == 1
    assert "no page has this name" in capsys.readouterr().err


def test_no_templates_is_a_clear_error(tmp_path, capsys):
    assert i18n.check(tmp_path / "nothing", tmp_path / "locales", "zh_CN") == 2
    assert "make gettext" in capsys.readouterr().err


def test_the_repository_catalogues_cover_every_page():
    """One catalogue per page of the table of contents (the gettext build checks the rest)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = {toc["root"]} | {c["file"] for part in toc["parts"] for c in part["chapters"]}
    catalogues = {p.relative_to(ROOT / "locales" / "zh_CN" / "LC_MESSAGES").with_suffix("")
                  .as_posix() for p in (ROOT / "locales").rglob("*.po")}
    assert catalogues == pages


def test_edition_config_reads_the_same_cache_and_sets_the_language():
    import yaml

    build_edition = _load("build_edition")
    path = build_edition.edition_config("zh_CN")
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert config["sphinx"]["config"]["language"] == "zh_CN"
    assert Path(config["execute"]["cache"]) == ROOT / "_build" / ".jupyter_cache"
    assert all(Path(p).is_absolute() for p in config["sphinx"]["local_extensions"].values())
