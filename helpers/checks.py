"""Argument checks shared by every module of :mod:`helpers`.

A helper that gets a wrong argument should say *which* argument, *what rule*
it broke and *what it got*, before PyTorch fails three calls deeper with a
shape error. These functions do that, with one wording everywhere:

* the wrong type raises ``TypeError``: ``"stride must be an int, not float"``;
* a value of the right type that breaks a rule raises ``ValueError``:
  ``"stride must be >= 1, got 0"``.

Each returns the value, normalised (a NumPy integer becomes an ``int``, a
NumPy array a tensor where asked), so a call reads
``stride = check_int(stride, "stride", 1)``. An extra ``hint`` is appended to
value messages where a rule needs explaining ("(1.0 for images in [0, 1])").

Not taught in a chapter: it is the plumbing under all of them. New helpers
should check their arguments with these rather than write their own.

>>> from helpers.checks import check_int, check_number, check_probability
>>> check_int(3, "kernel_size", 1)
3
>>> check_int(0, "stride", 1)
Traceback (most recent call last):
    ...
ValueError: stride must be >= 1, got 0
>>> check_int(2.0, "stride", 1)
Traceback (most recent call last):
    ...
TypeError: stride must be an int, not float
>>> check_number(0.5, "noise_std", 0), check_probability(0.95, "level")
(0.5, 0.95)
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence

import numpy as np
import torch

__all__ = [
    "is_int", "check_int", "check_positive_int", "check_int_pair", "check_number",
    "check_probability", "check_choice", "check_tensor", "as_tensor", "check_image_batch",
    "check_unit_range", "check_kernel", "check_same_length", "check_module",
]


def _hint(hint: str) -> str:
    return f" {hint}" if hint else ""


# ---------------------------------------------------------------- numbers


def is_int(value) -> bool:
    """Whether ``value`` is a whole number: a Python or NumPy int, and not a bool.

    Plumbing under every chapter (not taught in one).

    >>> is_int(3), is_int(np.int64(3)), is_int(True), is_int(3.0)
    (True, True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None,
              hint: str = "") -> int:
    """``value`` as an ``int``, checked to be an int in ``[minimum, maximum]`` (either may be None).

    Plumbing under every chapter (not taught in one).

    >>> check_int(np.int64(4), "size", 1), check_int(-2, "offset")
    (4, -2)
    >>> check_int(12, "steps", 2, 10)
    Traceback (most recent call last):
        ...
    ValueError: steps must be <= 10, got 12
    """
    if not is_int(value):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}{_hint(hint)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}{_hint(hint)}")
    return int(value)


def check_positive_int(value, name: str, hint: str = "") -> int:
    """``check_int(value, name, minimum=1)``: a count, a size, a number of steps.

    Plumbing under every chapter (not taught in one).

    >>> check_positive_int(0, "epochs")
    Traceback (most recent call last):
        ...
    ValueError: epochs must be >= 1, got 0
    """
    return check_int(value, name, 1, hint=hint)


