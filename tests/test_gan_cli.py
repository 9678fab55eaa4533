"""The command line of helpers.gan (``python -m helpers.gan``): train, sample, evaluate, bad input.

Most cases call :func:`helpers.gan.cli.main` in this process (a fresh interpreter costs
about two seconds of ``import torch`` each, and five with the first optimizer and the
digits). One test starts the real program, ``python -m helpers.gan train``, and stops it
with a real SIGINT, as ctrl-c does: end to end, it checks the exit status, that stderr
holds only the progress bar and the one message, and the checkpoint the message names.
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers.gan import load_checkpoint
from helpers.gan.cli import main

ROOT = Path(__file__).resolve().parents[1]
COMMON = ("--dataset", "digits", "--size", "32", "--recipe", "fast", "--seed", "0", "--no-eval",
          "--no-progress")


def run_main(capsys, *args):
    """``main([...])`` in this process: (exit status, stdout, stderr); argparse's exits included."""
    capsys.readouterr()  # drop what earlier calls printed
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse ends usage errors (and --help) with sys.exit
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err):
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(autouse=True)
def _cpu(monkeypatch):
    monkeypatch.setenv("BOOK_DEVICE", "cpu")


@pytest.fixture(scope="module")
def trained_cli(tmp_path_factory):
    """A short CLI run (train 8 steps, then sample 64); shared by the CLI tests."""
    out = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOOK_DEVICE", "cpu")
        assert main(["train", *COMMON, "--steps", "8", "--out", str(out / "run")]) == 0
        assert main(["sample", "--checkpoint", str(out / "run" / "checkpoint.pt"), "-n", "64",
                     "--seed", "0", "--out", str(out / "samples.pt")]) == 0
    return out


def test_cli_train_sample_evaluate(trained_cli, capsys):
    x = torch.load(trained_cli / "samples.pt", weights_only=True)
    assert x.shape == (64, 1, 32, 32) and float(x.min()) >= 0 and float(x.max()) <= 1
    code, out, err = run_main(capsys, "evaluate", trained_cli / "samples.pt")
    assert code == 0, err
    last = out.strip().splitlines()[-1]
    assert last.startswith("FD=") and " coverage=" in last and " precision=" in last and " recall=" in last


def test_cli_sample_is_reproducible_and_ema_differs_from_raw(trained_cli, tmp_path):
    ckpt = trained_cli / "run" / "checkpoint.pt"
    args = ["sample", "--checkpoint", str(ckpt), "-n", "8", "--seed", "3"]
    assert main([*args, "--out", str(tmp_path / "a.pt")]) == 0
    assert main([*args, "--out", str(tmp_path / "b.pt")]) == 0
    assert main([*args, "--no-ema", "--out", str(tmp_path / "raw.pt")]) == 0
    a, b, raw = (torch.load(tmp_path / f"{n}.pt", weights_only=True) for n in ("a", "b", "raw"))
    assert torch.equal(a, b)
    assert not torch.equal(a, raw)


@pytest.mark.slow
def test_cli_resume_matches_one_go(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["train", *COMMON, "--steps", "8", "--out", str(a)]) == 0
    assert main(["train", *COMMON, "--steps", "3", "--out", str(b)]) == 0
    assert main(["train", *COMMON, "--steps", "8", "--out", str(b), "--resume"]) == 0   # --steps: the total
    ka = torch.load(a / "checkpoint.pt", weights_only=True)
    kb = torch.load(b / "checkpoint.pt", weights_only=True)
    assert ka["step"] == kb["step"] == 8
    for part in ("generator", "ema_generator", "discriminator"):
        assert all(torch.equal(ka[part][k], kb[part][k]) for k in ka[part]), part


