"""No public helper changes the caller's global random state (issue 13, item 1).

The notebooks seed once (``set_seed(0)``) and then rely on the global
generators. A helper that reseeds them, or draws from them behind the
reader's back, silently changes every later cell. This file

1. finds, systematically, every public callable of :mod:`helpers` whose code
   (docstrings stripped) seeds or draws random numbers or builds layers that
   do (``RANDOM_CODE``), and requires each to be listed below: in ``CALLS``
   (with cheap arguments), in ``CONSUMERS`` or in ``EXEMPT`` with a reason;
2. calls every ``CALLS`` entry and asserts that Python's ``random``, NumPy's
   global generator and torch's global CPU generator are exactly as before;
3. calls every ``CONSUMERS`` entry — model constructors and loops with
   dropout, which draw from torch's generator *by design*, like
   ``torch.nn.Linear`` — from two different states and asserts that they
   never reseed it (the two states stay different) and leave Python's and
   NumPy's alone;
4. shows that the check fails for a helper that reseeds (``_reseeding``).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import random
import re
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

import helpers
from helpers import aliasing, conditional, data, diffusion, gan, kernels, metrics, superres, training
from helpers.exercises import ch01, ch02, ch03, ch04, ch05
from helpers.models import Generator
from helpers.rng import seeded

#: Code that seeds, draws, or builds layers whose initialisation draws.
RANDOM_CODE = re.compile(
    r"\bseed\b|Generator\(|\brandn|\brand\(|\brand_like|randint|randperm|manual_seed|fork_rng|shuffle|"
    r"Dropout|dropout|normal_|uniform_|bernoulli|multinomial|seeded\(|\brandom\.|np\.random|"
    r"\bnn\.(Linear|Conv2d|ConvTranspose2d|Embedding)\(|spectral_norm|SelfAttention2d\(|register_sagan")

#: Helpers that draw from torch's global generator by design; they must never reseed it.
CONSUMER_REASON = "builds torch.nn layers, whose initialisation draws from the global generator"


def _code(obj) -> str:
    """``obj``'s source without its docstrings (the doctests draw random numbers, the code may not)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body \
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def public_callables():
    """``{"helpers.module.name": object}`` for every public function and class defined in :mod:`helpers`."""
    found = {}
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if not name.startswith("_") and callable(obj) and getattr(obj, "__module__", None) == info.name:
                found[f"{info.name}.{name}"] = obj
    return found


def _state():
    np_state = np.random.get_state()
    return random.getstate(), (np_state[0], np_state[1].copy(), *np_state[2:]), torch.get_rng_state()


def _changes(before, after) -> list[str]:
    (py0, np0, t0), (py1, np1, t1) = before, after
    changed = []
    if py0 != py1:
        changed.append("Python's random")
    if not (np0[0] == np1[0] and np.array_equal(np0[1], np1[1]) and np0[2:] == np1[2:]):
        changed.append("NumPy's global generator")
    if not torch.equal(t0, t1):
        changed.append("torch's global CPU generator")
    return changed


def global_state_changes(call) -> list[str]:
    """Which global generators ``call()`` leaves different (it starts from a random-looking state)."""
    random.seed(1234)
    np.random.seed(1234)
    torch.manual_seed(1234)
    torch.rand(3)                              # a state that is not a fresh seed's
    before = _state()
    call()
    return _changes(before, _state())


def _quiet(call):
    """``call`` with a wrong answer's ``AssertionError`` swallowed (an exercise check that says "wrong")."""
    def run():
        try:
            call()
        except (AssertionError, ValueError):     # the check rejected the answer, or the answer raised
            pass
    return run


def _wrong(*args, **kwargs):
    raise ValueError("a wrong answer")


# ---------------------------------------------------------------- cheap calls

def _tiny_gan_config(**overrides):
    return gan.recipe_config("fast", **{**dict(g_width=4, d_width=4, latent_dim=8, batch_size=8, size=16), **overrides})


