"""Interactive figures that work with no Python kernel: Jupyter, Colab and the static website.

Most readers see the book as a static website, where no kernel can redraw a
figure. So every interactive figure here is one self-contained HTML output
(``IPython.display.HTML``) that carries its own small inline script; no
ipywidgets, no require.js, nothing fetched from a CDN. Two kinds:

* :func:`frame_slider` — frames computed in Python (at build time), embedded
  as PNG images, and a slider that shows one of them. Use it for anything that
  needs Python to compute, e.g. "watch the generator learn" (one frame per
  training step).
* :func:`computed_figure` — sliders whose values a small JavaScript function
  turns into a picture in the browser. Use it when the picture is arithmetic
  (an output size, an overlap pattern), so that every combination of settings
  works without precomputing it.

Both return an ``IPython.display.HTML`` whose root element is
``<div class="book-interactive" data-control="…">``; each control is an
``<input type="range" data-name="…">`` so that the browser test
(``tests/test_site_interactive.py``) can find it, move it and read the result.
The script finds its root through ``document.currentScript`` (falling back to
the element's unique id), so the same output can appear more than once on a
page.

>>> import numpy as np
>>> html = frame_slider([np.zeros((4, 4)), np.ones((4, 4))], ["step 0", "step 10"])
>>> 'class="book-interactive"' in html.data and html.data.count("<img") == 2
True
"""

from __future__ import annotations

import base64
import html as _html
import io
import json
import uuid
from dataclasses import dataclass

import numpy as np

from helpers.checks import check_int, is_int

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Style shared by the figures (inline, so that it travels with the output).
_ROOT_STYLE = ("font-family: system-ui, sans-serif; font-size: 14px; margin: 0.5em 0 1em; "
               "padding: 0.6em 0.8em; border: 1px solid #b0b0b0; border-radius: 6px; max-width: 100%;")
_CONTROL_STYLE = "display: inline-flex; align-items: center; gap: 0.4em; margin: 0.15em 1.2em 0.15em 0;"


def _new_id() -> str:
    return "bi-" + uuid.uuid4().hex[:12]


def _esc(text) -> str:
    return _html.escape(str(text), quote=True)


def _png_bytes(frame, index: int) -> bytes:
    """One frame as PNG bytes: PNG bytes as they are, a matplotlib Figure saved, an array drawn."""
    if isinstance(frame, (bytes, bytearray)):
        if not bytes(frame[:8]) == PNG_SIGNATURE:
            raise ValueError(f"frame {index} is bytes but not a PNG image (it lacks the PNG signature)")
        return bytes(frame)
    if hasattr(frame, "savefig"):                                  # a matplotlib Figure
        buffer = io.BytesIO()
        frame.savefig(buffer, format="png", dpi=frame.dpi, bbox_inches="tight")
        return buffer.getvalue()
    if hasattr(frame, "detach"):                                   # a torch tensor
        frame = frame.detach().cpu().numpy()
    array = np.asarray(frame)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"frame {index} must be a numpy array, a matplotlib Figure or PNG bytes, "
                        f"not {type(frame).__name__}")
    if array.ndim == 3 and array.shape[0] in (1, 3) and array.shape[-1] not in (1, 3, 4):
        array = np.moveaxis(array, 0, -1)                          # (C, H, W) → (H, W, C)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(f"frame {index} must be (H, W), (H, W, 3|4) or (3, H, W), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"frame {index} contains NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < -1e-6 or high > 1 + 1e-6:
        raise ValueError(f"frame {index} has values in [{low:.3g}, {high:.3g}]; frames must lie in [0, 1]")
    from matplotlib import image as mpl_image

    buffer = io.BytesIO()
    if array.ndim == 2:
        mpl_image.imsave(buffer, np.clip(array, 0, 1), format="png", cmap="gray", vmin=0, vmax=1)
    else:
        mpl_image.imsave(buffer, np.clip(array, 0, 1), format="png")
    return buffer.getvalue()


#: The start of every figure's script: find this output's root element (once, even if the page
#: runs the script again) and mark it ready.
_ROOT_JS = """(function () {
  var root = (document.currentScript && document.currentScript.closest('.book-interactive'))
             || document.getElementById(%(id)s);
  if (!root || root.dataset.ready) return;
  root.dataset.ready = '1';
"""

