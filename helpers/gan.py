"""Training a GAN: one loop for every recipe, checkpoints, sampling, and a command line.

The loop is written once and takes the models it trains, so chapter 05's
class-conditional and self-attention GANs reuse it unchanged.

Public API
----------
``GANConfig`` / ``recipe_config(name, **overrides)``
    Every setting of a run (a dataclass; ``recipe_config("fast")`` and
    ``recipe_config("tutorial")`` are the chapter's two recipes).
``build(config, generator=None, discriminator=None, device=None) -> GANState``
    Models (built from the config unless given), optimisers, EMA generator,
    the noise generator and an empty history: a run at step 0.
``fit(state, data, steps=None, seconds=None, out=None, ...) -> GANState``
    Continues training ``state`` in place: until ``state.step == steps``
    (a total) or for ``seconds`` more seconds of training time. ``data`` is
    ``(images, labels)``: images ``(N, C, H, W)`` in [0, 1], labels ``(N,)``
    int64 (or ``None`` for an unconditional GAN). With ``out`` a checkpoint
    is written to ``out/checkpoint.pt`` every ``config.checkpoint_every``
    steps, at the end, and when the run is interrupted (Ctrl-C).
``train(config, data=None, *, generator=None, discriminator=None, steps=None,
seconds=None, out=None, resume=False, device=None, ...) -> GANState``
    ``build`` (or ``load_checkpoint(out/checkpoint.pt)`` when ``resume``)
    followed by ``fit``. ``data=None`` loads ``config.dataset`` (train split).
``save_checkpoint(state, path)`` / ``load_checkpoint(path, ...) -> GANState``
    Atomic writes; loads with ``torch.load(weights_only=True)``.
``sample(model_or_state, n, seed=0, y=None) -> (n, C, H, W) in [0, 1]``
    From the EMA generator when a state is given and it has one (whose
    batch-norm statistics ``fit`` recomputes at the end of every call:
    ``standing_batchnorm_``).

A class-conditional GAN (chapter 05)
------------------------------------
Models take labels as ``G(z, y)`` and ``D(x, y)``. Set
``config.num_classes = K`` (or pass models built with ``num_classes=K``
and set it): the loop then feeds the real labels to ``D`` and draws fake
labels uniformly from ``0…K-1`` for ``G`` (from the same noise generator,
so resuming stays bit-identical). Custom architectures either come in as
``generator=`` / ``discriminator=`` instances (also to ``load_checkpoint``),
or are registered once with ``register_architecture(name, builder)`` and
selected with ``config.arch = name``; ``builder(config)`` returns ``(G, D)``.
The generator must have an attribute ``latent_dim``.

``GANState`` fields: ``config``, ``generator``, ``discriminator``,
``ema_generator`` (``None`` without EMA), ``opt_g``, ``opt_d``, ``step``,
``batches`` (real batches drawn), ``train_seconds``, ``history`` (lists
``step``, ``seconds``, ``loss_d``, ``loss_g``, ``d_real``, ``d_fake``),
``noise`` (the ``torch.Generator`` of all latent / label draws), ``device``.

>>> cfg = recipe_config("fast", g_width=4, d_width=4, latent_dim=8, batch_size=8, size=16)
>>> x = torch.rand(32, 1, 16, 16)
>>> state = fit(build(cfg, device="cpu"), (x, None), steps=3, progress=False)
>>> state.step, sample(state, 5).shape
(3, torch.Size([5, 1, 16, 16]))

Command line (``python -m helpers.gan --help``)::

    python -m helpers.gan train --dataset digits --size 32 --recipe fast --seconds 60 --seed 0 --out DIR
    python -m helpers.gan train ... --steps 200 --resume
    python -m helpers.gan sample --checkpoint DIR/checkpoint.pt -n 1000 --seed 0 --out samples.pt
    python -m helpers.gan evaluate samples.pt

Bad input (a missing, corrupt or mismatched checkpoint, an unknown
dataset, ``-n 0``, …) gives one line on stderr and exit status 2.
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # Run as a program: let idle OpenMP threads sleep instead of spinning. On a busy 2-core
    # machine spinning threads made training ~4× slower (measured); must precede `import torch`.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import copy
import dataclasses
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from helpers.models import SIZES, Discriminator, Generator

#: Names the command line and ``GANConfig.dataset`` accept.
DATASETS = ("digits", "mnist", "fashion-mnist")
RECIPES = ("fast", "tutorial")
LOSSES = ("bce", "hinge")
CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = "helpers.gan/1"


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable, or does not fit the request."""


# --------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------

