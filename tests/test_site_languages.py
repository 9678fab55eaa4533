"""Browser test of the two editions: English at the site's root, Chinese (中文版) in zh/.

Every page of one edition has its counterpart in the other, and a header button that links
there; the Chinese pages are translated (their prose is Chinese, not the English left in
place); Chinese glyphs render with a real font, not as empty boxes; the Chinese search finds
Chinese words. The offline checks of every page (math, images, console, links) are in
test_site.py, which covers zh/ too.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import pytest

from test_site import HTML, SCREENSHOTS, browser, load, server, site_pages  # noqa: F401

pytestmark = pytest.mark.site

ZH = "zh"
SWITCH = re.compile(r'<a href="([^"]+)"\s+class="btn btn-sm btn-language-switch-button"')
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def _redirect(path) -> bool:
    return 'http-equiv="Refresh"' in path.read_text(encoding="utf-8")[:300]


def english_pages():
    """The English pages, without the root's redirect (index.html: a meta refresh)."""
    return [p for p in site_pages() if p.relative_to(HTML).parts[0] != ZH and not _redirect(p)]


def pairs():
    return [(p.relative_to(HTML).as_posix(), f"{ZH}/{p.relative_to(HTML).as_posix()}")
            for p in english_pages()]


def test_every_page_exists_in_both_editions():
    en = {p.relative_to(HTML).as_posix() for p in english_pages()}
    zh = {p.relative_to(HTML / ZH).as_posix() for p in site_pages()
          if p.relative_to(HTML).parts[0] == ZH and not _redirect(p)}
    assert "book/01_cnn_basics.html" in en, f"no English site at {HTML}; run `make book`"
    assert en == zh, f"pages in one edition only: {sorted(en ^ zh)}"


@pytest.mark.parametrize("en, zh", pairs(), ids=[a for a, _ in pairs()])
def test_language_switch_links_both_ways(en, zh):
    for here, there in ((en, zh), (zh, en)):
        html = (HTML / here).read_text(encoding="utf-8")
        links = SWITCH.findall(html)
        assert len(links) == 1, f"{here}: {len(links)} language switches, want 1"
        target = urlparse(urljoin(f"http://x/{here}", links[0])).path.lstrip("/")
        assert target == there, f"{here}: the language switch opens {target}, not {there}"
        assert 'target="_blank"' not in html[html.index(links[0]) - 200:html.index(links[0])]


def _prose(page) -> str:
    """The article's text without code cells and their outputs (which stay English)."""
    return page.evaluate("""() => {
        const main = document.querySelector('article') || document.body;
        const copy = main.cloneNode(true);
        copy.querySelectorAll('.cell_input, .cell_output, pre, code, mjx-container, .math, '
                              + '.bibtex-citation, .citation, dl.glossary dt')
            .forEach(e => e.remove());
        return copy.innerText;
    }""")


@pytest.mark.parametrize("en, zh", pairs(), ids=[a for _, a in pairs()])
def test_chinese_page_is_translated(server, browser, en, zh):  # noqa: F811
    page, _ = load(browser, server + zh)
    try:
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        text = _prose(page)
        cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
        # references.html is a list of English titles: its prose is its title and intro
        minimum = 0.05 if en.endswith("references.html") else 0.3
        assert cjk > 0 and cjk / (cjk + latin) > minimum, (
            f"{zh}: {cjk} Chinese characters against {latin} Latin letters outside code: "
            "is it translated?")
    finally:
        page.context.close()


@pytest.mark.parametrize("en, zh", pairs(), ids=[a for _, a in pairs()])
def test_each_edition_has_its_own_title(en, zh):
    """The browser tab and the site header say 反卷积与图像生成 on the Chinese pages."""
    title = lambda rel: re.search(r"<title>(.*?)</title>", (HTML / rel).read_text(encoding="utf-8"),
                                  re.S).group(1)
    assert title(en).endswith("Deconvolution and Image Generation"), title(en)
    assert title(zh).endswith("反卷积与图像生成"), title(zh)


def test_switch_is_followed_in_the_browser(server, browser):  # noqa: F811
    page, problems = load(browser, server + "book/01_cnn_basics.html")
    try:
        page.click("a.btn-language-switch-button")
        page.wait_for_load_state("load")
        assert page.url.endswith("/zh/book/01_cnn_basics.html"), page.url
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert "卷积" in page.locator("h1").first.inner_text()
        page.click("a.btn-language-switch-button")
        page.wait_for_load_state("load")
        assert page.url.endswith("/book/01_cnn_basics.html") and "/zh/" not in page.url
        assert page.evaluate("document.documentElement.lang") == "en"
        assert problems["console"] == [] and problems["blocked"] == []
    finally:
        page.context.close()


# A glyph the page's fonts lack is drawn as the same empty box ("tofu") for every character:
# draw a Chinese word and characters no font has, in the page's own font, and compare.
_GLYPHS = """(text) => {
    const font = getComputedStyle(document.querySelector('article p') || document.body).font;
    const draw = (s) => {
        const c = document.createElement('canvas'); c.width = 240; c.height = 60;
        const g = c.getContext('2d'); g.font = font.replace(/\\d+(\\.\\d+)?px/, '40px');
        g.fillText(s, 4, 46); return c.toDataURL();
    };
    const missing = '\\u{10FFFD}\\u{10FFFC}\\u{10FFFB}\\u{10FFFA}';
    return {word: draw(text), tofu: draw(missing), blank: draw('')};
}"""


