"""helpers.imaging against scipy / scikit-image, and its error messages."""

import math

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage.metrics import peak_signal_noise_ratio

from helpers.imaging import blur, gaussian_kernel, inverse_filter, psnr, transfer_function


def test_psnr_matches_scikit_image():
    rng = np.random.default_rng(0)
    a, b = rng.random((3, 20, 30)), rng.random((3, 20, 30))
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=1.0), abs=1e-9)
    assert psnr(255 * a, 255 * b, data_range=255) == pytest.approx(psnr(a, b), abs=1e-9)
    assert psnr(torch.from_numpy(a), b) == pytest.approx(psnr(a, b), abs=1e-9)   # tensor and array mixed


def test_psnr_default_range_is_scikit_images_for_0_1_and_8_bit_images():
    rng = np.random.default_rng(1)
    a, b = rng.random((16, 16)), rng.random((16, 16))
    # the same default: images in [0, 1] have data_range 1 in both
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b), abs=1e-12)
    # 8-bit images: data_range 255 (scikit-image reads it from the dtype; here it is given), no uint8 overflow
    a8, b8 = (255 * a).astype(np.uint8), (255 * b).astype(np.uint8)
    assert psnr(a8, b8, data_range=255) == pytest.approx(peak_signal_noise_ratio(a8, b8), abs=1e-12)
    # a convention difference: for images with negative values scikit-image assumes [-1, 1] (data_range 2),
    # psnr keeps its default of 1 unless told, so the two differ by 20·log10(2) ≈ 6.02 dB
    c, d = 2 * a - 1, 2 * b - 1
    assert psnr(c, d, data_range=2) == pytest.approx(peak_signal_noise_ratio(c, d), abs=1e-12)
    assert peak_signal_noise_ratio(c, d) - psnr(c, d) == pytest.approx(20 * math.log10(2), abs=1e-12)


