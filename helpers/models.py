"""GAN models for chapters 04 and 05: a DCGAN generator and discriminator.

The generator maps a latent vector ``z`` of shape ``(N, latent_dim)`` to
images ``(N, channels, size, size)`` in [-1, 1] (``tanh``); the
discriminator maps images to one logit per image, shape ``(N,)`` (no
sigmoid: the losses take logits, e.g. ``BCEWithLogitsLoss``).

Both take an optional class label ``y`` (``G(z, y=None)``, ``D(x, y=None)``)
so that a class-conditional GAN can share the training loop of
:mod:`helpers.gan`: here ``num_classes`` adds a label embedding to ``z`` in
the generator and a projection term ``<embed(y), features(x)>``
(Miyato & Koyama 2018) in the discriminator. Unconditional models (the
default, ``num_classes=None``) refuse a label.

>>> import torch
>>> from helpers.models import Generator, Discriminator
>>> G, D = Generator(latent_dim=16, width=8), Discriminator(width=8)
>>> x = G(torch.randn(5, 16))                      # (N, 1, 32, 32) in [-1, 1]
>>> tuple(x.shape), tuple(D(x).shape)
((5, 1, 32, 32), (5,))

Layout, for ``size=32`` and ``width=w`` (every up block is a
``ConvTranspose2d(k=4, s=2, p=1)``, which doubles the size exactly)::

    z (N, latent_dim) ─ stem: ConvT(k=4, s=1, p=0) ─▶ (N, 4w, 4, 4)
      ─ up: ConvT(k4 s2 p1) ─▶ (N, 2w, 8, 8) ─ up ─▶ (N, w, 16, 16)
      ─ to_image: ConvT(k4 s2 p1) + tanh ─▶ (N, 1, 32, 32)
    x (N, 1, 32, 32) ─ Conv(k4 s2 p1) ─▶ (N, w, 16, 16) ─▶ (N, 2w, 8, 8)
      ─▶ (N, 4w, 4, 4) ─ flatten ─▶ (N, 16·4w) ─ head: Linear ─▶ (N,)

The head ``Linear(16·4w, 1)`` is the DCGAN's last ``Conv2d(4w, 1, k=4)``
written as what it is on a 4×4 map. ``upsample="resize"`` swaps each
transposed convolution for nearest-neighbour ×2 followed by a 3×3
convolution (Odena et al. 2016), the fix for checkerboard artifacts.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from helpers.checks import check_choice, check_positive_int

#: Image sizes the models build: 4·2^k with at least two up/down blocks.
SIZES = (16, 32, 64)
UPSAMPLE_MODES = ("transposed", "resize")
NORMS = ("batch", "none")


def _check_size(size) -> int:
    return check_choice(check_positive_int(size, "size"), "size", SIZES, hint="(a power of two, 4·2^k)")


def _check_label(y, num_classes, batch: int, who: str):
    """Validate ``y`` against a model's ``num_classes``; returns ``y`` or None."""
    if num_classes is None:
        if y is not None:
            raise ValueError(
                f"this {who} is unconditional (num_classes=None) but got class labels y; "
                f"build it with num_classes=K for a class-conditional GAN"
            )
        return None
    if y is None:
        raise ValueError(f"this {who} is class-conditional (num_classes={num_classes}); pass labels y")
    if not isinstance(y, torch.Tensor) or y.dtype not in (torch.int64, torch.int32):
        raise TypeError("y must be an integer tensor of class indices, shape (N,)")
    if y.shape != (batch,):
        raise ValueError(f"y must have shape ({batch},), got {tuple(y.shape)}")
    return y


