"""How good are generated digits? A Fréchet distance, class coverage, k-NN precision and recall.

Everything is measured in the feature space of a small CNN digit
classifier trained (in a few seconds, deterministically, no download) on
the train split of scikit-learn's 8×8 digits; the reference is the
held-out test split. Samples of any size are first area-downsampled to
8×8, the resolution of the real data.

* **Fréchet distance** (FD; the FID of Heusel et al. 2017 with our
  classifier in place of Inception): fit a Gaussian to each feature set,
  ``FD = |μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{½})``. Lower is better; it is
  biased upwards for small sample sizes, so compare numbers computed on
  the same number of samples. Its *floor* is the FD of real training
  digits (bicubic-upsampled to the samples' size and back, the data the
  GAN sees) against the test digits.
* **Class coverage**: the classifier labels each sample; a class counts as
  covered when it gets at least 5 % of the samples. Mode collapse shows
  here first.
* **Precision and recall** (Kynkäänniemi et al. 2019, k = 3): a sample is
  *precise* when it falls inside the k-NN ball of some real feature
  vector; a real image is *recalled* when it falls inside the k-NN ball of
  some sample. Precision measures fidelity, recall diversity.
* **Density and coverage** (Naeem et al. 2020, k = 5): the same idea with
  balls around the real features only, so that outliers cannot inflate
  them (:func:`density_coverage`).
* A **bootstrap interval** for the FD (:func:`fd_bootstrap`, :func:`fd_interval`).

>>> import torch
>>> from helpers.data import load_digits
>>> x, _ = load_digits(split="train")
>>> m = evaluate(x)
>>> m["classes_covered"], m["precision"] > 0.9
(10, True)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from helpers.cnn import DigitsCNN
from helpers.checks import (check_image_batch, check_int, check_positive_int, check_probability,
                            check_unit_range)
from helpers.data import load_digits, resize_images
# Tiny models run on one CPU thread (cpu_threads(1)): on a busy 2-core machine, two OpenMP
# threads waiting for each other made the classifier ~10x slower (measured).
from helpers.device import cpu_threads
from helpers.imaging import fft_power
from helpers.rng import seeded

#: Resolution the metric works at (the digits' native size).
METRIC_SIZE = 8
NUM_CLASSES = 10
K_NEIGHBOURS = 3
COVERAGE_THRESHOLD = 0.05
CLASSIFIER_SEED = 0
CLASSIFIER_EPOCHS = 20

_CACHE: dict = {}


class DigitClassifier(DigitsCNN):
    """The metric's feature network: chapter 01's :class:`helpers.cnn.DigitsCNN`, pooled after each
    convolution, with a 64-d feature layer; ``embed(x)`` is the 64-d feature space and ``head`` the
    linear layer from it to the 10 logits.

    Taught in chapter 04, §4.7 (Measuring quality), inside :func:`evaluate`; reused in chapter 05.

    >>> DigitClassifier()(torch.zeros(2, 1, 8, 8)).shape, DigitClassifier().embed(torch.zeros(2, 1, 8, 8)).shape
    (torch.Size([2, 10]), torch.Size([2, 64]))
    """

    def __init__(self, feature_dim: int = 64):
        super().__init__(channels=32, classes=NUM_CLASSES, pool_each=True, feature_dim=feature_dim,
                         dropout=0.0)


def get_classifier() -> tuple[DigitClassifier, float]:
    """The trained feature classifier and its test accuracy (trained once per process, ~seconds).

    Taught in chapter 04, §4.7 (Measuring quality); reused in chapter 05.

    Training is seeded and does not touch the caller's random state.

    >>> model, accuracy = get_classifier()
    >>> accuracy > 0.95, get_classifier()[0] is model                 # trained once per process
    (True, True)
    """
    if "classifier" not in _CACHE:
        from helpers.training import evaluate_accuracy, fit, make_loader

        x_train, y_train = load_digits(split="train")
        x_test, y_test = load_digits(split="test")
        with seeded(CLASSIFIER_SEED), cpu_threads(1), torch.enable_grad():
            model = DigitClassifier()
            loader = make_loader(x_train, y_train, batch_size=64, seed=CLASSIFIER_SEED)
            fit(model, loader, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=2e-3),
                epochs=CLASSIFIER_EPOCHS, device="cpu", progress=False)
        model.eval().requires_grad_(False)
        _CACHE["classifier"] = (model, evaluate_accuracy(model, x_test, y_test))
    return _CACHE["classifier"]


def as_metric_images(images) -> torch.Tensor:
    """Samples as every metric reads them: grey ``(N, 1, H, W)``, ``N >= 2``, values in [0, 1].

    Taught in chapter 04, §4.7 (Measuring quality), inside :func:`evaluate`; reused in chapter 05.

    Returned as float32 on the CPU, clamped to [0, 1] (values up to 1e-3
    outside are rounding, anything further raises ``ValueError``).

    >>> as_metric_images(torch.full((2, 1, 4, 4), 1.0005)).max().item()
    1.0
    >>> as_metric_images(torch.zeros(2, 1, 4, 4) - 1)
    Traceback (most recent call last):
        ...
    ValueError: images must have values in [0, 1], got [-1, -1] (a generator's tanh output needs (x + 1) / 2)
    """
    check_image_batch(images, channels=1, min_batch=2, floating=False)
    images = images.detach().float().cpu()
    check_unit_range(images, hint="(a generator's tanh output needs (x + 1) / 2)")
    return images.clamp(0.0, 1.0)


def to_metric_size(images: torch.Tensor) -> torch.Tensor:
    """Area-downsample ``(N, 1, H, W)`` images to 8×8 (the digits' resolution).

    Taught in chapter 04, §4.7 (Measuring quality), inside :func:`evaluate`; reused in chapter 05.

    >>> to_metric_size(torch.rand(3, 1, 32, 32)).shape
    torch.Size([3, 1, 8, 8])
    """
    images = as_metric_images(images)
    if images.shape[-2:] == (METRIC_SIZE, METRIC_SIZE):
        return images
    return resize_images(images, METRIC_SIZE, mode="area")


@torch.no_grad()
def classify(images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features (N, 64) float64, predicted labels (N,))`` of images of any size in [0, 1].

    Taught in chapter 05, §5.2 (Global structure).

    >>> f, y = classify(torch.rand(4, 1, 32, 32))
    >>> tuple(f.shape), tuple(y.shape)
    ((4, 64), (4,))
    """
    model, _ = get_classifier()
    x = to_metric_size(images)
    feats, labels = [], []
    with cpu_threads(1):
        for i in range(0, x.shape[0], batch_size):
            f = model.embed(x[i:i + batch_size])
            feats.append(f.double())
            labels.append(model.head(f).argmax(dim=1))
    return torch.cat(feats), torch.cat(labels)


def _feature_pair(a, b) -> tuple[torch.Tensor, torch.Tensor]:
    """Two feature sets as float64 tensors ``(N, d)`` and ``(M, d)`` (same ``d``)."""
    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"features must be (N, d) and (M, d), got {tuple(a.shape)} and {tuple(b.shape)}")
    return a, b


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets ``(N, d)`` and ``(M, d)``.

    Taught in chapter 04, §4.7 (Measuring quality), inside :func:`evaluate`; reused in chapter 05.

    ``|μa − μb|² + tr(Σa) + tr(Σb) − 2 tr((Σa^{½} Σb Σa^{½})^{½})`` in float64,
    via symmetric eigen-decompositions (stable when a covariance is singular).

    >>> a = torch.randn(500, 3, generator=torch.Generator().manual_seed(0))
    >>> round(frechet_distance(a, a), 6), round(frechet_distance(a, a + 1.0), 3)
    (0.0, 3.0)
    """
    a, b = (t.cpu().numpy() for t in _feature_pair(features_a, features_b))
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError("each feature set needs at least 2 rows")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(cov_a)
    sqrt_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = sqrt_a @ cov_b @ sqrt_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    fd = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross)
    return max(fd, 0.0)


def _kth_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    d = torch.cdist(x, x)                                         # (N, N), 0 on the diagonal
    return d.kthvalue(k + 1, dim=1).values                       # k-th neighbour, itself excluded


def _feature_sets(real, fake, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``real`` and ``fake`` as float64 ``(N, d)`` / ``(M, d)`` tensors; ``k`` must be a positive int."""
    check_positive_int(k, "k")
    return _feature_pair(real, fake)


def knn_precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = K_NEIGHBOURS) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) of feature sets ``(N, d)``.

    Taught in chapter 04, §4.7 (Measuring quality), inside :func:`evaluate`; reused in chapter 05.

    Precision: fraction of ``fake`` rows inside the union of the balls
    around each ``real`` row with radius its distance to its k-th nearest
    real neighbour. Recall: the same with the roles swapped. Recall uses
    at most ``len(real)`` fake rows (the first ones), since radii shrink as
    a set grows.

    >>> r = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    >>> knn_precision_recall(r, r)
    (1.0, 1.0)
    """
    real, fake = _feature_sets(real, fake, k)
    if real.shape[0] <= k or fake.shape[0] <= k:
        raise ValueError(f"each set needs more than k={k} rows")
    r_real = _kth_radius(real, k)
    precision = (torch.cdist(fake, real) <= r_real[None, :]).any(dim=1).double().mean()
    n = real.shape[0]
    chunks = [fake[i:i + n] for i in range(0, max(fake.shape[0] - n, 0) + 1, n)]
    recalls = []
    for chunk in chunks:                                           # equal-sized sets, averaged
        r_fake = _kth_radius(chunk, k)
        recalls.append((torch.cdist(real, chunk) <= r_fake[None, :]).any(dim=1).double().mean())
    return float(precision), float(torch.stack(recalls).mean())


def class_coverage(labels: torch.Tensor, num_classes: int = NUM_CLASSES,
                   threshold: float = COVERAGE_THRESHOLD) -> tuple[int, torch.Tensor]:
    """``(classes with at least threshold of the samples, fraction per class)``.

    Taught in chapter 04, §4.7 (Measuring quality), inside :func:`evaluate`; reused in chapter 05.

    >>> class_coverage(torch.tensor([0, 0, 1, 2]), num_classes=4, threshold=0.25)[0]
    3
    """
    labels = torch.as_tensor(labels).long().flatten()
    if labels.numel() == 0:
        raise ValueError("no labels")
    fractions = torch.bincount(labels, minlength=num_classes)[:num_classes].double() / labels.numel()
    return int((fractions >= threshold).sum()), fractions


def reference_subset(n: int) -> torch.Tensor:
    """Indices of the ``n`` training digits (at most 1,347) every floor is computed on.

    Taught in chapter 04, §4.7 (Measuring quality), inside :func:`evaluate`; reused in chapter 05.

    One fixed subset, so :func:`evaluate`'s ``fd_floor`` and :func:`calibration`'s
    bicubic row are the same number.

    >>> reference_subset(3).tolist() == reference_subset(1000)[:3].tolist()
    True
    """
    x_train, _ = load_digits(split="train")
    count = min(int(n), x_train.shape[0])
    return torch.randperm(x_train.shape[0], generator=torch.Generator().manual_seed(0))[:count]


def _test_features(size: int) -> dict:
    key = ("test", size)
    if key not in _CACHE:
        x_test, _ = load_digits(split="test")
        f_test, _ = classify(x_test)
        if size != METRIC_SIZE:
            f_rt, _ = classify(resize_images(x_test, size, mode="bicubic"))   # the training data's path
        else:
            f_rt = f_test
        _CACHE[key] = {"test": f_test, "test_roundtrip": f_rt}
    return _CACHE[key]


def _reference(size: int, n: int) -> dict:
    """Test features and the floors for samples of side ``size``, compared at ``n`` samples."""
    key = ("reference", size, n)
    if key not in _CACHE:
        tests = _test_features(size)
        x_train, _ = load_digits(split="train")
        raw = x_train[reference_subset(n)]
        f_raw, _ = classify(raw)
        if size != METRIC_SIZE:
            f_up, _ = classify(resize_images(raw, size, mode="bicubic"))  # what the GAN trains on
        else:
            f_up = f_raw
        _CACHE[key] = {**tests, "fd_train": frechet_distance(f_raw, tests["test"]),
                       "fd_floor": frechet_distance(f_up, tests["test"]),
                       "fd_floor_roundtrip": frechet_distance(f_up, tests["test_roundtrip"])}
    return _CACHE[key]


def evaluate(images: torch.Tensor, k: int = K_NEIGHBOURS) -> dict:
    """All the metrics of a batch of samples ``(N, 1, H, W)`` in [0, 1] against the test digits.

    Taught in chapter 04, §4.7 (Measuring quality); reused in chapter 05.

    Returns a dict: ``n``, ``fd``, ``fd_floor`` (bicubic-upsampled train
    digits of the same size and count, :func:`reference_subset`),
    ``fd_train`` (raw 8×8 train digits), ``fd_roundtrip`` and
    ``fd_floor_roundtrip`` (the same two FDs against test digits sent
    through the training data's round trip: bicubic to the samples' size,
    then area to 8×8), ``classes_covered`` (0…10), ``coverage`` (=
    classes_covered / 10), ``class_fractions`` (list of 10), ``precision``,
    ``recall``, ``k``, ``density`` and ``knn_coverage`` (Naeem et al. 2020,
    with ``DC_NEIGHBOURS`` neighbours), ``classifier_accuracy``.
    """
    images = as_metric_images(images)
    _, accuracy = get_classifier()
    feats, labels = classify(images)
    ref = _reference(images.shape[-1], images.shape[0])
    covered, fractions = class_coverage(labels)
    precision, recall = knn_precision_recall(ref["test"], feats, k)
    density, knn_cov = density_coverage(ref["test"], feats)
    return {
        "n": images.shape[0],
        "fd": frechet_distance(feats, ref["test"]),
        "fd_floor": ref["fd_floor"],
        "fd_train": ref["fd_train"],
        "fd_roundtrip": frechet_distance(feats, ref["test_roundtrip"]),
        "fd_floor_roundtrip": ref["fd_floor_roundtrip"],
        "classes_covered": covered,
        "coverage": covered / NUM_CLASSES,
        "class_fractions": [round(float(f), 4) for f in fractions],
        "precision": precision,
        "recall": recall,
        "k": k,
        "density": density,
        "knn_coverage": knn_cov,
        "classifier_accuracy": accuracy,
    }


def fd_bootstrap(features_a: torch.Tensor, features_b: torch.Tensor, n_boot: int = 200,
                 level: float = 0.95, seed: int = 0) -> dict:
    """A bootstrap interval for the Fréchet distance between two feature sets.

    Taught in chapter 04, §4.7 (Measuring quality), inside :func:`evaluate`; reused in chapter 05.

    Both sets are resampled with replacement ``n_boot`` times. A resampled
    set holds duplicates (about 37 % of its rows), which biases the FD
    upwards, so the percentile interval is shifted by the bootstrap's own
    estimate of that bias, ``mean(FD*) − FD`` (a bias-corrected percentile
    interval). Returns ``fd``, ``low``, ``high``, ``bias``, ``n_boot``. The
    caller's random state is untouched (a private generator).

    >>> a = torch.randn(300, 4, generator=torch.Generator().manual_seed(0))
    >>> b = torch.randn(300, 4, generator=torch.Generator().manual_seed(1)) + 0.5
    >>> r = fd_bootstrap(a, b, n_boot=50)
    >>> r["low"] < r["fd"] < r["high"], round(r["fd"], 2)
    (True, 1.14)
    """
    a = torch.as_tensor(features_a, dtype=torch.float64)
    b = torch.as_tensor(features_b, dtype=torch.float64)
    check_int(n_boot, "n_boot", 10)
    check_probability(level, "level")
    fd = frechet_distance(a, b)
    g = torch.Generator().manual_seed(seed)
    reps = []
    for _ in range(n_boot):
        ia = torch.randint(a.shape[0], (a.shape[0],), generator=g)
        ib = torch.randint(b.shape[0], (b.shape[0],), generator=g)
        reps.append(frechet_distance(a[ia], b[ib]))
    reps = np.asarray(reps)
    bias = float(reps.mean() - fd)
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return {"fd": fd, "low": max(float(lo) - bias, 0.0), "high": float(hi) - bias, "bias": bias,
            "n_boot": n_boot}


def fd_interval(images: torch.Tensor, n_boot: int = 200, level: float = 0.95, seed: int = 0,
                roundtrip: bool = False) -> dict:
    """:func:`fd_bootstrap` of samples ``(N, 1, H, W)`` against the test digits (or their round trip).

    Taught in chapter 04, §4.7 (Measuring quality); reused in chapter 05.

    >>> from helpers.data import load_digits
    >>> r = fd_interval(load_digits(split="train")[0][:300], n_boot=20)
    >>> r["low"] <= r["fd"] <= r["high"]
    True
    """
    images = as_metric_images(images)
    feats, _ = classify(images)
    ref = _test_features(images.shape[-1])
    return fd_bootstrap(feats, ref["test_roundtrip" if roundtrip else "test"], n_boot, level, seed)


#: Neighbours for density and coverage (Naeem et al. 2020 use k = 5).
DC_NEIGHBOURS = 5


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = DC_NEIGHBOURS) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020) of feature sets ``(N, d)``.

    Taught in chapter 04, §4.7 (Measuring quality), inside :func:`evaluate`; reused in chapter 05.

    Both use only balls around the *real* rows (radius: distance to the k-th
    nearest real neighbour), so outliers among the samples cannot inflate
    them. **Density**: the average number of real balls a sample falls in,
    divided by k (about 1 when samples are distributed like the real data;
    it is not capped at 1, and a few large balls around real outliers barely
    move it, unlike precision). **Coverage**: the share of real rows whose
    ball holds at least one sample (diversity, bounded by 1).

    >>> r = torch.randn(400, 2, generator=torch.Generator().manual_seed(0))
    >>> d, c = density_coverage(r, r)
    >>> d > 1.0, c
    (True, 1.0)
    """
    real, fake = _feature_sets(real, fake, k)
    if real.shape[0] <= k or fake.shape[0] < 1:
        raise ValueError(f"need more than k={k} real rows and at least one fake row")
    radius = _kth_radius(real, k)                                  # (N,)
    inside = torch.cdist(fake, real) <= radius[None, :]            # (M, N)
    density = inside.double().sum() / (k * fake.shape[0])
    coverage = inside.any(dim=0).double().mean()
    return float(density), float(coverage)


