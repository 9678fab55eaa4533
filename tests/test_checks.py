"""helpers.checks: one wording for every argument check (TypeError for a type, ValueError for a value)."""

import math

import numpy as np
import pytest
import torch

from helpers.checks import (as_tensor, check_choice, check_image_batch, check_int, check_int_pair, check_kernel,
                            check_module, check_number, check_positive_int, check_probability, check_same_length,
                            check_tensor, check_unit_range, is_int)


@pytest.mark.parametrize("call, error, message", [
    (lambda: check_int(True, "n"), TypeError, "n must be an int, not bool"),
    (lambda: check_int(np.bool_(True), "n"), TypeError, "n must be an int, not bool"),
    (lambda: check_int(2.0, "n"), TypeError, "n must be an int, not float"),
    (lambda: check_int("2", "n"), TypeError, "n must be an int, not str"),
    (lambda: check_int(0, "stride", 1), ValueError, "stride must be >= 1, got 0"),
    (lambda: check_int(11, "steps", 2, 10), ValueError, "steps must be <= 10, got 11"),
    (lambda: check_int(1, "num_classes", 2, hint="(None for none)"), ValueError,
     r"num_classes must be >= 2, got 1 \(None for none\)"),
    (lambda: check_positive_int(-3, "epochs"), ValueError, "epochs must be >= 1, got -3"),
    (lambda: check_int_pair((1, 2, 3), "stride", 1), ValueError, r"stride must be an int or a pair \(height, width\)"),
    (lambda: check_int_pair((2, 0), "stride", 1), ValueError, r"stride\[1\] must be >= 1, got 0"),
    (lambda: check_number("1", "sigma"), TypeError, "sigma must be a number, not str"),
    (lambda: check_number(True, "sigma"), TypeError, "sigma must be a number, not bool"),
    (lambda: check_number(-1.0, "noise_std", 0), ValueError, "noise_std must be a number >= 0, got -1.0"),
    (lambda: check_number(math.inf, "weight", 0), ValueError, "weight must be a number >= 0, got inf"),
    (lambda: check_number(math.nan, "x"), ValueError, "x must be a finite number, got nan"),
    (lambda: check_number(0, "data_range", 0, strict=True, hint="(1.0 for images in [0, 1])"), ValueError,
     r"data_range must be a positive number \(1.0 for images in \[0, 1\]\), got 0"),
    (lambda: check_number(1, "lr", 1, strict=True), ValueError, "lr must be a number > 1, got 1"),
    (lambda: check_probability(0.0, "level"), ValueError, r"level must be in \(0, 1\), got 0.0"),
    (lambda: check_probability(1.5, "t", closed=True), ValueError, r"t must be in \[0, 1\], got 1.5"),
    (lambda: check_choice([1], "mode", ("a", "b")), ValueError, r"mode must be one of \('a', 'b'\), got \[1\]"),
    (lambda: check_tensor([1], "x"), TypeError, "x must be a torch.Tensor, not list"),
    (lambda: check_tensor(torch.zeros(2, 3), "x", (3, 4), "(C, H, W)"), ValueError,
     r"x must be 3-D or 4-D \(C, H, W\), got 2-D with shape \(2, 3\)"),
    (lambda: check_tensor(torch.zeros(2, 0, 3), "x"), ValueError, r"x has an empty axis: shape \(2, 0, 3\)"),
    (lambda: as_tensor([1.0], "image"), TypeError, "image must be a torch.Tensor or a numpy array, not list"),
    (lambda: check_image_batch(torch.zeros(0, 1, 4, 4)), ValueError, "images is an empty batch"),
    (lambda: check_image_batch(torch.zeros(1, 1, 4, 4), min_batch=2), ValueError,
     "images must hold at least 2 images, got 1"),
    (lambda: check_image_batch(torch.zeros(2, 3, 4, 4), channels=None, floating=True).long(), None, None),
    (lambda: check_image_batch(torch.zeros(2, 3, 4, 4)), ValueError, r"images must be a batch of grey images \(N, 1, H, W\)"),
    (lambda: check_image_batch(torch.zeros(2, 4, 4), "x", channels=3), ValueError,
     r"x must be a batch \(N, 3, H, W\), got shape \(2, 4, 4\)"),
    (lambda: check_image_batch(torch.zeros(2, 1, 4, 4, dtype=torch.long)), TypeError,
     "images must be floating point, got torch.int64"),
    (lambda: check_unit_range(torch.tensor([0.0, float("nan")])), ValueError, "images contain NaN or inf"),
    (lambda: check_unit_range(torch.tensor([-1.0, 1.0])), ValueError, r"images must have values in \[0, 1\], got \[-1, 1\]"),
    (lambda: check_unit_range(torch.tensor([-1.0005, 1.0]), low=-1.0), None, None),
    (lambda: check_kernel(torch.ones(3)), ValueError, r"kernel must be 2-D \(kH, kW\), got shape \(3,\)"),
    (lambda: check_kernel(torch.ones(0, 3)), ValueError, "kernel is empty"),
    (lambda: check_kernel(np.ones((3, 3))), TypeError, "kernel must be a torch.Tensor, not ndarray"),
    (lambda: check_kernel(torch.ones(3, 4), odd=True), ValueError, "kernel must have odd height and width"),
    (lambda: check_same_length(torch.zeros(3), torch.zeros(2), ("a", "b")), ValueError,
     r"a and b must have the same number of samples \(first axis\), got 3 and 2"),
    (lambda: check_same_length(torch.zeros(0), torch.zeros(0)), ValueError, "x and y are empty"),
    (lambda: check_module(lambda x: x), TypeError, "model must be a torch.nn.Module, not function"),
])
def test_messages_name_the_argument_the_rule_and_the_value(call, error, message):
    if error is None:
        call()                                     # accepted
        return
    with pytest.raises(error, match=f"^{message}"):
        call()


def test_values_come_back_normalised():
    assert is_int(np.int32(3)) and not is_int(True) and not is_int(3.0)
    value = check_int(np.int64(7), "n")
    assert value == 7 and type(value) is int
    assert check_int_pair(np.int64(2), "stride", 1) == (2, 2)
    number = check_number(np.float32(0.5), "x")
    assert number == 0.5 and type(number) is float
    kernel = check_kernel(np.ones((3, 3), dtype=np.int64), allow_numpy=True)
    assert isinstance(kernel, torch.Tensor) and kernel.dtype == torch.float64
    tensor, was_numpy = as_tensor(np.zeros(2), "x")
    assert was_numpy and isinstance(tensor, torch.Tensor)
    assert check_choice("b", "mode", ("a", "b")) == "b"
    assert check_probability(1.0, "t", closed=True) == 1.0