@dataclass
class GANConfig:
    """Every setting of a GAN run. Prefer :func:`recipe_config` to building one by hand.

    >>> GANConfig().loss
    'hinge'
    """

    recipe: str = "fast"
    dataset: str = "digits"
    size: int = 32                     # image side in pixels (16, 32 or 64)
    channels: int = 1
    arch: str = "dcgan"                # a name from ARCHITECTURES
    latent_dim: int = 64
    g_width: int = 16                  # channels of G's last hidden block (×2 per block towards z)
    d_width: int = 16                  # channels of D's first block (×2 per block)
    g_norm: str = "batch"
    d_norm: str = "none"
    spectral: bool = True              # spectral normalisation in D
    upsample: str = "transposed"       # or "resize" (nearest ×2 + 3×3 conv)
    num_classes: int | None = None     # set for a class-conditional GAN
    loss: str = "hinge"                # "bce" (non-saturating, BCEWithLogitsLoss) or "hinge"
    batch_size: int = 64
    lr_g: float = 2e-3
    lr_d: float = 2e-3
    beta1: float = 0.0
    beta2: float = 0.9
    n_critic: int = 1                  # D updates per G update
    ema_decay: float | None = 0.999    # None: no EMA generator
    channels_last: bool = True
    seed: int = 0
    checkpoint_every: int = 500        # steps between checkpoints (when training with out=...)

    def __post_init__(self):
        check = _check_config_value
        check(self.recipe in RECIPES or isinstance(self.recipe, str), "recipe must be a string")
        check(self.dataset in DATASETS, f"dataset must be one of {DATASETS}, got {self.dataset!r}")
        check(self.size in SIZES, f"size must be one of {SIZES}, got {self.size!r}")
        check(self.loss in LOSSES, f"loss must be one of {LOSSES}, got {self.loss!r}")
        for name in ("latent_dim", "g_width", "d_width", "batch_size", "n_critic", "checkpoint_every",
                     "channels"):
            value = getattr(self, name)
            check(isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                  f"{name} must be a positive int, got {value!r}")
        for name in ("lr_g", "lr_d"):
            check(float(getattr(self, name)) > 0, f"{name} must be positive, got {getattr(self, name)!r}")
        check(0.0 <= self.beta1 < 1.0 and 0.0 <= self.beta2 < 1.0, "beta1 and beta2 must be in [0, 1)")
        check(self.ema_decay is None or 0.0 < self.ema_decay < 1.0,
              f"ema_decay must be None or in (0, 1), got {self.ema_decay!r}")
        check(self.num_classes is None or (isinstance(self.num_classes, int) and self.num_classes >= 2),
              f"num_classes must be None or an int >= 2, got {self.num_classes!r}")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**32, f"seed must be in [0, 2**32), got {self.seed!r}")

    def to_dict(self) -> dict:
        """Plain values only (what a ``weights_only`` checkpoint can hold)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "GANConfig":
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown GANConfig fields {unknown}")
        return cls(**values)


def _check_config_value(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


#: The two recipes of chapter 04. "tutorial" is the PyTorch DCGAN tutorial
#: (Inkawhich 2017) scaled to 32×32; "fast" is the book's CPU recipe.
RECIPE_SETTINGS = {
    "tutorial": dict(latent_dim=100, g_width=64, d_width=64, g_norm="batch", d_norm="batch",
                     spectral=False, loss="bce", batch_size=128, lr_g=2e-4, lr_d=2e-4,
                     beta1=0.5, beta2=0.999, n_critic=1, ema_decay=None, channels_last=False),
    "fast": dict(latent_dim=64, g_width=16, d_width=16, g_norm="batch", d_norm="none",
                 spectral=True, loss="hinge", batch_size=64, lr_g=2e-3, lr_d=2e-3,
                 beta1=0.0, beta2=0.9, n_critic=1, ema_decay=0.999, channels_last=True),
}


def recipe_config(recipe: str = "fast", **overrides) -> GANConfig:
    """The configuration of a named recipe, with any field overridden.

    >>> recipe_config("tutorial").batch_size, recipe_config("fast", batch_size=32).batch_size
    (128, 32)
    """
    if recipe not in RECIPE_SETTINGS:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {tuple(RECIPE_SETTINGS)}")
    values = dict(RECIPE_SETTINGS[recipe], recipe=recipe)
    values.update(overrides)
    return GANConfig(**values)


def _build_dcgan(config: GANConfig) -> tuple[nn.Module, nn.Module]:
    G = Generator(latent_dim=config.latent_dim, width=config.g_width, size=config.size,
                  channels=config.channels, norm=config.g_norm, upsample=config.upsample,
                  num_classes=config.num_classes)
    D = Discriminator(width=config.d_width, size=config.size, channels=config.channels,
                      norm=config.d_norm, spectral=config.spectral, num_classes=config.num_classes)
    return G, D


#: name → builder(config) returning (generator, discriminator).
ARCHITECTURES: dict[str, Callable[[GANConfig], tuple[nn.Module, nn.Module]]] = {"dcgan": _build_dcgan}


def register_architecture(name: str, builder: Callable[[GANConfig], tuple[nn.Module, nn.Module]]) -> None:
    """Make ``config.arch = name`` build ``builder(config) -> (G, D)`` (also when loading checkpoints).

    >>> register_architecture("dcgan-copy", ARCHITECTURES["dcgan"]); "dcgan-copy" in ARCHITECTURES
    True
    """
    if not isinstance(name, str) or not name:
        raise ValueError("name must be a non-empty string")
    if not callable(builder):
        raise TypeError("builder must be callable: builder(config) -> (generator, discriminator)")
    ARCHITECTURES[name] = builder


def build_models(config: GANConfig) -> tuple[nn.Module, nn.Module]:
    """``(generator, discriminator)`` for ``config`` (seeded by the caller).

    >>> G, D = build_models(recipe_config("fast", g_width=4, d_width=4))
    >>> type(G).__name__, type(D).__name__
    ('Generator', 'Discriminator')
    """
    if config.arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {config.arch!r}; registered: {sorted(ARCHITECTURES)} "
                         f"(add one with register_architecture)")
    return ARCHITECTURES[config.arch](config)


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------

def load_dataset(name: str = "digits", size: int = 32, split: str = "train",
                 root: str | os.PathLike | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images (N, 1, size, size) in [0, 1], labels (N,))`` of a training set.

    ``"digits"`` is scikit-learn's 8×8 digits (offline), bicubic-upsampled;
    ``"mnist"`` / ``"fashion-mnist"`` go through ``torchvision.datasets``
    (see :func:`helpers.data.load_mnist`).

    >>> x, y = load_dataset("digits", size=16)
    >>> tuple(x.shape), len(y)
    ((1347, 1, 16, 16), 1347)
    """
    from helpers.data import load_digits, load_mnist

    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "digits":
        return load_digits(size=size, split=split)
    return load_mnist(name, size=size, split=split, root=root)


