"""helpers.interactive: the kernel-free figures' HTML, their frames, their errors, and their scripts' syntax."""

import base64
import io
import re
import shutil
import subprocess

import numpy as np
import pytest

from helpers.interactive import JS_LIBRARY, PNG_SIGNATURE, Slider, computed_figure, frame_slider

NODE = shutil.which("node")


def decoded_frames(html):
    """The embedded PNGs of a frame_slider output, as numpy arrays."""
    from matplotlib import image as mpl_image

    return [mpl_image.imread(io.BytesIO(base64.b64decode(data)), format="png")
            for data in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_frame_slider_embeds_every_frame_and_shows_the_start_one():
    frames = [np.full((4, 6), v) for v in (0.0, 0.25, 1.0)]
    html = frame_slider(frames, ["step 0", "step 5", "step 10"], title="learning", label="step",
                        start=1).data
    assert html.count('class="book-interactive"') == 1 and 'data-control="frame-slider"' in html
    assert 'data-frames="3"' in html and 'data-shown="1"' in html
    assert re.search(r'<input type="range" data-name="step" min="0" max="2" step="1" value="1"', html)
    tags = re.findall(r"<img [^>]*>", html)
    assert len(tags) == 3
    assert [" hidden" in t for t in tags] == [True, False, True]        # only the start frame shows
    assert '<span class="bi-value" style="font-variant-numeric: tabular-nums">step 5</span>' in html
    images = decoded_frames(html)
    assert [im.shape[:2] for im in images] == [(4, 6)] * 3
    assert [round(float(im[..., 0].mean()), 2) for im in images] == [0.0, 0.25, 1.0]
    assert "<script>" in html and "learning" in html


def test_frame_slider_default_start_is_the_last_frame_and_labels_are_escaped():
    html = frame_slider([np.zeros((2, 2)), np.ones((2, 2))], ["<a>", 'b"c']).data
    assert 'value="1"' in html and "&lt;a&gt;" in html and "b&quot;c" in html and "<a>" not in html


def test_frame_slider_accepts_rgb_chw_tensors_figures_and_png_bytes():
    import matplotlib.pyplot as plt
    import torch

    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1])
    png = base64.b64decode(re.findall(r"base64,([^\"]+)", frame_slider([np.zeros((3, 3))], ["x"]).data)[0])
    html = frame_slider([np.zeros((5, 7, 3)), torch.ones(3, 5, 7), fig, png], list("abcd")).data
    plt.close(fig)
    shapes = [im.shape for im in decoded_frames(html)]
    assert shapes[0][:2] == shapes[1][:2] == (5, 7) and shapes[3][:2] == (3, 3)
    assert shapes[2][1] > shapes[2][0] > 20                              # the figure, wider than tall


@pytest.mark.parametrize("call, error, match", [
    (lambda: frame_slider([], []), ValueError, "at least one frame"),
    (lambda: frame_slider([np.zeros((2, 2))], ["a", "b"]), ValueError, "1 frames but 2 labels"),
    (lambda: frame_slider([np.full((2, 2), 2.0)], ["a"]), ValueError, r"must lie in \[0, 1\]"),
    (lambda: frame_slider([np.full((2, 2), np.nan)], ["a"]), ValueError, "NaN"),
    (lambda: frame_slider([np.zeros((2, 2, 2, 2))], ["a"]), ValueError, "must be \\(H, W\\)"),
    (lambda: frame_slider([b"GIF89a"], ["a"]), ValueError, "not a PNG"),
    (lambda: frame_slider(["picture.png"], ["a"]), TypeError, "must be a numpy array"),
    (lambda: frame_slider([np.zeros((2, 2))], ["a"], start=1), ValueError, "start must be a frame index 0 … 0"),
])
def test_frame_slider_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_png_signature_constant():
    assert PNG_SIGNATURE == b"\x89PNG\r\n\x1a\n"


def test_computed_figure_has_one_named_control_per_slider():
    html = computed_figure([Slider("a", 0, 4, 2, label="first"), Slider("b", 1, 3, 3)],
                           "function (v, out) { out.textContent = v.a + v.b; }", kind="sum",
                           title="a sum", caption="moves", fallback_html="<p>5</p>").data
    assert 'data-control="sum"' in html and "a sum" in html and "moves" in html
    assert re.search(r'data-name="a" min="0" max="4" step="1" value="2"', html)
    assert re.search(r'data-name="b" min="1" max="3" step="1" value="3"', html)
    assert '<div class="bi-output" style="margin-top: 0.4em; overflow-x: auto"><p>5</p></div>' in html
    assert "var BF" in html and "out.textContent = v.a + v.b" in html


@pytest.mark.parametrize("call, error, match", [
    (lambda: Slider("not a name", 0, 1, 0), ValueError, "must be an identifier"),
    (lambda: Slider("a", 0, 3, 5), ValueError, "outside 0 … 3"),
    (lambda: Slider("a", 0, 3.0, 1), TypeError, "high must be an int"),
    (lambda: computed_figure([], "function (v, out) {}"), TypeError, "non-empty list"),
    (lambda: computed_figure([Slider("a", 0, 1, 0)] * 2, "function (v, out) {}"), ValueError, "distinct"),
    (lambda: computed_figure([Slider("a", 0, 1, 0)], "v => v"), ValueError, "function expression"),
])
def test_computed_figure_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.skipif(NODE is None, reason="node is needed to parse the inline scripts")
def test_inline_scripts_are_valid_javascript(tmp_path):
    outputs = [frame_slider([np.zeros((2, 2))], ["a"]).data,
               computed_figure([Slider("a", 0, 1, 0)], "function (v, out) { out.textContent = v.a; }").data]
    for i, html in enumerate(outputs):
        for j, script in enumerate(re.findall(r"<script>(.*?)</script>", html, flags=re.S)):
            path = tmp_path / f"s{i}_{j}.js"
            path.write_text(script)
            result = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True)
            assert result.returncode == 0, result.stderr


@pytest.mark.skipif(NODE is None, reason="node is needed to run the JavaScript helpers")
def test_js_grid_draws_one_rect_per_cell_and_writes_numbers(tmp_path):
    path = tmp_path / "grid.js"
    path.write_text(JS_LIBRARY + "\nconsole.log(BF.grid([[1, 2], [3, 4]], {numbers: true, outline: [[0, 1]]}));"
                    "\nconsole.log(BF.colour(0), BF.colour(1), BF.grey(0.5), BF.esc('<&>'));")
    out = subprocess.run([NODE, str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    svg = out[0]
    assert svg.count("<rect") == 4 + 1 and svg.count("<text") == 4     # 4 cells + 1 outline
    assert out[1] == "rgb(68,1,84) rgb(253,231,37) rgb(128,128,128) &lt;&amp;&gt;"


def test_glue_writes_what_myst_nb_reads(monkeypatch):
    import IPython.display

    from helpers.interactive import GLUE_PREFIX, glue

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))
    glue("test_accuracy", 0.975)
    (bundle,), options = shown[0]
    assert bundle == {GLUE_PREFIX + "text/plain": "0.975"}
    assert options["raw"] and options["metadata"]["scrapbook"] == {"name": "test_accuracy",
                                                                 "mime_prefix": GLUE_PREFIX}
    with pytest.raises(ValueError, match="glue name"):
        glue("not ok!", 1)
