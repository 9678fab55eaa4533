"""The training loops the chapters share, and the moving average of weights.

* by epochs over a ``DataLoader``: :func:`fit` (chapter 01), one batch at a
  time with :func:`train_step`; :func:`evaluate_accuracy`, :func:`predict`;
* by steps: :func:`run_steps`, the one step loop (a fixed number of
  gradient steps, a ``tqdm`` bar, a stop with a clear message when the loss
  stops being a finite number); :func:`fit_tensors` (chapter 03's full-batch
  loop) and :func:`train_steps` (Adam with a cosine-decayed learning rate:
  chapter 05's diffusion model and super-resolution network) are built on it;
* the exponential moving average (EMA) of weights, taught in chapter 04 for
  the GAN generator and reused by chapter 05's diffusion model:
  :func:`ema_decay_at`, :func:`update_ema` and, for batch norm,
  :func:`standing_batchnorm_` — on top of ``torch.optim.swa_utils``.

>>> import torch
>>> from torch import nn
>>> from helpers.training import fit, make_loader, evaluate_accuracy
>>> x, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
>>> model = nn.Linear(4, 2)
>>> history = fit(model, make_loader(x, y, batch_size=16), nn.CrossEntropyLoss(),
...               torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
>>> len(history["train_loss"])
2
"""

from __future__ import annotations

import copy
import math
import time
from typing import Callable, Iterable

import torch
from torch import nn
from torch.optim import swa_utils
from torch.utils.data import DataLoader, TensorDataset

from helpers.checks import check_module, check_positive_int, check_same_length, check_tensor


def _check_finite(loss: torch.Tensor, step: int | None = None) -> float:
    """``loss`` as a float; ``FloatingPointError`` when it is NaN or infinite."""
    value = float(loss.detach())
    if not math.isfinite(value):
        shown = "NaN" if math.isnan(value) else str(value)
        where = f" at step {step}" if step is not None else ""
        raise FloatingPointError(
            f"loss became {shown}{where}; try a lower learning rate (if a smaller one fails too, "
            f"check the data for NaN/inf)")
    return value


def make_loader(x: torch.Tensor, y: torch.Tensor, batch_size: int = 64, shuffle: bool = True,
                seed: int = 0) -> DataLoader:
    """A ``DataLoader`` over tensors ``x`` and ``y``, reproducibly shuffled by ``seed``.

    Taught in chapter 01, §1.10 (A small CNN that reads digits).

    >>> loader = make_loader(torch.zeros(10, 3), torch.zeros(10), batch_size=4)
    >>> [len(b[0]) for b in loader]
    [4, 4, 2]
    """
    check_same_length(x, y)
    check_positive_int(batch_size, "batch_size")
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable,
               optimizer: torch.optim.Optimizer) -> float:
    """One gradient step on one batch; returns the batch loss as a float.

    Taught in chapter 01, §1.10 (A small CNN that reads digits), inside :func:`fit` and
    :func:`evaluate_accuracy`.

    >>> model = nn.Linear(2, 1, bias=False)
    >>> _ = model.weight.data.fill_(0.5)                     # predicts 1.0 for the target 0.0
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> train_step(model, torch.ones(3, 2), torch.zeros(3, 1), nn.MSELoss(), opt), model.weight.tolist()
    (1.0, [[0.30000001192092896, 0.30000001192092896]])
    """
    model.train()
    optimizer.zero_grad(set_to_none=True)
    prediction = model(x)
    if prediction.shape[0] != y.shape[0]:
        raise ValueError(
            f"the model returned {prediction.shape[0]} predictions for a batch of {y.shape[0]} targets"
        )
    loss = loss_fn(prediction, y)
    value = _check_finite(loss)
    loss.backward()
    optimizer.step()
    return value