def _tiny_state(**overrides):
    return gan.build(_tiny_gan_config(**overrides), device="cpu")


def _tiny_data():
    return torch.rand(16, 1, 16, 16, generator=torch.Generator().manual_seed(0)), None


def _digits(n=40, size=8):
    x, y = data.load_digits(size=size, split="train")
    return x[:n], y[:n]


def _gan_train(tmp):
    gan.train(_tiny_gan_config(), _tiny_data(), steps=2, progress=False, out=tmp)


def _load_or_train(tmp):
    gan.load_or_train(_tiny_gan_config(), tmp, steps=2, data=_tiny_data(), progress=False)
    gan.load_or_train(_tiny_gan_config(), tmp, steps=3, data=_tiny_data(), progress=False)   # resumes


def _frozen_model(cls, *args, **kwargs):
    """A model built with a fixed seed and the caller's state left alone (the set-up is not under test)."""
    with seeded(0):
        return cls(*args, **kwargs)


def _unet():
    return _frozen_model(diffusion.TinyUNet, 8, base=8)


def _g8(**kwargs):
    return _frozen_model(Generator, latent_dim=8, width=4, size=16, **kwargs)


def _linear_run(run):
    model = _frozen_model(nn.Linear, 2, 1)
    x = torch.rand(8, 2, generator=torch.Generator().manual_seed(0))
    return run(model, x)


def _fresh_classifier():
    """The first call of get_classifier, which trains it: here for 1 epoch instead of 20
    (each epoch draws from the same seeded generator), then the cache is put back."""
    saved = metrics._CACHE.pop("classifier", None)
    epochs, metrics.CLASSIFIER_EPOCHS = metrics.CLASSIFIER_EPOCHS, 1
    try:
        metrics.get_classifier()
    finally:
        metrics.CLASSIFIER_EPOCHS = epochs
        metrics._CACHE.pop("classifier", None)
        if saved is not None:
            metrics._CACHE["classifier"] = saved


def _tmp():
    import tempfile

    return tempfile.mkdtemp(prefix="rng_hygiene_")


_X2 = torch.rand(8, 2, generator=torch.Generator().manual_seed(0))
_S5 = diffusion.NoiseSchedule(5)

