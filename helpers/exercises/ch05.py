"""Self-checks for the exercises of chapter 05 (future challenges).

Each ``check_*`` function takes the reader's answer. ``None`` (the
placeholder in the notebook) prints a reminder and returns ``None``, so the
notebook as stored runs; a wrong answer raises an ``AssertionError`` that
says what is wrong; a right one prints a confirmation and returns ``True``.

>>> check_footprint_width(None)
Not answered yet: replace None with your answer and run the cell again.
>>> check_footprint_width(2)
✓ Correct: the centre pixel of the 32×32 output depends on a 2×2 patch of the 4×4 map — no more than with transposed convolutions.
True
"""

from __future__ import annotations

import torch
from torch import nn

from helpers.exercises._common import answered as _answered
from helpers.exercises._common import is_int, passed, require

#: Exercise 1: a resize-convolution generator body, 4×4 → 8×8 → 16×16 → 32×32
#: (nearest ×2, then a 3×3 convolution with padding 1, three times).
RESIZE_STACK_IN_SIZE = 4
RESIZE_STACK_LAYERS = 3

#: Exercise 2: the error of the half-pixel shift test must fall below this (random kernels give about 1 to 2).
LOWPASS_ERROR_LIMIT = 0.1

#: Exercise 4: sizes of the toy projection discriminator.
PROJECTION_FEATURES = 6
PROJECTION_CLASSES = 4


def resize_stack_specs():
    """The :class:`~helpers.receptive_field.LayerSpec` list of exercise 1's body."""
    from helpers.receptive_field import LayerSpec

    specs = []
    for _ in range(RESIZE_STACK_LAYERS):
        specs += [LayerSpec("up", 1, 2), LayerSpec("conv", 3, 1, 1)]
    return specs


def check_footprint_width(answer) -> bool | None:
    """Exercise 1: width (pixels, one axis) of the centre output pixel's footprint on the 4×4 map."""
    from helpers.receptive_field import footprint_widths

    if not _answered(answer):
        return None
    require(is_int(answer),
            f"the answer should be an int (a number of pixels), got {type(answer).__name__}")
    expected = footprint_widths(resize_stack_specs(), RESIZE_STACK_IN_SIZE)[0]
    hint = ""
    if answer == RESIZE_STACK_IN_SIZE:
        hint = (" The whole 4×4 map would be a global view; count again, e.g. with "
                "footprint_widths(specs, in_size=4)[0].")
    elif answer > RESIZE_STACK_IN_SIZE:
        hint = " The map is only 4 pixels wide, so the footprint cannot be wider."
    else:
        hint = (" Carry the centre pixel back one layer at a time: a 3×3 convolution adds "
                "a pixel on each side, a nearest ×2 resize halves the width (whole pixels, "
                "rounding outwards).")
    require(answer == expected, f"{answer} is not the footprint width on the 4×4 map.{hint}")
    passed(f"the centre pixel of the 32×32 output depends on a {expected}×{expected} patch of the 4×4 map — "
           f"no more than with transposed convolutions.")
    return True


def check_lowpass_transposed(layer) -> bool | None:
    """Exercise 2: a ``ConvTranspose2d(1, 1, 4, stride=2, padding=1)`` with a kernel that does not alias."""
    from helpers.aliasing import band_limited_noise, equivariance_error

    if not _answered(layer):
        return None
    conv = layer.conv if hasattr(layer, "conv") else layer
    require(isinstance(conv, nn.ConvTranspose2d),
            f"expected an nn.ConvTranspose2d (or a TransposedUp), got {type(conv).__name__}")
    require(conv.kernel_size == (4, 4) and conv.stride == (2, 2) and conv.padding == (1, 1),
            f"keep kernel_size=4, stride=2, padding=1 (got {conv.kernel_size}, {conv.stride}, {conv.padding}): "
            f"change the weights, not the layer")
    require(conv.in_channels == 1 and conv.out_channels == 1, "use one input and one output channel")
    with torch.no_grad():
        flat = conv(torch.ones(1, 1, 8, 8))[0, 0, 2:-2, 2:-2]
    require(float(flat.std()) < 1e-4 * max(float(flat.abs().mean()), 1e-8) and float(flat.abs().mean()) > 1e-6,
            "a constant input should give a constant (nonzero) output away from the borders; your kernel "
            "prints a checkerboard. Hint: a separable kernel outer(h, h) whose even and odd taps have equal sums")
    x = band_limited_noise(4, 1, 32, seed=0)
    err = equivariance_error(conv, x, 0.5, scale=2, margin=6)
    require(err < LOWPASS_ERROR_LIMIT,
            f"the half-pixel shift error is {err:.3f}, above {LOWPASS_ERROR_LIMIT}; the kernel must be "
            f"smooth (low-pass). Hint: the bilinear taps [1, 3, 3, 1] / 4")
    passed(f"half-pixel shift error {err:.3f} (random kernels give about 1 to 2): the problem was the "
           f"kernel, not the transposed convolution.")
    return True


