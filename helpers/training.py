"""A small, readable training loop that the chapters share.

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

from typing import Callable, Iterable

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def _check_pair(x: torch.Tensor, y: torch.Tensor, what: str = "x and y") -> None:
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, not {type(t).__name__}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{what} must have the same number of samples (first axis), got "
            f"{x.shape[0]} and {y.shape[0]}"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{what} are empty: there is nothing to train or evaluate on")


def make_loader(x: torch.Tensor, y: torch.Tensor, batch_size: int = 64, shuffle: bool = True,
                seed: int = 0) -> DataLoader:
    """A ``DataLoader`` over tensors ``x`` and ``y``, reproducibly shuffled by ``seed``.

    >>> loader = make_loader(torch.zeros(10, 3), torch.zeros(10), batch_size=4)
    >>> [len(b[0]) for b in loader]
    [4, 4, 2]
    """
    _check_pair(x, y)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable,
               optimizer: torch.optim.Optimizer) -> float:
    """One gradient step on one batch; returns the batch loss as a float.

    >>> model = nn.Linear(2, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> isinstance(train_step(model, torch.ones(3, 2), torch.zeros(3, 1), nn.MSELoss(), opt), float)
    True
    """
    model.train()
    optimizer.zero_grad(set_to_none=True)
    prediction = model(x)
    if prediction.shape[0] != y.shape[0]:
        raise ValueError(
            f"the model returned {prediction.shape[0]} predictions for a batch of {y.shape[0]} targets"
        )
    loss = loss_fn(prediction, y)
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"the loss became {loss.item()}; the learning rate is probably too large "
            f"(try a smaller one) or the data contain NaN/inf"
        )
    loss.backward()
    optimizer.step()
    return float(loss.detach())


@torch.no_grad()
def evaluate_loss(model: nn.Module, loader: Iterable, loss_fn: Callable,
                  device: torch.device | str | None = None) -> float:
    """Mean of ``loss_fn`` over a loader (weighted by batch size), in eval mode."""
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

    >>> predict(nn.Linear(3, 2), torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, not {type(x).__name__}")
    model.eval()
    device = next(model.parameters()).device
    outs = [model(x[i:i + batch_size].to(device)).cpu() for i in range(0, x.shape[0], batch_size)]
    return torch.cat(outs)


def evaluate_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Fraction of samples whose arg-max prediction equals the label.

    >>> model = nn.Linear(2, 2)
    >>> 0.0 <= evaluate_accuracy(model, torch.randn(8, 2), torch.randint(0, 2, (8,))) <= 1.0
    True
    """
    _check_pair(x, y)
    logits = predict(model, x, batch_size)
    return float((logits.argmax(dim=1) == y.cpu()).float().mean())


def fit(model: nn.Module, train_loader: Iterable, loss_fn: Callable, optimizer: torch.optim.Optimizer,
        epochs: int, device: torch.device | str | None = None, val_loader: Iterable | None = None,
        progress: bool = True, desc: str = "training") -> dict:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

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

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
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


def fit_tensors(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable,
                optimizer: torch.optim.Optimizer, steps: int, metrics: dict | None = None,
                device: torch.device | str | None = None, progress: bool = True,
                desc: str = "training") -> dict:
    """Full-batch training: ``steps`` gradient steps, each on all of ``(x, y)``.

    The loop of chapter 03, where the whole data set fits in one batch and
    what matters is the loss *per step*. Returns a history dict with
    ``loss`` (one value per step: the loss at the parameters the step
    started from) and, for every ``name: function`` in ``metrics``, a list
    ``name`` with ``function(model)`` at the same parameters (evaluated
    under ``torch.no_grad``). Tensors are moved to ``device`` (default: the
    model's). A non-finite loss raises ``FloatingPointError`` (see
    :func:`train_step`).

    >>> model = nn.Linear(1, 1, bias=False)
    >>> x = torch.linspace(-1, 1, 16)[:, None]
    >>> h = fit_tensors(model, x, 3 * x, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.5),
    ...                 steps=50, metrics={"w": lambda m: m.weight.item()}, progress=False)
    >>> sorted(h), len(h["loss"]), round(model.weight.item(), 4)
    (['loss', 'w'], 50, 3.0)
    """
    from tqdm.auto import tqdm

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    _check_pair(x, y)
    metrics = dict(metrics or {})
    for name, function in metrics.items():
        if name == "loss":
            raise ValueError("'loss' is recorded anyway; give the metric another name")
        if not callable(function):
            raise TypeError(f"metric {name!r} must be a function of the model, not {type(function).__name__}")
    if device is None:
        device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    history = {"loss": [], **{name: [] for name in metrics}}
    bar = tqdm(range(steps), desc=desc, disable=not progress)
    for _ in bar:
        if metrics:
            model.eval()
            with torch.no_grad():
                for name, function in metrics.items():
                    history[name].append(float(function(model)))
        history["loss"].append(train_step(model, x, y, loss_fn, optimizer))
        bar.set_postfix(loss=f"{history['loss'][-1]:.3g}", refresh=False)
    return history
