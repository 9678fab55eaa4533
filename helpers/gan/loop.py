"""The training loop: one step (:func:`train_step`), :func:`fit`, :func:`train`, :func:`load_or_train`.

The exponential moving average (EMA) of the generator's weights used for
sampling is :mod:`helpers.training`'s (:func:`update_ema`,
:func:`standing_batchnorm_`), shared with chapter 05's diffusion model.

>>> from helpers.gan import recipe_config
>>> cfg = recipe_config("fast", g_width=4, d_width=4, latent_dim=8, batch_size=8, size=16)
>>> state = fit(build(cfg, device="cpu"), (torch.rand(32, 1, 16, 16), None), steps=3, progress=False)
>>> state.step, len(state.history["loss_d"])
(3, 3)
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from helpers.checks import check_int, check_number
from helpers.gan.checkpoint import (CHECKPOINT_NAME, CheckpointError, checkpoint_config, describe_differences,
                                    load_checkpoint, move_aside, save_checkpoint)
from helpers.gan.config import GANConfig
from helpers.gan.data import batch_indices, prepare_data
from helpers.gan.state import GANState, build, memory_format
from helpers.gan.step import d_step, g_step
from helpers.training import (EMA_WARMUP, STANDING_BATCHES, ema_decay_at,  # noqa: F401  (re-exported)
                              standing_batchnorm_, update_ema)

def refresh_sampler(state: GANState) -> None:
    """Standing statistics for the EMA generator (its buffers are overwritten at every step anyway,
    so this never changes training, and a resumed run stays bit-identical).

    Taught in chapter 04, §4.5 (The training step); reused in chapter 05.
    """
    if state.ema_generator is not None:
        standing_batchnorm_(state.ema_generator, seed=state.config.seed)


def draw_latents(state: GANState, batch: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Latent vectors (and fake labels for a conditional GAN) from the run's own noise generator.

    Taught in chapter 04, §4.5 (The training step).
    """
    z = torch.randn(batch, state.generator.latent_dim, generator=state.noise).to(state.device)
    y = None
    if state.config.num_classes is not None:
        y = torch.randint(state.config.num_classes, (batch,), generator=state.noise).to(state.device)
    return z, y


