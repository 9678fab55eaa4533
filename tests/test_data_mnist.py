"""helpers.data.load_mnist on tiny IDX files the test writes itself (no network)."""
import struct

import pytest
import torch

from helpers.data import MNIST_FILES, DatasetUnavailableError, load_mnist

pytest.importorskip("torchvision")


def write_idx(path, array):
    """Write an uint8 IDX file (big-endian header: magic 0x0000080N, then the N dimensions)."""
    array = array.to(torch.uint8)
    header = struct.pack(">I", 0x0800 + array.dim()) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.numpy().tobytes())


@pytest.fixture
def tiny_root(tmp_path):
    g = torch.Generator().manual_seed(0)
    for folder in ("MNIST", "FashionMNIST"):
        raw = tmp_path / folder / "raw"
        raw.mkdir(parents=True)
        for prefix, n in (("train", 6), ("t10k", 4)):
            images = torch.randint(0, 256, (n, 28, 28), generator=g)
            images[0] = 0
            images[0, 10:18, 10:18] = 255
            write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
            write_idx(raw / f"{prefix}-labels-idx1-ubyte", torch.arange(n) % 10)
    assert sorted(p.name for p in (tmp_path / "MNIST" / "raw").iterdir()) == sorted(MNIST_FILES)
    return tmp_path


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_load_mnist_reads_present_files_offline(tiny_root, name):
    x, y = load_mnist(name, split="train", root=tiny_root, download=False)
    assert x.shape == (6, 1, 28, 28) and x.dtype == torch.float32
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    assert x[0, 0, 12, 12] == 1.0 and x[0, 0, 0, 0] == 0.0
    assert y.tolist() == [0, 1, 2, 3, 4, 5]
    x_test, y_test = load_mnist(name, split="test", root=tiny_root, download=True)  # present: no download
    assert x_test.shape == (4, 1, 28, 28) and y_test.tolist() == [0, 1, 2, 3]


def test_load_mnist_resizes(tiny_root):
    x, _ = load_mnist("mnist", size=32, root=tiny_root, download=False)
    assert x.shape == (6, 1, 32, 32) and float(x.min()) >= 0 and float(x.max()) <= 1


def test_missing_files_give_one_clear_sentence(tmp_path):
    with pytest.raises(DatasetUnavailableError) as info:
        load_mnist("mnist", root=tmp_path, download=False)
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "MNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message and "by hand" in message


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown dataset"):
        load_mnist("cifar")
    with pytest.raises(ValueError, match="split"):
        load_mnist("mnist", split="val")
