"""Classical image processing: blur kernels, blurring, PSNR, and deconvolution in the Fourier domain.

These are the tools of *true* deconvolution (undoing a known blur), which
chapter 02 sets beside the transposed convolution of neural networks: the
inverse filter (chapter 02), and its regularised forms, Hunt's constrained
least squares and the Wiener filter (chapter 03), all one computation,
``X = Y·conj(K) / (|K|² + penalty)`` (:func:`regularized_deconvolve`;
:func:`inverse_filter` is its ``weight=eps`` case). :func:`fft_power` is
the one FFT power spectrum of the package.
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

import torch
import torch.nn.functional as F

from helpers.checks import as_tensor, check_choice, check_int, check_kernel, check_number

#: Boundary handling of :func:`blur`: name → ``torch.nn.functional.pad`` mode.
BLUR_MODES = {"reflect": "reflect", "replicate": "replicate", "circular": "circular", "zeros": "constant"}


def _as_image_batch(image, name: str = "image") -> tuple[torch.Tensor, tuple, bool]:
    """``image`` as ``(N·C, 1, H, W)``, its original shape, and whether it was NumPy."""
    image, was_numpy = as_tensor(image, name)
    if image.dim() not in (2, 3, 4):
        raise ValueError(
            f"{name} must be (H, W), (C, H, W) or (N, C, H, W), got {image.dim()}-D with shape "
            f"{tuple(image.shape)}"
        )
    if 0 in image.shape:
        raise ValueError(f"{name} is empty: shape {tuple(image.shape)}")
    if not image.is_floating_point():
        image = image.double()
    return image.reshape(-1, 1, *image.shape[-2:]), tuple(image.shape), was_numpy


def _restore(batch: torch.Tensor, shape: tuple, was_numpy: bool):
    out = batch.reshape(shape)
    return out.numpy() if was_numpy else out


def psnr(a, b, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in decibels: ``10·log10(data_range² / MSE)``.

    Taught in chapter 02, §2.7 (True deconvolution is something else); reused in chapter 05.

    Higher is better; identical images give ``inf``. ``a`` and ``b`` are
    tensors or arrays of the same shape; ``data_range`` is the span of the
    values (1 for images in [0, 1], 255 for 8-bit images).

    >>> round(psnr(torch.zeros(4, 4), torch.full((4, 4), 0.1)), 3)
    20.0
    """
    a, _ = as_tensor(a, "a")
    b, _ = as_tensor(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.numel() == 0:
        raise ValueError("a and b are empty")
    check_number(data_range, "data_range", 0, strict=True, hint="(1.0 for images in [0, 1])")
    diff = a.detach().cpu().double() - b.detach().cpu().double()
    mse = float((diff * diff).mean())
    if not math.isfinite(mse):
        raise ValueError("a or b contains NaN or infinity")
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range ** 2 / mse)


