"""Jitter and blur: shift-equivariance and Fourier spectra of upsamplers (chapter 05).

Three ways to double the size of a feature map, as a generator would:

* :class:`TransposedUp` — ``ConvTranspose2d(k=4, s=2, p=1)``, the DCGAN layer;
* :class:`ResizeConvUp` — nearest (or bilinear) resize, then a 3×3 convolution
  (the fix of Odena et al., 2016);
* :class:`LowPassUp` — zero insertion followed by a fixed windowed-sinc
  low-pass filter, then a convolution, with the nonlinearity applied at twice
  the rate and low-passed again (the idea behind alias-free GANs).

and the tools to measure them: a band-limited sub-pixel shift
(:func:`fourier_shift`), the error from ideal equivariance
(:func:`equivariance_error`), the shift the output really made
(:func:`estimate_shift`), and summaries of the average power spectrum of a
batch of images (:func:`power_spectrum`, built on chapter 04's
:func:`helpers.metrics.mean_log_spectrum`; :func:`radial_profile`;
:func:`high_frequency_ratio`).

>>> import torch
>>> from helpers.aliasing import make_upsampler_stack, band_limited_noise
>>> x = band_limited_noise(2, 4, 16, seed=0)            # (batch, channels, H, W)
>>> make_upsampler_stack("lowpass", channels=4, n_layers=2, seed=0)(x).shape
torch.Size([2, 1, 64, 64])
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.checks import check_choice, check_int, check_number
from helpers.rng import seeded

#: The three upsampler designs compared in chapter 05.
UPSAMPLER_KINDS = ("transposed", "resize", "lowpass")


def lowpass_filter_1d(taps: int = 12, cutoff: float = 0.5, beta: float = 8.0) -> torch.Tensor:
    """A Kaiser-windowed sinc low-pass filter for ×2 resampling (even length, sums to 1).

    Taught in chapter 05, §5.3 (Jitter and blur), as a layer of :func:`make_upsampler_stack`.

    ``cutoff`` is in cycles per sample of the *high* rate times two, so
    ``0.5`` keeps the band of the low-rate signal (half the high-rate Nyquist).

    >>> h = lowpass_filter_1d(12)
    >>> h.shape, round(float(h.sum()), 6), bool(torch.allclose(h, h.flip(0)))
    (torch.Size([12]), 1.0, True)
    """
    taps = check_int(taps, "taps", 2)
    if taps % 2:
        raise ValueError(f"taps must be an even number >= 2 (so the filter is centred between pixels), got {taps}")
    if not 0.0 < check_number(cutoff, "cutoff") <= 1.0:
        raise ValueError(f"cutoff must be in (0, 1], got {cutoff}")
    n = np.arange(taps) - (taps - 1) / 2.0
    h = cutoff * np.sinc(cutoff * n) * np.kaiser(taps, beta)
    h = h / h.sum()
    return torch.tensor(h, dtype=torch.float32)


def _separable(h: torch.Tensor, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Depthwise weights (channels, 1, k, 1) and (channels, 1, 1, k) of a 1-D filter."""
    k = h.numel()
    return (h.view(1, 1, k, 1).repeat(channels, 1, 1, 1),
            h.view(1, 1, 1, k).repeat(channels, 1, 1, 1))


