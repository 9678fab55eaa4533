"""The command line of ``python -m helpers.gan``: ``train``, ``sample`` and ``evaluate``.

Bad input (a missing, corrupt or mismatched checkpoint, an unknown dataset,
``-n 0``, …) gives one line on stderr and exit status 2.

>>> main(["evaluate", "no-such-file.pt"])
2
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import torch

from helpers.gan.checkpoint import CHECKPOINT_NAME, CheckpointError, load_checkpoint
from helpers.gan.config import DATASETS, RECIPES, recipe_config
from helpers.gan.data import load_dataset
from helpers.gan.loop import fit
from helpers.gan.sampling import load_samples, sample
from helpers.gan.state import build
from helpers.models import SIZES


def _positive_int(text: str) -> int:
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32), got {value}")
    return value


def _positive_float(text: str) -> float:
    import argparse
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _parser():
    import argparse

    class OneLineParser(argparse.ArgumentParser):
        """argparse, but a usage error is one line on stderr (and exit status 2)."""

        def error(self, message):
            self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    parser = OneLineParser(prog="python -m helpers.gan",
                           description="Train, sample and evaluate the chapter-04 GAN.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser,
                                metavar="{train,sample,evaluate}")
    t = sub.add_parser("train", help="train a GAN and write DIR/checkpoint.pt")
    t.add_argument("--dataset", choices=DATASETS, default="digits")
    t.add_argument("--size", type=int, choices=SIZES, default=32, help="image side in pixels")
    t.add_argument("--recipe", choices=RECIPES, default="fast")
    budget = t.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=_positive_float, help="seconds of training to add (default 60)")
    budget.add_argument("--steps", type=_positive_int,
                        help="train until the run has made this many steps in total (counts resumed steps)")
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--out", required=True, help="folder for checkpoint.pt")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    t.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: the best available)")
    t.add_argument("--checkpoint-every", type=_positive_int, default=None,
                   help="steps between checkpoints (default 500)")
    t.add_argument("--data-root", default=None, help="folder of the MNIST / Fashion-MNIST files")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--no-eval", action="store_true", help="skip the final metrics")

    s = sub.add_parser("sample", help="save N samples as an (N, 1, H, W) tensor in [0, 1]")
    s.add_argument("--checkpoint", required=True)
    s.add_argument("-n", type=_positive_int, default=1000, help="number of samples")
    s.add_argument("--seed", type=_seed, default=0)
    s.add_argument("--out", required=True, help="file to write (torch.save of one tensor)")
    s.add_argument("--size", type=int, default=None, help="refuse a checkpoint of another image size")
    s.add_argument("--no-ema", action="store_true", help="sample from the raw generator, not the EMA")
    s.add_argument("--device", default=None)

    e = sub.add_parser("evaluate", help="print the metrics of saved samples (digits)")
    e.add_argument("samples", help="a file written by `sample` (an (N, 1, H, W) tensor in [0, 1])")
    return parser


def _fail(message: str) -> int:
    first = " ".join(str(message).split())  # always one line
    print(f"python -m helpers.gan: error: {first}", file=sys.stderr)
    return 2


def _device_or_fail(name):
    from helpers.device import get_device

    return get_device(name)


def _print_metrics(images: torch.Tensor) -> dict:
    from helpers.metrics import evaluate, format_metrics

    m = evaluate(images)
    print(f"samples: {m['n']} of {tuple(images.shape[1:])}; digit classifier test accuracy "
          f"{m['classifier_accuracy']:.3f}")
    print(f"Fréchet distance to the test digits: {m['fd']:.3f} (floor, bicubic-upsampled train "
          f"digits: {m['fd_floor']:.3f}; ratio {m['fd'] / m['fd_floor']:.2f})")
    print(f"classes with >= 5% of samples: {m['classes_covered']}/10; "
          f"k-NN precision {m['precision']:.3f}, recall {m['recall']:.3f} (k={m['k']})")
    print(format_metrics(m))
    return m


def _cmd_train(args) -> int:
    from helpers.data import DatasetUnavailableError

    out = Path(args.out)
    path = out / CHECKPOINT_NAME
    if out.exists() and not out.is_dir():
        return _fail(f"--out {out} is a file; give a folder")
    if path.exists() and not args.resume:
        return _fail(f"{path} already exists; add --resume to continue it, or choose another --out")
    overrides = {"dataset": args.dataset, "size": args.size, "seed": args.seed}
    if args.checkpoint_every:
        overrides["checkpoint_every"] = args.checkpoint_every
    config = recipe_config(args.recipe, **overrides)
    if args.resume and not path.exists():
        return _fail(f"--resume: no checkpoint at {path}")
    try:
        device = _device_or_fail(args.device)
        if args.resume:
            state = load_checkpoint(path, device=device, expect=config)
            if args.checkpoint_every:
                state.config.checkpoint_every = args.checkpoint_every
        data = load_dataset(config.dataset, config.size, "train", root=args.data_root)
        if not args.resume:
            state = build(config, device=device)
    except (CheckpointError, DatasetUnavailableError, ValueError, TypeError) as exc:
        return _fail(str(exc))
    seconds = args.seconds if args.steps is None and args.seconds is not None else None
    if args.steps is None and args.seconds is None:
        seconds = 60.0
    start, start_seconds = state.step, state.train_seconds
    try:
        fit(state, data, steps=args.steps, seconds=seconds, out=out, progress=not args.no_progress)
    except KeyboardInterrupt:
        if state.interrupted and path.exists():
            print(f"interrupted at step {state.step}; checkpoint saved to {path} "
                  f"(continue with the same command and --resume)", file=sys.stderr)
        else:
            print(f"interrupted at step {state.step}; no checkpoint written", file=sys.stderr)
        return 130
    rate = (state.step - start) / max(state.train_seconds - start_seconds, 1e-9)
    print(f"trained {state.step - start} steps (total {state.step}) on {state.device}, "
          f"{rate:.1f} steps/s; checkpoint: {path}")
    if config.dataset == "digits" and not args.no_eval:
        _print_metrics(sample(state, 1000, seed=0))
    elif not args.no_eval:
        print("metrics are calibrated for --dataset digits only; none printed")
    return 0


def _cmd_sample(args) -> int:
    try:
        device = _device_or_fail(args.device)
        state = load_checkpoint(args.checkpoint, device=device)
    except (CheckpointError, ValueError, TypeError) as exc:
        return _fail(str(exc))
    if args.size is not None and args.size != state.config.size:
        return _fail(f"{args.checkpoint} makes {state.config.size}x{state.config.size} images, "
                     f"not --size {args.size}")
    model = state.generator if args.no_ema else state.sampler
    images = sample(model, args.n, seed=args.seed)
    out = Path(args.out)
    if out.is_dir():
        return _fail(f"--out {out} is a folder; give a file name such as samples.pt")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    torch.save(images, tmp)
    os.replace(tmp, out)
    print(f"wrote {tuple(images.shape)} samples in [0, 1] to {out} "
          f"(from the {'raw' if model is state.generator else 'EMA'} generator, step {state.step})")
    return 0


def _cmd_evaluate(args) -> int:
    try:
        images = load_samples(args.samples)
        if images.shape[0] < 10:
            return _fail(f"{args.samples} has {images.shape[0]} samples; the metrics need at least 10")
    except ValueError as exc:
        return _fail(str(exc))
    _print_metrics(images)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m helpers.gan``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return {"train": _cmd_train, "sample": _cmd_sample, "evaluate": _cmd_evaluate}[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