def check_int_pair(value, name: str, minimum: int | None = None) -> tuple[int, int]:
    """An int or a ``(height, width)`` pair of ints, each checked, as a pair.

    Plumbing under every chapter (not taught in one).

    >>> check_int_pair(2, "stride", 1), check_int_pair((3, 1), "stride", 1)
    ((2, 2), (3, 1))
    >>> check_int_pair((1, 0), "stride", 1)
    Traceback (most recent call last):
        ...
    ValueError: stride[1] must be >= 1, got 0
    """
    if isinstance(value, (tuple, list, torch.Size)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (height, width), got {tuple(value)!r}")
        return (check_int(value[0], f"{name}[0]", minimum), check_int(value[1], f"{name}[1]", minimum))
    value = check_int(value, name, minimum)
    return value, value


def check_number(value, name: str, minimum: float | None = None, *, strict: bool = False,
                 hint: str = "") -> float:
    """``value`` as a finite ``float``, checked to be ``>= minimum`` (``> minimum`` if ``strict``).

    Plumbing under every chapter (not taught in one).

    A real number of any kind (int, float, NumPy scalar), never a bool; NaN
    and infinity are refused. ``strict=True`` with ``minimum=0`` reads
    "a positive number".

    >>> check_number(2, "sigma", 0, strict=True)
    2.0
    >>> check_number(0.0, "sigma", 0, strict=True, hint="of pixels")
    Traceback (most recent call last):
        ...
    ValueError: sigma must be a positive number of pixels, got 0.0
    >>> check_number(float("nan"), "weight", 0)
    Traceback (most recent call last):
        ...
    ValueError: weight must be a number >= 0, got nan
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if minimum is None:
        rule, ok = "a finite number", True
    elif strict:
        rule = "a positive number" if minimum == 0 else f"a number > {minimum}"
        ok = value > minimum
    else:
        rule, ok = f"a number >= {minimum}", value >= minimum
    if not (ok and math.isfinite(value)):
        raise ValueError(f"{name} must be {rule}{_hint(hint)}, got {value!r}")
    return float(value)


def check_probability(value, name: str, *, closed: bool = False) -> float:
    """A number in the open interval ``(0, 1)`` (``[0, 1]`` with ``closed=True``), as a float.

    Plumbing under every chapter (not taught in one).

    >>> check_probability(0.0, "t", closed=True)
    0.0
    >>> check_probability(1.0, "level")
    Traceback (most recent call last):
        ...
    ValueError: level must be in (0, 1), got 1.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    inside = 0 <= value <= 1 if closed else 0 < value < 1
    if not inside:
        raise ValueError(f"{name} must be in {'[0, 1]' if closed else '(0, 1)'}, got {value!r}")
    return float(value)


def check_choice(value, name: str, choices: Iterable, hint: str = ""):
    """``value``, checked to be one of ``choices``.

    Plumbing under every chapter (not taught in one).

    >>> check_choice("bilinear", "mode", ("nearest", "bilinear"))
    'bilinear'
    >>> check_choice("cubic", "mode", ("nearest", "bilinear"))
    Traceback (most recent call last):
        ...
    ValueError: mode must be one of ('nearest', 'bilinear'), got 'cubic'
    """
    choices = tuple(choices)
    try:
        known = value in choices
    except TypeError:              # an unhashable value cannot be in a dict's keys
        known = False
    if not known:
        raise ValueError(f"{name} must be one of {choices}{_hint(hint)}, got {value!r}")
    return value


# ---------------------------------------------------------------- tensors


def check_tensor(value, name: str, ranks: Sequence[int] | None = None, what: str = "",
                 allow_empty: bool = False) -> torch.Tensor:
    """``value``, checked to be a tensor with one of the ``ranks`` (numbers of axes).

    Plumbing under every chapter (not taught in one).

    ``what`` describes the expected layout for the message, e.g.
    ``"(N, C, H, W)"``. Unless ``allow_empty``, a tensor with an empty
    channel or spatial axis (any of the last three) is refused; an empty batch
    axis in front of them is allowed.

    >>> check_tensor(torch.zeros(2, 3), "kernel", (2,), "(kH, kW)").shape
    torch.Size([2, 3])
    >>> check_tensor(torch.zeros(3), "kernel", (2,), "(kH, kW)")
    Traceback (most recent call last):
        ...
    ValueError: kernel must be 2-D (kH, kW), got 1-D with shape (3,)
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, not {type(value).__name__}")
    if ranks is not None and value.dim() not in ranks:
        allowed = ", ".join(f"{r}-D" for r in ranks[:-1])
        allowed = f"{allowed} or {ranks[-1]}-D" if allowed else f"{ranks[-1]}-D"
        raise ValueError(f"{name} must be {allowed}{' ' + what if what else ''}, got {value.dim()}-D "
                         f"with shape {tuple(value.shape)}")
    if not allow_empty and 0 in value.shape[-3:]:
        raise ValueError(f"{name} has an empty axis: shape {tuple(value.shape)}")
    return value


def as_tensor(value, name: str) -> tuple[torch.Tensor, bool]:
    """``value`` as a tensor (a NumPy array is wrapped without a copy), and whether it was NumPy.

    Plumbing under every chapter (not taught in one).

    >>> t, was_numpy = as_tensor(np.zeros(3), "image")
    >>> type(t).__name__, was_numpy
    ('Tensor', True)
    """
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value), True
    if isinstance(value, torch.Tensor):
        return value, False
    raise TypeError(f"{name} must be a torch.Tensor or a numpy array, not {type(value).__name__}")


def check_image_batch(images, name: str = "images", channels: int | None = 1,
                      min_batch: int = 1, floating: bool = True) -> torch.Tensor:
    """``images``, checked to be a batch ``(N, C, H, W)`` with ``C == channels`` and ``N >= min_batch``.

    Plumbing under every chapter (not taught in one).

    ``channels=None`` accepts any number of channels. With ``channels=1``
    the message says how to add the missing axes to a batch of ``(H, W)``
    images or to one image.

    >>> check_image_batch(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 1, 8, 8])
    >>> check_image_batch(torch.zeros(2, 8, 8))
    Traceback (most recent call last):
        ...
    ValueError: images must be a batch of grey images (N, 1, H, W), got shape (2, 8, 8); add axes with images[:, None] (a batch of (H, W)) or images[None] (one (1, H, W) image)
    """
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, not {type(images).__name__}")
    if images.dim() != 4 or (channels is not None and images.shape[1] != channels):
        if channels == 1:
            raise ValueError(
                f"{name} must be a batch of grey images (N, 1, H, W), got shape {tuple(images.shape)}; "
                f"add axes with {name}[:, None] (a batch of (H, W)) or {name}[None] (one (1, H, W) image)"
            )
        layout = "(N, C, H, W)" if channels is None else f"(N, {channels}, H, W)"
        raise ValueError(f"{name} must be a batch {layout}, got shape {tuple(images.shape)}")
    if images.shape[0] < min_batch:
        if min_batch == 1:
            raise ValueError(f"{name} is an empty batch")
        raise ValueError(f"{name} must hold at least {min_batch} images, got {images.shape[0]}")
    if floating and not images.is_floating_point():
        raise TypeError(f"{name} must be floating point, got {images.dtype}")
    return images


def check_unit_range(images: torch.Tensor, name: str = "images", low: float = 0.0,
                     tolerance: float = 1e-3, hint: str = "") -> None:
    """Check that ``images`` are finite and lie in ``[low, 1]`` (up to ``tolerance``).

    Plumbing under every chapter (not taught in one).

    ``low=-1`` checks a generator's ``tanh`` range ``[-1, 1]``.

    >>> check_unit_range(torch.tensor([0.0, 0.5, 1.0]))
    >>> check_unit_range(torch.tensor([0.0, 2.0]), hint="(divide by 255)")
    Traceback (most recent call last):
        ...
    ValueError: images must have values in [0, 1], got [0, 2] (divide by 255)
    """
    if not bool(torch.isfinite(images).all()):
        raise ValueError(f"{name} contain NaN or inf")
    lo, hi = float(images.min()), float(images.max())
    if lo < low - tolerance or hi > 1 + tolerance:
        raise ValueError(f"{name} must have values in [{low:g}, 1], got [{lo:.3g}, {hi:.3g}]{_hint(hint)}")


def check_kernel(kernel, name: str = "kernel", odd: bool = False,
                 allow_numpy: bool = False) -> torch.Tensor:
    """A 2-D kernel ``(kH, kW)``; with ``odd=True`` both sides must be odd (it has a centre pixel).

    Plumbing under every chapter (not taught in one).

    A kernel that is *centred* on a pixel (a point-spread function for
    :func:`helpers.imaging.blur`) needs odd sides; one used in a "valid"
    convolution (:func:`helpers.kernels.make_pairs`) does not. With
    ``allow_numpy`` a NumPy array is accepted, and an integer kernel becomes
    float64.

    >>> check_kernel(torch.ones(3, 3), odd=True).shape
    torch.Size([3, 3])
    >>> check_kernel(torch.ones(2, 2), odd=True)
    Traceback (most recent call last):
        ...
    ValueError: kernel must have odd height and width so that it has a centre pixel, got shape (2, 2)
    """
    if allow_numpy:
        kernel, _ = as_tensor(kernel, name)
    elif not isinstance(kernel, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, not {type(kernel).__name__}")
    if kernel.dim() != 2:
        raise ValueError(f"{name} must be 2-D (kH, kW), got shape {tuple(kernel.shape)}")
    if 0 in kernel.shape:
        raise ValueError(f"{name} is empty: shape {tuple(kernel.shape)}")
    if odd and (kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0):
        raise ValueError(
            f"{name} must have odd height and width so that it has a centre pixel, got shape "
            f"{tuple(kernel.shape)}"
        )
    if allow_numpy and not kernel.is_floating_point():
        kernel = kernel.double()
    return kernel


def check_same_length(a, b, names: tuple[str, str] = ("x", "y"), what: str | None = None,
                      allow_empty: bool = False) -> None:
    """Check that tensors ``a`` and ``b`` hold the same number of samples (first axis), and some.

    Plumbing under every chapter (not taught in one).

    >>> check_same_length(torch.zeros(4, 2), torch.zeros(3))
    Traceback (most recent call last):
        ...
    ValueError: x and y must have the same number of samples (first axis), got 4 and 3
    """
    what = what or f"{names[0]} and {names[1]}"
    for name, t in zip(names, (a, b)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, not {type(t).__name__}")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{what} must have the same number of samples (first axis), got "
                         f"{a.shape[0]} and {b.shape[0]}")
    if not allow_empty and a.shape[0] == 0:
        raise ValueError(f"{what} are empty: there is nothing to train or evaluate on")


def check_module(value, name: str = "model") -> torch.nn.Module:
    """``value``, checked to be a ``torch.nn.Module``.

    Plumbing under every chapter (not taught in one).

    >>> check_module(torch.nn.Linear(2, 1)).out_features
    1
    """
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, not {type(value).__name__}")
    return value
