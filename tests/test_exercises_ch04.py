"""The self-checks of chapter 04: no answer yet, right answers, wrong answers with a hint."""
import math

import pytest
import torch

from helpers import gan
from helpers.exercises import ch04


def right_d_step(D, opt_d, real, fake):
    d_real, d_fake = D(real), D(fake.detach())
    loss = torch.relu(1 - d_real).mean() + torch.relu(1 + d_fake).mean()
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    return loss


def test_right_answers_pass(capsys):
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    assert ch04.check_upsampled_size(64)
    assert ch04.check_bce_equilibrium((2 * math.log(2), math.log(2)))
    assert ch04.check_d_step(right_d_step)
    assert ch04.check_generator_loss(lambda l: bce(l, torch.ones_like(l)))
    assert ch04.check_diagnosis("b") and ch04.check_diagnosis(" B ")
    assert ch04.check_ema_update(lambda e, m, d: [pe.lerp_(p, 1 - d)
                                                  for pe, p in zip(e.parameters(), m.parameters())])
    assert ch04.check_slerp(gan.slerp)
    assert capsys.readouterr().out.count("✓ Correct") == 8


def no_detach(D, opt_d, real, fake):
    loss = torch.relu(1 - D(real)).mean() + torch.relu(1 + D(fake)).mean()
    opt_d.zero_grad()
    loss.backward(retain_graph=True)
    opt_d.step()
    return loss


def no_step(D, opt_d, real, fake):
    return torch.relu(1 - D(real)).mean() + torch.relu(1 + D(fake.detach())).mean()


def bce_instead(D, opt_d, real, fake):
    loss = gan.d_loss("bce", D(real), D(fake.detach()))
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    return loss


@pytest.mark.parametrize("call, match", [
    (lambda: ch04.check_upsampled_size(32), "four"),
    (lambda: ch04.check_upsampled_size(64.0), "should be an int"),
    (lambda: ch04.check_bce_equilibrium((math.log(2), math.log(2))), "two terms"),
    (lambda: ch04.check_bce_equilibrium((0.5, 0.5)), "not a loss"),
    (lambda: ch04.check_bce_equilibrium(1.386), "pair"),
    (lambda: ch04.check_d_step(no_detach), "detach"),
    (lambda: ch04.check_d_step(no_step), "did not change"),
    (lambda: ch04.check_d_step(bce_instead), "hinge"),
    (lambda: ch04.check_d_step(lambda D, o, r, f: 1 / 0), "ZeroDivisionError"),
    (lambda: ch04.check_generator_loss(lambda l: -torch.log(torch.sigmoid(l)).mean()), "not finite"),
    (lambda: ch04.check_generator_loss(lambda l: torch.log(1 - torch.sigmoid(l)).mean()), "saturating"),
    (lambda: ch04.check_diagnosis("a"), "equilibrium"),
    (lambda: ch04.check_diagnosis("d"), "collapse"),
    (lambda: ch04.check_diagnosis("z"), "one of the letters"),
    (lambda: ch04.check_ema_update(lambda e, m, d: [pe.lerp_(p, d) for pe, p in zip(e.parameters(),
                                                                                    m.parameters())]),
     "swapped"),
    (lambda: ch04.check_slerp(lambda a, b, t: (1 - t) * a + t * b), "lerp"),
])
def test_wrong_answers_explain_the_mistake(call, match):
    with pytest.raises(AssertionError, match=match):
        call()


@pytest.mark.slow
def test_the_diagnosis_run_is_what_the_answer_says():
    run = ch04.diagnosis_run()
    h = run.history
    assert run.step == ch04.DIAGNOSIS_STEPS
    assert abs(h["loss_d"][0] - 2 * math.log(2)) < 0.05           # starts at the equilibrium
    assert h["loss_d"][-1] < 0.05 and h["loss_g"][-1] > 3           # D wins
    assert all(math.isfinite(v) for v in h["loss_d"] + h["loss_g"])
