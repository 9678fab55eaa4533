"""Interactive figures of chapter 02: the transposed-convolution size calculator and the overlap explorer.

Both work with no Python kernel (on the static website as in Jupyter and
Colab): they are :func:`helpers.interactive.computed_figure` outputs whose
inline JavaScript repeats, in the browser, the arithmetic of the Python
functions here, which the tests check against PyTorch:

* :func:`transposed_conv_grid` — the output size, how many stamps land on each
  output pixel, which pixels one input pixel stamps;
* :func:`size_calculator_figure` — the same as a static matplotlib figure;
* :func:`size_calculator` — six sliders; the browser recomputes the output
  size (the formula of :func:`helpers.conv_math.conv_transpose_output_size`)
  and redraws the two grids;
* :func:`overlap_explorer` — kernel size, stride and number of stacked layers;
  the browser draws the overlap pattern of equal-weight transposed convolutions
  (:func:`helpers.conv_math.overlap_pattern`), the source of checkerboards.

>>> from helpers.widgets import transposed_conv_grid
>>> g = transposed_conv_grid(4, kernel_size=4, stride=2, padding=1)
>>> g.output_size, g.coverage.shape
(8, (8, 8))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.checks import check_int
from helpers.conv_math import conv_transpose_output_size, stamp_counts

#: Slider ranges of :func:`size_calculator`: name → (minimum, maximum).
SLIDER_RANGES = {
    "size": (1, 10),
    "kernel_size": (1, 6),
    "stride": (1, 4),
    "padding": (0, 4),
    "dilation": (1, 3),
    "output_padding": (0, 3),
}


@dataclass(frozen=True)
class TransposedConvGrid:
    """What a square transposed convolution does to the pixel grid (see :func:`transposed_conv_grid`).

    Taught in chapter 02, §2.9 (An interactive size calculator).
    """

    size: int
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    output_padding: int
    output_size: int
    #: ``(output_size, output_size)`` ints: how many (input pixel, kernel tap) pairs land on each output pixel.
    coverage: np.ndarray
    #: the input pixel whose stamp is highlighted, ``(row, col)``.
    highlight: tuple[int, int]
    #: ``(output_size, output_size)`` bools: the output pixels that ``highlight``'s stamp covers.
    footprint: np.ndarray

    @property
    def formula(self) -> str:
        """The output-size formula with the numbers filled in."""
        return (f"({self.size}−1)·{self.stride} − 2·{self.padding} + {self.dilation}·({self.kernel_size}−1)"
                f" + {self.output_padding} + 1 = {self.output_size}")


def transposed_conv_grid(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                         dilation: int = 1, output_padding: int = 0,
                         highlight: tuple[int, int] | None = None) -> TransposedConvGrid:
    """Output size, stamp coverage and one stamp's footprint of a square transposed convolution.

    Taught in chapter 02, §2.9 (An interactive size calculator).

    Raises ``ValueError`` for settings PyTorch rejects (see
    :func:`helpers.conv_math.conv_transpose_output_size`). ``highlight`` is an
    input pixel ``(row, col)``; by default the centre one.

    >>> g = transposed_conv_grid(3, kernel_size=3, stride=2)
    >>> g.output_size, g.coverage[0].tolist()
    (7, [1, 1, 2, 1, 2, 1, 1])
    >>> g.formula
    '(3−1)·2 − 2·0 + 1·(3−1) + 0 + 1 = 7'
    """
    out = conv_transpose_output_size(size, kernel_size, stride, padding, dilation, output_padding)
    if highlight is None:
        highlight = (size // 2, size // 2)
    row, col = (check_int(v, "highlight", 0) for v in highlight)
    if row >= size or col >= size:
        raise ValueError(f"highlight={tuple(highlight)} is outside the {size}×{size} input")
    line = stamp_counts(size, kernel_size, stride, padding, dilation, output_size=out).numpy()
    taps = np.arange(kernel_size) * dilation - padding
    rows, cols = row * stride + taps, col * stride + taps
    footprint = np.zeros((out, out), dtype=bool)
    footprint[np.ix_(rows[(rows >= 0) & (rows < out)], cols[(cols >= 0) & (cols < out)])] = True
    return TransposedConvGrid(size, kernel_size, stride, padding, dilation, output_padding, out,
                              np.outer(line, line), (row, col), footprint)


def _draw_grid(ax, n: int) -> None:
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xticks(np.arange(-0.5, n, 1.0), minor=True)
    ax.set_yticks(np.arange(-0.5, n, 1.0), minor=True)
    ax.grid(which="minor", color="0.55", linewidth=0.6)
    ax.tick_params(which="both", length=0)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")


def size_calculator_figure(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                           dilation: int = 1, output_padding: int = 0, highlight=None, axes=None):
    """Draw the input grid and the output grid of a transposed convolution.

    Taught in chapter 02, §2.9 (An interactive size calculator).

    Left: the ``size × size`` input, with one pixel marked. Right: the
    output, shaded by how many stamps cover each pixel (the number is
    written in when the grid is small), with the marked pixel's stamp
    outlined. The output's title holds the size formula. Pass
    ``axes=(left, right)`` to draw into existing axes; returns the figure.

    >>> fig = size_calculator_figure(4, 4, stride=2, padding=1)
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['input 4×4', 'output 8×8:  H_out = (4−1)·2 − 2·1 + 1·(4−1) + 0 + 1 = 8']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import MaxNLocator

    g = transposed_conv_grid(size, kernel_size, stride, padding, dilation, output_padding, highlight)
    own_figure = axes is None
    if own_figure:
        fig, axes = plt.subplots(1, 2, figsize=(8.5, 4.4),
                                 gridspec_kw={"width_ratios": [max(g.size, 3), max(g.output_size, 3)]})
    ax_in, ax_out = axes
    fig = ax_in.figure

    marked = np.zeros((g.size, g.size))
    marked[g.highlight] = 1.0
    ax_in.imshow(marked, cmap="Greys", vmin=0, vmax=2.5)
    _draw_grid(ax_in, g.size)
    ax_in.add_patch(Rectangle((g.highlight[1] - 0.5, g.highlight[0] - 0.5), 1, 1, fill=False,
                              edgecolor="tab:red", linewidth=2.5))
    ax_in.set_title(f"input {g.size}×{g.size}")
    ax_in.set_xlabel(f"pixel {g.highlight} marked")

    image = ax_out.imshow(g.coverage, cmap="viridis", vmin=0, vmax=max(int(g.coverage.max()), 1))
    _draw_grid(ax_out, g.output_size)
    if g.output_size <= 16:
        for (r, c), v in np.ndenumerate(g.coverage):
            ax_out.text(c, r, str(v), ha="center", va="center", fontsize=8,
                        color="white" if v < 0.6 * max(g.coverage.max(), 1) else "black")
    for r, c in zip(*np.nonzero(g.footprint)):
        ax_out.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="tab:red", linewidth=1.8))
    ax_out.set_title(f"output {g.output_size}×{g.output_size}:  H_out = {g.formula}", fontsize=9)
    ax_out.set_xlabel("shade: stamps covering each pixel; red: the marked pixel's stamp", fontsize=8)
    bar = fig.colorbar(image, ax=ax_out, fraction=0.046, pad=0.04, label="stamps")
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    if own_figure:
        fig.suptitle(f"transposed convolution with k={g.kernel_size}, s={g.stride}, p={g.padding}, "
                     f"d={g.dilation}, output_padding={g.output_padding}", fontsize=10)
    return fig


