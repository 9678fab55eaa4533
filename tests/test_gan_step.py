"""helpers.gan's training step in the open: d_step / g_step, train_step, build, configs, load_or_train."""
import random

import numpy as np
import pytest
import torch

from helpers import gan
from helpers.gan import (GANConfig, build, d_step, fit, g_step, load_or_train, recipe_config,
                         train_step)
from helpers.models import Discriminator, Generator

TINY = dict(g_width=4, d_width=4, latent_dim=8, batch_size=8, size=16)


def tiny_models(seed=0, num_classes=None):
    torch.manual_seed(seed)
    G = Generator(latent_dim=8, width=4, size=16, num_classes=num_classes)
    D = Discriminator(width=4, size=16, norm="none", spectral=True, num_classes=num_classes)
    return G, D


def params(model):
    return [p.detach().clone() for p in model.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def batch(seed=0, n=8):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 16, 16, generator=g) * 2 - 1, torch.randn(n, 8, generator=g)


def test_d_step_changes_d_and_leaves_g_untouched():
    G, D = tiny_models()
    real, z = batch()
    fake = G(z)
    g_before, d_before = params(G), params(D)
    d_step(D, torch.optim.SGD(D.parameters(), lr=0.1), real, fake, "hinge")
    assert same(params(G), g_before)
    assert all(p.grad is None for p in G.parameters())        # a missing .detach() would fill these
    assert not same(params(D), d_before)
    assert fake.requires_grad and fake.grad_fn is not None      # G's graph survives for the G step


def test_g_step_after_d_step_works_and_leaves_d_untouched():
    G, D = tiny_models()
    real, z = batch()
    fake = G(z)
    d_step(D, torch.optim.Adam(D.parameters()), real, fake, "hinge")
    d_after = params(D)
    d_grads = [p.grad.clone() for p in D.parameters()]
    g_before = params(G)
    g_step(D, torch.optim.Adam(G.parameters(), lr=1e-3), fake, "hinge")   # fails if D step freed G's graph
    assert same(params(D), d_after)
    assert all(torch.equal(p.grad, g) for p, g in zip(D.parameters(), d_grads))   # no G-step gradients
    assert all(p.requires_grad for p in D.parameters())       # D is unfrozen afterwards
    assert not same(params(G), g_before)


def test_zero_learning_rates_change_nothing():
    G, D = tiny_models()
    real, z = batch()
    fake = G(z)
    g_before, d_before = params(G), params(D)
    d_step(D, torch.optim.Adam(D.parameters(), lr=0.0), real, fake, "bce")
    g_step(D, torch.optim.Adam(G.parameters(), lr=0.0), fake, "bce")
    assert same(params(G), g_before)
    # D's parameters are unchanged; spectral norm's power-iteration buffers may move
    assert same(params(D), d_before)


@pytest.mark.parametrize("loss", ["bce", "hinge"])
def test_d_step_is_a_gradient_step_on_the_d_loss(loss):
    G, D = tiny_models()
    D.eval()                                                   # fixed spectral-norm estimate
    real, z = batch()
    fake = G(z).detach()
    lr = 0.05
    expected = [p.detach().clone() for p in D.parameters()]
    grads = torch.autograd.grad(gan.d_loss(loss, D(real), D(fake)), list(D.parameters()))
    expected = [p - lr * g for p, g in zip(expected, grads)]
    d_step(D, torch.optim.SGD(D.parameters(), lr=lr), real, fake, loss)
    assert all(torch.allclose(p, e, atol=1e-6) for p, e in zip(D.parameters(), expected))


@pytest.mark.parametrize("loss", ["bce", "hinge"])
def test_steps_move_the_logits_the_right_way(loss):
    G, D = tiny_models()
    D.eval()
    real, z = batch()
    fake = G(z)
    with torch.no_grad():
        gap = float(D(real).mean() - D(fake).mean())
    d_step(D, torch.optim.SGD(D.parameters(), lr=0.05), real, fake, loss)
    with torch.no_grad():
        assert float(D(real).mean() - D(fake).mean()) > gap      # D separates real from fake more
        before = float(D(G(z)).mean())
    g_step(D, torch.optim.SGD(G.parameters(), lr=0.05), G(z), loss)
    with torch.no_grad():
        assert float(D(G(z)).mean()) > before                    # G's fakes look more real to D


def test_conditional_models_go_through_the_same_steps():
    G, D = tiny_models(num_classes=3)
    real, z = batch()
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    fake = G(z, y)
    out = d_step(D, torch.optim.Adam(D.parameters()), real, fake, "hinge", y, y)
    out.update(g_step(D, torch.optim.Adam(G.parameters()), fake, "hinge", y))
    assert set(out) == {"loss_d", "d_real", "d_fake", "loss_g"}


