"""helpers.widgets: the size calculator's arithmetic (against torch), its figure, and the widget wrapper."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.conv_math import conv_transpose_output_size
from helpers.widgets import SLIDER_RANGES, size_calculator, size_calculator_figure, transposed_conv_grid


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


def _by_description(box):
    rows = box.children[0].children
    return {s.description: s for column in rows for s in column.children}


def test_widget_builds_headless_and_follows_the_sliders():
    box = size_calculator(size=4, kernel_size=4, stride=2, padding=1, dilation=1, output_padding=0)
    sliders = _by_description(box)
    summary, picture = box.children[1], box.children[2]
    assert set(sliders) == set(SLIDER_RANGES)
    assert summary.value.startswith("<b>output 8×8</b>")
    assert picture.value[:8] == b"\x89PNG\r\n\x1a\n"
    first = picture.value

    sliders["stride"].value = 3                               # (4−1)·3 − 2 + 3 + 1 = 11
    assert summary.value.startswith("<b>output 11×11</b>")
    assert picture.value != first

    sliders["output_padding"].value = 3                        # invalid: 3 ≥ stride and ≥ dilation
    assert summary.value.startswith("<b>not a valid setting:</b>")
    assert "output_padding=3 must be smaller than stride=3" in summary.value
    assert picture.layout.display == "none"
    sliders["output_padding"].value = 2                        # valid again: the picture comes back
    assert summary.value.startswith("<b>output 13×13</b>") and picture.layout.display is None


def test_widget_rejects_bad_start_values():
    with pytest.raises(ValueError, match="stride must be >= 1"):
        size_calculator(stride=0)
