"""Self-checks for the exercises of chapter 01 (CNN basics).

Each ``check_*`` function takes the reader's answer. ``None`` (the
placeholder in the notebook) prints a reminder and returns ``None``, so the
notebook as stored runs; a wrong answer raises an ``AssertionError`` that
says what is wrong; a right one prints a confirmation and returns ``True``.

>>> check_output_size(None)
Not answered yet: replace None with your answer and run the cell again.
>>> check_param_count(3 * 16 * 5 * 5 + 16, 16 * 28 * 28 * 3 * 5 * 5)
✓ Correct: Conv2d(3, 16, kernel_size=5) has 1216 parameters (1200 weights + 16 biases) and does 940800 multiply-adds on a 32×32 image (16·28·28 outputs × 75 products).
True
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from helpers.cnn import receptive_field
from helpers.conv_math import conv_output_size
from helpers.exercises._common import answered as _answered
from helpers.exercises._common import is_int, passed, require, require_tensor

#: Exercise 1.6: a changed DigitsCNN whose Linear layer expects 16·4·4 features; it gets 16·3·3.
BROKEN_DIGITS_CNN = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3),                          # no padding: 8 → 6
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),    # 6 → 3
    nn.ReLU(),
    nn.Flatten(),
    nn.Linear(16 * 4 * 4, 10),
)




def check_output_size(answer) -> bool | None:
    """Exercise 1.1: output size of a 28×28 input, kernel 5, stride 2, padding 2."""
    if not _answered(answer):
        return None
    expected = conv_output_size(28, 5, stride=2, padding=2)
    require(is_int(answer), f"the answer should be an int (a number of pixels), got {type(answer).__name__}")
    require(answer != 12, "12 is the size without padding; the padding adds 2 pixels on each side")
    require(answer != 28, "28 would be right at stride 1; stride 2 moves the kernel two pixels at a time")
    require(answer == expected, f"{answer} is not right; use floor((n + 2p − d(k−1) − 1) / s) + 1 "
                                f"with n=28, k=5, s=2, p=2, d=1")
    passed(f"floor((28 + 2·2 − 4 − 1) / 2) + 1 = {expected}.")
    return True


def check_param_count(params, macs=None) -> bool | None:
    """Exercise 1.2: parameters of ``nn.Conv2d(3, 16, kernel_size=5)`` and its multiply-adds on 32×32."""
    if not _answered(params):
        return None
    require(is_int(params), f"the number of parameters should be an int, got {type(params).__name__}")
    weights, biases = 16 * 3 * 5 * 5, 16
    require(params != weights, f"{weights} counts the weights only; each of the 16 output channels also "
                               f"has a bias")
    require(params != 16 * 5 * 5 + 16, "every output channel has a 5×5 kernel for EACH of the 3 input channels")
    require(params == weights + biases, f"{params} parameters is not right: count out·in·k·k weights "
                                        f"plus out biases")
    require(macs is not None, "the parameters are right; now give the multiply-adds as well")
    out = conv_output_size(32, 5)
    expected = 16 * out * out * 3 * 5 * 5
    require(is_int(macs), f"the number of multiply-adds should be an int, got {type(macs).__name__}")
    require(macs != 16 * 32 * 32 * 75, "without padding the output is not 32×32: a 5×5 kernel fits "
                                       "32 − 5 + 1 = 28 times per axis")
    require(macs != 16 * out * out * 25, "each output value sums over all 3 input channels: 3·5·5 products")
    require(macs == expected, f"{macs} multiply-adds is not right: C_out·H_out·W_out outputs, each a sum of "
                              f"C_in·k·k products")
    passed(f"Conv2d(3, 16, kernel_size=5) has {weights + biases} parameters ({weights} weights + {biases} "
           f"biases) and does {expected} multiply-adds on a 32×32 image (16·{out}·{out} outputs × 75 products).")
    return True


def check_horizontal_edge_kernel(kernel) -> bool | None:
    """Exercise 1.3: a 3×3 kernel that responds to horizontal edges only."""
    if not _answered(kernel):
        return None
    k = require_tensor(kernel, (3, 3), "kernel").float()
    flat = torch.full((1, 1, 9, 9), 0.5)
    horizontal = torch.zeros(1, 1, 9, 9)
    horizontal[..., :4, :] = 1.0  # bright top half, dark bottom half: a horizontal edge
    vertical = horizontal.transpose(-1, -2)  # bright left half: a vertical edge
    response = {name: F.conv2d(img, k[None, None]).abs().max().item()
                for name, img in (("flat", flat), ("horizontal", horizontal), ("vertical", vertical))}
    require(response["horizontal"] > 0.5 or response["vertical"] <= 0.5,
            f"this kernel finds vertical edges (max |response| {response['vertical']:.3g}) but not "
            f"horizontal ones: each of its rows sums to zero; turn it by 90° (transpose it) so that "
            f"each column sums to zero instead")
    require(response["horizontal"] > 0.5,
            f"the kernel barely responds to a horizontal edge (max |response| {response['horizontal']:.3g}); "
            f"the weights above the centre row and below it should differ")
    require(response["flat"] < 1e-4 * response["horizontal"] + 1e-6,
            f"the kernel responds to a flat image ({response['flat']:.3g}); its weights must sum to zero")
    columns = k.sum(0).tolist()
    require(response["vertical"] < 0.05 * response["horizontal"],
            f"the kernel also responds to vertical edges ({response['vertical']:.3g} vs "
            f"{response['horizontal']:.3g}); on a vertical edge the image is constant down each column, so "
            f"every column of the kernel must sum to zero (yours sum to "
            f"{[round(c, 3) for c in columns]})")
    passed("every column sums to zero, so the kernel ignores vertical edges and flat areas, "
           "and its top and bottom rows differ, so it sees horizontal edges.")
    return True


def check_receptive_field(answer) -> bool | None:
    """Exercise 1.4: receptive field of three 3×3 convolutions, the first with stride 2."""
    if not _answered(answer):
        return None
    expected = receptive_field([(3, 2), (3, 1), (3, 1)])
    require(is_int(answer), f"the answer should be an int, got {type(answer).__name__}")
    require(answer != 7, "7 would be right without the stride; after a stride-2 layer each step covers "
                         "2 input pixels")
    require(answer == expected, f"{answer} is not right; use r ← r + (k − 1)·j and j ← j·s layer by layer")
    passed(f"r = 1 + 2·1 + 2·2 + 2·2 = {expected} pixels.")
    return True


def check_conv2d_channels(fn) -> bool | None:
    """Exercise 1.5: ``fn(x, weight, bias, stride)`` must equal ``F.conv2d`` for one image."""
    if not _answered(fn):
        return None
    require(callable(fn), f"the answer should be a function, got {type(fn).__name__}")
    generator = torch.Generator().manual_seed(1)
    for c_in, c_out, k, size, stride in [(1, 1, 3, 5, 1), (3, 2, 3, 6, 1), (2, 4, 2, 7, 2), (3, 1, 1, 4, 1)]:
        x = torch.randn(c_in, size, size, generator=generator)
        weight = torch.randn(c_out, c_in, k, k, generator=generator)
        bias = torch.randn(c_out, generator=generator)
        expected = F.conv2d(x[None], weight, bias, stride=stride)[0]
        case = f"C_in={c_in}, C_out={c_out}, k={k}, {size}×{size}, stride={stride}"
        try:
            got = fn(x, weight, bias, stride)
        except Exception as exc:  # the reader's code: report what it raised
            raise AssertionError(f"your function raised {type(exc).__name__}: {exc} (case {case})") from exc
        got = require_tensor(got, tuple(expected.shape), f"the output for {case}")
        if torch.allclose(got, expected - bias[:, None, None], atol=1e-4) and bias.abs().max() > 0:
            require(False, f"the output for {case} is right except for the bias: add bias[o] to channel o")
        err = float((got - expected).abs().max())
        require(err < 1e-4, f"the output for {case} is off by up to {err:.3g}; each output channel o is "
                            f"bias[o] + Σ_c conv(x[c], weight[o, c])")
    passed("your convolution equals F.conv2d for 1–3 input channels, 1–4 output channels and strides 1 and 2.")
    return True


def check_digits_linear_inputs(answer) -> bool | None:
    """Exercise 1.6: the ``in_features`` that makes :data:`BROKEN_DIGITS_CNN` work on 8×8 digits."""
    if not _answered(answer):
        return None
    require(is_int(answer), f"in_features is an int, got {type(answer).__name__}")
    first = conv_output_size(8, 3)
    second = conv_output_size(first, 3, stride=2, padding=1)
    expected = 16 * second * second
    require(answer != 16 * 4 * 4, "256 = 16·4·4 is what the broken model expects; the first convolution "
                                  "has no padding, so the map does not stay 8×8")
    require(answer != 16 * first * first, f"{answer} = 16·{first}·{first} forgets that the second "
                                           f"convolution has stride 2")
    require(answer != 16 * 8 * 8, "1024 = 16·8·8 assumes both convolutions keep 8×8")
    require(answer == expected, f"{answer} is not right; follow the size through both convolutions with "
                                f"floor((n + 2p − k) / s) + 1, then multiply by the 16 channels")
    passed(f"8 → {first} (k=3, no padding) → {second} (k=3, s=2, p=1): nn.Linear needs "
           f"16·{second}·{second} = {expected} inputs.")
    return True