def upsample2_lowpass(x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Band-limited ×2 upsampling: insert zeros, then filter with ``2·h`` on each axis.

    Taught in chapter 05, §5.3 (Jitter and blur), as a layer of :func:`make_upsampler_stack`.

    Circular at the borders (the signal is treated as periodic), so a
    shift of the input by one pixel shifts the output by exactly two. The
    filter has an even length, so output pixel ``j`` lies at input
    coordinate ``j/2 − 1/4``: the geometry of ``ConvTranspose2d(k=4, s=2,
    p=1)`` and of ``F.interpolate(..., align_corners=False)``.

    >>> x = torch.ones(1, 1, 4, 4)
    >>> y = upsample2_lowpass(x, lowpass_filter_1d(8))
    >>> y.shape, bool(torch.allclose(y, torch.ones_like(y), atol=1e-5))
    (torch.Size([1, 1, 8, 8]), True)
    """
    n, c, hgt, wid = x.shape
    k = h.numel()
    up = x.new_zeros(n, c, 2 * hgt, 2 * wid)
    up[..., ::2, ::2] = x                                     # zero insertion: spectral images appear
    wv, wh = _separable(2.0 * h.to(x), c)                     # gain 2 per axis restores the level
    left, right = k // 2, k // 2 - 1
    up = F.pad(up, (left, right, left, right), mode="circular")
    up = F.conv2d(up, wv, groups=c)
    return F.conv2d(up, wh, groups=c)


def downsample2_lowpass(x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Low-pass filter with ``h`` (circular), then keep every second pixel.

    Taught in chapter 05, §5.3 (Jitter and blur), as a layer of :func:`make_upsampler_stack`.

    >>> downsample2_lowpass(torch.ones(1, 2, 8, 8), lowpass_filter_1d(8)).shape
    torch.Size([1, 2, 4, 4])
    """
    c = x.shape[1]
    k = h.numel()
    wv, wh = _separable(h.to(x), c)
    left, right = k // 2 - 1, k // 2
    y = F.pad(x, (left, right, left, right), mode="circular")
    y = F.conv2d(F.conv2d(y, wv, groups=c), wh, groups=c)
    return y[..., ::2, ::2]


class TransposedUp(nn.Module):
    """×2 upsampling by ``ConvTranspose2d(kernel_size=4, stride=2, padding=1)``.

    Taught in chapter 05, §5.3 (Jitter and blur), as a layer of :func:`make_upsampler_stack`.

    >>> TransposedUp(3, 5)(torch.zeros(1, 3, 8, 8)).shape
    torch.Size([1, 5, 16, 16])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 4):
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=2,
                                       padding=(kernel_size - 2) // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class ResizeConvUp(nn.Module):
    """×2 upsampling by a resize (``"nearest"`` or ``"bilinear"``) and a 3×3 convolution.

    Taught in chapter 03, §3.4 (The same recipe for a transposed convolution).

    >>> ResizeConvUp(3, 5)(torch.zeros(1, 3, 8, 8)).shape
    torch.Size([1, 5, 16, 16])
    """

    def __init__(self, in_channels: int, out_channels: int, mode: str = "nearest"):
        super().__init__()
        check_choice(mode, "mode", ("nearest", "bilinear"))
        self.mode = mode
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kwargs = {"align_corners": False} if self.mode == "bilinear" else {}
        return self.conv(F.interpolate(x, scale_factor=2, mode=self.mode, **kwargs))


class LowPassUp(nn.Module):
    """×2 upsampling with a fixed windowed-sinc interpolator, then a 3×3 convolution.

    Taught in chapter 05, §5.3 (Jitter and blur), as a layer of :func:`make_upsampler_stack`.

    Convolutions use circular padding, so the layer is a function of a
    periodic, band-limited signal.

    >>> LowPassUp(3, 5)(torch.zeros(1, 3, 8, 8)).shape
    torch.Size([1, 5, 16, 16])
    """

    def __init__(self, in_channels: int, out_channels: int, taps: int = 12):
        super().__init__()
        self.register_buffer("h", lowpass_filter_1d(taps))
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, padding_mode="circular", bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(upsample2_lowpass(x, self.h))


class FilteredLeakyReLU(nn.Module):
    """A leaky ReLU applied at twice the sampling rate and low-passed back.

    Taught in chapter 05, §5.3 (Jitter and blur), as a layer of :func:`make_upsampler_stack`.

    The kink of the ReLU creates frequencies above Nyquist; computing it on
    a ×2 upsampled signal and filtering before decimation keeps them from
    folding back (aliasing) into the band.

    >>> FilteredLeakyReLU()(torch.randn(1, 2, 8, 8)).shape
    torch.Size([1, 2, 8, 8])
    """

    def __init__(self, slope: float = 0.2, taps: int = 12):
        super().__init__()
        self.slope = slope
        self.register_buffer("h", lowpass_filter_1d(taps))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.leaky_relu(upsample2_lowpass(x, self.h), self.slope)
        return downsample2_lowpass(y, self.h)


def make_upsampler_stack(kind: str, channels: int = 8, n_layers: int = 2, out_channels: int = 1,
                         seed: int = 0) -> nn.Module:
    """A toy generator body: ``n_layers`` ×2 upsamplers of one ``kind``, leaky ReLUs between.

    Taught in chapter 05, §5.3 (Jitter and blur).

    ``kind`` is one of :data:`UPSAMPLER_KINDS`. For ``"lowpass"`` the
    nonlinearity is a :class:`FilteredLeakyReLU`. Weights are drawn with
    ``seed`` (the same initialisation scheme for all kinds), so the designs
    are compared, not luck.

    >>> make_upsampler_stack("transposed", channels=4, n_layers=1)(torch.zeros(1, 4, 8, 8)).shape
    torch.Size([1, 1, 16, 16])
    """
    check_choice(kind, "kind", UPSAMPLER_KINDS)
    check_int(n_layers, "n_layers", 1)
    gen = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for i in range(n_layers):
        c_out = out_channels if i == n_layers - 1 else channels
        with seeded(None):                      # torch's own initialisation is overwritten below
            block = {"transposed": TransposedUp, "resize": ResizeConvUp, "lowpass": LowPassUp}[kind](channels, c_out)
        with torch.no_grad():
            w = block.conv.weight
            fan_in = w[0].numel() if kind != "transposed" else channels * 4  # ≈ taps reaching one output
            w.copy_(torch.randn(w.shape, generator=gen) / math.sqrt(fan_in))
        layers.append(block)
        if i < n_layers - 1:
            layers.append(FilteredLeakyReLU() if kind == "lowpass" else nn.LeakyReLU(0.2))
    return nn.Sequential(*layers).eval()


def band_limited_noise(batch: int, channels: int, size: int, cutoff: float = 0.5,
                       seed: int = 0) -> torch.Tensor:
    """Random periodic feature maps whose spectrum is zero above ``cutoff`` × Nyquist.

    Taught in chapter 05, §5.3 (Jitter and blur).

    A stand-in for a generator's smooth intermediate feature map; being
    band-limited, it can be shifted by a fraction of a pixel exactly
    (:func:`fourier_shift`).

    >>> band_limited_noise(3, 2, 16).shape
    torch.Size([3, 2, 16, 16])
    """
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, channels, size, size, generator=gen)
    spec = torch.fft.fft2(x)
    f = torch.fft.fftfreq(size).abs() * 2.0                      # 1.0 = Nyquist
    mask = ((f[:, None] <= cutoff) & (f[None, :] <= cutoff)).to(spec.dtype)
    x = torch.fft.ifft2(spec * mask).real
    return x / x.std()


def fourier_shift(x: torch.Tensor, shift: float, dim: int = -1) -> torch.Tensor:
    """Shift a periodic signal by ``shift`` pixels (any real number) along ``dim``.

    Taught in chapter 05, §5.3 (Jitter and blur).

    Exact for band-limited signals; for an integer ``shift`` it equals
    ``torch.roll``. The Nyquist bin (even sizes) is kept real, so the result
    is real.

    >>> x = torch.randn(1, 1, 8, 8)
    >>> bool(torch.allclose(fourier_shift(x, 3), torch.roll(x, 3, dims=-1), atol=1e-5))
    True
    """
    n = x.shape[dim]
    freq = torch.fft.fftfreq(n, dtype=torch.float64)
    phase = torch.exp(-2j * math.pi * freq * float(shift))
    if n % 2 == 0:                      # the Nyquist bin has no sign: use a real cosine
        phase[n // 2] = math.cos(math.pi * float(shift))
    shape = [1] * x.dim()
    shape[dim] = n
    spec = torch.fft.fft(x.to(torch.float64), dim=dim) * phase.view(shape)
    return torch.fft.ifft(spec, dim=dim).real.to(x.dtype)


def _interior(x: torch.Tensor, margin: int) -> torch.Tensor:
    if margin == 0:
        return x
    return x[..., margin:-margin, margin:-margin]


def equivariance_error(model: nn.Module, x: torch.Tensor, shift: float, scale: int,
                       margin: int = 4) -> float:
    """Relative RMS difference between ``model(shift(x))`` and ``shift(model(x))``.

    Taught in chapter 05, §5.3 (Jitter and blur).

    The input is moved by ``shift`` pixels to the right; an equivariant
    ×``scale`` upsampler moves its output by ``scale·shift`` pixels. 0 means
    perfectly equivariant; ``margin`` pixels are ignored at each border.

    >>> m = make_upsampler_stack("lowpass", channels=4, n_layers=1)
    >>> equivariance_error(m, band_limited_noise(2, 4, 16), 1.0, scale=2) < 1e-5
    True
    """
    with torch.no_grad():
        y = model(x)
        y_moved = model(fourier_shift(x, shift))
    ideal = fourier_shift(y, scale * shift)
    a, b = _interior(y_moved, margin), _interior(ideal, margin)
    return float((a - b).pow(2).mean().sqrt() / b.pow(2).mean().sqrt().clamp_min(1e-12))


def _shift_errors(reference: torch.Tensor, target: torch.Tensor, candidates: torch.Tensor,
                  margin: int) -> torch.Tensor:
    """Least-squares error of ``fourier_shift(reference, d)`` against ``target`` for each candidate ``d``."""
    n = reference.shape[-1]
    freq = torch.fft.fftfreq(n, dtype=torch.float64)
    phase = torch.exp(-2j * math.pi * candidates[:, None] * freq[None, :])                   # (K, n)
    if n % 2 == 0:
        phase[:, n // 2] = torch.cos(math.pi * candidates)
    spec = torch.fft.fft(reference.to(torch.float64), dim=-1)                                # (..., H, n)
    shifted = torch.fft.ifft(spec[..., None, :] * phase, dim=-1).real                        # (..., H, K, n)
    shifted = shifted.movedim(-2, 0)                                                         # (K, ..., H, n)
    return (_interior(shifted, margin) - target).pow(2).flatten(1).mean(dim=1)              # (K,)


def estimate_shift(reference: torch.Tensor, moved: torch.Tensor, max_shift: float = 4.0,
                   step: float = 0.01, margin: int = 4) -> float:
    """The horizontal shift ``d`` for which ``fourier_shift(reference, d)`` best matches ``moved``.

    Taught in chapter 05, §5.3 (Jitter and blur), inside :func:`shift_sweep`.

    A search over ``[-max_shift, max_shift]`` (least squares on the
    interior): first on a coarse grid of ``10·step``, then in steps of
    ``step`` around the best coarse candidate, which gives the same answer
    as a full fine grid for the smooth error curves of shifted images, at a
    tenth of the cost.

    >>> x = band_limited_noise(1, 1, 16)
    >>> round(estimate_shift(x, fourier_shift(x, 1.3)), 2)
    1.3
    """
    target = _interior(moved.to(torch.float64), margin)
    coarse_step = 10 * step
    coarse = torch.arange(-max_shift, max_shift + coarse_step / 2, coarse_step, dtype=torch.float64)
    best = float(coarse[int(_shift_errors(reference, target, coarse, margin).argmin())])
    fine = best + step * torch.arange(-10, 11, dtype=torch.float64)
    fine = fine[(fine >= -max_shift - 1e-9) & (fine <= max_shift + 1e-9)]
    return float(fine[int(_shift_errors(reference, target, fine, margin).argmin())])


def shift_sweep(model: nn.Module, x: torch.Tensor, shifts, scale: int, margin: int = 4) -> dict:
    """Move the input by each shift in ``shifts``; return how the output moved and flickered.

    Taught in chapter 05, §5.3 (Jitter and blur).

    Returns a dict of lists: ``shift`` (input shift, pixels), ``ideal``
    (``scale·shift``), ``measured`` (the shift of the output found by
    :func:`estimate_shift`, first sample and channel) and ``error``
    (:func:`equivariance_error`).

    >>> m = make_upsampler_stack("lowpass", channels=4, n_layers=1)
    >>> s = shift_sweep(m, band_limited_noise(1, 4, 16), [0.0, 0.5], scale=2)
    >>> [round(v, 2) for v in s["measured"]]
    [0.0, 1.0]
    """
    out = {"shift": [], "ideal": [], "measured": [], "error": []}
    with torch.no_grad():
        y0 = model(x)
        for t in shifts:
            yt = model(fourier_shift(x, float(t)))
            out["shift"].append(float(t))
            out["ideal"].append(scale * float(t))
            out["measured"].append(estimate_shift(y0[:1, :1], yt[:1, :1],
                                                  max_shift=scale * float(t) + 2.0, margin=margin))
            out["error"].append(equivariance_error(model, x, float(t), scale, margin))
    return out


def power_spectrum(images: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """Average power spectrum ``(H, W)`` of ``N ≥ 2`` grey images ``(N, 1, H, W)`` in [0, 1], centred.

    Taught in chapter 05, §5.3 (Jitter and blur).

    :func:`helpers.imaging.fft_power` with the means removed and ``fftshift``
    (chapter 04's :func:`helpers.metrics.mean_log_spectrum` on a linear
    scale); with ``normalize`` divided by its
    sum, so sets of images with different contrast compare by the *shape*
    of their spectra. The centre is frequency 0, the corners and the middle
    of the edges are the highest frequencies, where a checkerboard puts its
    energy.

    >>> checker = ((torch.arange(8)[:, None] + torch.arange(8)[None]) % 2).float()
    >>> s = power_spectrum(checker.expand(2, 1, 8, 8))      # at least 2 images
    >>> tuple(int(i) for i in divmod(int(s.argmax()), 8)), round(float(s.max()), 3)  # (row, col), share
    ((0, 0), 1.0)
    """
    from helpers.imaging import fft_power
    from helpers.metrics import as_metric_images

    power = torch.fft.fftshift(fft_power(as_metric_images(images), remove_mean=True))
    if normalize:
        power = power / power.sum().clamp_min(1e-30)
    return power.float()


def radial_profile(spectrum: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Azimuthal average of a centred 2-D spectrum: ``(radius, mean value)``.

    Taught in chapter 05, §5.3 (Jitter and blur).

    Radius is in units of frequency bins from the centre; the largest
    radius is the corner (the highest, diagonal frequency).

    >>> r, v = radial_profile(torch.ones(8, 8))
    >>> int(r[0]), float(v.max())
    (0, 1.0)
    """
    s = spectrum.detach().cpu().numpy()
    h, w = s.shape
    yy, xx = np.indices((h, w))
    r = np.rint(np.hypot(yy - h // 2, xx - w // 2)).astype(int)
    sums = np.bincount(r.ravel(), weights=s.ravel())
    counts = np.bincount(r.ravel())
    keep = counts > 0
    return np.nonzero(keep)[0], sums[keep] / counts[keep]


def high_frequency_ratio(images: torch.Tensor, fraction: float = 0.25) -> float:
    """Share of spectral power in the outer ``fraction`` of frequencies (per axis).

    Taught in chapter 05, §5.3 (Jitter and blur).

    A crude single-number summary of "how much detail near the grid's
    limit": the power with ``|f_x|`` or ``|f_y|`` above ``(1 − fraction)``
    × Nyquist, over the total (means removed). Images are grey, in [0, 1].

    >>> checker = ((torch.arange(8)[:, None] + torch.arange(8)[None]) % 2).float()
    >>> high_frequency_ratio(checker.expand(2, 1, 8, 8)) > 0.9
    True
    """
    spec = power_spectrum(images).double()
    h, w = spec.shape
    fy = (torch.arange(h) - h // 2).abs().double() / (h / 2)
    fx = (torch.arange(w) - w // 2).abs().double() / (w / 2)
    high = (fy[:, None] > 1 - fraction) | (fx[None, :] > 1 - fraction)
    return float(spec[high].sum() / spec.sum().clamp_min(1e-30))
