"""Plotting helpers: image grids, kernels, loss curves.

Everything takes tensors on any device (they are moved to the CPU here) and
returns the matplotlib ``Axes`` so a caller can add titles.

>>> import torch
>>> from helpers.plotting import image_grid
>>> image_grid(torch.rand(10, 1, 8, 8), nrow=5).shape
torch.Size([1, 17, 44])
"""

from __future__ import annotations

import math

import numpy as np
import torch

from helpers.checks import as_tensor, check_positive_int


def _as_batch(images, name: str = "images") -> torch.Tensor:
    images, _ = as_tensor(images, name)
    images = images.detach().to("cpu", torch.float32)
    if images.dim() == 2:        # (H, W)
        images = images[None, None]
    elif images.dim() == 3:      # (N, H, W): one channel each
        images = images[:, None]
    elif images.dim() != 4:
        raise ValueError(
            f"{name} must be (N, C, H, W), (N, H, W) or (H, W); got {images.dim()}-D "
            f"with shape {tuple(images.shape)}"
        )
    if images.shape[1] not in (1, 3):
        raise ValueError(
            f"{name} must have 1 (grey) or 3 (RGB) channels, got {images.shape[1]}; "
            f"to see every channel of a feature map, pass fmap[0][:, None]"
        )
    return images


def image_grid(images, nrow: int = 8, padding: int = 1, pad_value: float = 1.0) -> torch.Tensor:
    """Tile a batch ``(N, C, H, W)`` into one ``(C, H', W')`` image.

    Taught in chapter 01, §1.10 (A small CNN that reads digits), inside :func:`show_images`.

    >>> image_grid(torch.zeros(4, 1, 2, 2), nrow=2, padding=0).shape
    torch.Size([1, 4, 4])
    """
    images = _as_batch(images)
    check_positive_int(nrow, "nrow")
    n, c, h, w = images.shape
    ncol = min(nrow, n)
    nrows = math.ceil(n / ncol)
    grid = torch.full((c, nrows * (h + padding) - padding, ncol * (w + padding) - padding),
                      float(pad_value))
    for i in range(n):
        r, col = divmod(i, ncol)
        grid[:, r * (h + padding): r * (h + padding) + h,
             col * (w + padding): col * (w + padding) + w] = images[i]
    return grid


def show_image(image, title: str | None = None, ax=None, cmap: str = "gray",
               vmin: float | None = 0.0, vmax: float | None = 1.0, colorbar: bool = False):
    """Show one image ``(C, H, W)`` or ``(H, W)``; returns the ``Axes``.

    Taught in chapter 01, §1.1 (A convolution, by hand); reused in chapters 03 and 05.

    >>> ax = show_image(torch.rand(8, 8), title="noise")
    >>> ax.get_title(), ax.images[0].get_array().shape, ax.images[0].get_cmap().name
    ('noise', (8, 8), 'gray')
    """
    import matplotlib.pyplot as plt

    if isinstance(image, (torch.Tensor, np.ndarray)) and image.ndim == 3 and image.shape[0] in (1, 3):
        image = image[None]  # one (C, H, W) image
    image = _as_batch(image, "image")
    if image.shape[0] != 1:
        raise ValueError(f"show_image takes one image, got a batch of {image.shape[0]}; use show_images")
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    array = image[0].permute(1, 2, 0).numpy()
    if array.shape[-1] == 1:
        handle = ax.imshow(array[..., 0], cmap=cmap, vmin=vmin, vmax=vmax)
        if colorbar:
            ax.figure.colorbar(handle, ax=ax, fraction=0.046, pad=0.04)
    else:
        ax.imshow(array.clip(0, 1))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def show_images(images, nrow: int = 8, title: str | None = None, ax=None,
                labels=None, cmap: str = "gray", figsize: tuple | None = None):
    """Show a batch as a grid (values in [0, 1]); ``labels`` go under each tile.

    Taught in chapter 01, §1.10 (A small CNN that reads digits); reused in chapters 04 and 05.

    >>> ax = show_images(torch.rand(16, 1, 8, 8), nrow=8, title="random")
    >>> ax.get_title(), ax.images[0].get_array().shape          # 2 rows × 8 tiles, 1 px apart
    ('random', (17, 71))
    """
    import matplotlib.pyplot as plt

    images = _as_batch(images)
    n = images.shape[0]
    if labels is not None and len(labels) != n:
        raise ValueError(f"got {len(labels)} labels for {n} images; pass one label per image")
    if labels is None:
        grid = image_grid(images, nrow=nrow)
        if ax is None:
            width = min(12, 1.0 + 0.9 * min(nrow, n))
            _, ax = plt.subplots(figsize=figsize or (width, width * grid.shape[1] / grid.shape[2]))
        return show_image(grid, title=title, ax=ax, cmap=cmap)
    ncol = min(nrow, n)
    nrows = math.ceil(n / ncol)
    fig, axes = plt.subplots(nrows, ncol, figsize=figsize or (1.1 * ncol, 1.3 * nrows), squeeze=False)
    for i, a in enumerate(axes.flat):
        if i < n:
            show_image(images[i], ax=a, cmap=cmap)
            a.set_title(str(labels[i]), fontsize=9)
        else:
            a.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return axes


