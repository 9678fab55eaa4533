"""helpers.conv_math against PyTorch: property tests over random arguments, and the error cases.

Each property test draws its arguments with hypothesis (``max_examples`` cases
each, see the decorators) from a range wider than the valid one where that is
useful, and checks that our function fails exactly when torch does (with a
``ValueError`` instead of torch's ``RuntimeError``) and agrees with torch
otherwise. Hypothesis draws new examples on every run (after replaying any
that failed before); run with ``--hypothesis-show-statistics`` to see how many.
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from helpers.conv_math import (conv_matrix, conv_output_size, conv_transpose2d_gather,
                               conv_transpose2d_reference, conv_transpose_output_size, insert_zeros,
                               output_padding_for, overlap_counts)


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATOL = 1e-10  # everything below runs in float64


def pair_or_int(draw, values):
    """A value for one torch argument: an int, or a (height, width) pair; returns (argument, pair)."""
    a, b = draw(values), draw(values)
    if draw(st.booleans()):
        return a, (a, a)
    return (a, b), (a, b)


def torch_or_error(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except RuntimeError as exc:
        return exc


@st.composite
def transpose_args(draw, valid_only=True):
    """Random arguments of F.conv_transpose2d; with ``valid_only`` only ones torch accepts."""
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 3))
    c_out_per_group = draw(st.integers(1, 3))
    batch = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride, s = pair_or_int(draw, st.integers(1, 4))
    dilation, d = pair_or_int(draw, st.integers(1, 3))
    if valid_only:
        op = tuple(draw(st.integers(0, max(s[i], d[i]) - 1)) for i in (0, 1))
        limit = tuple(((h, w)[i] - 1) * s[i] + d[i] * ((kh, kw)[i] - 1) + op[i] for i in (0, 1))
        p = tuple(draw(st.integers(0, limit[i] // 2)) for i in (0, 1))
    else:
        op = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
        p = (draw(st.integers(0, 4)), draw(st.integers(0, 4)))
    output_padding = op if op[0] != op[1] or draw(st.booleans()) else op[0]
    padding = p if p[0] != p[1] or draw(st.booleans()) else p[0]
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    x = torch.randn(batch, c_in, h, w, generator=gen, dtype=torch.float64)
    if draw(st.booleans()) and batch == 1:
        x = x[0]  # unbatched input (C_in, H, W), which torch accepts too
    weight = torch.randn(c_in, c_out_per_group, kh, kw, generator=gen, dtype=torch.float64)
    bias = torch.randn(c_out_per_group * groups, generator=gen, dtype=torch.float64) \
        if draw(st.booleans()) else None
    return x, weight, bias, dict(stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups)


@pytest.mark.parametrize("implementation", [conv_transpose2d_reference, conv_transpose2d_gather],
                         ids=["scatter-reference", "gather"])
@PROPERTY
@given(transpose_args())
def test_implementation_equals_torch(implementation, args):
    x, weight, bias, kw = args
    expected = F.conv_transpose2d(x, weight, bias, **kw)
    got = implementation(x, weight, bias, **kw)
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, atol=ATOL)


@PROPERTY
@given(transpose_args(valid_only=False))
def test_reference_fails_exactly_when_torch_fails(args):
    x, weight, bias, kw = args
    expected = torch_or_error(F.conv_transpose2d, x, weight, bias, **kw)
    event("torch rejects the arguments" if isinstance(expected, Exception) else "torch accepts the arguments")
    if isinstance(expected, Exception):
        with pytest.raises(ValueError):
            conv_transpose2d_reference(x, weight, bias, **kw)
        with pytest.raises(ValueError):
            conv_transpose2d_gather(x, weight, bias, **kw)
    else:
        assert torch.allclose(conv_transpose2d_reference(x, weight, bias, **kw), expected, atol=ATOL)


@PROPERTY
@given(size=st.integers(1, 40), k=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 6),
       d=st.integers(1, 4))
def test_conv_output_size_matches_conv2d(size, k, s, p, d):
    x = torch.zeros(1, 1, size, 3)
    expected = torch_or_error(F.conv2d, x, torch.zeros(1, 1, k, 1), stride=(s, 1), padding=(p, 0),
                              dilation=(d, 1))
    if isinstance(expected, Exception):
        with pytest.raises(ValueError, match="kernel_size"):
            conv_output_size(size, k, s, p, d)
    else:
        assert conv_output_size(size, k, s, p, d) == expected.shape[2]


@PROPERTY
@given(size=st.integers(1, 30), k=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 12),
       d=st.integers(1, 4), op=st.integers(0, 5))
def test_conv_transpose_output_size_matches_torch(size, k, s, p, d, op):
    x = torch.zeros(1, 1, size, 1)
    expected = torch_or_error(F.conv_transpose2d, x, torch.zeros(1, 1, k, 1), stride=(s, 1),
                              padding=(p, 0), output_padding=(op, 0), dilation=(d, 1))
    if isinstance(expected, Exception):
        with pytest.raises(ValueError):
            conv_transpose_output_size(size, k, s, p, d, op)
    else:
        assert conv_transpose_output_size(size, k, s, p, d, op) == expected.shape[2]


@PROPERTY
@given(size=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5), p=st.integers(0, 4),
       d=st.integers(1, 3))
def test_output_padding_for_restores_the_size(size, k, s, p, d):
    assume(d * (k - 1) + 1 <= size + 2 * p)
    small = conv_output_size(size, k, s, p, d)
    op = output_padding_for(size, k, s, p, d)
    assert 0 <= op < s
    assert conv_transpose_output_size(small, k, s, p, d, op) == size
    # every other output_padding gives another size: the choice is unique
    for other in range(max(s, d)):
        if other != op:
            y = torch_or_error(F.conv_transpose2d, torch.zeros(1, 1, small, 1), torch.zeros(1, 1, k, 1),
                               stride=(s, 1), padding=(p, 0), output_padding=(other, 0), dilation=(d, 1))
            assert isinstance(y, Exception) or y.shape[2] != size


@st.composite
def conv_matrix_args(draw):
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, s = pair_or_int(draw, st.integers(1, 3))
    padding, p = pair_or_int(draw, st.integers(0, 2))
    dilation, d = pair_or_int(draw, st.integers(1, 2))
    assume(d[0] * (kh - 1) + 1 <= h + 2 * p[0] and d[1] * (kw - 1) + 1 <= w + 2 * p[1])
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    kernel = torch.randn(kh, kw, generator=gen, dtype=torch.float64)
    x = torch.randn(h, w, generator=gen, dtype=torch.float64)
    return kernel, x, dict(stride=stride, padding=padding, dilation=dilation), (s, p, d)


@settings(max_examples=300, deadline=None)
@given(conv_matrix_args())
def test_conv_matrix_is_conv2d_and_its_transpose_is_conv_transpose2d(args):
    kernel, x, kw, (s, p, d) = args
    C = conv_matrix(kernel, tuple(x.shape), **kw)
    y = F.conv2d(x[None, None], kernel[None, None], **kw)            # (1, 1, H_out, W_out)
    assert C.shape == (y.numel(), x.numel())
    assert torch.allclose(C @ x.flatten(), y.flatten(), atol=ATOL)
    g = torch.randn_like(y)
    op = tuple(output_padding_for(x.shape[i], kernel.shape[i], s[i], p[i], d[i]) for i in (0, 1))
    back = F.conv_transpose2d(g, kernel[None, None], output_padding=op, **kw)
    assert back.shape[-2:] == x.shape
    assert torch.allclose(C.T @ g.flatten(), back.flatten(), atol=ATOL)


@settings(max_examples=200, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), k=st.integers(1, 6), s=st.integers(1, 4))
def test_overlap_counts_match_a_transposed_convolution_of_ones(h, w, k, s):
    ones = F.conv_transpose2d(torch.ones(1, 1, h, w), torch.ones(1, 1, k, k), stride=s)[0, 0]
    assert torch.equal(overlap_counts((h, w), k, s), ones.round().long())
    line = F.conv_transpose1d(torch.ones(1, 1, w), torch.ones(1, 1, k), stride=s)[0, 0]
    assert torch.equal(overlap_counts(w, k, s), line.round().long())


# ---- the worked examples of the chapter ------------------------------------------------------------

def test_known_values():
    assert conv_transpose_output_size(64, 3, 1, 1) == 64           # the article's example keeps the size
    assert conv_transpose_output_size(64, 4, 2, 1) == 128          # k=4, s=2, p=1 doubles it
    assert [conv_output_size(n, 3, 2, 1) for n in (7, 8)] == [4, 4]
    assert [conv_transpose_output_size(4, 3, 2, 1, output_padding=op) for op in (0, 1)] == [7, 8]
    assert overlap_counts(4, 3, 2).tolist() == [1, 1, 2, 1, 2, 1, 2, 1, 1]
    assert set(overlap_counts(4, 4, 2)[2:-2].tolist()) == {2}


def test_conv_matrix_4x4_input_3x3_kernel():
    kernel = torch.arange(1.0, 10.0).reshape(3, 3)
    C = conv_matrix(kernel, (4, 4))
    assert C.shape == (4, 16)
    assert C[0].tolist() == [1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0]
    assert C[3].tolist() == [0, 0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9]
    assert torch.linalg.matrix_rank(C.T @ C) == 4                     # 16×16 but rank 4: no inverse


def test_conv_matrix_keeps_autograd_and_dtype():
    kernel = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    C = conv_matrix(kernel, 3)
    assert C.dtype == torch.float64 and C.shape == (4, 9)
    C.sum().backward()
    assert torch.equal(kernel.grad, torch.full((2, 2), 4.0, dtype=torch.float64))


def test_insert_zeros():
    x = torch.arange(1.0, 7.0).reshape(1, 2, 3)
    up = insert_zeros(x, (2, 3))
    assert up.shape == (1, 3, 7)
    assert up[0, ::2, ::3].tolist() == x[0].tolist()
    assert float(up.sum()) == float(x.sum())
    assert torch.equal(insert_zeros(x, 1), x)


# ---- errors: a clear ValueError naming the argument and the rule -----------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: conv_output_size(4, 7), r"kernel_size=7 .* spans 7 pixels"),
    (lambda: conv_output_size(0, 3), r"size must be >= 1"),
    (lambda: conv_output_size(8, 3, stride=0), r"stride must be >= 1"),
    (lambda: conv_output_size(8, 3, padding=-1), r"padding must be >= 0"),
    (lambda: conv_transpose_output_size(4, 3, stride=2, output_padding=2),
     r"output_padding=2 must be smaller than stride=2 or dilation=1"),
    (lambda: conv_transpose_output_size(1, 1, padding=1), r"padding=1 is too large"),
    (lambda: conv_transpose_output_size(-3, 3), r"size must be >= 1"),
    (lambda: conv_transpose_output_size(4, 0), r"kernel_size must be >= 1"),
    (lambda: output_padding_for(2, 5), r"kernel_size=5"),
    (lambda: conv_matrix(torch.ones(3, 3), (2, 2)), r"kernel_size=3 .* padded input"),
    (lambda: conv_matrix(torch.ones(1, 3, 3), (4, 4)), r"kernel must be 2-D"),
    (lambda: conv_matrix(torch.ones(3, 3), (4, 4, 4)), r"input_shape must be an int or a pair"),
    (lambda: conv_transpose2d_reference(torch.ones(5, 5), torch.ones(1, 1, 3, 3)),
     r"x must be 3-D or 4-D .* got 2-D"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 2, 5, 5), torch.ones(2, 1, 3)),
     r"weight must be 4-D"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 3, 5, 5), torch.ones(2, 1, 3, 3)),
     r"weight.shape\[0\]=2 must equal the input channels"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 3, 5, 5), torch.ones(3, 1, 3, 3), groups=2),
     r"input channels \(3\) must be divisible by groups=2"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 2, 5, 5), torch.ones(2, 1, 3, 3), groups=0),
     r"groups must be >= 1"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 2, 5, 5), torch.ones(2, 2, 3, 3), torch.ones(3)),
     r"bias must have C_out"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), stride=2,
                                        output_padding=2), r"output_padding=2 must be smaller"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), stride=(2, 1),
                                        output_padding=(1, 1)), r"output_padding\[1\]=1 must be smaller"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 1, 1, 1), torch.ones(1, 1, 1, 1), padding=1),
     r"padding=1 is too large"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), stride=(2, 2, 2)),
     r"stride must be an int or a pair"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3, dtype=torch.float64)),
     r"same floating dtype"),
    (lambda: conv_transpose2d_reference(torch.ones(1, 0, 5, 5), torch.ones(0, 1, 3, 3)), r"empty axis"),
    (lambda: conv_transpose2d_gather(torch.ones(1, 3, 5, 5), torch.ones(3, 1, 3, 3), groups=2),
     r"divisible by groups=2"),
    (lambda: insert_zeros(torch.ones(3), 2), r"at least 2 axes"),
    (lambda: overlap_counts((4, 4, 4), 3, 2), r"size must be an int or a pair"),
    (lambda: overlap_counts(4, 3, 0), r"stride must be >= 1"),
])
def test_invalid_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call", [
    lambda: conv_output_size(4.0, 3),
    lambda: conv_transpose_output_size(4, True),
    lambda: conv_matrix([[1.0]], (2, 2)),
    lambda: conv_transpose2d_reference([[1.0]], torch.ones(1, 1, 1, 1)),
])
def test_wrong_types_raise_type_error(call):
    with pytest.raises(TypeError):
        call()
