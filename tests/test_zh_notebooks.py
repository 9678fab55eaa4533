"""The Chinese notebooks of book/zh/ (Colab, download), made by .ci/zh_notebooks.py.

Fast and static: nothing is executed. The repository's book/zh/ must be what `write` makes
from the English notebooks and the catalogues; the translation of a markdown cell is tested
on a small notebook with a catalogue made here.
"""
from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci"))
import zh_notebooks as zh  # noqa: E402

ENGLISH = sorted((ROOT / "book").glob("0*.ipynb"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the repository


def test_check_passes_on_the_repository(capsys):
    status = zh.check(ROOT)
    out = capsys.readouterr()
    assert status == 0, f"python .ci/zh_notebooks.py check failed:\n{out.err}\n{out.out}"
    for path in ENGLISH:
        assert f"{zh.ZH_DIR}/{path.name}: " in out.out     # a coverage line per notebook


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.name)
def test_code_cells_and_ids_are_the_english_ones(path):
    english, chinese = _load(path), _load(ROOT / zh.ZH_DIR / path.name)
    assert [c["id"] for c in chinese["cells"]] == [c["id"] for c in english["cells"]]
    assert [c["cell_type"] for c in chinese["cells"]] == [c["cell_type"] for c in english["cells"]]
    for en, cn in zip(english["cells"], chinese["cells"]):
        assert cn["metadata"] == en["metadata"], en["id"]
        if en["cell_type"] == "code":
            assert cn["source"] == en["source"], en["id"]
            assert cn["outputs"] == [] and cn["execution_count"] is None, en["id"]
    assert chinese["metadata"]["language_info"] == english["metadata"]["language_info"]
    assert chinese["metadata"]["kernelspec"] == english["metadata"]["kernelspec"]
    assert chinese["metadata"]["zh_edition"]["source"] == f"book/{path.name}"
    assert (chinese["nbformat"], chinese["nbformat_minor"]) == \
        (english["nbformat"], english["nbformat_minor"])


_BLOCK_TAGS = re.compile(r"<(/?(?:p|h[1-6]|ul|ol|li|table|thead|tbody|tr|th|td|pre|blockquote|"
                         r"dl|dt|dd|hr|div))[\s>]")


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.name)
def test_translated_cells_render_with_the_english_structure(path):
    """markdown-it's HTML of each Chinese cell has the English cell's block elements."""
    md = zh.markdown_parser()
    english, chinese = _load(path), _load(ROOT / zh.ZH_DIR / path.name)
    for en, cn in zip(english["cells"], chinese["cells"]):
        if en["cell_type"] != "markdown":
            continue
        en_text, cn_text = "".join(en["source"]), "".join(cn["source"])
        assert _BLOCK_TAGS.findall(md.render(cn_text)) == _BLOCK_TAGS.findall(md.render(en_text)), \
            en["id"]
        assert zh.structure(cn_text) == zh.structure(en_text), en["id"]
        assert cn_text.endswith("\n") == en_text.endswith("\n"), en["id"]


def test_files_are_written_as_nbformat_writes_them():
    for path in ENGLISH:
        assert zh.dumps(_load(path)) == path.read_text(encoding="utf-8"), path.name


# --------------------------------------------------------------------------- one small cell

ENGLISH_CELL = """\
# Title here

A paragraph over
two lines, with $x^2$ and {term}`kernel`.

* outer item
  1. nested item
     on two lines

> quoted words

| head a | head b |
|---|:-:|
| cell one | `code` |

(sec-label)=
```{admonition} A title
:class: warning
Body of the
admonition.
```

```{exercise} 1.1 · a subtitle
:label: ex-one
:nonumber:

Exercise body.
```

$$
y = x \\star w
$$

```python
print("code stays")
```

Untranslated paragraph stays."""

