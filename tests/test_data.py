import pytest
import torch

from helpers.data import (SAMPLE_IMAGES, digits_split_indices, load_digits, load_sample_image,
                          resize_images)


def test_digits_shapes_range_and_labels():
    x, y = load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == torch.float32
    assert y.shape == (1797,) and y.dtype == torch.int64
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    assert set(y.tolist()) == set(range(10))


@pytest.mark.parametrize("size", [16, 32])
def test_digits_resized(size):
    x, _ = load_digits(size=size, split="test")
    assert x.shape == (450, 1, size, size)
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    # the upsampled image, averaged back down, is close to the original
    small, _ = load_digits(size=8, split="test")
    back = resize_images(x, 8, mode="area")
    assert float((back - small).abs().mean()) < 0.05


def test_split_is_stratified_disjoint_and_deterministic():
    train, test = digits_split_indices()
    assert len(train) == 1347 and len(test) == 450
    assert not set(train) & set(test)
    again = digits_split_indices()
    assert (again[0] == train).all() and (again[1] == test).all()
    _, y_train = load_digits(split="train")
    _, y_test = load_digits(split="test")
    # stratified: every class holds the same share (±1 image) in both parts
    for c in range(10):
        share = (y_test == c).sum().item() / ((y_train == c).sum().item() + (y_test == c).sum().item())
        assert abs(share - 0.25) < 0.02


def test_digits_bad_arguments():
    with pytest.raises(ValueError, match="split must be one of"):
        load_digits(split="validation")
    with pytest.raises(ValueError, match=r"size must be >= 1, got 0 \(pixels\)"):
        load_digits(size=0)
    with pytest.raises(TypeError, match="int"):
        load_digits(size=16.0)


def test_sample_image_gray_and_colour():
    cam = load_sample_image("camera")
    assert cam.shape == (1, 512, 512) and 0 <= float(cam.min()) and float(cam.max()) <= 1
    astro = load_sample_image("astronaut", size=64, gray=False)
    assert astro.shape == (3, 64, 64)
    gray_astro = load_sample_image("astronaut", size=64)
    assert gray_astro.shape == (1, 64, 64)
    # luma is a weighted mean of the channels, so it stays between their min and max
    assert torch.all(gray_astro[0] <= astro.max(0).values + 0.02)


@pytest.mark.parametrize("name", SAMPLE_IMAGES)
def test_every_listed_sample_image_loads_offline(name):
    image = load_sample_image(name, size=16)
    assert image.shape == (1, 16, 16)


def test_sample_image_bad_name():
    with pytest.raises(ValueError, match="unknown sample image 'lena'"):
        load_sample_image("lena")


def test_resize_errors_name_the_fix():
    with pytest.raises(ValueError, match="4-D"):
        resize_images(torch.rand(8, 8), 16)
    with pytest.raises(ValueError, match="mode"):
        resize_images(torch.rand(1, 1, 8, 8), 16, mode="lanczos")
    with pytest.raises(TypeError, match="torch.Tensor"):
        resize_images([[0.0]], 16)