def test_regularized_deconvolution_equals_scikit_image_wiener():
    """``regularized_deconvolve`` is ``skimage.restoration.wiener`` (to rounding), for both regularisers.

    The two agree on every convention: the PSF is applied as a true (flipped) convolution centred on its
    middle pixel, the image is periodic (circular), and the filter is ``conj(H)·Y / (|H|² + λ|R|²)`` with
    ``λ`` = ``balance`` = ``weight`` and, by default in scikit-image, ``R`` the same 3×3 Laplacian.
    scikit-image's unitary FFT scales the forward and inverse transforms by ``1/√(HW)`` each, which
    cancels. ``clip=False``: scikit-image would otherwise clip the result to [-1, 1].
    """
    from skimage.restoration import wiener

    from helpers.imaging import regularized_deconvolve
    from helpers.kernels import LAPLACIAN

    rng = np.random.default_rng(0)
    x = rng.random((32, 40))
    psf = torch.rand(3, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    psf /= psf.sum()                                            # not symmetric: a flip would show
    y = blur(x, psf.numpy(), mode="circular") + 0.01 * rng.standard_normal(x.shape)
    for balance in (1e-3, 0.1):
        hunt = regularized_deconvolve(y, psf, balance, regularizer=LAPLACIAN)
        assert np.abs(hunt - wiener(y, psf.numpy(), balance, clip=False)).max() < 1e-12
        flat = regularized_deconvolve(y, psf, balance)              # R = 1: a flat noise-to-signal ratio
        assert np.abs(flat - wiener(y, psf.numpy(), balance, reg=np.ones((1, 1)), clip=False)).max() < 1e-12
        assert np.array_equal(inverse_filter(y, psf, eps=balance), flat)   # one implementation
    assert np.abs(regularized_deconvolve(y, psf, 0.1) - regularized_deconvolve(y, psf, 0.1, LAPLACIAN)).max() > 0.01


def test_psnr_known_value_and_identical_images():
    assert psnr(torch.zeros(8, 8, dtype=torch.float64), torch.full((8, 8), 0.1, dtype=torch.float64)) \
        == pytest.approx(20.0)
    assert psnr(torch.ones(3, 3), torch.ones(3, 3)) == math.inf


@pytest.mark.parametrize("a, b, kwargs, match", [
    (torch.zeros(3, 3), torch.zeros(3, 4), {}, "same shape"),
    (torch.zeros(0), torch.zeros(0), {}, "empty"),
    (torch.zeros(3), torch.zeros(3), {"data_range": 0}, "data_range must be a positive number"),
    (torch.zeros(3), torch.zeros(3), {"data_range": float("nan")}, "data_range"),
    (torch.zeros(3), torch.tensor([0.0, float("nan"), 0.0]), {}, "NaN"),
])
def test_psnr_errors(a, b, kwargs, match):
    with pytest.raises(ValueError, match=match):
        psnr(a, b, **kwargs)


def test_psnr_rejects_lists():
    with pytest.raises(TypeError, match="torch.Tensor or a numpy array"):
        psnr([1.0], [1.0])


@pytest.mark.parametrize("size, sigma", [(1, 1.0), (3, 0.5), (9, 2.0), (15, 3.0)])
def test_gaussian_kernel(size, sigma):
    k = gaussian_kernel(size, sigma, dtype=torch.float64)
    assert k.shape == (size, size) and k.dtype == torch.float64
    assert float(k.sum()) == pytest.approx(1.0)
    assert torch.allclose(k, k.T) and torch.allclose(k, k.flip(0))
    assert int(k.argmax()) == (size * size) // 2                      # the peak is in the centre
    # separable: the outer product of a normalised 1-D Gaussian
    r = np.arange(size) - size // 2
    g = np.exp(-r ** 2 / (2 * sigma ** 2))
    g /= g.sum()
    assert np.allclose(k.numpy(), np.outer(g, g))


@pytest.mark.parametrize("size, sigma, error, match", [
    (4, 1.0, ValueError, "positive odd int"),
    (0, 1.0, ValueError, "positive odd int"),
    (3, 0.0, ValueError, "sigma must be a positive number"),
    (3, -1.0, ValueError, "sigma"),
    (3.0, 1.0, TypeError, "size must be an int"),
])
def test_gaussian_kernel_errors(size, sigma, error, match):
    with pytest.raises(error, match=match):
        gaussian_kernel(size, sigma)


@pytest.mark.parametrize("mode, scipy_mode", [("reflect", "mirror"), ("replicate", "nearest"),
                                              ("circular", "wrap"), ("zeros", "constant")])
def test_blur_is_scipys_convolution(mode, scipy_mode):
    rng = np.random.default_rng(1)
    image, kernel = rng.random((17, 23)), rng.random((5, 3))           # an asymmetric kernel: flip matters
    expected = ndimage.convolve(image, kernel, mode=scipy_mode, cval=0.0)
    got = blur(image, kernel, mode=mode)
    assert isinstance(got, np.ndarray) and got.shape == image.shape
    assert np.allclose(got, expected)


def test_blur_shapes_and_channels():
    k = gaussian_kernel(3, 1.0)
    batch = torch.rand(2, 3, 10, 12)
    out = blur(batch, k)
    assert out.shape == batch.shape and out.dtype == torch.float32
    assert torch.allclose(out[1, 2], blur(batch[1, 2], k))              # channels are blurred separately
    assert torch.allclose(blur(torch.ones(3, 9, 9), k), torch.ones(3, 9, 9))


@pytest.mark.parametrize("image, kernel, kwargs, error, match", [
    (torch.rand(8, 8), torch.ones(2, 2), {}, ValueError, "odd height and width"),
    (torch.rand(8, 8), torch.ones(3), {}, ValueError, "kernel must be 2-D"),
    (torch.rand(8), torch.ones(3, 3), {}, ValueError, r"image must be \(H, W\)"),
    (torch.rand(1, 1, 1, 8, 8), torch.ones(3, 3), {}, ValueError, "5-D"),
    (torch.rand(0, 8), torch.ones(3, 3), {}, ValueError, "empty"),
    (torch.rand(8, 8), torch.ones(3, 3), {"mode": "mirror"}, ValueError, "mode must be one of"),
    (torch.rand(2, 2), torch.ones(5, 5), {}, ValueError, "needs an image larger"),
    (torch.rand(4, 4), torch.ones(5, 5), {"mode": "circular"}, ValueError, "larger than the 4×4 image"),
    ([[1.0]], torch.ones(1, 1), {}, TypeError, "torch.Tensor or a numpy array"),
])
def test_blur_errors(image, kernel, kwargs, error, match):
    with pytest.raises(error, match=match):
        blur(image, kernel, **kwargs)


def test_circular_blur_is_a_product_in_the_fourier_domain():
    rng = np.random.default_rng(2)
    image = torch.from_numpy(rng.random((12, 16)))
    kernel = torch.from_numpy(rng.random((5, 3)))
    blurred = blur(image, kernel, mode="circular")
    product = torch.fft.ifft2(torch.fft.fft2(image) * transfer_function(kernel, image.shape)).real
    assert torch.allclose(blurred, product)


def test_inverse_filter_undoes_a_noise_free_blur_and_fails_with_noise():
    image = torch.from_numpy(np.random.default_rng(3).random((32, 32)))
    kernel = gaussian_kernel(7, 1.5, dtype=torch.float64)
    blurred = blur(image, kernel, mode="circular")
    assert psnr(inverse_filter(blurred, kernel), image) > 60           # exact up to rounding
    noisy = blurred + 0.01 * torch.randn(32, 32, generator=torch.Generator().manual_seed(0),
                                         dtype=torch.float64)
    assert psnr(inverse_filter(noisy, kernel), image) < psnr(noisy, image) - 20   # noise blows up
    assert psnr(inverse_filter(noisy, kernel, eps=1e-3), image) > psnr(inverse_filter(noisy, kernel), image)


def test_inverse_filter_errors():
    with pytest.raises(ValueError, match="transfer function is exactly 0"):
        inverse_filter(torch.rand(4, 4), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="eps must be a number >= 0"):
        inverse_filter(torch.rand(4, 4), torch.ones(1, 1), eps=-1.0)