#: Every helper that takes a seed or uses randomness, with cheap arguments.
CALLS = {
    "helpers.aliasing.make_upsampler_stack": lambda: aliasing.make_upsampler_stack("lowpass", channels=2,
                                                                                   n_layers=2),
    "helpers.aliasing.band_limited_noise": lambda: aliasing.band_limited_noise(2, 1, 8, seed=3),
    "helpers.conditional.per_class_metrics": lambda: conditional.per_class_metrics(*_digits(60)),
    "helpers.conditional.latent_label_balance": lambda: conditional.latent_label_balance(_g8(num_classes=10),
                                                                                         per_class=4),
    "helpers.data.digits_split_indices": lambda: data.digits_split_indices(seed=5),
    "helpers.data.load_digits": lambda: data.load_digits(split="test", seed=5),
    "helpers.data.ring_of_gaussians": lambda: data.ring_of_gaussians(16, seed=2),
    "helpers.diffusion.diffusion_loss": lambda: diffusion.diffusion_loss(
        _unet(), torch.zeros(2, 1, 8, 8), _S5, torch.Generator().manual_seed(0)),
    "helpers.diffusion.train_ddpm": lambda: diffusion.train_ddpm(_unet(), torch.zeros(8, 1, 8, 8), _S5, steps=2,
                                                                 batch_size=4, progress=False),
    "helpers.diffusion.reverse_step": lambda: diffusion.reverse_step(_unet(), torch.zeros(1, 1, 8, 8), 2, _S5,
                                                                     noise=torch.zeros(1, 1, 8, 8)),
    "helpers.diffusion.sample": lambda: diffusion.sample(_unet(), _S5, n=2, size=8, seed=1),
    "helpers.gan.config.GANConfig": lambda: _tiny_gan_config(seed=7),
    "helpers.gan.data.batch_indices": lambda: gan.batch_indices(20, 8, 5, 3, {}),
    "helpers.gan.loop.refresh_sampler": lambda: gan.refresh_sampler(_tiny_state()),
    "helpers.gan.loop.draw_latents": lambda: gan.draw_latents(_tiny_state(num_classes=10), 4),
    "helpers.gan.loop.real_batch": lambda: gan.real_batch(_tiny_state(), torch.zeros(20, 1, 16, 16), None),
    "helpers.gan.loop.train_step": lambda: gan.train_step(_tiny_state(), torch.zeros(20, 1, 16, 16)),
    "helpers.gan.loop.fit": lambda: gan.fit(_tiny_state(), _tiny_data(), steps=2, progress=False),
    "helpers.gan.loop.train": lambda: _gan_train(_tmp()),
    "helpers.gan.loop.load_or_train": lambda: _load_or_train(_tmp()),
    "helpers.gan.sampling.sample": lambda: gan.sample(_g8(), 3, seed=2),
    "helpers.gan.sampling.LiveView": lambda: gan.LiveView(n_samples=2, display=False)(_tiny_state()),
    "helpers.gan.sampling.Snapshots": lambda: gan.Snapshots(n=2)(_tiny_state()),
    "helpers.gan.state.build": lambda: _tiny_state(),
    "helpers.kernels.make_pairs": lambda: kernels.make_pairs(torch.zeros(1, 1, 6, 6), torch.ones(3, 3), 0.1,
                                                             seed=4),
    "helpers.metrics.get_classifier": _fresh_classifier,
    "helpers.metrics.reference_subset": lambda: metrics.reference_subset(5),
    "helpers.metrics.fd_bootstrap": lambda: metrics.fd_bootstrap(_X2, _X2 + 1, n_boot=10, seed=1),
    "helpers.metrics.fd_interval": lambda: metrics.fd_interval(_digits(50)[0], n_boot=10),
    "helpers.metrics.calibration": lambda: metrics.calibration(size=8, n=50),
    "helpers.metrics.evaluate": lambda: metrics.evaluate(_digits(50)[0]),
    "helpers.superres.random_patches": lambda: superres.random_patches([torch.zeros(1, 20, 20)], n=3, size=8,
                                                                      seed=2),
    "helpers.superres.train_superres": lambda: superres.train_superres(
        _frozen_model(superres.SRNet, width=4), torch.zeros(4, 1, 8, 8), steps=2, batch_size=2, progress=False),
    "helpers.training.make_loader": lambda: list(training.make_loader(_X2, _X2, batch_size=3, seed=9)),
    "helpers.training.fit_tensors": lambda: _linear_run(lambda m, x: training.fit_tensors(
        m, x, x[:, :1], nn.MSELoss(), torch.optim.SGD(m.parameters(), lr=0.1), steps=2, progress=False)),
    "helpers.training.run_steps": lambda: _linear_run(lambda m, x: training.run_steps(
        m, lambda: m(x).pow(2).mean(), torch.optim.SGD(m.parameters(), lr=0.1), steps=2, progress=False)),
    "helpers.training.train_steps": lambda: _linear_run(lambda m, x: training.train_steps(
        m, lambda: m(x).pow(2).mean(), steps=2, lr=0.1, ema_decay=0.9, progress=False)),
    "helpers.training.standing_batchnorm_": lambda: training.standing_batchnorm_(_g8(num_classes=10), batches=2,
                                                                                 batch_size=4, seed=3),
    "helpers.rng.seeded": lambda: _frozen_model(nn.Linear, 3, 3),
    # the exercises' checks, with a wrong answer: their set-up (the random part) runs first
    "helpers.exercises.ch01.check_conv2d_channels": _quiet(lambda: ch01.check_conv2d_channels(_wrong)),
    "helpers.exercises.ch02.check_scatter_conv_transpose": _quiet(lambda: ch02.check_scatter_conv_transpose(_wrong)),
    "helpers.exercises.ch03.noisy_kernel_data": lambda: ch03.noisy_kernel_data(),
    "helpers.exercises.ch03.check_design_ranks": _quiet(lambda: ch03.check_design_ranks((1, 5))),
    "helpers.exercises.ch03.check_bilinear_x4": _quiet(lambda: ch03.check_bilinear_x4(torch.ones(8, 8))),
    "helpers.exercises.ch04.check_d_step": _quiet(lambda: ch04.check_d_step(_wrong)),
    "helpers.exercises.ch04.check_ema_update": _quiet(lambda: ch04.check_ema_update(
        lambda e, m, d: [pe.lerp_(p, 1 - d) for pe, p in zip(e.parameters(), m.parameters())])),
    "helpers.exercises.ch04.check_slerp": _quiet(lambda: ch04.check_slerp(gan.slerp)),
    "helpers.exercises.ch05.check_lowpass_transposed": _quiet(lambda: ch05.check_lowpass_transposed(
        _frozen_model(nn.ConvTranspose2d, 1, 1, 4, stride=2, padding=1))),
    "helpers.exercises.ch05.check_q_sample": _quiet(lambda: ch05.check_q_sample(_wrong)),
    "helpers.exercises.ch05.check_projection_logit": _quiet(lambda: ch05.check_projection_logit(_wrong)),
}


