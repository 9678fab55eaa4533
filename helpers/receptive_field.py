"""What one output pixel of a network can see: receptive fields of conv and transposed-conv stacks.

For a generator built from transposed convolutions, the question is turned
around: which pixels of each *intermediate* feature map influence one pixel
of the output image? Two ways to answer it, which agree:

* :func:`footprints` — exact and structural: every convolution is replaced
  by one with all-ones kernels (no bias, no nonlinearity, no
  normalisation), and the indicator of the output pixel is carried back by
  autograd. A pixel is in the footprint if any path of nonzero weights
  connects it to the output pixel.
* :func:`gradient_footprints` — empirical, on the real network: the union
  over several inputs of the pixels where the gradient of the output pixel
  is nonzero. It also works for layers that are not convolutions
  (self-attention), whose footprint is the whole map.

:func:`receptive_field_1d` is the textbook recursion for one axis.

>>> from helpers.receptive_field import LayerSpec, footprints
>>> specs = [LayerSpec("convT", 4, 2, 1), LayerSpec("convT", 4, 2, 1)]   # 4×4 → 8×8 → 16×16
>>> [tuple(f.shape) for f in footprints(specs, in_size=4)]
[(4, 4), (8, 8), (16, 16)]
>>> [int(f.any(0).sum()) for f in footprints(specs, in_size=4)]          # width of each footprint
[2, 2, 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from helpers.checks import check_choice, check_int
from helpers.cnn import receptive_field
from helpers.conv_math import conv_output_size, conv_transpose_output_size

_KINDS = ("conv", "convT", "up")


@dataclass(frozen=True)
class LayerSpec:
    """One spatial layer: ``kind`` is ``"conv"``, ``"convT"`` or ``"up"`` (nearest resize by ``stride``).

    Taught in chapter 05, §5.5 (Wider applications).

    >>> LayerSpec("convT", kernel=4, stride=2, padding=1).output_size(8)
    16
    >>> LayerSpec("conv", kernel=3, padding=1, dilation=2).output_size(8)   # a dilated 3×3 spans 5
    6
    """

    kind: str
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    output_padding: int = 0
    name: str = ""
    dilation: int = 1

    def __post_init__(self):
        check_choice(self.kind, "kind", _KINDS)
        for field, minimum in (("kernel", 1), ("stride", 1), ("padding", 0), ("output_padding", 0),
                               ("dilation", 1)):
            check_int(getattr(self, field), field, minimum)

    def output_size(self, size: int) -> int:
        """Spatial size after the layer: :mod:`helpers.conv_math`'s checked formulas (``"up"``: ``size·stride``)."""
        if self.kind == "conv":
            return conv_output_size(size, self.kernel, self.stride, self.padding, self.dilation)
        if self.kind == "convT":
            return conv_transpose_output_size(size, self.kernel, self.stride, self.padding, self.dilation,
                                              self.output_padding)
        return check_int(size, "size", 1) * self.stride


def layer_specs(model: nn.Module) -> list[LayerSpec]:
    """The spatial layers of ``model`` (Conv2d, ConvTranspose2d, Upsample) in registration order.

    Taught in chapter 05, §5.2 (Global structure).

    Works for plain feed-forward stacks (e.g. an ``nn.Sequential`` generator);
    the order of ``model.modules()`` must be the order of the forward pass.

    >>> net = nn.Sequential(nn.ConvTranspose2d(8, 4, 4, 2, 1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1))
    >>> [(s.kind, s.kernel, s.stride) for s in layer_specs(net)]
    [('convT', 4, 2), ('conv', 3, 1)]
    """
    specs = []
    for name, m in model.named_modules():
        if isinstance(m, nn.ConvTranspose2d):
            specs.append(LayerSpec("convT", m.kernel_size[0], m.stride[0], m.padding[0],
                                   m.output_padding[0], name, m.dilation[0]))
        elif isinstance(m, nn.Conv2d):
            specs.append(LayerSpec("conv", m.kernel_size[0], m.stride[0], m.padding[0], 0, name,
                                   m.dilation[0]))
        elif isinstance(m, nn.Upsample):
            if m.scale_factor is None:
                raise ValueError(f"layer {name}: only nn.Upsample with a scale_factor is supported")
            specs.append(LayerSpec("up", 1, int(m.scale_factor), 0, 0, name))
    if not specs:
        raise ValueError("the model has no Conv2d, ConvTranspose2d or Upsample layer")
    return specs


def _apply_ones(spec: LayerSpec, x: torch.Tensor) -> torch.Tensor:
    """The layer with an all-ones kernel on one channel: who is connected to whom."""
    if spec.kind == "up":
        return F.interpolate(x, scale_factor=spec.stride, mode="nearest")
    w = torch.ones(1, 1, spec.kernel, spec.kernel, dtype=x.dtype)
    if spec.kind == "conv":
        return F.conv2d(x, w, stride=spec.stride, padding=spec.padding, dilation=spec.dilation)
    return F.conv_transpose2d(x, w, stride=spec.stride, padding=spec.padding,
                              output_padding=spec.output_padding, dilation=spec.dilation)


