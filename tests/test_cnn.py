import pytest
import torch
import torch.nn.functional as F

from helpers.cnn import DigitsCNN, conv2d_by_hand, receptive_field


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 1)])
def test_by_hand_equals_torch(stride, padding, dilation):
    g = torch.Generator().manual_seed(stride * 10 + padding)
    image, kernel = torch.randn(9, 11, generator=g), torch.randn(3, 2, generator=g)
    ours = conv2d_by_hand(image, kernel, stride, padding, dilation)
    ref = F.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding,
                   dilation=dilation)[0, 0]
    assert ours.shape == ref.shape
    assert torch.allclose(ours, ref, atol=1e-5)


def test_by_hand_errors():
    with pytest.raises(ValueError, match="2-D"):
        conv2d_by_hand(torch.zeros(1, 4, 4), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="padded input"):
        conv2d_by_hand(torch.zeros(2, 2), torch.zeros(3, 3))


def test_receptive_field_matches_gradient_support():
    layers = [(3, 2), (3, 1), (5, 1, 2)]
    convs = torch.nn.Sequential(*[torch.nn.Conv2d(1, 1, k, stride=s, dilation=(d[0] if d else 1))
                                  for k, s, *d in layers])
    for conv in convs:
        torch.nn.init.constant_(conv.weight, 1.0)
    x = torch.zeros(1, 1, 40, 40, requires_grad=True)
    y = convs(x)
    y[0, 0, y.shape[-2] // 2, y.shape[-1] // 2].backward()
    rows = (x.grad[0, 0].abs().sum(1) > 0).nonzero()
    assert rows.max() - rows.min() + 1 == receptive_field(layers) == 23


def test_receptive_field_errors():
    with pytest.raises(ValueError, match="layer 1"):
        receptive_field([(3, 1), (3,)])
    with pytest.raises(ValueError, match=">= 1"):
        receptive_field([(0, 1)])


def test_digits_cnn_shapes_and_errors():
    model = DigitsCNN(channels=4)
    assert model(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    with pytest.raises(ValueError, match="\\(N, 1, 8, 8\\)"):
        model(torch.zeros(3, 8, 8))
