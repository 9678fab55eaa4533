"""Interactive figures: the transposed-convolution size calculator of chapter 02.

The logic is split in three so that it can be tested without a browser:

* :func:`transposed_conv_grid` — pure arithmetic: the output size, how many
  stamps land on each output pixel, which pixels one input pixel stamps;
* :func:`size_calculator_figure` — draws that as input and output grids with
  matplotlib (this is also the static figure of the website);
* :func:`size_calculator` — a thin ipywidgets wrapper: sliders that redraw the
  figure. On the website the sliders show the state saved by the build (a
  static page has no Python kernel to redraw).

>>> from helpers.widgets import transposed_conv_grid
>>> g = transposed_conv_grid(4, kernel_size=4, stride=2, padding=1)
>>> g.output_size, g.coverage.shape
(8, (8, 8))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.conv_math import _check_int, conv_transpose_output_size

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
    """What a square transposed convolution does to the pixel grid (see :func:`transposed_conv_grid`)."""

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


def _coverage_1d(size, kernel_size, stride, padding, dilation, output_size):
    counts = np.zeros(output_size, dtype=np.int64)
    for u in range(size):                      # every input pixel …
        for a in range(kernel_size):           # … stamps every kernel tap
            position = u * stride + a * dilation - padding
            if 0 <= position < output_size:    # taps in the cropped border are dropped
                counts[position] += 1
    return counts


def transposed_conv_grid(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                         dilation: int = 1, output_padding: int = 0,
                         highlight: tuple[int, int] | None = None) -> TransposedConvGrid:
    """Output size, stamp coverage and one stamp's footprint of a square transposed convolution.

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
    row, col = (_check_int(v, "highlight", 0) for v in highlight)
    if row >= size or col >= size:
        raise ValueError(f"highlight={tuple(highlight)} is outside the {size}×{size} input")
    line = _coverage_1d(size, kernel_size, stride, padding, dilation, out)
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


def size_calculator(size: int = 4, kernel_size: int = 3, stride: int = 2, padding: int = 1,
                    dilation: int = 1, output_padding: int = 1):
    """Sliders for the six settings; the figure of :func:`size_calculator_figure` follows them.

    Returns an ``ipywidgets.VBox`` (display it as a cell's last value). Settings
    that PyTorch rejects show the error message instead of a figure.

    >>> box = size_calculator()
    >>> box.children[1].value.startswith("<b>output 8×8</b>")
    True
    """
    import io

    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    start = dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding,
                 dilation=dilation, output_padding=output_padding)
    sliders = {}
    for name, (low, high) in SLIDER_RANGES.items():
        value = _check_int(start[name], name, low)
        sliders[name] = widgets.IntSlider(value=value, min=low, max=max(high, value), description=name,
                                          continuous_update=False,
                                          style={"description_width": "110px"})
    summary = widgets.HTML()
    # The figure travels as PNG bytes in an Image widget: no Output-widget capture is needed,
    # so it also renders when the notebook runs headless, and the saved state holds the picture.
    picture = widgets.Image(format="png", layout={"max_width": "100%"})

    def update(_change=None):
        values = {name: s.value for name, s in sliders.items()}
        try:
            g = transposed_conv_grid(**values)
        except ValueError as exc:
            summary.value = f"<b>not a valid setting:</b> {exc}"
            picture.layout.display = "none"
            return
        summary.value = f"<b>output {g.output_size}×{g.output_size}</b> — H_out = {g.formula}"
        fig = size_calculator_figure(**values)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
        plt.close(fig)
        picture.value = buffer.getvalue()
        picture.layout.display = None

    for s in sliders.values():
        s.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([widgets.VBox(list(sliders.values())[:3]),
                                       widgets.VBox(list(sliders.values())[3:])]),
                         summary, picture])
