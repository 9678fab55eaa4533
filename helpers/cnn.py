"""Chapter 01's pieces: convolution by hand, receptive fields, a small digit CNN.

>>> import torch
>>> from helpers.cnn import conv2d_by_hand, receptive_field
>>> conv2d_by_hand(torch.ones(4, 4), torch.ones(3, 3)).tolist()
[[9.0, 9.0], [9.0, 9.0]]
>>> receptive_field([(3, 1), (3, 1)])  # two 3×3 convolutions see 5×5 pixels
5
"""

from __future__ import annotations

import torch
from torch import nn

from helpers.conv_math import conv_output_size


def conv2d_by_hand(image: torch.Tensor, kernel: torch.Tensor, stride: int = 1,
                   padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """Single-channel 2-D convolution written as two loops (deep learning's convention).

    ``out[i, j] = Σ_u Σ_v kernel[u, v] · padded[i·s + u·d, j·s + v·d]`` — a
    *cross-correlation*: the kernel is not flipped, exactly as in
    ``torch.nn.functional.conv2d``. Slow on purpose: it shows every step.

    >>> conv2d_by_hand(torch.arange(9.).reshape(3, 3), torch.tensor([[1., -1.]])).tolist()
    [[-1.0, -1.0], [-1.0, -1.0], [-1.0, -1.0]]
    """
    for name, t in (("image", image), ("kernel", kernel)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, not {type(t).__name__}")
        if t.dim() != 2:
            raise ValueError(f"{name} must be 2-D (H, W) — one channel — got shape {tuple(t.shape)}")
    kh, kw = kernel.shape
    out_h = conv_output_size(image.shape[0], kh, stride, padding, dilation)
    out_w = conv_output_size(image.shape[1], kw, stride, padding, dilation)
    padded = torch.nn.functional.pad(image, (padding, padding, padding, padding))
    out = torch.zeros(out_h, out_w, dtype=torch.promote_types(image.dtype, kernel.dtype))
    for i in range(out_h):
        for j in range(out_w):
            patch = padded[i * stride: i * stride + dilation * (kh - 1) + 1: dilation,
                           j * stride: j * stride + dilation * (kw - 1) + 1: dilation]
            out[i, j] = (patch * kernel).sum()
    return out


def receptive_field(layers) -> int:
    """Receptive field (in input pixels, along one axis) of a stack of layers.

    ``layers`` is a list of ``(kernel_size, stride)`` or
    ``(kernel_size, stride, dilation)``. With ``j`` the product of the
    strides so far, each layer adds ``d·(k − 1)·j`` pixels:
    ``r_l = r_{l−1} + d_l·(k_l − 1)·j_{l−1}``, starting from ``r_0 = 1, j_0 = 1``.

    >>> receptive_field([(3, 2), (3, 1), (3, 1)])
    11
    """
    r, jump = 1, 1
    for index, layer in enumerate(layers):
        if len(layer) not in (2, 3):
            raise ValueError(f"layer {index} must be (kernel_size, stride[, dilation]), got {layer!r}")
        k, s, d = (*layer, 1) if len(layer) == 2 else layer
        if min(k, s, d) < 1:
            raise ValueError(f"layer {index}: kernel_size, stride and dilation must be >= 1, got {layer!r}")
        r += d * (k - 1) * jump
        jump *= s
    return r


class DigitsCNN(nn.Module):
    """A small CNN for 8×8 digits: two 3×3 convolutions, max-pooling, a linear head.

    >>> DigitsCNN()(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """

    def __init__(self, channels: int = 16, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=3, padding=1),             # (N, c, 8, 8)
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, kernel_size=3, padding=1),  # (N, 2c, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2),                                              # (N, 2c, 4, 4)
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(2 * channels * 16, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1:] != (1, 8, 8):
            raise ValueError(f"DigitsCNN expects (N, 1, 8, 8) images, got {tuple(x.shape)}")
        return self.head(self.features(x))
