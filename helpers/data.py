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

from helpers.checks import check_choice, check_number, check_positive_int, check_probability

#: Fraction of the 1,797 digits held out for testing, and the seed of the split.
DIGITS_TEST_FRACTION = 0.25
DIGITS_SPLIT_SEED = 0

#: scikit-image photos that ship inside the package (no download needed).
SAMPLE_IMAGES = (
    "astronaut", "brick", "camera", "cat", "checkerboard", "chelsea", "clock",
    "coffee", "coins", "grass", "gravel", "horse", "moon", "page", "rocket",
    "text",
)


def resize_images(images: torch.Tensor, size: int, mode: str = "bicubic") -> torch.Tensor:
    """Resize a batch ``(N, C, H, W)`` to ``(N, C, size, size)``, values kept in [0, 1].

    ``mode`` is ``"bicubic"``, ``"bilinear"``, ``"nearest"`` or ``"area"``
    (``"area"`` averages blocks: the right way to shrink).

    >>> resize_images(torch.rand(2, 1, 8, 8), 32).shape
    torch.Size([2, 1, 32, 32])
    """
    size = check_positive_int(size, "size", hint="(pixels)")
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, not {type(images).__name__}")
    if images.dim() != 4:
        raise ValueError(
            f"images must be 4-D (N, C, H, W), got {images.dim()}-D with shape "
            f"{tuple(images.shape)}; add a batch axis with images[None] or a channel axis with images[:, None]"
        )
    check_choice(mode, "mode", ("bicubic", "bilinear", "nearest", "area"))
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

    check_probability(test_fraction, "test_fraction")
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

    size = check_positive_int(size, "size", hint="(pixels)")
    check_choice(split, "split", ("all", "train", "test"))
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
        size = check_positive_int(size, "size", hint="(pixels)")
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


class CorruptDatasetError(DatasetUnavailableError):
    """A data file is on disk but damaged; the message names the file, says why and what to do."""


#: The IDX magic numbers: 0x0000 0x08 (unsigned bytes) then the number of dimensions.
IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}
_IDX_HEADER = {"images": 16, "labels": 8}    # magic + one 4-byte count per dimension
#: Size of the real files (both data sets): images 28x28, 60,000 train and 10,000 test.
MNIST_COUNTS = {"train": 60_000, "t10k": 10_000}


def _mirror(name: str) -> str:
    try:
        import torchvision.datasets as tvd

        return getattr(tvd, MNIST_DATASETS[name][0]).mirrors[0]
    except (ImportError, AttributeError, IndexError):  # pragma: no cover - torchvision without mirrors
        return "the data set's web site"


def _redo(name: str, path) -> str:
    return (f"delete it and run again to download it afresh, or put a good copy there by hand "
            f"(from {_mirror(name)}{path.name}.gz, uncompressed with gunzip)")


def check_idx_file(path, kind: str, name: str = "mnist") -> int:
    """Check an MNIST-style IDX file of ``kind`` "images" or "labels"; return its item count.

    An IDX file is a big-endian header (a magic number, then one 4-byte size per
    dimension) and the bytes: ``0x00000803``, N, 28, 28 for images, ``0x00000801``, N
    for labels. A damaged file raises :class:`CorruptDatasetError` naming the file,
    what is wrong (not an IDX file: a still-gzipped file or a saved HTML error page;
    the wrong kind; a truncated or overlong file; labels outside 0-9) and what to do.

    >>> import struct, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t10k-labels-idx1-ubyte"
    >>> _ = path.write_bytes(struct.pack(">II", 0x801, 3) + bytes([7, 2, 1]))
    >>> check_idx_file(path, "labels")
    3
    >>> _ = path.write_bytes(struct.pack(">II", 0x801, 3) + bytes([7, 2]))
    >>> check_idx_file(path, "labels")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    helpers.data.CorruptDatasetError: ...labels-idx1-ubyte is damaged: it has 10 bytes, but ... truncated ...
    """
    import struct
    from pathlib import Path

    path = Path(path)
    if kind not in IDX_MAGIC:
        raise ValueError(f"kind must be 'images' or 'labels', got {kind!r}")
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(_IDX_HEADER[kind])
    bad = f"{path} is damaged: "
    if len(head) >= 2 and head[:2] == b"\x1f\x8b":
        raise CorruptDatasetError(
            bad + f"it is gzip-compressed, but this name is for the uncompressed file; rename it to "
            f"{path.name}.gz and run gunzip on it, or " + _redo(name, path) + ".")
    if len(head) < 4:
        raise CorruptDatasetError(bad + f"it has only {size} bytes, too few for an IDX header; "
                                  + _redo(name, path) + ".")
    magic = struct.unpack(">I", head[:4])[0]
    if magic != IDX_MAGIC[kind]:
        other = [k for k, m in IDX_MAGIC.items() if m == magic]
        if other:
            why = f"it holds {other[0]}, not {kind} (two files swapped?)"
        elif head.lstrip()[:1] == b"<":
            why = "it is a web page (HTML), not an IDX file: a failed download saves the error page"
        else:
            why = "it is not an IDX file"
        raise CorruptDatasetError(
            bad + f"its magic number is 0x{magic:08X}, not 0x{IDX_MAGIC[kind]:08X} as in an IDX {kind} "
            f"file; {why}; " + _redo(name, path) + ".")
    if len(head) < _IDX_HEADER[kind]:
        raise CorruptDatasetError(bad + f"it has only {size} bytes, too few for the header of an IDX "
                                  f"{kind} file; " + _redo(name, path) + ".")
    dims = struct.unpack(f">{len(head) // 4 - 1}I", head[4:])
    if kind == "images" and dims[1:] != (28, 28):
        raise CorruptDatasetError(bad + f"its header says {dims[1]}x{dims[2]} images, but MNIST "
                                  f"images are 28x28; " + _redo(name, path) + ".")
    expected = len(head) + math.prod(dims)
    if size != expected:
        real = MNIST_COUNTS.get(path.name.split("-")[0])
        note = ""
        if real is not None:
            full = len(head) + real * math.prod(dims[1:])
            note = f" (the real file has {real:,} {kind}: {full:,} bytes)"
        how = ("the file is truncated (an interrupted download or copy?)" if size < expected else
               "the file has bytes after the data")
        raise CorruptDatasetError(
            bad + f"it has {size:,} bytes, but its header promises {dims[0]:,} {kind}, which take "
            f"{expected:,} bytes{note}: {how}; " + _redo(name, path) + ".")
    if kind == "labels":
        with path.open("rb") as f:
            f.seek(len(head))
            top = max(f.read(), default=0)
        if top > 9:
            raise CorruptDatasetError(bad + f"it holds the label {top}, but the labels are 0-9; "
                                      + _redo(name, path) + ".")
    return dims[0]


