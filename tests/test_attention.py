import pytest
"""The SAGAN block and its use through the chapter-04 training loop."""

import torch

from helpers import gan
from helpers.attention import SelfAttention2d, add_self_attention, register_sagan
from helpers.models import Generator
from helpers.receptive_field import gradient_footprints



def test_attention_rows_are_distributions_and_the_view_is_global():
    block = SelfAttention2d(16)
    with torch.no_grad():
        block.gamma.fill_(1.0)
    x = torch.randn(2, 16, 6, 6, requires_grad=True)
    y = block(x)
    assert torch.allclose(block.last_attention.sum(-1), torch.ones(2, 36), atol=1e-5)
    y[:, :, 0, 0].sum().backward()
    assert bool((x.grad.abs().sum(dim=(0, 1)) > 0).all())        # pixel (0, 0) sees every position


def test_generator_with_attention_sees_the_whole_hidden_map():
    G = Generator(latent_dim=8, width=8, size=16).eval()
    add_self_attention(G)
    with torch.no_grad():
        G.blocks[-1].gamma.fill_(0.5)
    before = gradient_footprints(G, [G.blocks[0]], torch.randn(8, 8))[0]
    assert bool(before.all())                                     # the 8×8 map before attention: all of it
    plain = Generator(latent_dim=8, width=8, size=16).eval()
    assert int(gradient_footprints(plain, [plain.blocks[0]], torch.randn(8, 8))[0].sum()) <= 9


def test_sagan_trains_with_the_chapter_04_loop():
    cfg = gan.recipe_config("fast", arch=register_sagan(), size=16, g_width=8, d_width=8, latent_dim=8,
                            batch_size=16, num_classes=10)
    x = torch.rand(64, 1, 16, 16)
    y = torch.arange(64) % 10
    state = gan.fit(gan.build(cfg, device="cpu"), (x, y), steps=3, progress=False)
    assert state.step == 3
    assert type(state.generator.blocks[-1]).__name__ == "SelfAttention2d"
    assert gan.sample(state, 10).shape == (10, 1, 16, 16)
