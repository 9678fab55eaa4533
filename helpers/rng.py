"""Seeded randomness that leaves the caller's random generators alone.

The notebooks seed once, at the top, with :func:`helpers.device.set_seed`
(Python, NumPy, torch). Nothing in :mod:`helpers` calls ``set_seed`` or
``torch.manual_seed``: a helper that takes a ``seed`` draws from a private
``torch.Generator`` (``torch.Generator().manual_seed(seed)``), and a helper
that must build ``torch.nn`` layers from a seed (their initialisation uses
the global generator) builds them inside :func:`seeded`, which restores the
caller's state afterwards. So calling a helper never changes what the
reader's next ``torch.randn`` returns; ``tests/test_rng_hygiene.py`` checks
every public helper for it.

Model constructors (``helpers.models.Generator(...)``) and training loops
with dropout (``helpers.training.fit``) are the exception, by design: like
``torch.nn.Linear`` itself, they draw from the global generator, which is
what the notebook's ``set_seed`` controls. They never *reseed* it.

Not taught in a chapter: it is the plumbing under all of them.

>>> import torch
>>> from helpers.rng import seeded
>>> before = torch.get_rng_state()
>>> with seeded(0):
...     w = torch.nn.Linear(2, 1).weight.detach()
>>> with seeded(0):
...     same = torch.nn.Linear(2, 1).weight.detach()
>>> torch.equal(w, same), torch.equal(before, torch.get_rng_state())
(True, True)
"""

from __future__ import annotations

import contextlib

import torch

from helpers.checks import check_int

__all__ = ["seeded"]


@contextlib.contextmanager
def seeded(seed: int | None):
    """Run the block with torch's global CPU generator seeded with ``seed``; restore it afterwards.

    Plumbing under every chapter (not taught in one).

    Only the CPU generator is seeded and restored (``torch.random.fork_rng``
    with ``devices=[]``): CUDA generators are never touched, so a model built
    inside on the CPU and then moved to a GPU gets the same weights on every
    device. ``seed=None`` does not seed, only isolates: draws inside come
    from the caller's current state, which is then put back.

    >>> with seeded(3):
    ...     a = torch.rand(2)
    >>> with seeded(3):
    ...     b = torch.rand(2)
    >>> torch.equal(a, b)
    True
    """
    if seed is not None:
        seed = check_int(seed, "seed", 0, 2**64 - 1)
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.random.default_generator.manual_seed(seed)
        yield
