"""Self-checks for the exercises of chapter 04 (training a GAN).

Each ``check_*`` takes the reader's answer (a number, a letter or a
function). ``None`` (the placeholder in the notebook) prints a reminder and
returns ``None``, so the notebook as stored runs; a wrong answer raises an
``AssertionError`` that says what is wrong; a right one prints a
confirmation and returns ``True``.

>>> check_upsampled_size(None)
Not answered yet: replace None with your answer and run the cell again.
>>> check_upsampled_size(64)
✓ Correct: 4 → 8 → 16 → 32 → 64: four k=4, s=2, p=1 transposed convolutions after the 4×4 stem.
True
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from helpers.exercises._common import answered as _answered
from helpers.exercises._common import is_int, passed, require, require_close
from helpers.rng import seeded


def check_upsampled_size(answer) -> bool | None:
    """Exercise 4.1: the side of the image after the 4×4 stem and four ``ConvTranspose2d(k=4, s=2, p=1)``."""
    if not _answered(answer):
        return None
    require(is_int(answer),
            f"the answer should be an int (a number of pixels), got {type(answer).__name__}")
    side = 4
    for _ in range(4):
        side = (side - 1) * 2 - 2 * 1 + 4          # (H − 1)·s − 2p + k
    require(answer != 32, "32 is three doublings of 4; count the blocks again (there are four)")
    require(answer == side, f"{answer} is not right: each block maps H to (H − 1)·2 − 2 + 4 = 2H")
    passed("4 → 8 → 16 → 32 → 64: four k=4, s=2, p=1 transposed convolutions after the 4×4 stem.")
    return True


def check_bce_equilibrium(answer) -> bool | None:
    """Exercise 4.2: ``(L_D, L_G)`` with BCE losses when D outputs probability ½ on every image."""
    if not _answered(answer):
        return None
    require(isinstance(answer, (tuple, list)) and len(answer) == 2,
            "the answer should be a pair (D's loss, G's loss) of numbers")
    l_d, l_g = (float(v) for v in answer)
    if abs(l_d - math.log(2)) < 0.01:
        raise AssertionError("D's loss has two terms, one for the real batch and one for the fake "
                             "batch: −log ½ each")
    if abs(l_d - 0.5) < 0.01 or abs(l_g - 0.5) < 0.01:
        raise AssertionError("½ is D's output, not a loss: a loss is −log of a probability")
    require_close(l_d, 2 * math.log(2), 0.005, "D's loss")
    require_close(l_g, math.log(2), 0.005, "G's loss")
    passed("L_D = −log ½ − log(1 − ½) = 2 log 2 ≈ 1.386 and L_G = −log ½ = log 2 ≈ 0.693.")
    return True


def _call(fn, *args, what: str):
    require(callable(fn), f"{what} should be a function, got {type(fn).__name__}")
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - report the reader's error as a failed check
        raise AssertionError(f"{what} raised {type(exc).__name__}: {exc}") from exc


def _tiny_pair(seed: int = 0):
    from helpers.models import Discriminator, Generator

    with seeded(seed):
        G = Generator(latent_dim=8, width=4, size=16)
        D = Discriminator(width=4, size=16, norm="none", spectral=False)
        g = torch.Generator().manual_seed(seed + 1)
        real = torch.rand(8, 1, 16, 16, generator=g) * 2 - 1
        z = torch.randn(8, 8, generator=g)
    return G, D, real, z


def check_d_step(fn) -> bool | None:
    """Exercise 4.3: ``fn(D, opt_d, real, fake)`` makes one hinge-loss update of D and returns its loss."""
    if not _answered(fn):
        return None
    from helpers.gan import d_step

    G, D, real, z = _tiny_pair()
    D_ref = copy.deepcopy(D)
    fake = G(z)                                                     # with G's graph, as in train_step
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    out = _call(fn, D, opt_d, real, fake, what="your D step")
    require(all(p.grad is None for p in G.parameters()),
            "G's weights received gradients from D's loss: feed D fake.detach(), not fake")
    require(fake.grad_fn is not None, "fake lost its graph; detach a copy for D instead of changing fake")
    ref = d_step(D_ref, torch.optim.SGD(D_ref.parameters(), lr=0.1), real, fake, "hinge")
    require(isinstance(out, torch.Tensor) and out.numel() == 1,
            "return the loss (a 0-d tensor) so the loop can log it")
    require_close(out.detach().reshape(()), ref["loss_d"], 1e-5,
                  "your loss (hinge: mean(relu(1 − D(real))) + mean(relu(1 + D(fake))))")
    unchanged = all(torch.equal(p, q) for p, q in zip(D.parameters(), _tiny_pair()[1].parameters()))
    require(not unchanged, "D's weights did not change: call loss.backward() and opt_d.step()")
    for p, q in zip(D.parameters(), D_ref.parameters()):
        require_close(p.detach(), q.detach(), 1e-5,
                      "D's weights after your step (zero the gradients first, then backward, then step)")
    passed("D's loss on real and fake.detach(), zero_grad, backward, step: G is untouched and keeps "
           "its graph for the G step.")
    return True


def check_generator_loss(fn) -> bool | None:
    """Exercise 4.4: the non-saturating generator loss from D's logits, ``−mean(log σ(logits))``."""
    if not _answered(fn):
        return None
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
    return True