@torch.no_grad()
def evaluate_loss(model: nn.Module, loader: Iterable, loss_fn: Callable,
                  device: torch.device | str | None = None) -> float:
    """Mean of ``loss_fn`` over a loader (weighted by batch size), in eval mode.

    Taught in chapter 01, §1.10 (A small CNN that reads digits), inside :func:`fit` and
    :func:`evaluate_accuracy`.
    """
    model.eval()
    total, count = 0.0, 0
    for x, y in loader:
        if device is not None:
            x, y = x.to(device), y.to(device)
        total += float(loss_fn(model(x), y)) * x.shape[0]
        count += x.shape[0]
    if count == 0:
        raise ValueError("the loader yielded no batches")
    return total / count


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Model outputs for ``x`` in batches, on the model's device, returned on the CPU.

    Taught in chapter 01, §1.10 (A small CNN that reads digits), inside :func:`fit` and
    :func:`evaluate_accuracy`.

    >>> predict(nn.Linear(3, 2), torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """
    check_tensor(x, "x", allow_empty=True)
    model.eval()
    device = next(model.parameters()).device
    outs = [model(x[i:i + batch_size].to(device)).cpu() for i in range(0, x.shape[0], batch_size)]
    return torch.cat(outs)


def evaluate_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Fraction of samples whose arg-max prediction equals the label.

    Taught in chapter 01, §1.10 (A small CNN that reads digits).

    >>> model = nn.Linear(2, 2, bias=False)
    >>> _ = model.weight.data.copy_(torch.eye(2))            # logits = inputs: predicts the larger one
    >>> evaluate_accuracy(model, torch.tensor([[1., 0], [0, 1], [2, 1], [0, 3]]), torch.tensor([0, 1, 1, 1]))
    0.75
    """
    check_same_length(x, y)
    logits = predict(model, x, batch_size)
    return float((logits.argmax(dim=1) == y.cpu()).float().mean())


def fit(model: nn.Module, train_loader: Iterable, loss_fn: Callable, optimizer: torch.optim.Optimizer,
        epochs: int, device: torch.device | str | None = None, val_loader: Iterable | None = None,
        progress: bool = True, desc: str = "training") -> dict:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Taught in chapter 01, §1.10 (A small CNN that reads digits).

    Returns a history dict: ``train_loss`` (mean loss per epoch), and
    ``val_loss`` when ``val_loader`` is given. Batches are moved to
    ``device`` (default: the model's device). A ``tqdm`` bar shows progress.

    >>> model = nn.Linear(1, 1)
    >>> loader = make_loader(torch.randn(32, 1), torch.randn(32, 1), batch_size=8)
    >>> h = fit(model, loader, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.01),
    ...         epochs=3, progress=False)
    >>> sorted(h), len(h["train_loss"])
    (['train_loss'], 3)
    """
    from tqdm.auto import tqdm

    check_positive_int(epochs, "epochs")
    check_module(model)
    if device is None:
        device = next(model.parameters()).device
    history = {"train_loss": []}
    if val_loader is not None:
        history["val_loss"] = []
    bar = tqdm(range(epochs), desc=desc, disable=not progress)
    for _ in bar:
        total, count = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            total += train_step(model, x, y, loss_fn, optimizer) * x.shape[0]
            count += x.shape[0]
        if count == 0:
            raise ValueError("train_loader yielded no batches")
        history["train_loss"].append(total / count)
        postfix = {"loss": f"{history['train_loss'][-1]:.4f}"}
        if val_loader is not None:
            history["val_loss"].append(evaluate_loss(model, val_loader, loss_fn, device))
            postfix["val"] = f"{history['val_loss'][-1]:.4f}"
        bar.set_postfix(postfix)
    return history


def run_steps(model: nn.Module, batch_loss: Callable[[], torch.Tensor], optimizer: torch.optim.Optimizer,
              steps: int, *, scheduler=None, ema_decay: float | None = None,
              before_step: Callable[[int], None] | None = None, desc: str = "training",
              progress: bool = True, postfix: str = "loss", postfix_every: int = 1,
              postfix_format: str = ".3g") -> dict:
    """The one step loop: ``steps`` times ``loss = batch_loss()``, backward, ``optimizer.step()``.

    Taught in chapter 03, §3.1 (The five steps, made concrete), inside :func:`fit_tensors`; reused
    in chapter 05 (:func:`train_steps`).

    Each step: ``before_step(step)`` (if given; e.g. record metrics at the
    parameters the step starts from), ``model.train()``, the loss, a check
    that it is a finite number, the update, ``scheduler.step()`` (if given)
    and, with ``ema_decay``, :func:`update_ema` of a copy of the model. A
    NaN or infinite loss stops the run *before* it reaches the weights, with
    ``FloatingPointError: loss became NaN at step N; try a lower learning
    rate`` (steps count from 1). The ``tqdm`` bar shows ``postfix`` (the
    mean loss of the last ``postfix_every`` steps).

    Returns ``{"loss": [one float per step]}``, plus ``"ema"`` (the averaged
    copy of ``model``) with ``ema_decay``.

    >>> model = nn.Linear(1, 1, bias=False)
    >>> x = torch.linspace(-1, 1, 16)[:, None]
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.5)
    >>> h = run_steps(model, lambda: (model(x) - 3 * x).pow(2).mean(), opt, steps=20, progress=False)
    >>> len(h["loss"]), round(h["loss"][0] - h["loss"][-1] > 0), round(model.weight.item(), 3)
    (20, 1, 3.0)
    """
    from tqdm.auto import tqdm

    check_module(model)
    steps = check_positive_int(steps, "steps")
    postfix_every = check_positive_int(postfix_every, "postfix_every")
    ema = copy.deepcopy(model).requires_grad_(False) if ema_decay is not None else None
    history = {"loss": []}
    bar = tqdm(range(steps), desc=desc, disable=not progress)
    try:
        for step in range(1, steps + 1):
            if before_step is not None:
                before_step(step)
            model.train()
            loss = batch_loss()
            value = _check_finite(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            if ema is not None:
                update_ema(ema, model, ema_decay, step)
            history["loss"].append(value)
            bar.update(1)
            if step % postfix_every == 0:
                recent = history["loss"][-postfix_every:]
                bar.set_postfix({postfix: format(sum(recent) / len(recent), postfix_format)}, refresh=False)
    finally:
        bar.close()
    if ema is not None:
        history["ema"] = ema
    return history


def train_steps(model: nn.Module, batch_loss: Callable[[], torch.Tensor], steps: int, lr: float, *,
                ema_decay: float | None = None, desc: str = "training", progress: bool = True,
                postfix: str = "loss", postfix_every: int = 50) -> dict:
    """:func:`run_steps` with Adam and a cosine-decayed learning rate (``lr`` → 0 over ``steps``).

    Taught in chapter 05, §5.4 (Higher quality) and §5.5 (Wider applications), inside
    :func:`helpers.diffusion.train_ddpm` and :func:`helpers.superres.train_superres`.

    The loop of chapter 05's diffusion model (:func:`helpers.diffusion.train_ddpm`)
    and super-resolution network (:func:`helpers.superres.train_superres`).
    With ``ema_decay`` the model's weights are replaced at the end by their
    exponential moving average over the run (:func:`update_ema`). Returns
    ``{"loss": [...], "seconds": wall time}``.

    >>> model = nn.Linear(2, 1)
    >>> x = torch.randn(32, 2, generator=torch.Generator().manual_seed(0))
    >>> h = train_steps(model, lambda: (model(x) - x.sum(1, keepdim=True)).pow(2).mean(), steps=200,
    ...                 lr=0.05, progress=False)
    >>> sorted(h), len(h["loss"]), h["loss"][-1] < 0.01 * h["loss"][0]
    (['loss', 'seconds'], 200, True)
    """
    check_module(model)
    steps = check_positive_int(steps, "steps")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    start = time.perf_counter()
    history = run_steps(model, batch_loss, opt, steps, scheduler=scheduler, ema_decay=ema_decay, desc=desc,
                        progress=progress, postfix=postfix, postfix_every=postfix_every,
                        postfix_format=".4f")
    ema = history.pop("ema", None)
    if ema is not None:
        with torch.no_grad():
            for p, e in zip(model.parameters(), ema.parameters()):
                p.copy_(e)
    history["seconds"] = time.perf_counter() - start
    return history


def fit_tensors(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable,
                optimizer: torch.optim.Optimizer, steps: int, metrics: dict | None = None,
                device: torch.device | str | None = None, progress: bool = True,
                desc: str = "training") -> dict:
    """Full-batch training: ``steps`` gradient steps, each on all of ``(x, y)``.

    Taught in chapter 03, §3.1 (The five steps, made concrete).

    The loop of chapter 03, where the whole data set fits in one batch and
    what matters is the loss *per step* (:func:`run_steps` with the loss of
    the whole set). Returns a history dict with ``loss`` (one value per
    step: the loss at the parameters the step started from) and, for every
    ``name: function`` in ``metrics``, a list ``name`` with
    ``function(model)`` at the same parameters (evaluated in eval mode under
    ``torch.no_grad``). Tensors are moved to ``device`` (default: the
    model's). A non-finite loss raises ``FloatingPointError``.

    >>> model = nn.Linear(1, 1, bias=False)
    >>> x = torch.linspace(-1, 1, 16)[:, None]
    >>> h = fit_tensors(model, x, 3 * x, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.5),
    ...                 steps=50, metrics={"w": lambda m: m.weight.item()}, progress=False)
    >>> sorted(h), len(h["loss"]), round(model.weight.item(), 4)
    (['loss', 'w'], 50, 3.0)
    """
    check_positive_int(steps, "steps")
    check_module(model)
    check_same_length(x, y)
    metrics = dict(metrics or {})
    for name, function in metrics.items():
        if name == "loss":
            raise ValueError("'loss' is recorded anyway; give the metric another name")
        if not callable(function):
            raise TypeError(f"metric {name!r} must be a function of the model, not {type(function).__name__}")
    if device is None:
        device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    recorded = {name: [] for name in metrics}

    def record(_step):
        model.eval()
        with torch.no_grad():
            for name, function in metrics.items():
                recorded[name].append(float(function(model)))

    def batch_loss():
        prediction = model(x)
        if prediction.shape[0] != y.shape[0]:
            raise ValueError(
                f"the model returned {prediction.shape[0]} predictions for a batch of {y.shape[0]} targets")
        return loss_fn(prediction, y)

    history = run_steps(model, batch_loss, optimizer, steps, before_step=record if metrics else None,
                        desc=desc, progress=progress)
    return {**history, **recorded}


# ---------------------------------------------------------------- moving average of weights

#: Warm-up horizon of the EMA: the decay is min(ema_decay, (1 + t) / (EMA_WARMUP + t)).
EMA_WARMUP = 10.0


def ema_decay_at(step: int, decay: float, warmup: float = EMA_WARMUP) -> float:
    """The EMA decay used after ``step`` steps: ``min(decay, (1 + step) / (warmup + step))``.

    Taught in chapter 04, §4.7 (Measuring quality).

    Early on the average then spans only about the steps made so far, so it
    is not stuck near the initial weights. It reaches ``decay`` only at
    ``step = (decay·warmup − 1) / (1 − decay)``: 8,990 steps for 0.999.

    >>> round(ema_decay_at(0, 0.999), 3), round(ema_decay_at(2000, 0.999), 4), ema_decay_at(10**5, 0.999)
    (0.1, 0.9955, 0.999)
    """
    return min(decay, (1.0 + step) / (warmup + step))


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float, step: int) -> None:
    """``θ_ema ← d·θ_ema + (1 − d)·θ`` for every parameter, ``d = ema_decay_at(step, decay)``;
    buffers (batch-norm statistics, spectral-norm vectors) are copied.

    Taught in chapter 04, §4.5 (The training step).

    The average itself is ``torch.optim.swa_utils.get_ema_multi_avg_fn(d)``,
    the update of ``AveragedModel``; the EMA stays a plain copy of the model
    (so it samples, saves and loads like one) and the warm-up changes ``d``.

    >>> a, b = nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)
    >>> _ = a.weight.data.fill_(0.0), b.weight.data.fill_(1.0)
    >>> update_ema(a, b, 0.9, step=10**6); round(float(a.weight.detach()), 3)
    0.1
    >>> update_ema(a, b, 0.9, step=0); round(float(a.weight.detach()), 3)     # warm-up: d = 0.1
    0.91
    """
    ema_params = list(ema.parameters())
    if ema_params:
        swa_utils.get_ema_multi_avg_fn(ema_decay_at(step, decay))(
            ema_params, [p.detach() for p in model.parameters()], step)
    for b_ema, b in zip(ema.buffers(), model.buffers()):
        b_ema.copy_(b)


#: Batches of latents :func:`standing_batchnorm_` averages the statistics over.
STANDING_BATCHES = 20


class _LatentsToImages(nn.Module):
    """``generator`` as ``swa_utils.update_bn`` calls a model: one argument, a batch ``{"z", "y"}``."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, batch: dict) -> torch.Tensor:
        return self.generator(batch["z"], batch["y"])


