"""Convolution arithmetic and transposed convolution, written out and checked against PyTorch.

Chapter 02 of the book teaches what ``torch.nn.ConvTranspose2d`` computes; this
module holds the code it teaches, so that later chapters and the tests can use it:

* output sizes: :func:`conv_output_size`, :func:`conv_transpose_output_size`,
  :func:`output_padding_for`;
* the matrix ``C`` of a convolution (:func:`conv_matrix`): a transposed
  convolution is multiplication by ``Cᵀ``;
* two from-scratch transposed convolutions that equal
  ``torch.nn.functional.conv_transpose2d``: the *scatter* view
  (:func:`conv_transpose2d_reference`, every input pixel stamps a scaled copy
  of the kernel) and the *gather* view (:func:`conv_transpose2d_gather`,
  insert zeros, pad, convolve with the flipped kernel);
* :func:`overlap_counts`: how many stamps cover each output pixel, the cause of
  checkerboard artifacts.

Every function checks its arguments and raises a ``ValueError`` that names the
argument and the rule, rather than returning a tensor of a wrong shape.

>>> from helpers.conv_math import conv_output_size, conv_transpose_output_size
>>> conv_output_size(32, kernel_size=3, stride=2, padding=1)
16
>>> conv_transpose_output_size(16, kernel_size=4, stride=2, padding=1)
32
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from helpers.checks import check_int, check_int_pair, check_tensor


def _check_sizes(size, kernel_size, stride, padding, dilation) -> tuple[int, int, int, int, int]:
    """The five settings of a convolution along one axis, checked: all ints, padding >= 0, the rest >= 1."""
    return (check_int(size, "size", 1), check_int(kernel_size, "kernel_size", 1), check_int(stride, "stride", 1),
            check_int(padding, "padding", 0), check_int(dilation, "dilation", 1))


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Spatial output size of a convolution along one axis.

    Taught in chapter 01, §1.3 (Output size); reused in chapter 02.

    ``floor((size + 2·padding − dilation·(kernel_size − 1) − 1) / stride) + 1``,
    the formula of ``torch.nn.Conv2d``.

    >>> conv_output_size(5, 3), conv_output_size(5, 3, padding=1), conv_output_size(7, 3, dilation=2)
    (3, 5, 3)
    """
    size, kernel_size, stride, padding, dilation = _check_sizes(size, kernel_size, stride, padding, dilation)
    span = dilation * (kernel_size - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(
            f"kernel_size={kernel_size} with dilation={dilation} spans {span} pixels, more than "
            f"the padded input (size + 2*padding = {size + 2 * padding}); use a smaller kernel "
            f"or more padding"
        )
    return (size + 2 * padding - span) // stride + 1


def _check_output_padding(output_padding: int, stride: int, dilation: int, suffix: str = "") -> int:
    output_padding = check_int(output_padding, f"output_padding{suffix}", 0)
    if output_padding >= stride and output_padding >= dilation:
        raise ValueError(
            f"output_padding{suffix}={output_padding} must be smaller than stride{suffix}={stride} "
            f"or dilation{suffix}={dilation} (PyTorch's rule): it only chooses between the "
            f"stride-many input sizes that a convolution maps to the same output size"
        )
    return output_padding


def conv_transpose_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                               dilation: int = 1, output_padding: int = 0) -> int:
    """Spatial output size of a transposed convolution along one axis.

    Taught in chapter 02, §2.3 (The output size, and why ``output_padding`` exists).

    ``(size − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1``,
    the formula of ``torch.nn.ConvTranspose2d``. ``output_padding`` must be
    smaller than ``stride`` or ``dilation``, and the result at least 1.

    >>> conv_transpose_output_size(64, 3, stride=1, padding=1)   # keeps the size
    64
    >>> conv_transpose_output_size(64, 4, stride=2, padding=1)   # doubles it
    128
    >>> conv_transpose_output_size(4, 3, stride=2, padding=1), conv_transpose_output_size(4, 3, 2, 1, output_padding=1)
    (7, 8)
    """
    size, kernel_size, stride, padding, dilation = _check_sizes(size, kernel_size, stride, padding, dilation)
    output_padding = _check_output_padding(output_padding, stride, dilation)
    out = (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if out < 1:
        raise ValueError(
            f"padding={padding} is too large: a transposed convolution of size={size} with "
            f"kernel_size={kernel_size}, stride={stride}, dilation={dilation}, "
            f"output_padding={output_padding} would have {out} output pixels; padding must be at most "
            f"((size - 1)*stride + dilation*(kernel_size - 1) + output_padding) // 2 = "
            f"{((size - 1) * stride + dilation * (kernel_size - 1) + output_padding) // 2}"
        )
    return out


def output_padding_for(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                       dilation: int = 1) -> int:
    """The ``output_padding`` that takes a convolution's output size back to ``size``.

    Taught in chapter 02, §2.3 (The output size, and why ``output_padding`` exists).

    A convolution with stride ``s`` maps ``s`` neighbouring input sizes to the
    same output size (the division rounds down); the transposed convolution
    with the same settings returns the smallest of them, and
    ``output_padding`` (``0 … s−1``) picks another one.

    >>> conv_output_size(7, 3, 2, 1), conv_output_size(8, 3, 2, 1)
    (4, 4)
    >>> output_padding_for(7, 3, 2, 1), output_padding_for(8, 3, 2, 1)
    (0, 1)
    """
    conv_output_size(size, kernel_size, stride, padding, dilation)  # checks the arguments
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) % stride


