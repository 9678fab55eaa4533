"""×2 super-resolution of real photos with a small encoder–decoder (chapter 05).

The network is U-Net-shaped (Ronneberger et al. 2015): an encoder that
halves the size with a strided convolution, a decoder that doubles it
back — twice, the second time past the input size — with **transposed
convolutions** ``ConvTranspose2d(k=4, s=2, p=1)``, and a skip connection.
It predicts a correction that is added to the bicubic upscaling of the
input (residual learning), so it starts out as good as bicubic and can only
learn to add what bicubic misses.

The low-resolution images are made from the photos by an anti-aliased
bicubic ×½ resize (:func:`downscale`), the usual protocol of single-image
super-resolution papers (Dong et al. 2016; Shi et al. 2016).

>>> import torch
>>> from helpers.superres import SRNet, downscale, upscale_bicubic
>>> hr = torch.rand(2, 1, 32, 32)
>>> lr = downscale(hr)                                  # (2, 1, 16, 16)
>>> tuple(lr.shape), tuple(upscale_bicubic(lr).shape), tuple(SRNet(width=8)(lr).shape)
((2, 1, 16, 16), (2, 1, 32, 32), (2, 1, 32, 32))
"""

from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import nn

from helpers.checks import check_image_batch, check_positive_int, check_tensor
from helpers.training import train_steps

#: Photos the network learns from, and the one it is tested on (never seen in training).
TRAIN_PHOTOS = ("astronaut", "camera", "coffee", "coins", "moon", "rocket", "clock", "brick", "grass", "gravel")
TEST_PHOTO = "chelsea"