#: The browser's copy of :func:`transposed_conv_grid` and of the checks of
#: :func:`helpers.conv_math.conv_transpose_output_size` (same rules, same messages).
SIZE_CALCULATOR_JS = r"""function (v, out) {
  var n = v.size, k = v.kernel_size, s = v.stride, p = v.padding, d = v.dilation, op = v.output_padding;
  if (op >= s && op >= d)
    throw new Error('output_padding=' + op + ' must be smaller than stride=' + s + ' or dilation=' + d +
                    " (PyTorch's rule)");
  var H = (n - 1) * s - 2 * p + d * (k - 1) + op + 1;
  if (H < 1)
    throw new Error('padding=' + p + ' is too large: the output would have ' + H + ' pixels');
  var line = [];
  for (var i = 0; i < H; i++) line.push(0);
  for (var u = 0; u < n; u++) for (var a = 0; a < k; a++) {      // every input pixel stamps every tap
    var pos = u * s + a * d - p;
    if (pos >= 0 && pos < H) line[pos] += 1;                     // taps in the cropped border are dropped
  }
  var cov = line.map(function (x) { return line.map(function (y) { return x * y; }); });
  var c = Math.floor(n / 2), taps = [], foot = [];
  for (var a2 = 0; a2 < k; a2++) { var t = c * s + a2 * d - p; if (t >= 0 && t < H) taps.push(t); }
  taps.forEach(function (r) { taps.forEach(function (q) { foot.push([r, q]); }); });
  var marked = [];
  for (var r = 0; r < n; r++) {
    marked.push([]);
    for (var q = 0; q < n; q++) marked[r].push(r === c && q === c ? 0.45 : 1);   // marked pixel darker
  }
  var cell = Math.max(8, Math.min(26, Math.floor(360 / Math.max(H, 1))));
  var top = Math.max.apply(null, line) * Math.max.apply(null, line);
  var formula = '(' + n + '\u22121)\u00b7' + s + ' \u2212 2\u00b7' + p + ' + ' + d + '\u00b7(' + k + '\u22121) + ' +
                op + ' + 1 = ' + H;
  out.innerHTML =
    '<p class="bi-result" data-output-size="' + H + '" data-coverage="' + BF.esc(JSON.stringify(line)) +
    '" style="margin: 0.2em 0"><b>output ' + H + '\u00d7' + H + '</b> \u2014 H_out = ' + formula + '</p>' +
    '<div style="display: flex; gap: 1.5em; align-items: flex-start; flex-wrap: wrap">' +
    '<div>' + BF.grid(marked, {cell: Math.min(26, cell * 1.5), vmin: 0, vmax: 1.2, map: 'grey',
                               outline: [[c, c]], title: 'input ' + n + '\u00d7' + n}) + '</div>' +
    '<div>' + BF.grid(cov, {cell: cell, vmin: 0, vmax: Math.max(top, 1), numbers: H <= 16, outline: foot,
                            title: 'output ' + H + '\u00d7' + H + ': stamps per pixel'}) + '</div></div>' +
    '<p style="font-size: 12px; margin: 0.2em 0">shade and numbers: how many stamps cover each output pixel ' +
    '(brighter = more); red: the stamp of the marked input pixel (' + c + ', ' + c + ')</p>';
}"""