def conv_matrix(kernel: torch.Tensor, input_shape, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """The matrix ``C`` of a single-channel 2-D convolution on an ``H × W`` input.

    Taught in chapter 02, §2.1 (A convolution is a matrix).

    ``C`` has one row per output pixel and one column per input pixel
    (``(H_out·W_out, H·W)``, row-major order), so that, with PyTorch's
    cross-correlation convention,

    * ``C @ x.flatten()`` equals ``F.conv2d(x[None, None], kernel[None, None], stride=stride,
      padding=padding, dilation=dilation).flatten()``, and
    * ``C.T @ y.flatten()`` equals ``F.conv_transpose2d(y[None, None], kernel[None, None], ...)``
      with the same settings, reshaped to ``H × W`` — when ``output_padding`` is
      :func:`output_padding_for` ``(H, …)`` (0 whenever the stride divides evenly).

    ``kernel`` is ``(kH, kW)``; ``input_shape`` is ``(H, W)`` or an int for a
    square input; ``stride``, ``padding``, ``dilation`` are ints or pairs.
    The result has the kernel's dtype and device (and its autograd history).

    >>> C = conv_matrix(torch.ones(3, 3), (4, 4))
    >>> C.shape, int(C.sum())
    (torch.Size([4, 16]), 36)
    """
    kernel = check_tensor(kernel, "kernel", (2,), "(kH, kW)")
    h, w = check_int_pair(input_shape, "input_shape", 1)
    sh, sw = check_int_pair(stride, "stride", 1)
    ph, pw = check_int_pair(padding, "padding", 0)
    dh, dw = check_int_pair(dilation, "dilation", 1)
    kh, kw = kernel.shape
    h_out = conv_output_size(h, kh, sh, ph, dh)
    w_out = conv_output_size(w, kw, sw, pw, dw)

    C = torch.zeros(h_out * w_out, h * w, dtype=kernel.dtype, device=kernel.device)
    oy, ox = torch.meshgrid(torch.arange(h_out), torch.arange(w_out), indexing="ij")
    rows = (oy * w_out + ox).flatten()                     # one row per output pixel
    for a in range(kh):
        for b in range(kw):
            # output pixel (oy, ox) reads input pixel (oy·s − p + a·d, ox·s − p + b·d)
            iy = (oy * sh - ph + a * dh).flatten()
            ix = (ox * sw - pw + b * dw).flatten()
            inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)  # outside: the zero padding
            cols = iy[inside] * w + ix[inside]
            C = C.index_put((rows[inside].to(C.device), cols.to(C.device)),
                            kernel[a, b].expand(int(inside.sum())), accumulate=True)
    return C