def check_q_sample(fn) -> bool | None:
    """Exercise 3: ``fn(x0, t, noise, alpha_bars)`` must return ``√ᾱ_t · x0 + √(1 − ᾱ_t) · noise``."""
    from helpers.diffusion import NoiseSchedule, q_sample

    if not _answered(fn):
        return None
    require(callable(fn), f"the answer should be a function, got {type(fn).__name__}")
    sched = NoiseSchedule(50)
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(6, 1, 4, 4, generator=g) * 2 - 1
    noise = torch.randn(6, 1, 4, 4, generator=g)
    t = torch.tensor([0, 5, 10, 25, 40, 49])
    try:
        got = fn(x0, t, noise, sched.alpha_bars.clone())
    except RuntimeError as error:
        raise AssertionError(f"your function raised: {error}. Hint: alpha_bars[t] has shape (N,); "
                             f"reshape it to (N, 1, 1, 1) so it broadcasts over each image") from error
    require(isinstance(got, torch.Tensor), f"your function should return a tensor, got {type(got).__name__}")
    require(tuple(got.shape) == tuple(x0.shape),
            f"the result should have the shape of x0, {tuple(x0.shape)}, got {tuple(got.shape)}; "
            f"reshape alpha_bars[t] to (N, 1, 1, 1) so it broadcasts over each image")
    expected = q_sample(x0, t, noise, sched)
    err = float((got - expected).abs().max())
    if err > 1e-5:
        abar = sched.alpha_bars[t].view(-1, 1, 1, 1)
        if torch.allclose(got, abar * x0 + (1 - abar) * noise, atol=1e-5):
            raise AssertionError("you used ᾱ_t and 1 − ᾱ_t as weights; they are variances, take square roots")
        raise AssertionError(f"your x_t differs from √ᾱ_t·x0 + √(1−ᾱ_t)·ε by up to {err:.3g}")
    passed("x_t = √ᾱ_t · x0 + √(1 − ᾱ_t) · ε: any step of the forward process in one line.")
    return True


def check_projection_logit(fn) -> bool | None:
    """Exercise 4: ``fn(features, y, head_weight, head_bias, embedding)`` → projection logits ``(N,)``."""
    if not _answered(fn):
        return None
    require(callable(fn), f"the answer should be a function, got {type(fn).__name__}")
    g = torch.Generator().manual_seed(0)
    n, d, k = 5, PROJECTION_FEATURES, PROJECTION_CLASSES
    phi = torch.randn(n, d, generator=g)
    y = torch.tensor([0, 3, 1, 1, 2])
    w = torch.randn(1, d, generator=g)
    b = torch.randn(1, generator=g)
    emb = torch.randn(k, d, generator=g)
    try:
        got = fn(phi, y, w, b, emb)
    except RuntimeError as error:
        raise AssertionError(f"your function raised: {error}. Hint: phi is (N, d), w is (1, d) "
                             f"and embedding[y] is (N, d)") from error
    require(isinstance(got, torch.Tensor), f"your function should return a tensor, got {type(got).__name__}")
    require(tuple(got.shape) == (n,), f"return one logit per image, shape ({n},); got {tuple(got.shape)}")
    unconditional = phi @ w[0] + b
    expected = unconditional + (emb[y] * phi).sum(dim=1)
    if torch.allclose(got, unconditional, atol=1e-5):
        raise AssertionError("that is the unconditional logit ψ(φ(x)); add the projection term ⟨e(y), φ(x)⟩")
    require(torch.allclose(got, expected, atol=1e-5),
            "expected w·φ(x) + b + ⟨e(y), φ(x)⟩ with e(y) = embedding[y] (a row per image)")
    passed("logit = ψ(φ(x)) + ⟨e(y), φ(x)⟩, the projection discriminator of helpers.models.Discriminator.")
    return True


#: Exercise 5: the letters of the diagnosis question and why each wrong one is wrong.
DIAGNOSIS_HINTS = {
    "a": "conditional mode collapse would show label accuracy near 1 and recall near 0 — "
         "look at the label accuracy and the recall again",
    "c": "every class is covered, so no class is missing; look at how often a sample is "
         "the digit it was asked for",
    "d": "compare the label accuracy with the 5.1 model's: ten classes give 0.1 by chance",
}


def check_diagnose_conditional(answer) -> bool | None:
    """Exercise 5: diagnose a conditional GAN from its label accuracy, coverage, precision and recall.

    >>> check_diagnose_conditional("b")
    ✓ Correct: label accuracy at chance (0.1) with full coverage and a high recall: varied digits that do not follow the label.
    True
    """
    if not _answered(answer):
        return None
    require(isinstance(answer, str) and answer.strip().lower() in ("a", "b", "c", "d"),
            f'answer with one letter, "a", "b", "c" or "d"; got {answer!r}')
    letter = answer.strip().lower()
    require(letter == "b", f"not {letter}: {DIAGNOSIS_HINTS.get(letter, '')}")
    passed("label accuracy at chance (0.1) with full coverage and a high recall: varied digits "
           "that do not follow the label.")
    return True
