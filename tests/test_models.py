"""helpers.models: the toy MLP GAN of chapter 04 (with helpers.data's ring of Gaussians) and html_table."""
import pytest
# ----------------------------------------------------------------------------- issue 11 additions

def test_mlp_gan_models_and_the_ring_data():
    import torch

    from helpers.data import ring_mode_stats, ring_of_gaussians
    from helpers.models import MLPDiscriminator, MLPGenerator

    G, D = MLPGenerator(latent_dim=4, hidden=16), MLPDiscriminator(hidden=16, spectral=True)
    assert G(torch.zeros(3, 4)).shape == (3, 2) and D(torch.zeros(3, 2)).shape == (3,)
    with pytest.raises(ValueError, match="unconditional"):
        G(torch.zeros(3, 4), torch.zeros(3, dtype=torch.long))
    x, k = ring_of_gaussians(4000, seed=0)
    stats = ring_mode_stats(x)
    assert stats["modes_covered"] == 8 and stats["high_quality"] > 0.99
    one_mode = x[k == 0]
    assert ring_mode_stats(one_mode)["modes_covered"] == 1
    assert ring_mode_stats(torch.zeros(100, 2))["high_quality"] == 0.0       # the centre is no mode
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        ring_mode_stats(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        ring_of_gaussians(0)


def test_html_table_escapes_and_keeps_the_order():
    from helpers.models import html_table

    out = html_table([{"b": "<i>", "a": 1}, {"b": 2, "a": 3}])
    assert out.index("<th>b</th>") < out.index("<th>a</th>") and "&lt;i&gt;" in out
    assert out.count("<tr>") == 3 and html_table([]) == ""
