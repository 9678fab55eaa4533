"""Learning kernels from data (chapter 03): least squares, step sizes, upsampling, deblurring.

A convolution is linear in its kernel, so "learn the kernel that maps these
inputs to these targets" is a linear least-squares problem. This module holds
the pieces chapter 03 teaches and later chapters reuse:

* data: :func:`standardize` images, :func:`make_pairs` (input → target made
  with a hidden kernel, optionally noisy);
* the closed-form answer: :func:`patch_matrix` (the design matrix, one image
  patch per row, built with ``F.unfold``), :func:`lstsq_kernel`, and
  :func:`design_matrix` for *any* operation that is linear in its kernel
  (transposed convolution, resize-convolution);
* how fast gradient descent can go: :func:`mse_hessian` and
  :func:`step_size_limit` (``2 / λ_max``);
* upsampling: :func:`bilinear_kernel` (the FCN initialisation of a
  transposed convolution), :func:`phase_means` and
  :func:`checkerboard_strength` (how much a ×s upsampler's output depends
  on the output pixel's position modulo s);
* evaluation and classical deblurring: :func:`psnr_per_image`,
  :func:`power_spectrum` (the signal spectrum the Wiener filter needs) and,
  re-exported from :mod:`helpers.imaging` where chapter 02's inverse filter
  lives (one implementation of Fourier deconvolution),
  :func:`~helpers.imaging.regularized_deconvolve` (Wiener with a flat
  noise-to-signal ratio, or Hunt's constrained least squares with
  :data:`LAPLACIAN`) and :func:`~helpers.imaging.wiener_deconvolve`.

Kernels follow PyTorch's convention (``F.conv2d`` is a cross-correlation:
no flip), so a kernel found here can be copied into an ``nn.Conv2d``.

>>> import torch
>>> from helpers.kernels import make_pairs, lstsq_kernel
>>> x = torch.randn(2, 1, 16, 16, dtype=torch.float64)
>>> k = torch.randn(3, 3, dtype=torch.float64)
>>> y = make_pairs(x, k)                     # (2, 1, 14, 14): "valid" convolution
>>> bool(torch.allclose(lstsq_kernel(x, y, 3), k))
True
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from helpers.checks import check_image_batch, check_int, check_kernel, check_number, check_tensor
from helpers.imaging import fft_power, psnr, regularized_deconvolve, wiener_deconvolve  # noqa: F401 (re-exported)

#: The 3×3 discrete Laplacian: the roughness penalty of Hunt's constrained least squares.
LAPLACIAN = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])


# ---------------------------------------------------------------- checks


def _crop_border(x: torch.Tensor, border: int, what: str) -> torch.Tensor:
    """``x`` without ``border`` pixels on each side of its last two axes."""
    if not border:
        return x
    if min(x.shape[-2:]) <= 2 * border:
        raise ValueError(f"border={border} crops away the whole {tuple(x.shape[-2:])} {what}")
    return x[..., border:-border, border:-border]


def _check_fits(images: torch.Tensor, kernel_size: int) -> None:
    h, w = images.shape[-2:]
    if kernel_size > min(h, w):
        raise ValueError(f"a {kernel_size}×{kernel_size} kernel does not fit in {h}×{w} images")


# ---------------------------------------------------------------- data


def standardize(images: torch.Tensor) -> torch.Tensor:
    """Each image shifted and scaled to mean 0 and standard deviation 1.

    Taught in chapter 03, §3.1 (The five steps, made concrete).

    Subtracting the mean removes the one huge eigenvalue that mean brightness
    puts into the least-squares problem (chapter 03, section 2), so gradient
    descent can take much larger steps. A constant image has no scale and
    raises ``ValueError``.

    >>> z = standardize(torch.rand(3, 1, 8, 8))
    >>> bool(z.mean().abs() < 1e-6), round(float(z.std(dim=(2, 3)).mean()), 4)
    (True, 1.0)
    """
    images = check_image_batch(images)
    mean = images.mean(dim=(2, 3), keepdim=True)
    std = images.std(dim=(2, 3), keepdim=True)
    if bool((std == 0).any()):
        flat = (std.flatten() == 0).nonzero().flatten().tolist()
        raise ValueError(f"images {flat} are constant: they have no contrast to scale to 1")
    return (images - mean) / std


def make_pairs(images: torch.Tensor, kernel: torch.Tensor, noise_std: float = 0.0,
               seed: int = 0) -> torch.Tensor:
    """Targets ``F.conv2d(images, kernel)`` ("valid": no padding), plus Gaussian noise.

    Taught in chapter 03, §3.1 (The five steps, made concrete).

    ``images`` is ``(N, 1, H, W)``, ``kernel`` ``(k, k)``; the targets are
    ``(N, 1, H − k + 1, W − k + 1)``. The noise (standard deviation
    ``noise_std``) is drawn from a generator seeded with ``seed``, so the
    same call gives the same targets.

    >>> make_pairs(torch.zeros(2, 1, 10, 10), torch.ones(3, 3), noise_std=0.1).shape
    torch.Size([2, 1, 8, 8])
    """
    images = check_image_batch(images)
    kernel = check_kernel(kernel)
    _check_fits(images, max(kernel.shape))
    noise_std = check_number(noise_std, "noise_std", 0)
    targets = F.conv2d(images, kernel.to(images)[None, None])
    if noise_std > 0:
        generator = torch.Generator().manual_seed(seed)
        noise = torch.randn(targets.shape, generator=generator, dtype=targets.dtype)
        targets = targets + noise_std * noise.to(targets.device)
    return targets


# ---------------------------------------------------------------- least squares


def patch_matrix(images: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """The design matrix ``A``: one row per output pixel, the ``k·k`` input pixels under the kernel.

    Taught in chapter 03, §3.2 (The closed-form answer, and the step-size limit).

    Row order is that of ``F.conv2d(images, w).flatten()`` and column order
    that of ``w.flatten()``, so ``A @ w.flatten()`` equals the convolution:

    >>> x, w = torch.randn(2, 1, 6, 6), torch.randn(3, 3)
    >>> A = patch_matrix(x, 3)                              # (2·4·4, 9)
    >>> A.shape, bool(torch.allclose(A @ w.flatten(), F.conv2d(x, w[None, None]).flatten(), atol=1e-5))
    (torch.Size([32, 9]), True)
    """
    images = check_image_batch(images)
    k = check_int(kernel_size, "kernel_size", 1)
    _check_fits(images, k)
    patches = F.unfold(images, k)                   # (N, k·k, L): one column per output pixel
    return patches.transpose(1, 2).reshape(-1, k * k)


def _check_targets(images: torch.Tensor, targets, k: int) -> torch.Tensor:
    check_tensor(targets, "targets", allow_empty=True)
    n, _, h, w = images.shape
    expected = (n, 1, h - k + 1, w - k + 1)
    if tuple(targets.shape) != expected:
        raise ValueError(
            f"targets must have the shape of a valid {k}×{k} convolution of the images, {expected}, "
            f"got {tuple(targets.shape)}"
        )
    return targets


def lstsq_kernel(images: torch.Tensor, targets: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """The ``k×k`` kernel ``w`` minimising ``‖F.conv2d(images, w) − targets‖²``.

    Taught in chapter 03, §3.2 (The closed-form answer, and the step-size limit).

    Solved with ``torch.linalg.lstsq`` in float64 (the minimum-norm solution
    when the images do not determine the kernel, e.g. a constant image);
    returned in the images' dtype.

    >>> x = torch.randn(1, 1, 12, 12)
    >>> w = torch.tensor([[0., 1., 0.], [1., -4., 1.], [0., 1., 0.]])
    >>> bool((lstsq_kernel(x, F.conv2d(x, w[None, None]), 3) - w).abs().max() < 1e-4)
    True
    """
    images = check_image_batch(images)
    k = check_int(kernel_size, "kernel_size", 1)
    targets = _check_targets(images, targets, k)
    A = patch_matrix(images.double(), k)
    b = targets.double().reshape(-1, 1)
    driver = "gelsd" if A.device.type == "cpu" else None   # gelsd handles rank-deficient A
    solution = torch.linalg.lstsq(A, b, driver=driver).solution
    return solution.reshape(k, k).to(images.dtype)


def design_matrix(apply: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], inputs: torch.Tensor,
                  kernel_shape, border: int = 0) -> torch.Tensor:
    """The matrix of any operation that is linear in its kernel, column by column.

    Taught in chapter 03, §3.4 (The same recipe for a transposed convolution).

    ``apply(inputs, kernel)`` must be linear in ``kernel`` (a tensor of
    ``kernel_shape``); column ``j`` of the result is ``apply`` with the
    ``j``-th one-hot kernel, flattened, after cropping ``border`` pixels
    from each side of the output. Then ``lstsq(A, target.flatten())`` is the
    best kernel for that operation — a transposed convolution, a
    resize-convolution, anything linear. Returned in float64.

    >>> x = torch.randn(1, 1, 5, 5)
    >>> conv = lambda inp, w: F.conv2d(inp, w[None, None])
    >>> bool(torch.allclose(design_matrix(conv, x, (3, 3)), patch_matrix(x, 3).double()))
    True
    """
    if not callable(apply):
        raise TypeError(f"apply must be a function (inputs, kernel) -> output, not {type(apply).__name__}")
    shape = tuple(int(s) for s in kernel_shape)
    border = check_int(border, "border", 0)
    n_params = math.prod(shape)
    columns = []
    with torch.no_grad():
        for j in range(n_params):
            one_hot = torch.zeros(n_params, dtype=inputs.dtype, device=inputs.device)
            one_hot[j] = 1.0
            out = _crop_border(apply(inputs, one_hot.reshape(shape)), border, "output")
            columns.append(out.reshape(-1).double())
    return torch.stack(columns, dim=1)


def mse_hessian(images: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Hessian of the mean-squared-error loss with respect to a ``k×k`` kernel.

    Taught in chapter 03, §3.2 (The closed-form answer, and the step-size limit).

    The loss ``mean((A w − y)²)`` over ``M`` output pixels is quadratic in
    ``w``; its Hessian is ``2 AᵀA / M`` (float64, ``k² × k²``), the same at
    every ``w`` and independent of the targets.

    >>> H = mse_hessian(torch.randn(2, 1, 8, 8), 3)
    >>> H.shape, bool(torch.allclose(H, H.T))
    (torch.Size([9, 9]), True)
    """
    A = patch_matrix(images, kernel_size).double()
    return 2.0 * A.T @ A / A.shape[0]


