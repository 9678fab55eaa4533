"""The two players' losses, from the discriminator's logits: BCE (non-saturating) and hinge.

At the game's equilibrium (D outputs logit 0, i.e. probability ½, on
everything) the BCE losses are ``L_D = 2 log 2 ≈ 1.386`` and
``L_G = log 2 ≈ 0.693``; the hinge losses are ``L_D = 2`` and ``L_G = 0``.

>>> zero = torch.zeros(4)
>>> round(float(d_loss("bce", zero, zero)), 3), round(float(g_loss("bce", zero)), 3)
(1.386, 0.693)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from helpers.gan.config import LOSSES


def d_loss(loss: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss from its logits on real and fake images.

    Taught in chapter 04, §4.1 (The game and its losses).

    ``"bce"``: ``BCEWithLogits(real, 1) + BCEWithLogits(fake, 0)`` (the
    minimax game, Goodfellow et al. 2014). ``"hinge"``:
    ``mean(relu(1 − real)) + mean(relu(1 + fake))`` (Lim & Ye 2017).

    >>> float(d_loss("hinge", torch.tensor([2.0]), torch.tensor([-2.0])))
    0.0
    """
    if loss == "bce":
        bce = F.binary_cross_entropy_with_logits
        return bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
    if loss == "hinge":
        return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def g_loss(loss: str, d_fake: torch.Tensor) -> torch.Tensor:
    """The generator's loss from D's logits on its images.

    Taught in chapter 04, §4.1 (The game and its losses).

    ``"bce"``: the non-saturating ``BCEWithLogits(fake, 1) = −log σ(D(G(z)))``;
    ``"hinge"``: ``−mean(D(G(z)))``.

    >>> round(float(g_loss("bce", torch.tensor([0.0]))), 4)
    0.6931
    """
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
    if loss == "hinge":
        return -d_fake.mean()
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