TRANSLATIONS = {
    "Title here": "标题",
    "A paragraph over two lines, with $x^2$ and {term}`kernel`.":
        "一个跨两行的段落，含 $x^2$ 和 {term}`卷积核 <kernel>`。",
    "outer item": "外层条目",
    "nested item on two lines": "嵌套\n条目",
    "quoted words": "引用的话",
    "head a": "表头 a",
    "head b": "表头 b",
    "cell one": "单元格 | 一",
    "`code`": "`code`",
    "A title": "一个标题",
    "Body of the admonition.": "提示的正文。",
    "1.1 · a subtitle": "1.1 · 副标题",
    "Exercise body.": "练习的正文。",
    "Untranslated paragraph stays.": "",
}

CHINESE_CELL = """\
# 标题

一个跨两行的段落，含 $x^2$ 和 {term}`卷积核 <kernel>`。

* 外层条目
  1. 嵌套
     条目

> 引用的话

| 表头 a | 表头 b |
|---|:-:|
| 单元格 \\| 一 | `code` |

(sec-label)=
```{admonition} 一个标题
:class: warning
提示的正文。
```

```{exercise} 1.1 · 副标题
:label: ex-one
:nonumber:

练习的正文。
```

$$
y = x \\star w
$$

```python
print("code stays")
```

Untranslated paragraph stays."""


def _catalog(translations: dict[str, str]) -> Catalog:
    catalog = Catalog(locale="zh_CN")
    for msgid, msgstr in translations.items():
        catalog.add(msgid, msgstr)
    return catalog


def _notebook(*markdown: str) -> dict:
    cells = [{"cell_type": "code", "execution_count": None, "id": "c0",
              "metadata": {"tags": ["hide-input"]}, "outputs": [],
              "source": ["import math\n", "math.pi"]}]
    for k, text in enumerate(markdown):
        cells.append({"cell_type": "markdown", "id": f"m{k}", "metadata": {},
                      "source": text.splitlines(keepends=True)})
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def test_a_cell_is_translated_block_by_block():
    catalogue = zh.Catalogue.from_babel(_catalog(TRANSLATIONS))
    text, blocks = zh.translate_markdown(ENGLISH_CELL, catalogue)
    assert text == CHINESE_CELL
    assert zh.structure(text) == zh.structure(ENGLISH_CELL)
    kinds = {b.key: (b.kind, b.status) for b in blocks}
    assert kinds["Title here"] == ("heading", "translated")
    assert kinds["head b"] == ("table cell", "translated")
    assert kinds["1.1 · a subtitle"] == ("title", "translated")
    assert kinds["nested item on two lines"] == ("paragraph", "translated")
    assert kinds["Untranslated paragraph stays."] == ("paragraph", "untranslated")
    assert "ex-one" not in kinds and "y = x \\star w" not in kinds   # options, math: no prose


def test_an_untranslated_entry_stays_english_and_is_reported():
    catalogue = zh.Catalogue.from_babel(_catalog(TRANSLATIONS))
    nb, report = zh.translate_notebook(_notebook(ENGLISH_CELL), catalogue, "01_small.ipynb")
    assert "".join(nb["cells"][1]["source"]).endswith("\n\nUntranslated paragraph stays.")
    assert report.count("untranslated") == 1 and report.prose == len(TRANSLATIONS)
    assert "13/14 prose blocks translated (92.9 %)" in report.coverage_line()
    assert report.problems == []


def test_an_exercise_subtitle_with_markup_is_found_under_its_text():
    # sphinx-exercise's subtitle has no source; its msgid is its text (book/_ext/languages.py)
    catalogue = zh.Catalogue.from_babel(_catalog({"The k=3 case": "$k=3$ 的情形",
                                                  "Body.": "正文。"}))
    cell = "```{exercise} The $k=3$ case\n:label: ex-k\n\nBody.\n```"
    text, _ = zh.translate_markdown(cell, catalogue)
    assert text == "```{exercise} $k=3$ 的情形\n:label: ex-k\n\n正文。\n```"


def test_fuzzy_translations_are_not_used():
    catalog = _catalog({"Title here": "标题"})
    catalog["Title here"].flags.add("fuzzy")
    text, blocks = zh.translate_markdown("# Title here", zh.Catalogue.from_babel(catalog))
    assert text == "# Title here" and blocks[0].status == "untranslated"


