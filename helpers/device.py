"""Choosing a device and seeding every random number generator.

>>> from helpers.device import get_device, set_seed
>>> set_seed(0)
>>> get_device("cpu")
device(type='cpu')
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

#: Environment variable that overrides the automatic choice, e.g. ``BOOK_DEVICE=cpu``.
DEVICE_ENV_VAR = "BOOK_DEVICE"

_KNOWN = ("cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _check_available(device: torch.device, source: str) -> torch.device:
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"{source} asks for {str(device)!r}, but this machine has no CUDA GPU "
            f"(torch.cuda.is_available() is False); use 'cpu' or leave it unset "
            f"to pick the best available device."
        )
    if device.type == "mps" and not _mps_available():
        raise ValueError(
            f"{source} asks for 'mps', but the Apple GPU backend is not available "
            f"here; use 'cpu' or leave it unset."
        )
    return device


def get_device(override: str | torch.device | None = None) -> torch.device:
    """Return the device the book runs on: ``cuda``, then ``mps``, then ``cpu``.

    The choice can be forced with ``override`` (an argument) or with the
    environment variable ``BOOK_DEVICE`` (the argument wins).

    >>> get_device("cpu")
    device(type='cpu')
    >>> get_device().type in ("cuda", "mps", "cpu")
    True
    """
    source = "get_device(override=...)"
    if override is None:
        env = os.environ.get(DEVICE_ENV_VAR, "").strip()
        if env:
            override, source = env, f"the environment variable {DEVICE_ENV_VAR}"
    if override is not None:
        if not isinstance(override, (str, torch.device)):
            raise TypeError(
                f"{source} must be a string such as 'cpu' or 'cuda:0' or a "
                f"torch.device, not {type(override).__name__}"
            )
        try:
            device = torch.device(override)
        except RuntimeError as exc:
            raise ValueError(
                f"{source} is {override!r}, which is not a device name; "
                f"expected one of {', '.join(_KNOWN)} (optionally with an index, e.g. 'cuda:0')"
            ) from exc
        if device.type not in _KNOWN:
            raise ValueError(
                f"{source} is {override!r}; expected one of {', '.join(_KNOWN)}"
            )
        return _check_available(device, source)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (all devices).

    With ``deterministic=True`` cuDNN is asked for deterministic algorithms
    and its autotuner is switched off, so a run on the same machine repeats.

    >>> set_seed(0); a = torch.rand(2)
    >>> set_seed(0); b = torch.rand(2)
    >>> bool(torch.equal(a, b))
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