def _transpose_args(x, weight, bias, stride, padding, output_padding, dilation, groups):
    """Check the arguments of a transposed convolution; return them normalised."""
    x = check_tensor(x, "x", (3, 4), "(N, C_in, H, W) or unbatched (C_in, H, W)")
    weight = check_tensor(weight, "weight", (4,), "(C_in, C_out/groups, kH, kW)")
    if not x.is_floating_point() or x.dtype != weight.dtype:
        raise ValueError(f"x and weight must have the same floating dtype, got {x.dtype} and {weight.dtype}")
    groups = check_int(groups, "groups", 1)
    c_in = x.shape[-3]
    if weight.shape[0] != c_in:
        raise ValueError(
            f"weight.shape[0]={weight.shape[0]} must equal the input channels x.shape[-3]={c_in}: "
            f"a transposed convolution's weight is (C_in, C_out/groups, kH, kW), the reverse of "
            f"Conv2d's (C_out, C_in/groups, kH, kW)"
        )
    if c_in % groups:
        raise ValueError(f"the input channels ({c_in}) must be divisible by groups={groups}")
    c_out = weight.shape[1] * groups
    if bias is not None:
        bias = check_tensor(bias, "bias", (1,), "(C_out,)")
        if bias.shape[0] != c_out:
            raise ValueError(f"bias must have C_out = weight.shape[1]*groups = {c_out} entries, got {bias.shape[0]}")
    s = check_int_pair(stride, "stride", 1)
    p = check_int_pair(padding, "padding", 0)
    d = check_int_pair(dilation, "dilation", 1)
    op = check_int_pair(output_padding, "output_padding", 0)
    for axis in (0, 1):
        suffix = f"[{axis}]" if isinstance(output_padding, (tuple, list)) else ""
        _check_output_padding(op[axis], s[axis], d[axis], suffix)
    out = tuple(conv_transpose_output_size(x.shape[-2 + axis], weight.shape[2 + axis], s[axis], p[axis],
                                           d[axis], op[axis]) for axis in (0, 1))
    return x, weight, bias, s, p, op, d, groups, out