def gaussian_kernel(size: int, sigma: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A ``size × size`` Gaussian blur kernel that sums to 1.

    Taught in chapter 02, §2.7 (True deconvolution is something else); reused in chapter 03.

    ``size`` is a positive odd int (the kernel has a centre pixel) and
    ``sigma`` the standard deviation in pixels.

    >>> k = gaussian_kernel(5, sigma=1.0)
    >>> k.shape, round(float(k.sum()), 6), bool(k[2, 2] == k.max())
    (torch.Size([5, 5]), 1.0, True)
    """
    size = check_int(size, "size")
    if size < 1 or size % 2 == 0:
        raise ValueError(f"size must be a positive odd int (a kernel with a centre pixel), got {size}")
    check_number(sigma, "sigma", 0, strict=True, hint="of pixels")
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-r ** 2 / (2.0 * float(sigma) ** 2))
    kernel = g[:, None] * g[None, :]
    return (kernel / kernel.sum()).to(dtype)


def blur(image, kernel, mode: str = "reflect"):
    """Convolve every channel of ``image`` with ``kernel``; the output has the input's shape.

    Taught in chapter 02, §2.7 (True deconvolution is something else); reused in chapter 03.

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
    check_choice(mode, "mode", BLUR_MODES)
    kernel = check_kernel(kernel, odd=True, allow_numpy=True)
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

    Taught in chapter 02, §2.7 (True deconvolution is something else); reused in chapter 03.

    With it, ``blur(image, kernel, mode="circular")`` is a product in the
    Fourier domain: ``fft2(blurred) = fft2(image) · transfer_function(kernel, image.shape)``.

    >>> transfer_function(torch.ones(1, 1), (4, 4)).real.tolist()[0]
    [1.0, 1.0, 1.0, 1.0]
    """
    kernel = check_kernel(kernel, odd=True, allow_numpy=True).double()
    h, w = shape
    kh, kw = kernel.shape
    if kh > h or kw > w:
        raise ValueError(f"a {kh}×{kw} kernel is larger than the {h}×{w} image")
    psf = torch.zeros(h, w, dtype=torch.float64)
    psf[:kh, :kw] = kernel.cpu()
    psf = torch.roll(psf, shifts=(-(kh // 2), -(kw // 2)), dims=(0, 1))  # centre to (0, 0)
    return torch.fft.fft2(psf)


def fft_power(images: torch.Tensor, remove_mean: bool = False) -> torch.Tensor:
    """Mean power spectrum ``|FFT|²`` of a stack of images ``(…, H, W)``: ``(H, W)``, float64, unshifted.

    Taught in chapter 03, §3.5 (Learning to deblur); reused in chapters 04 (§4.11) and 05 (§5.3).

    The one FFT power spectrum of the package: the average of
    ``|fft2(image)|²`` over every leading axis (batch, channels), with each
    image's mean subtracted first when ``remove_mean`` (then the zero
    frequency holds nothing and the rest is the image's *structure*). Index
    ``[0, 0]`` is the zero frequency; ``torch.fft.fftshift`` centres it.
    The Wiener filter's signal spectrum (:func:`helpers.kernels.power_spectrum`)
    and the spectra of generated images (:mod:`helpers.metrics`,
    :mod:`helpers.aliasing`) are built on it.

    >>> fft_power(torch.ones(2, 4, 4))[0, 0].item()           # a constant: all power at frequency 0
    256.0
    >>> fft_power(torch.ones(2, 4, 4), remove_mean=True).abs().max().item()
    0.0
    """
    images = images.double()
    if remove_mean:
        images = images - images.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(images).abs().pow(2)
    return power.reshape(-1, *power.shape[-2:]).mean(0)


def _fourier_deconvolve(blurred, kernel, penalty, pad: int, name: str = "blurred"):
    """``X = Y·conj(K) / (|K|² + penalty)`` on a mirrored-by-``pad`` copy of ``blurred``, cropped back.

    ``penalty(shape)`` gives the damping term for the padded ``shape``
    (a number, or a tensor of that shape).
    """
    batch, shape, was_numpy = _as_image_batch(blurred, name)
    pad = check_int(pad, "pad", 0)
    y = batch.double()
    if pad:
        if pad >= min(shape[-2:]):
            raise ValueError(f"pad={pad} must be smaller than the image ({tuple(shape[-2:])})")
        y = F.pad(y, (pad, pad, pad, pad), mode="reflect")
    padded = tuple(y.shape[-2:])
    K = transfer_function(kernel, padded).to(y.device)
    denominator = K.real ** 2 + K.imag ** 2 + penalty(padded)
    if bool((denominator == 0).any()):
        raise ValueError(
            "the kernel's transfer function is exactly 0 at some frequency, so the blur cannot be "
            "inverted there; pass a regularisation weight > 0 (eps in inverse_filter)"
        )
    x = torch.fft.ifft2(torch.fft.fft2(y) * K.conj() / denominator).real
    if pad:
        x = x[..., pad:-pad, pad:-pad]
    return _restore(x.to(batch.dtype), shape, was_numpy)


def regularized_deconvolve(blurred, kernel, weight: float, regularizer=None, pad: int = 0):
    """Undo a known blur in the Fourier domain: ``X = Y·conj(K) / (|K|² + weight·|R|²)``.

    Taught in chapter 03, §3.5 (Learning to deblur).

    * ``regularizer=None`` (``R = 1``): the Wiener filter with a flat
      noise-to-signal ratio ``weight`` (Wiener, 1949); with ``weight = 0``
      the plain inverse filter ``Y / K`` (:func:`inverse_filter` is this
      function with ``weight=eps``);
    * ``regularizer=LAPLACIAN`` (:data:`helpers.kernels.LAPLACIAN`): Hunt's
      constrained least squares (1973), which penalises rough images rather
      than large ones.

    ``kernel`` is the point-spread function in the convention of
    :func:`blur` (a true convolution). The FFT treats the image as periodic;
    ``pad > 0`` mirrors that many pixels around the image first (and crops
    them after), which suppresses the ringing a non-periodic image gets at
    its border. ``blurred`` is ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)``
    (tensor or NumPy array); the result has its shape and type, computed in
    float64.

    >>> x = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    >>> k = gaussian_kernel(3, 0.7, dtype=torch.float64)
    >>> y = blur(x, k, mode="circular")
    >>> bool(torch.allclose(regularized_deconvolve(y, k, 0.0), x))     # noise-free: exact
    True
    >>> round(psnr(regularized_deconvolve(y, k, 0.1), x), 1) < round(psnr(y, x), 1) + 30
    True
    """
    weight = check_number(weight, "weight", 0)
    if regularizer is None:
        return _fourier_deconvolve(blurred, kernel, lambda shape: weight, pad)
    return _fourier_deconvolve(
        blurred, kernel, lambda shape: weight * transfer_function(regularizer, shape).abs().pow(2), pad)


def wiener_deconvolve(blurred, kernel, noise_std: float, signal_power: torch.Tensor, pad: int = 0):
    """The Wiener filter proper: ``X = Y·conj(K) / (|K|² + S_n(f) / S_x(f))``.

    Taught in chapter 03, §3.5 (Learning to deblur).

    ``S_n = noise_std² · (number of pixels)`` is white noise's power per
    frequency (unnormalised FFT) and ``signal_power`` is ``S_x(f)``, e.g.
    :func:`helpers.kernels.power_spectrum` of sharp example images with the
    same ``pad``. With a flat ``S_x`` this is :func:`regularized_deconvolve`
    with a constant noise-to-signal ratio.

    >>> from helpers.kernels import power_spectrum
    >>> x = torch.rand(2, 1, 16, 16, dtype=torch.float64)
    >>> k = gaussian_kernel(3, 0.7, dtype=torch.float64)
    >>> y = blur(x, k, mode="circular")
    >>> bool(torch.allclose(wiener_deconvolve(y, k, 0.0, power_spectrum(x)), x))
    True
    """
    noise_std = check_number(noise_std, "noise_std", 0)
    signal_power = torch.as_tensor(signal_power, dtype=torch.float64)

    def nsr(shape):
        if tuple(signal_power.shape) != shape:
            raise ValueError(f"signal_power must have shape {shape} (the padded image), "
                             f"got {tuple(signal_power.shape)}")
        if bool((signal_power <= 0).any()):
            raise ValueError("signal_power must be positive at every frequency")
        return noise_std ** 2 * shape[0] * shape[1] / signal_power

    return _fourier_deconvolve(blurred, kernel, nsr, pad)


def inverse_filter(blurred, kernel, eps: float = 0.0):
    """Undo a circular blur by dividing by the kernel's transfer function ``K``.

    Taught in chapter 02, §2.7 (True deconvolution is something else).

    ``X = Y · conj(K) / (|K|² + eps)``: with ``eps = 0`` this is the plain
    inverse filter ``Y / K``, exact for a noise-free circular blur and
    useless with noise (tiny ``|K|`` at high frequencies multiplies it
    enormously); ``eps > 0`` damps those frequencies (a crude Wiener filter).
    It is :func:`regularized_deconvolve` with ``weight=eps`` (chapter 03
    generalises it). Works in float64; the result has ``blurred``'s shape
    and type.

    >>> x = torch.rand(16, 16, dtype=torch.float64)
    >>> k = gaussian_kernel(3, 0.8, dtype=torch.float64)
    >>> bool(torch.allclose(inverse_filter(blur(x, k, mode="circular"), k), x))
    True
    """
    return regularized_deconvolve(blurred, kernel, check_number(eps, "eps", 0))
