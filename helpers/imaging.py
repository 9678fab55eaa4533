"""Classical image processing: blur kernels, blurring, the inverse filter, PSNR.

These are the tools of *true* deconvolution (undoing a known blur), which
chapter 02 sets beside the transposed convolution of neural networks.
Images are tensors ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)`` (NumPy
arrays work too and come back as NumPy arrays); values are floats, usually in
[0, 1]. Blurring uses the *convolution* convention of optics, scipy and
scikit-image (the kernel, a point-spread function, is flipped), not the
cross-correlation of ``torch.nn.Conv2d``.

>>> import torch
>>> from helpers.imaging import blur, gaussian_kernel, psnr
>>> image = torch.rand(32, 32)
>>> blurred = blur(image, gaussian_kernel(5, sigma=1.0))
>>> blurred.shape, psnr(image, image)
(torch.Size([32, 32]), inf)
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

#: Boundary handling of :func:`blur`: name → ``torch.nn.functional.pad`` mode.
BLUR_MODES = {"reflect": "reflect", "replicate": "replicate", "circular": "circular", "zeros": "constant"}


def _as_tensor(value, name: str) -> tuple[torch.Tensor, bool]:
    """``value`` as a tensor, and whether it came as a NumPy array."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value), True
    if isinstance(value, torch.Tensor):
        return value, False
    raise TypeError(f"{name} must be a torch.Tensor or a numpy array, not {type(value).__name__}")


def _check_kernel(kernel) -> torch.Tensor:
    kernel, _ = _as_tensor(kernel, "kernel")
    if kernel.dim() != 2:
        raise ValueError(f"kernel must be 2-D (kH, kW), got shape {tuple(kernel.shape)}")
    if kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(
            f"kernel must have odd height and width so that it has a centre pixel, got shape "
            f"{tuple(kernel.shape)}"
        )
    if not kernel.is_floating_point():
        kernel = kernel.double()
    return kernel


def _as_image_batch(image) -> tuple[torch.Tensor, tuple, bool]:
    """``image`` as ``(N·C, 1, H, W)``, its original shape, and whether it was NumPy."""
    image, was_numpy = _as_tensor(image, "image")
    if image.dim() not in (2, 3, 4):
        raise ValueError(
            f"image must be (H, W), (C, H, W) or (N, C, H, W), got {image.dim()}-D with shape "
            f"{tuple(image.shape)}"
        )
    if 0 in image.shape:
        raise ValueError(f"image is empty: shape {tuple(image.shape)}")
    if not image.is_floating_point():
        image = image.double()
    return image.reshape(-1, 1, *image.shape[-2:]), tuple(image.shape), was_numpy


def _restore(batch: torch.Tensor, shape: tuple, was_numpy: bool):
    out = batch.reshape(shape)
    return out.numpy() if was_numpy else out