def test_a_translation_that_breaks_the_structure_is_an_error():
    catalogue = zh.Catalogue.from_babel(_catalog({"One paragraph.": "- 变成了列表"}))
    _, report = zh.translate_notebook(_notebook("One paragraph.\n"), catalogue, "01_x.ipynb")
    assert any("structure" in p for p in report.problems)


def test_trailing_newline_and_string_sources_are_kept():
    catalogue = zh.Catalogue.from_babel(_catalog({"Hello.": "你好。"}))
    nb = _notebook("Hello.\n")
    nb["cells"].append({"cell_type": "markdown", "id": "s", "metadata": {}, "source": "Hello."})
    out, _ = zh.translate_notebook(nb, catalogue, "01_x.ipynb")
    assert out["cells"][1]["source"] == ["你好。\n"]
    assert out["cells"][2]["source"] == "你好。"
    assert out["cells"][0] == nb["cells"][0]
    assert nb["cells"][1]["source"] == ["Hello.\n"]          # the English notebook untouched


# --------------------------------------------------------------------------- the CLI on a tree


def _tree(tmp_path: Path, translations: dict[str, str]) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "01_small.ipynb").write_text(zh.dumps(_notebook(ENGLISH_CELL)),
                                                      encoding="utf-8")
    _write_po(tmp_path, translations)
    return tmp_path


def _write_po(root: Path, translations: dict[str, str]) -> None:
    po = root / zh.LOCALE_DIR / "01_small.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, _catalog(translations), width=0)
    po.write_bytes(buf.getvalue())


def test_check_fails_on_missing_untranslated_stale_and_extra_files(tmp_path, capsys):
    root = _tree(tmp_path, TRANSLATIONS)
    assert zh.main(["check", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "book/zh/01_small.ipynb is missing; run `python .ci/zh_notebooks.py write`" in err

    assert zh.main(["write", "--root", str(root)]) == 0
    written = (root / zh.ZH_DIR / "01_small.ipynb").read_text(encoding="utf-8")
    assert "".join(json.loads(written)["cells"][1]["source"]) == CHINESE_CELL
    capsys.readouterr()
    assert zh.main(["check", "--root", str(root)]) == 1          # one entry untranslated
    out = capsys.readouterr()
    assert "13/14 prose blocks translated (92.9 %)" in out.out
    assert "Untranslated paragraph stays." in out.out
    assert "1 prose blocks of the catalogue have no translation" in out.err
    assert "stale" not in out.err

    _write_po(root, {**TRANSLATIONS, "Untranslated paragraph stays.": "译好的段落。"})
    assert zh.main(["check", "--root", str(root)]) == 1
    assert "book/zh/01_small.ipynb is stale" in capsys.readouterr().err
    assert zh.main(["write", "--root", str(root)]) == 0
    capsys.readouterr()
    assert zh.main(["check", "--root", str(root)]) == 0
    assert "14/14 prose blocks translated (100.0 %)" in capsys.readouterr().out

    (root / zh.ZH_DIR / "09_gone.ipynb").write_text("{}\n", encoding="utf-8")
    assert zh.main(["check", "--root", str(root)]) == 1
    assert "book/zh/09_gone.ipynb has no English notebook" in capsys.readouterr().err
    assert zh.main(["write", "--root", str(root)]) == 0
    assert not (root / zh.ZH_DIR / "09_gone.ipynb").exists()


def test_prose_missing_from_the_catalogue_fails_only_strict(tmp_path, capsys):
    translations = {**TRANSLATIONS, "Untranslated paragraph stays.": "译好的段落。"}
    del translations["quoted words"]                 # the catalogue is older than the page
    translations["An old sentence."] = "一个旧句子。"
    root = _tree(tmp_path, translations)
    assert zh.main(["write", "--root", str(root)]) == 0
    assert zh.main(["check", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "1 not in the catalogue; 1 catalogue entries not found in the notebook" in out
    assert "> quoted words\n" in json.loads(
        (root / zh.ZH_DIR / "01_small.ipynb").read_text(encoding="utf-8"))["cells"][1]["source"]
    assert zh.main(["check", "--strict", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "1 prose blocks are not in the catalogue" in err
    assert "1 entries of the catalogue match no block" in err