_FRAME_SCRIPT = _ROOT_JS + """  var slider = root.querySelector('input[type=range]');
  var shown = root.querySelector('.bi-value');
  var frames = root.querySelectorAll('img[data-frame]');
  function show() {
    var i = parseInt(slider.value, 10);
    for (var f = 0; f < frames.length; f++) frames[f].hidden = (f !== i);
    shown.textContent = frames[i].getAttribute('data-label');
    root.setAttribute('data-shown', String(i));
  }
  slider.addEventListener('input', show);
  slider.addEventListener('change', show);
  show();
})();"""


def frame_slider(frames, labels, *, title: str | None = None, label: str = "step",
                 start: int | None = None, width: int | None = None):
    """A slider over pictures computed in Python; it works with no kernel.

    Taught in chapter 04, §4.6 (Training).

    ``frames`` is a list of 2-D (grey) or 3-D (RGB, ``(H, W, 3)`` or
    ``(3, H, W)``) numpy arrays / tensors with values in ``[0, 1]``, matplotlib
    Figures, or PNG bytes; ``labels`` is one string per frame (shown beside the
    slider, e.g. ``"step 400"``). ``label`` names the slider, ``start`` is the
    frame shown first (default: the last), ``width`` the displayed width in
    CSS pixels (default: the image's own; small arrays are enlarged with
    crisp pixels).

    Returns an ``IPython.display.HTML``: a ``<div class="book-interactive"
    data-control="frame-slider">`` with one ``<input type="range"
    data-name=label>``, a ``<span class="bi-value">`` holding the shown label,
    and one ``<img data-frame=i data-label=…>`` per frame, all but the shown
    one ``hidden``. Without JavaScript the reader still sees frame ``start``.

    >>> import numpy as np
    >>> out = frame_slider([np.full((2, 2), v) for v in (0.0, 0.5, 1.0)], ["a", "b", "c"],
    ...                    title="three greys", start=1)
    >>> out.data.count('data-frame='), 'value="1"' in out.data
    (3, True)
    """
    from IPython.display import HTML

    frames, labels = list(frames), [str(x) for x in labels]
    if not frames:
        raise ValueError("frame_slider needs at least one frame")
    if len(labels) != len(frames):
        raise ValueError(f"got {len(frames)} frames but {len(labels)} labels; give one label per frame")
    if start is None:
        start = len(frames) - 1
    if not is_int(start) or not 0 <= start < len(frames):
        raise ValueError(f"start must be a frame index 0 … {len(frames) - 1}, got {start!r}")
    if width is None:
        first = frames[0]
        small = hasattr(first, "shape") and max(np.shape(first)[:2]) < 96 and np.ndim(first) >= 2
        width = 192 if small else None
    pixelated = "image-rendering: pixelated;" if width else ""
    size = f"width: {int(width)}px;" if width else "max-width: 100%;"
    element_id = _new_id()
    images = []
    for i, (frame, text) in enumerate(zip(frames, labels)):
        data = base64.b64encode(_png_bytes(frame, i)).decode("ascii")
        hidden = "" if i == start else " hidden"
        images.append(f'<img data-frame="{i}" data-label="{_esc(text)}" alt="{_esc(label)}: {_esc(text)}" '
                      f'style="{size} {pixelated}" src="data:image/png;base64,{data}"{hidden}>')
    heading = f'<div class="bi-title" style="font-weight: 600; margin-bottom: 0.3em">{_esc(title)}</div>' \
        if title else ""
    body = (
        f'<div class="book-interactive" id="{element_id}" data-control="frame-slider" '
        f'data-frames="{len(frames)}" data-shown="{start}" style="{_ROOT_STYLE}">{heading}'
        f'<label style="{_CONTROL_STYLE}">{_esc(label)} '
        f'<input type="range" data-name="{_esc(label)}" min="0" max="{len(frames) - 1}" step="1" '
        f'value="{start}" aria-label="{_esc(label)}"></label>'
        f'<span class="bi-value" style="font-variant-numeric: tabular-nums">{_esc(labels[start])}</span>'
        f'<div class="bi-frames" style="margin-top: 0.4em">{"".join(images)}</div>'
        f'<script>{_FRAME_SCRIPT % {"id": json.dumps(element_id)}}</script></div>'
    )
    return HTML(body)


@dataclass(frozen=True)
class Slider:
    """One integer slider of a :func:`computed_figure`: ``name`` (the JavaScript key), range, start value.

    Taught in chapter 02, §2.9 (An interactive size calculator), inside :mod:`helpers.widgets`.
    """

    name: str
    low: int
    high: int
    value: int
    label: str | None = None

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"slider name {self.name!r} must be an identifier (it is a JavaScript key)")
        for field in ("low", "high", "value"):
            check_int(getattr(self, field), f"slider {self.name!r}: {field}")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"slider {self.name!r}: value {self.value} is outside {self.low} … {self.high}")


