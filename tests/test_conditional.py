"""Per-class metrics of a class-conditional generator."""

import pytest
import torch

from helpers.conditional import class_grid_labels, latent_label_balance, per_class_metrics
from helpers.data import load_digits



@pytest.mark.slow
def test_real_digits_have_perfect_labels_and_wrong_labels_are_caught():
    x, y = load_digits(size=16, split="train")
    rows = per_class_metrics(x[:400], y[:400])
    assert [r["class"] for r in rows] == list(range(10))
    assert min(r["label accuracy"] for r in rows) > 0.9
    shuffled = per_class_metrics(x[:400], (y[:400] + 1) % 10)     # every image asked for the wrong class
    assert max(r["label accuracy"] for r in shuffled) < 0.1
    assert sum(r["FD (class)"] for r in shuffled) > 2 * sum(r["FD (class)"] for r in rows)


def test_labels_and_errors():
    assert class_grid_labels(2, 3).tolist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match="shape"):
        per_class_metrics(torch.rand(4, 1, 8, 8), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="at least 2"):
        per_class_metrics(torch.rand(4, 1, 8, 8), torch.zeros(4, dtype=torch.long))


def test_latent_label_balance_measures_who_drives_the_first_layer():
    from helpers.models import Generator

    torch.manual_seed(0)
    G = Generator(latent_dim=8, width=4, size=16, num_classes=4).eval()
    with torch.no_grad():
        G.embed.weight.mul_(100.0)                 # a label embedding that drowns z
    loud = latent_label_balance(G, per_class=32)
    with torch.no_grad():
        G.embed.weight.zero_()                     # no label at all: only z varies
    silent = latent_label_balance(G, per_class=32)
    assert loud["norm ratio"] > 50 and loud["z share"] < 0.05
    assert silent["norm ratio"] == 0.0 and silent["z share"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not class-conditional"):
        latent_label_balance(Generator(latent_dim=8, width=4, size=16))
    with pytest.raises(ValueError, match="per_class"):
        latent_label_balance(G, per_class=1)