def _batch_indices(n: int, batch_size: int, batch_number: int, seed: int, cache: dict) -> torch.Tensor:
    """Indices of real batch number ``batch_number``: a stream of per-epoch permutations.

    Depends only on its arguments (no hidden state), so a resumed run draws
    exactly the batches an uninterrupted one would.
    """
    start = batch_number * batch_size
    pieces, pos = [], start
    while pos < start + batch_size:
        epoch, offset = divmod(pos, n)
        if cache.get("epoch") != epoch:
            g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
            cache["epoch"], cache["perm"] = epoch, torch.randperm(n, generator=g)
        take = min(n - offset, start + batch_size - pos)
        pieces.append(cache["perm"][offset:offset + take])
        pos += take
    return torch.cat(pieces)


# --------------------------------------------------------------------------------------------
# state, losses, one step
# --------------------------------------------------------------------------------------------

@dataclass
class GANState:
    """A GAN run: models, optimisers, counters, history. See the module docstring."""

    config: GANConfig
    generator: nn.Module
    discriminator: nn.Module
    ema_generator: nn.Module | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    noise: torch.Generator
    device: torch.device
    step: int = 0
    batches: int = 0
    train_seconds: float = 0.0
    history: dict = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})
    interrupted: bool = False
    _perm_cache: dict = field(default_factory=dict, repr=False)

    @property
    def sampler(self) -> nn.Module:
        """The generator to sample from: the EMA copy when there is one."""
        return self.ema_generator if self.ema_generator is not None else self.generator


HISTORY_KEYS = ("step", "seconds", "loss_d", "loss_g", "d_real", "d_fake")


def _has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def _memory_format(config: GANConfig):
    return torch.channels_last if config.channels_last else torch.contiguous_format


def build(config: GANConfig, generator: nn.Module | None = None, discriminator: nn.Module | None = None,
          device: torch.device | str | None = None) -> GANState:
    """A fresh run at step 0. Models are built from ``config`` (seeded with ``config.seed``) unless given.

    >>> s = build(recipe_config("fast", g_width=4, d_width=4), device="cpu")
    >>> s.step, s.ema_generator is not None
    (0, True)
    """
    from helpers.device import get_device, set_seed

    if not isinstance(config, GANConfig):
        raise TypeError(f"config must be a GANConfig (see recipe_config), not {type(config).__name__}")
    device = get_device(device)
    set_seed(config.seed)
    if generator is None or discriminator is None:
        built_g, built_d = build_models(config)
        generator = generator if generator is not None else built_g
        discriminator = discriminator if discriminator is not None else built_d
    for name, model in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(model, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, not {type(model).__name__}")
    if not isinstance(getattr(generator, "latent_dim", None), int):
        raise ValueError("the generator needs an int attribute latent_dim (the size of z)")
    fmt = _memory_format(config)
    generator = generator.to(device=device, memory_format=fmt).train()
    discriminator = discriminator.to(device=device, memory_format=fmt).train()
    ema = None
    if config.ema_decay is not None:
        ema = copy.deepcopy(generator).eval().requires_grad_(False)
    betas = (config.beta1, config.beta2)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=betas)
    noise = torch.Generator().manual_seed(config.seed + 1)
    return GANState(config=config, generator=generator, discriminator=discriminator, ema_generator=ema,
                    opt_g=opt_g, opt_d=opt_d, noise=noise, device=device)