@torch.no_grad()
def standing_batchnorm_(generator: nn.Module, batches: int = STANDING_BATCHES, batch_size: int = 64,
                        seed: int = 0) -> nn.Module:
    """Recompute a generator's batch-norm statistics from its own outputs ("standing statistics").

    Taught in chapter 04, §4.6 (Training), inside :func:`helpers.gan.fit`; reused in chapter 05.

    The EMA generator averages weights, but its batch-norm running
    statistics are copies of the raw generator's, which belong to other
    weights. Brock et al. (2019) instead average the statistics over many
    forward passes of the sampling model; here ``batches`` batches of
    ``batch_size`` latents (and labels, for a class-conditional generator)
    from a private, seeded generator (the caller's random state is
    untouched), passed through ``torch.optim.swa_utils.update_bn``. A no-op
    without batch norm. Returns the model.

    >>> from helpers.models import Generator
    >>> G = Generator(latent_dim=8, width=4, size=16)
    >>> bn = G.stem[1]
    >>> _ = standing_batchnorm_(G, batches=2, batch_size=4)
    >>> int(bn.num_batches_tracked), bn.momentum           # 2 batches averaged; momentum restored
    (2, 0.1)
    """
    if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in generator.modules()):
        return generator
    device = next(generator.parameters()).device
    g = torch.Generator().manual_seed(seed)
    num_classes = getattr(generator, "num_classes", None)
    loader = []
    for _ in range(check_positive_int(batches, "batches")):
        z = torch.randn(batch_size, generator.latent_dim, generator=g).to(device)
        y = None
        if num_classes is not None:
            y = torch.randint(num_classes, (batch_size,), generator=g).to(device)
        loader.append({"z": z, "y": y})
    was_training = generator.training
    swa_utils.update_bn(loader, _LatentsToImages(generator))    # resets, then averages (momentum None)
    generator.train(was_training)
    return generator
