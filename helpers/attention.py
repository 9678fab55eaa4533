"""A SAGAN self-attention block for the chapter-04 generator (chapter 05, section 2).

Self-attention (Zhang et al. 2019) lets every position of a feature map look
at every other position in one layer, where a stack of transposed
convolutions only ever mixes a few neighbours. The block is residual and
starts as the identity (its gain ``gamma`` is 0), so adding it to a
generator changes nothing until training finds a use for it.

:func:`register_sagan` makes ``config.arch = "sagan"`` build the chapter-04
:class:`~helpers.models.Generator` with one :class:`SelfAttention2d` after
its up-sampling blocks (and the usual discriminator), so the same training
loop, checkpoints and sampling of :mod:`helpers.gan` work unchanged.

>>> import torch
>>> from helpers.attention import SelfAttention2d
>>> block = SelfAttention2d(16)
>>> x = torch.randn(2, 16, 8, 8)                         # (batch, channels, H, W)
>>> y = block(x)
>>> y.shape, bool(torch.equal(y, x))                     # gamma = 0 at the start: identity
(torch.Size([2, 16, 8, 8]), True)
>>> block.last_attention.shape                           # (batch, query positions, key positions)
torch.Size([2, 64, 64])
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from helpers.checks import check_int

#: The architecture name :func:`register_sagan` registers in :mod:`helpers.gan`.
SAGAN_ARCH = "sagan"


class SelfAttention2d(nn.Module):
    """SAGAN self-attention: ``x + γ · o(h(x) · softmax(f(x)ᵀ g(x)))``.

    Taught in chapter 05, §5.2 (Global structure), through :func:`register_sagan`.

    ``f`` (queries) and ``g`` (keys) are 1×1 convolutions to ``C/8``
    channels, ``h`` (values) to ``C/2``, ``o`` back to ``C``; ``γ`` is a
    learned scalar that starts at 0. With ``spectral=True`` the 1×1
    convolutions are spectrally normalised, as in SAGAN. The attention
    weights of the last call are kept in ``last_attention``, shape
    ``(N, HW, HW)``: row ``i`` is where query position ``i`` looks.

    >>> SelfAttention2d(8, spectral=True)(torch.zeros(1, 8, 4, 4)).shape
    torch.Size([1, 8, 4, 4])
    """

    def __init__(self, channels: int, spectral: bool = False):
        super().__init__()
        if check_int(channels, "channels") < 8:
            raise ValueError(f"channels must be at least 8 (queries and keys have channels // 8), got {channels}")
        sn = _spectral_norm if spectral else (lambda m: m)
        inner = channels // 8
        self.query = sn(nn.Conv2d(channels, inner, 1, bias=False))
        self.key = sn(nn.Conv2d(channels, inner, 1, bias=False))
        self.value = sn(nn.Conv2d(channels, channels // 2, 1, bias=False))
        self.out = sn(nn.Conv2d(channels // 2, channels, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(()))
        self.last_attention: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q = self.query(x).flatten(2)                        # (N, C/8, HW)
        k = self.key(x).flatten(2)                          # (N, C/8, HW)
        v = self.value(x).flatten(2)                        # (N, C/2, HW)
        attn = torch.softmax(q.transpose(1, 2) @ k, dim=-1)  # (N, HW queries, HW keys)
        self.last_attention = attn.detach()
        o = (v @ attn.transpose(1, 2)).view(n, c // 2, h, w)  # each query: weighted sum of all values
        return x + self.gamma * self.out(o)


def add_self_attention(generator: nn.Module, spectral: bool = True) -> SelfAttention2d:
    """Append a :class:`SelfAttention2d` to ``generator.blocks`` (in place); returns the block.

    Taught in chapter 05, §5.2 (Global structure), through :func:`register_sagan`.

    For the chapter-04 :class:`~helpers.models.Generator` the block then
    works on the last hidden map (``size/2 × size/2``), just before
    ``to_image``.

    >>> from helpers.models import Generator
    >>> G = Generator(latent_dim=8, width=8, size=16)
    >>> block = add_self_attention(G)
    >>> G(torch.randn(2, 8)).shape, G.blocks[-1] is block
    (torch.Size([2, 1, 16, 16]), True)
    """
    blocks = getattr(generator, "blocks", None)
    if not isinstance(blocks, nn.Sequential):
        raise TypeError("generator must have an nn.Sequential attribute `blocks` (the chapter-04 Generator)")
    channels = None
    for m in reversed(list(blocks.modules())):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            channels = m.out_channels
            break
    if channels is None:       # no hidden up block (size 8): the stem's width
        channels = generator.width * 2
    block = SelfAttention2d(channels, spectral=spectral)
    blocks.append(block)
    return block


def build_sagan(config) -> tuple[nn.Module, nn.Module]:
    """``(G, D)`` for a :class:`helpers.gan.GANConfig`: the chapter-04 models plus one attention block in G.

    Taught in chapter 05, §5.2 (Global structure), through :func:`register_sagan`.
    """
    from helpers.gan import ARCHITECTURES

    G, D = ARCHITECTURES["dcgan"](config)
    add_self_attention(G)
    return G, D


def register_sagan() -> str:
    """Register :func:`build_sagan` with :mod:`helpers.gan` as ``"sagan"``; returns the name.

    Taught in chapter 05, §5.2 (Global structure).

    >>> from helpers import gan
    >>> cfg = gan.recipe_config("fast", arch=register_sagan(), size=16, g_width=8, d_width=8)
    >>> G, D = gan.build_models(cfg)
    >>> type(G.blocks[-1]).__name__
    'SelfAttention2d'
    """
    from helpers.gan import register_architecture

    register_architecture(SAGAN_ARCH, build_sagan)
    return SAGAN_ARCH
