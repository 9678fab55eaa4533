"""helpers.metrics: the Fréchet distance, precision/recall, coverage, and their calibration."""
import numpy as np
import pytest
import torch

from helpers.data import load_digits, resize_images
from helpers.metrics import (class_coverage, classify, evaluate, format_metrics, frechet_distance,
                             get_classifier, knn_precision_recall, to_metric_size)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_frechet_distance_of_gaussians_matches_the_closed_form():
    # N(0, I) vs N(m, s² I) in d dimensions: |m|² + d (1 − s)²
    d, n = 4, 20000
    a = torch.randn(n, d, generator=gen(0), dtype=torch.float64)
    b = 2.0 * torch.randn(n, d, generator=gen(1), dtype=torch.float64) + 1.0
    assert frechet_distance(a, b) == pytest.approx(d * 1.0 + d * (1 - 2) ** 2, rel=0.05)


def test_frechet_distance_against_scipy_sqrtm():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    a = torch.randn(300, 6, generator=gen(2), dtype=torch.float64) @ torch.randn(6, 6, generator=gen(3),
                                                                                  dtype=torch.float64)
    b = torch.randn(200, 6, generator=gen(4), dtype=torch.float64) + 0.5
    ca, cb = np.cov(a.numpy(), rowvar=False), np.cov(b.numpy(), rowvar=False)
    covmean = scipy_linalg.sqrtm(ca @ cb).real
    expected = ((a.mean(0) - b.mean(0)) ** 2).sum().item() + np.trace(ca + cb - 2 * covmean)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_is_zero_for_identical_sets_and_symmetric():
    a = torch.randn(100, 5, generator=gen(0))
    b = torch.randn(80, 5, generator=gen(1)) * 1.5
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-6)
    with pytest.raises(ValueError, match="features must be"):
        frechet_distance(a, torch.randn(10, 4))


def test_precision_recall_k3():
    real = torch.randn(300, 2, generator=gen(0))
    far = real + 100.0
    assert knn_precision_recall(real, far) == (0.0, 0.0)
    # a collapsed generator: every sample near one real point -> precise but no recall
    collapsed = real[:1].repeat(300, 1) + 0.001 * torch.randn(300, 2, generator=gen(1))
    p, r = knn_precision_recall(real, collapsed)
    assert p == 1.0 and r < 0.05
    with pytest.raises(ValueError, match="more than k"):
        knn_precision_recall(real[:3], real[:3])


def test_precision_recall_by_hand():
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0], [10.0]])
    # 3rd-neighbour radii of real: 0→3, 1→2, 2→2, 3→3, 10→9; so 19 lies within 9 of 10, 20 does not
    fake = torch.tensor([[19.0], [20.0], [0.5], [1.5], [2.5]])
    p, _ = knn_precision_recall(real, fake, k=3)
    assert p == pytest.approx(4 / 5)


def test_class_coverage_threshold():
    labels = torch.tensor([0] * 90 + [1] * 5 + [2] * 4 + [3])
    covered, fractions = class_coverage(labels)
    assert covered == 2                        # 0 and 1 (5 % exactly counts); 2 has 4 %
    assert fractions.sum().item() == pytest.approx(1.0)


def test_classifier_is_accurate_and_deterministic():
    model, accuracy = get_classifier()
    assert accuracy > 0.95
    x, _ = load_digits(split="test")
    f1, y1 = classify(x[:50])
    f2, y2 = classify(x[:50])
    assert torch.equal(f1, f2) and torch.equal(y1, y2) and f1.shape == (50, 64)


def test_to_metric_size_area_downsamples():
    x = torch.zeros(2, 1, 32, 32)
    x[..., :4, :4] = 1.0                       # one 4×4 block → one pixel
    small = to_metric_size(x)
    assert small.shape == (2, 1, 8, 8) and small[0, 0, 0, 0] == 1.0 and small[0].sum() == 1.0