def conv_transpose2d_reference(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                               dilation=1, groups=1) -> torch.Tensor:
    """A from-scratch ``F.conv_transpose2d``: the *scatter* view.

    Taught in chapter 02, §2.2 (Two equivalent views).

    Every input pixel ``x[n, c, u, v]`` stamps a copy of the kernel, scaled by
    its value, into the output, with the stamp's corner at
    ``(u·stride, v·stride)`` and taps ``dilation`` apart; overlapping stamps
    add up. Then ``padding`` rows/columns are cut from each border (so
    ``padding`` *shrinks* the output), ``output_padding`` rows/columns are
    added at the bottom/right, and the bias is added. The loop below runs
    over the kernel taps ``(a, b)`` and moves all pixels at once: the same
    sum as stamping pixel by pixel, in another order.

    Shapes: ``x`` is ``(N, C_in, H, W)`` (or ``(C_in, H, W)``), ``weight``
    ``(C_in, C_out/groups, kH, kW)``, ``bias`` ``(C_out,)``; the scalar
    arguments are ints or ``(height, width)`` pairs, as in PyTorch.

    >>> x, w = torch.randn(2, 4, 5, 5), torch.randn(4, 3, 3, 3)
    >>> y = conv_transpose2d_reference(x, w, stride=2, padding=1, output_padding=1, groups=2)
    >>> y.shape, torch.allclose(y, F.conv_transpose2d(x, w, None, 2, 1, 1, 2), atol=1e-5)
    (torch.Size([2, 6, 10, 10]), True)
    """
    x, weight, bias, (sh, sw), (ph, pw), (oph, opw), (dh, dw), groups, (h_out, w_out) = \
        _transpose_args(x, weight, bias, stride, padding, output_padding, dilation, groups)
    unbatched = x.dim() == 3
    if unbatched:
        x = x[None]
    n, c_in, h, w = x.shape
    c_out_g, kh, kw = weight.shape[1:]
    xg = x.reshape(n, groups, c_in // groups, h, w)                  # (N, G, C_in/G, H, W)
    wg = weight.reshape(groups, c_in // groups, c_out_g, kh, kw)    # (G, C_in/G, C_out/G, kH, kW)
    # a canvas that holds every stamp, plus output_padding rows/columns at the bottom/right
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (w - 1) * sw + dw * (kw - 1) + 1 + opw
    out = x.new_zeros(n, groups, c_out_g, full_h, full_w)
    for a in range(kh):
        for b in range(kw):
            # tap (a, b) of every stamp: input pixel (u, v) adds x[u, v]·w[a, b] at (u·s + a·d, v·s + b·d)
            tap = torch.einsum("ngchw,gco->ngohw", xg, wg[:, :, :, a, b])
            out[..., a * dh: a * dh + (h - 1) * sh + 1: sh, b * dw: b * dw + (w - 1) * sw + 1: sw] += tap
    out = out.reshape(n, groups * c_out_g, full_h, full_w)[..., ph: ph + h_out, pw: pw + w_out]
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out[0] if unbatched else out


def insert_zeros(x: torch.Tensor, stride) -> torch.Tensor:
    """Put ``stride − 1`` zeros between neighbouring pixels of the last two axes.

    Taught in chapter 02, §2.2 (Two equivalent views).

    >>> insert_zeros(torch.tensor([[1., 2.], [3., 4.]]), 2)
    tensor([[1., 0., 2.],
            [0., 0., 0.],
            [3., 0., 4.]])
    """
    check_tensor(x, "x", allow_empty=True)
    if x.dim() < 2:
        raise ValueError(f"x must have at least 2 axes (…, H, W), got shape {tuple(x.shape)}")
    sh, sw = check_int_pair(stride, "stride", 1)
    h, w = x.shape[-2:]
    out = x.new_zeros(*x.shape[:-2], (h - 1) * sh + 1, (w - 1) * sw + 1)
    out[..., ::sh, ::sw] = x
    return out


def conv_transpose2d_gather(x, weight, bias=None, stride=1, padding=0, output_padding=0,
                            dilation=1, groups=1) -> torch.Tensor:
    """``F.conv_transpose2d`` as an ordinary convolution: the *gather* view.

    Taught in chapter 02, §2.2 (Two equivalent views).

    1. insert ``stride − 1`` zeros between the input pixels;
    2. pad each border with ``dilation·(k − 1) − padding`` zeros (a negative
       amount crops), plus ``output_padding`` more at the bottom/right;
    3. convolve (stride 1, same dilation) with the kernel flipped in both
       spatial axes and its two channel axes swapped within each group.

    Same arguments and result as :func:`conv_transpose2d_reference`.

    >>> x, w = torch.randn(1, 2, 4, 4), torch.randn(2, 1, 4, 4)
    >>> torch.allclose(conv_transpose2d_gather(x, w, stride=2, padding=1),
    ...                F.conv_transpose2d(x, w, stride=2, padding=1), atol=1e-5)
    True
    """
    x, weight, bias, s, (ph, pw), (oph, opw), d, groups, _ = \
        _transpose_args(x, weight, bias, stride, padding, output_padding, dilation, groups)
    c_in, c_out_g, kh, kw = weight.shape
    up = insert_zeros(x, s)
    pad_h, pad_w = d[0] * (kh - 1) - ph, d[1] * (kw - 1) - pw
    up = F.pad(up, (pad_w, pad_w + opw, pad_h, pad_h + oph))      # negative amounts crop
    flipped = (weight.reshape(groups, c_in // groups, c_out_g, kh, kw)
               .transpose(1, 2)                                    # (G, C_out/G, C_in/G, kH, kW)
               .reshape(groups * c_out_g, c_in // groups, kh, kw)
               .flip(-2, -1))
    return F.conv2d(up, flipped, bias, stride=1, dilation=d, groups=groups)


def stamp_counts(values, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                 output_size: int | None = None) -> torch.Tensor:
    """A 1-D transposed convolution with an all-ones kernel: how many stamps land on each output pixel.

    Taught in chapter 02, §2.6 (Checkerboard artifacts), inside :func:`overlap_counts` and the §2.9
    size calculator.

    Input pixel ``u`` adds ``values[u]`` to the ``kernel_size`` output pixels
    ``u·stride + a·dilation − padding`` (``a = 0 … kernel_size − 1``); taps
    that fall into the cropped border are dropped. ``values`` is a 1-D integer
    tensor (or an int ``n`` for ``n`` ones: one stamp per input pixel);
    ``output_size`` defaults to the full output without ``output_padding``.
    :func:`overlap_counts`, :func:`stacked_overlap_counts` and the
    chapter-02 size calculator (:mod:`helpers.widgets`) all count with it.

    >>> stamp_counts(4, kernel_size=3, stride=2).tolist()
    [1, 1, 2, 1, 2, 1, 2, 1, 1]
    >>> stamp_counts(4, 4, stride=2, padding=1).tolist()        # k=4, s=2, p=1: even inside
    [1, 2, 2, 2, 2, 2, 2, 1]
    >>> stamp_counts(torch.tensor([1, 2]), 2, stride=1).tolist()  # weighted by the input
    [1, 3, 2]
    """
    if not isinstance(values, torch.Tensor):
        values = torch.ones(check_int(values, "size", 1), dtype=torch.long)
    n = values.shape[0]
    kernel_size = check_int(kernel_size, "kernel_size", 1)
    stride = check_int(stride, "stride", 1)
    padding = check_int(padding, "padding", 0)
    dilation = check_int(dilation, "dilation", 1)
    full = (n - 1) * stride + dilation * (kernel_size - 1) + 1
    if output_size is None:
        output_size = full - 2 * padding
    counts = values.new_zeros(max(full, padding + output_size))
    for a in range(kernel_size):           # tap a of every stamp: out[u·s + a·d] += values[u]
        counts[a * dilation: a * dilation + (n - 1) * stride + 1: stride] += values
    return counts[padding: padding + output_size]


def overlap_counts(size, kernel_size, stride) -> torch.Tensor:
    """How many kernel stamps cover each output pixel of a transposed convolution.

    Taught in chapter 02, §2.6 (Checkerboard artifacts); reused in chapter 03.

    No padding, dilation 1: the full output of ``(size − 1)·stride + kernel_size``
    pixels per axis. When ``stride`` does not divide ``kernel_size`` the count
    alternates across the image — the checkerboard that a transposed
    convolution with equal weights prints onto a constant input.

    ``size`` is an int (a 1-D signal, 1-D result) or ``(H, W)`` (2-D result,
    the outer product of the two axes); ``kernel_size`` and ``stride`` are ints
    or pairs.

    >>> overlap_counts(4, 3, 2)
    tensor([1, 1, 2, 1, 2, 1, 2, 1, 1])
    >>> overlap_counts(4, 4, 2)
    tensor([1, 1, 2, 2, 2, 2, 2, 2, 1, 1])
    >>> overlap_counts((2, 3), 3, 2)          # (5, 7): rows × columns
    tensor([[1, 1, 2, 1, 2, 1, 1],
            [1, 1, 2, 1, 2, 1, 1],
            [2, 2, 4, 2, 4, 2, 2],
            [1, 1, 2, 1, 2, 1, 1],
            [1, 1, 2, 1, 2, 1, 1]])
    """
    if isinstance(size, (tuple, list, torch.Size)):
        h, w = check_int_pair(size, "size", 1)
        kh, kw = check_int_pair(kernel_size, "kernel_size", 1)
        sh, sw = check_int_pair(stride, "stride", 1)
        return stamp_counts(h, kh, sh)[:, None] * stamp_counts(w, kw, sw)[None, :]
    return stamp_counts(size, kernel_size, stride)


def stacked_overlap_counts(size: int, kernel_size: int, stride: int, layers: int = 1) -> torch.Tensor:
    """Overlap counts after ``layers`` identical transposed convolutions with all-ones kernels (1-D).

    Taught in chapter 02, §2.6 (Checkerboard artifacts).

    The input is ``size`` ones; every layer is a transposed convolution with
    kernel ``[1] * kernel_size``, the given ``stride``, no padding. Equal
    weights isolate the *geometry* of the overlap: whatever pattern appears is
    caused by uneven overlap alone, not by the weights. With ``layers=1`` this
    is :func:`overlap_counts`.

    >>> stacked_overlap_counts(3, 3, 2, layers=1).tolist()
    [1, 1, 2, 1, 2, 1, 1]
    >>> stacked_overlap_counts(2, 2, 2, layers=2).tolist()   # k = s: no overlap, ever
    [1, 1, 1, 1, 1, 1, 1, 1]
    """
    layers = check_int(layers, "layers", 1)
    counts = stamp_counts(size, kernel_size, stride)
    for _ in range(layers - 1):
        counts = stamp_counts(counts, kernel_size, stride)
    return counts


#: Input length :func:`overlap_pattern` uses; its output's middle is far from both ends.
PATTERN_INPUT = 64


def overlap_pattern(kernel_size: int, stride: int, layers: int = 1) -> dict:
    """The repeating pattern of :func:`stacked_overlap_counts` far from the borders.

    Taught in chapter 02, §2.6 (Checkerboard artifacts).

    Returns ``{"period", "low", "high", "window"}``: the smallest period of
    the interior counts (1 = flat, no checkerboard), their minimum and
    maximum, and one period of them (a list, starting at a multiple of
    ``stride**layers`` in the middle of a long signal). A stack of ``L``
    layers with stride ``s`` can repeat only every ``s**L`` pixels, so the
    period divides ``s**L``.

    >>> overlap_pattern(3, 2, 1)
    {'period': 2, 'low': 1, 'high': 2, 'window': [2, 1]}
    >>> overlap_pattern(4, 2, 3)['period'], overlap_pattern(3, 2, 3)['period']
    (1, 8)
    """
    counts = stacked_overlap_counts(PATTERN_INPUT, kernel_size, stride, layers).tolist()
    cycle = stride ** layers
    start = (len(counts) // 2) // cycle * cycle
    middle = counts[start: start + 2 * cycle]
    period = next(p for p in range(1, cycle + 1) if cycle % p == 0
                  and all(middle[i] == middle[i + p] for i in range(2 * cycle - p)))
    window = middle[:period]
    return {"period": period, "low": min(window), "high": max(window), "window": window}