#: name → (call, why it draws from the global generator).
def _consumers():
    from helpers import attention, cnn, models

    x = torch.rand(8, 1, 8, 8)
    y = torch.randint(0, 10, (8,), generator=torch.Generator().manual_seed(0))

    def fit_with_dropout():
        net = _frozen_model(cnn.DigitsCNN, channels=2)
        training.fit(net, training.make_loader(x, y, batch_size=4), nn.CrossEntropyLoss(),
                     torch.optim.SGD(net.parameters(), lr=0.1), epochs=1, progress=False)

    def sagan():
        name = attention.register_sagan()
        gan.build_models(gan.recipe_config("fast", arch=name, g_width=8, d_width=8, latent_dim=8, size=16))

    layer = CONSUMER_REASON
    return {
        "helpers.aliasing.TransposedUp": (lambda: aliasing.TransposedUp(2, 2), layer),
        "helpers.aliasing.ResizeConvUp": (lambda: aliasing.ResizeConvUp(2, 2), layer),
        "helpers.aliasing.LowPassUp": (lambda: aliasing.LowPassUp(2, 2), layer),
        "helpers.attention.SelfAttention2d": (lambda: attention.SelfAttention2d(8), layer),
        "helpers.attention.add_self_attention": (
            lambda: attention.add_self_attention(_frozen_model(models.Generator, 8, 8, 16)), layer),
        "helpers.attention.build_sagan": (sagan, layer),
        "helpers.attention.register_sagan": (sagan, layer),
        "helpers.cnn.DigitsCNN": (lambda: cnn.DigitsCNN(channels=2), layer),
        "helpers.gan.architectures.build_models": (lambda: gan.build_models(_tiny_gan_config()),
                                                   "builds the models; gan.build calls it inside rng.seeded"),
        "helpers.diffusion.ResBlock": (lambda: diffusion.ResBlock(8, 8, 4), layer),
        "helpers.diffusion.TinyUNet": (lambda: diffusion.TinyUNet(8, base=8), layer),
        "helpers.diffusion.diffusion_loss, generator=None": (
            lambda: diffusion.diffusion_loss(_frozen_model(diffusion.TinyUNet, 8, base=8), torch.zeros(2, 1, 8, 8),
                                             diffusion.NoiseSchedule(5)),
            "like torch.randn, it draws from the global generator unless given one"),
        "helpers.diffusion.reverse_step, noise=None": (
            lambda: diffusion.reverse_step(_frozen_model(diffusion.TinyUNet, 8, base=8), torch.zeros(1, 1, 8, 8), 2,
                                           diffusion.NoiseSchedule(5)),
            "like torch.randn, it draws from the global generator unless given the noise"),
        "helpers.metrics.DigitClassifier": (lambda: metrics.DigitClassifier(), layer),
        "helpers.models.up_block": (lambda: models.up_block(2, 2), layer),
        "helpers.models.down_block": (lambda: models.down_block(2, 2, spectral=True), layer),
        "helpers.models.dcgan_init_": (lambda: models.dcgan_init_(_frozen_model(models.Generator, 8, 4, 16)),
                                       "re-initialises a model's weights, as torch.nn.init does"),
        "helpers.models.Generator": (lambda: models.Generator(latent_dim=8, width=4, size=16), layer),
        "helpers.models.Discriminator": (lambda: models.Discriminator(width=4, size=16, num_classes=3), layer),
        "helpers.models.MLPGenerator": (lambda: models.MLPGenerator(4), layer),
        "helpers.models.MLPDiscriminator": (lambda: models.MLPDiscriminator(spectral=True), layer),
        "helpers.superres.SRNet": (lambda: superres.SRNet(width=4), layer),
        "helpers.training.fit": (fit_with_dropout, "dropout in training mode draws, as in torch"),
        "helpers.training.train_step": (fit_with_dropout, "dropout in training mode draws, as in torch"),
    }


