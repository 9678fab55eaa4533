"""Class-conditional samples and the book's metric per class (chapter 05, section 1).

The class-conditional GAN itself needs no new code: the chapter-04 models
take ``num_classes`` (a label embedding added to ``z`` in the generator, a
projection discriminator) and :mod:`helpers.gan` trains them. What is new
is asking for a class and checking that the answer is right:

* :func:`class_grid_labels` — labels for a grid with one row per class;
* :func:`per_class_metrics` — for each class, how often the digit classifier
  of :mod:`helpers.metrics` reads the requested class (*label accuracy*), the
  Fréchet distance to the test digits *of that class*, and the same distance
  for real training digits of that class (the floor, at the same sample
  count, because the Fréchet distance is biased upwards for few samples).

>>> from helpers.conditional import class_grid_labels
>>> class_grid_labels(per_class=3, num_classes=4).tolist()
[0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
"""

from __future__ import annotations

import torch

from helpers.checks import check_int, check_positive_int
from helpers.data import load_digits, resize_images


def class_grid_labels(per_class: int, num_classes: int = 10) -> torch.Tensor:
    """``per_class`` copies of each label, class by class: ``(per_class · num_classes,)`` int64.

    Taught in chapter 05, §5.1 (Control).
    """
    check_positive_int(per_class, "per_class")
    check_positive_int(num_classes, "num_classes")
    return torch.arange(num_classes).repeat_interleave(per_class)


def per_class_metrics(images: torch.Tensor, labels: torch.Tensor, num_classes: int = 10,
                      seed: int = 0) -> list[dict]:
    """One row per class: ``class``, ``n``, ``label accuracy``, ``FD (class)``, ``FD floor (class)``.

    Taught in chapter 05, §5.1 (Control).

    ``images`` are samples ``(N, 1, H, W)`` in [0, 1] generated for the
    requested ``labels`` ``(N,)``. Distances use the features of
    :func:`helpers.metrics.classify` and :func:`helpers.metrics.frechet_distance`.
    The floor compares the same number of training digits of the class
    (bicubic-resized to ``H``, like the GAN's training data) with the test
    digits of the class.

    >>> x, y = load_digits(size=16, split="train")
    >>> rows = per_class_metrics(x[:300], y[:300])
    >>> len(rows), rows[0]["label accuracy"] > 0.9
    (10, True)
    """
    from helpers.metrics import classify, frechet_distance

    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels must have shape ({images.shape[0]},), got {tuple(labels.shape)}")
    size = images.shape[-1]
    feats, predicted = classify(images)
    x_test, y_test = load_digits(split="test")
    f_test, _ = classify(x_test)
    x_train, y_train = load_digits(split="train")
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for c in range(num_classes):
        mine = labels == c
        n = int(mine.sum())
        if n < 2:
            raise ValueError(f"class {c} has {n} samples; need at least 2 per class")
        real_c = x_train[y_train == c]
        pick = torch.randperm(real_c.shape[0], generator=gen)[: min(n, real_c.shape[0])]
        real_c = real_c[pick]
        if size != real_c.shape[-1]:
            real_c = resize_images(real_c, size, mode="bicubic")
        f_real, _ = classify(real_c)
        rows.append({
            "class": c,
            "n": n,
            "label accuracy": round(float((predicted[mine] == c).double().mean()), 3),
            "FD (class)": round(frechet_distance(feats[mine], f_test[y_test == c]), 2),
            "FD floor (class)": round(frechet_distance(f_real, f_test[y_test == c]), 2),
        })
    return rows


@torch.no_grad()
def latent_label_balance(generator: torch.nn.Module, per_class: int = 64, seed: int = 0) -> dict:
    """How much a conditional generator's first layer listens to ``z`` and how much to ``y``.

    Taught in chapter 05, §5.1 (Control).

    The chapter-04 generator adds a label embedding to the latent vector,
    ``G(z + e(y))``. Returns a dict with

    * ``norm ratio``: mean ``‖e(y)‖`` over the classes divided by the mean
      ``‖z‖`` of ``z ~ N(0, I)`` (about ``√latent_dim``);
    * ``z share``: of the variation of the first layer's output (``stem``,
      the 4×4 map) over a grid of ``per_class`` latent vectors × all
      labels, the share that changing ``z`` causes, ``var_z / (var_z + var_y)``
      (0: the label alone decides; 1: the label is ignored).

    >>> from helpers.models import Generator
    >>> G = Generator(latent_dim=8, width=4, size=16, num_classes=3)
    >>> b = latent_label_balance(G.eval(), per_class=16)
    >>> sorted(b), 0.0 < b["z share"] < 1.0
    (['norm ratio', 'z share'], True)
    """
    embed = getattr(generator, "embed", None)
    if embed is None:
        raise ValueError("the generator is not class-conditional (it has no label embedding `embed`)")
    check_int(per_class, "per_class", 2)
    device = embed.weight.device
    k, d = embed.weight.shape
    z = torch.randn(per_class, d, generator=torch.Generator().manual_seed(seed)).to(device)
    e = embed.weight                                                  # (K, d)
    grid = (z[:, None, :] + e[None, :, :]).reshape(-1, d)             # (per_class·K, d): z_i + e(c)
    h = generator.stem(grid[:, :, None, None]).reshape(per_class, k, -1).double()  # (per_class, K, features)
    var_z = float(h.var(dim=0).sum(dim=-1).mean())                    # over z, label fixed
    var_y = float(h.var(dim=1).sum(dim=-1).mean())                    # over labels, z fixed
    return {"norm ratio": float(e.norm(dim=1).mean() / z.norm(dim=1).mean()),
            "z share": var_z / (var_z + var_y)}
