"""helpers.data.load_mnist on tiny IDX files the test writes itself (no network)."""
import gzip
import struct

import pytest
import torch

from helpers.data import MNIST_FILES, CorruptDatasetError, DatasetUnavailableError, check_idx_file, load_mnist

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


# ----------------------------------------------------------------------------- damaged files (issue 13, item 9)

def damage(root, file, data, folder="MNIST"):
    (root / folder / "raw" / file).write_bytes(data)


def corrupt_error(root, name="mnist", split="train"):
    with pytest.raises(CorruptDatasetError) as info:
        load_mnist(name, split=split, root=root, download=False)
    message = str(info.value)
    assert "\n" not in message, message                     # the CLI prints it as one line
    assert "download failed" not in message, message        # the files are there: say the truth
    return message


def test_four_garbage_files_name_the_bad_file_and_why(tiny_root):
    g = torch.Generator().manual_seed(1)
    for file in MNIST_FILES:
        damage(tiny_root, file, torch.randint(0, 256, (3000,), generator=g, dtype=torch.uint8).numpy().tobytes())
    message = corrupt_error(tiny_root)
    raw = tiny_root / "MNIST" / "raw"
    assert message.startswith(f"{raw / 'train-images-idx3-ubyte'} is damaged: its magic number is 0x")
    assert "not 0x00000803 as in an IDX images file; it is not an IDX file" in message
    assert "delete it and run again to download it afresh" in message
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in message


def test_a_gzipped_file_under_the_uncompressed_name(tiny_root):
    path = tiny_root / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    path.write_bytes(gzip.compress(path.read_bytes()))
    message = corrupt_error(tiny_root)
    assert "train-labels-idx1-ubyte is damaged: it is gzip-compressed" in message
    assert "rename it to train-labels-idx1-ubyte.gz and run gunzip" in message


def test_a_saved_error_page(tiny_root):
    damage(tiny_root, "train-images-idx3-ubyte", b"<!DOCTYPE html><html><body>403 Forbidden</body></html>")
    assert "it is a web page (HTML)" in corrupt_error(tiny_root)


def test_swapped_files(tiny_root):
    raw = tiny_root / "MNIST" / "raw"
    damage(tiny_root, "train-images-idx3-ubyte", (raw / "train-labels-idx1-ubyte").read_bytes())
    assert "its magic number is 0x00000801, not 0x00000803" in corrupt_error(tiny_root)
    assert "it holds labels, not images (two files swapped?)" in corrupt_error(tiny_root)


def test_truncated_and_overlong_files(tiny_root):
    path = tiny_root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    whole = path.read_bytes()                                  # 16 + 6 * 784 bytes
    path.write_bytes(whole[:-100])
    message = corrupt_error(tiny_root)
    assert f"it has {len(whole) - 100:,} bytes, but its header promises 6 images, which take " \
           f"{len(whole):,} bytes" in message
    assert "(the real file has 60,000 images: 47,040,016 bytes)" in message and "truncated" in message
    path.write_bytes(whole + b"\0")
    assert "the file has bytes after the data" in corrupt_error(tiny_root)
    path.write_bytes(whole[:10])
    assert "too few for the header of an IDX images file" in corrupt_error(tiny_root)
    path.write_bytes(b"")
    assert "it has only 0 bytes, too few for an IDX header" in corrupt_error(tiny_root)


def test_wrong_image_size_bad_labels_and_mismatched_counts(tiny_root):
    raw = tiny_root / "MNIST" / "raw"
    write_idx(raw / "train-images-idx3-ubyte", torch.zeros(6, 32, 32))
    assert "its header says 32x32 images, but MNIST images are 28x28" in corrupt_error(tiny_root)
    write_idx(raw / "train-images-idx3-ubyte", torch.zeros(6, 28, 28))
    write_idx(raw / "train-labels-idx1-ubyte", torch.tensor([0, 1, 2, 12, 4, 5]))
    assert "it holds the label 12, but the labels are 0-9" in corrupt_error(tiny_root)
    write_idx(raw / "train-labels-idx1-ubyte", torch.arange(5))
    message = corrupt_error(tiny_root)
    assert "holds 6 images in train-images-idx3-ubyte but 5 labels in train-labels-idx1-ubyte" in message
    assert "delete both" in message


def test_only_the_asked_split_is_read_and_fashion_names_its_mirror(tiny_root):
    damage(tiny_root, "train-images-idx3-ubyte", b"garbage!" * 4, folder="FashionMNIST")
    x, y = load_mnist("fashion-mnist", split="test", root=tiny_root, download=False)  # t10k is fine
    assert x.shape == (4, 1, 28, 28) and y.tolist() == [0, 1, 2, 3]
    message = corrupt_error(tiny_root, "fashion-mnist", "train")
    assert "FashionMNIST" in message and "fashion-mnist" in message      # its folder and its mirror


def test_missing_files_say_which_and_a_damaged_download_is_named(tiny_root):
    raw = tiny_root / "MNIST" / "raw"
    (raw / "t10k-images-idx3-ubyte").unlink()
    (raw / "t10k-labels-idx1-ubyte").unlink()
    (raw / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"x" * 5000)[:-20])   # cut short
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DatasetUnavailableError) as info:
        load_mnist("mnist", split="train", root=tiny_root, download=False)
    message = str(info.value)
    assert not isinstance(info.value, CorruptDatasetError)
    assert "2 of the four files (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) are not in" in message
    assert f"{raw / 't10k-images-idx3-ubyte.gz'} is a damaged gzip file (EOFError" in message
    assert f"{raw / 't10k-labels-idx1-ubyte.gz'} is a damaged gzip file (BadGzipFile" in message
    assert "place the four uncompressed IDX files" in message


def test_check_idx_file_counts_a_valid_file_and_rejects_a_bad_kind(tiny_root):
    raw = tiny_root / "MNIST" / "raw"
    assert check_idx_file(raw / "train-images-idx3-ubyte", "images") == 6
    assert check_idx_file(raw / "t10k-labels-idx1-ubyte", "labels") == 4
    with pytest.raises(ValueError, match="kind must be 'images' or 'labels'"):
        check_idx_file(raw / "t10k-labels-idx1-ubyte", "pixels")