EXEMPT = {
    "helpers.device.set_seed": "the notebooks' one seeding call: setting the global state is its job",
}


def test_every_public_helper_that_uses_randomness_is_checked():
    found = public_callables()
    random_ones = {name for name, obj in found.items() if RANDOM_CODE.search(_code(obj))}
    listed = set(CALLS) | {name.split(",")[0] for name in _consumers()} | set(EXEMPT)
    missing = sorted(random_ones - listed)
    assert not missing, f"these public helpers use randomness but are not checked here: {missing}"
    unknown = sorted(name for name in listed if name not in found)
    assert not unknown, f"listed here but not public helpers (renamed?): {unknown}"
    assert len(random_ones) >= 40                       # the search does find them


@pytest.mark.parametrize("name", sorted(CALLS))
def test_helper_leaves_the_global_random_state_alone(name):
    assert global_state_changes(CALLS[name]) == [], f"{name} changed the caller's random state"


@pytest.mark.parametrize("name", sorted(_consumers()))
def test_consumers_draw_from_torch_but_never_reseed_and_leave_python_and_numpy_alone(name):
    call, _why = _consumers()[name]
    after = []
    for seed in (1, 2):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        before = _state()
        call()
        now = _state()
        assert _changes(before, now) in ([], ["torch's global CPU generator"]), name
        after.append(now[2])
    assert not torch.equal(after[0], after[1]), f"{name} reseeds torch's generator"


def _reseeding():
    torch.manual_seed(0)                      # what gan.build did before issue 13


def _isolated_but_reseeding():
    with torch.random.fork_rng(devices=[]):   # what the helpers do now: no change outside
        torch.manual_seed(0)


def test_the_check_catches_a_helper_that_reseeds():
    assert global_state_changes(_reseeding) == ["torch's global CPU generator"]
    assert global_state_changes(lambda: np.random.seed(0)) == ["NumPy's global generator"]
    assert global_state_changes(lambda: random.random()) == ["Python's random"]
    assert global_state_changes(_isolated_but_reseeding) == []
    # and the consumers' check catches a reseeding constructor
    random.seed(1)
    torch.manual_seed(1)
    _reseeding()
    first = torch.get_rng_state()
    torch.manual_seed(2)
    _reseeding()
    assert torch.equal(first, torch.get_rng_state())          # what "never reseed" rules out
