"""The ×2 super-resolution network: starts as bicubic, and a short training run beats bicubic."""

import pytest
import torch

from helpers.imaging import psnr
from helpers.superres import (SRNet, downscale, load_photos, random_patches, super_resolve, train_superres,
                              upscale_bicubic)



def test_untrained_network_is_exactly_bicubic():
    lr = torch.rand(1, 1, 10, 12)
    assert torch.allclose(super_resolve(SRNet(width=4), lr), upscale_bicubic(lr))


def test_decoder_uses_transposed_convolutions():
    kinds = [type(m).__name__ for m in SRNet(width=4).modules()]
    assert kinds.count("ConvTranspose2d") == 2


@pytest.mark.slow
def test_short_training_beats_bicubic_on_an_unseen_photo():
    torch.manual_seed(0)
    hr = random_patches(load_photos(("camera", "astronaut", "coins")), n=300, size=32, seed=0)
    net = SRNet(width=16)
    train_superres(net, hr, steps=150, batch_size=16, progress=False)
    test = load_photos(("coffee",))[0][:, :256, :256]
    lr = downscale(test[None])[0]
    assert psnr(super_resolve(net, lr), test) > psnr(upscale_bicubic(lr[None])[0], test)


def test_errors():
    with pytest.raises(ValueError, match="divisible"):
        downscale(torch.rand(1, 1, 7, 8))
    with pytest.raises(ValueError, match="even"):
        SRNet(width=4)(torch.rand(1, 1, 5, 6))
    with pytest.raises(ValueError, match="smaller than the patch"):
        random_patches([torch.rand(1, 8, 8)], n=1, size=16)
