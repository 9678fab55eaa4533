"""Training a GAN: one loop for every recipe, checkpoints, sampling, and a command line.

The loop is written once and takes the models it trains, so chapter 05's
class-conditional and self-attention GANs reuse it unchanged. The package
has one module per concern; everything public is importable from here.

==================  ===========================================================
module              what it holds
==================  ===========================================================
``config``          ``GANConfig``, ``recipe_config``, ``RECIPE_SETTINGS``
``architectures``   ``build_models``, ``register_architecture``, ``ARCHITECTURES``
``losses``          ``d_loss``, ``g_loss`` (BCE with logits, hinge)
``step``            ``d_step``, ``g_step``: one update of D, one of G
``state``           ``GANState``, ``build``
``data``            ``load_dataset``, ``batch_indices``, ``prepare_data``
``loop``            ``train_step``, ``fit``, ``train``, ``load_or_train`` (the EMA of the
                    generator: ``update_ema``, ``standing_batchnorm_`` from ``helpers.training``)
``checkpoint``      ``save_checkpoint``, ``load_checkpoint``, ``CheckpointError``
``sampling``        ``sample``, ``slerp``, ``interpolate``, ``LiveView``, ``Snapshots``
``cli``             ``main`` (``python -m helpers.gan``)
==================  ===========================================================

Public API
----------
``GANConfig`` / ``recipe_config(name, **overrides)``
    Every setting of a run (a dataclass; settings not given come from the
    named recipe, ``"fast"`` or ``"tutorial"``).
``build(config, generator=None, discriminator=None, device=None) -> GANState``
    Models (built from the config unless given; seeded without touching the
    caller's random state), optimisers, EMA generator, the noise generator
    and an empty history: a run at step 0.
``d_step(D, opt_d, real, fake, loss, y_real=None, y_fake=None)`` / ``g_step(D, opt_g, fake, loss, y_fake=None)``
    The two halves of a training step; ``train_step(state, images, labels)``
    draws a batch and the latents and calls them, then updates the EMA.
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
``load_or_train(config, out, steps=None, seconds=None, ...) -> GANState``
    Loads ``out/checkpoint.pt`` if it is this run (same config), else moves
    it aside with a message and trains.
``save_checkpoint(state, path)`` / ``load_checkpoint(path, ...) -> GANState``
    Atomic writes; loads with ``torch.load(weights_only=True)``.
``sample(model_or_state, n, seed=0, y=None) -> (n, C, H, W) in [0, 1]``
    From the EMA generator when a state is given and it has one (whose
    batch-norm statistics ``fit`` recomputes at the end of every call:
    ``standing_batchnorm_``).

A class-conditional GAN (chapter 05)
------------------------------------
Models take labels as ``G(z, y)`` and ``D(x, y)`` (``y=None`` for an
unconditional model). Set ``config.num_classes = K`` (or pass models built
with ``num_classes=K`` and set it): the loop then feeds the real labels to
``D`` and draws fake labels uniformly from ``0…K-1`` for ``G`` (from the same
noise generator, so resuming stays bit-identical). Custom architectures
either come in as ``generator=`` / ``discriminator=`` instances (also to
``load_checkpoint``), or are registered once with
``register_architecture(name, builder)`` and selected with
``config.arch = name``; ``builder(config)`` returns ``(G, D)``. The generator
must have an attribute ``latent_dim``.

>>> cfg = recipe_config("fast", g_width=4, d_width=4, latent_dim=8, batch_size=8, size=16)
>>> x = torch.rand(32, 1, 16, 16)
>>> state = fit(build(cfg, device="cpu"), (x, None), steps=3, progress=False)
>>> state.step, sample(state, 5).shape
(3, torch.Size([5, 1, 16, 16]))

Command line (``python -m helpers.gan --help``)::

    python -m helpers.gan train --dataset digits --size 32 --recipe fast --steps 2000 --seed 0 --out DIR
    python -m helpers.gan train ... --steps 3000 --resume
    python -m helpers.gan sample --checkpoint DIR/checkpoint.pt -n 1000 --seed 0 --out samples.pt
    python -m helpers.gan evaluate samples.pt

Bad input (a missing, corrupt or mismatched checkpoint, an unknown
dataset, ``-n 0``, …) gives one line on stderr and exit status 2.
"""

import sys as _sys

if _sys.argv[:1] == ["-m"] and "torch" not in _sys.modules:
    # Being located by ``python -m helpers.gan`` (Python sets argv[0] to "-m" meanwhile): the
    # wait policy must be set before `import torch` (see helpers.device.configure_threads).
    from helpers.device import configure_threads as _configure_threads

    _configure_threads(None)  # the wait policy only; the CLI keeps torch's thread count

import torch  # noqa: E402  (used by the doctest above)

from helpers.gan.architectures import ARCHITECTURES, build_models, register_architecture  # noqa: E402
from helpers.gan.checkpoint import (CHECKPOINT_FORMAT, CHECKPOINT_NAME, CheckpointError,  # noqa: E402
                                    checkpoint_config, checkpoint_dict, load_checkpoint, move_aside,
                                    read_checkpoint, save_checkpoint)
from helpers.gan.cli import main  # noqa: E402
from helpers.gan.config import (ARCHITECTURE_FIELDS, DATASETS, LOSSES, RECIPE_SETTINGS,  # noqa: E402
                                RECIPES, GANConfig, recipe_config)
from helpers.gan.data import batch_indices, load_dataset, prepare_data  # noqa: E402
from helpers.gan.losses import d_loss, g_loss  # noqa: E402
from helpers.gan.loop import (EMA_WARMUP, STANDING_BATCHES, draw_latents, ema_decay_at, fit,  # noqa: E402
                              load_or_train, real_batch, refresh_sampler, standing_batchnorm_, train,
                              train_step, update_ema)
from helpers.gan.sampling import LiveView, Snapshots, interpolate, load_samples, sample, slerp  # noqa: E402
from helpers.gan.state import HISTORY_KEYS, GANState, build, memory_format  # noqa: E402
from helpers.gan.step import d_step, frozen, g_step  # noqa: E402

# Old private names, kept so code written against the single-file module keeps working.
_train_step = train_step
_update_ema = update_ema
_refresh_sampler = refresh_sampler
_draw = draw_latents
_prepare_data = prepare_data
_batch_indices = batch_indices
_memory_format = memory_format

__all__ = [
    "ARCHITECTURES", "ARCHITECTURE_FIELDS", "CHECKPOINT_FORMAT", "CHECKPOINT_NAME", "DATASETS",
    "EMA_WARMUP", "HISTORY_KEYS", "LOSSES", "RECIPES", "RECIPE_SETTINGS", "STANDING_BATCHES",
    "CheckpointError", "GANConfig", "GANState", "LiveView", "Snapshots", "batch_indices", "build",
    "build_models", "checkpoint_config", "checkpoint_dict", "d_loss", "d_step", "draw_latents",
    "ema_decay_at", "fit", "frozen", "g_loss", "g_step", "interpolate", "load_checkpoint", "load_dataset",
    "load_or_train", "load_samples", "main", "memory_format", "move_aside", "prepare_data",
    "read_checkpoint", "real_batch", "recipe_config", "refresh_sampler", "register_architecture",
    "sample", "save_checkpoint", "slerp", "standing_batchnorm_", "train", "train_step", "update_ema",
]
