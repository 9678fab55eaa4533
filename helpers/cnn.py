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

from helpers.checks import check_int, check_positive_int, check_probability, check_tensor
from helpers.conv_math import conv_output_size


def conv2d_by_hand(image: torch.Tensor, kernel: torch.Tensor, stride: int = 1,
                   padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """Single-channel 2-D convolution written as two loops (deep learning's convention).

    Taught in chapter 01, §1.1 (A convolution, by hand).

    ``out[i, j] = Σ_u Σ_v kernel[u, v] · padded[i·s + u·d, j·s + v·d]`` — a
    *cross-correlation*: the kernel is not flipped, exactly as in
    ``torch.nn.functional.conv2d``. Slow on purpose: it shows every step.

    >>> conv2d_by_hand(torch.arange(9.).reshape(3, 3), torch.tensor([[1., -1.]])).tolist()
    [[-1.0, -1.0], [-1.0, -1.0], [-1.0, -1.0]]
    """
    for name, t in (("image", image), ("kernel", kernel)):
        check_tensor(t, name, (2,), "(H, W) — one channel —")
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

    Taught in chapter 01, §1.9 (Receptive field).

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
        k, s, d = (check_int(v, f"layer {index}: {name}", 1)
                   for v, name in zip((*layer, 1), ("kernel_size", "stride", "dilation")))
        r += d * (k - 1) * jump
        jump *= s
    return r


class DigitsCNN(nn.Module):
    """A small CNN for 8×8 digits: two 3×3 convolutions, max-pooling, a linear head.

    Taught in chapter 01, §1.10 (A small CNN that reads digits).

    The defaults are chapter 01's network: ``features`` (``conv(1→c) → ReLU →
    conv(c→2c) → ReLU → max-pool ×½``) and ``head`` (``flatten → dropout →
    linear``), ``(N, 1, 8, 8) → (N, classes)``. The options build chapter
    04's metric classifier (:class:`helpers.metrics.DigitClassifier`) from
    the same pieces: ``pool_each=True`` pools after *each* convolution
    (8 → 4 → 2), and ``feature_dim`` adds an ``embedding`` (``flatten →
    linear → ReLU``, the feature space the metrics measure in) before a
    ``head`` that is then one linear layer; ``dropout=0`` leaves dropout out.
    :meth:`embed` returns what the last linear layer reads.

    >>> DigitsCNN()(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    >>> net = DigitsCNN(channels=32, pool_each=True, feature_dim=64, dropout=0.0)
    >>> net.embed(torch.zeros(2, 1, 8, 8)).shape, net.head, sum(p.numel() for p in net.parameters())
    (torch.Size([2, 64]), Linear(in_features=64, out_features=10, bias=True), 35914)
    """

    def __init__(self, channels: int = 16, classes: int = 10, pool_each: bool = False,
                 feature_dim: int | None = None, dropout: float = 0.2):
        super().__init__()
        c = check_positive_int(channels, "channels")
        classes = check_positive_int(classes, "classes")
        pool = [nn.MaxPool2d(2)] if pool_each else []
        self.features = nn.Sequential(
            nn.Conv2d(1, c, kernel_size=3, padding=1), nn.ReLU(), *pool,           # (N, c, 8 or 4, …)
            nn.Conv2d(c, 2 * c, kernel_size=3, padding=1), nn.ReLU(),             # (N, 2c, …)
            nn.MaxPool2d(2),                                                    # (N, 2c, 4, 4) or 2×2
        )
        flat = 2 * c * (4 if pool_each else 16)
        drop = [nn.Dropout(check_probability(dropout, "dropout", closed=True))] if dropout else []
        if feature_dim is None:
            self.embedding = None
            self.head = nn.Sequential(nn.Flatten(), *drop, nn.Linear(flat, classes))
        else:
            feature_dim = check_positive_int(feature_dim, "feature_dim")
            self.embedding = nn.Sequential(nn.Flatten(), *drop, nn.Linear(flat, feature_dim), nn.ReLU())
            self.head = nn.Linear(feature_dim, classes)

    def _check(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1:] != (1, 8, 8):
            raise ValueError(f"{type(self).__name__} expects (N, 1, 8, 8) images, got {tuple(x.shape)}")
        return x

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """What the last linear layer reads: ``(N, feature_dim)`` (or ``(N, 2c·16)`` without a feature layer)."""
        h = self.features(self._check(x))
        return self.embedding(h) if self.embedding is not None else self.head[:-1](h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(self._check(x))
        return self.head(self.embedding(h) if self.embedding is not None else h)
