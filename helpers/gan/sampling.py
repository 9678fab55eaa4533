"""Sampling from a trained generator: images, latent paths (slerp), live plots, and snapshots.

>>> from helpers.models import Generator
>>> G = Generator(latent_dim=8, width=4, size=16)
>>> sample(G, 3).shape
torch.Size([3, 1, 16, 16])
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from helpers.checks import check_choice, check_int, check_positive_int
from helpers.gan.state import GANState


@torch.no_grad()
def sample(model, n: int, seed: int = 0, y: torch.Tensor | None = None, z: torch.Tensor | None = None,
           batch_size: int = 500) -> torch.Tensor:
    """``n`` images ``(n, C, H, W)`` in [0, 1] on the CPU, from a generator or a :class:`GANState`.

    Taught in chapter 04, §4.6 (Training); reused in chapter 05.

    A state samples from its EMA generator when it has one. ``z`` (``(n,
    latent_dim)``) overrides the seeded draw; ``y`` gives class labels to a
    conditional generator (default: ``0, 1, …, K−1, 0, 1, …``). The model is
    put in eval mode for sampling and restored afterwards.

    >>> from helpers.models import Generator
    >>> G = Generator(latent_dim=8, width=4, size=16)
    >>> x = sample(G, 3)
    >>> tuple(x.shape), bool(x.min() >= 0 and x.max() <= 1)
    ((3, 1, 16, 16), True)
    """
    if isinstance(model, GANState):
        model = model.sampler
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a generator (nn.Module) or a GANState, not {type(model).__name__}")
    check_positive_int(n, "n")
    latent = model.latent_dim
    if z is None:
        z = torch.randn(n, latent, generator=torch.Generator().manual_seed(seed))
    elif tuple(z.shape) != (n, latent):
        raise ValueError(f"z must have shape ({n}, {latent}), got {tuple(z.shape)}")
    num_classes = getattr(model, "num_classes", None)
    if num_classes is not None and y is None:
        y = torch.arange(n) % num_classes
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        outs = []
        for i in range(0, n, batch_size):
            zi = z[i:i + batch_size].to(device)
            if y is not None:
                outs.append(model(zi, y[i:i + batch_size].to(device)).float().cpu())
            else:
                outs.append(model(zi).float().cpu())
    finally:
        model.train(was_training)
    return ((torch.cat(outs) + 1.0) / 2.0).clamp_(0.0, 1.0).contiguous()


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between latent vectors (along the last axis) at ``t`` in [0, 1].

    Taught in chapter 04, §4.10 (Walking through the latent space), inside :func:`interpolate`.

    Unlike the straight line, it keeps the norm near that of a typical
    ``N(0, I)`` draw, where the generator was trained.

    >>> z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    >>> slerp(z0, z1, 0.5)
    tensor([0.7071, 0.7071])
    """
    dot = ((z0 / z0.norm(dim=-1, keepdim=True)) * (z1 / z1.norm(dim=-1, keepdim=True))).sum(-1, keepdim=True)
    omega = torch.acos(dot.clamp(-1.0, 1.0))
    so = torch.sin(omega)
    if bool((so.abs() < 1e-6).any()):
        return (1.0 - t) * z0 + t * z1
    return (torch.sin((1.0 - t) * omega) * z0 + torch.sin(t * omega) * z1) / so


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int = 8, mode: str = "slerp") -> torch.Tensor:
    """``steps`` latent vectors from ``z0`` to ``z1`` (both ends included): ``(steps, latent_dim)``.

    Taught in chapter 04, §4.10 (Walking through the latent space).

    >>> interpolate(torch.zeros(3), torch.ones(3), steps=3, mode="lerp")[:, 0]
    tensor([0.0000, 0.5000, 1.0000])
    """
    check_choice(mode, "mode", ("slerp", "lerp"))
    check_int(steps, "steps", 2)
    ts = torch.linspace(0.0, 1.0, steps)
    if mode == "lerp":
        return torch.stack([(1 - t) * z0 + t * z1 for t in ts])
    return torch.stack([slerp(z0, z1, float(t)) for t in ts])