def _check_gzip(path) -> str | None:
    """Why the gzip file ``path`` is unreadable (None if it reads to the end)."""
    import gzip
    import zlib

    try:
        with gzip.open(path, "rb") as f:
            while f.read(1 << 22):
                pass
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        return f"{type(exc).__name__}: {exc}"
    return None


def _manual_hint(name: str, root, missing=MNIST_FILES) -> str:
    from pathlib import Path

    folder = Path(root) / MNIST_DATASETS[name][1] / "raw"
    gone = "the files are not in" if len(missing) == len(MNIST_FILES) else \
        f"{len(missing)} of the four files ({', '.join(missing)}) are not in"
    damaged = []
    for file in missing:
        gz = folder / f"{file}.gz"
        if gz.is_file():
            why = _check_gzip(gz)
            if why is not None:
                damaged.append(f"{gz} is a damaged gzip file ({why}); delete it. ")
    return ("".join(damaged) +
            f"{name} is not available: the download failed (no network?) and {gone} "
            f"{folder}; place the four uncompressed IDX files {', '.join(MNIST_FILES)} there by hand "
            f"(or use --dataset digits, which needs no download).")


def check_mnist_files(name: str, root, split: str) -> int:
    """Check the two IDX files of ``split`` in ``root``; return the number of images.

    Raises :class:`CorruptDatasetError` for a damaged file (see :func:`check_idx_file`)
    or when the images and labels files disagree on the count.
    """
    from pathlib import Path

    folder = Path(root) / MNIST_DATASETS[name][1] / "raw"
    prefix = "train" if split == "train" else "t10k"
    images = folder / f"{prefix}-images-idx3-ubyte"
    labels = folder / f"{prefix}-labels-idx1-ubyte"
    n_images = check_idx_file(images, "images", name)
    n_labels = check_idx_file(labels, "labels", name)
    if n_images != n_labels:
        raise CorruptDatasetError(
            f"{folder} holds {n_images:,} images in {images.name} but {n_labels:,} labels in "
            f"{labels.name}; the two files are from different downloads (or one is cut short): "
            f"delete both and run again to download them afresh.")
    return n_images


def load_mnist(name: str = "mnist", size: int = 28, split: str = "train", root=None,
               download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST or Fashion-MNIST as ``(images (N, 1, size, size) in [0, 1], labels (N,))``.

    Goes through ``torchvision.datasets`` (``pip install torchvision``).
    The files are read from ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``),
    the uncompressed IDX files ``train-images-idx3-ubyte`` etc.; when they
    are missing and ``download`` is true torchvision tries to fetch them.
    If that fails, :class:`DatasetUnavailableError` says in one sentence
    where to put the files by hand. When the files are there, they are checked
    first: a damaged one raises :class:`CorruptDatasetError` (a subclass), which
    names the file, says what is wrong with it and what to do.
    ``size`` ≠ 28 resizes (bicubic up, area down). ``split`` is ``"train"`` or ``"test"``.
    """
    from pathlib import Path

    if name not in MNIST_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(MNIST_DATASETS)}")
    check_choice(split, "split", ("train", "test"))
    size = check_positive_int(size, "size", hint="(pixels)")
    root = Path(root if root is not None else MNIST_ROOT)
    try:
        import torchvision.datasets as tvd
    except ImportError as exc:
        raise DatasetUnavailableError(
            f"{name} needs torchvision, which is not installed; run `pip install torchvision` "
            f"(or use --dataset digits, which needs no download).") from exc
    cls = getattr(tvd, MNIST_DATASETS[name][0])
    folder = root / MNIST_DATASETS[name][1] / "raw"
    missing = [f for f in MNIST_FILES if not (folder / f).is_file()]
    if not missing:                      # all there: torchvision will not download; check them
        check_mnist_files(name, root, split)
    try:
        dataset = cls(root=str(root), train=split == "train", download=download and bool(missing))
    except Exception as exc:  # RuntimeError("Dataset not found..."), URLError, OSError ...
        if not missing:
            raise DatasetUnavailableError(
                f"torchvision could not read the {name} files in {folder} "
                f"({type(exc).__name__}: {' '.join(str(exc).split())})") from exc
        raise DatasetUnavailableError(_manual_hint(name, root, missing)) from exc
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
    n, modes = check_positive_int(n, "n"), check_positive_int(modes, "modes")
    radius, std = check_number(radius, "radius", 0, strict=True), check_number(std, "std", 0, strict=True)
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
