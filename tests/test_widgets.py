"""helpers.widgets: the size calculator's arithmetic (against torch), its figure, and the in-browser figures.

The browser scripts are run with node (when installed) on every small setting and compared with
the Python functions; tests/test_site_interactive.py moves the same controls on the built site.
"""

import itertools
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.conv_math import conv_transpose_output_size, overlap_pattern, stacked_overlap_counts
from helpers.interactive import JS_LIBRARY
from helpers.widgets import (OVERLAP_JS, OVERLAP_RANGES, SIZE_CALCULATOR_JS, SLIDER_RANGES, overlap_explorer,
                             size_calculator, size_calculator_figure, transposed_conv_grid)

NODE = shutil.which("node")


def torch_coverage(n, k, s, p, d, op):
    ones = F.conv_transpose2d(torch.ones(1, 1, n, n), torch.ones(1, 1, k, k), stride=s, padding=p,
                              output_padding=op, dilation=d)
    return ones[0, 0].round().long().numpy()


SETTINGS = [(n, k, s, p, d, op)
            for n, k, s, p, d, op in itertools.product(range(1, 6), range(1, 5), range(1, 4), range(0, 3),
                                                       range(1, 3), range(0, 3))
            if op < max(s, d) and (n - 1) * s - 2 * p + d * (k - 1) + op + 1 >= 1]


def test_grid_matches_torch_on_every_small_setting():
    assert len(SETTINGS) > 500
    for n, k, s, p, d, op in SETTINGS:
        g = transposed_conv_grid(n, k, s, p, d, op)
        assert g.output_size == conv_transpose_output_size(n, k, s, p, d, op)
        assert np.array_equal(g.coverage, torch_coverage(n, k, s, p, d, op)), (n, k, s, p, d, op)


@pytest.mark.parametrize("n, k, s, p, d, op", [(4, 3, 2, 1, 1, 1), (5, 3, 1, 1, 2, 0), (3, 4, 2, 2, 1, 0)])
def test_footprint_is_the_stamp_of_one_input_pixel(n, k, s, p, d, op):
    for row, col in [(0, 0), (n // 2, n - 1), (n - 1, n - 1)]:
        g = transposed_conv_grid(n, k, s, p, d, op, highlight=(row, col))
        x = torch.zeros(1, 1, n, n)
        x[0, 0, row, col] = 1.0
        stamp = F.conv_transpose2d(x, torch.ones(1, 1, k, k), stride=s, padding=p, output_padding=op,
                                   dilation=d)[0, 0]
        assert np.array_equal(g.footprint, (stamp > 0).numpy())


def test_formula_text_and_default_highlight():
    g = transposed_conv_grid(4, 4, 2, 1)
    assert g.formula == "(4−1)·2 − 2·1 + 1·(4−1) + 0 + 1 = 8"
    assert g.highlight == (2, 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(size=4, kernel_size=3, stride=2, output_padding=2), "output_padding=2 must be smaller"),
    (dict(size=1, kernel_size=1, padding=1), "padding=1 is too large"),
    (dict(size=0, kernel_size=3), "size must be >= 1"),
    (dict(size=3, kernel_size=3, highlight=(3, 0)), "outside the 3×3 input"),
])
def test_grid_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        transposed_conv_grid(**kwargs)


def test_figure_has_input_and_output_panels():
    fig = size_calculator_figure(3, 3, stride=2, padding=0)
    ax_in, ax_out = fig.axes[:2]
    assert ax_in.get_title().startswith("input 3×3")
    assert ax_out.get_title().startswith("output 7×7")
    assert ax_out.get_title().endswith("= 7")
    assert "k=3, s=2, p=0" in fig._suptitle.get_text()
    assert ax_out.images[0].get_array().shape == (7, 7)
    assert len(ax_out.texts) == 49                                        # counts written in
    assert len(ax_out.patches) == 9                                       # the 3×3 stamp outlined
    assert len(size_calculator_figure(10, 3, 2, 0).axes[1].texts) == 0    # 21×21: too many numbers


def test_figure_draws_into_given_axes():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2)
    out = size_calculator_figure(2, 2, 2, axes=axes[1])
    assert out is fig and axes[1][1].get_title().startswith("output 4×4")


