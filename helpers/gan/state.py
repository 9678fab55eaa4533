"""A GAN run as one object (:class:`GANState`) and :func:`build`, which makes one at step 0.

>>> from helpers.gan import recipe_config
>>> s = build(recipe_config("fast", g_width=4, d_width=4), device="cpu")
>>> s.step, s.ema_generator is not None
(0, True)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from helpers.gan.architectures import build_models
from helpers.gan.config import GANConfig
from helpers.rng import seeded

HISTORY_KEYS = ("step", "seconds", "loss_d", "loss_g", "d_real", "d_fake")


@dataclass
class GANState:
    """A GAN run: models, optimisers, counters, history.

    Taught in chapter 04, §4.5 (The training step); reused in chapter 05.

    ``config``, ``generator``, ``discriminator``, ``ema_generator`` (``None``
    without EMA), ``opt_g``, ``opt_d``, ``noise`` (the ``torch.Generator`` of
    every latent / fake-label draw), ``device``, ``step``, ``batches`` (real
    batches drawn), ``train_seconds``, ``history`` (lists ``step``,
    ``seconds``, ``loss_d``, ``loss_g``, ``d_real``, ``d_fake``), and
    ``extras``: anything a callback wants kept with the run and saved in its
    checkpoint (tensors, numbers, strings, lists of them), e.g. the frames of
    :class:`helpers.gan.Snapshots`.
    """

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
    extras: dict = field(default_factory=dict)
    interrupted: bool = False
    _perm_cache: dict = field(default_factory=dict, repr=False)

    @property
    def sampler(self) -> nn.Module:
        """The generator to sample from: the EMA copy when there is one."""
        return self.ema_generator if self.ema_generator is not None else self.generator


def memory_format(config: GANConfig):
    """``torch.channels_last`` or ``torch.contiguous_format``, as the config asks.

    Taught in chapter 04, §4.5 (The training step); reused in chapter 05.
    """
    return torch.channels_last if config.channels_last else torch.contiguous_format


def build(config: GANConfig, generator: nn.Module | None = None, discriminator: nn.Module | None = None,
          device: torch.device | str | None = None) -> GANState:
    """A fresh run at step 0. Models are built from ``config`` unless given.

    Taught in chapter 04, §4.5 (The training step).

    The models are initialised from ``config.seed`` inside
    :func:`helpers.rng.seeded`: the caller's global random state (Python,
    NumPy, torch CPU and CUDA) is left exactly as it was.

    >>> from helpers.gan import recipe_config
    >>> before = torch.get_rng_state()
    >>> s = build(recipe_config("fast", g_width=4, d_width=4), device="cpu")
    >>> torch.equal(before, torch.get_rng_state())
    True
    """
    from helpers.device import get_device

    if not isinstance(config, GANConfig):
        raise TypeError(f"config must be a GANConfig (see recipe_config), not {type(config).__name__}")
    device = get_device(device)
    if generator is None or discriminator is None:
        with seeded(config.seed):
            built_g, built_d = build_models(config)
        generator = generator if generator is not None else built_g
        discriminator = discriminator if discriminator is not None else built_d
    for name, model in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(model, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, not {type(model).__name__}")
    if not isinstance(getattr(generator, "latent_dim", None), int):
        raise ValueError("the generator needs an int attribute latent_dim (the size of z)")
    fmt = memory_format(config)
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
