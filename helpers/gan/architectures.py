"""Which models a config builds: the DCGAN pair, and a registry for others (chapter 05)."""

from __future__ import annotations

from typing import Callable

from torch import nn

from helpers.gan.config import GANConfig
from helpers.models import Discriminator, Generator


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

    Taught in chapter 05, §5.2 (Global structure), through :func:`helpers.attention.register_sagan`.

    >>> register_architecture("dcgan-copy", ARCHITECTURES["dcgan"]); "dcgan-copy" in ARCHITECTURES
    True
    """
    if not isinstance(name, str) or not name:
        raise ValueError("name must be a non-empty string")
    if not callable(builder):
        raise TypeError("builder must be callable: builder(config) -> (generator, discriminator)")
    ARCHITECTURES[name] = builder


def build_models(config: GANConfig) -> tuple[nn.Module, nn.Module]:
    """``(generator, discriminator)`` for ``config``, initialised from torch's global generator.

    Taught in chapter 04, §4.3 (The models); reused in chapter 05.

    :func:`helpers.gan.build` calls it inside ``torch.random.fork_rng`` seeded
    with ``config.seed``; called directly, it draws from the caller's state.

    >>> from helpers.gan import recipe_config
    >>> G, D = build_models(recipe_config("fast", g_width=4, d_width=4))
    >>> G.latent_dim, D.width
    (64, 4)
    """
    if not isinstance(config, GANConfig):
        raise TypeError(f"config must be a GANConfig (see recipe_config), not {type(config).__name__}")
    if config.arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {config.arch!r}; registered: {sorted(ARCHITECTURES)} "
                         f"(add one with register_architecture)")
    return ARCHITECTURES[config.arch](config)
