import random

import numpy as np
import pytest
import torch

from helpers.device import DEVICE_ENV_VAR, get_device, set_seed


def test_default_is_best_available(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert get_device().type == expected


def test_override_argument_and_env(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")


def test_argument_beats_environment(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV_VAR, "not-a-device")
    assert get_device("cpu").type == "cpu"


def test_bad_names_are_explained(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    with pytest.raises(ValueError, match="not a device name"):
        get_device("gpu please")
    monkeypatch.setenv(DEVICE_ENV_VAR, "tpu")
    with pytest.raises(ValueError, match="BOOK_DEVICE"):
        get_device()
    with pytest.raises(TypeError, match="string"):
        get_device(3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_unavailable_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="no CUDA GPU"):
        get_device("cuda")


def test_set_seed_repeats_every_generator():
    set_seed(123)
    a = (random.random(), np.random.rand(), torch.rand(3))
    set_seed(123)
    b = (random.random(), np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
    set_seed(124)
    assert not torch.equal(torch.rand(3), a[2])
    assert torch.backends.cudnn.deterministic is True


def test_set_seed_rejects_bad_seeds():
    with pytest.raises(TypeError, match="int"):
        set_seed(1.5)
    with pytest.raises(ValueError, match="2\\*\\*32"):
        set_seed(-1)