def up_block(in_channels: int, out_channels: int, upsample: str = "transposed",
             norm: str = "batch") -> nn.Sequential:
    """One ×2 upsampling block: (N, in, H, W) → (N, out, 2H, 2W), then norm and ReLU.

    Taught in chapter 04, §4.3 (The models), through :func:`helpers.gan.build_models`; reused in
    chapter 05.

    ``"transposed"``: ``ConvTranspose2d(k=4, s=2, p=1)``; ``"resize"``:
    nearest ×2 then ``Conv2d(k=3, p=1)``.

    >>> up_block(8, 4)(torch.zeros(2, 8, 5, 5)).shape
    torch.Size([2, 4, 10, 10])
    """
    check_choice(upsample, "upsample", UPSAMPLE_MODES)
    check_choice(norm, "norm", NORMS)
    bias = norm == "none"
    if upsample == "transposed":
        layers = [nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1, bias=bias)]
    else:
        layers = [nn.Upsample(scale_factor=2, mode="nearest"),
                  nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias)]
    if norm == "batch":
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def down_block(in_channels: int, out_channels: int, norm: str = "none",
               spectral: bool = False, slope: float = 0.2) -> nn.Sequential:
    """One ×½ block: ``Conv2d(k=4, s=2, p=1)`` (optionally spectrally normalised), norm, LeakyReLU.

    Taught in chapter 04, §4.3 (The models), through :func:`helpers.gan.build_models`; reused in
    chapter 05.

    >>> down_block(1, 4)(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 4, 4, 4])
    """
    check_choice(norm, "norm", NORMS)
    conv = nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1, bias=norm == "none")
    layers = [_spectral_norm(conv) if spectral else conv]
    if norm == "batch":
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.LeakyReLU(slope, inplace=True))
    return nn.Sequential(*layers)