#: JavaScript helpers available to every :func:`computed_figure` script as ``BF``:
#: ``BF.colour(t)`` (viridis, reads in grey), ``BF.grey(t)``, ``BF.grid(values, opts)`` (an SVG
#: heat map of a 2-D array, numbers written in when ``opts.numbers``), ``BF.esc(text)``.
JS_LIBRARY = """var BF = (function () {
  var VIRIDIS = [[68,1,84],[72,40,120],[62,74,137],[49,104,142],[38,130,142],
                 [31,158,137],[53,183,121],[109,205,89],[180,222,44],[253,231,37]];
  function clamp01(t) { return Math.max(0, Math.min(1, isFinite(t) ? t : 0)); }
  function colour(t) {
    t = clamp01(t) * (VIRIDIS.length - 1);
    var i = Math.min(Math.floor(t), VIRIDIS.length - 2), f = t - i, a = VIRIDIS[i], b = VIRIDIS[i + 1];
    return 'rgb(' + [0, 1, 2].map(function (c) { return Math.round(a[c] + f * (b[c] - a[c])); }).join(',') + ')';
  }
  function grey(t) { var g = Math.round(255 * clamp01(t)); return 'rgb(' + g + ',' + g + ',' + g + ')'; }
  function light(rgb) {
    var c = rgb.match(/[0-9]+/g).map(Number);
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 128;
  }
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (ch) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[ch];
    });
  }
  // values: array of rows; opts: cell, vmin, vmax, numbers, map ('viridis' | 'grey'), outline (set of "r,c"), title
  function grid(values, opts) {
    opts = opts || {};
    var rows = values.length, cols = rows ? values[0].length : 0, cell = opts.cell || 18;
    var flat = [].concat.apply([], values);
    var vmin = opts.vmin !== undefined ? opts.vmin : Math.min.apply(null, flat);
    var vmax = opts.vmax !== undefined ? opts.vmax : Math.max.apply(null, flat);
    var map = opts.map === 'grey' ? grey : colour, top = opts.title ? 18 : 0;
    var w = cols * cell, h = rows * cell + top, parts = [];
    parts.push('<svg xmlns="http://www.w3.org/2000/svg" width="' + (w + 2) + '" height="' + (h + 2) +
               '" viewBox="-1 -1 ' + (w + 2) + ' ' + (h + 2) + '" role="img">');
    if (opts.title) parts.push('<text x="0" y="13" font-size="12" fill="currentColor">' + esc(opts.title) + '</text>');
    for (var r = 0; r < rows; r++) for (var c = 0; c < cols; c++) {
      var v = values[r][c], fill = map(vmax > vmin ? (v - vmin) / (vmax - vmin) : 0.5);
      parts.push('<rect x="' + c * cell + '" y="' + (top + r * cell) + '" width="' + cell + '" height="' + cell +
                 '" fill="' + fill + '" stroke="#888" stroke-width="0.5"/>');
      if (opts.numbers && cell >= 11) {
        parts.push('<text x="' + (c * cell + cell / 2) + '" y="' + (top + r * cell + cell / 2) +
                   '" font-size="' + Math.round(cell * 0.55) + '" text-anchor="middle" dominant-baseline="central" fill="' +
                   (light(fill) ? 'black' : 'white') + '">' + esc(v) + '</text>');
      }
    }
    if (opts.outline) opts.outline.forEach(function (rc) {
      parts.push('<rect x="' + (rc[1] * cell + 1) + '" y="' + (top + rc[0] * cell + 1) + '" width="' + (cell - 2) +
                 '" height="' + (cell - 2) + '" fill="none" stroke="#d62728" stroke-width="2"/>');
    });
    parts.push('</svg>');
    return parts.join('');
  }
  return {colour: colour, grey: grey, grid: grid, esc: esc};
})();"""

_COMPUTED_SCRIPT = _ROOT_JS + """%(library)s
  var render = (%(render)s);
  var inputs = root.querySelectorAll('input[type=range]');
  var out = root.querySelector('.bi-output');
  function update() {
    var v = {};
    for (var i = 0; i < inputs.length; i++) {
      v[inputs[i].dataset.name] = parseInt(inputs[i].value, 10);
      inputs[i].parentNode.querySelector('output').textContent = inputs[i].value;
    }
    try {
      render(v, out);
      root.removeAttribute('data-error');
    } catch (err) {
      root.setAttribute('data-error', err.message);
      out.innerHTML = '<p class="bi-result bi-error" style="color: #b22222"><b>not a valid setting:</b> ' +
                      BF.esc(err.message) + '</p>';
    }
  }
  for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener('input', update);
  update();
})();"""