def show_kernels(weight, title: str | None = None, ncol: int = 8, cmap: str = "RdBu_r",
                 annotate: bool | None = None):
    """Show convolution kernels with a symmetric colour scale (red +, blue −).

    Taught in chapter 01, §1.10 (A small CNN that reads digits).

    ``weight`` is ``(kH, kW)``, ``(N, kH, kW)`` or a layer weight
    ``(out, in, kH, kW)`` (every ``out × in`` kernel is drawn). Small
    kernels (≤ 5×5, at most 8 of them) get their values written in.

    >>> axes = show_kernels(torch.tensor([[1., 0, -1], [2, 0, -2], [1, 0, -1]]), title="Sobel x")
    >>> a = axes.flat[0]                             # axes: a (rows, columns) array, here (1, 1)
    >>> axes.shape, a.images[0].get_array().tolist()[0], [t.get_text() for t in a.texts][:3]
    ((1, 1), [1.0, 0.0, -1.0], ['1', '0', '-1'])
    >>> a.figure.get_suptitle()
    'Sobel x'
    """
    import matplotlib.pyplot as plt

    weight, _ = as_tensor(weight, "weight")
    w = weight.detach().to("cpu", torch.float32)
    if w.dim() == 2:
        w = w[None]
    elif w.dim() == 4:
        w = w.reshape(-1, *w.shape[-2:])
    elif w.dim() != 3:
        raise ValueError(f"weight must be 2-D, 3-D or 4-D, got shape {tuple(w.shape)}")
    n = w.shape[0]
    ncol = min(ncol, n)
    nrows = math.ceil(n / ncol)
    limit = float(w.abs().max()) or 1.0
    if annotate is None:
        annotate = n <= 8 and max(w.shape[-2:]) <= 5
    fig, axes = plt.subplots(nrows, ncol, figsize=(1.6 * ncol + 0.8, 1.6 * nrows + 0.4), squeeze=False)
    handle = None
    for i, a in enumerate(axes.flat):
        a.set_xticks([])
        a.set_yticks([])
        if i >= n:
            a.axis("off")
            continue
        handle = a.imshow(w[i].numpy(), cmap=cmap, vmin=-limit, vmax=limit)
        if annotate:
            for (r, c), v in np.ndenumerate(w[i].numpy()):
                a.text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=8)
    fig.colorbar(handle, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02)
    if title:
        fig.suptitle(title)
    return axes


def plot_history(history: dict, keys=None, logy: bool = False, title: str | None = None, ax=None,
                 xlabel: str = "epoch", labels: dict | None = None):
    """Plot the lists in a history dict (as returned by ``helpers.training.fit``).

    Taught in chapter 01, §1.10 (A small CNN that reads digits).

    ``labels`` maps a key to its legend text (e.g. ``{"val_loss": "test loss"}``
    when the "validation" set is the test set); other keys are shown as they are.

    >>> ax = plot_history({"train_loss": [1.0, 0.5, 0.2]}, logy=True, labels={"train_loss": "training"})
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['training']
    """
    import matplotlib.pyplot as plt

    if not isinstance(history, dict) or not history:
        raise ValueError("history must be a non-empty dict of lists, e.g. {'train_loss': [...]}")
    keys = list(keys) if keys is not None else [k for k, v in history.items() if isinstance(v, (list, tuple)) and v]
    missing = [k for k in keys if k not in history]
    if missing:
        raise KeyError(f"history has no {missing}; it has {sorted(history)}")
    unknown = sorted(set(labels or {}) - set(keys))
    if unknown:
        raise KeyError(f"labels name {unknown}, which are not plotted; plotted: {keys}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    from matplotlib.ticker import MaxNLocator

    # marker and line style differ per curve, so the curves stay apart in grey too
    styles = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-.")]
    for i, k in enumerate(keys):
        values = history[k]
        marker, linestyle = styles[i % len(styles)]
        ax.plot(range(1, len(values) + 1), values, label=(labels or {}).get(k, k),
                marker=marker if len(values) < 30 else None, linestyle=linestyle)
    if logy:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # whole epochs / steps
    ax.set_xlabel(xlabel)
    ax.set_ylabel("value")
    ax.legend()
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax
