"""Upsamplers, sub-pixel shifts and spectra of chapter 05, section 3."""

import math

import pytest
import torch

from helpers.aliasing import (UPSAMPLER_KINDS, band_limited_noise, equivariance_error, estimate_shift,
                              fourier_shift, high_frequency_ratio, lowpass_filter_1d, make_upsampler_stack,
                              power_spectrum, radial_profile, shift_sweep, upsample2_lowpass)



def test_fourier_shift_is_exact_for_band_limited_signals():
    x = band_limited_noise(2, 3, 16, seed=1)
    assert torch.allclose(fourier_shift(fourier_shift(x, 0.3), 0.7), torch.roll(x, 1, dims=-1), atol=1e-5)
    assert torch.allclose(fourier_shift(x, 2.0, dim=-2), torch.roll(x, 2, dims=-2), atol=1e-5)
    assert round(estimate_shift(x[:1, :1], fourier_shift(x[:1, :1], -0.45)), 2) == -0.45


def test_lowpass_upsampling_is_band_limited_interpolation():
    """Output pixel j sits at input coordinate j/2 − 1/4 (the geometry of align_corners=False)."""
    x = band_limited_noise(1, 1, 16, cutoff=0.4, seed=2)
    y = upsample2_lowpass(x, lowpass_filter_1d(24))

    def at(offset):                                    # x evaluated at i + offset on both axes
        return fourier_shift(fourier_shift(x, -offset, dim=-1), -offset, dim=-2)

    assert torch.allclose(y[..., ::2, ::2], at(-0.25), atol=1e-3)
    assert torch.allclose(y[..., 1::2, 1::2], at(0.25), atol=1e-3)


@pytest.mark.parametrize("kind", UPSAMPLER_KINDS)
def test_whole_pixel_shifts_are_exact_for_every_upsampler(kind):
    m = make_upsampler_stack(kind, channels=4, n_layers=2, seed=0)
    x = band_limited_noise(2, 4, 24, seed=0)
    assert equivariance_error(m, x, 1.0, scale=4, margin=8) < 1e-5


def test_only_the_lowpass_design_follows_half_pixel_shifts():
    x = band_limited_noise(4, 8, 32, seed=1)
    errors = {k: equivariance_error(make_upsampler_stack(k, 8, 2, seed=0), x, 0.5, scale=4, margin=8)
              for k in UPSAMPLER_KINDS}
    assert errors["lowpass"] < 0.1 < errors["resize"] < errors["transposed"]
    sweep = shift_sweep(make_upsampler_stack("transposed", 8, 1, seed=0), x, [0.25], scale=2, margin=8)
    assert abs(sweep["measured"][0] - sweep["ideal"][0]) > 0.3   # texture sticks to the grid
    sweep = shift_sweep(make_upsampler_stack("lowpass", 8, 1, seed=0), x, [0.25], scale=2, margin=8)
    assert abs(sweep["measured"][0] - sweep["ideal"][0]) < 0.05


def test_spectrum_of_a_checkerboard_peaks_at_the_highest_frequency():
    board = ((torch.arange(16)[:, None] + torch.arange(16)[None]) % 2).float().expand(2, 1, 16, 16)
    s = power_spectrum(board)
    assert divmod(int(s.argmax()), 16) == (0, 0)          # fftshift puts (π, π) in the corner
    assert abs(float(s.sum()) - 1.0) < 1e-5
    r, v = radial_profile(s)
    assert r[-1] == round(math.hypot(8, 8)) and v.argmax() == len(v) - 1
    assert high_frequency_ratio(board) > 0.99
    smooth = band_limited_noise(4, 1, 16, cutoff=0.3)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())    # images in [0, 1]
    assert high_frequency_ratio(smooth) < 0.01


def test_errors():
    with pytest.raises(ValueError, match="even"):
        lowpass_filter_1d(5)
    with pytest.raises(ValueError, match="kind"):
        make_upsampler_stack("pixelshuffle")
    with pytest.raises(ValueError, match=r"grey images \(N, 1, H, W\)"):
        power_spectrum(torch.zeros(4, 4))


def test_coarse_to_fine_shift_search_matches_the_full_grid():
    from helpers.aliasing import _shift_errors, band_limited_noise, estimate_shift, fourier_shift

    x = band_limited_noise(1, 1, 32, seed=4)
    for true_shift in (0.0, 0.37, 1.5, -2.23, 3.91):
        moved = fourier_shift(x, true_shift) + 0.01 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
        grid = torch.arange(-4.0, 4.0 + 0.005, 0.01, dtype=torch.float64)
        target = moved.to(torch.float64)[..., 4:-4, 4:-4]
        brute = float(grid[int(_shift_errors(x, target, grid, 4).argmin())])
        assert abs(estimate_shift(x, moved) - brute) < 1e-9
        assert abs(brute - true_shift) < 0.03
