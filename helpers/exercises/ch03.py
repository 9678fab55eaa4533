"""Self-checks for chapter 03 (learning kernels by gradient descent).

Each ``check_*`` takes the reader's answer. ``None`` (the placeholder in the
notebook) prints a reminder and returns ``None``, so the notebook as stored
runs; a wrong answer raises an ``AssertionError`` with a hint; a right one
prints a confirmation and returns ``True``.

>>> check_checkerboard_ratio(None)
Not answered yet: replace None with your answer and run the cell again.
>>> check_checkerboard_ratio(9 / 4)
✓ Correct: the phases are covered 3·3 = 9, 3·2 = 6, 2·3 = 6 and 2·2 = 4 times: ratio 9/4 = 2.25.
True
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from helpers.exercises._common import answered as _answered
from helpers.exercises._common import is_int, passed, require, require_tensor
from helpers.kernels import bilinear_kernel, lstsq_kernel, make_pairs, patch_matrix, standardize, step_size_limit

#: The data of the "noisy kernel" exercise: photos, hidden kernel, noise.
NOISY_PHOTOS = ("camera", "coins", "grass", "gravel")
NOISY_SIZE = 48
NOISY_SIGMA = 0.5
NOISY_KERNEL = torch.tensor([[0.0, -1.0, 0.5], [1.0, 0.5, -1.0], [0.25, 1.0, 0.0]])


def _camera_64() -> torch.Tensor:
    from helpers.data import load_sample_image

    return standardize(load_sample_image("camera", size=64)[None])


def check_step_limit(answer) -> bool | None:
    """Exercise 3.1: the largest stable learning rate for a 3×3 kernel on the standardised camera photo."""
    if not _answered(answer):
        return None
    require(isinstance(answer, (int, float)) and not isinstance(answer, bool),
            f"the answer should be a number (a learning rate), got {type(answer).__name__}")
    require(math.isfinite(answer) and answer > 0, f"a learning rate must be a positive number, got {answer}")
    photo = _camera_64()
    expected = step_size_limit(photo, 3)
    lam_max = 2 / expected
    require(abs(answer - 1 / lam_max) > 1e-3 * expected,
            "that is 1/λ_max, the step that removes the top direction in one go; the limit is 2/λ_max")
    require(abs(answer - lam_max) > 1e-3 * lam_max,
            "that is λ_max itself; the limit is 2/λ_max")
    require(abs(answer - expected) <= 0.01 * expected,
            f"{answer:.4g} is not right; compute H = mse_hessian(photo, 3), its largest eigenvalue "
            f"λ_max = torch.linalg.eigvalsh(H)[-1], and the limit 2/λ_max")
    passed(f"λ_max = {lam_max:.3f}, so plain gradient descent converges for lr < 2/λ_max = {expected:.4f}.")
    return True


def noisy_kernel_data() -> tuple[torch.Tensor, torch.Tensor]:
    """Photos ``x`` (4, 1, 48, 48), standardised, and noisy targets ``y`` (4, 1, 46, 46) of a hidden 3×3 kernel.

    >>> x, y = noisy_kernel_data()
    >>> tuple(x.shape), tuple(y.shape)
    ((4, 1, 48, 48), (4, 1, 46, 46))
    """
    from helpers.data import load_sample_image

    x = standardize(torch.stack([load_sample_image(n, size=NOISY_SIZE) for n in NOISY_PHOTOS]))
    return x, make_pairs(x, NOISY_KERNEL, noise_std=NOISY_SIGMA, seed=3)


def check_noisy_kernel(kernel) -> bool | None:
    """Exercise 3.2: a kernel learned from :func:`noisy_kernel_data` by gradient descent."""
    if not _answered(kernel):
        return None
    w = require_tensor(kernel, (3, 3), "kernel").double()
    require(bool(torch.isfinite(w).all()),
            "the kernel contains NaN or inf: the learning rate was above the limit 2/λ_max and "
            "gradient descent diverged")
    x, y = noisy_kernel_data()
    best = lstsq_kernel(x.double(), y.double(), 3)
    gap = float((w - best).abs().max())
    start_gap = float(best.abs().max())
    require(gap < 0.5 * start_gap,
            f"the kernel is still far from the answer (max difference {gap:.3g}); did the loop run, "
            f"and does it apply F.conv2d(x, w[None, None]) without padding?")
    require(gap < 1e-3,
            f"close, but not converged: the kernel differs from the best one by up to {gap:.2g} "
            f"(allowed 1e-3); run more steps or use a learning rate closer to step_size_limit(x, 3)")
    error = float((w - NOISY_KERNEL.double()).abs().max())
    passed(f"your kernel matches the least-squares kernel of the noisy data to {gap:.1e}; "
           f"it is {error:.3f} away from the hidden kernel, which is as close as these data allow.")
    return True


def check_design_ranks(answer) -> bool | None:
    """Exercise 3.3: the ranks of the 5×5 design matrix of a constant image and of vertical stripes."""
    if not _answered(answer):
        return None
    require(isinstance(answer, (tuple, list)) and len(answer) == 2,
            f"the answer should be a pair (rank for the constant image, rank for the stripes), got {answer!r}")
    require(all(is_int(a) for a in answer),
            "both ranks should be ints")
    constant = torch.full((1, 1, 32, 32), 0.5, dtype=torch.float64)
    stripes = torch.rand(1, 1, 1, 32, generator=torch.Generator().manual_seed(0),
                         dtype=torch.float64).expand(1, 1, 32, 32)
    expected = tuple(int(torch.linalg.matrix_rank(patch_matrix(img, 5))) for img in (constant, stripes))
    require(answer[0] != 0, "a constant (non-zero) image does determine something: the sum of the kernel")
    require(answer[0] == expected[0],
            f"constant image: {answer[0]} is not right; every row of A is the same vector, so how many "
            f"independent rows are there?")
    require(answer[1] != 25, "stripes: not all 25 directions are seen; the rows of a patch are identical")
    require(answer[1] == expected[1],
            f"stripes: {answer[1]} is not right; a patch is one row of 5 values repeated 5 times, so the "
            f"output depends on the kernel only through its column sums")
    passed(f"ranks {expected}: a constant image determines only the kernel's sum; vertical stripes "
           f"determine its 5 column sums and nothing about its vertical profile.")
    return True


def check_bilinear_x4(kernel) -> bool | None:
    """Exercise 3.4: the 8×8 FCN bilinear kernel of ``ConvTranspose2d(k=8, s=4, p=2)``."""
    if not _answered(kernel):
        return None
    w = require_tensor(kernel, (8, 8), "kernel").float()
    x = torch.rand(1, 1, 12, 12, generator=torch.Generator().manual_seed(0))
    up = F.conv_transpose2d(x, w[None, None], stride=4, padding=2)
    require(tuple(up.shape[-2:]) == (48, 48), f"the output should be 48×48, got {tuple(up.shape[-2:])}")
    reference = F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)
    flat = F.conv_transpose2d(torch.ones(1, 1, 12, 12), w[None, None], stride=4, padding=2)[..., 8:-8, 8:-8]
    require(float((flat - 1).abs().max()) < 1e-4,
            f"a constant image does not stay constant (values {float(flat.min()):.3g} … "
            f"{float(flat.max()):.3g}): the two taps each output pixel receives per axis must sum to 1")
    require(torch.allclose(w, w.flip(0, 1), atol=1e-6), "the kernel should be symmetric about its centre")
    gap = float((up - reference)[..., 8:-8, 8:-8].abs().max())
    require(gap < 1e-4,
            f"the layer differs from bilinear interpolation by up to {gap:.3g}; use the profile "
            f"1 − |i − 3.5| / 4 for i = 0 … 7 and take its outer product")
    require(torch.allclose(w, bilinear_kernel(8), atol=1e-5), "close, but not the FCN kernel")
    passed("ConvTranspose2d(k=8, s=4, p=2) with this kernel is bilinear ×4 upsampling away from the border.")
    return True


def check_checkerboard_ratio(answer) -> bool | None:
    """Exercise 3.5: brightest/darkest output of ``ConvTranspose2d(k=5, s=2)`` with equal weights on a constant image."""
    if not _answered(answer):
        return None
    require(isinstance(answer, (int, float)) and not isinstance(answer, bool),
            f"the answer should be a number, got {type(answer).__name__}")
    up = F.conv_transpose2d(torch.ones(1, 1, 12, 12), torch.ones(1, 1, 5, 5), stride=2)[..., 6:-6, 6:-6]
    expected = float(up.max() / up.min())
    require(abs(answer - 1.5) > 1e-6,
            "1.5 = 3/2 is the ratio along one axis; in 2-D the counts of the two axes multiply")
    require(abs(answer - expected) < 1e-6,
            f"{answer} is not right; along one axis the stamps (5 wide, 2 apart) cover pixels "
            f"alternately 3 and 2 times")
    passed("the phases are covered 3·3 = 9, 3·2 = 6, 2·3 = 6 and 2·2 = 4 times: ratio 9/4 = 2.25.")
    return True