def format_metrics(m: dict) -> str:
    """The one-line summary the command line ends with.

    Taught in chapter 04, §4.7 (Measuring quality).

    >>> format_metrics({"fd": 1.0, "classes_covered": 10, "precision": 0.9, "recall": 0.8})
    'FD=1.000 coverage=10/10 precision=0.900 recall=0.800'
    """
    return (f"FD={m['fd']:.3f} coverage={m['classes_covered']}/{NUM_CLASSES} "
            f"precision={m['precision']:.3f} recall={m['recall']:.3f}")


def calibration(size: int = 32, n: int = 1000, seed: int = 0) -> list[dict]:
    """The metric on reference sets, to read a GAN's numbers against (rows of a table).

    Taught in chapter 04, §4.7 (Measuring quality).

    Rows: raw train digits (the floor of sampling alone), bicubic-upsampled
    train digits (the GAN's training data; the same :func:`reference_subset`
    as :func:`evaluate`'s ``fd_floor``, so the two agree exactly), uniform
    noise, a single class, half of the classes; all but noise drawn from the
    train split, ``n`` images each (with repeats when a set is smaller), at
    side ``size``. Columns: FD, FD against the round-tripped test digits,
    classes, precision, recall, density, coverage (k-NN).
    """
    g = torch.Generator().manual_seed(seed)
    x8, y = load_digits(split="train")
    x_up = resize_images(x8, size, mode="bicubic") if size != METRIC_SIZE else x8
    subset = reference_subset(n)

    def pick(mask):
        idx = torch.nonzero(mask).flatten()
        return idx[torch.randint(len(idx), (n,), generator=g)] if len(idx) < n else idx[torch.randperm(len(idx), generator=g)[:n]]

    if len(subset) < n:                                              # fewer digits than n: repeat
        subset = torch.cat([subset, subset[torch.randint(len(subset), (n - len(subset),), generator=g)]])
    sets = [
        ("train digits, 8×8", x8[subset]),
        (f"train digits, bicubic {size}×{size} (floor)", x_up[subset]),
        ("uniform noise", torch.rand(n, 1, size, size, generator=g)),
        ("one class (all 3s)", x_up[pick(y == 3)]),
        ("half the classes (0–4)", x_up[pick(y < 5)]),
    ]
    rows = []
    for name, images in sets:
        m = evaluate(images)
        rows.append({"reference set": name, "FD": round(m["fd"], 2),
                     "FD (round trip)": round(m["fd_roundtrip"], 2), "classes": m["classes_covered"],
                     "precision": round(m["precision"], 3), "recall": round(m["recall"], 3),
                     "density": round(m["density"], 3), "coverage": round(m["knn_coverage"], 3)})
    return rows


