"""Self-checks for the exercises of chapter 02 (transposed convolution).

Each ``check_*`` function takes the reader's answer. ``None`` (the
placeholder in the notebook) prints a reminder and returns ``None``, so the
notebook as stored runs; a wrong answer raises an ``AssertionError`` that
says what is wrong; a right one prints a confirmation and returns ``True``.

>>> check_output_size(None)
Not answered yet: replace None with your answer and run the cell again.
>>> check_output_size(14)
✓ Correct: (7−1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 14.
True
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from helpers.conv_math import conv_transpose_output_size, overlap_counts
from helpers.exercises._common import answered as _answered
from helpers.exercises._common import is_int, passed, require, require_tensor

#: Exercise 1: a ConvTranspose2d with these settings gets a 7×7 feature map.
OUTPUT_SIZE_SETTINGS = dict(size=7, kernel_size=3, stride=2, padding=1, output_padding=1)

#: Exercise 2: the kernel and input shape of the stride-2 convolution whose matrix C is asked for.
STRIDE2_KERNEL = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
STRIDE2_INPUT_SHAPE = (4, 4)
STRIDE2_STRIDE = 2

#: Exercise 4: (kernel_size, stride) pairs; which give every interior output pixel the same overlap?
OVERLAP_CANDIDATES = ((3, 2), (4, 2), (5, 2), (6, 3), (3, 3), (5, 3), (2, 1))

#: Exercise 6: a generator's upsampling layers, (name, kernel_size, stride); one of them prints the grid.
GENERATOR_LAYERS = (("up1", 4, 2), ("up2", 3, 2), ("up3", 2, 2))

#: Exercise 5: the settings (H, W, kernel_size, stride, padding, output_padding) the scatter loop is checked on.
SCATTER_CASES = ((3, 3, 3, 2, 0, 0), (4, 3, 3, 2, 1, 1), (3, 5, 4, 2, 1, 0), (2, 4, 3, 3, 2, 2),
                 (5, 5, 2, 1, 0, 0), (4, 4, 5, 2, 2, 1))

# Each check returns True when the answer is right, None when there is no answer yet.


def check_output_size(answer) -> bool | None:
    """Exercise 1: the output height of ``ConvTranspose2d(k=3, s=2, p=1, output_padding=1)`` on 7×7."""
    if not _answered(answer):
        return None
    s = OUTPUT_SIZE_SETTINGS
    expected = conv_transpose_output_size(**s)
    require(is_int(answer),
            f"the answer should be an int (a number of pixels), got {type(answer).__name__}")
    hint = ""
    if answer == (s["size"] - 1) * s["stride"] - 2 * s["padding"] + s["kernel_size"]:
        hint = " You forgot output_padding, which adds rows at the bottom."
    elif answer == (s["size"] + 2 * s["padding"] - s["kernel_size"]) // s["stride"] + 1:
        hint = " That is the formula of an ordinary convolution, which shrinks the map."
    require(answer == expected,
            f"{answer} is not the output height.{hint} Use (H−1)·s − 2p + d·(k−1) + output_padding + 1.")
    passed(f"({s['size']}−1)·{s['stride']} − 2·{s['padding']} + 1·({s['kernel_size']}−1) + "
           f"{s['output_padding']} + 1 = {expected}.")
    return True


def check_conv_matrix(C) -> bool | None:
    """Exercise 2: the ``(4, 16)`` matrix of the stride-2 convolution with ``STRIDE2_KERNEL`` on 4×4."""
    if not _answered(C):
        return None
    C = require_tensor(C, shape=(4, 16), name="C").to(torch.float64)
    kernel = STRIDE2_KERNEL.to(torch.float64)
    h, w = STRIDE2_INPUT_SHAPE
    for pixel in range(h * w):  # column j of C is the convolution of the j-th unit image
        unit = torch.zeros(h * w, dtype=torch.float64)
        unit[pixel] = 1.0
        column = F.conv2d(unit.reshape(1, 1, h, w), kernel[None, None], stride=STRIDE2_STRIDE).flatten()
        require(torch.allclose(C[:, pixel], column),
                f"column {pixel} of C (input pixel row {pixel // w}, column {pixel % w}) should be "
                f"{column.tolist()}, got {C[:, pixel].tolist()}. Row r of C holds the kernel at the "
                f"input pixels that output pixel r reads.")
    passed("C @ x.flatten() is the stride-2 convolution; each row holds the kernel once, "
           "and no two rows overlap, because stride = kernel size.")
    return True


def check_triple(kernel_size, stride, padding, output_padding=0) -> bool | None:
    """Exercise 3: settings with which a transposed convolution triples every input size."""
    if not _answered(kernel_size):
        return None
    sizes = range(1, 33)
    got = {}
    for n in sizes:
        try:
            got[n] = conv_transpose_output_size(n, kernel_size, stride, padding, 1, output_padding)
        except ValueError as exc:
            raise AssertionError(f"these settings are not valid for a {n}×{n} input: {exc}") from exc
    wrong = [(n, got[n]) for n in sizes if got[n] != 3 * n]
    if wrong:
        n, out = wrong[0]
        require(False, f"size {n} becomes {out}, not {3 * n}. For H_out = 3·H for every H the factor "
                       f"of H must be 3 (so stride = 3) and the rest must cancel: "
                       f"−stride − 2p + (k−1) + output_padding + 1 = 0.")
    passed(f"k={kernel_size}, s={stride}, p={padding}, output_padding={output_padding} triples "
           f"every size from 1 to 32.")
    return True


def check_even_overlap(answer) -> bool | None:
    """Exercise 4: the set of ``(kernel_size, stride)`` in ``OVERLAP_CANDIDATES`` with even interior overlap."""
    if not _answered(answer):
        return None
    answer = {tuple(pair) for pair in answer}
    unknown = answer - set(OVERLAP_CANDIDATES)
    require(not unknown, f"{sorted(unknown)} are not among the candidates {OVERLAP_CANDIDATES}")
    even = set()
    for k, s in OVERLAP_CANDIDATES:
        counts = overlap_counts(8, k, s)
        interior = counts[k: -k]                     # away from the two ends
        if int(interior.min()) == int(interior.max()):
            even.add((k, s))
    for pair in sorted(answer ^ even):
        counts = overlap_counts(8, *pair).tolist()
        verdict = "is even" if pair in even else "is uneven"
        require(False, f"{pair} is {'missing' if pair in even else 'wrong'}: its overlap {verdict} — "
                       f"overlap_counts(8, {pair[0]}, {pair[1]}) = {counts}")
    passed(f"{sorted(even)}: the stride divides the kernel size, so every interior output pixel gets "
           f"k/s stamps per axis.")
    return True


def check_scatter_conv_transpose(fn) -> bool | None:
    """Exercise 5: ``fn(x, kernel, stride, padding, output_padding)`` must equal ``F.conv_transpose2d``."""
    if not _answered(fn):
        return None
    require(callable(fn), f"the answer should be a function, got {type(fn).__name__}")
    generator = torch.Generator().manual_seed(2)
    for h, w, k, s, p, op in SCATTER_CASES:
        x = torch.randn(h, w, generator=generator, dtype=torch.float64)
        kernel = torch.randn(k, k, generator=generator, dtype=torch.float64)
        expected = F.conv_transpose2d(x[None, None], kernel[None, None], stride=s, padding=p,
                                      output_padding=op)[0, 0]
        case = f"{h}×{w} input, k={k}, stride={s}, padding={p}, output_padding={op}"
        try:
            got = fn(x, kernel, s, p, op)
        except Exception as exc:  # the reader's code: report what it raised
            raise AssertionError(f"your function raised {type(exc).__name__}: {exc} ({case})") from exc
        got = require_tensor(got, name=f"the output for {case}")
        if tuple(got.shape) != tuple(expected.shape):
            hint = ""
            if tuple(got.shape) == ((h - 1) * s + k, (w - 1) * s + k):
                hint = " That is the full stamp canvas: padding crops p rows and columns from every side."
            require(False, f"the output for {case} should have shape {tuple(expected.shape)}, got "
                           f"{tuple(got.shape)}.{hint} Use (H−1)·s − 2p + k + output_padding.")
        err = float((got.to(torch.float64) - expected).abs().max())
        if err > 1e-8 and op > 0 and torch.allclose(got[:-op, :-op].to(torch.float64), expected[:-op, :-op]):
            require(False, f"the output for {case} is right except for the last {op} row(s)/column(s): "
                           f"output_padding keeps stamps that the padding would have cut, it does not add zeros")
        require(err < 1e-8, f"the output for {case} is off by up to {err:.3g}; stamp x[u, v]·kernel with its "
                            f"corner at (u·s, v·s), then crop")
    passed(f"your scatter loop equals F.conv_transpose2d on {len(SCATTER_CASES)} settings, "
           f"padding and output_padding included.")
    return True


def _period_after(layers, size: int = 32) -> int:
    """Period of a constant 1-D signal after equal-weight transposed convolutions (far from the ends)."""
    x = torch.ones(1, 1, size, dtype=torch.float64)
    for _, k, s in layers:
        x = F.conv_transpose1d(x, torch.ones(1, 1, k, dtype=torch.float64), stride=s)
    middle = x[0, 0, x.shape[-1] // 2 // 16 * 16:][:32]
    return next(p for p in (1, 2, 4, 8, 16, 32) if p == 32 or torch.equal(middle[p:], middle[:-p]))


def check_grid_layer(answer) -> bool | None:
    """Exercise 6: the name of the layer of :data:`GENERATOR_LAYERS` that causes the grid."""
    if not _answered(answer):
        return None
    names = [name for name, _, _ in GENERATOR_LAYERS]
    require(isinstance(answer, str), f"the answer should be a layer name (a str), one of {names}")
    require(answer in names, f"{answer!r} is not a layer of this generator; its layers are {names}")
    periods = [_period_after(GENERATOR_LAYERS[:i + 1]) for i in range(len(GENERATOR_LAYERS))]
    cause = names[next(i for i, p in enumerate(periods) if p > 1)]
    name, k, s = GENERATOR_LAYERS[names.index(answer)]
    if answer != cause:
        if k % s == 0 and k > s:
            why = f"{name} has k={k}, s={s}: the stride divides the kernel size, so its overlap is even"
        elif k == s:
            why = (f"{name} has k={k}, s={s}: no overlap at all; it copies what it receives, "
                   f"so it can stretch a grid but not create one")
        else:
            why = f"{name} overlaps unevenly, but the grid is already there before it"
        periods_text = ", ".join(f"{n}: {p}" for n, p in zip(names, periods))
        require(False, f"{why}. Follow the period layer by layer ({periods_text}).")
    passed(f"{name} (k={k}, s={s}) is the only layer whose stride does not divide its kernel size; "
           f"the period after each layer is {periods}.")
    return True
