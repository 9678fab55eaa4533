"""Offline data: scikit-learn's digits and scikit-image's sample photos.

Nothing here downloads anything; both packages ship these images.

>>> from helpers.data import load_digits, load_sample_image
>>> x, y = load_digits(size=16, split="train")
>>> tuple(x.shape[1:]), x.dtype, int(y.max())
((1, 16, 16), torch.float32, 9)
>>> load_sample_image("camera", size=64).shape
torch.Size([1, 64, 64])
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

#: Fraction of the 1,797 digits held out for testing, and the seed of the split.
DIGITS_TEST_FRACTION = 0.25
DIGITS_SPLIT_SEED = 0

#: scikit-image photos that ship inside the package (no download needed).
SAMPLE_IMAGES = (
    "astronaut", "brick", "camera", "cat", "checkerboard", "chelsea", "clock",
    "coffee", "coins", "grass", "gravel", "horse", "moon", "page", "rocket",
    "text",
)


def _check_size(size: int, name: str = "size") -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"{name} must be an int, not {type(size).__name__}")
    if size < 1:
        raise ValueError(f"{name} must be a positive number of pixels, got {size}")
    return int(size)


def resize_images(images: torch.Tensor, size: int, mode: str = "bicubic") -> torch.Tensor:
    """Resize a batch ``(N, C, H, W)`` to ``(N, C, size, size)``, values kept in [0, 1].

    ``mode`` is ``"bicubic"``, ``"bilinear"``, ``"nearest"`` or ``"area"``
    (``"area"`` averages blocks: the right way to shrink).

    >>> resize_images(torch.rand(2, 1, 8, 8), 32).shape
    torch.Size([2, 1, 32, 32])
    """
    size = _check_size(size)
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, not {type(images).__name__}")
    if images.dim() != 4:
        raise ValueError(
            f"images must be 4-D (N, C, H, W), got {images.dim()}-D with shape "
            f"{tuple(images.shape)}; add a batch axis with images[None] or a channel axis with images[:, None]"
        )
    modes = ("bicubic", "bilinear", "nearest", "area")
    if mode not in modes:
        raise ValueError(f"mode must be one of {modes}, got {mode!r}")
    if images.shape[-2:] == (size, size):
        return images.clone()
    kwargs = {"align_corners": False} if mode in ("bicubic", "bilinear") else {}
    out = F.interpolate(images.float(), size=(size, size), mode=mode, **kwargs)
    return out.clamp_(0.0, 1.0)


def digits_split_indices(seed: int = DIGITS_SPLIT_SEED,
                         test_fraction: float = DIGITS_TEST_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the stratified, deterministic train/test split of the digits.

    >>> tr, te = digits_split_indices()
    >>> len(tr) + len(te), len(set(tr) & set(te))
    (1797, 0)
    """
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    labels = _sk_load_digits().target
    index = np.arange(len(labels))
    train, test = train_test_split(index, test_size=test_fraction, stratify=labels,
                                   random_state=seed)
    return np.sort(train), np.sort(test)


