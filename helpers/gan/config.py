"""Every setting of a GAN run: :class:`GANConfig`, the two named recipes, and their names.

A config names a recipe (``"fast"`` or ``"tutorial"``); every setting you do
not give is taken from that recipe, so ``GANConfig(recipe="tutorial")`` *is*
the tutorial recipe (it never silently gets the fast one's settings).

>>> GANConfig(recipe="tutorial").lr_g, GANConfig().lr_g
(0.0002, 0.002)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from helpers.checks import check_choice, check_int, check_number, check_positive_int
from helpers.models import SIZES

#: Names the command line and ``GANConfig.dataset`` accept.
DATASETS = ("digits", "mnist", "fashion-mnist")
RECIPES = ("fast", "tutorial")
LOSSES = ("bce", "hinge")

#: Fields that change the models' shapes or layers: a checkpoint that differs from a request in
#: any of these cannot be resumed or reused (``load_checkpoint(expect=...)``, ``load_or_train``).
ARCHITECTURE_FIELDS = ("recipe", "dataset", "size", "channels", "arch", "latent_dim", "g_width",
                       "d_width", "g_norm", "d_norm", "spectral", "upsample", "num_classes")

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


class _FromRecipe:
    """Default of a recipe setting: filled in from ``RECIPE_SETTINGS[config.recipe]``."""

    def __repr__(self) -> str:
        return "<from recipe>"


FROM_RECIPE = _FromRecipe()


@dataclass
class GANConfig:
    """Every setting of a GAN run. Settings not given come from the named ``recipe``.

    Taught in chapter 04, §4.3 (The models), through :func:`recipe_config`; reused in chapter 05.

    Prefer :func:`recipe_config`, which also checks the recipe's name.

    >>> GANConfig().loss, GANConfig(recipe="tutorial").loss
    ('hinge', 'bce')
    """

    recipe: str = "fast"
    dataset: str = "digits"
    size: int = 32                     # image side in pixels (16, 32 or 64)
    channels: int = 1
    arch: str = "dcgan"                # a name from ARCHITECTURES
    latent_dim: int = FROM_RECIPE
    g_width: int = FROM_RECIPE         # channels of G's last hidden block (×2 per block towards z)
    d_width: int = FROM_RECIPE         # channels of D's first block (×2 per block)
    g_norm: str = FROM_RECIPE
    d_norm: str = FROM_RECIPE
    spectral: bool = FROM_RECIPE       # spectral normalisation in D
    upsample: str = "transposed"       # or "resize" (nearest ×2 + 3×3 conv)
    num_classes: int | None = None     # set for a class-conditional GAN
    loss: str = FROM_RECIPE            # "bce" (non-saturating, BCEWithLogitsLoss) or "hinge"
    batch_size: int = FROM_RECIPE
    lr_g: float = FROM_RECIPE
    lr_d: float = FROM_RECIPE
    beta1: float = FROM_RECIPE
    beta2: float = FROM_RECIPE
    n_critic: int = FROM_RECIPE        # D updates per G update
    ema_decay: float | None = FROM_RECIPE   # None: no EMA generator
    channels_last: bool = FROM_RECIPE
    seed: int = 0
    checkpoint_every: int = 500        # steps between checkpoints (when training with out=...)

    def __post_init__(self):
        # A configuration is one value: a field of the wrong type is a bad configuration too, so every
        # failed check is a ValueError (which CheckpointError, for a stored one, extends).
        try:
            self._validate()
        except TypeError as exc:
            raise ValueError(str(exc)) from None

    def _validate(self) -> None:
        if not (isinstance(self.recipe, str) and self.recipe != ""):
            raise ValueError("recipe must be a non-empty string")
        unset = [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is FROM_RECIPE]
        if unset:
            if self.recipe not in RECIPE_SETTINGS:
                raise ValueError(f"recipe {self.recipe!r} is not one of {RECIPES}, so every setting must be "
                                 f"given; missing {unset} (or use recipe_config)")
            for name in unset:
                setattr(self, name, RECIPE_SETTINGS[self.recipe][name])
        check_choice(self.dataset, "dataset", DATASETS)
        check_choice(self.size, "size", SIZES)
        check_choice(self.loss, "loss", LOSSES)
        for name in ("latent_dim", "g_width", "d_width", "batch_size", "n_critic", "checkpoint_every",
                     "channels"):
            check_positive_int(getattr(self, name), name)
        for name in ("lr_g", "lr_d"):
            check_number(getattr(self, name), name, 0)
        for name in ("beta1", "beta2"):
            if not 0.0 <= check_number(getattr(self, name), name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)!r}")
        if self.ema_decay is not None and not 0.0 < check_number(self.ema_decay, "ema_decay") < 1.0:
            raise ValueError(f"ema_decay must be None or in (0, 1), got {self.ema_decay!r}")
        if self.num_classes is not None:
            check_int(self.num_classes, "num_classes", 2, hint="(None for an unconditional GAN)")
        if not 0 <= check_int(self.seed, "seed") < 2**32:
            raise ValueError(f"seed must be in [0, 2**32), got {self.seed!r}")

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

    def differences(self, other: "GANConfig", fields=None) -> dict:
        """``{name: (self's value, other's value)}`` for the fields (default: all) that differ.

        >>> recipe_config("fast").differences(recipe_config("fast", latent_dim=32))
        {'latent_dim': (64, 32)}
        """
        names = fields if fields is not None else [f.name for f in dataclasses.fields(self)]
        return {n: (getattr(self, n), getattr(other, n)) for n in names
                if getattr(self, n) != getattr(other, n)}


def recipe_config(recipe: str = "fast", **overrides) -> GANConfig:
    """The configuration of a named recipe, with any field overridden.

    Taught in chapter 04, §4.3 (The models); reused in chapter 05.

    >>> recipe_config("tutorial").batch_size, recipe_config("fast", batch_size=32).batch_size
    (128, 32)
    """
    if recipe not in RECIPE_SETTINGS:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {tuple(RECIPE_SETTINGS)}")
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(GANConfig)})
    if unknown:
        raise ValueError(f"unknown GANConfig fields {unknown}")
    return GANConfig(recipe=recipe, **overrides)
