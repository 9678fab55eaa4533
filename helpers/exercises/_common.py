"""Shared pieces of the exercise self-checks."""

from __future__ import annotations

import torch

from helpers.checks import is_int  # noqa: F401  (the exercises' "a whole number, not a bool")


def passed(message: str) -> None:
    """Print the confirmation of a passed self-check.

    Plumbing of every chapter's exercise checks (not taught in a chapter).
    """
    print(f"✓ Correct: {message}")


def answered(answer) -> bool:
    """False (with a reminder printed) while an exercise's answer is still ``None``.

    Plumbing of every chapter's exercise checks (not taught in a chapter).

    >>> answered(None)
    Not answered yet: replace None with your answer and run the cell again.
    False
    """
    if answer is None:
        print("Not answered yet: replace None with your answer and run the cell again.")
        return False
    return True


def require(condition: bool, message: str) -> None:
    """Raise ``AssertionError(message)`` unless ``condition`` holds.

    Plumbing of every chapter's exercise checks (not taught in a chapter).

    >>> require(1 + 1 == 2, "arithmetic is broken")          # holds: nothing happens
    >>> require(1 + 1 == 3, "1 + 1 is 2")
    Traceback (most recent call last):
        ...
    AssertionError: 1 + 1 is 2
    """
    if not condition:
        raise AssertionError(message)


def require_tensor(answer, shape: tuple | None = None, name: str = "your answer") -> torch.Tensor:
    """Check that ``answer`` is a tensor (of ``shape`` when given) and return it on the CPU.

    Plumbing of every chapter's exercise checks (not taught in a chapter).
    """
    require(isinstance(answer, torch.Tensor),
            f"{name} should be a torch.Tensor, got {type(answer).__name__}")
    if shape is not None:
        require(tuple(answer.shape) == tuple(shape),
                f"{name} should have shape {tuple(shape)}, got {tuple(answer.shape)}")
    return answer.detach().cpu()


def require_close(answer, expected, atol: float, name: str = "your answer") -> None:
    """Check that two numbers or tensors agree within ``atol``.

    Plumbing of every chapter's exercise checks (not taught in a chapter).
    """
    a = torch.as_tensor(answer, dtype=torch.float64)
    e = torch.as_tensor(expected, dtype=torch.float64)
    require(a.shape == e.shape, f"{name} should have shape {tuple(e.shape)}, got {tuple(a.shape)}")
    err = float((a - e).abs().max()) if a.numel() else 0.0
    require(err <= atol, f"{name} is off by up to {err:.3g} (allowed: {atol:g})")