def footprints(specs: Sequence[LayerSpec], in_size: int, pixel: tuple[int, int] | None = None
               ) -> list[torch.Tensor]:
    """Boolean maps: which pixels of each feature map reach output ``pixel``.

    Taught in chapter 05, §5.2 (Global structure).

    Returns one ``(H_l, W_l)`` map per feature map, from the input of the
    first layer (index 0) to the output (last; it has only ``pixel`` set).
    ``pixel`` defaults to the centre of the output.

    >>> f = footprints([LayerSpec("conv", 3, 1, 1), LayerSpec("conv", 3, 1, 1)], in_size=9)
    >>> int(f[0].sum()), int(f[1].sum())      # two 3×3 convolutions see 5×5, one sees 3×3
    (25, 9)
    """
    maps = [torch.ones(1, 1, in_size, in_size, dtype=torch.float64, requires_grad=True)]
    x = maps[0]
    for spec in specs:
        x = _apply_ones(spec, x)
        if x.shape[-1] < 1:
            raise ValueError(f"the stack shrinks the map to nothing at layer {spec}")
        x.retain_grad()
        maps.append(x)
    size = x.shape[-1]
    r, c = pixel if pixel is not None else (size // 2, size // 2)
    if not (0 <= r < size and 0 <= c < size):
        raise ValueError(f"pixel {pixel} is outside the {size}×{size} output")
    x[0, 0, r, c].backward()
    out = []
    for m in maps[:-1]:
        out.append(m.grad[0, 0] > 0)
    last = torch.zeros(size, size, dtype=torch.bool)
    last[r, c] = True
    out.append(last)
    return out


def footprint_widths(specs: Sequence[LayerSpec], in_size: int) -> list[int]:
    """Width in pixels (along one axis) of the centre pixel's footprint on each feature map.

    Taught in chapter 05, §5.5 (Wider applications).

    >>> footprint_widths([LayerSpec("convT", 4, 2, 1)] * 3, in_size=4)
    [2, 2, 2, 1]
    >>> footprint_widths([LayerSpec("conv", 3, 1, 1)] * 3, in_size=16)
    [7, 5, 3, 1]
    """
    return [int(f.any(dim=0).sum()) for f in footprints(specs, in_size)]


def receptive_field_1d(specs: Sequence[LayerSpec]) -> int:
    """Receptive field (pixels of the input) of one output pixel of a *convolution* stack.

    Taught in chapter 05, §5.2 (Global structure): chapter 01's §1.9 recursion for layer specs.

    Chapter 01's :func:`helpers.cnn.receptive_field` (the recursion
    ``r ← r + d·(k − 1)·j``, ``j ← j·s`` with ``j`` the product of the
    strides so far; Araujo et al., 2019) applied to layer specs; for Luo et
    al.'s *effective* receptive field see chapter 05.

    >>> receptive_field_1d([LayerSpec("conv", 3, 1, 1)] * 2 + [LayerSpec("conv", 3, 2, 1)])
    7
    """
    if any(spec.kind != "conv" for spec in specs):
        raise ValueError("receptive_field_1d is for convolution stacks; use footprints() for others")
    return receptive_field([(spec.kernel, spec.stride, spec.dilation) for spec in specs])


def gradient_footprints(forward: Callable[[torch.Tensor], torch.Tensor], modules: Sequence[nn.Module],
                        inputs: torch.Tensor, pixel: tuple[int, int] | None = None,
                        tol: float = 0.0) -> list[torch.Tensor]:
    """Empirical footprints on a real network: where ``∂ output[pixel] / ∂ map`` is nonzero.

    Taught in chapter 05, §5.2 (Global structure).

    ``forward(inputs)`` must return ``(N, C, H, W)``; ``modules`` are the
    modules whose *outputs* are the feature maps to inspect. The union is
    taken over the ``N`` inputs (a ReLU can zero a gradient by chance for
    one input, not for all) and over output channels. The model's weights
    may be frozen (``requires_grad=False``).

    >>> net = nn.Sequential(nn.ConvTranspose2d(2, 2, 4, 2, 1), nn.Tanh(), nn.ConvTranspose2d(2, 1, 4, 2, 1))
    >>> f = gradient_footprints(net, [net[0]], torch.randn(4, 2, 4, 4))
    >>> int(f[0].any(0).sum())
    2
    """
    captured: list[torch.Tensor] = []

    def hook(_module, _inp, out):
        out.retain_grad()
        captured.append(out)

    handles = [m.register_forward_hook(hook) for m in modules]
    # The input requires grad, so the maps do even when the weights do not (e.g. a frozen EMA copy).
    inputs = inputs.detach().requires_grad_(True)
    try:
        with torch.enable_grad():
            y = forward(inputs)
            if y.dim() != 4:
                raise ValueError(f"forward must return (N, C, H, W), got shape {tuple(y.shape)}")
            size_r, size_c = y.shape[-2:]
            r, c = pixel if pixel is not None else (size_r // 2, size_c // 2)
            y[:, :, r, c].sum().backward()
    finally:
        for h in handles:
            h.remove()
    if len(captured) != len(modules):
        raise RuntimeError(f"expected {len(modules)} feature maps, captured {len(captured)}; "
                           f"is every module used exactly once in forward?")
    return [(t.grad.abs() > tol).any(dim=0).any(dim=0) for t in captured]
