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

from helpers.conv_math import conv_transpose_output_size, output_padding_for, overlap_counts
from helpers.exercises._common import answered as _answered
from helpers.exercises._common import passed, require, require_tensor

#: Exercise 1: a ConvTranspose2d with these settings gets a 7×7 feature map.
OUTPUT_SIZE_SETTINGS = dict(size=7, kernel_size=3, stride=2, padding=1, output_padding=1)

#: Exercise 2: the kernel and input shape of the stride-2 convolution whose matrix C is asked for.
STRIDE2_KERNEL = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
STRIDE2_INPUT_SHAPE = (4, 4)
STRIDE2_STRIDE = 2

#: Exercise 4: (kernel_size, stride) pairs; which give every interior output pixel the same overlap?
OVERLAP_CANDIDATES = ((3, 2), (4, 2), (5, 2), (6, 3), (3, 3), (5, 3), (2, 1))

#: Exercise 5: a stride-2 convolution of an 8×8 input (k=3, p=1); its gradient is a transposed conv.
GRADIENT_SETTINGS = dict(size=8, kernel_size=3, stride=2, padding=1)


# Each check returns True when the answer is right, None when there is no answer yet.


def check_output_size(answer) -> bool | None:
    """Exercise 1: the output height of ``ConvTranspose2d(k=3, s=2, p=1, output_padding=1)`` on 7×7."""
    if not _answered(answer):
        return None
    s = OUTPUT_SIZE_SETTINGS
    expected = conv_transpose_output_size(**s)
    require(not isinstance(answer, bool) and isinstance(answer, int),
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
        verdict = "is even" if pair in even else "alternates"
        require(False, f"{pair} is {'missing' if pair in even else 'wrong'}: its overlap {verdict} — "
                       f"overlap_counts(8, {pair[0]}, {pair[1]}) = {counts}")
    passed(f"{sorted(even)}: the stride divides the kernel size, so every output pixel gets k/s stamps.")
    return True


def check_gradient_output_padding(answer) -> bool | None:
    """Exercise 5: the ``output_padding`` that makes ``conv_transpose2d`` give the 8×8 input gradient."""
    if not _answered(answer):
        return None
    s = GRADIENT_SETTINGS
    expected = output_padding_for(**s)
    require(not isinstance(answer, bool) and isinstance(answer, int),
            f"output_padding is an int, got {type(answer).__name__}")
    got = conv_transpose_output_size((s["size"] + 2 * s["padding"] - s["kernel_size"]) // s["stride"] + 1,
                                     s["kernel_size"], s["stride"], s["padding"],
                                     output_padding=answer) if 0 <= answer < s["stride"] else None
    require(answer == expected,
            f"with output_padding={answer} the gradient would be "
            f"{'invalid (it must be 0 … stride−1)' if got is None else f'{got}×{got}'}, "
            f"but the input is {s['size']}×{s['size']}.")
    passed(f"the convolution maps both 7×7 and 8×8 to 4×4; output_padding={expected} picks 8×8.")
    return True
