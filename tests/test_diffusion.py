"""The tiny DDPM: schedule, forward process, U-Net shapes, and a short real training run."""

import pytest
import torch

from helpers.data import load_digits
from helpers.diffusion import NoiseSchedule, TinyUNet, q_sample, sample, train_ddpm



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