def step_size_limit(images: torch.Tensor, kernel_size: int) -> float:
    """The largest learning rate for which plain gradient descent on the MSE loss converges: ``2 / λ_max``.

    Taught in chapter 03, §3.2 (The closed-form answer, and the step-size limit).

    Gradient descent multiplies the error along the Hessian's eigenvector
    ``i`` by ``(1 − lr·λ_i)`` each step; it shrinks for every ``i`` exactly
    when ``lr < 2 / λ_max``.

    >>> x = torch.randn(4, 1, 16, 16)
    >>> lam = float(torch.linalg.eigvalsh(mse_hessian(x, 3))[-1])
    >>> abs(step_size_limit(x, 3) - 2 / lam) < 1e-12
    True
    """
    lam_max = float(torch.linalg.eigvalsh(mse_hessian(images, kernel_size))[-1])
    if lam_max <= 0:
        raise ValueError("the images are all zero: the loss does not depend on the kernel")
    return 2.0 / lam_max


# ---------------------------------------------------------------- upsampling


def bilinear_kernel(kernel_size: int = 4) -> torch.Tensor:
    """The ``k×k`` kernel that makes a transposed convolution a bilinear upsampler.

    Taught in chapter 03, §3.4 (The same recipe for a transposed convolution).

    The initialisation of fully convolutional networks (Long et al., 2015):
    for an upsampling factor ``f`` use ``k = 2f − f mod 2``, stride ``f`` and
    padding ``(k − f) // 2`` (k=4, s=2, p=1 for ×2). Away from the border,
    ``conv_transpose2d(x, bilinear_kernel(4), stride=2, padding=1)`` equals
    ``F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)``.

    >>> bilinear_kernel(4)[0].tolist()
    [0.0625, 0.1875, 0.1875, 0.0625]
    """
    k = check_int(kernel_size, "kernel_size", 1)
    factor = (k + 1) // 2
    centre = factor - 1 if k % 2 == 1 else factor - 0.5
    profile = 1.0 - (torch.arange(k, dtype=torch.float32) - centre).abs() / factor
    return torch.outer(profile, profile)


