"""Self-checks for the exercises of chapter 04 (training a GAN).

Each ``check_*`` takes the reader's answer (a number or a function), raises
an ``AssertionError`` that says what is wrong, and prints a confirmation
when it is right.

>>> check_upsampled_size(64)
✓ Correct: 4 → 8 → 16 → 32 → 64: four k=4, s=2, p=1 transposed convolutions after the 4×4 stem.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from helpers.exercises._common import passed, require, require_close


def check_upsampled_size(answer) -> None:
    """Exercise 1: the side of the image after the 4×4 stem and four ``ConvTranspose2d(k=4, s=2, p=1)``."""
    require(isinstance(answer, int) and not isinstance(answer, bool),
            f"the answer should be an int (a number of pixels), got {type(answer).__name__}")
    side = 4
    for _ in range(4):
        side = (side - 1) * 2 - 2 * 1 + 4          # (H − 1)·s − 2p + k
    require(answer != 32, "32 is three doublings of 4; count the blocks again (there are four)")
    require(answer == side, f"{answer} is not right: each block maps H to (H − 1)·2 − 2 + 4 = 2H")
    passed("4 → 8 → 16 → 32 → 64: four k=4, s=2, p=1 transposed convolutions after the 4×4 stem.")


def _call(fn, *args, what: str):
    require(callable(fn), f"{what} should be a function, got {type(fn).__name__}")
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - report the reader's error as a failed check
        raise AssertionError(f"{what} raised {type(exc).__name__}: {exc}") from exc


def check_generator_loss(fn) -> None:
    """Exercise 2: the non-saturating generator loss from D's logits, ``−mean(log σ(logits))``."""
    logits = torch.tensor([-3.0, -0.5, 0.0, 2.0])
    out = _call(fn, logits.clone(), what="your generator loss")
    require(isinstance(out, torch.Tensor) and out.dim() == 0,
            "the loss should be a 0-d tensor (a mean over the batch)")
    expected = -torch.log(torch.sigmoid(logits)).mean()
    saturating = torch.log(1 - torch.sigmoid(logits)).mean()
    require(not torch.isclose(out, saturating, atol=1e-4),
            "this is the saturating loss log(1 − D(G(z))); the generator should maximise log D(G(z))")
    require_close(out, expected, 1e-4, "your loss")
    far = _call(fn, torch.tensor([-200.0, 200.0]), what="your generator loss")
    require(bool(torch.isfinite(far)),
            "the loss is not finite for logits ±200: use BCEWithLogitsLoss (or softplus), not sigmoid then log")
    require_close(far, torch.tensor(100.0), 1e-3, "your loss at logits (−200, 200)")
    passed("−mean(log σ(D(G(z)))) = BCEWithLogits(logits, 1), finite even for huge logits.")


def check_hinge_loss(fn) -> None:
    """Exercise 3: the discriminator's hinge loss ``mean(relu(1 − real)) + mean(relu(1 + fake))``."""
    real = torch.tensor([2.0, 0.5, -1.0])
    fake = torch.tensor([-2.0, 0.0, 0.5])
    out = _call(fn, real.clone(), fake.clone(), what="your hinge loss")
    require(isinstance(out, torch.Tensor) and out.dim() == 0, "the loss should be a 0-d tensor")
    expected = torch.relu(1 - real).mean() + torch.relu(1 + fake).mean()
    swapped = torch.relu(1 + real).mean() + torch.relu(1 - fake).mean()
    require(not torch.isclose(out, swapped), "real and fake are swapped: real logits should be pushed above +1")
    require_close(out, expected, 1e-5, "your hinge loss")
    confident = _call(fn, torch.tensor([5.0]), torch.tensor([-5.0]), what="your hinge loss")
    require_close(confident, torch.tensor(0.0), 1e-6, "the loss for confident, correct logits")
    passed("beyond the margin (real > 1, fake < −1) an example costs nothing.")


def check_ema_update(fn) -> None:
    """Exercise 4: ``fn(ema, model, decay)`` updates ``ema``'s parameters in place toward ``model``'s."""
    torch.manual_seed(0)
    model, ema = nn.Linear(3, 2), nn.Linear(3, 2)
    before = [p.detach().clone() for p in ema.parameters()]
    target = [p.detach().clone() for p in model.parameters()]
    decay = 0.9
    with torch.no_grad():
        _call(fn, ema, model, decay, what="your EMA update")
    after = [p.detach() for p in ema.parameters()]
    expected = [decay * b + (1 - decay) * t for b, t in zip(before, target)]
    swapped = [(1 - decay) * b + decay * t for b, t in zip(before, target)]
    require(not all(torch.allclose(a, s) for a, s in zip(after, swapped)),
            "decay and 1 − decay are swapped: the average should keep 90 % of its old value")
    require(not all(torch.equal(a, b) for a, b in zip(after, before)),
            "ema's parameters did not change; update them in place (p_ema.mul_(...).add_(...) or lerp_)")
    for a, e in zip(after, expected):
        require_close(a, e, 1e-6, "the updated EMA weights")
    require(all(torch.equal(p.detach(), t) for p, t in zip(model.parameters(), target)),
            "the model's own weights changed; only the EMA copy should")
    passed("θ_ema ← decay·θ_ema + (1 − decay)·θ, in place.")


def check_slerp(fn) -> None:
    """Exercise 5: spherical interpolation ``fn(z0, z1, t)`` between two latent vectors."""
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(64, generator=g), torch.randn(64, generator=g)
    for t in (0.0, 1.0):
        out = _call(fn, z0.clone(), z1.clone(), t, what="your slerp")
        require(isinstance(out, torch.Tensor) and out.shape == z0.shape,
                f"slerp should return a tensor of shape {tuple(z0.shape)}")
        require_close(out, z0 if t == 0 else z1, 1e-4, f"slerp at t={t}")
    mid = _call(fn, z0.clone(), z1.clone(), 0.5, what="your slerp")
    lerp = (z0 + z1) / 2
    require(not torch.allclose(mid, lerp, atol=1e-4),
            "at t = 0.5 this is the straight-line midpoint (lerp), which is shorter than a typical z")
    omega = math.acos(float(torch.dot(z0 / z0.norm(), z1 / z1.norm())))
    expected = (math.sin(0.5 * omega) * z0 + math.sin(0.5 * omega) * z1) / math.sin(omega)
    require_close(mid, expected, 1e-4, "slerp at t = 0.5")
    passed(f"slerp keeps the norm typical of N(0, I): |mid| = {float(mid.norm()):.2f} vs "
           f"|lerp mid| = {float(lerp.norm()):.2f} (|z0| = {float(z0.norm()):.2f}).")