def test_chinese_glyphs_render_and_screenshots(server, browser):  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("intro", "01_cnn_basics"):
        page, _ = load(browser, urljoin(server, f"{ZH}/book/{name}.html"))
        try:
            page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            drawn = page.evaluate(_GLYPHS, "转置卷积")
            assert drawn["word"] != drawn["blank"], "nothing drawn for Chinese text"
            assert drawn["word"] != drawn["tofu"], (
                "Chinese characters are drawn as empty boxes: no CJK font "
                "(the set-up installs fonts-noto-cjk)")
            out = SCREENSHOTS / f"zh_{name}.png"
            page.screenshot(path=str(out), full_page=False)
            assert out.stat().st_size > 10_000, f"screenshot {out} looks empty"
        finally:
            page.context.close()


def test_chinese_search_finds_chinese_words(server, browser):  # noqa: F811
    page, problems = load(browser, server + f"{ZH}/search.html?q=转置卷积")
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=20000)
        hits = page.eval_on_selector_all("#search-results ul.search li a",
                                         "as => as.map(a => a.getAttribute('href'))")
        assert any("02_transposed_convolution" in h for h in hits), hits
        assert problems["console"] == []
    finally:
        page.context.close()


def test_chinese_pages_offer_the_chinese_notebook():
    """Download (.ipynb) and "Launch on Colab" on a Chinese page give the Chinese notebook."""
    import json

    source = HTML / ZH / "_sources" / "book" / "01_cnn_basics.ipynb"
    notebook = json.loads(source.read_text(encoding="utf-8"))
    markdown = "".join("".join(c["source"]) for c in notebook["cells"]
                       if c["cell_type"] == "markdown")
    assert len(CJK.findall(markdown)) > 1000, f"{source} is not the Chinese notebook"
    html = (HTML / ZH / "book" / "01_cnn_basics.html").read_text(encoding="utf-8")
    assert "/blob/main/book/zh/01_cnn_basics.ipynb" in html


@pytest.mark.parametrize("en, zh", pairs(), ids=[a for a, _ in pairs()])
def test_glued_numbers_are_the_english_ones(en, zh):
    """A number glued into a sentence ({glue:text}) is the same output in both editions."""
    glued = re.compile(r'<span class="pasted-text">([^<]*)</span>')
    numbers_en = sorted(glued.findall((HTML / en).read_text(encoding="utf-8")))
    numbers_zh = sorted(glued.findall((HTML / zh).read_text(encoding="utf-8")))
    assert numbers_zh == numbers_en, f"{zh}: glued numbers differ from {en}"


def test_exercise_and_solution_titles_are_translated():
    """Exercise subtitles ("1.1 · …") appear only in Chinese on the Chinese pages,
    in the exercise's title and in its solution's title alike."""
    from babel.messages.pofile import read_po

    root = HTML.parents[1] / "locales" / "zh_CN" / "LC_MESSAGES" / "book"
    checked = 0
    for po in sorted(root.glob("*.po")):
        page = HTML / ZH / "book" / f"{po.stem}.html"
        with po.open("rb") as f:
            subtitles = {m.id: m.string for m in read_po(f)
                         if m.id and re.match(r"\d+\.\d+ · ", m.id)}
        if not subtitles or not page.is_file():
            continue
        html = page.read_text(encoding="utf-8")
        for english, chinese in subtitles.items():
            assert english not in html, f"{page.name}: English exercise title {english!r}"
            # in the exercise's title, and in its solution's title if it has one (4.8 has none)
            assert chinese in html, f"{page.name}: the exercise title {chinese!r} is missing"
            checked += 1
    assert checked >= 15, f"only {checked} exercise titles found"


def test_references_count_citations_alike_in_both_editions():
    """"Cited in" back-links: the same pages and counts in both editions (a translated page
    parses its sentences twice; a citation must still count once)."""
    def backlinks(rel):
        html = (HTML / rel).read_text(encoding="utf-8")
        return [(re.sub(r"<[^>]+>", "", m).count("×"), re.findall(r'href="([^"#]+)', m))
                for m in re.findall(r'<p class="cited-in">(.*?)</p>', html, re.S)]

    en, zh = backlinks("book/references.html"), backlinks(f"{ZH}/book/references.html")
    assert len(en) >= 20, f"only {len(en)} 'Cited in' lines in the English references"
    assert [links for _, links in zh] == [links for _, links in en]
    counts = lambda page: re.findall(r"\((\d+)×\)", (HTML / page).read_text(encoding="utf-8"))
    assert counts(f"{ZH}/book/references.html") == counts("book/references.html")


@pytest.mark.parametrize("en, zh", pairs(), ids=[a for _, a in pairs()])
def test_setup_cell_toggle_is_translated(en, zh):
    from helpers.bootstrap import SETUP_CELL_PROMPTS

    html = (HTML / zh).read_text(encoding="utf-8")
    for text in SETUP_CELL_PROMPTS.values():
        assert text not in html, f"{zh}: English toggle text {text!r}"
    if text in (HTML / en).read_text(encoding="utf-8"):
        assert "设置单元格" in html, f"{zh}: the setup cell has no Chinese toggle"
