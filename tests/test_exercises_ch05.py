"""The self-checks of chapter 05: right answers pass, wrong ones fail with a helpful message."""

import pytest
import torch
from torch import nn

from helpers.exercises.ch05 import (check_diagnose_conditional, check_footprint_width, check_lowpass_transposed,
                                    check_projection_logit, check_q_sample)


def bilinear_layer():
    layer = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1, bias=False)
    h = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 4
    with torch.no_grad():
        layer.weight.copy_(torch.outer(h, h)[None, None])
    return layer


def right_q_sample(x0, t, noise, alpha_bars):
    abar = alpha_bars[t].view(-1, 1, 1, 1)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def right_projection(phi, y, w, b, emb):
    return phi @ w[0] + b + (emb[y] * phi).sum(1)


def test_right_answers_pass(capsys):
    assert check_footprint_width(2)
    assert check_lowpass_transposed(bilinear_layer())
    assert check_q_sample(right_q_sample)
    assert check_projection_logit(right_projection)
    assert check_diagnose_conditional(" B ")
    assert capsys.readouterr().out.count("✓ Correct") == 5


def random_layer():
    torch.manual_seed(0)
    return nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1)


@pytest.mark.parametrize("call, match", [
    (lambda: check_footprint_width(4), "global view"),
    (lambda: check_footprint_width(7), "cannot be wider"),
    (lambda: check_footprint_width(2.0), "should be an int"),
    (lambda: check_lowpass_transposed(nn.ConvTranspose2d(1, 1, 3, 2, 1)), "keep kernel_size=4"),
    (lambda: check_lowpass_transposed(random_layer()), "checkerboard"),
    (lambda: check_lowpass_transposed(nn.Conv2d(1, 1, 4)), "nn.ConvTranspose2d"),
    (lambda: check_q_sample(lambda x0, t, n, a: a[t].view(-1, 1, 1, 1) * x0 + (1 - a[t].view(-1, 1, 1, 1)) * n),
     "take square roots"),
    (lambda: check_q_sample(lambda x0, t, n, a: x0.flatten(1)), "shape"),
    (lambda: check_projection_logit(lambda phi, y, w, b, e: phi @ w[0] + b), "projection term"),
    (lambda: check_projection_logit(lambda phi, y, w, b, e: phi), "one logit per image"),
    (lambda: check_diagnose_conditional("a"), "label accuracy near 1"),
    (lambda: check_diagnose_conditional("c"), "every class is covered"),
    (lambda: check_diagnose_conditional("d"), "by chance"),
    (lambda: check_diagnose_conditional("e"), "one letter"),
    (lambda: check_diagnose_conditional(2), "one letter"),
])
def test_wrong_answers_say_what_is_wrong(call, match):
    with pytest.raises(AssertionError, match=match):
        call()