def dcgan_init_(module: nn.Module) -> nn.Module:
    """The DCGAN initialisation (Radford et al. 2015): conv weights N(0, 0.02), BN weights N(1, 0.02).

    Taught in chapter 04, §4.3 (The models), through :func:`helpers.gan.build_models`; reused in
    chapter 05.

    Returns the module (initialised in place).

    >>> G = dcgan_init_(Generator(latent_dim=4, width=2))
    >>> w, bn = G.stem[0].weight.detach(), G.stem[1].weight.detach()
    >>> round(float(w.std()), 2), round(float(bn.mean()), 1), float(G.stem[1].bias.detach().abs().max())
    (0.02, 1.0, 0.0)
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            nn.init.normal_(weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


class Generator(nn.Module):
    """DCGAN generator: ``z (N, latent_dim)`` → images ``(N, channels, size, size)`` in [-1, 1].

    Taught in chapter 04, §4.3 (The models), through :func:`helpers.gan.build_models`; reused in
    chapter 05.

    ``width`` is the number of channels of the last hidden block; each block
    nearer the latent has twice as many (``4w`` at 4×4 for ``size=32``).
    ``norm`` is ``"batch"`` (DCGAN) or ``"none"``; ``upsample`` is
    ``"transposed"`` or ``"resize"``. With ``num_classes`` the generator is
    class-conditional: a learned embedding of ``y`` is added to ``z``.

    The attributes ``stem`` (latent → 4×4), ``blocks`` (an ``nn.Sequential``
    of up blocks; insert extra layers there, e.g. self-attention) and
    ``to_image`` (last up-sampling + tanh) are public on purpose.

    >>> G = Generator(latent_dim=8, width=4, size=16)
    >>> G(torch.randn(3, 8)).shape
    torch.Size([3, 1, 16, 16])
    """

    def __init__(self, latent_dim: int = 64, width: int = 64, size: int = 32, channels: int = 1,
                 norm: str = "batch", upsample: str = "transposed", num_classes: int | None = None):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.width = check_positive_int(width, "width")
        self.size = _check_size(size)
        self.channels = check_positive_int(channels, "channels")
        check_choice(norm, "norm", NORMS)
        check_choice(upsample, "upsample", UPSAMPLE_MODES)
        self.num_classes = None if num_classes is None else check_positive_int(num_classes, "num_classes")
        self.upsample = upsample
        n_up = int(math.log2(size // 4))                       # 4 → size: n_up doublings
        chans = [width * 2 ** (n_up - 1 - i) for i in range(n_up)]  # e.g. [4w, 2w, w]
        stem = [nn.ConvTranspose2d(latent_dim, chans[0], 4, stride=1, padding=0, bias=norm == "none")]
        if norm == "batch":
            stem.append(nn.BatchNorm2d(chans[0]))
        stem.append(nn.ReLU(inplace=True))
        self.stem = nn.Sequential(*stem)                       # (N, latent, 1, 1) → (N, 4w, 4, 4)
        self.blocks = nn.Sequential(*[up_block(chans[i], chans[i + 1], upsample, norm)
                                      for i in range(n_up - 1)])
        if upsample == "transposed":
            last = nn.ConvTranspose2d(chans[-1], channels, 4, stride=2, padding=1)
        else:
            last = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                 nn.Conv2d(chans[-1], channels, 3, padding=1))
        self.to_image = nn.Sequential(last, nn.Tanh())
        self.embed = None if self.num_classes is None else nn.Embedding(self.num_classes, latent_dim)
        dcgan_init_(self)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got {shape}")
        y = _check_label(y, self.num_classes, z.shape[0], "generator")
        if y is not None:
            z = z + self.embed(y)
        h = self.stem(z[:, :, None, None])                     # (N, 4w, 4, 4)
        h = self.blocks(h)                                      # (N, w, size/2, size/2)
        return self.to_image(h)                                 # (N, C, size, size)


class Discriminator(nn.Module):
    """DCGAN discriminator of strided convolutions: images → one logit per image, ``(N,)``.

    Taught in chapter 04, §4.3 (The models), through :func:`helpers.gan.build_models`; reused in
    chapter 05.

    ``norm="batch"`` is the DCGAN tutorial's choice; ``spectral=True``
    wraps every layer in spectral normalisation (Miyato et al. 2018) and is
    normally used with ``norm="none"``. With ``num_classes`` it adds the
    projection term ``<embed(y), φ(x)>`` to the logit. ``features(x)``
    returns ``φ(x)``, shape ``(N, feature_dim)``.

    >>> D = Discriminator(width=4, size=16, spectral=True, norm="none")
    >>> D(torch.zeros(2, 1, 16, 16)).shape
    torch.Size([2])
    """

    def __init__(self, width: int = 64, size: int = 32, channels: int = 1, norm: str = "batch",
                 spectral: bool = False, num_classes: int | None = None, slope: float = 0.2):
        super().__init__()
        self.width = check_positive_int(width, "width")
        self.size = _check_size(size)
        self.channels = check_positive_int(channels, "channels")
        check_choice(norm, "norm", NORMS)
        self.num_classes = None if num_classes is None else check_positive_int(num_classes, "num_classes")
        n_down = int(math.log2(size // 4))
        chans = [width * 2 ** i for i in range(n_down)]         # e.g. [w, 2w, 4w]
        layers = [down_block(channels, chans[0], "none", spectral, slope)]  # no norm on the input layer
        layers += [down_block(chans[i], chans[i + 1], norm, spectral, slope) for i in range(n_down - 1)]
        self.blocks = nn.Sequential(*layers)                   # (N, C, size, size) → (N, 4w, 4, 4)
        self.feature_dim = chans[-1] * 16
        head = nn.Linear(self.feature_dim, 1)
        self.head = _spectral_norm(head) if spectral else head
        if self.num_classes is not None:
            embed = nn.Embedding(self.num_classes, self.feature_dim)
            self.embed = _spectral_norm(embed) if spectral else embed
        else:
            self.embed = None
        dcgan_init_(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """φ(x): the flattened last feature map, ``(N, feature_dim)``."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[-1] != self.size \
                or x.shape[-2] != self.size or x.shape[1] != self.channels:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (N, {self.channels}, {self.size}, {self.size}), got {shape}")
        return self.blocks(x).flatten(1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x)                                    # (N, feature_dim)
        y = _check_label(y, self.num_classes, x.shape[0], "discriminator")
        out = self.head(h)[:, 0]                                # (N,)
        if y is not None:
            out = out + (self.embed(y) * h).sum(dim=1)          # projection (Miyato & Koyama 2018)
        return out


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters.

    Taught in chapter 04, §4.3 (The models).

    >>> count_parameters(nn.Linear(3, 2))
    8
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@torch.no_grad()
def layer_table(model: nn.Module, *inputs, leaf_types=None) -> list[dict]:
    """Output shape of every layer for the given ``inputs`` (one forward pass, eval mode).

    Taught in chapter 04, §4.3 (The models).

    Returns a list of rows ``{"layer", "type", "output shape", "parameters"}``
    for every leaf module (or every module of ``leaf_types``) in call order.
    :func:`format_table` turns it into a Markdown table.

    >>> rows = layer_table(Generator(latent_dim=8, width=4, size=16), torch.zeros(1, 8))
    >>> rows[0]["type"], rows[-1]["output shape"]
    ('ConvTranspose2d', '(1, 1, 16, 16)')
    """
    rows, hooks = [], []
    was_training = model.training
    model.eval()

    def hook(name):
        def fn(module, args, output):
            out = output if isinstance(output, torch.Tensor) else output[0]
            own = sum(p.numel() for p in module.parameters(recurse=False))
            own += sum(p.numel() for n, p in module.named_parameters() if n.startswith("parametrizations."))
            rows.append({"layer": name, "type": type(module).__name__,
                         "output shape": str(tuple(out.shape)), "parameters": own})
        return fn

    for name, module in model.named_modules():
        if name == "" or name.split(".")[-1] in ("parametrizations", "weight", "original") \
                or ".parametrizations" in name:
            continue
        is_leaf = not any(True for n, _ in module.named_children() if n != "parametrizations")
        if (leaf_types is None and is_leaf) or (leaf_types is not None and isinstance(module, leaf_types)):
            hooks.append(module.register_forward_hook(hook(name)))
    try:
        model(*inputs)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return rows


