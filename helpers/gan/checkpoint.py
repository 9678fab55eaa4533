"""Checkpoints: everything a run needs to continue bit-identically, written atomically.

Loaded with ``torch.load(weights_only=True)``; a missing, corrupt or
mismatched file raises :class:`CheckpointError` with a one-sentence reason.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch
from torch import nn

from helpers.gan.config import ARCHITECTURE_FIELDS, GANConfig
from helpers.gan.state import HISTORY_KEYS, GANState, build

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = "helpers.gan/1"


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable, or does not fit the request.

    Taught in chapter 04, §4.6 (Training), through :func:`load_or_train`; reused in chapter 05.
    """


def _rng_states(state: GANState) -> dict:
    # Only ``noise`` drives training; the global states are recorded for information (and for
    # older readers of the format) but never restored, so loading leaves the caller's RNGs alone.
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


def checkpoint_dict(state: GANState) -> dict:
    """Everything a run needs to continue: models, EMA, optimisers, counters, RNG, config, history.

    Taught in chapter 04, §4.6 (Training), through :func:`load_or_train`; reused in chapter 05.
    """
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
        "extras": dict(state.extras),
    }


def save_checkpoint(state: GANState, path: str | os.PathLike) -> Path:
    """Write ``state`` to ``path`` atomically (a temporary file in the same folder, then a rename).

    Taught in chapter 04, §4.6 (Training), through :func:`load_or_train`; reused in chapter 05.

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
    """The raw checkpoint dict, loaded with ``weights_only=True``; :class:`CheckpointError` when unusable.

    Taught in chapter 04, §4.6 (Training), through :func:`load_or_train`; reused in chapter 05.
    """
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


def checkpoint_config(path: str | os.PathLike) -> GANConfig:
    """The :class:`GANConfig` a checkpoint was trained with (:class:`CheckpointError` if unusable).

    Taught in chapter 04, §4.6 (Training), through :func:`load_or_train`; reused in chapter 05.
    """
    ckpt = read_checkpoint(path)
    return _config_of(ckpt, Path(path))


def _config_of(ckpt: dict, path: Path) -> GANConfig:
    try:
        return GANConfig.from_dict(ckpt["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} holds an invalid configuration: {exc}") from exc


def describe_differences(diff: dict) -> str:
    """``"latent_dim=32 (asked 64), ..."`` for ``{name: (checkpoint's, asked)}``.

    Taught in chapter 04, §4.6 (Training), through :func:`load_or_train`; reused in chapter 05.

    >>> describe_differences({"latent_dim": (32, 64)})
    'latent_dim=32 (asked 64)'
    """
    return ", ".join(f"{name}={have!r} (asked {want!r})" for name, (have, want) in diff.items())


def load_checkpoint(path: str | os.PathLike, device=None, generator: nn.Module | None = None,
                    discriminator: nn.Module | None = None, expect: GANConfig | None = None) -> GANState:
    """A :class:`GANState` from a checkpoint, ready to :func:`fit` further or to :func:`sample`.

    Taught in chapter 04, §4.6 (Training), through :func:`load_or_train`; reused in chapter 05.

    ``expect`` (a config) must agree with the checkpoint on every field of
    ``ARCHITECTURE_FIELDS`` (recipe, dataset, size, the models' shapes), else
    :class:`CheckpointError`. Custom models can be passed in (their weights
    are loaded into them). The caller's global random state is untouched.
    """
    path = Path(path)
    ckpt = read_checkpoint(path)
    config = _config_of(ckpt, path)
    if expect is not None:
        diff = config.differences(expect, ARCHITECTURE_FIELDS)
        if diff:
            raise CheckpointError(f"{path} was trained with {describe_differences(diff)}; "
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
    state.extras = dict(ckpt.get("extras") or {})
    state.noise.set_state(ckpt["rng"]["noise"])
    return state


def move_aside(path: str | os.PathLike, reason: str) -> Path:
    """Rename ``path`` to ``path.stale-N`` (first free N) and print where and why; returns the new path.

    Taught in chapter 04, §4.6 (Training), through :func:`load_or_train`; reused in chapter 05.

    The notebooks' rule for a checkpoint that does not match: never overwrite
    it, never use it silently.
    """
    path = Path(path)
    n = 1
    while path.with_name(f"{path.name}.stale-{n}").exists():
        n += 1
    target = path.with_name(f"{path.name}.stale-{n}")
    os.replace(path, target)
    print(f"{path} does not match this run ({reason}); moved it to {target} and training afresh")
    return target