def downscale(images: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Anti-aliased bicubic downscaling by ``factor`` (the degradation to undo).

    Taught in chapter 05, §5.5 (Wider applications).

    >>> downscale(torch.rand(1, 1, 8, 8)).shape
    torch.Size([1, 1, 4, 4])
    """
    check_tensor(images, "images", (4,), "(N, C, H, W)")
    factor = check_positive_int(factor, "factor")
    h, w = images.shape[-2:]
    if h % factor or w % factor:
        raise ValueError(f"height and width ({h}, {w}) must be divisible by factor={factor}; crop first")
    out = F.interpolate(images, size=(h // factor, w // factor), mode="bicubic",
                        antialias=True, align_corners=False)
    return out.clamp(0.0, 1.0)


def upscale_bicubic(images: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """The baseline: bicubic ×``factor`` upscaling, clipped to [0, 1].

    Taught in chapter 05, §5.5 (Wider applications).

    >>> upscale_bicubic(torch.rand(1, 1, 4, 4)).shape
    torch.Size([1, 1, 8, 8])
    """
    out = F.interpolate(images, scale_factor=factor, mode="bicubic", align_corners=False)
    return out.clamp(0.0, 1.0)


class SRNet(nn.Module):
    """Encoder–decoder for ×2 super-resolution; output = bicubic(x) + learned correction.

    Taught in chapter 05, §5.5 (Wider applications).

    ::

        x (N,1,h,w) ─ conv3 ─▶ f1 (N,c,h,w) ─ conv k4 s2 ─▶ (N,2c,h/2,w/2) ─ conv3
          ─ ConvT k4 s2 ─▶ (N,c,h,w) ⊕ f1 ─ conv3 ─ ConvT k4 s2 ─▶ (N,c,2h,2w) ─ conv3 ─▶ (N,1,2h,2w)

    ``h`` and ``w`` must be even. The last convolution starts at zero, so an
    untrained network returns exactly the bicubic upscaling.

    >>> x = torch.rand(1, 1, 8, 8)
    >>> bool(torch.allclose(SRNet(width=4)(x).clamp(0, 1), upscale_bicubic(x)))
    True
    """

    def __init__(self, channels: int = 1, width: int = 32):
        super().__init__()
        c = width
        act = nn.LeakyReLU(0.1)
        self.head = nn.Sequential(nn.Conv2d(channels, c, 3, padding=1), act)                  # h
        self.down = nn.Sequential(nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), act,             # h/2
                                  nn.Conv2d(2 * c, 2 * c, 3, padding=1), act)
        self.up1 = nn.Sequential(nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), act)     # h
        self.fuse = nn.Sequential(nn.Conv2d(2 * c, c, 3, padding=1), act)                       # after ⊕ skip
        self.up2 = nn.Sequential(nn.ConvTranspose2d(c, c, 4, stride=2, padding=1), act)         # 2h
        self.tail = nn.Conv2d(c, channels, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 2 or x.shape[-2] % 2:
            raise ValueError(f"input height and width must be even, got {tuple(x.shape[-2:])}")
        f1 = self.head(x)                               # (N, c, h, w)
        f = self.up1(self.down(f1))                     # (N, c, h, w)
        f = self.fuse(torch.cat([f, f1], dim=1))        # (N, c, h, w)
        residual = self.tail(self.up2(f))               # (N, 1, 2h, 2w)
        return F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False) + residual


def load_photos(names=TRAIN_PHOTOS) -> list[torch.Tensor]:
    """Grey versions of scikit-image sample photos, each ``(1, H, W)`` in [0, 1], cropped to even sizes.

    Taught in chapter 05, §5.5 (Wider applications).

    >>> [tuple(p.shape) for p in load_photos(("camera",))]
    [(1, 512, 512)]
    """
    from helpers.data import load_sample_image

    photos = []
    for name in names:
        p = load_sample_image(name, gray=True)
        h, w = p.shape[-2:]
        photos.append(p[:, : h - h % 4, : w - w % 4].contiguous())
    return photos


def random_patches(photos, n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    """``n`` random ``size × size`` crops, drawn evenly from ``photos``: ``(n, 1, size, size)``.

    Taught in chapter 05, §5.5 (Wider applications).

    >>> random_patches(load_photos(("camera",)), n=5, size=16).shape
    torch.Size([5, 1, 16, 16])
    """
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        p = photos[i % len(photos)]
        h, w = p.shape[-2:]
        if h < size or w < size:
            raise ValueError(f"photo {i % len(photos)} is {h}×{w}, smaller than the patch size {size}")
        top = int(torch.randint(0, h - size + 1, (1,), generator=gen))
        left = int(torch.randint(0, w - size + 1, (1,), generator=gen))
        out.append(p[:, top:top + size, left:left + size])
    return torch.stack(out)


def train_superres(model: nn.Module, hr_patches: torch.Tensor, steps: int = 400, batch_size: int = 32,
                   lr: float = 1e-3, seed: int = 0, progress: bool = True) -> dict:
    """Train on ``(downscale(hr), hr)`` pairs with the L1 loss; returns ``{"loss": [...], "seconds": s}``.

    Taught in chapter 05, §5.5 (Wider applications).

    Random flips and 90° rotations multiply the patches for free.

    >>> net = SRNet(width=4)
    >>> h = train_superres(net, torch.rand(8, 1, 16, 16), steps=2, batch_size=4, progress=False)
    >>> len(h["loss"])
    2
    """
    hr_patches = check_image_batch(hr_patches, "hr_patches", channels=None)
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)

    def batch_loss():                          # a random batch, rotated and flipped at random
        idx = torch.randint(0, hr_patches.shape[0], (batch_size,), generator=gen)
        hr = hr_patches[idx]
        k = int(torch.randint(0, 4, (1,), generator=gen))
        hr = torch.rot90(hr, k, dims=(-2, -1))
        if bool(torch.randint(0, 2, (1,), generator=gen)):
            hr = hr.flip(-1)
        hr = hr.to(device)
        return F.l1_loss(model(downscale(hr)), hr)

    history = train_steps(model, batch_loss, steps, lr, desc="super-resolution", progress=progress,
                          postfix="l1", postfix_every=25)
    model.eval()
    return history


@torch.no_grad()
def super_resolve(model: nn.Module, lr_image: torch.Tensor) -> torch.Tensor:
    """Apply a trained model to a whole image ``(C, h, w)`` or batch; returns values in [0, 1].

    Taught in chapter 05, §5.5 (Wider applications).

    >>> super_resolve(SRNet(width=4), torch.rand(1, 6, 6)).shape
    torch.Size([1, 12, 12])
    """
    model.eval()
    single = lr_image.dim() == 3
    x = lr_image[None] if single else lr_image
    device = next(model.parameters()).device
    y = model(x.to(device)).clamp(0.0, 1.0).cpu()
    return y[0] if single else y