def run_in_node(render_js, cases, tmp_path):
    """Call the browser's render function on each case; return [(result-tag attributes, error)]."""
    script = tmp_path / "run.js"
    script.write_text(JS_LIBRARY + f"\nvar render = ({render_js});\nvar cases = {json.dumps(cases)};\n" + """
var results = cases.map(function (v) {
  var out = {innerHTML: ''};
  try { render(v, out); return {html: out.innerHTML}; } catch (e) { return {error: e.message}; }
});
console.log(JSON.stringify(results));""")
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, check=True)
    results = []
    for r in json.loads(done.stdout):
        if "error" in r:
            results.append((None, r["error"]))
        else:
            tag = re.search(r'<p class="bi-result"([^>]*)>', r["html"]).group(1)
            attrs = {k: v.replace("&quot;", '"') for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', tag)}
            results.append((attrs, None))
    return results


@pytest.mark.skipif(NODE is None, reason="node runs the browser's JavaScript")
@pytest.mark.slow
def test_browser_size_calculator_equals_python_on_every_setting(tmp_path):
    ranges = [range(lo, hi + 1) for lo, hi in SLIDER_RANGES.values()]
    cases = [dict(zip(SLIDER_RANGES, values)) for values in itertools.product(*ranges)][::7]
    assert len(cases) > 2000
    for case, (attrs, error) in zip(cases, run_in_node(SIZE_CALCULATOR_JS, cases, tmp_path)):
        try:
            g = transposed_conv_grid(**case)
        except ValueError as exc:
            assert error is not None, (case, attrs)
            assert str(exc).split(" ")[0] == error.split(" ")[0], (case, exc, error)   # same argument named
            continue
        assert error is None, (case, error)
        assert int(attrs["output-size"]) == g.output_size, case
        line = json.loads(attrs["coverage"])                              # stamps per pixel of one axis
        assert np.array_equal(np.outer(line, line), g.coverage), case


@pytest.mark.skipif(NODE is None, reason="node runs the browser's JavaScript")
def test_browser_overlap_explorer_equals_python_on_every_setting(tmp_path):
    ranges = [range(lo, hi + 1) for lo, hi in OVERLAP_RANGES.values()]
    cases = [dict(zip(OVERLAP_RANGES, values)) for values in itertools.product(*ranges)]
    for case, (attrs, error) in zip(cases, run_in_node(OVERLAP_JS, cases, tmp_path)):
        assert error is None, (case, error)
        expected = overlap_pattern(**case)
        assert int(attrs["period"]) == expected["period"], case
        assert (int(attrs["low"]), int(attrs["high"])) == (expected["low"], expected["high"]), case
        assert json.loads(attrs["window"]) == expected["window"], case


def test_stacked_overlap_counts_equal_torch_transposed_convolutions_of_ones():
    for k, s, layers in itertools.product(range(1, 6), range(1, 4), range(1, 4)):
        x = torch.ones(1, 1, 5)
        for _ in range(layers):
            x = F.conv_transpose1d(x, torch.ones(1, 1, k), stride=s)
        assert torch.equal(stacked_overlap_counts(5, k, s, layers), x[0, 0].round().long()), (k, s, layers)


def test_overlap_pattern_facts_of_chapter_02():
    assert overlap_pattern(3, 2, 1)["period"] == 2 and overlap_pattern(3, 2, 3)["period"] == 8
    for layers in (1, 2, 3):
        assert overlap_pattern(4, 2, layers)["period"] == 1              # k/s whole: flat
        assert overlap_pattern(6, 3, layers)["low"] == overlap_pattern(6, 3, layers)["high"]
    with pytest.raises(ValueError, match="layers must be >= 1"):
        overlap_pattern(3, 2, 0)


def test_size_calculator_html_states_the_start_setting():
    html = size_calculator(size=4, kernel_size=4, stride=2, padding=1, dilation=1, output_padding=0).data
    assert 'data-control="size-calculator"' in html
    assert set(re.findall(r'data-name="([a-z_]+)"', html)) == set(SLIDER_RANGES)
    assert re.search(r'data-name="size" min="1" max="10" step="1" value="4"', html)
    assert 'data-output-size="8"' in html and "(4−1)·2 − 2·1 + 1·(4−1) + 0 + 1 = 8" in html
    assert "ipywidgets" not in html and "require" not in html


def test_overlap_explorer_html_states_the_start_setting():
    html = overlap_explorer(4, 2, 2).data
    assert 'data-control="overlap-explorer"' in html and 'data-period="1"' in html
    assert re.search(r'data-name="layers" min="1" max="3" step="1" value="2"', html)


def test_interactive_figures_reject_bad_start_values():
    with pytest.raises(ValueError, match="stride must be >= 1"):
        size_calculator(stride=0)
    with pytest.raises(ValueError, match="output_padding=2 must be smaller"):
        size_calculator(stride=2, output_padding=2)
    with pytest.raises(ValueError, match="layers must be >= 1"):
        overlap_explorer(layers=0)
