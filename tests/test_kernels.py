"""helpers.kernels (chapter 03) and the chapter's exercise self-checks."""

import math

import pytest
import torch
import torch.nn.functional as F

from helpers.exercises.ch03 import NOISY_KERNEL
from helpers.imaging import blur, gaussian_kernel
from helpers.kernels import (LAPLACIAN, bilinear_kernel, checkerboard_strength, design_matrix, lstsq_kernel,
                             make_pairs, mse_hessian, patch_matrix, phase_means, psnr_per_image,
                             regularized_deconvolve, standardize, step_size_limit)


def _images(n=3, size=20, seed=0, dtype=torch.float64):
    return torch.randn(n, 1, size, size, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# ---------------------------------------------------------------- data


def test_standardize_gives_zero_mean_unit_std_per_image():
    x = torch.rand(4, 1, 10, 10) * torch.tensor([1.0, 3.0, 0.1, 7.0])[:, None, None, None] + 2
    z = standardize(x)
    assert torch.allclose(z.mean(dim=(2, 3)), torch.zeros(4, 1), atol=1e-5)
    assert torch.allclose(z.std(dim=(2, 3)), torch.ones(4, 1), atol=1e-5)


def test_standardize_rejects_a_constant_image_and_bad_shapes():
    x = torch.rand(3, 1, 8, 8)
    x[1] = 0.5
    with pytest.raises(ValueError, match=r"images \[1\] are constant"):
        standardize(x)
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        standardize(torch.rand(1, 8, 8))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        standardize(torch.rand(2, 3, 8, 8))
    with pytest.raises(TypeError, match="floating point"):
        standardize(torch.ones(1, 1, 4, 4, dtype=torch.long))


def test_make_pairs_is_a_valid_cross_correlation_with_reproducible_noise():
    x, k = _images(), torch.randn(3, 5, dtype=torch.float64)
    y = make_pairs(x, k)
    assert y.shape == (3, 1, 18, 16)
    assert torch.allclose(y, F.conv2d(x, k[None, None]))
    # no flip: an off-centre one-hot kernel reads the pixel at its own offset
    shift = torch.zeros(3, 3, dtype=torch.float64)
    shift[0, 2] = 1.0
    assert torch.equal(make_pairs(x, shift), x[..., 0:18, 2:20])
    noisy_a, noisy_b = make_pairs(x, k, 0.1, seed=4), make_pairs(x, k, 0.1, seed=4)
    assert torch.equal(noisy_a, noisy_b)
    assert 0.08 < float((noisy_a - y).std()) < 0.12
    assert not torch.equal(noisy_a, make_pairs(x, k, 0.1, seed=5))


@pytest.mark.parametrize("call, error, match", [
    (lambda: make_pairs(torch.rand(1, 1, 4, 4), torch.ones(5, 5)), ValueError, "does not fit"),
    (lambda: make_pairs(torch.rand(1, 1, 8, 8), torch.ones(1, 3, 3)), ValueError, "2-D"),
    (lambda: make_pairs(torch.rand(1, 1, 8, 8), torch.ones(3, 3), noise_std=-1), ValueError, "noise_std"),
    (lambda: make_pairs(torch.rand(1, 1, 8, 8), [[1.0]]), TypeError, "torch.Tensor"),
    (lambda: make_pairs("image", torch.ones(3, 3)), TypeError, "torch.Tensor"),
    (lambda: make_pairs(torch.rand(0, 1, 8, 8), torch.ones(3, 3)), ValueError, "empty"),
])
def test_make_pairs_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- least squares


def test_patch_matrix_times_kernel_is_the_convolution():
    x, w = _images(2, 9), torch.randn(4, 4, dtype=torch.float64)
    A = patch_matrix(x, 4)
    assert A.shape == (2 * 6 * 6, 16)
    assert torch.allclose(A @ w.flatten(), F.conv2d(x, w[None, None]).flatten())


def test_lstsq_recovers_the_hidden_kernel_without_noise():
    x, k = _images(), torch.randn(5, 5, dtype=torch.float64)
    assert torch.allclose(lstsq_kernel(x, make_pairs(x, k), 5), k, atol=1e-10)
    # float32 in, float32 out, still accurate
    x32 = x.float()
    w32 = lstsq_kernel(x32, make_pairs(x32, k.float()), 5)
    assert w32.dtype == torch.float32 and float((w32 - k.float()).abs().max()) < 1e-4


def test_lstsq_error_with_noise_matches_the_covariance_formula():
    x, k = _images(4, 24), torch.randn(3, 3, dtype=torch.float64)
    A = patch_matrix(x, 3)
    sigma = 0.5
    predicted = sigma * math.sqrt(float(torch.linalg.inv(A.T @ A).trace()) / 9)
    measured = sum(float((lstsq_kernel(x, make_pairs(x, k, sigma, seed=s), 3) - k).pow(2).mean().sqrt())
                   for s in range(20)) / 20
    assert 0.7 < measured / predicted < 1.3


def test_lstsq_on_a_constant_image_returns_the_minimum_norm_kernel():
    x = torch.full((1, 1, 12, 12), 0.5, dtype=torch.float64)
    k = torch.randn(3, 3, dtype=torch.float64)
    w = lstsq_kernel(x, make_pairs(x, k), 3)
    assert torch.allclose(w, torch.full((3, 3), float(k.sum()) / 9, dtype=torch.float64), atol=1e-10)


def test_lstsq_rejects_targets_of_the_wrong_shape():
    x = _images()
    with pytest.raises(ValueError, match=r"targets must have the shape .*\(3, 1, 18, 18\)"):
        lstsq_kernel(x, torch.zeros(3, 1, 20, 20, dtype=torch.float64), 3)
    with pytest.raises(ValueError, match=r"\(3, 1, 16, 16\)"):
        lstsq_kernel(x, torch.zeros(2, 1, 16, 16, dtype=torch.float64), 5)
    with pytest.raises(TypeError, match="targets"):
        lstsq_kernel(x, None, 3)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        lstsq_kernel(x, torch.zeros(3, 1, 20, 20), 0)
    with pytest.raises(TypeError, match="kernel_size must be an int"):
        patch_matrix(x, 2.5)


def test_design_matrix_of_a_transposed_convolution():
    lo = _images(2, 6)
    w = torch.randn(4, 4, dtype=torch.float64)
    apply = lambda inp, k: F.conv_transpose2d(inp, k[None, None], stride=2, padding=1)
    A = design_matrix(apply, lo, (4, 4))
    assert A.shape == (2 * 12 * 12, 16)
    assert torch.allclose(A @ w.flatten(), apply(lo, w).flatten())
    # with a border, the rows of the cropped pixels are dropped
    A_inner = design_matrix(apply, lo, (4, 4), border=2)
    assert A_inner.shape == (2 * 8 * 8, 16)
    with pytest.raises(ValueError, match="crops away"):
        design_matrix(apply, lo, (4, 4), border=6)
    with pytest.raises(TypeError, match="apply must be a function"):
        design_matrix("conv", lo, (4, 4))


def test_hessian_matches_autograd_and_step_limit_is_2_over_lambda_max():
    x, y = _images(2, 12), _images(2, 10, seed=1)
    H = mse_hessian(x, 3)
    loss = lambda v: F.mse_loss(F.conv2d(x, v.reshape(1, 1, 3, 3)), y)
    assert torch.allclose(H, torch.autograd.functional.hessian(loss, torch.zeros(9, dtype=torch.float64)))
    lam_max = float(torch.linalg.eigvalsh(H)[-1])
    assert step_size_limit(x, 3) == pytest.approx(2 / lam_max, rel=1e-12)
    with pytest.raises(ValueError, match="all zero"):
        step_size_limit(torch.zeros(1, 1, 6, 6), 3)


@pytest.mark.parametrize("factor, converges", [(0.95, True), (1.05, False)])
def test_gradient_descent_converges_below_and_diverges_above_the_limit(factor, converges):
    x, k = _images(2, 16), torch.randn(3, 3, dtype=torch.float64)
    y = make_pairs(x, k)
    lr = factor * step_size_limit(x, 3)
    w = torch.zeros(3, 3, dtype=torch.float64, requires_grad=True)
    first = None
    for _ in range(300):
        loss = F.mse_loss(F.conv2d(x, w[None, None]), y)
        first = first if first is not None else float(loss.detach())
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
    if converges:
        assert float((w.detach() - k).abs().max()) < 1e-6
    else:
        assert float(loss.detach()) > 1e6 * first


# ---------------------------------------------------------------- upsampling


def test_bilinear_kernel_is_the_fcn_kernel_and_interpolates_bilinearly():
    assert torch.allclose(bilinear_kernel(4)[1], torch.tensor([0.1875, 0.5625, 0.5625, 0.1875]))
    assert torch.allclose(bilinear_kernel(3)[1], torch.tensor([0.5, 1.0, 0.5]))
    x = torch.rand(1, 1, 10, 10)
    for factor in (2, 3, 4):
        k = 2 * factor - factor % 2
        up = F.conv_transpose2d(x, bilinear_kernel(k)[None, None], stride=factor, padding=(k - factor) // 2)
        reference = F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
        if factor % 2 == 0:         # even factors: the FCN kernel is align_corners=False bilinear exactly
            assert up.shape == reference.shape
            m = 2 * factor
            assert torch.allclose(up[..., m:-m, m:-m], reference[..., m:-m, m:-m], atol=1e-6)
        # any factor: a constant stays constant away from the border
        flat = F.conv_transpose2d(torch.ones(1, 1, 10, 10), bilinear_kernel(k)[None, None], stride=factor,
                                  padding=(k - factor) // 2)
        assert torch.allclose(flat[..., 2 * factor:-2 * factor, 2 * factor:-2 * factor], torch.ones(1))
    with pytest.raises(ValueError, match="kernel_size"):
        bilinear_kernel(0)


def test_phase_means_and_checkerboard_strength():
    pattern = torch.tensor([[1.0, 2.0], [2.0, 4.0]]).repeat(5, 5)          # k=3, s=2 overlap counts
    assert torch.equal(phase_means(pattern), torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    assert torch.equal(phase_means(pattern, border=1), torch.tensor([[4.0, 2.0], [2.0, 1.0]]))
    expected = float(torch.tensor([1.0, 2, 2, 4]).std(unbiased=False) / torch.tensor([1.0, 2, 2, 4]).pow(2).mean().sqrt())
    assert checkerboard_strength(pattern) == pytest.approx(expected)
    assert checkerboard_strength(torch.full((6, 6), 3.0)) == 0.0
    assert checkerboard_strength(torch.zeros(6, 6)) == 0.0
    assert phase_means(torch.arange(36.0).reshape(6, 6), stride=3).shape == (3, 3)
    with pytest.raises(ValueError, match="smaller than one"):
        phase_means(torch.ones(4, 4), border=2)
    with pytest.raises(TypeError, match="torch.Tensor"):
        checkerboard_strength([[1.0]])


def test_transposed_k3_checkerboards_and_k4_does_not_with_equal_weights():
    flat = torch.ones(1, 1, 12, 12)
    k3 = F.conv_transpose2d(flat, torch.ones(1, 1, 3, 3), stride=2, padding=1, output_padding=1)
    k4 = F.conv_transpose2d(flat, torch.ones(1, 1, 4, 4), stride=2, padding=1)
    assert checkerboard_strength(k3, border=4) > 0.4
    assert checkerboard_strength(k4, border=4) < 1e-7


# ---------------------------------------------------------------- evaluation and deblurring


def test_psnr_per_image():
    target = torch.zeros(3, 1, 10, 10)
    prediction = target + torch.tensor([0.1, 0.01, 0.0])[:, None, None, None]
    prediction[0, 0, 0, 0] = 1.0                                             # only in the border
    scores = psnr_per_image(prediction, target, border=1)
    assert scores[0].item() == pytest.approx(20.0) and scores[1].item() == pytest.approx(40.0)
    assert math.isinf(scores[2].item())
    with pytest.raises(ValueError, match="same shape"):
        psnr_per_image(prediction, target[:2])
    with pytest.raises(ValueError, match="4-D"):
        psnr_per_image(prediction[0], target[0])
    with pytest.raises(ValueError, match="crops away"):
        psnr_per_image(prediction, target, border=5)


def test_regularized_deconvolve_inverts_a_circular_blur_and_helps_with_noise():
    x = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    k = gaussian_kernel(5, 1.0, dtype=torch.float64)
    assert torch.allclose(regularized_deconvolve(blur(x, k, mode="circular"), k, 0.0), x, atol=1e-8)
    # Wiener: weight 0 with noise is worse than a small weight (the noise is amplified)
    noisy = blur(x, k, mode="circular") + 0.01 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1),
                                                             dtype=torch.float64)
    err = lambda restored: float((restored - x).pow(2).mean())
    assert err(regularized_deconvolve(noisy, k, 1e-2)) < err(regularized_deconvolve(noisy, k, 1e-9))
    assert err(regularized_deconvolve(noisy, k, 1e-2, regularizer=LAPLACIAN)) < err(noisy)
    # padding keeps the shape and the dtype
    out = regularized_deconvolve(blur(x.float(), k.float()), k, 1e-3, pad=8)
    assert out.shape == x.shape and out.dtype == torch.float32


def test_regularized_deconvolve_bad_input():
    y, k = torch.rand(1, 1, 8, 8), gaussian_kernel(3, 1.0)
    with pytest.raises(ValueError, match="weight"):
        regularized_deconvolve(y, k, -1.0)
    # one implementation with inverse_filter: (H, W), (C, H, W), (N, C, H, W) all work, alike
    assert torch.equal(regularized_deconvolve(y[0, 0], k, 0.1), regularized_deconvolve(y, k, 0.1)[0, 0])
    with pytest.raises(ValueError, match=r"\(H, W\), \(C, H, W\) or \(N, C, H, W\)"):
        regularized_deconvolve(y[None], k, 0.1)
    with pytest.raises(TypeError, match="weight must be a number"):
        regularized_deconvolve(y, k, "0.1")
    with pytest.raises(ValueError, match="pad"):
        regularized_deconvolve(y, k, 0.1, pad=8)


# ---------------------------------------------------------------- the exercises


def test_exercise_checks_accept_right_answers(capsys):
    from helpers.exercises import ch03

    photo = ch03._camera_64()
    ch03.check_step_limit(2 / float(torch.linalg.eigvalsh(mse_hessian(photo, 3))[-1]))
    x, y = ch03.noisy_kernel_data()
    ch03.check_noisy_kernel(lstsq_kernel(x, y, 3))
    ch03.check_design_ranks((1, 5))
    profile = 1 - (torch.arange(8.0) - 3.5).abs() / 4
    ch03.check_bilinear_x4(torch.outer(profile, profile))
    ch03.check_checkerboard_ratio(2.25)
    assert capsys.readouterr().out.count("✓ Correct") == 5


@pytest.mark.parametrize("check, answer, match", [
    ("check_step_limit", lambda lam: 1.0, "not right"),
    ("check_step_limit", lambda lam: -0.1, "positive"),
    ("check_step_limit", lambda lam: "0.1", "should be a number"),
    ("check_step_limit", lambda lam: 1 / lam, "1/λ_max"),
    ("check_step_limit", lambda lam: lam, "λ_max itself"),
    ("check_noisy_kernel", lambda lam: torch.zeros(3, 3), "still far"),
    ("check_noisy_kernel", lambda lam: torch.zeros(2, 2), r"shape \(3, 3\)"),
    ("check_noisy_kernel", lambda lam: torch.full((3, 3), float("nan")), "diverged"),
    ("check_noisy_kernel", lambda lam: NOISY_KERNEL, "not converged"),
    ("check_design_ranks", lambda lam: (1, 25), "not all 25"),
    ("check_design_ranks", lambda lam: (0, 5), "sum of the kernel"),
    ("check_design_ranks", lambda lam: (2, 5), "constant image"),
    ("check_design_ranks", lambda lam: (1, 4), "column sums"),
    ("check_design_ranks", lambda lam: 1, "pair"),
    ("check_bilinear_x4", lambda lam: torch.ones(8, 8), "does not stay constant"),
    ("check_bilinear_x4", lambda lam: bilinear_kernel(4), r"shape \(8, 8\)"),
    ("check_checkerboard_ratio", lambda lam: 1.5, "multiply"),
    ("check_checkerboard_ratio", lambda lam: 4.0, "alternately 3 and 2"),
])
def test_exercise_checks_explain_wrong_answers(check, answer, match):
    from helpers.exercises import ch03

    lam = float(torch.linalg.eigvalsh(mse_hessian(ch03._camera_64(), 3))[-1])
    with pytest.raises(AssertionError, match=match):
        getattr(ch03, check)(answer(lam))


# ----------------------------------------------------------------------------- issue 11 additions

def test_wiener_with_a_flat_spectrum_is_the_flat_nsr_filter_and_checks_its_input():
    import torch

    from helpers.imaging import blur, gaussian_kernel
    from helpers.kernels import power_spectrum, regularized_deconvolve, wiener_deconvolve

    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 1, 24, 24, generator=g, dtype=torch.float64)
    k = gaussian_kernel(5, 1.0, dtype=torch.float64)
    y = blur(x, k) + 0.01 * torch.randn(x.shape, generator=g, dtype=torch.float64)
    noise, nsr = 0.01, 0.02
    flat = torch.full((24, 24), noise**2 * 24 * 24 / nsr, dtype=torch.float64)   # S_n / S_x = nsr
    assert torch.allclose(wiener_deconvolve(y, k, noise, flat), regularized_deconvolve(y, k, nsr))
    spectrum = power_spectrum(x, pad=4)
    assert spectrum.shape == (32, 32)
    assert wiener_deconvolve(y, k, noise, spectrum, pad=4).shape == y.shape
    with pytest.raises(ValueError, match="shape"):
        wiener_deconvolve(y, k, noise, spectrum)                            # not padded alike
    with pytest.raises(ValueError, match="positive"):
        wiener_deconvolve(y, k, noise, torch.zeros(24, 24))
    with pytest.raises(ValueError, match="noise_std"):
        wiener_deconvolve(y, k, -1.0, flat)