def computed_figure(sliders, render_js: str, *, title: str | None = None, kind: str = "computed",
                    caption: str | None = None, fallback_html: str = ""):
    """Sliders whose values a JavaScript function turns into a picture, in the browser.

    Taught in chapter 02, §2.9 (An interactive size calculator), inside :mod:`helpers.widgets`.

    ``sliders`` is a list of :class:`Slider`. ``render_js`` is a JavaScript
    function expression ``function (v, out) { … }``: ``v`` maps each slider's
    name to its integer value, ``out`` is the figure's output ``<div>``, whose
    content the function replaces (typically SVG built with the ``BF``
    helpers of :data:`JS_LIBRARY`). An ``Error`` thrown by it is shown to the
    reader as "not a valid setting: …" and stored in the root's
    ``data-error`` attribute. ``kind`` becomes the root's ``data-control``;
    ``fallback_html`` is what the output shows before the script has run (or
    where scripts do not run at all, e.g. an untrusted notebook).

    >>> fig = computed_figure([Slider("n", 1, 9, 3)],
    ...                       "function (v, out) { out.textContent = v.n * v.n; }", kind="square")
    >>> 'data-control="square"' in fig.data and 'data-name="n"' in fig.data
    True
    """
    from IPython.display import HTML

    sliders = list(sliders)
    if not sliders or not all(isinstance(s, Slider) for s in sliders):
        raise TypeError("sliders must be a non-empty list of helpers.interactive.Slider")
    names = [s.name for s in sliders]
    if len(set(names)) != len(names):
        raise ValueError(f"slider names must be distinct, got {names}")
    if not render_js.strip().startswith("function"):
        raise ValueError("render_js must be a JavaScript function expression: 'function (v, out) { … }'")
    element_id = _new_id()
    controls = "".join(
        f'<label style="{_CONTROL_STYLE}">{_esc(s.label or s.name)} '
        f'<input type="range" data-name="{s.name}" min="{s.low}" max="{s.high}" step="1" value="{s.value}" '
        f'aria-label="{_esc(s.label or s.name)}"> <output style="min-width: 1.5em; '
        f'font-variant-numeric: tabular-nums">{s.value}</output></label>'
        for s in sliders)
    heading = f'<div class="bi-title" style="font-weight: 600; margin-bottom: 0.3em">{_esc(title)}</div>' \
        if title else ""
    note = f'<div class="bi-caption" style="font-size: 12px; opacity: 0.8">{_esc(caption)}</div>' if caption else ""
    script = _COMPUTED_SCRIPT % {"id": json.dumps(element_id), "library": JS_LIBRARY, "render": render_js.strip()}
    body = (f'<div class="book-interactive" id="{element_id}" data-control="{_esc(kind)}" style="{_ROOT_STYLE}">'
            f'{heading}<div class="bi-controls">{controls}</div>'
            f'<div class="bi-output" style="margin-top: 0.4em; overflow-x: auto">{fallback_html}</div>{note}'
            f'<script>{script}</script></div>')
    return HTML(body)


#: The mime prefix of myst-nb's glue for values that are stored but not shown.
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value) -> None:
    """Store ``value`` under ``name`` for the page's prose, as ``myst_nb.glue(name, value, display=False)``.

    Taught in chapter 01, §1.2 (Why convolutions suit images); reused in chapters 02, 03, 04 and 05.

    The text then writes ``{glue:text}`name:.1f``` (a format spec) and the
    site shows the number the cell computed, so prose and output cannot
    disagree. It writes the same display message myst-nb's ``glue`` writes,
    without needing myst-nb (Colab does not have it); in a notebook nothing
    is shown.

    >>> glue("accuracy", 0.97)   # in plain Python: no display, no error
    >>> glue("test accuracy", 0.97)
    Traceback (most recent call last):
        ...
    ValueError: glue name must be letters, digits and underscores, got 'test accuracy'
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display

    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ValueError(f"glue name must be letters, digits and underscores, got {name!r}")
    bundle, metadata = format_display_data(value)
    metadata["scrapbook"] = dict(name=name, mime_prefix=GLUE_PREFIX)
    display({GLUE_PREFIX + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