def _sliders(ranges: dict, start: dict) -> list:
    """One :class:`helpers.interactive.Slider` per ``name: (low, high)``, starting at ``start[name]``
    (checked to be an int >= low; the range widens to hold a larger start value)."""
    from helpers.interactive import Slider

    sliders = []
    for name, (low, high) in ranges.items():
        value = check_int(start[name], name, low)
        sliders.append(Slider(name, low, max(high, value), value))
    return sliders


def size_calculator(size: int = 4, kernel_size: int = 3, stride: int = 2, padding: int = 1,
                    dilation: int = 1, output_padding: int = 1):
    """Six sliders; the browser recomputes the output size and redraws the grids (no kernel needed).

    Taught in chapter 02, §2.9 (An interactive size calculator).

    Returns an ``IPython.display.HTML`` (display it as a cell's last value).
    The result line, ``<p class="bi-result" data-output-size=…>``, reads
    "output 8×8 — H_out = …" with the reader's numbers; settings that PyTorch
    rejects show the error instead. Before any script runs, the output shows
    the same sentence for the start values, computed here in Python.

    >>> html = size_calculator().data
    >>> 'data-control="size-calculator"' in html and "output 8×8" in html
    True
    """
    from helpers.interactive import computed_figure

    start = dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding,
                 dilation=dilation, output_padding=output_padding)
    sliders = _sliders(SLIDER_RANGES, start)
    g = transposed_conv_grid(**start)                        # raises ValueError for a bad start
    fallback = (f'<p class="bi-result" data-output-size="{g.output_size}"><b>output {g.output_size}×'
                f'{g.output_size}</b> — H_out = {g.formula}</p>')
    return computed_figure(sliders, SIZE_CALCULATOR_JS, kind="size-calculator", fallback_html=fallback,
                           title="transposed convolution: output size and stamp overlap")


#: Slider ranges of :func:`overlap_explorer`: name → (minimum, maximum).
OVERLAP_RANGES = {"kernel_size": (1, 8), "stride": (1, 4), "layers": (1, 3)}

