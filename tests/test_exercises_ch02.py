"""The self-checks of chapter 02: right answers pass, wrong ones fail with a helpful message."""

import pytest
import torch

from helpers.conv_math import conv_matrix
from helpers.conv_math import conv_transpose2d_reference
from helpers.exercises.ch02 import (GENERATOR_LAYERS, OVERLAP_CANDIDATES, STRIDE2_INPUT_SHAPE, STRIDE2_KERNEL,
                                    STRIDE2_STRIDE, check_conv_matrix, check_even_overlap, check_grid_layer,
                                    check_output_size, check_scatter_conv_transpose, check_triple)

RIGHT_C = conv_matrix(STRIDE2_KERNEL, STRIDE2_INPUT_SHAPE, stride=STRIDE2_STRIDE)


def right_scatter(x, kernel, stride, padding, output_padding):
    return conv_transpose2d_reference(x[None, None], kernel[None, None], stride=stride, padding=padding,
                                      output_padding=output_padding)[0, 0]


def no_padding_scatter(x, kernel, stride, padding, output_padding):
    return conv_transpose2d_reference(x[None, None], kernel[None, None], stride=stride)[0, 0]


def zero_rows_scatter(x, kernel, stride, padding, output_padding):
    """Pads output_padding rows/columns of zeros instead of keeping the computed ones."""
    out = conv_transpose2d_reference(x[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]
    return torch.nn.functional.pad(out, (0, output_padding, 0, output_padding))


def test_right_answers_pass(capsys):
    assert check_output_size(14)
    assert check_conv_matrix(RIGHT_C)
    assert check_triple(3, 3, 0) and check_triple(5, 3, 1) and check_triple(4, 3, 1, output_padding=1)
    assert check_even_overlap({(k, s) for k, s in OVERLAP_CANDIDATES if k % s == 0})
    assert check_even_overlap([[4, 2], [6, 3], [3, 3], [2, 1]])            # lists of lists work too
    assert check_scatter_conv_transpose(right_scatter)
    assert check_grid_layer("up2")
    assert capsys.readouterr().out.count("✓ Correct") == 9


@pytest.mark.parametrize("call, match", [
    (lambda: check_output_size(13), "You forgot output_padding"),
    (lambda: check_output_size(4), "formula of an ordinary convolution"),
    (lambda: check_output_size(14.0), "should be an int"),
    (lambda: check_conv_matrix(torch.zeros(4, 15)), r"shape \(4, 16\)"),
    (lambda: check_conv_matrix(RIGHT_C.T.reshape(4, 16)), "column 0 of C"),
    (lambda: check_conv_matrix([[0.0] * 16] * 4), "torch.Tensor"),
    (lambda: check_triple(4, 2, 1), "size 1 becomes 2, not 3"),
    (lambda: check_triple(3, 3, 2), "not valid for a 1×1 input"),
    (lambda: check_even_overlap({(4, 2)}), r"\(2, 1\) is missing"),
    (lambda: check_even_overlap({(4, 2), (3, 2), (6, 3), (3, 3), (2, 1)}), r"\(3, 2\) is wrong"),
    (lambda: check_even_overlap({(7, 7)}), "not among the candidates"),
    (lambda: check_scatter_conv_transpose(42), "should be a function"),
    (lambda: check_scatter_conv_transpose(no_padding_scatter), "full stamp canvas"),
    (lambda: check_scatter_conv_transpose(zero_rows_scatter), "does not add zeros"),
    (lambda: check_scatter_conv_transpose(lambda *a: 1 / 0), "raised ZeroDivisionError"),
    (lambda: check_scatter_conv_transpose(lambda x, k, s, p, op: 2 * right_scatter(x, k, s, p, op)), "off by"),
    (lambda: check_grid_layer("up1"), "overlap is even"),
    (lambda: check_grid_layer("up3"), "can stretch a grid but not create one"),
    (lambda: check_grid_layer("up9"), "not a layer"),
    (lambda: check_grid_layer(2), "a layer name"),
])
def test_wrong_answers_explain_the_mistake(call, match):
    with pytest.raises(AssertionError, match=match):
        call()


def test_generator_of_exercise_6_has_the_period_the_text_states():
    from helpers.exercises.ch02 import _period_after
    assert [_period_after(GENERATOR_LAYERS[:i + 1]) for i in range(3)] == [1, 2, 4]
