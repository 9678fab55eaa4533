"""A tiny denoising diffusion model (DDPM, Ho et al. 2020) for small digit images (chapter 05).

Three pieces, each a few lines, as in the paper:

* :class:`NoiseSchedule` — the variances ``β_t`` (cosine schedule) and the
  products ``ᾱ_t = Π (1 − β_s)``;
* :func:`q_sample` — the forward process in closed form,
  ``x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε``;
* :class:`TinyUNet` — a small U-Net (Ronneberger et al. 2015) that predicts
  ``ε`` from ``(x_t, t)``; its encoder halves the size with strided
  convolutions and its decoder doubles it back with **transposed
  convolutions** ``ConvTranspose2d(k=4, s=2, p=1)``, concatenating the skip
  connections.

:func:`train_ddpm` minimises ``‖ε − ε_θ(x_t, t)‖²`` (Algorithm 1 of the
paper); :func:`reverse_step` is one step of Algorithm 2 and :func:`sample`
runs the whole reverse (ancestral) chain from pure noise, optionally clipping
the predicted clean image :func:`predict_x0` to [-1, 1] at every step
(``clip_denoised``). Images are in [-1, 1], like the GAN's.

Index convention: Python counts the steps from 0, so the code's ``t`` is the
paper's ``t + 1`` (``alpha_bars[0]`` is the paper's ``ᾱ_1``), and the last
reverse step, ``t = 0``, adds no noise.

>>> import torch
>>> from helpers.diffusion import NoiseSchedule, TinyUNet, q_sample, sample
>>> sched = NoiseSchedule(steps=10)
>>> net = TinyUNet(size=8, base=8)
>>> x0 = torch.zeros(4, 1, 8, 8)                         # (batch, channels, H, W) in [-1, 1]
>>> xt = q_sample(x0, torch.full((4,), 9), torch.randn_like(x0), sched)
>>> net(xt, torch.full((4,), 9)).shape                   # predicted noise, same shape
torch.Size([4, 1, 8, 8])
>>> sample(net, sched, n=2, size=8, seed=0).shape
torch.Size([2, 1, 8, 8])
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from helpers.checks import check_image_batch, check_int, check_unit_range
from helpers.training import train_steps


class NoiseSchedule:
    """Cosine noise schedule (Nichol & Dhariwal 2021) with ``steps`` diffusion steps.

    Taught in chapter 05, §5.4 (Higher quality).

    Attributes (1-D tensors of length ``steps``): ``betas``, ``alphas``
    (``1 − β``), ``alpha_bars`` (cumulative products).

    >>> s = NoiseSchedule(steps=100)
    >>> float(s.alpha_bars[0]) > 0.99, float(s.alpha_bars[-1]) < 1e-3
    (True, True)
    """

    def __init__(self, steps: int = 100, max_beta: float = 0.999, offset: float = 0.008):
        check_int(steps, "steps", 2)
        self.steps = steps
        t = torch.arange(steps + 1, dtype=torch.float64) / steps
        f = torch.cos((t + offset) / (1 + offset) * math.pi / 2) ** 2
        abar = f / f[0]
        betas = (1 - abar[1:] / abar[:-1]).clamp(max=max_beta)
        self.betas = betas.float()
        self.alphas = (1 - betas).float()
        self.alpha_bars = torch.cumprod(1 - betas, dim=0).float()

    def to(self, device) -> "NoiseSchedule":
        """Move the tensors to ``device``; returns ``self``."""
        for name in ("betas", "alphas", "alpha_bars"):
            setattr(self, name, getattr(self, name).to(device))
        return self


def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: NoiseSchedule) -> torch.Tensor:
    """The forward process in one step: ``x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε``.

    Taught in chapter 05, §5.4 (Higher quality).

    ``t`` holds one step index (0 … steps−1) per image.

    >>> s = NoiseSchedule(10)
    >>> x0 = torch.ones(2, 1, 4, 4)
    >>> bool(torch.allclose(q_sample(x0, torch.tensor([0, 0]), torch.zeros_like(x0), s),
    ...                     x0 * s.alpha_bars[0].sqrt()))
    True
    """
    if t.dim() != 1 or t.shape[0] != x0.shape[0]:
        raise ValueError(f"t must hold one step per image, shape ({x0.shape[0]},); got {tuple(t.shape)}")
    abar = schedule.alpha_bars.to(x0.device)[t].view(-1, 1, 1, 1)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer steps, ``(N,) → (N, dim)`` (as in transformers).

    Taught in chapter 05, §5.4 (Higher quality), as a piece of :class:`TinyUNet`.

    >>> timestep_embedding(torch.tensor([0, 5]), 8).shape
    torch.Size([2, 8])
    """
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    """Two 3×3 convolutions with GroupNorm and SiLU; the step embedding is added in between.

    Taught in chapter 05, §5.4 (Higher quality), as a piece of :class:`TinyUNet`.
    """

    def __init__(self, in_channels: int, out_channels: int, time_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(min(8, in_channels), in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.time = nn.Linear(time_dim, out_channels)
        self.norm2 = nn.GroupNorm(min(8, out_channels), out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(temb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class TinyUNet(nn.Module):
    """A two-level U-Net that predicts the noise ``ε`` in ``x_t``.

    Taught in chapter 05, §5.4 (Higher quality).

    ``size`` must be divisible by 4. Encoder: 3×3 conv, then two
    ``Conv2d(k=4, s=2, p=1)`` halvings; decoder: two
    ``ConvTranspose2d(k=4, s=2, p=1)`` doublings, each followed by a
    concatenation with the encoder map of the same size (the U-Net skip)::

        (N,1,S,S) → b (S) → ↓ 2b (S/2) → ↓ 2b (S/4) → mid
                  → ↑ConvT 2b (S/2) ⊕ skip → ↑ConvT b (S) ⊕ skip → (N,1,S,S)

    >>> TinyUNet(size=8, base=8)(torch.zeros(3, 1, 8, 8), torch.tensor([0, 1, 2])).shape
    torch.Size([3, 1, 8, 8])
    """

    def __init__(self, size: int = 16, channels: int = 1, base: int = 32, time_dim: int = 64):
        super().__init__()
        if size % 4:
            raise ValueError(f"size must be divisible by 4 (two halvings), got {size}")
        self.size, self.channels, self.time_dim = size, channels, time_dim
        b = base
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim))
        self.inp = nn.Conv2d(channels, b, 3, padding=1)
        self.enc1 = ResBlock(b, b, time_dim)                       # (N, b, S, S)
        self.down1 = nn.Conv2d(b, 2 * b, 4, stride=2, padding=1)   # → S/2
        self.enc2 = ResBlock(2 * b, 2 * b, time_dim)
        self.down2 = nn.Conv2d(2 * b, 2 * b, 4, stride=2, padding=1)  # → S/4
        self.mid = ResBlock(2 * b, 2 * b, time_dim)
        self.up2 = nn.ConvTranspose2d(2 * b, 2 * b, 4, stride=2, padding=1)  # S/4 → S/2
        self.dec2 = ResBlock(4 * b, 2 * b, time_dim)               # after ⊕ skip
        self.up1 = nn.ConvTranspose2d(2 * b, b, 4, stride=2, padding=1)      # S/2 → S
        self.dec1 = ResBlock(2 * b, b, time_dim)
        self.out = nn.Sequential(nn.GroupNorm(min(8, b), b), nn.SiLU(), nn.Conv2d(b, channels, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        temb = self.time_mlp(timestep_embedding(t, self.time_dim))
        h1 = self.enc1(self.inp(x), temb)                # (N, b, S, S)
        h2 = self.enc2(self.down1(h1), temb)             # (N, 2b, S/2, S/2)
        h = self.mid(self.down2(h2), temb)               # (N, 2b, S/4, S/4)
        h = self.dec2(torch.cat([self.up2(h), h2], dim=1), temb)   # (N, 2b, S/2, S/2)
        h = self.dec1(torch.cat([self.up1(h), h1], dim=1), temb)   # (N, b, S, S)
        return self.out(h)


def diffusion_loss(model: nn.Module, x0: torch.Tensor, schedule: NoiseSchedule,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """The simplified DDPM loss: mean of ``‖ε − ε_θ(x_t, t)‖²`` over random ``t`` and ``ε``.

    Taught in chapter 05, §5.4 (Higher quality).

    >>> net = TinyUNet(8, base=8)
    >>> _ = net.out[-1].weight.data.zero_(), net.out[-1].bias.data.zero_()   # predicts ε̂ = 0
    >>> g = torch.Generator().manual_seed(0)
    >>> loss = diffusion_loss(net, torch.zeros(2, 1, 8, 8), NoiseSchedule(10), g)
    >>> g = torch.Generator().manual_seed(0); _ = torch.randint(0, 10, (2,), generator=g)
    >>> bool(torch.isclose(loss, torch.randn(2, 1, 8, 8, generator=g).pow(2).mean()))   # = mean(ε²)
    True
    """
    n = x0.shape[0]
    t = torch.randint(0, schedule.steps, (n,), generator=generator).to(x0.device)
    noise = torch.randn(x0.shape, generator=generator).to(x0.device)
    return F.mse_loss(model(q_sample(x0, t, noise, schedule), t), noise)


def train_ddpm(model: nn.Module, images: torch.Tensor, schedule: NoiseSchedule, steps: int = 2000,
               batch_size: int = 128, lr: float = 2e-3, seed: int = 0, progress: bool = True,
               device: torch.device | str | None = None, ema_decay: float | None = 0.995) -> dict:
    """Train ``model`` to predict the noise; ``images`` are ``(N, C, H, W)`` in [-1, 1].

    Taught in chapter 05, §5.4 (Higher quality).

    Adam with a cosine-decayed learning rate (:func:`helpers.training.train_steps`,
    which stops with a clear message if the loss becomes NaN). With
    ``ema_decay`` the weights of ``model`` are replaced at the end by their
    exponential moving average over the run (as in Ho et al. 2020; it
    matters most for short runs; chapter 04's :func:`helpers.training.update_ema`).
    Returns a history dict with ``loss`` (one value per step) and
    ``seconds`` (wall time).

    >>> net = TinyUNet(8, base=8)
    >>> h = train_ddpm(net, torch.rand(16, 1, 8, 8) * 2 - 1, NoiseSchedule(10), steps=2, batch_size=8,
    ...                progress=False)
    >>> len(h["loss"])
    2
    """
    images = check_image_batch(images, channels=None)
    check_unit_range(images, low=-1.0, hint="(x * 2 - 1 for images in [0, 1])")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device).train()
    schedule.to(device)
    gen = torch.Generator().manual_seed(seed)
    data = images.to(device)

    def batch_loss():                          # Algorithm 1: a random batch, step and noise
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=gen).to(device)
        return diffusion_loss(model, data[idx], schedule, gen)

    history = train_steps(model, batch_loss, steps, lr, ema_decay=ema_decay, desc="diffusion",
                          progress=progress, postfix="loss", postfix_every=50)
    model.eval()
    return history


def predict_x0(x_t: torch.Tensor, eps: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """The clean image implied by a noise prediction: ``x̂_0 = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t``.

    Taught in chapter 05, §5.4 (Higher quality).

    It inverts :func:`q_sample` for a known ``ε``:

    >>> s = NoiseSchedule(10)
    >>> x0, eps = torch.rand(2, 1, 4, 4), torch.randn(2, 1, 4, 4)
    >>> xt = q_sample(x0, torch.tensor([7, 7]), eps, s)
    >>> bool(torch.allclose(predict_x0(xt, eps, s.alpha_bars[7]), x0, atol=1e-4))
    True
    """
    return (x_t - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()


@torch.no_grad()
def reverse_step(model: nn.Module, x: torch.Tensor, t: int, schedule: NoiseSchedule,
                 noise: torch.Tensor | None = None, clip_denoised: bool = False) -> torch.Tensor:
    """One step of the reverse process (Ho et al. 2020, Algorithm 2): ``x_t → x_{t−1}``.

    Taught in chapter 05, §5.4 (Higher quality).

    The code counts steps from 0: its ``t`` is the paper's ``t + 1``, so
    ``t = 0`` is the last step and adds no noise. Without clipping, the mean
    is the paper's ``(x_t − β_t/√(1−ᾱ_t) · ε_θ) / √α_t``. With
    ``clip_denoised`` the same mean is written through the predicted clean
    image, ``μ = c₀ · clip(x̂_0, −1, 1) + c_t · x_t`` with
    ``c₀ = √ᾱ_{t−1} β_t / (1−ᾱ_t)`` and ``c_t = √α_t (1−ᾱ_{t−1}) / (1−ᾱ_t)``
    (the posterior mean of ``q(x_{t−1} | x_t, x_0)``), which keeps a bad
    noise prediction from throwing ``x`` out of the data range. The noise
    added is ``σ_t · noise`` with ``σ_t² = β_t (1−ᾱ_{t−1}) / (1−ᾱ_t)``.

    >>> s = NoiseSchedule(5)
    >>> reverse_step(TinyUNet(8, base=8), torch.randn(2, 1, 8, 8), 0, s).shape
    torch.Size([2, 1, 8, 8])
    """
    if not 0 <= t < schedule.steps:
        raise ValueError(f"t must be in 0 … {schedule.steps - 1}, got {t}")
    s = schedule
    tt = torch.full((x.shape[0],), t, device=x.device, dtype=torch.long)
    eps = model(x, tt)
    beta, alpha, abar = s.betas[t], s.alphas[t], s.alpha_bars[t]
    abar_prev = s.alpha_bars[t - 1] if t > 0 else torch.ones((), device=abar.device)
    if clip_denoised:
        x0 = predict_x0(x, eps, abar).clamp(-1.0, 1.0)
        mean = (abar_prev.sqrt() * beta * x0 + alpha.sqrt() * (1 - abar_prev) * x) / (1 - abar)
    else:
        mean = (x - beta / (1 - abar).sqrt() * eps) / alpha.sqrt()
    if t == 0:
        return mean
    if noise is None:
        noise = torch.randn_like(x)
    var = beta * (1 - abar_prev) / (1 - abar)
    return mean + var.sqrt() * noise


@torch.no_grad()
def sample(model: nn.Module, schedule: NoiseSchedule, n: int, size: int | None = None, channels: int = 1,
           seed: int = 0, batch_size: int = 500, return_trajectory: bool = False,
           clip_denoised: bool = False):
    """Ancestral DDPM sampling: start from ``N(0, I)``, apply :func:`reverse_step` ``steps`` times.

    Taught in chapter 05, §5.4 (Higher quality).

    ``x_{t−1} = (x_t − β_t/√(1−ᾱ_t) · ε_θ) / √α_t + σ_t z`` with
    ``σ_t² = β_t (1−ᾱ_{t−1}) / (1−ᾱ_t)``; with ``clip_denoised`` the
    predicted clean image is clipped to [−1, 1] at every step (see
    :func:`reverse_step`). Returns ``(n, C, size, size)`` in [-1, 1]; with
    ``return_trajectory`` also a list of the first sample's ``x_t`` at 8
    evenly spaced steps.

    >>> sample(TinyUNet(8, base=8), NoiseSchedule(3), n=3, size=8).shape
    torch.Size([3, 1, 8, 8])
    """
    size = size or getattr(model, "size")
    device = next(model.parameters()).device
    model.eval()
    s = schedule.to(device)
    gen = torch.Generator().manual_seed(seed)
    keep = set(torch.linspace(s.steps - 1, 0, 8).round().long().tolist())
    outs, trajectory = [], []
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        x = torch.randn(m, channels, size, size, generator=gen).to(device)
        for t in range(s.steps - 1, -1, -1):
            noise = torch.randn(x.shape, generator=gen).to(device) if t > 0 else None
            x = reverse_step(model, x, t, s, noise=noise, clip_denoised=clip_denoised)
            if return_trajectory and start == 0 and t in keep:
                trajectory.append(x[:1].clamp(-1, 1).cpu())
        outs.append(x.clamp(-1, 1).cpu())
    images = torch.cat(outs)
    return (images, trajectory) if return_trajectory else images
