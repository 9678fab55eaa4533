"""The self-checks of chapter 03: no answer yet, right answers, wrong answers with a hint."""
import pytest
import torch
import torch.nn.functional as F

from helpers.data import load_sample_image
from helpers.exercises import ch03
from helpers.kernels import bilinear_kernel, lstsq_kernel, mse_hessian, standardize


def step_limit():
    photo = standardize(load_sample_image("camera", size=64)[None])
    return 2 / float(torch.linalg.eigvalsh(mse_hessian(photo, 3))[-1])


def test_right_answers_pass(capsys):
    x, y = ch03.noisy_kernel_data()
    assert ch03.check_step_limit(step_limit())
    assert ch03.check_noisy_kernel(lstsq_kernel(x, y, 3))
    assert ch03.check_design_ranks((1, 5))
    assert ch03.check_bilinear_x4(bilinear_kernel(8))
    assert ch03.check_checkerboard_ratio(9 / 4)
    assert capsys.readouterr().out.count("✓ Correct") == 5


@pytest.mark.parametrize("call, match", [
    (lambda: ch03.check_step_limit(step_limit() / 2), "1/λ_max"),
    (lambda: ch03.check_step_limit(-1.0), "positive"),
    (lambda: ch03.check_noisy_kernel(torch.full((3, 3), float("nan"))), "diverged"),
    (lambda: ch03.check_noisy_kernel(torch.zeros(3, 3)), "still far"),
    (lambda: ch03.check_noisy_kernel(ch03.NOISY_KERNEL), "not converged"),
    (lambda: ch03.check_design_ranks((0, 5)), "sum of the kernel"),
    (lambda: ch03.check_design_ranks((1, 25)), "not all 25"),
    (lambda: ch03.check_design_ranks(3), "pair"),
    (lambda: ch03.check_bilinear_x4(torch.ones(8, 8)), "constant"),
    (lambda: ch03.check_bilinear_x4(torch.ones(4, 4)), r"shape \(8, 8\)"),
    (lambda: ch03.check_checkerboard_ratio(1.5), "multiply"),
    (lambda: ch03.check_checkerboard_ratio(2.0), "alternately 3 and 2"),
])
def test_wrong_answers_explain_the_mistake(call, match):
    with pytest.raises(AssertionError, match=match):
        call()