def real_batch(state: GANState, images: torch.Tensor,
               labels: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The run's next real batch (images in [-1, 1] and labels or ``None``); counts it in ``state.batches``.

    Taught in chapter 04, §4.5 (The training step).
    """
    cfg = state.config
    idx = batch_indices(images.shape[0], cfg.batch_size, state.batches, cfg.seed, state._perm_cache)
    state.batches += 1
    idx = idx.to(images.device)
    real = images[idx].contiguous(memory_format=memory_format(cfg))
    return real, (labels[idx] if labels is not None else None)


def train_step(state: GANState, images: torch.Tensor, labels: torch.Tensor | None = None) -> dict:
    """One G update after ``n_critic`` D updates (:func:`d_step`, :func:`g_step`), then the EMA.

    Taught in chapter 04, §4.5 (The training step); reused in chapter 05.

    ``images`` are the whole training set in [-1, 1] (see ``prepare_data``).
    Returns the losses and D's mean logits as floats.
    """
    cfg, G, D = state.config, state.generator, state.discriminator
    for _ in range(cfg.n_critic):
        real, y_real = real_batch(state, images, labels)                 # (B, C, H, W)
        z, y_fake = draw_latents(state, real.shape[0])                   # (B, latent_dim)
        fake = G(z, y_fake)                                              # (B, C, H, W), with graph
        out_d = d_step(D, state.opt_d, real, fake, cfg.loss, y_real, y_fake)
    out_g = g_step(D, state.opt_g, fake, cfg.loss, y_fake)               # the last D batch's fakes
    state.step += 1
    if state.ema_generator is not None:
        update_ema(state.ema_generator, G, cfg.ema_decay, state.step)
    values = {k: float(v) for k, v in {**out_d, **out_g}.items()}
    values = {k: values[k] for k in ("loss_d", "loss_g", "d_real", "d_fake")}
    if not all(math.isfinite(v) for v in values.values()):
        raise FloatingPointError(
            f"the GAN losses became non-finite at step {state.step} ({values}); lower the learning "
            f"rates, or use spectral normalisation in D (the fast recipe)")
    return values


def fit(state: GANState, data=None, steps: int | None = None, seconds: float | None = None,
        out: str | os.PathLike | None = None, progress: bool = True,
        callback: Callable[[GANState], None] | None = None, callback_every: int = 100,
        log_every: int = 1) -> GANState:
    """Continue training ``state`` (in place; also returned).

    Taught in chapter 04, §4.5 (The training step).

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
    if steps is not None:
        check_int(steps, "steps", 0)
    if seconds is not None:
        check_number(seconds, "seconds", 0)
    images, labels = prepare_data(data, state.config, state.device)
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
            values = train_step(state, images, labels)
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
            if callback is not None and state.step % callback_every == 0:
                refresh_sampler(state)
                callback(state)
            if path is not None and state.step % cfg.checkpoint_every == 0:
                refresh_sampler(state)
                save_checkpoint(state, path)
    except KeyboardInterrupt:
        state.interrupted = True
        if bar is not None:
            bar.close()
        if path is not None:
            refresh_sampler(state)
            save_checkpoint(state, path)
        raise
    bar.close()
    refresh_sampler(state)
    if callback is not None and state.step % callback_every != 0:
        callback(state)
    if path is not None:
        save_checkpoint(state, path)
    return state


def train(config: GANConfig, data=None, *, generator: nn.Module | None = None,
          discriminator: nn.Module | None = None, steps: int | None = None, seconds: float | None = None,
          out: str | os.PathLike | None = None, resume: bool = False, device=None, progress: bool = True,
          callback: Callable[[GANState], None] | None = None, callback_every: int = 100) -> GANState:
    """Build a run (or resume ``out/checkpoint.pt``) and train it; returns the :class:`GANState`.

    Taught in chapter 04, §4.6 (Training), through :func:`load_or_train`; called directly in chapter
    05, §5.1.

    ``data=None`` loads the train split of ``config.dataset`` at ``config.size``.
    When resuming, the checkpoint's configuration is used; it must agree
    with ``config`` on every architecture field (``ARCHITECTURE_FIELDS``).

    >>> from helpers.gan import recipe_config
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


#: Fields a checkpoint may differ in and still be the same run.
_BOOKKEEPING_FIELDS = ("checkpoint_every",)


def load_or_train(config: GANConfig, out: str | os.PathLike, seconds: float | None = None,
                  steps: int | None = None, data=None, device=None, progress: bool = True,
                  callback: Callable[[GANState], None] | None = None, callback_every: int = 100) -> GANState:
    """Load ``out/checkpoint.pt`` when it is this run, else train (and save it there).

    Taught in chapter 04, §4.6 (Training).

    The notebooks' "never make the reader wait twice" cell. The checkpoint
    is used only when its configuration equals ``config`` (all fields but
    ``checkpoint_every``); with ``steps``, a checkpoint of fewer steps is
    trained on to ``steps`` (bit-identical to one go), one of more steps is
    not this run. A checkpoint that is not this run, or is unreadable, is
    moved aside to ``checkpoint.pt.stale-N`` with a printed message, never
    overwritten and never used silently.
    """
    path = Path(out) / CHECKPOINT_NAME
    if path.exists():
        try:
            have = checkpoint_config(path)
            names = [n for n in have.to_dict() if n not in _BOOKKEEPING_FIELDS]
            diff = have.differences(config, names)
            if diff:
                raise CheckpointError(f"it was trained with {describe_differences(diff)}")
            state = load_checkpoint(path, device=device, expect=config)
            if steps is not None and state.step > steps:
                raise CheckpointError(f"it holds {state.step} steps, this run makes {steps}")
        except CheckpointError as exc:
            move_aside(path, str(exc).replace(f"{path} ", "", 1))
        else:
            if steps is not None and state.step < steps:
                return fit(state, data, steps=steps, out=out, progress=progress, callback=callback,
                           callback_every=callback_every)
            return state
    return train(config, data, steps=steps, seconds=seconds, out=out, device=device, progress=progress,
                 callback=callback, callback_every=callback_every)