def psnr(a, b, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in decibels: ``10·log10(data_range² / MSE)``.

    Higher is better; identical images give ``inf``. ``a`` and ``b`` are
    tensors or arrays of the same shape; ``data_range`` is the span of the
    values (1 for images in [0, 1], 255 for 8-bit images).

    >>> round(psnr(torch.zeros(4, 4), torch.full((4, 4), 0.1)), 3)
    20.0
    """
    a, _ = _as_tensor(a, "a")
    b, _ = _as_tensor(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.numel() == 0:
        raise ValueError("a and b are empty")
    if isinstance(data_range, bool) or not isinstance(data_range, (int, float, np.number)) \
            or not math.isfinite(data_range) or data_range <= 0:
        raise ValueError(f"data_range must be a positive number (1.0 for images in [0, 1]), got {data_range!r}")
    diff = a.detach().cpu().double() - b.detach().cpu().double()
    mse = float((diff * diff).mean())
    if not math.isfinite(mse):
        raise ValueError("a or b contains NaN or infinity")
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range ** 2 / mse)


def gaussian_kernel(size: int, sigma: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A ``size × size`` Gaussian blur kernel that sums to 1.

    ``size`` is a positive odd int (the kernel has a centre pixel) and
    ``sigma`` the standard deviation in pixels.

    >>> k = gaussian_kernel(5, sigma=1.0)
    >>> k.shape, round(float(k.sum()), 6), bool(k[2, 2] == k.max())
    (torch.Size([5, 5]), 1.0, True)
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"size must be an int, not {type(size).__name__}")
    if size < 1 or size % 2 == 0:
        raise ValueError(f"size must be a positive odd int (a kernel with a centre pixel), got {size}")
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float, np.number)) \
            or not math.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"sigma must be a positive number of pixels, got {sigma!r}")
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-r ** 2 / (2.0 * float(sigma) ** 2))
    kernel = g[:, None] * g[None, :]
    return (kernel / kernel.sum()).to(dtype)


def blur(image, kernel, mode: str = "reflect"):
    """Convolve every channel of ``image`` with ``kernel``; the output has the input's shape.

    ``kernel`` is a 2-D point-spread function with odd sides (flipped, as in a
    true convolution). ``mode`` says what lies beyond the border:
    ``"reflect"`` (mirror, the default), ``"replicate"`` (repeat the edge),
    ``"circular"`` (wrap around: the model of Fourier-domain methods such as
    :func:`inverse_filter`) or ``"zeros"``.

    >>> blur(torch.ones(3, 8, 8), gaussian_kernel(3, 1.0)).shape
    torch.Size([3, 8, 8])
    >>> float(blur(torch.ones(8, 8), gaussian_kernel(3, 1.0)).min())   # a constant stays constant
    1.0
    """
    if mode not in BLUR_MODES:
        raise ValueError(f"mode must be one of {tuple(BLUR_MODES)}, got {mode!r}")
    kernel = _check_kernel(kernel)
    batch, shape, was_numpy = _as_image_batch(image)
    kh, kw = kernel.shape
    h, w = shape[-2:]
    if mode == "reflect" and (kh // 2 >= h or kw // 2 >= w):
        raise ValueError(
            f"a {kh}×{kw} kernel needs an image larger than {kh // 2}×{kw // 2} for mode='reflect', "
            f"got {h}×{w}; use a smaller kernel or mode='replicate'"
        )
    if mode == "circular" and (kh > h or kw > w):
        raise ValueError(f"a {kh}×{kw} kernel is larger than the {h}×{w} image; mode='circular' cannot wrap it")
    padded = F.pad(batch, (kw // 2, kw // 2, kh // 2, kh // 2), mode=BLUR_MODES[mode])
    weight = kernel.to(batch.dtype).flip(0, 1)[None, None]      # flipped: a convolution
    return _restore(F.conv2d(padded, weight.to(batch.device)), shape, was_numpy)


def transfer_function(kernel, shape) -> torch.Tensor:
    """The 2-D DFT of ``kernel`` centred at pixel (0, 0) of an image of ``shape = (H, W)``.

    With it, ``blur(image, kernel, mode="circular")`` is a product in the
    Fourier domain: ``fft2(blurred) = fft2(image) · transfer_function(kernel, image.shape)``.

    >>> transfer_function(torch.ones(1, 1), (4, 4)).real.tolist()[0]
    [1.0, 1.0, 1.0, 1.0]
    """
    kernel = _check_kernel(kernel).double()
    h, w = shape
    kh, kw = kernel.shape
    if kh > h or kw > w:
        raise ValueError(f"a {kh}×{kw} kernel is larger than the {h}×{w} image")
    psf = torch.zeros(h, w, dtype=torch.float64)
    psf[:kh, :kw] = kernel.cpu()
    psf = torch.roll(psf, shifts=(-(kh // 2), -(kw // 2)), dims=(0, 1))  # centre to (0, 0)
    return torch.fft.fft2(psf)


def inverse_filter(blurred, kernel, eps: float = 0.0):
    """Undo a circular blur by dividing by the kernel's transfer function ``K``.

    ``X = Y · conj(K) / (|K|² + eps)``: with ``eps = 0`` this is the plain
    inverse filter ``Y / K``, exact for a noise-free circular blur and
    useless with noise (tiny ``|K|`` at high frequencies multiplies it
    enormously); ``eps > 0`` damps those frequencies (a crude Wiener filter).
    Works in float64; the result has ``blurred``'s shape and type.

    >>> x = torch.rand(16, 16, dtype=torch.float64)
    >>> k = gaussian_kernel(3, 0.8, dtype=torch.float64)
    >>> bool(torch.allclose(inverse_filter(blur(x, k, mode="circular"), k), x))
    True
    """
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.number)) or not eps >= 0:
        raise ValueError(f"eps must be a number >= 0, got {eps!r}")
    batch, shape, was_numpy = _as_image_batch(blurred)
    K = transfer_function(kernel, shape[-2:]).to(batch.device)
    power = K.real ** 2 + K.imag ** 2 + float(eps)
    if bool((power == 0).any()):
        raise ValueError(
            "the kernel's transfer function is exactly 0 at some frequency, so the blur cannot be "
            "inverted there; pass eps > 0"
        )
    restored = torch.fft.ifft2(torch.fft.fft2(batch.double()) * K.conj() / power).real
    return _restore(restored.to(batch.dtype), shape, was_numpy)
