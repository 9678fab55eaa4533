"""Browser test of the interactive figures on the built site: move every control, check what the reader sees.

The figures of ``helpers.interactive`` carry their own JavaScript, so on the
static site (no Python kernel) a slider must still change the picture. For
every page with such a figure this test, in headless Chromium with every
outside host blocked:

* checks that each figure's script ran (no console errors, the root marked ready);
* moves every slider of every figure and asserts that the displayed result
  changes;
* for chapter 02's size calculator and overlap explorer, asserts that the
  numbers shown equal the Python functions for the same settings
  (``helpers.conv_math.conv_transpose_output_size`` and ``overlap_pattern``),
  including a setting that PyTorch rejects;
* for frame sliders (chapter 04's "watch the generator learn"), asserts that
  exactly the chosen frame is visible and its label shown.

It uses the same ``BOOK_SITE`` / ``_build/html`` site as ``tests/test_site.py``
and that file's server and browser fixtures.
"""
from __future__ import annotations

import itertools
import json

import pytest
import test_site as _site

from helpers.conv_math import conv_transpose_output_size, overlap_pattern
from helpers.widgets import OVERLAP_RANGES, SLIDER_RANGES, transposed_conv_grid

pytestmark = pytest.mark.site

HTML = _site.HTML
SCREENSHOTS = _site.SCREENSHOTS
server = _site.server            # the fixtures of tests/test_site.py, shared
browser = _site.browser
CH02 = "book/02_transposed_convolution.html"


def interactive_pages():
    return [p for p in _site.site_pages() if 'class="book-interactive"' in p.read_text(encoding="utf-8")]


def open_page(browser, server, rel):
    page, problems = _site.load(browser, server + rel)
    return page, problems


def set_slider(page, root, name, value):
    """Move one range input to ``value`` as a reader would (value + input event) and return the output text."""
    slider = root.locator(f'input[type=range][data-name="{name}"]')
    slider.fill(str(value))
    assert slider.input_value() == str(value), f"slider {name} did not move to {value}"
    return root.locator(".bi-output, .bi-frames").first.inner_html()


def result_attributes(root):
    """The data-* attributes of the figure's result line, and the root's error (if any)."""
    result = root.locator(".bi-result").first
    attrs = result.evaluate("e => Object.assign({}, e.dataset)")
    return attrs, root.get_attribute("data-error"), result.inner_text()


def test_chapter_02_has_both_figures():
    if not (HTML / CH02).is_file():
        pytest.skip(f"{CH02} is not part of this build")
    html = (HTML / CH02).read_text(encoding="utf-8")
    assert 'data-control="size-calculator"' in html and 'data-control="overlap-explorer"' in html
    assert "jupyter-widgets" not in html, "chapter 02 should not need ipywidgets any more"


