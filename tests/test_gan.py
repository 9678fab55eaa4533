"""helpers.models and helpers.gan: shapes, losses, bit-identical resume, sampling (the CLI: test_gan_cli.py)."""

import pytest
import torch

from helpers import gan
from helpers.gan import (CheckpointError, GANState, build, d_loss, fit, g_loss, load_checkpoint,
                         recipe_config, sample, save_checkpoint, train)
from helpers.models import Discriminator, Generator, format_table, layer_table

TINY = dict(g_width=4, d_width=4, latent_dim=8, batch_size=16, checkpoint_every=30)



def tiny_data(n=40, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, size, size, generator=g), torch.randint(0, 10, (n,), generator=g)


def weights(state):
    out = {}
    for prefix, model in (("G", state.generator), ("D", state.discriminator), ("E", state.ema_generator)):
        if model is not None:
            out.update({f"{prefix}.{k}": v.detach().clone() for k, v in model.state_dict().items()})
    return out


# ----------------------------------------------------------------------------- models

@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("upsample", ["transposed", "resize"])
def test_generator_and_discriminator_shapes(size, upsample):
    G = Generator(latent_dim=8, width=4, size=size, upsample=upsample)
    D = Discriminator(width=4, size=size, spectral=True, norm="none")
    x = G(torch.randn(3, 8))
    assert x.shape == (3, 1, size, size)
    assert float(x.detach().abs().max()) <= 1.0
    assert D(x).shape == (3,)


def test_generator_uses_transposed_convolutions_k4_s2_p1():
    G = Generator(width=8)
    ups = [m for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)][1:]
    assert len(ups) == 3
    assert all(m.kernel_size == (4, 4) and m.stride == (2, 2) and m.padding == (1, 1) for m in ups)


def test_resize_generator_has_no_transposed_conv_after_the_stem():
    G = Generator(width=8, upsample="resize")
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in G.modules()) == 1  # the 1×1 → 4×4 stem


def test_conditional_models_take_labels_and_unconditional_refuse_them():
    G, D = Generator(latent_dim=8, width=4, num_classes=10), Discriminator(width=4, num_classes=10)
    y = torch.tensor([0, 5, 9])
    assert D(G(torch.randn(3, 8), y), y).shape == (3,)
    with pytest.raises(ValueError, match="pass labels"):
        G(torch.randn(3, 8))
    with pytest.raises(ValueError, match="unconditional"):
        Generator(latent_dim=8, width=4)(torch.randn(3, 8), y)


def test_model_argument_errors():
    with pytest.raises(ValueError, match="size must be one of"):
        Generator(size=28)
    with pytest.raises(ValueError, match=r"z must have shape \(N, 8\)"):
        Generator(latent_dim=8, width=4)(torch.randn(2, 9))
    with pytest.raises(ValueError, match="x must have shape"):
        Discriminator(width=4)(torch.zeros(2, 1, 16, 16))


def test_layer_table_lists_every_layer_with_its_output_shape():
    rows = layer_table(Generator(latent_dim=8, width=4), torch.zeros(1, 8))
    shapes = [r["output shape"] for r in rows if r["type"] == "ConvTranspose2d"]
    assert shapes == ["(1, 16, 4, 4)", "(1, 8, 8, 8)", "(1, 4, 16, 16)", "(1, 1, 32, 32)"]
    assert format_table(rows).count("\n") == len(rows) + 1


# ----------------------------------------------------------------------------- losses

def test_losses_are_bce_with_logits_and_hinge():
    real, fake = torch.tensor([3.0, 1.0]), torch.tensor([-2.0, 0.5])
    bce = torch.nn.BCEWithLogitsLoss()
    assert torch.allclose(d_loss("bce", real, fake), bce(real, torch.ones(2)) + bce(fake, torch.zeros(2)))
    assert torch.allclose(g_loss("bce", fake), bce(fake, torch.ones(2)))   # non-saturating
    assert torch.isclose(d_loss("hinge", real, fake), torch.tensor((0 + 0) / 2 + (0 + 1.5) / 2))
    assert torch.isclose(g_loss("hinge", fake), -fake.mean())
    # BCEWithLogits stays finite where sigmoid + BCELoss would give log(0)
    assert torch.isfinite(d_loss("bce", torch.tensor([-200.0]), torch.tensor([200.0])))