def mean_log_spectrum(images: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """Average log power spectrum ``(H, W)`` of a batch ``(N, 1, H, W)``, zero frequency at the centre.

    Taught in chapter 04, §4.11 (Transposed convolution against resize-convolution).

    Each image's mean is removed first; ``log10(mean |FFT|² + 1e-12)``,
    with the power divided by its total when ``normalize`` (so sets of very
    different contrast, such as an untrained generator's, share a scale).
    Checkerboard artifacts of transposed convolutions show as peaks at
    multiples of 1/4 and 1/2 of the sampling frequency (Odena et al. 2016;
    Durall et al. 2020).

    >>> mean_log_spectrum(torch.rand(4, 1, 16, 16)).shape
    torch.Size([16, 16])
    """
    power = fft_power(as_metric_images(images), remove_mean=True)        # (H, W), unshifted
    if normalize:
        power = power / power.sum().clamp_min(1e-30)
    return torch.log10(torch.fft.fftshift(power) + 1e-12).float()


def checkerboard_energy(images: torch.Tensor) -> float:
    """Share of the (mean-removed) power at the checkerboard frequencies of two ×2 upsamplings.

    Taught in chapter 04, §4.11 (Transposed convolution against resize-convolution); reused in
    chapter 05.

    The frequencies ``(u, v)`` with ``u, v ∈ {0, H/4, H/2, 3H/4}`` (not both
    0): where the uneven overlap of stride-2 transposed convolutions puts
    its periodic pattern. Smooth images have almost none there.

    >>> checker = ((torch.arange(16)[:, None] + torch.arange(16)[None]) % 2).float()
    >>> smooth = torch.linspace(0, 1, 16).expand(16, 16)
    >>> round(checkerboard_energy(checker.expand(4, 1, 16, 16)), 3), round(checkerboard_energy(smooth.expand(4, 1, 16, 16)), 3)
    (1.0, 0.059)
    """
    power = fft_power(as_metric_images(images), remove_mean=True)        # (H, W), unshifted
    h, w = power.shape
    rows = sorted({0, h // 4, h // 2, 3 * h // 4})
    cols = sorted({0, w // 4, w // 2, 3 * w // 4})
    peaks = power[rows][:, cols].sum() - power[0, 0]
    return float(peaks / power.sum().clamp_min(1e-30))