@pytest.mark.parametrize("path", interactive_pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_every_control_changes_what_the_reader_sees(server, browser, path):
    rel = path.relative_to(HTML).as_posix()
    page, problems = open_page(browser, server, rel)
    try:
        roots = page.locator(".book-interactive")
        assert roots.count() > 0
        for index in range(roots.count()):
            root = roots.nth(index)
            kind = root.get_attribute("data-control")
            assert root.get_attribute("data-ready") == "1", f"{rel}: the script of figure {index} ({kind}) did not run"
            sliders = root.locator("input[type=range]")
            assert sliders.count() > 0, f"{rel}: figure {index} ({kind}) has no control"
            for s in range(sliders.count()):
                slider = sliders.nth(s)
                name = slider.get_attribute("data-name")
                low, high = int(slider.get_attribute("min")), int(slider.get_attribute("max"))
                start = int(slider.input_value())
                other = high if start != high else low
                assert other != start, f"{rel}: slider {name} of {kind} cannot move ({low}…{high})"
                before = root.locator(".bi-output, .bi-frames").first.inner_html()
                after = set_slider(page, root, name, other)
                assert after != before, f"{rel}: moving {name} of {kind} from {start} to {other} changed nothing"
                shown = slider.locator("xpath=..").locator("output")
                if shown.count():
                    assert shown.inner_text() == str(other), f"{rel}: {name}'s value display did not follow"
                back = set_slider(page, root, name, start)
                assert back == before, f"{rel}: moving {name} of {kind} back to {start} did not restore the figure"
        assert problems["console"] == [], f"{rel}: console errors: {problems['console']}"
        assert problems["blocked"] == [], f"{rel}: requests to outside hosts: {problems['blocked']}"
    finally:
        page.context.close()


SIZE_SETTINGS = [  # (control moved, value) in sequence; each step is checked against Python
    ("size", 10), ("kernel_size", 4), ("stride", 3), ("padding", 0), ("dilation", 2), ("output_padding", 2),
    ("size", 1), ("padding", 4), ("padding", 1), ("kernel_size", 6), ("stride", 1), ("dilation", 3),
    ("output_padding", 3), ("output_padding", 0), ("stride", 4), ("size", 7),
]


def test_size_calculator_shows_the_python_formula(server, browser):
    if not (HTML / CH02).is_file():
        pytest.skip(f"{CH02} is not part of this build")
    page, problems = open_page(browser, server, CH02)
    try:
        root = page.locator('.book-interactive[data-control="size-calculator"]')
        assert root.count() == 1
        values = {name: int(root.locator(f'input[data-name="{name}"]').input_value()) for name in SLIDER_RANGES}
        assert values == dict(size=4, kernel_size=3, stride=2, padding=1, dilation=1, output_padding=1)
        checked_valid = checked_invalid = 0
        previous = None
        for name, value in SIZE_SETTINGS:
            values[name] = value
            shown = set_slider(page, root, name, value)
            assert shown != previous, f"moving {name} to {value} did not change the figure"
            previous = shown
            attrs, error, text = result_attributes(root)
            try:
                expected = conv_transpose_output_size(**values)
            except ValueError as exc:
                assert error is not None, f"{values}: Python rejects ({exc}) but the page shows {text!r}"
                assert error.split(" ")[0] == str(exc).split(" ")[0], (values, error, str(exc))
                assert text.startswith("not a valid setting:")
                checked_invalid += 1
                continue
            assert error is None, f"{values}: the page reports {error!r}, Python gives {expected}"
            assert int(attrs["outputSize"]) == expected, (values, attrs)
            assert text.startswith(f"output {expected}×{expected}"), text
            g = transposed_conv_grid(**values)
            assert text.endswith(g.formula), (text, g.formula)
            line = json.loads(attrs["coverage"])
            assert [line[r] * line[c] for r in range(expected) for c in range(expected)] == \
                g.coverage.flatten().tolist(), values
            checked_valid += 1
        assert checked_valid >= 10 and checked_invalid >= 2
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(SCREENSHOTS / "size_calculator_moved.png"))
        assert problems["console"] == [], problems["console"]
    finally:
        page.context.close()


def test_overlap_explorer_shows_the_python_pattern(server, browser):
    if not (HTML / CH02).is_file():
        pytest.skip(f"{CH02} is not part of this build")
    page, problems = open_page(browser, server, CH02)
    try:
        root = page.locator('.book-interactive[data-control="overlap-explorer"]')
        assert root.count() == 1
        values = {name: int(root.locator(f'input[data-name="{name}"]').input_value()) for name in OVERLAP_RANGES}
        ranges = {name: range(low, high + 1) for name, (low, high) in OVERLAP_RANGES.items()}
        checked = 0
        for k, s, layers in itertools.product(ranges["kernel_size"], ranges["stride"], ranges["layers"]):
            if (k + s + layers) % 3:                 # a third of all 96 settings, in slider order
                continue
            for name, value in (("kernel_size", k), ("stride", s), ("layers", layers)):
                if values[name] != value:
                    set_slider(page, root, name, value)
                    values[name] = value
            attrs, error, text = result_attributes(root)
            expected = overlap_pattern(k, s, layers)
            assert error is None, (values, error)
            assert int(attrs["period"]) == expected["period"], (values, attrs, expected)
            assert (int(attrs["low"]), int(attrs["high"])) == (expected["low"], expected["high"]), values
            assert json.loads(attrs["window"]) == expected["window"], values
            assert (f"repeats every {expected['period']} pixels" in text) == (expected["period"] > 1), text
            # the visible numbers are per axis; the 2-D image multiplies two axes
            lo, hi = expected["low"], expected["high"]
            assert f"gets {lo} to {hi} stamps" in text, text
            assert lo == 0 or f"in the 2-D image {lo * lo} to {hi * hi}" in text, text
            checked += 1
        assert checked >= 30
        for name, value in (("kernel_size", 3), ("stride", 2), ("layers", 3)):
            set_slider(page, root, name, value)
        assert "repeats every 8 pixels" in result_attributes(root)[2]     # the text of section 2.6
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(SCREENSHOTS / "overlap_explorer_k3_s2_l3.png"))
        assert problems["console"] == [], problems["console"]
    finally:
        page.context.close()