def load_digits(size: int = 8, split: str = "all", seed: int = DIGITS_SPLIT_SEED,
                test_fraction: float = DIGITS_TEST_FRACTION) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1,797 handwritten digits as ``(images, labels)`` tensors.

    ``images`` is ``(N, 1, size, size)`` float32 in [0, 1] (8×8 originals,
    bicubic-resized for a larger ``size``, area-averaged for a smaller one);
    ``labels`` is ``(N,)`` int64 in 0…9. ``split`` is ``"all"``, ``"train"``
    or ``"test"``: a stratified split, the same on every call with the same
    ``seed`` and ``test_fraction``.

    >>> x, y = load_digits(split="test")
    >>> x.shape, y.shape
    (torch.Size([450, 1, 8, 8]), torch.Size([450]))
    """
    from sklearn.datasets import load_digits as _sk_load_digits

    size = _check_size(size)
    splits = ("all", "train", "test")
    if split not in splits:
        raise ValueError(f"split must be one of {splits}, got {split!r}")
    bunch = _sk_load_digits()
    images = torch.from_numpy(bunch.images.astype(np.float32) / 16.0)[:, None]  # (N, 1, 8, 8)
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    if split != "all":
        train, test = digits_split_indices(seed, test_fraction)
        keep = torch.from_numpy(train if split == "train" else test)
        images, labels = images[keep], labels[keep]
    if size != 8:
        images = resize_images(images, size, mode="bicubic" if size > 8 else "area")
    return images.contiguous(), labels


def load_sample_image(name: str = "camera", size: int | None = None,
                      gray: bool = True) -> torch.Tensor:
    """A scikit-image sample photo as a float32 tensor in [0, 1].

    Returns ``(1, H, W)`` when ``gray`` (colour photos are converted with
    the ITU-R 601 luma weights), else ``(3, H, W)`` (a grey photo is
    repeated over three channels). With ``size`` the photo is centre-cropped
    to a square and resized (anti-aliased) to ``size × size``.

    >>> load_sample_image("astronaut", size=32, gray=False).shape
    torch.Size([3, 32, 32])
    """
    import skimage.data
    from skimage.color import rgb2gray

    if name not in SAMPLE_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; choose one of {', '.join(SAMPLE_IMAGES)}")
    array = getattr(skimage.data, name)()
    if array.ndim == 3 and array.shape[-1] == 4:  # drop an alpha channel
        array = array[..., :3]
    array = np.asarray(array)
    if array.dtype == bool:
        array = array.astype(np.float32)
    elif np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float32) / np.iinfo(array.dtype).max
    array = array.astype(np.float32)
    if gray:
        if array.ndim == 3:
            array = rgb2gray(array).astype(np.float32)
        tensor = torch.from_numpy(array)[None]
    else:
        if array.ndim == 2:
            array = np.repeat(array[..., None], 3, axis=-1)
        tensor = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    if size is not None:
        size = _check_size(size)
        h, w = tensor.shape[-2:]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        tensor = tensor[:, top:top + side, left:left + side]
        tensor = F.interpolate(tensor[None], size=(size, size), mode="bilinear",
                               antialias=True, align_corners=False)[0]
    return tensor.clamp(0.0, 1.0).contiguous()


# ------------------------------------------------------------------------------------------
# Optional: MNIST and Fashion-MNIST (opt-in; needs torchvision and the files or a network)
# ------------------------------------------------------------------------------------------

#: Name → (torchvision class name, folder under the root that torchvision reads).
MNIST_DATASETS = {"mnist": ("MNIST", "MNIST"), "fashion-mnist": ("FashionMNIST", "FashionMNIST")}
#: The four uncompressed IDX files torchvision expects in ``ROOT/<folder>/raw/``.
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
#: Default root folder (gitignored ``data/`` would also do; checkpoints/ is ignored already).
MNIST_ROOT = "checkpoints/data"


class DatasetUnavailableError(RuntimeError):
    """An optional data set that is neither on disk nor downloadable; the message says what to do."""


def _manual_hint(name: str, root) -> str:
    from pathlib import Path

    folder = Path(root) / MNIST_DATASETS[name][1] / "raw"
    return (f"{name} is not available: the download failed (no network?) and the files are not in "
            f"{folder}; place the four uncompressed IDX files {', '.join(MNIST_FILES)} there by hand "
            f"(or use --dataset digits, which needs no download).")


def load_mnist(name: str = "mnist", size: int = 28, split: str = "train", root=None,
               download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST or Fashion-MNIST as ``(images (N, 1, size, size) in [0, 1], labels (N,))``.

    Goes through ``torchvision.datasets`` (``pip install torchvision``).
    The files are read from ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``),
    the uncompressed IDX files ``train-images-idx3-ubyte`` etc.; when they
    are missing and ``download`` is true torchvision tries to fetch them.
    If that fails, :class:`DatasetUnavailableError` says in one sentence
    where to put the files by hand. ``size`` ≠ 28 resizes (bicubic up,
    area down). ``split`` is ``"train"`` or ``"test"``.
    """
    from pathlib import Path

    if name not in MNIST_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(MNIST_DATASETS)}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    size = _check_size(size)
    root = Path(root if root is not None else MNIST_ROOT)
    try:
        import torchvision.datasets as tvd
    except ImportError as exc:
        raise DatasetUnavailableError(
            f"{name} needs torchvision, which is not installed; run `pip install torchvision` "
            f"(or use --dataset digits, which needs no download).") from exc
    cls = getattr(tvd, MNIST_DATASETS[name][0])
    try:
        dataset = cls(root=str(root), train=split == "train", download=download)
    except Exception as exc:  # RuntimeError("Dataset not found..."), URLError, OSError ...
        raise DatasetUnavailableError(_manual_hint(name, root)) from exc
    images = dataset.data.float().div_(255.0)[:, None]          # (N, 1, 28, 28) in [0, 1]
    labels = dataset.targets.long()
    if size != images.shape[-1]:
        images = resize_images(images, size, mode="bicubic" if size > images.shape[-1] else "area")
    return images.contiguous(), labels


def ring_of_gaussians(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                      seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``(points (n, 2), mode index (n,))``: a mixture of ``modes`` Gaussians on a circle.

    The classic toy data for mode collapse (Metz et al. 2017): equal weights,
    centres ``radius·(cos 2πk/modes, sin 2πk/modes)``, standard deviation
    ``std``. Seeded with a private generator.

    >>> x, k = ring_of_gaussians(4, seed=0)
    >>> tuple(x.shape), k.tolist() == ring_of_gaussians(4, seed=0)[1].tolist()
    ((4, 2), True)
    """
    for name, value in (("n", n), ("modes", modes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not (radius > 0 and std > 0):
        raise ValueError("radius and std must be positive")
    g = torch.Generator().manual_seed(seed)
    k = torch.randint(modes, (n,), generator=g)
    angle = 2 * math.pi * k.double() / modes
    centres = radius * torch.stack([angle.cos(), angle.sin()], dim=1)
    return (centres + std * torch.randn(n, 2, generator=g, dtype=torch.float64)).float(), k


def ring_mode_stats(points: torch.Tensor, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                    min_share: float = 0.05) -> dict:
    """How a set of 2-D points covers the ring: ``modes_covered``, ``high_quality``, ``shares``.

    A point is *high quality* when it lies within ``4·std`` of its nearest
    centre; a mode is *covered* when at least ``min_share`` of the points are
    high-quality points near it (the 2-D analogue of precision and class
    coverage for the digits).

    >>> x, _ = ring_of_gaussians(2000, seed=1)
    >>> s = ring_mode_stats(x)
    >>> s["modes_covered"], s["high_quality"] > 0.99
    (8, True)
    """
    points = torch.as_tensor(points, dtype=torch.float64)
    if points.dim() != 2 or points.shape[1] != 2 or points.shape[0] < 1:
        raise ValueError(f"points must have shape (N, 2), got {tuple(points.shape)}")
    angle = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes
    centres = radius * torch.stack([angle.cos(), angle.sin()], dim=1)
    dist = torch.cdist(points, centres)                         # (N, modes)
    nearest_d, nearest = dist.min(dim=1)
    good = nearest_d <= 4 * std
    shares = torch.bincount(nearest[good], minlength=modes).double() / points.shape[0]
    return {"modes_covered": int((shares >= min_share).sum()), "high_quality": float(good.double().mean()),
            "shares": [round(float(s), 4) for s in shares]}