# ----------------------------------------------------------------------------- training

@pytest.mark.slow
def test_resume_is_bit_identical_on_cpu(tmp_path):
    cfg = recipe_config("fast", **TINY)
    data = tiny_data()
    # resumed mid-epoch (40 images, batches of 16), with checkpoints (every 30) after it
    one = train(cfg, data, steps=60, device="cpu", progress=False)
    train(cfg, data, steps=25, out=tmp_path, device="cpu", progress=False)
    two = train(cfg, data, steps=60, out=tmp_path, resume=True, device="cpu", progress=False)
    assert two.step == one.step == 60 and two.batches == one.batches
    a, b = weights(one), weights(two)
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert different == [], f"weights differ after resume: {different[:5]}"
    assert one.history["loss_d"] == two.history["loss_d"]


@pytest.mark.slow
def test_resume_is_bit_identical_for_the_tutorial_recipe_and_a_conditional_gan(tmp_path):
    data = tiny_data()
    for name, cfg in (("tut", recipe_config("tutorial", **TINY)),
                      ("cond", recipe_config("fast", num_classes=10, **TINY))):
        one = train(cfg, data, steps=24, device="cpu", progress=False)
        train(cfg, data, steps=11, out=tmp_path / name, device="cpu", progress=False)
        two = train(cfg, data, steps=24, out=tmp_path / name, resume=True, device="cpu", progress=False)
        a, b = weights(one), weights(two)
        assert all(torch.equal(a[k], b[k]) for k in a), name


def test_fit_takes_custom_models_and_a_callback():
    cfg = recipe_config("fast", size=16, **TINY)
    G = Generator(latent_dim=8, width=4, size=16, upsample="resize")
    D = Discriminator(width=4, size=16, spectral=True, norm="none")
    seen = []
    state = train(cfg, tiny_data(size=16), generator=G, discriminator=D, steps=6, device="cpu",
                  progress=False, callback=lambda s: seen.append(s.step), callback_every=3)
    assert state.generator is G and seen == [3, 6]
    assert len(state.history["loss_g"]) == 6


def test_fit_by_seconds_stops():
    state = build(recipe_config("fast", **TINY), device="cpu")
    fit(state, tiny_data(), seconds=0.5, progress=False)
    assert state.step >= 1 and state.train_seconds >= 0.5


def test_sampling_shape_range_and_ema(tmp_path):
    state = train(recipe_config("fast", **TINY), tiny_data(), steps=5, out=tmp_path, device="cpu",
                  progress=False)
    x = sample(state, 37, seed=3)
    assert x.shape == (37, 1, 32, 32) and x.dtype == torch.float32
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    assert torch.equal(x, sample(state.ema_generator, 37, seed=3))           # EMA by default
    assert torch.equal(x, sample(state, 37, seed=3))                          # seeded
    assert state.generator.training                                          # mode restored
    loaded = load_checkpoint(tmp_path / "checkpoint.pt", device="cpu")
    assert torch.equal(x, sample(loaded, 37, seed=3))
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        sample(state, 0)
    with pytest.raises(TypeError, match="n must be an int, not float"):
        sample(state, 2.0)


