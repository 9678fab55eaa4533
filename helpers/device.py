"""Choosing a device, seeding every random number generator, and setting up CPU threads.

>>> from helpers.device import get_device, set_seed
>>> set_seed(0)
>>> get_device("cpu")
device(type='cpu')

Importing this module does not import PyTorch (each function imports it when
called), so :func:`configure_threads` can run before ``import torch``, which is
the only time one of its two settings can take effect.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import warnings

#: Environment variable that overrides the automatic choice, e.g. ``BOOK_DEVICE=cpu``.
DEVICE_ENV_VAR = "BOOK_DEVICE"

_KNOWN = ("cpu", "cuda", "mps")


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _check_available(device: torch.device, source: str) -> torch.device:
    import torch

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
    import torch

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

    >>> import torch
    >>> set_seed(0); a = torch.rand(2)
    >>> set_seed(0); b = torch.rand(2)
    >>> bool(torch.equal(a, b))
    True
    """
    import numpy as np
    import torch

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


#: What :func:`configure_threads` sets ``OMP_WAIT_POLICY`` to unless it is set already.
WAIT_POLICY = "PASSIVE"


def _check_threads(n, allow_none: bool):
    if n is None and allow_none:
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive whole number of threads{' or None' if allow_none else ''}, "
                         f"got {n!r}")


def configure_threads(n: int | None = 1) -> None:
    """Set up PyTorch's CPU threads for the book's small models (for the whole process).

    The one place the book tunes threads: every notebook's setup cell, the tests
    (``tests/conftest.py``), the benchmarks and the CI scripts call it. Two settings:

    * ``OMP_WAIT_POLICY=PASSIVE`` (unless the variable is set already): an OpenMP
      thread that has finished its share of an operation goes to sleep at once
      instead of spinning on a core while it waits for the next one. On a busy
      2-core machine the spinning threads took the cores other processes needed,
      and a GAN training step ran about 4x slower (measured). OpenMP reads the
      variable once, when ``import torch`` loads it: set later it changes nothing
      (``benchmarks/omp_wait_policy.py`` measures it: the thread left idle by a 2-thread
      matrix product burnt 0.6-1.0 s of CPU per second with ``ACTIVE`` set before the
      import, 0.002 s with ``PASSIVE``, and 0.12-0.19 s, as with no setting, when either
      was set after it).
      So call this before anything imports torch; if torch is already loaded and
      the variable was not set, a :class:`RuntimeWarning` says so.
    * ``torch.set_num_threads(n)``: PyTorch starts one thread per core, but the
      book's models are tiny (a training step takes milliseconds), so splitting an
      operation costs more in hand-overs than it saves; on a shared 2-core machine
      a GAN step took 8 ms on one thread and over 100 ms on two, waiting for
      the other core. ``n=None`` keeps PyTorch's own choice.

    On a GPU the thread count only matters for the work left on the CPU.

    >>> import torch
    >>> configure_threads(1)
    >>> torch.get_num_threads()
    1
    """
    _check_threads(n, allow_none=True)
    torch_loaded = "torch" in sys.modules
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ["OMP_WAIT_POLICY"] = WAIT_POLICY
        if torch_loaded:
            warnings.warn(
                "configure_threads() ran after `import torch`, so OMP_WAIT_POLICY=PASSIVE has "
                "no effect in this process (OpenMP reads it when torch loads); call it before "
                "importing torch, or set OMP_WAIT_POLICY=PASSIVE in the environment",
                RuntimeWarning, stacklevel=2)
    import torch

    if n is not None:
        torch.set_num_threads(n)


@contextlib.contextmanager
def cpu_threads(n: int = 1):
    """Run a block on ``n`` CPU threads, then restore the count it had (also on an error).

    For a library function that runs a tiny model (see :func:`configure_threads`
    for why one thread) without changing the caller's setting for good.

    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with cpu_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    _check_threads(n, allow_none=False)
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
