"""Shared pieces of the exercise self-checks."""

from __future__ import annotations

import torch


def passed(message: str) -> None:
    """Print the confirmation of a passed self-check."""
    print(f"✓ Correct: {message}")


def answered(answer) -> bool:
    """False (with a reminder printed) while an exercise's answer is still ``None``.

    >>> answered(None)
    Not answered yet: replace None with your answer and run the cell again.
    False
    """
    if answer is None:
        print("Not answered yet: replace None with your answer and run the cell again.")
        return False
    return True


def is_int(answer) -> bool:
    """True for an int that is not a bool (``True`` is an int in Python, but never a count).

    >>> is_int(3), is_int(True), is_int(3.0)
    (True, False, False)
    """
    return isinstance(answer, int) and not isinstance(answer, bool)


def require(condition: bool, message: str) -> None:
    """Raise ``AssertionError(message)`` unless ``condition`` holds.

    >>> require(1 + 1 == 2, "arithmetic is broken")
    """
    if not condition:
        raise AssertionError(message)


def require_tensor(answer, shape: tuple | None = None, name: str = "your answer") -> torch.Tensor:
    """Check that ``answer`` is a tensor (of ``shape`` when given) and return it on the CPU."""
    require(isinstance(answer, torch.Tensor),
            f"{name} should be a torch.Tensor, got {type(answer).__name__}")
    if shape is not None:
        require(tuple(answer.shape) == tuple(shape),
                f"{name} should have shape {tuple(shape)}, got {tuple(answer.shape)}")
    return answer.detach().cpu()


def require_close(answer, expected, atol: float, name: str = "your answer") -> None:
    """Check that two numbers or tensors agree within ``atol``."""
    a = torch.as_tensor(answer, dtype=torch.float64)
    e = torch.as_tensor(expected, dtype=torch.float64)
    require(a.shape == e.shape, f"{name} should have shape {tuple(e.shape)}, got {tuple(a.shape)}")
    err = float((a - e).abs().max()) if a.numel() else 0.0
    require(err <= atol, f"{name} is off by up to {err:.3g} (allowed: {atol:g})")
