"""One GAN training step, in the open: the discriminator's update and the generator's update.

These are the functions the library trains with (:func:`helpers.gan.fit`
calls them through :func:`helpers.gan.train_step`) and the ones chapter 04
shows, source and all, in §4.5 (The training step): :func:`d_step` and
:func:`g_step` are taught there (the chapter prints their source, so the
chapter is named here, not in their docstrings). Labels ``y`` are ``None``
for an unconditional GAN; both models accept ``y=None``, so there are no
branches.

>>> from helpers.models import Discriminator, Generator
>>> G, D = Generator(latent_dim=8, width=4, size=16), Discriminator(width=4, size=16, norm="none")
>>> opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
>>> real, z = torch.rand(4, 1, 16, 16) * 2 - 1, torch.randn(4, 8)
>>> fake = G(z)                                           # keeps its graph for the G step
>>> out_d = d_step(D, opt_d, real, fake, "hinge")
>>> out_g = g_step(D, opt_g, fake, "hinge")
>>> sorted(out_d), sorted(out_g)
(['d_fake', 'd_real', 'loss_d'], ['loss_g'])
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

from helpers.gan.losses import d_loss, g_loss


def d_step(D: nn.Module, opt_d: torch.optim.Optimizer, real: torch.Tensor, fake: torch.Tensor,
           loss: str, y_real: torch.Tensor | None = None,
           y_fake: torch.Tensor | None = None) -> dict:
    """One update of the discriminator ``D``; ``fake`` is ``G(z)`` (detached here).

    Returns ``loss_d`` and D's mean logits on the real and fake batch (tensors
    without graph).
    """
    # 1. D's logits on real images, and on fakes cut off from G's graph:
    #    D's loss must not send gradients into G.
    d_real = D(real, y_real)                       # (N,)
    d_fake = D(fake.detach(), y_fake)              # (N,)
    # 2. D's loss: real logits up, fake logits down.
    loss_d = d_loss(loss, d_real, d_fake)
    # 3. Gradients of D's loss for D's weights only, then one optimiser step.
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    return {"loss_d": loss_d.detach(), "d_real": d_real.detach().mean(),
            "d_fake": d_fake.detach().mean()}


def g_step(D: nn.Module, opt_g: torch.optim.Optimizer, fake: torch.Tensor, loss: str,
           y_fake: torch.Tensor | None = None) -> dict:
    """One update of the generator that made ``fake = G(z)`` (with its graph), through ``D``.

    ``D`` is frozen meanwhile (it only passes the gradient through), so it is
    left exactly as it was: weights, gradients and ``requires_grad`` flags.
    """
    with frozen(D):
        # 1. D's logits on the same fakes, this time *with* G's graph attached.
        d_fake = D(fake, y_fake)                   # (N,)
        # 2. G's loss: make D call the fakes real (non-saturating BCE, or −D for hinge).
        loss_g = g_loss(loss, d_fake)
        # 3. Backpropagate through D into G, then one optimiser step for G.
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
    opt_g.step()
    return {"loss_g": loss_g.detach()}


@contextmanager
def frozen(model: nn.Module):
    """``requires_grad=False`` for ``model``'s trainable parameters inside the block, restored after.

    Taught in chapter 04, §4.5 (The training step); reused in chapter 05.

    Gradients still flow *through* the model to its inputs; computing none
    for its own weights saves about a third of its backward pass.

    >>> lin = nn.Linear(2, 1)
    >>> with frozen(lin):
    ...     lin.weight.requires_grad
    False
    >>> lin.weight.requires_grad
    True
    """
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p in params:
            p.requires_grad_(True)
