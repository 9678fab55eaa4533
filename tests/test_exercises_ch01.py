"""The self-checks of chapter 01: no answer yet is not an error, right answers pass, wrong ones explain."""

import pytest
import torch

from helpers.cnn import conv2d_by_hand
from helpers.exercises.ch01 import (BROKEN_DIGITS_CNN, check_conv2d_channels, check_digits_linear_inputs,
                                    check_horizontal_edge_kernel, check_output_size, check_param_count,
                                    check_receptive_field)

SOBEL_Y = torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])


def right_conv(x, weight, bias, stride=1):
    return torch.stack([bias[o] + sum(conv2d_by_hand(x[c], weight[o, c], stride) for c in range(x.shape[0]))
                        for o in range(weight.shape[0])])


def test_right_answers_pass(capsys):
    assert check_output_size(14)
    assert check_param_count(1216, 940800)
    assert check_horizontal_edge_kernel(SOBEL_Y)
    assert check_horizontal_edge_kernel(torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, -1.0, 0.0]]))
    assert check_receptive_field(11)
    assert check_conv2d_channels(right_conv)
    assert check_digits_linear_inputs(144)
    assert capsys.readouterr().out.count("✓ Correct") == 7


def test_the_broken_model_really_breaks_and_the_answer_fixes_it():
    with pytest.raises(RuntimeError, match="mat1 and mat2"):
        BROKEN_DIGITS_CNN(torch.zeros(2, 1, 8, 8))
    x = torch.zeros(2, 1, 8, 8)
    for layer in BROKEN_DIGITS_CNN[:-1]:
        x = layer(x)
    assert x.shape == (2, 144)


@pytest.mark.parametrize("call, match", [
    (lambda: check_output_size(12), "without padding"),
    (lambda: check_output_size(28), "stride 2"),
    (lambda: check_output_size(13), "not right"),
    (lambda: check_output_size(14.0), "should be an int"),
    (lambda: check_param_count(1200, 0), "weights only"),
    (lambda: check_param_count(416, 0), "EACH of the 3 input channels"),
    (lambda: check_param_count(1216), "now give the multiply-adds"),
    (lambda: check_param_count(1216, 16 * 32 * 32 * 75), "not 32×32"),
    (lambda: check_param_count(1216, 16 * 28 * 28 * 25), "all 3 input channels"),
    (lambda: check_param_count(1216, 5), "multiply-adds is not right"),
    (lambda: check_horizontal_edge_kernel(torch.zeros(3, 3)), "barely responds"),
    (lambda: check_horizontal_edge_kernel(SOBEL_Y.T), "finds vertical edges"),
    (lambda: check_horizontal_edge_kernel(torch.ones(3, 3)), "must sum to zero"),
    (lambda: check_horizontal_edge_kernel(SOBEL_Y + SOBEL_Y.T), "every column of the kernel must sum to zero"),
    (lambda: check_horizontal_edge_kernel(torch.zeros(2, 2)), r"shape \(3, 3\)"),
    (lambda: check_receptive_field(7), "without the stride"),
    (lambda: check_receptive_field(9), "not right"),
    (lambda: check_conv2d_channels("conv"), "should be a function"),
    (lambda: check_conv2d_channels(lambda x, w, b, s: right_conv(x, w, b, s) - b[:, None, None]), "the bias"),
    (lambda: check_conv2d_channels(lambda x, w, b, s: right_conv(x, w, b, 1)), "should have shape"),
    (lambda: check_conv2d_channels(lambda x, w, b, s: 1.01 * right_conv(x, w, b, s)), "off by up to"),
    (lambda: check_conv2d_channels(lambda x, w, b, s: x.no_such_method()), "raised AttributeError"),
    (lambda: check_digits_linear_inputs(256), "no padding"),
    (lambda: check_digits_linear_inputs(576), "stride 2"),
    (lambda: check_digits_linear_inputs(1024), "keep 8×8"),
    (lambda: check_digits_linear_inputs(100), "not right"),
])
def test_wrong_answers_explain_the_mistake(call, match):
    with pytest.raises(AssertionError, match=match):
        call()