def phase_means(output: torch.Tensor, stride: int = 2, border: int = 0) -> torch.Tensor:
    """Mean of each of the ``stride × stride`` sub-lattices ("phases") of an upsampled image.

    Taught in chapter 03, §3.4 (The same recipe for a transposed convolution).

    Entry ``[a, b]`` averages the pixels ``output[..., a::stride, b::stride]``
    after cropping ``border`` pixels from each side. For a constant input, a
    ×``stride`` upsampler without checkerboard gives equal phase means.

    >>> phase_means(torch.tensor([[1., 2.], [3., 4.]]).repeat(3, 3))
    tensor([[1., 2.],
            [3., 4.]])
    """
    check_tensor(output, "output", allow_empty=True)
    s = check_int(stride, "stride", 1)
    border = check_int(border, "border", 0)
    if output.dim() < 2:
        raise ValueError(f"output must have at least 2 dimensions (…, H, W), got shape {tuple(output.shape)}")
    output = output.detach()                        # a measurement: no gradient needed
    if border:
        output = output[..., border:-border, border:-border]
    if min(output.shape[-2:]) < s:
        raise ValueError(f"after cropping, the {tuple(output.shape[-2:])} output is smaller than one {s}×{s} tile")
    return torch.stack([torch.stack([output[..., a::s, b::s].mean() for b in range(s)])
                        for a in range(s)])


