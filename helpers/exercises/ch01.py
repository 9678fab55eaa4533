"""Self-checks for chapter 01 (CNN basics).

>>> check_param_count(3 * 16 * 5 * 5 + 16)
✓ Correct: Conv2d(3, 16, kernel_size=5) has 1216 parameters (1200 weights + 16 biases).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from helpers.cnn import receptive_field
from helpers.conv_math import conv_output_size
from helpers.exercises._common import passed, require, require_tensor


def check_output_size(answer) -> None:
    """Exercise: output size of a 28×28 input, kernel 5, stride 2, padding 2."""
    expected = conv_output_size(28, 5, stride=2, padding=2)
    require(isinstance(answer, int), f"the answer should be an int (a number of pixels), got {type(answer).__name__}")
    require(answer != 12, "12 is the size without padding; the padding adds 2 pixels on each side")
    require(answer == expected, f"{answer} is not right; use floor((n + 2p − k) / s) + 1 with n=28, k=5, s=2, p=2")
    passed(f"floor((28 + 2·2 − 5) / 2) + 1 = {expected}.")


def check_param_count(answer) -> None:
    """Exercise: parameters of ``nn.Conv2d(3, 16, kernel_size=5)``."""
    require(isinstance(answer, int), f"the answer should be an int, got {type(answer).__name__}")
    weights, biases = 16 * 3 * 5 * 5, 16
    require(answer != weights, f"{weights} counts the weights only; each of the 16 output channels also has a bias")
    require(answer != 16 * 5 * 5 + 16, "every output channel has a 5×5 kernel for EACH of the 3 input channels")
    require(answer == weights + biases, f"{answer} is not right: count out·in·k·k weights plus out biases")
    passed(f"Conv2d(3, 16, kernel_size=5) has {weights + biases} parameters ({weights} weights + {biases} biases).")


def check_horizontal_edge_kernel(kernel) -> None:
    """Exercise: a 3×3 kernel that responds to horizontal edges only."""
    k = require_tensor(kernel, (3, 3), "kernel").float()
    flat = torch.full((1, 1, 9, 9), 0.5)
    horizontal = torch.zeros(1, 1, 9, 9)
    horizontal[..., :4, :] = 1.0  # bright top half, dark bottom half: a horizontal edge
    vertical = horizontal.transpose(-1, -2)  # bright left half: a vertical edge
    response = {name: F.conv2d(img, k[None, None]).abs().max().item()
                for name, img in (("flat", flat), ("horizontal", horizontal), ("vertical", vertical))}
    require(response["horizontal"] > 0.5,
            f"the kernel barely responds to a horizontal edge (max |response| {response['horizontal']:.3g}); "
            f"weights above and below the centre should differ")
    require(response["flat"] < 1e-4 * response["horizontal"] + 1e-6,
            f"the kernel responds to a flat image ({response['flat']:.3g}); its weights must sum to zero")
    require(response["vertical"] < 0.05 * response["horizontal"],
            f"the kernel also responds to vertical edges ({response['vertical']:.3g} vs "
            f"{response['horizontal']:.3g}); make each row of the kernel constant")
    passed("the kernel sees horizontal edges and ignores flat areas and vertical edges.")


def check_receptive_field(answer) -> None:
    """Exercise: receptive field of three 3×3 convolutions, the first with stride 2."""
    expected = receptive_field([(3, 2), (3, 1), (3, 1)])
    require(isinstance(answer, int), f"the answer should be an int, got {type(answer).__name__}")
    require(answer != 7, "7 would be right without the stride; after a stride-2 layer each step covers 2 input pixels")
    require(answer == expected, f"{answer} is not right; use r ← r + (k − 1)·j and j ← j·s layer by layer")
    passed(f"r = 1 + 2·1 + 2·2 + 2·2 = {expected} pixels.")