class LiveView:
    """A ``fit`` callback that redraws the loss curves and a grid of samples in a notebook.

    Taught in chapter 04, §4.6 (Training).

    The samples come from fixed latent vectors, so successive frames show
    the same "digits" developing. Outside a notebook it does nothing but
    keep the last figure. ``view.figure(state)`` draws the final frame.

    >>> from helpers.gan import build, recipe_config
    >>> view = LiveView(n_samples=4, display=False)
    >>> fig = view.figure(build(recipe_config("fast", g_width=4, d_width=4, size=16), device="cpu"))
    >>> [ax.get_title() for ax in fig.axes]
    ['losses (moving average), 0 s of training', 'samples at step 0 (EMA G)']
    """

    def __init__(self, n_samples: int = 32, nrow: int = 8, seed: int = 123, display: bool = True):
        self.n_samples, self.nrow, self.seed = n_samples, nrow, seed
        self.display = display
        self._handle = None

    def figure(self, state: GANState):
        """A two-panel figure: losses against step (left), samples from fixed z (right)."""
        import matplotlib.pyplot as plt

        from helpers.plotting import show_images

        fig, (ax_loss, ax_img) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1.3, 1]})
        h = state.history
        if h["step"]:
            window = max(1, len(h["step"]) // 50)
            kernel = np.ones(window) / window
            for key, label in (("loss_d", "D loss"), ("loss_g", "G loss")):
                values = np.convolve(np.asarray(h[key]), kernel, mode="valid")
                ax_loss.plot(h["step"][window - 1:], values, label=label)
            ax_loss.legend()
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel(f"loss ({state.config.loss})")
        ax_loss.set_title(f"losses (moving average), {state.train_seconds:.0f} s of training")
        ax_loss.grid(alpha=0.3)
        images = sample(state, self.n_samples, seed=self.seed)
        show_images(images, nrow=self.nrow, ax=ax_img,
                    title=f"samples at step {state.step}" + (" (EMA G)" if state.ema_generator is not None else ""))
        fig.tight_layout()
        return fig

    def __call__(self, state: GANState) -> None:
        import matplotlib.pyplot as plt

        fig = self.figure(state)
        if self.display:
            from IPython.display import display

            if self._handle is None:
                self._handle = display(fig, display_id=True)
            else:
                self._handle.update(fig)
        plt.close(fig)


class Snapshots:
    """A ``fit`` callback that keeps a grid of samples from fixed latents at every call.

    Taught in chapter 04, §4.6 (Training).

    The frames go into ``state.extras["snapshots"]`` (so they are saved with
    the checkpoint and come back with :func:`helpers.gan.load_or_train`):
    a list of ``(step, images (n, C, H, W) in [0, 1])``. ``Snapshots.of(state)``
    reads them back.

    >>> from helpers.gan import build, fit, recipe_config
    >>> cfg = recipe_config("fast", g_width=4, d_width=4, latent_dim=8, batch_size=8, size=16)
    >>> s = fit(build(cfg, device="cpu"), (torch.rand(16, 1, 16, 16), None), steps=4,
    ...         progress=False, callback=Snapshots(n=2), callback_every=2)
    >>> [step for step, _ in Snapshots.of(s)]
    [2, 4]
    """

    KEY = "snapshots"

    def __init__(self, n: int = 16, seed: int = 123):
        check_positive_int(n, "n")
        self.n, self.seed = n, seed

    def __call__(self, state: GANState) -> None:
        frames = state.extras.setdefault(self.KEY, [])
        frames.append([int(state.step), sample(state, self.n, seed=self.seed)])

    @classmethod
    def of(cls, state: GANState) -> list:
        """The ``[(step, images), ...]`` recorded in ``state`` (empty when none)."""
        return [(int(step), images) for step, images in state.extras.get(cls.KEY, [])]


def load_samples(path: str | os.PathLike) -> torch.Tensor:
    """Samples written by ``python -m helpers.gan sample``: an ``(N, 1, H, W)`` tensor in [0, 1].

    Taught in chapter 04 (the command line ``python -m helpers.gan sample``).

    Raises ``ValueError`` (one sentence) for anything else.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no samples file at {path}")
    try:
        images = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path} is not a readable tensor file (corrupt, or not written by torch.save)") from exc
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"{path} holds a {type(images).__name__}, not a tensor of images")
    if images.dim() != 4 or images.shape[1] != 1 or images.shape[0] < 1:
        raise ValueError(f"{path} holds a tensor of shape {tuple(images.shape)}; expected (N, 1, H, W) with N >= 1")
    if not images.is_floating_point():
        raise ValueError(f"{path} holds {images.dtype} values; expected floats in [0, 1]")
    if not bool(torch.isfinite(images).all()) or float(images.min()) < 0.0 or float(images.max()) > 1.0:
        raise ValueError(f"{path} has values outside [0, 1] (or NaN); expected images in [0, 1]")
    return images.float()