def d_loss(loss: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss from its logits on real and fake images.

    ``"bce"``: ``BCEWithLogits(real, 1) + BCEWithLogits(fake, 0)`` (the
    minimax game, Goodfellow et al. 2014). ``"hinge"``:
    ``mean(relu(1 − real)) + mean(relu(1 + fake))`` (Lim & Ye 2017).

    >>> float(d_loss("hinge", torch.tensor([2.0]), torch.tensor([-2.0])))
    0.0
    """
    if loss == "bce":
        bce = nn.functional.binary_cross_entropy_with_logits
        return bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
    if loss == "hinge":
        return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def g_loss(loss: str, d_fake: torch.Tensor) -> torch.Tensor:
    """The generator's loss from D's logits on its images.

    ``"bce"``: the non-saturating ``BCEWithLogits(fake, 1) = −log σ(D(G(z)))``;
    ``"hinge"``: ``−mean(D(G(z)))``.

    >>> round(float(g_loss("bce", torch.tensor([0.0]))), 4)
    0.6931
    """
    if loss == "bce":
        return nn.functional.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
    if loss == "hinge":
        return -d_fake.mean()
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


@torch.no_grad()
def _update_ema(ema: nn.Module, model: nn.Module, decay: float, step: int) -> None:
    # Warm-up: average over at most ~step steps early on, so the EMA is not stuck at the init.
    d = min(decay, (1.0 + step) / (10.0 + step))
    ema_params = [p for p in ema.parameters()]
    params = [p.detach() for p in model.parameters()]
    torch._foreach_lerp_(ema_params, params, 1.0 - d)
    for b_ema, b in zip(ema.buffers(), model.buffers()):
        b_ema.copy_(b)


STANDING_BATCHES = 20


@torch.no_grad()
def standing_batchnorm_(generator: nn.Module, batches: int = STANDING_BATCHES, batch_size: int = 64,
                        seed: int = 0) -> nn.Module:
    """Recompute a generator's batch-norm statistics from its own outputs ("standing statistics").

    The EMA generator averages weights, but its batch-norm running
    statistics are copies of the raw generator's, which belong to other
    weights. Brock et al. (2019) instead average the statistics over many
    forward passes of the sampling model; here ``batches`` batches of
    ``batch_size`` latents from a private, seeded generator (the caller's
    random state is untouched). A no-op without batch norm. Returns the model.

    >>> G = Generator(latent_dim=8, width=4, size=16)
    >>> _ = standing_batchnorm_(G, batches=2, batch_size=4)
    """
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return generator
    was_training = generator.training
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None                                      # cumulative average over the batches
    device = next(generator.parameters()).device
    g = torch.Generator().manual_seed(seed)
    num_classes = getattr(generator, "num_classes", None)
    generator.train()
    try:
        for _ in range(batches):
            z = torch.randn(batch_size, generator.latent_dim, generator=g).to(device)
            if num_classes is not None:
                generator(z, torch.randint(num_classes, (batch_size,), generator=g).to(device))
            else:
                generator(z)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        generator.train(was_training)
    return generator


def _refresh_sampler(state: GANState) -> None:
    """Standing statistics for the EMA generator (its buffers are overwritten at every step anyway,
    so this never changes training, and a resumed run stays bit-identical)."""
    if state.ema_generator is not None:
        standing_batchnorm_(state.ema_generator, seed=state.config.seed)


def _draw(state: GANState, batch: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Latent vectors (and fake labels for a conditional GAN) from the run's own noise generator."""
    z = torch.randn(batch, state.generator.latent_dim, generator=state.noise).to(state.device)
    y = None
    if state.config.num_classes is not None:
        y = torch.randint(state.config.num_classes, (batch,), generator=state.noise).to(state.device)
    return z, y


def _train_step(state: GANState, images: torch.Tensor, labels: torch.Tensor | None) -> dict:
    """One G update preceded by ``n_critic`` D updates; returns the losses as floats."""
    cfg, G, D = state.config, state.generator, state.discriminator
    fmt = _memory_format(cfg)
    conditional = cfg.num_classes is not None
    joint = not _has_batchnorm(D)  # without batch norm, real and fake can share one D call
    for k in range(cfg.n_critic):
        idx = _batch_indices(images.shape[0], cfg.batch_size, state.batches, cfg.seed, state._perm_cache)
        state.batches += 1
        idx = idx.to(images.device)
        real = images[idx].contiguous(memory_format=fmt)
        y_real = labels[idx] if conditional else None
        z, y_fake = _draw(state, real.shape[0])
        last = k == cfg.n_critic - 1
        if last:
            fake = G(z, y_fake) if conditional else G(z)        # kept with its graph for the G step
        else:
            with torch.no_grad():
                fake = G(z, y_fake) if conditional else G(z)
        fake_d = fake.detach()
        if joint:
            both = torch.cat([real, fake_d])
            y_both = torch.cat([y_real, y_fake]) if conditional else None
            out = D(both, y_both) if conditional else D(both)
            d_real, d_fake = out[:real.shape[0]], out[real.shape[0]:]
        else:
            d_real = D(real, y_real) if conditional else D(real)
            d_fake = D(fake_d, y_fake) if conditional else D(fake_d)
        loss_d = d_loss(cfg.loss, d_real, d_fake)
        state.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        state.opt_d.step()
    out_g = D(fake, y_fake) if conditional else D(fake)
    loss_g = g_loss(cfg.loss, out_g)
    state.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    state.opt_g.step()
    state.step += 1
    if state.ema_generator is not None:
        _update_ema(state.ema_generator, G, cfg.ema_decay, state.step)
    values = {"loss_d": float(loss_d.detach()), "loss_g": float(loss_g.detach()),
              "d_real": float(d_real.detach().mean()), "d_fake": float(d_fake.detach().mean())}
    if not all(math.isfinite(v) for v in values.values()):
        raise FloatingPointError(
            f"the GAN losses became non-finite at step {state.step} ({values}); lower the learning "
            f"rates, or use spectral normalisation in D (the fast recipe)")
    return values


def _prepare_data(data, config: GANConfig, device) -> tuple[torch.Tensor, torch.Tensor | None]:
    if data is None:
        data = load_dataset(config.dataset, config.size, "train")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError("data must be a pair (images, labels); labels may be None for an unconditional GAN")
    images, labels = data
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError("images must be a 4-D tensor (N, C, H, W) with values in [0, 1]")
    expected = (config.channels, config.size, config.size)
    if tuple(images.shape[1:]) != expected:
        raise ValueError(f"images must have shape (N, {', '.join(map(str, expected))}) to match the config "
                         f"(size={config.size}), got {tuple(images.shape)}")
    if images.shape[0] < 1:
        raise ValueError("there are no training images")
    if config.num_classes is not None:
        if labels is None or not isinstance(labels, torch.Tensor) or labels.shape != (images.shape[0],):
            raise ValueError("a class-conditional GAN (num_classes set) needs labels of shape (N,)")
        if int(labels.min()) < 0 or int(labels.max()) >= config.num_classes:
            raise ValueError(f"labels must lie in 0…{config.num_classes - 1}")
        labels = labels.long().to(device)
    else:
        labels = None
    images = (images.float() * 2.0 - 1.0).to(device)            # [0, 1] → [-1, 1], G's tanh range
    return images, labels


def fit(state: GANState, data=None, steps: int | None = None, seconds: float | None = None,
        out: str | os.PathLike | None = None, progress: bool = True,
        callback: Callable[[GANState], None] | None = None, callback_every: int = 100,
        log_every: int = 1) -> GANState:
    """Continue training ``state`` (in place; also returned).

    Stops when ``state.step`` reaches ``steps`` (a total, so re-running the
    same call after an interruption finishes the job) or after ``seconds``
    more seconds of training (time spent in ``callback`` and checkpoints is
    not counted); with both, whichever comes first. ``callback(state)`` runs
    every ``callback_every`` steps and at the end (e.g. live plots). With
    ``out`` the checkpoint ``out/checkpoint.pt`` is written every
    ``config.checkpoint_every`` steps, at the end, and on Ctrl-C (then the
    ``KeyboardInterrupt`` is raised again, ``state.interrupted`` is True).
    """
    from tqdm.auto import tqdm

    if not isinstance(state, GANState):
        raise TypeError(f"state must be a GANState (from build or load_checkpoint), not {type(state).__name__}")
    if steps is None and seconds is None:
        raise ValueError("give steps (a total step count) or seconds (more training time), or both")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    if seconds is not None and not (isinstance(seconds, (int, float)) and seconds >= 0):
        raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
    images, labels = _prepare_data(data, state.config, state.device)
    path = Path(out) / CHECKPOINT_NAME if out is not None else None
    cfg = state.config
    by_steps = steps is not None and seconds is None
    total = (steps - state.step) if by_steps else (float(seconds) if seconds is not None else None)
    spent = 0.0
    state.interrupted = False
    bar = None
    try:
        bar = tqdm(total=max(total, 0) if total is not None else None, disable=not progress,
                   desc=f"GAN ({cfg.recipe})", unit="step" if by_steps else "s", mininterval=1.0,
                   bar_format=None if by_steps else "{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}{postfix}]")
        while (steps is None or state.step < steps) and (seconds is None or spent < seconds):
            t0 = time.perf_counter()
            values = _train_step(state, images, labels)
            if state.device.type == "cuda":
                torch.cuda.synchronize(state.device)
            dt = time.perf_counter() - t0
            spent += dt
            state.train_seconds += dt
            if state.step % log_every == 0:
                h = state.history
                h["step"].append(state.step)
                h["seconds"].append(state.train_seconds)
                for k, v in values.items():
                    h[k].append(v)
            bar.update(1 if by_steps else min(dt, max(float(seconds) - bar.n, 0.0)))
            if state.step % 10 == 0 or by_steps:
                bar.set_postfix(step=state.step, loss_d=f"{values['loss_d']:.3f}",
                                loss_g=f"{values['loss_g']:.3f}", refresh=False)
            if path is not None and state.step % cfg.checkpoint_every == 0:
                _refresh_sampler(state)
                save_checkpoint(state, path)
            if callback is not None and state.step % callback_every == 0:
                _refresh_sampler(state)
                callback(state)
    except KeyboardInterrupt:
        state.interrupted = True
        if bar is not None:
            bar.close()
        if path is not None:
            _refresh_sampler(state)
            save_checkpoint(state, path)
        raise
    bar.close()
    _refresh_sampler(state)
    if path is not None:
        save_checkpoint(state, path)
    if callback is not None and state.step % callback_every != 0:
        callback(state)
    return state


def train(config: GANConfig, data=None, *, generator: nn.Module | None = None,
          discriminator: nn.Module | None = None, steps: int | None = None, seconds: float | None = None,
          out: str | os.PathLike | None = None, resume: bool = False, device=None, progress: bool = True,
          callback: Callable[[GANState], None] | None = None, callback_every: int = 100) -> GANState:
    """Build a run (or resume ``out/checkpoint.pt``) and train it; returns the :class:`GANState`.

    ``data=None`` loads the train split of ``config.dataset`` at ``config.size``.
    When resuming, the checkpoint's configuration is used; it must agree
    with ``config`` on recipe, dataset, size and architecture.

    >>> cfg = recipe_config("fast", g_width=4, d_width=4, latent_dim=8, size=16, batch_size=8)
    >>> train(cfg, (torch.rand(16, 1, 16, 16), None), steps=2, progress=False).step
    2
    """
    if resume:
        if out is None:
            raise ValueError("resume=True needs out= (the folder holding checkpoint.pt)")
        state = load_checkpoint(Path(out) / CHECKPOINT_NAME, device=device, generator=generator,
                                discriminator=discriminator, expect=config)
    else:
        state = build(config, generator, discriminator, device)
    return fit(state, data, steps=steps, seconds=seconds, out=out, progress=progress,
               callback=callback, callback_every=callback_every)


# --------------------------------------------------------------------------------------------
# checkpoints
# --------------------------------------------------------------------------------------------

def _rng_states(state: GANState) -> dict:
    np_state = np.random.get_state()
    py_state = random.getstate()
    return {
        "noise": state.noise.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"key": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "python": [py_state[0], list(py_state[1]), py_state[2]],
    }


def _set_rng_states(state: GANState, rng: dict) -> None:
    state.noise.set_state(rng["noise"])
    torch.set_rng_state(rng["torch"])
    if torch.cuda.is_available() and rng.get("cuda"):
        torch.cuda.set_rng_state_all(rng["cuda"])
    n = rng["numpy"]
    np.random.set_state(("MT19937", n["key"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    version, internal, gauss = rng["python"]
    random.setstate((version, tuple(internal), gauss))


def checkpoint_dict(state: GANState) -> dict:
    """Everything a run needs to continue: models, EMA, optimisers, counters, RNG states, config, history."""
    return {
        "format": CHECKPOINT_FORMAT,
        "config": state.config.to_dict(),
        "step": state.step,
        "batches": state.batches,
        "train_seconds": state.train_seconds,
        "generator": state.generator.state_dict(),
        "ema_generator": state.ema_generator.state_dict() if state.ema_generator is not None else None,
        "discriminator": state.discriminator.state_dict(),
        "opt_g": state.opt_g.state_dict(),
        "opt_d": state.opt_d.state_dict(),
        "rng": _rng_states(state),
        "history": {k: list(v) for k, v in state.history.items()},
    }


def save_checkpoint(state: GANState, path: str | os.PathLike) -> Path:
    """Write ``state`` to ``path`` atomically (a temporary file in the same folder, then a rename).

    A reader never sees a half-written file: an interrupted save leaves the
    previous checkpoint in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            torch.save(checkpoint_dict(state), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_checkpoint(path: str | os.PathLike) -> dict:
    """The raw checkpoint dict, loaded with ``weights_only=True``; :class:`CheckpointError` when unusable."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}")
    if not path.is_file():
        raise CheckpointError(f"{path} is not a file (expected a checkpoint.pt)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, pickle error, not a torch file, ...
        text = str(exc).strip()
        if text.startswith("Weights only load failed"):
            # torch's message here is a long note about its weights_only default, not the cause
            reason = "torch.load(weights_only=True) cannot read it as a file of tensors"
        else:
            reason = text.splitlines()[0][:160] if text else type(exc).__name__
        raise CheckpointError(f"{path} is not a readable checkpoint (corrupt or not written by "
                              f"helpers.gan): {reason}") from exc
    required = ("format", "config", "step", "generator", "discriminator", "opt_g", "opt_d", "rng")
    if not isinstance(ckpt, dict) or any(k not in ckpt for k in required):
        raise CheckpointError(f"{path} is not a helpers.gan checkpoint (keys {required} expected)")
    if ckpt["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} has format {ckpt['format']!r}; this version reads {CHECKPOINT_FORMAT!r}")
    return ckpt


def load_checkpoint(path: str | os.PathLike, device=None, generator: nn.Module | None = None,
                    discriminator: nn.Module | None = None, expect: GANConfig | None = None) -> GANState:
    """A :class:`GANState` from a checkpoint, ready to :func:`fit` further or to :func:`sample`.

    ``expect`` (a config) must agree with the checkpoint on recipe, dataset,
    size and architecture, else :class:`CheckpointError`. Custom models can
    be passed in (their weights are loaded into them).
    """
    path = Path(path)
    ckpt = read_checkpoint(path)
    try:
        config = GANConfig.from_dict(ckpt["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} holds an invalid configuration: {exc}") from exc
    if expect is not None:
        for name in ("size", "dataset", "recipe", "arch", "channels"):
            want, have = getattr(expect, name), getattr(config, name)
            if want != have:
                raise CheckpointError(f"{path} was trained with {name}={have!r}, not {name}={want!r}; "
                                      f"use another --out folder or drop --resume")
    state = build(config, generator, discriminator, device)
    try:
        state.generator.load_state_dict(ckpt["generator"])
        state.discriminator.load_state_dict(ckpt["discriminator"])
        if state.ema_generator is not None:
            if ckpt.get("ema_generator") is None:
                raise CheckpointError(f"{path} has no EMA generator but its config asks for one")
            state.ema_generator.load_state_dict(ckpt["ema_generator"])
        state.opt_g.load_state_dict(ckpt["opt_g"])
        state.opt_d.load_state_dict(ckpt["opt_d"])
    except (RuntimeError, KeyError, ValueError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(f"{path} does not fit the models of its configuration: {first[:160]}") from exc
    state.step = int(ckpt["step"])
    state.batches = int(ckpt.get("batches", ckpt["step"]))
    state.train_seconds = float(ckpt.get("train_seconds", 0.0))
    history = ckpt.get("history") or {}
    state.history = {k: list(history.get(k, [])) for k in HISTORY_KEYS}
    _set_rng_states(state, ckpt["rng"])
    return state


# --------------------------------------------------------------------------------------------
# sampling
# --------------------------------------------------------------------------------------------

@torch.no_grad()
def sample(model, n: int, seed: int = 0, y: torch.Tensor | None = None, z: torch.Tensor | None = None,
           batch_size: int = 500) -> torch.Tensor:
    """``n`` images ``(n, C, H, W)`` in [0, 1] on the CPU, from a generator or a :class:`GANState`.

    A state samples from its EMA generator when it has one. ``z`` (``(n,
    latent_dim)``) overrides the seeded draw; ``y`` gives class labels to a
    conditional generator (default: ``0, 1, …, K−1, 0, 1, …``). The model is
    put in eval mode for sampling and restored afterwards.

    >>> G = Generator(latent_dim=8, width=4, size=16)
    >>> x = sample(G, 3)
    >>> tuple(x.shape), bool(x.min() >= 0 and x.max() <= 1)
    ((3, 1, 16, 16), True)
    """
    if isinstance(model, GANState):
        model = model.sampler
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a generator (nn.Module) or a GANState, not {type(model).__name__}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    latent = model.latent_dim
    if z is None:
        z = torch.randn(n, latent, generator=torch.Generator().manual_seed(seed))
    elif tuple(z.shape) != (n, latent):
        raise ValueError(f"z must have shape ({n}, {latent}), got {tuple(z.shape)}")
    num_classes = getattr(model, "num_classes", None)
    if num_classes is not None and y is None:
        y = torch.arange(n) % num_classes
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        outs = []
        for i in range(0, n, batch_size):
            zi = z[i:i + batch_size].to(device)
            if y is not None:
                outs.append(model(zi, y[i:i + batch_size].to(device)).float().cpu())
            else:
                outs.append(model(zi).float().cpu())
    finally:
        model.train(was_training)
    return ((torch.cat(outs) + 1.0) / 2.0).clamp_(0.0, 1.0).contiguous()


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between latent vectors (along the last axis) at ``t`` in [0, 1].

    Unlike the straight line, it keeps the norm near that of a typical
    ``N(0, I)`` draw, where the generator was trained.

    >>> z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    >>> slerp(z0, z1, 0.5)
    tensor([0.7071, 0.7071])
    """
    dot = ((z0 / z0.norm(dim=-1, keepdim=True)) * (z1 / z1.norm(dim=-1, keepdim=True))).sum(-1, keepdim=True)
    omega = torch.acos(dot.clamp(-1.0, 1.0))
    so = torch.sin(omega)
    if bool((so.abs() < 1e-6).any()):
        return (1.0 - t) * z0 + t * z1
    return (torch.sin((1.0 - t) * omega) * z0 + torch.sin(t * omega) * z1) / so


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int = 8, mode: str = "slerp") -> torch.Tensor:
    """``steps`` latent vectors from ``z0`` to ``z1`` (both ends included): ``(steps, latent_dim)``.

    >>> interpolate(torch.zeros(3), torch.ones(3), steps=3, mode="lerp")[:, 0]
    tensor([0.0000, 0.5000, 1.0000])
    """
    if mode not in ("slerp", "lerp"):
        raise ValueError(f"mode must be 'slerp' or 'lerp', got {mode!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    ts = torch.linspace(0.0, 1.0, steps)
    if mode == "lerp":
        return torch.stack([(1 - t) * z0 + t * z1 for t in ts])
    return torch.stack([slerp(z0, z1, float(t)) for t in ts])


class LiveView:
    """A ``fit`` callback that redraws the loss curves and a grid of samples in a notebook.

    The samples come from fixed latent vectors, so successive frames show
    the same "digits" developing. Outside a notebook it does nothing but
    keep the last figure. ``view.figure(state)`` draws the final frame.

    >>> view = LiveView(n_samples=4, display=False)
    """

    def __init__(self, n_samples: int = 32, nrow: int = 8, seed: int = 123, display: bool = True):
        self.n_samples, self.nrow, self.seed = n_samples, nrow, seed
        self.display = display
        self._handle = None

    def figure(self, state: GANState):
        """A two-panel figure: losses against step (left), samples from fixed z (right)."""
        import matplotlib.pyplot as plt

        from helpers.plotting import show_images

        fig, (ax_loss, ax_img) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1.3, 1]})
        h = state.history
        if h["step"]:
            window = max(1, len(h["step"]) // 50)
            kernel = np.ones(window) / window
            for key, label in (("loss_d", "D loss"), ("loss_g", "G loss")):
                values = np.convolve(np.asarray(h[key]), kernel, mode="valid")
                ax_loss.plot(h["step"][window - 1:], values, label=label)
            ax_loss.legend()
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel(f"loss ({state.config.loss})")
        ax_loss.set_title(f"losses (moving average), {state.train_seconds:.0f} s of training")
        ax_loss.grid(alpha=0.3)
        images = sample(state, self.n_samples, seed=self.seed)
        show_images(images, nrow=self.nrow, ax=ax_img,
                    title=f"samples at step {state.step}" + (" (EMA G)" if state.ema_generator is not None else ""))
        fig.tight_layout()
        return fig

    def __call__(self, state: GANState) -> None:
        import matplotlib.pyplot as plt

        fig = self.figure(state)
        if self.display:
            from IPython.display import display

            if self._handle is None:
                self._handle = display(fig, display_id=True)
            else:
                self._handle.update(fig)
        plt.close(fig)


def load_or_train(config: GANConfig, out: str | os.PathLike, seconds: float | None = None,
                  steps: int | None = None, data=None, device=None, progress: bool = True,
                  callback: Callable[[GANState], None] | None = None, callback_every: int = 100) -> GANState:
    """Load ``out/checkpoint.pt`` when it exists (and fits ``config``), else train and save it.

    The notebooks' "never make the reader wait twice" cell.
    """
    path = Path(out) / CHECKPOINT_NAME
    if path.exists():
        try:
            return load_checkpoint(path, device=device, expect=config)
        except CheckpointError as exc:
            print(f"not using {path}: {exc}; training instead")
    return train(config, data, steps=steps, seconds=seconds, out=out, device=device, progress=progress,
                 callback=callback, callback_every=callback_every)


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32), got {value}")
    return value


def _positive_float(text: str) -> float:
    import argparse
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _parser():
    import argparse

    class OneLineParser(argparse.ArgumentParser):
        """argparse, but a usage error is one line on stderr (and exit status 2)."""

        def error(self, message):
            self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    parser = OneLineParser(prog="python -m helpers.gan",
                           description="Train, sample and evaluate the chapter-04 GAN.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser,
                                metavar="{train,sample,evaluate}")
    t = sub.add_parser("train", help="train a GAN and write DIR/checkpoint.pt")
    t.add_argument("--dataset", choices=DATASETS, default="digits")
    t.add_argument("--size", type=int, choices=SIZES, default=32, help="image side in pixels")
    t.add_argument("--recipe", choices=RECIPES, default="fast")
    budget = t.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=_positive_float, help="seconds of training to add (default 60)")
    budget.add_argument("--steps", type=_positive_int,
                        help="train until the run has made this many steps in total (counts resumed steps)")
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--out", required=True, help="folder for checkpoint.pt")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    t.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: the best available)")
    t.add_argument("--checkpoint-every", type=_positive_int, default=None,
                   help="steps between checkpoints (default 500)")
    t.add_argument("--data-root", default=None, help="folder of the MNIST / Fashion-MNIST files")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--no-eval", action="store_true", help="skip the final metrics")

    s = sub.add_parser("sample", help="save N samples as an (N, 1, H, W) tensor in [0, 1]")
    s.add_argument("--checkpoint", required=True)
    s.add_argument("-n", type=_positive_int, default=1000, help="number of samples")
    s.add_argument("--seed", type=_seed, default=0)
    s.add_argument("--out", required=True, help="file to write (torch.save of one tensor)")
    s.add_argument("--size", type=int, default=None, help="refuse a checkpoint of another image size")
    s.add_argument("--no-ema", action="store_true", help="sample from the raw generator, not the EMA")
    s.add_argument("--device", default=None)

    e = sub.add_parser("evaluate", help="print the metrics of saved samples (digits)")
    e.add_argument("samples", help="a file written by `sample` (an (N, 1, H, W) tensor in [0, 1])")
    return parser


def _fail(message: str) -> int:
    first = " ".join(str(message).split())  # always one line
    print(f"python -m helpers.gan: error: {first}", file=sys.stderr)
    return 2


def _device_or_fail(name):
    from helpers.device import get_device

    return get_device(name)


def _print_metrics(images: torch.Tensor) -> dict:
    from helpers.metrics import evaluate, format_metrics

    m = evaluate(images)
    print(f"samples: {m['n']} of {tuple(images.shape[1:])}; digit classifier test accuracy "
          f"{m['classifier_accuracy']:.3f}")
    print(f"Fréchet distance to the test digits: {m['fd']:.3f} (floor, bicubic-upsampled train "
          f"digits: {m['fd_floor']:.3f}; ratio {m['fd'] / m['fd_floor']:.2f})")
    print(f"classes with >= 5% of samples: {m['classes_covered']}/10; "
          f"k-NN precision {m['precision']:.3f}, recall {m['recall']:.3f} (k={m['k']})")
    print(format_metrics(m))
    return m


def _cmd_train(args) -> int:
    from helpers.data import DatasetUnavailableError

    out = Path(args.out)
    path = out / CHECKPOINT_NAME
    if out.exists() and not out.is_dir():
        return _fail(f"--out {out} is a file; give a folder")
    if path.exists() and not args.resume:
        return _fail(f"{path} already exists; add --resume to continue it, or choose another --out")
    overrides = {"dataset": args.dataset, "size": args.size, "seed": args.seed}
    if args.checkpoint_every:
        overrides["checkpoint_every"] = args.checkpoint_every
    config = recipe_config(args.recipe, **overrides)
    if args.resume and not path.exists():
        return _fail(f"--resume: no checkpoint at {path}")
    try:
        device = _device_or_fail(args.device)
        if args.resume:
            state = load_checkpoint(path, device=device, expect=config)
            if args.checkpoint_every:
                state.config.checkpoint_every = args.checkpoint_every
        data = load_dataset(config.dataset, config.size, "train", root=args.data_root)
        if not args.resume:
            state = build(config, device=device)
    except (CheckpointError, DatasetUnavailableError, ValueError, TypeError) as exc:
        return _fail(str(exc))
    seconds = args.seconds if args.steps is None and args.seconds is not None else None
    if args.steps is None and args.seconds is None:
        seconds = 60.0
    start, start_seconds = state.step, state.train_seconds
    try:
        fit(state, data, steps=args.steps, seconds=seconds, out=out, progress=not args.no_progress)
    except KeyboardInterrupt:
        if state.interrupted and path.exists():
            print(f"interrupted at step {state.step}; checkpoint saved to {path} "
                  f"(continue with the same command and --resume)", file=sys.stderr)
        else:
            print(f"interrupted at step {state.step}; no checkpoint written", file=sys.stderr)
        return 130
    rate = (state.step - start) / max(state.train_seconds - start_seconds, 1e-9)
    print(f"trained {state.step - start} steps (total {state.step}) on {state.device}, "
          f"{rate:.1f} steps/s; checkpoint: {path}")
    if config.dataset == "digits" and not args.no_eval:
        _print_metrics(sample(state, 1000, seed=0))
    elif not args.no_eval:
        print("metrics are calibrated for --dataset digits only; none printed")
    return 0


def _cmd_sample(args) -> int:
    try:
        device = _device_or_fail(args.device)
        state = load_checkpoint(args.checkpoint, device=device)
    except (CheckpointError, ValueError, TypeError) as exc:
        return _fail(str(exc))
    if args.size is not None and args.size != state.config.size:
        return _fail(f"{args.checkpoint} makes {state.config.size}x{state.config.size} images, "
                     f"not --size {args.size}")
    model = state.generator if args.no_ema else state.sampler
    images = sample(model, args.n, seed=args.seed)
    out = Path(args.out)
    if out.is_dir():
        return _fail(f"--out {out} is a folder; give a file name such as samples.pt")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    torch.save(images, tmp)
    os.replace(tmp, out)
    print(f"wrote {tuple(images.shape)} samples in [0, 1] to {out} "
          f"(from the {'raw' if model is state.generator else 'EMA'} generator, step {state.step})")
    return 0


def load_samples(path: str | os.PathLike) -> torch.Tensor:
    """Samples written by ``python -m helpers.gan sample``: an ``(N, 1, H, W)`` tensor in [0, 1].

    Raises ``ValueError`` (one sentence) for anything else.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no samples file at {path}")
    try:
        images = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path} is not a readable tensor file (corrupt, or not written by torch.save)") from exc
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"{path} holds a {type(images).__name__}, not a tensor of images")
    if images.dim() != 4 or images.shape[1] != 1 or images.shape[0] < 1:
        raise ValueError(f"{path} holds a tensor of shape {tuple(images.shape)}; expected (N, 1, H, W) with N >= 1")
    if not images.is_floating_point():
        raise ValueError(f"{path} holds {images.dtype} values; expected floats in [0, 1]")
    if not bool(torch.isfinite(images).all()) or float(images.min()) < 0.0 or float(images.max()) > 1.0:
        raise ValueError(f"{path} has values outside [0, 1] (or NaN); expected images in [0, 1]")
    return images.float()


def _cmd_evaluate(args) -> int:
    try:
        images = load_samples(args.samples)
        if images.shape[0] < 10:
            return _fail(f"{args.samples} has {images.shape[0]} samples; the metrics need at least 10")
    except ValueError as exc:
        return _fail(str(exc))
    _print_metrics(images)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m helpers.gan``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return {"train": _cmd_train, "sample": _cmd_sample, "evaluate": _cmd_evaluate}[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run through the imported module, so its classes are helpers.gan's (not __main__'s).
    from helpers.gan import main as _main

    sys.exit(_main())
