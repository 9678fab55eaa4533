"""The tiny DDPM: schedule, forward process, U-Net shapes, and a short real training run."""

import pytest
import torch

from helpers.data import load_digits
from helpers.diffusion import NoiseSchedule, TinyUNet, predict_x0, q_sample, reverse_step, sample, train_ddpm



def test_schedule_and_forward_process():
    s = NoiseSchedule(100)
    assert torch.all(s.betas > 0) and torch.all(s.betas < 1)
    assert torch.all(s.alpha_bars[1:] < s.alpha_bars[:-1])              # more noise at every step
    x0 = torch.ones(1000, 1, 2, 2)
    xt = q_sample(x0, torch.full((1000,), 99), torch.randn_like(x0), s)
    assert abs(float(xt.mean())) < 0.1 and abs(float(xt.std()) - 1) < 0.1  # the end is pure noise
    with pytest.raises(ValueError, match="one step per image"):
        q_sample(x0, torch.zeros(3, dtype=torch.long), x0, s)


def test_unet_uses_transposed_convolutions_and_keeps_shapes():
    net = TinyUNet(size=16, base=8)
    kinds = [type(m).__name__ for m in net.modules()]
    assert kinds.count("ConvTranspose2d") == 2
    assert net(torch.zeros(2, 1, 16, 16), torch.tensor([0, 9])).shape == (2, 1, 16, 16)
    with pytest.raises(ValueError, match="divisible by 4"):
        TinyUNet(size=10)


@pytest.mark.slow
def test_training_lowers_the_loss_and_samples_are_images():
    torch.manual_seed(0)
    x, _ = load_digits(size=8, split="train")
    net, s = TinyUNet(size=8, base=8), NoiseSchedule(20)
    h = train_ddpm(net, x * 2 - 1, s, steps=150, batch_size=64, progress=False)
    first, last = sum(h["loss"][:20]) / 20, sum(h["loss"][-20:]) / 20
    assert last < 0.8 * first
    images, traj = sample(net, s, n=4, seed=0, return_trajectory=True)
    assert images.shape == (4, 1, 8, 8) and float(images.min()) >= -1 and float(images.max()) <= 1
    assert len(traj) == 8
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        train_ddpm(net, x * 3, s, steps=1, progress=False)


class ConstantNoise(torch.nn.Module):
    """A stand-in denoiser that always predicts the same noise (deterministic, no training)."""

    def __init__(self, value: float):
        super().__init__()
        self.value = value
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x, t):
        return torch.full_like(x, self.value)


def test_reverse_step_is_algorithm_2_and_clipping_only_changes_out_of_range_predictions():
    s = NoiseSchedule(20)
    net = TinyUNet(size=8, base=8).eval()
    g = torch.Generator().manual_seed(0)
    x, z = torch.randn(3, 1, 8, 8, generator=g), torch.randn(3, 1, 8, 8, generator=g)
    for t in (19, 7, 1):
        eps = net(x, torch.full((3,), t))
        beta, alpha, abar = s.betas[t], s.alphas[t], s.alpha_bars[t]
        sigma = (beta * (1 - s.alpha_bars[t - 1]) / (1 - abar)).sqrt()
        paper = (x - beta / (1 - abar).sqrt() * eps) / alpha.sqrt() + sigma * z
        assert torch.allclose(reverse_step(net, x, t, s, noise=z), paper, atol=1e-5)
    # t = 0 adds no noise: the result does not depend on `noise`
    assert torch.equal(reverse_step(net, x, 0, s, noise=z), reverse_step(net, x, 0, s, noise=5 * z))
    # with x̂0 inside [-1, 1], clipping changes nothing; far outside, it bounds the step
    x0 = torch.rand(3, 1, 8, 8, generator=g) * 1.6 - 0.8
    eps_true = torch.randn(3, 1, 8, 8, generator=g)
    x_t = q_sample(x0, torch.full((3,), 10), eps_true, s)
    assert torch.allclose(predict_x0(x_t, eps_true, s.alpha_bars[10]), x0, atol=1e-4)
    wild = ConstantNoise(-30.0)                    # a terrible prediction: x̂0 far outside the range
    raw = reverse_step(wild, x_t, 19, s, noise=torch.zeros_like(x_t))
    clipped = reverse_step(wild, x_t, 19, s, noise=torch.zeros_like(x_t), clip_denoised=True)
    assert raw.abs().max() > 10 and clipped.abs().max() < 2
    with pytest.raises(ValueError, match="t must be in"):
        reverse_step(net, x, 20, s)


def test_clipped_sampling_stays_in_range_and_is_deterministic():
    s = NoiseSchedule(5)
    net = TinyUNet(size=8, base=8)
    a = sample(net, s, n=4, seed=3, clip_denoised=True)
    b = sample(net, s, n=4, seed=3, clip_denoised=True)
    assert torch.equal(a, b) and a.shape == (4, 1, 8, 8) and a.abs().max() <= 1
