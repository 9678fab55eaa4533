"""Footprints of conv / transposed-conv stacks: structural, analytic and empirical answers agree."""

import pytest
import torch
from torch import nn

from helpers.models import Generator
from helpers.receptive_field import (LayerSpec, footprint_widths, footprints, gradient_footprints,
                                     layer_specs, receptive_field_1d)


def test_conv_stack_matches_the_textbook_recursion():
    specs = [LayerSpec("conv", 3, 1, 1), LayerSpec("conv", 3, 2, 1), LayerSpec("conv", 5, 1, 2)]
    # the footprint of the centre output pixel on the input is the receptive field (away from borders)
    width = footprint_widths(specs, in_size=64)[0]
    assert width == receptive_field_1d(specs) == 1 + 2 + 2 + 4 * 2


@pytest.mark.parametrize("stack", [
    [nn.ConvTranspose2d(1, 1, 4, 2, 1), nn.ConvTranspose2d(1, 1, 4, 2, 1)],
    [nn.ConvTranspose2d(1, 1, 3, 2, 1, output_padding=1), nn.Conv2d(1, 1, 3, padding=1)],
    [nn.Upsample(scale_factor=2), nn.Conv2d(1, 1, 3, padding=1), nn.ConvTranspose2d(1, 1, 4, 2, 1)],
])
def test_structural_footprint_equals_brute_force_perturbation(stack):
    """A pixel is in the footprint iff changing it changes the output pixel (generic weights, linear)."""
    torch.manual_seed(0)
    net = nn.Sequential(*stack).double()
    for m in net:
        if hasattr(m, "weight"):
            nn.init.uniform_(m.weight, 0.5, 1.5)        # positive: no accidental cancellation
    size = 6
    structural = footprints(layer_specs(net), in_size=size)[0]
    x = torch.rand(1, 1, size, size, dtype=torch.float64)
    base = net(x)
    r, c = base.shape[-2] // 2, base.shape[-1] // 2
    brute = torch.zeros(size, size, dtype=torch.bool)
    for i in range(size):
        for j in range(size):
            x2 = x.clone()
            x2[0, 0, i, j] += 1.0
            brute[i, j] = bool((net(x2)[0, 0, r, c] - base[0, 0, r, c]).abs() > 1e-9)
    assert torch.equal(structural, brute)


def test_generator_footprints_are_small_but_z_is_global():
    G = Generator(latent_dim=8, width=8, size=32).eval()
    specs = layer_specs(G)
    assert [s.kind for s in specs] == ["convT"] * 4
    maps = footprints(specs, in_size=1)                 # z is a 1×1 "map" in front of the stem
    widths = [int(m.any(0).sum()) for m in maps]
    sizes = [m.shape[-1] for m in maps]
    assert sizes == [1, 4, 8, 16, 32]
    assert widths == [1, 2, 2, 2, 1]                    # all of z; 2×2 of every later map
    # the empirical footprint on the real network never exceeds the structural one
    feats = [G.stem, G.blocks[0], G.blocks[1]]
    emp = gradient_footprints(G, feats, torch.randn(16, 8))
    for e, s in zip(emp, maps[1:4]):
        assert not bool((e & ~s).any())
        assert bool(e.any())


def test_layer_specs_and_errors():
    with pytest.raises(ValueError, match="kind"):
        LayerSpec("pool", 2, 2)
    with pytest.raises(ValueError, match="no Conv2d"):
        layer_specs(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="outside"):
        footprints([LayerSpec("conv", 3, 1, 1)], in_size=4, pixel=(9, 9))
    with pytest.raises(ValueError, match="convolution stacks"):
        receptive_field_1d([LayerSpec("convT", 4, 2, 1)])