#: Exercise 4.5: what the curves of a GAN run can say.
DIAGNOSES = {
    "a": "healthy: the losses hover near their equilibrium and the samples improve",
    "b": "the discriminator wins: its loss falls towards 0, G's loss climbs, the samples stop improving",
    "c": "the run diverged: the losses became NaN or infinite",
    "d": "mode collapse: the losses look healthy, but the samples are copies of a few images",
}

#: The broken setting of :func:`diagnosis_run`: the fast recipe without spectral norm, BCE,
#: and a discriminator learning 100× faster than the generator.
DIAGNOSIS_SETTINGS = dict(size=16, g_width=8, d_width=8, latent_dim=16, spectral=False, loss="bce",
                          lr_d=2e-3, lr_g=2e-5, seed=0)
DIAGNOSIS_STEPS = 150


def diagnosis_run():
    """The run to diagnose in exercise 5 (a few seconds on a CPU): a :class:`helpers.gan.GANState`."""
    from helpers.gan import build, fit, load_dataset, recipe_config

    config = recipe_config("fast", **DIAGNOSIS_SETTINGS)
    data = load_dataset("digits", size=config.size)
    return fit(build(config, device="cpu"), data, steps=DIAGNOSIS_STEPS, progress=False)


def check_diagnosis(answer) -> bool | None:
    """Exercise 4.5: the letter of :data:`DIAGNOSES` that describes :func:`diagnosis_run`."""
    if not _answered(answer):
        return None
    require(isinstance(answer, str) and answer.strip().lower() in DIAGNOSES,
            f"answer with one of the letters {sorted(DIAGNOSES)}")
    letter = answer.strip().lower()
    hints = {
        "a": "compare the last losses with the BCE equilibrium (D ≈ 1.386, G ≈ 0.693): they are far from it",
        "c": "every loss in the history is a finite number",
        "d": "collapse keeps the losses near equilibrium; here D's loss is near 0, and the samples are "
             "not digits at all",
    }
    require(letter == "b", hints.get(letter, ""))
    passed("D's loss near 0 and G's loss high mean that D tells real from fake with confidence; "
           "G gets little useful signal. Here D learns 100× faster than G and has no spectral norm.")
    return True


def check_ema_update(fn) -> bool | None:
    """Exercise 4.6: ``fn(ema, model, decay)`` updates ``ema``'s parameters in place toward ``model``'s."""
    if not _answered(fn):
        return None
    with seeded(0):                            # the reader's random state is left alone
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
    return True


def check_slerp(fn) -> bool | None:
    """Exercise 4.7: spherical interpolation ``fn(z0, z1, t)`` between two latent vectors."""
    if not _answered(fn):
        return None
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
    return True