def format_table(rows: list[dict]) -> str:
    """A Markdown table of ``rows`` (a list of dicts with the same keys).

    Taught in chapter 04, §4.1 (The game and its losses); reused in chapter 05.

    >>> print(format_table([{"a": 1, "b": "x"}]))
    | a | b |
    |---|---|
    | 1 | x |
    """
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


class MLPGenerator(nn.Module):
    """A small fully connected generator for 2-D toy data: ``z (N, latent_dim) → points (N, 2)``.

    Taught in chapter 04, §4.9 (When training fails).

    Takes (and refuses) ``y`` like :class:`Generator`, so the chapter-04
    training step (:func:`helpers.gan.d_step`, :func:`helpers.gan.g_step`)
    runs on it unchanged.

    >>> MLPGenerator(latent_dim=4)(torch.zeros(3, 4)).shape
    torch.Size([3, 2])
    """

    def __init__(self, latent_dim: int = 8, hidden: int = 128, out_dim: int = 2):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        hidden = check_positive_int(hidden, "hidden")
        self.num_classes = None
        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, check_positive_int(out_dim, "out_dim")))

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        _check_label(y, None, z.shape[0], "generator")
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """A small fully connected discriminator for 2-D toy data: ``points (N, 2) → logits (N,)``.

    Taught in chapter 04, §4.9 (When training fails).

    >>> MLPDiscriminator()(torch.zeros(3, 2)).shape
    torch.Size([3])
    """

    def __init__(self, in_dim: int = 2, hidden: int = 128, spectral: bool = False):
        super().__init__()
        hidden = check_positive_int(hidden, "hidden")
        wrap = _spectral_norm if spectral else (lambda m: m)
        self.num_classes = None
        self.net = nn.Sequential(wrap(nn.Linear(check_positive_int(in_dim, "in_dim"), hidden)),
                                 nn.LeakyReLU(0.2), wrap(nn.Linear(hidden, hidden)), nn.LeakyReLU(0.2),
                                 wrap(nn.Linear(hidden, 1)))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        _check_label(y, None, x.shape[0], "discriminator")
        return self.net(x)[:, 0]


def html_table(rows: list[dict]) -> str:
    """An HTML ``<table>`` of a list of dicts (same keys), cells escaped; for HTML outputs.

    Taught in chapter 04, §4.8 (The two recipes, side by side).

    >>> html_table([{"a": 1, "b": "<x>"}])
    '<table class="table"><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>&lt;x&gt;</td></tr></tbody></table>'
    """
    import html

    if not rows:
        return ""
    keys = list(rows[0])
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(k, '')))}</td>" for k in keys) + "</tr>"
                   for r in rows)
    return f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