#: The browser's copy of :func:`helpers.conv_math.overlap_pattern`, drawn as a profile and a 2-D crop.
OVERLAP_JS = r"""function (v, out) {
  var k = v.kernel_size, s = v.stride, L = v.layers, N = 64;
  var counts = [];
  for (var i = 0; i < N; i++) counts.push(1);
  for (var l = 0; l < L; l++) {                        // one transposed convolution, all-ones kernel
    var next = [];
    for (var j = 0; j < (counts.length - 1) * s + k; j++) next.push(0);
    for (var u = 0; u < counts.length; u++) for (var a = 0; a < k; a++) next[u * s + a] += counts[u];
    counts = next;
  }
  var cycle = Math.pow(s, L), start = Math.floor(Math.floor(counts.length / 2) / cycle) * cycle;
  var middle = counts.slice(start, start + 2 * cycle), period = cycle;
  for (var p = 1; p <= cycle; p++) {
    if (cycle % p) continue;
    var same = true;
    for (var q = 0; q + p < 2 * cycle; q++) if (middle[q] !== middle[q + p]) { same = false; break; }
    if (same) { period = p; break; }
  }
  var win = middle.slice(0, period), low = Math.min.apply(null, win), high = Math.max.apply(null, win);
  var W = Math.min(32, Math.max(16, 2 * cycle)), crop = counts.slice(start, start + W);
  var image = crop.map(function (x) { return crop.map(function (y) { return x * y; }); });
  var cell = Math.max(6, Math.floor(300 / W)), bars = [], bw = cell, bh = 70;
  bars.push('<svg xmlns="http://www.w3.org/2000/svg" width="' + (W * bw + 2) + '" height="' + (bh + 20) + '">');
  bars.push('<text x="0" y="12" font-size="12" fill="currentColor">stamps per pixel along one row (bar height)</text>');
  crop.forEach(function (x, i) {
    var h = high > 0 ? Math.round((bh - 20) * x / high) : 0;
    bars.push('<rect x="' + (i * bw + 1) + '" y="' + (bh - h) + '" width="' + (bw - 1) + '" height="' + h +
              '" fill="' + BF.colour(high > 0 ? x / high : 0) + '" stroke="#555" stroke-width="0.4"/>');
  });
  bars.push('<line x1="0" x2="' + (W * bw) + '" y1="' + bh + '" y2="' + bh + '" stroke="#555"/></svg>');
  var verdict = period === 1 ? 'even overlap: a constant input stays flat'
                             : (low === 0 ? 'gaps between the stamps' : 'uneven overlap') +
                               ': a pattern that repeats every ' + period + ' pixels';
  out.innerHTML =
    '<p class="bi-result" data-period="' + period + '" data-low="' + low + '" data-high="' + high +
    '" data-window="' + BF.esc(JSON.stringify(win)) + '" style="margin: 0.2em 0"><b>' + L + ' layer' +
    (L > 1 ? 's' : '') + ', k=' + k + ', s=' + s + ':</b> ' + verdict + ' (along one axis a pixel gets ' +
    low + ' to ' + high + ' stamps' + (low > 0 ? ', ratio ' + (high / low).toFixed(2) +
    '; in the 2-D image ' + low * low + ' to ' + high * high : ': the stamps leave gaps') + ')</p>' +
    '<div style="display: flex; gap: 1.5em; align-items: flex-end; flex-wrap: wrap">' +
    '<div>' + BF.grid(image, {cell: cell, vmin: 0, vmax: Math.max(high * high, 1), map: 'grey',
                              title: 'a constant image, ' + W + '\u00d7' + W + ' crop (white = most)'}) +
    '</div><div>' + bars.join('') + '</div></div>';
}"""


def overlap_explorer(kernel_size: int = 3, stride: int = 2, layers: int = 1):
    """Kernel size, stride and stacked layers → the overlap pattern of equal-weight transposed convolutions.

    Taught in chapter 02, §2.6 (Checkerboard artifacts).

    Every layer has an all-ones kernel, so the picture shows what the overlap
    alone does to a constant image (Distill's classic figure): flat when the
    stride divides the kernel size, a grid otherwise, whose period grows to
    ``stride**layers`` when layers are stacked. The result line
    ``<p class="bi-result" data-period=… data-low=… data-high=…>`` holds the
    numbers of :func:`helpers.conv_math.overlap_pattern`.

    >>> html = overlap_explorer(3, 2, 3).data
    >>> 'data-control="overlap-explorer"' in html and "repeats every 8 pixels" in html
    True
    """
    from helpers.conv_math import overlap_pattern
    from helpers.interactive import computed_figure

    start = dict(kernel_size=kernel_size, stride=stride, layers=layers)
    sliders = _sliders(OVERLAP_RANGES, start)
    pattern = overlap_pattern(**start)
    kind = "gaps between the stamps" if pattern["low"] == 0 else "uneven overlap"
    verdict = ("even overlap: a constant input stays flat" if pattern["period"] == 1 else
               f"{kind}: a pattern that repeats every {pattern['period']} pixels")
    fallback = (f'<p class="bi-result" data-period="{pattern["period"]}"><b>{layers} layer'
                f'{"s" if layers > 1 else ""}, k={kernel_size}, s={stride}:</b> {verdict}</p>')
    return computed_figure(sliders, OVERLAP_JS, kind="overlap-explorer", fallback_html=fallback,
                           title="equal-weight transposed convolutions on a constant image: "
                                 "where do the stamps overlap?")
