"""The training data of a GAN run: the datasets by name, and the order of the real batches.

>>> x, y = load_dataset("digits", size=16)
>>> tuple(x.shape), len(y)
((1347, 1, 16, 16), 1347)
"""

from __future__ import annotations

import os

import torch

from helpers.gan.config import DATASETS, GANConfig


def load_dataset(name: str = "digits", size: int = 32, split: str = "train",
                 root: str | os.PathLike | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images (N, 1, size, size) in [0, 1], labels (N,))`` of a training set.

    Taught in chapter 04, §4.5 (The training step), through :func:`prepare_data` and
    :func:`real_batch`.

    ``"digits"`` is scikit-learn's 8×8 digits (offline), bicubic-upsampled;
    ``"mnist"`` / ``"fashion-mnist"`` go through ``torchvision.datasets``
    (see :func:`helpers.data.load_mnist`).

    >>> load_dataset("digits", size=8, split="test")[0].shape
    torch.Size([450, 1, 8, 8])
    """
    from helpers.data import load_digits, load_mnist

    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "digits":
        return load_digits(size=size, split=split)
    return load_mnist(name, size=size, split=split, root=root)


def batch_indices(n: int, batch_size: int, batch_number: int, seed: int, cache: dict) -> torch.Tensor:
    """Indices of real batch number ``batch_number``: a stream of per-epoch permutations.

    Taught in chapter 04, §4.5 (The training step), through :func:`prepare_data` and
    :func:`real_batch`.

    Depends only on its arguments (``cache`` only saves recomputing a
    permutation), so a resumed run draws exactly the batches an
    uninterrupted one would.

    >>> batch_indices(5, 3, 1, seed=0, cache={}).tolist() == batch_indices(5, 3, 1, 0, {}).tolist()
    True
    """
    start = batch_number * batch_size
    pieces, pos = [], start
    while pos < start + batch_size:
        epoch, offset = divmod(pos, n)
        if cache.get("epoch") != epoch:
            g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
            cache["epoch"], cache["perm"] = epoch, torch.randperm(n, generator=g)
        take = min(n - offset, start + batch_size - pos)
        pieces.append(cache["perm"][offset:offset + take])
        pos += take
    return torch.cat(pieces)


def prepare_data(data, config: GANConfig, device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Check ``(images, labels)`` against ``config`` and return them on ``device``, images in [-1, 1].

    Taught in chapter 04, §4.5 (The training step).

    ``data=None`` loads the train split of ``config.dataset``.

    >>> from helpers.gan import recipe_config
    >>> x, y = prepare_data((torch.ones(2, 1, 16, 16), None), recipe_config(size=16), "cpu")
    >>> float(x.max()), y
    (1.0, None)
    """
    if data is None:
        data = load_dataset(config.dataset, config.size, "train")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError("data must be a pair (images, labels); labels may be None for an unconditional GAN")
    images, labels = data
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError("images must be a 4-D tensor (N, C, H, W) with values in [0, 1]")
    expected = (config.channels, config.size, config.size)
    if tuple(images.shape[1:]) != expected:
        raise ValueError(f"images must have shape (N, {', '.join(map(str, expected))}) to match the config "
                         f"(size={config.size}), got {tuple(images.shape)}")
    if images.shape[0] < 1:
        raise ValueError("there are no training images")
    if config.num_classes is not None:
        if labels is None or not isinstance(labels, torch.Tensor) or labels.shape != (images.shape[0],):
            raise ValueError("a class-conditional GAN (num_classes set) needs labels of shape (N,)")
        if int(labels.min()) < 0 or int(labels.max()) >= config.num_classes:
            raise ValueError(f"labels must lie in 0…{config.num_classes - 1}")
        labels = labels.long().to(device)
    else:
        labels = None
    images = (images.float() * 2.0 - 1.0).to(device)            # [0, 1] → [-1, 1], G's tanh range
    return images, labels