def test_checkpoint_holds_what_the_issue_lists(tmp_path):
    state = train(recipe_config("fast", **TINY), tiny_data(), steps=3, out=tmp_path, device="cpu",
                  progress=False)
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    for key in ("generator", "ema_generator", "discriminator", "opt_g", "opt_d", "step", "rng", "config"):
        assert key in ckpt
    assert ckpt["step"] == 3 and ckpt["config"]["recipe"] == "fast"
    assert not list(tmp_path.glob(".*tmp*"))                                  # no temporary left


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    state = train(recipe_config("fast", **TINY), tiny_data(), steps=2, out=tmp_path, device="cpu",
                  progress=False)
    path = tmp_path / "checkpoint.pt"
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(gan.torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(state, path)
    assert path.read_bytes() == before and not list(tmp_path.glob(".*tmp*"))


def test_keyboard_interrupt_saves_a_checkpoint(tmp_path):
    def interrupt(state):
        raise KeyboardInterrupt

    state = build(recipe_config("fast", **TINY), device="cpu")
    with pytest.raises(KeyboardInterrupt):
        fit(state, tiny_data(), steps=50, out=tmp_path, progress=False, callback=interrupt,
            callback_every=7)
    assert state.interrupted
    assert load_checkpoint(tmp_path / "checkpoint.pt", device="cpu").step == 7


def test_load_checkpoint_errors(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(bad)
    train(recipe_config("fast", **TINY), tiny_data(), steps=1, out=tmp_path, device="cpu", progress=False)
    with pytest.raises(CheckpointError, match=r"size=32 \(asked 16\)"):
        load_checkpoint(tmp_path / "checkpoint.pt", expect=recipe_config("fast", size=16, **TINY))
    with pytest.raises(CheckpointError, match=r"latent_dim=8 \(asked 32\)"):
        load_checkpoint(tmp_path / "checkpoint.pt", expect=recipe_config("fast", **dict(TINY, latent_dim=32)))


def test_config_validation():
    with pytest.raises(ValueError, match="dataset must be one of"):
        recipe_config("fast", dataset="cifar")
    with pytest.raises(ValueError, match="unknown recipe"):
        recipe_config("slow")
    with pytest.raises(ValueError, match="steps"):
        fit(build(recipe_config("fast", **TINY), device="cpu"), tiny_data(), progress=False)


# ----------------------------------------------------------------------------- exercises, helpers

def test_interpolation_keeps_the_norm_and_hits_the_ends():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(64, generator=g), torch.randn(64, generator=g)
    path = gan.interpolate(z0, z1, steps=5)
    assert path.shape == (5, 64)
    assert torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)
    assert path[2].norm() > 0.9 * min(z0.norm(), z1.norm())
    assert gan.interpolate(z0, z1, steps=3, mode="lerp")[1].norm() < 0.8 * z0.norm()


def test_transposed_generator_at_init_has_more_checkerboard_power_than_resize():
    from helpers.metrics import checkerboard_energy

    torch.manual_seed(0)
    t = sample(Generator(width=8), 128)
    torch.manual_seed(0)
    r = sample(Generator(width=8, upsample="resize"), 128)
    assert checkerboard_energy(t) > 3 * checkerboard_energy(r)


def test_live_view_draws_a_figure():
    state = train(recipe_config("fast", **TINY), tiny_data(), steps=3, device="cpu", progress=False)
    view = gan.LiveView(n_samples=4, nrow=4, display=False)
    fig = view.figure(state)
    assert len(fig.axes) == 2
    view(state)


def test_standing_statistics_for_the_ema_generator_are_deterministic_and_leave_rng_alone():
    state = train(recipe_config("fast", **TINY), tiny_data(), steps=5, device="cpu", progress=False)
    ema_bn = [m for m in state.ema_generator.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    raw_bn = [m for m in state.generator.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert not torch.equal(ema_bn[0].running_mean, raw_bn[0].running_mean)   # recomputed, not copied
    before = [m.running_var.clone() for m in ema_bn]
    rng = torch.get_rng_state()
    gan.standing_batchnorm_(state.ema_generator, seed=state.config.seed)
    assert all(torch.equal(b, m.running_var) for b, m in zip(before, ema_bn))
    assert torch.equal(rng, torch.get_rng_state()) and ema_bn[0].momentum == 0.1
