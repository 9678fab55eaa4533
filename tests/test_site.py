"""Browser test of the built site: every page, in headless Chromium, offline.

Serves ``_build/html`` on 127.0.0.1, blocks every request to any other host,
and checks each page: every resource answers 200, no console errors, math
rendered by MathJax, every image loaded, widgets rendered, internal links
resolve. Run it after ``make book`` (``make test`` does both).
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

pytestmark = pytest.mark.site

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("BOOK_SITE", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = HTML.parent / "screenshots"
# BOOK_CHROMIUM: another Chromium-based browser (e.g. Google Chrome on a GitHub runner)
CHROMIUM = os.environ.get("BOOK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def site_pages() -> list[Path]:
    if not (HTML / "index.html").is_file():
        return []
    skip = {"search.html", "genindex.html"}
    return sorted(p for p in HTML.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(HTML).parts)
                  and p.name not in skip)


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"no built site at {HTML}; run `make book` first")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed for the browser test: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def load(browser, url):
    """Open ``url`` with outside hosts blocked; return (page, problems dict)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = {"blocked": [], "bad_status": [], "console": [], "failed": []}

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            problems["blocked"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("response", lambda resp: resp.status not in (200, 304)
            and problems["bad_status"].append(f"{resp.status} {resp.url}"))
    page.on("requestfailed", lambda req: urlparse(req.url).hostname == "127.0.0.1"
            and problems["failed"].append(req.url))
    page.on("console", lambda msg: msg.type == "error" and problems["console"].append(msg.text))
    page.on("pageerror", lambda exc: problems["console"].append(str(exc)))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, problems


def test_site_has_the_book_pages():
    names = {p.name for p in site_pages()}
    assert {"intro.html", "01_cnn_basics.html", "references.html"} <= names, names


@pytest.mark.parametrize("path", site_pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_page_works_offline(server, browser, path):
    rel = path.relative_to(HTML).as_posix()
    html = path.read_text(encoding="utf-8")
    page, problems = load(browser, server + rel)
    try:
        # math: every page with TeX math must show MathJax output, and no raw $$ left
        if 'class="math' in html:
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=15000)
            page.evaluate("() => MathJax.startup.promise")
            rendered = page.locator("mjx-container").count()
            assert rendered > 0, f"{rel}: the page has math but MathJax rendered none"
            assert page.locator("mjx-merror").count() == 0, f"{rel}: MathJax reports a TeX error"
        # images: all loaded
        broken = page.evaluate("""() => Array.from(document.images)
            .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
        assert broken == [], f"{rel}: images failed to load: {broken}"
        # widgets: pages with saved widget state must render them
        if "application/vnd.jupyter.widget-state+json" in html:
            page.wait_for_selector(".jupyter-widgets", timeout=15000)
        # internal links: target file exists, and so does the #fragment in it
        hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        for href in hrefs:
            parsed = urlparse(href)
            if parsed.hostname != "127.0.0.1":
                continue
            target = HTML / unquote(parsed.path.lstrip("/"))
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{rel}: link to missing page {href}"
            if parsed.fragment and target.suffix == ".html":
                ids = set(re.findall(r'id="([^"]+)"', target.read_text(encoding="utf-8")))
                assert unquote(parsed.fragment) in ids, f"{rel}: link to missing anchor {href}"
        assert problems["blocked"] == [], f"{rel}: requests to outside hosts: {problems['blocked']}"
        assert problems["bad_status"] == [], f"{rel}: resources not 200: {problems['bad_status']}"
        assert problems["failed"] == [], f"{rel}: requests failed: {problems['failed']}"
        assert problems["console"] == [], f"{rel}: console errors: {problems['console']}"
    finally:
        page.context.close()


def test_screenshots_of_the_first_pages(server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("intro", "01_cnn_basics"):
        page, _ = load(browser, urljoin(server, f"book/{name}.html"))
        try:
            page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            out = SCREENSHOTS / f"{name}.png"
            page.screenshot(path=str(out), full_page=False)
            assert out.stat().st_size > 10_000, f"screenshot {out} looks empty"
        finally:
            page.context.close()


def test_launch_buttons_only_on_notebook_pages():
    """Colab and Binder open .ipynb files: only pages built from one may offer them."""
    pages = {p.relative_to(HTML).as_posix(): p.read_text(encoding="utf-8") for p in site_pages()}
    assert pages, f"no built site at {HTML}; run `make book` first"
    # the Chinese edition (zh/…) is built from the same files
    source = {rel: rel.removeprefix("zh/") for rel in pages}
    notebooks = {rel for rel in pages if (ROOT / source[rel]).with_suffix(".ipynb").is_file()}
    assert {"book/01_cnn_basics.html", "zh/book/01_cnn_basics.html"} <= notebooks, sorted(pages)
    button = re.compile(r'<a href="([^"]+)"[^>]*>\s*title="Launch on Colab"|'
                        r'<a href="([^"]+)"[^>]*\s+title="Launch on Colab"')
    for rel, html in pages.items():
        targets = [a or b for a, b in button.findall(html)]
        if rel in notebooks:
            stem = Path(source[rel]).with_suffix(".ipynb").as_posix()
            if rel.startswith("zh/"):   # the Chinese page opens the Chinese notebook
                stem = stem.replace("book/", "book/zh/", 1)
            assert len(targets) == 1, f"{rel}: a notebook page without its Colab button"
            assert targets[0].endswith(f"/blob/main/{stem}"), f"{rel}: the Colab button opens {targets[0]}"
        else:
            assert targets == [], f"{rel}: a page that is not a notebook offers a Colab button: {targets}"


def test_text_macros_render_in_math(server, browser):
    """\\text{output\\_padding} shows an underscore, not a backslash (MathJax's textmacros)."""
    for rel in ("book/02_transposed_convolution.html", "zh/book/02_transposed_convolution.html"):
        if not (HTML / rel).is_file():
            continue
        page, _ = load(browser, server + rel)
        try:
            page.wait_for_function("() => window.MathJax && MathJax.startup && "
                                   "MathJax.startup.promise", timeout=15000)
            mathml = page.evaluate("""() => MathJax.startup.promise.then(() =>
                MathJax.startup.document.getMathItemsWithin(document.body)
                    .map(m => MathJax.startup.toMML(m.root)))""")
            padding = [m for m in mathml if "output" in m and "padding" in m]
            assert padding, f"{rel}: no formula with output_padding found"
            assert not any("\\_" in m for m in padding), f"{rel}: a literal \\_ in math"
        finally:
            page.context.close()
