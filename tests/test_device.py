import os
import random
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.device import (DEVICE_ENV_VAR, WAIT_POLICY, configure_threads, cpu_threads, get_device,
                            set_seed)


def _machine(monkeypatch, cuda, mps):
    """Pretend this machine has (or lacks) a CUDA GPU and Apple's MPS backend."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda"), (True, False, "cuda"),
                                                  (False, True, "mps"), (False, False, "cpu")])
def test_default_is_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    _machine(monkeypatch, cuda, mps)
    assert get_device() == torch.device(expected)


def test_a_named_device_is_checked_against_the_machine(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    _machine(monkeypatch, cuda=False, mps=False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        get_device("cuda")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        get_device("cuda:1")
    with pytest.raises(ValueError, match="Apple GPU backend is not available"):
        get_device("mps")
    monkeypatch.setenv(DEVICE_ENV_VAR, "cuda")
    with pytest.raises(ValueError, match="environment variable BOOK_DEVICE asks for 'cuda'"):
        get_device()
    _machine(monkeypatch, cuda=True, mps=True)
    assert get_device() == torch.device("cuda")
    assert get_device("cuda:1") == torch.device("cuda", 1)
    assert get_device("mps") == torch.device("mps")
    assert get_device("cpu") == torch.device("cpu")     # the CPU is always there


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


def test_configure_threads_sets_the_count_and_keeps_a_chosen_wait_policy(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")   # the user's choice wins
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            configure_threads(2)
            assert torch.get_num_threads() == 2
            configure_threads(None)                     # None keeps the count
            assert torch.get_num_threads() == 2
        assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
        # torch is loaded in this process, so a policy set now cannot take effect: say so
        monkeypatch.delenv("OMP_WAIT_POLICY")
        with pytest.warns(RuntimeWarning, match="before importing torch"):
            configure_threads(1)
        assert torch.get_num_threads() == 1
        assert os.environ["OMP_WAIT_POLICY"] == WAIT_POLICY == "PASSIVE"
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_configure_threads_rejects_a_bad_count(bad):
    with pytest.raises(ValueError, match="positive whole number of threads"):
        configure_threads(bad)


def test_cpu_threads_restores_the_count_even_after_an_error():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with cpu_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(KeyError), cpu_threads(1):
            raise KeyError("inside")
        assert torch.get_num_threads() == 2
        with pytest.raises(ValueError, match="positive whole number of threads, got None"):
            with cpu_threads(None):
                pass
    finally:
        torch.set_num_threads(before)


FAKE_TORCH = """
import os
WAIT_POLICY_AT_IMPORT = os.environ.get("OMP_WAIT_POLICY")   # what OpenMP would read now
_threads = [4]
def set_num_threads(n): _threads[0] = n
def get_num_threads(): return _threads[0]
"""


def test_configure_threads_sets_the_wait_policy_before_torch_is_imported(tmp_path):
    """The order the wait policy needs, in a fresh process: importing helpers.device does not
    load torch, and configure_threads sets OMP_WAIT_POLICY before its own ``import torch``.
    A stand-in torch module records the variable at import time (and saves the real torch's
    two-second start-up; test_configure_threads_sets_the_count... uses the real one)."""
    (tmp_path / "torch.py").write_text(FAKE_TORCH)
    code = ("import os, sys, warnings; warnings.simplefilter('error')\n"
            "from helpers.device import configure_threads\n"
            "assert 'torch' not in sys.modules, 'importing helpers.device loaded torch'\n"
            "configure_threads()\n"
            "import torch\n"
            "assert torch.__file__.startswith(sys.argv[1]), torch.__file__\n"
            "print(torch.WAIT_POLICY_AT_IMPORT, torch.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(root)])
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["PASSIVE", "1"]