def checkerboard_strength(output: torch.Tensor, stride: int = 2, border: int = 0) -> float:
    """How strongly the output's brightness depends on the position modulo ``stride`` (0 = not at all).

    Taught in chapter 03, §3.4 (The same recipe for a transposed convolution).

    ``std(phase means) / rms(phase means)``, between 0 (every phase equally
    bright) and 1 (the phases alone, with no common brightness). Measured on the output for a *constant* input it is the
    checkerboard of uneven kernel overlap (Odena et al., 2016); on an
    image it also picks up real content at the Nyquist frequency.

    >>> pure = torch.tensor([[1., -1.], [-1., 1.]]).repeat(4, 4)    # a ±1 checkerboard
    >>> checkerboard_strength(torch.ones(8, 8)), checkerboard_strength(pure)
    (0.0, 1.0)
    """
    means = phase_means(output, stride, border).double()
    rms = float(means.pow(2).mean().sqrt())
    if rms == 0:
        return 0.0
    return float(means.std(unbiased=False)) / rms


# ---------------------------------------------------------------- evaluation and deblurring


def psnr_per_image(prediction: torch.Tensor, target: torch.Tensor, border: int = 0,
                   data_range: float = 1.0) -> torch.Tensor:
    """PSNR (dB) of every image of a batch ``(N, C, H, W)``, ignoring ``border`` pixels at each side.

    Taught in chapter 03, §3.4 (The same recipe for a transposed convolution).

    Uses :func:`helpers.imaging.psnr` image by image; average the result for
    a table (the mean of per-image PSNRs, not the PSNR of the pooled error).

    >>> t = torch.zeros(2, 1, 8, 8)
    >>> [round(v, 2) for v in psnr_per_image(t + 0.1, t, border=2).tolist()]
    [20.0, 20.0]
    """
    for name, t in (("prediction", prediction), ("target", target)):
        check_tensor(t, name, (4,), "(N, C, H, W)")
    if prediction.shape != target.shape:
        raise ValueError(f"prediction and target must have the same shape, got "
                         f"{tuple(prediction.shape)} and {tuple(target.shape)}")
    border = check_int(border, "border", 0)
    prediction, target = _crop_border(prediction, border, "image"), _crop_border(target, border, "image")
    return torch.tensor([psnr(p, t, data_range) for p, t in zip(prediction, target)])


def power_spectrum(images: torch.Tensor, pad: int = 0) -> torch.Tensor:
    """Mean ``|FFT|²`` of ``(N, C, H, W)`` images, mirrored by ``pad`` pixels first: ``(H+2p, W+2p)``.

    Taught in chapter 03, §3.5 (Learning to deblur).

    The signal power spectrum ``S_x(f)`` that the true Wiener filter needs
    (:func:`wiener_deconvolve`), estimated from example images.

    >>> power_spectrum(torch.ones(2, 1, 4, 4))[0, 0].item()
    256.0
    """
    images = check_image_batch(images).double()
    pad = check_int(pad, "pad", 0)
    if pad:
        images = F.pad(images, (pad, pad, pad, pad), mode="reflect")
    return fft_power(images)