def _bad_cases(ckpt, tmp_path):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(ckpt.read_bytes()[:1000])
    not_samples = tmp_path / "not_samples.pt"
    torch.save({"a": 1}, not_samples)
    wrong_shape = tmp_path / "wrong_shape.pt"
    torch.save(torch.rand(5, 32, 32), wrong_shape)
    few = tmp_path / "few.pt"
    torch.save(torch.rand(5, 1, 32, 32), few)
    s = tmp_path / "s.pt"
    return {
        "no checkpoint": (("sample", "--checkpoint", tmp_path / "nope.pt", "-n", 5, "--out", s),
                          "no checkpoint"),
        "corrupt": (("sample", "--checkpoint", corrupt, "-n", 5, "--out", s), "not a readable checkpoint"),
        "other size": (("sample", "--checkpoint", ckpt, "-n", 5, "--size", 16, "--out", s), "not --size 16"),
        "sample into a folder": (("sample", "--checkpoint", ckpt, "-n", 5, "--out", tmp_path),
                                 "is a folder"),
        "resume other size": (("train", "--size", 16, "--steps", 5, "--out", ckpt.parent, "--resume"),
                              "size=32 (asked 16)"),
        "resume missing": (("train", "--steps", 5, "--out", tmp_path / "empty", "--resume"), "no checkpoint"),
        "exists": (("train", "--steps", 5, "--out", ckpt.parent), "already exists"),
        "out is a file": (("train", "--steps", 5, "--out", few), "is a file"),
        "unknown dataset": (("train", "--dataset", "cifar", "--out", tmp_path / "x"), "invalid choice"),
        "n zero": (("sample", "--checkpoint", ckpt, "-n", 0, "--out", s), "at least 1"),
        "n not a number": (("sample", "--checkpoint", ckpt, "-n", "many", "--out", s),
                           "positive whole number"),
        "steps and seconds": (("train", "--steps", 5, "--seconds", 3, "--out", tmp_path / "x"),
                              "not allowed with"),
        "bad size": (("train", "--size", 28, "--out", tmp_path / "x"), "invalid choice"),
        "negative seconds": (("train", "--seconds", "-1", "--out", tmp_path / "x"), "seconds"),
        "seed out of range": (("train", "--seed", 2**32, "--out", tmp_path / "x"), "2**32"),
        "no command": ((), "required"),
        "evaluate missing": (("evaluate", tmp_path / "none.pt"), "no samples file"),
        "evaluate corrupt": (("evaluate", corrupt), "not a readable"),
        "evaluate not a tensor": (("evaluate", not_samples), "not a tensor"),
        "evaluate wrong shape": (("evaluate", wrong_shape), "expected (N, 1, H, W)"),
        "evaluate too few": (("evaluate", few), "at least 10"),
        "evaluate a checkpoint": (("evaluate", ckpt), "not a tensor"),
        "bad device": (("sample", "--checkpoint", ckpt, "-n", 5, "--device", "tpu", "--out", s),
                       "not a device name"),
    }


def test_cli_bad_input_exits_2_with_one_line(trained_cli, tmp_path, capsys):
    ckpt = trained_cli / "run" / "checkpoint.pt"
    before = ckpt.read_bytes()
    for name, (args, expected) in _bad_cases(ckpt, tmp_path).items():
        code, out, err = run_main(capsys, *args)
        line = one_line_error(code, err)
        assert expected in line, f"{name}: {line}"
        assert line.startswith("python -m helpers.gan"), f"{name}: {line}"
    assert not (tmp_path / "s.pt").exists()
    assert not (tmp_path / "x").exists() and not (tmp_path / "empty").exists()
    assert ckpt.read_bytes() == before  # a refused train --resume leaves the checkpoint alone


def test_cli_mnist_without_files_is_one_clear_line(tmp_path, capsys):
    code, _, err = run_main(capsys, "train", "--dataset", "mnist", "--steps", 1, "--out", tmp_path / "m",
                            "--data-root", tmp_path / "nodata")
    assert "place the four uncompressed IDX files" in one_line_error(code, err)


def test_cli_mnist_with_garbage_files_names_the_bad_file(tmp_path, capsys):
    pytest.importorskip("torchvision")
    from helpers.data import MNIST_FILES

    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for file in MNIST_FILES:
        (raw / file).write_bytes(b"garbage " * 100)
    code, _, err = run_main(capsys, "train", "--dataset", "mnist", "--steps", 1, "--out", tmp_path / "m",
                            "--data-root", tmp_path / "data")
    line = one_line_error(code, err)
    assert f"{raw / 'train-images-idx3-ubyte'} is damaged: its magic number is 0x67617262" in line
    assert "download failed" not in line and not (tmp_path / "m").exists()


# ----------------------------------------------------------------------------- real processes

def test_dunder_main_turns_mains_return_value_into_the_exit_status(tmp_path, monkeypatch, capsys):
    """helpers/gan/__main__.py, run as ``python -m`` runs it (in this process, to save a start-up)."""
    import runpy

    monkeypatch.setattr(sys, "argv", ["helpers.gan", "evaluate", str(tmp_path / "none.pt")])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("helpers.gan", run_name="__main__")
    assert exit_.value.code == 2
    assert "no samples file" in one_line_error(exit_.value.code, capsys.readouterr().err)


@pytest.mark.slow
def test_cli_ctrl_c_saves_a_checkpoint(tmp_path):
    env = dict(os.environ, BOOK_DEVICE="cpu")
    # A job started in the background by a shell (make test runs the unit tests so) inherits
    # SIGINT as ignored, and Python then never raises KeyboardInterrupt: give the run the
    # default disposition, as a terminal would.
    proc = subprocess.Popen([sys.executable, "-m", "helpers.gan", "train", "--seconds", "120", "--out",
                             str(tmp_path / "run"), "--no-eval"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = ""
    try:
        while "GAN (fast)" not in seen:          # the progress bar appears when the loop starts
            char = proc.stderr.read(1)
            assert char, f"the run ended early: {seen}"
            seen += char
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert seen.strip() == "GAN (fast)", f"stderr before the loop started: {seen!r}"  # no warnings
    assert proc.returncode == 130, err
    assert out == ""
    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt", device="cpu")
    assert state.config.recipe == "fast"
    message = err.strip().splitlines()[-1]     # after the progress bar's last line
    assert message == (f"interrupted at step {state.step}; checkpoint saved to {tmp_path / 'run' / 'checkpoint.pt'} "
                       f"(continue with the same command and --resume)"), err