@pytest.mark.slow
def test_evaluate_calibration_orders_reference_sets():
    x, y = load_digits(split="train")
    up = resize_images(x, 32)
    real = evaluate(up[torch.randperm(len(up), generator=gen(0))[:1000]])  # (the data are ordered by writer)
    one_class = evaluate(up[y == 3])
    noise = evaluate(torch.rand(500, 1, 32, 32, generator=gen(0)))
    assert real["classes_covered"] == 10 and real["precision"] > 0.85 and real["recall"] > 0.6
    assert real["fd"] < 1.5 * real["fd_floor"]
    assert one_class["classes_covered"] == 1 and one_class["recall"] < 0.1
    assert noise["fd"] > 20 * real["fd"]
    assert real["fd_train"] < real["fd"]                              # upsampling costs something
    line = format_metrics(real)
    assert line.startswith("FD=") and "coverage=10/10" in line


def test_evaluate_rejects_bad_images():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        evaluate(torch.full((10, 1, 8, 8), 2.0))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        evaluate(torch.rand(10, 3, 8, 8))
    with pytest.raises(TypeError):
        evaluate(np.zeros((10, 1, 8, 8)))


# ----------------------------------------------------------------------------- issue 11 additions

def test_density_and_coverage_reward_real_like_samples_and_punish_outliers():
    from helpers.metrics import density_coverage

    g = torch.Generator().manual_seed(0)
    real = torch.randn(500, 4, generator=g, dtype=torch.float64)
    same = torch.randn(500, 4, generator=g, dtype=torch.float64)
    density, coverage = density_coverage(real, same)
    assert 0.8 < density < 1.2 and coverage > 0.9
    one_spot = real[:1].repeat(500, 1) + 0.01 * torch.randn(500, 4, generator=g, dtype=torch.float64)
    assert density_coverage(real, one_spot)[1] < 0.05                 # collapse: coverage collapses
    far = same + 50.0
    assert density_coverage(real, far) == (0.0, 0.0)
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        density_coverage(real, same, k=0)
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        density_coverage(real, same[:, :2])


def test_fd_bootstrap_interval_contains_the_estimate_and_shrinks_with_more_data():
    from helpers.metrics import fd_bootstrap

    g = torch.Generator().manual_seed(1)
    small = fd_bootstrap(torch.randn(100, 3, generator=g), torch.randn(100, 3, generator=g) + 1, n_boot=60)
    big = fd_bootstrap(torch.randn(2000, 3, generator=g), torch.randn(2000, 3, generator=g) + 1, n_boot=60)
    for r in (small, big):
        assert r["low"] <= r["fd"] <= r["high"]
    assert small["bias"] > 0 and abs(big["bias"]) < 0.1          # duplicates bias a small set upwards
    assert big["high"] - big["low"] < 0.5 * (small["high"] - small["low"])
    assert abs(big["fd"] - 3.0) < 0.3                                   # true FD: |μ|² = 3
    before = torch.get_rng_state()
    fd_bootstrap(torch.randn(50, 2, generator=g), torch.randn(50, 2, generator=g), n_boot=10)
    assert torch.equal(before, torch.get_rng_state())
    with pytest.raises(ValueError, match="n_boot"):
        fd_bootstrap(torch.zeros(5, 2), torch.zeros(5, 2), n_boot=3)


@pytest.mark.slow
def test_evaluate_reports_the_round_trip_and_one_floor_for_calibration_and_evaluate():
    from helpers.data import load_digits, resize_images
    from helpers.metrics import calibration, evaluate, reference_subset

    x8, _ = load_digits(split="train")
    up = resize_images(x8[reference_subset(1000)], 32, mode="bicubic")
    m = evaluate(up)
    assert abs(m["fd"] - m["fd_floor"]) < 1e-9                        # the floor set itself
    assert m["fd_floor_roundtrip"] < 0.5 * m["fd_floor"]                # the round trip is most of the floor
    assert {"density", "knn_coverage", "fd_roundtrip"} <= set(m)
    rows = {r["reference set"]: r for r in calibration(size=32, n=1000)}
    assert rows["train digits, bicubic 32×32 (floor)"]["FD"] == round(m["fd_floor"], 2)
    noise = rows["uniform noise"]
    assert noise["coverage"] < 0.05 and noise["FD"] > 100