@pytest.mark.parametrize("path", interactive_pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_frame_sliders_show_exactly_the_chosen_frame(server, browser, path):
    rel = path.relative_to(HTML).as_posix()
    if 'data-control="frame-slider"' not in path.read_text(encoding="utf-8"):
        pytest.skip(f"{rel} has no frame slider")
    page, problems = open_page(browser, server, rel)
    try:
        roots = page.locator('.book-interactive[data-control="frame-slider"]')
        for index in range(roots.count()):
            root = roots.nth(index)
            frames = int(root.get_attribute("data-frames"))
            slider = root.locator("input[type=range]")
            name = slider.get_attribute("data-name")
            for i in sorted({0, frames // 2, frames - 1}):
                set_slider(page, root, name, i)
                visible = root.locator("img[data-frame]").evaluate_all(
                    "imgs => imgs.filter(i => !i.hidden && i.offsetWidth > 0).map(i => +i.dataset.frame)")
                assert visible == [i], f"{rel}: frame slider {index} at {i} shows frames {visible}"
                label = root.locator(f'img[data-frame="{i}"]').get_attribute("data-label")
                assert root.locator(".bi-value").inner_text() == label
                assert root.get_attribute("data-shown") == str(i)
        assert problems["console"] == [], f"{rel}: console errors: {problems['console']}"
    finally:
        page.context.close()


def test_frame_slider_and_computed_figure_work_in_a_bare_page(browser):
    """The mechanism itself, outside the book: two copies of each output on one page, as Jupyter may show."""
    import numpy as np

    from helpers.interactive import Slider, computed_figure, frame_slider

    frames = [np.full((6, 6), v) for v in (0.0, 0.5, 1.0)]
    slider = frame_slider(frames, ["step 0", "step 50", "step 100"], title="learning").data
    square = computed_figure([Slider("n", 1, 9, 3)],
                             "function (v, out) { if (v.n === 9) throw new Error('too big');"
                             " out.innerHTML = '<p class=\"bi-result\" data-square=\"' + v.n * v.n + '\">'"
                             " + v.n * v.n + '</p>'; }", kind="square").data
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.set_content(f"<html><body>{slider}{slider}{square}{square}</body></html>")
        roots = page.locator(".book-interactive")
        assert roots.count() == 4 and all(roots.nth(i).get_attribute("data-ready") == "1" for i in range(4))
        first, second = roots.nth(0), roots.nth(1)
        set_slider(page, first, "step", 0)
        assert first.locator(".bi-value").inner_text() == "step 0"
        assert second.locator(".bi-value").inner_text() == "step 100"        # the copies are independent
        visible = first.locator("img[data-frame]").evaluate_all(
            "imgs => imgs.filter(i => !i.hidden).map(i => +i.dataset.frame)")
        assert visible == [0]
        third = roots.nth(2)
        assert third.locator(".bi-result").get_attribute("data-square") == "9"
        set_slider(page, third, "n", 7)
        assert third.locator(".bi-result").get_attribute("data-square") == "49"
        assert roots.nth(3).locator(".bi-result").get_attribute("data-square") == "9"
        set_slider(page, third, "n", 9)
        assert third.get_attribute("data-error") == "too big"
        assert "not a valid setting: too big" in third.locator(".bi-output").inner_text()
        set_slider(page, third, "n", 2)
        assert third.get_attribute("data-error") is None
        assert errors == [], errors
    finally:
        page.close()