def test_train_step_is_d_step_then_g_step_then_ema():
    """One train_step equals the open code: the same batch, latents, D step and G step."""
    cfg = recipe_config("fast", **TINY)
    x = torch.rand(24, 1, 16, 16, generator=torch.Generator().manual_seed(3))
    a, b = build(cfg, device="cpu"), build(cfg, device="cpu")
    images, labels = gan.prepare_data((x, None), cfg, a.device)
    train_step(a, images, labels)
    real, _ = gan.real_batch(b, images, None)
    z, _ = gan.draw_latents(b, real.shape[0])
    fake = b.generator(z)
    d_step(b.discriminator, b.opt_d, real, fake, cfg.loss)
    g_step(b.discriminator, b.opt_g, fake, cfg.loss)
    gan.update_ema(b.ema_generator, b.generator, cfg.ema_decay, 1)
    for m_a, m_b in ((a.generator, b.generator), (a.discriminator, b.discriminator),
                     (a.ema_generator, b.ema_generator)):
        assert all(torch.equal(p, q) for p, q in zip(m_a.state_dict().values(), m_b.state_dict().values()))


def test_build_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    np.random.seed(5)
    random.seed(7)
    states = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    s1 = build(recipe_config("fast", **TINY), device="cpu")
    s2 = build(recipe_config("fast", **TINY), device="cpu")
    assert torch.equal(states[0], torch.get_rng_state())
    assert np.array_equal(states[1], np.random.get_state()[1]) and states[2] == random.getstate()
    assert all(torch.equal(p, q) for p, q in zip(s1.generator.parameters(), s2.generator.parameters()))
    s3 = build(recipe_config("fast", **dict(TINY, seed=1)), device="cpu")
    assert not all(torch.equal(p, q) for p, q in zip(s1.generator.parameters(), s3.generator.parameters()))


def test_a_config_gets_the_settings_of_the_recipe_it_names():
    assert GANConfig(recipe="tutorial") == recipe_config("tutorial")
    assert GANConfig() == recipe_config("fast")
    t = GANConfig(recipe="tutorial", lr_g=1e-3)
    assert (t.lr_g, t.lr_d, t.batch_size, t.ema_decay) == (1e-3, 2e-4, 128, None)
    with pytest.raises(ValueError, match="every setting must be given"):
        GANConfig(recipe="mine")
    with pytest.raises(ValueError, match="unknown GANConfig fields"):
        recipe_config("fast", latentdim=3)
    with pytest.raises(ValueError, match="lr_g must be a number >= 0"):
        recipe_config("fast", lr_g=-1.0)
    assert GANConfig.from_dict(recipe_config("tutorial").to_dict()) == recipe_config("tutorial")


def test_load_or_train_moves_a_mismatched_checkpoint_aside(tmp_path, capsys):
    x = (torch.rand(24, 1, 16, 16, generator=torch.Generator().manual_seed(0)), None)
    small = recipe_config("fast", **dict(TINY, latent_dim=4))
    first = load_or_train(small, tmp_path, steps=2, data=x, device="cpu", progress=False)
    assert first.generator.latent_dim == 4
    wanted = recipe_config("fast", **TINY)
    state = load_or_train(wanted, tmp_path, steps=2, data=x, device="cpu", progress=False)
    out = capsys.readouterr().out
    assert state.generator.latent_dim == 8 and state.config == wanted
    assert "latent_dim=4 (asked 8)" in out and "moved it to" in out
    stale = tmp_path / "checkpoint.pt.stale-1"
    assert stale.exists() and gan.checkpoint_config(stale).latent_dim == 4      # not overwritten
    again = load_or_train(wanted, tmp_path, steps=2, data=x, device="cpu", progress=False)
    assert capsys.readouterr().out == "" and again.step == 2                    # this run: loaded
    assert all(torch.equal(p, q) for p, q in zip(again.generator.parameters(), state.generator.parameters()))


def test_load_or_train_continues_a_shorter_run_bit_identically(tmp_path):
    x = (torch.rand(24, 1, 16, 16, generator=torch.Generator().manual_seed(0)), None)
    cfg = recipe_config("fast", **TINY)
    load_or_train(cfg, tmp_path / "a", steps=3, data=x, device="cpu", progress=False)
    longer = load_or_train(cfg, tmp_path / "a", steps=6, data=x, device="cpu", progress=False)
    one_go = fit(build(cfg, device="cpu"), x, steps=6, progress=False)
    assert longer.step == 6
    assert all(torch.equal(p, q) for p, q in zip(longer.generator.parameters(), one_go.generator.parameters()))
    fewer = load_or_train(cfg, tmp_path / "a", steps=4, data=x, device="cpu", progress=False)
    assert fewer.step == 4 and (tmp_path / "a" / "checkpoint.pt.stale-1").exists()


def test_snapshots_are_saved_with_the_checkpoint(tmp_path):
    x = (torch.rand(24, 1, 16, 16, generator=torch.Generator().manual_seed(0)), None)
    cfg = recipe_config("fast", **TINY)
    load_or_train(cfg, tmp_path, steps=4, data=x, device="cpu", progress=False,
                  callback=gan.Snapshots(n=3), callback_every=2)
    loaded = load_or_train(cfg, tmp_path, steps=4, data=x, device="cpu", progress=False)
    frames = gan.Snapshots.of(loaded)
    assert [s for s, _ in frames] == [2, 4] and frames[0][1].shape == (3, 1, 16, 16)


def test_ema_decay_schedule():
    assert gan.ema_decay_at(0, 0.999) == pytest.approx(0.1)
    assert gan.ema_decay_at(8989, 0.999) < 0.999 - 1e-9 and gan.ema_decay_at(8991, 0.999) == 0.999
