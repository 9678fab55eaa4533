import numpy as np
import pytest
import torch

from helpers.plotting import image_grid, plot_history, show_image, show_images, show_kernels


def test_image_grid_places_tiles():
    images = torch.arange(4.0).reshape(4, 1, 1, 1)  # four 1×1 images with values 0..3
    grid = image_grid(images, nrow=2, padding=1, pad_value=-1)
    assert grid.shape == (1, 3, 3)
    assert grid[0, 0, 0] == 0 and grid[0, 0, 2] == 1 and grid[0, 2, 0] == 2 and grid[0, 2, 2] == 3
    assert grid[0, 1, 1] == -1


def test_image_grid_accepts_numpy_and_3d():
    assert image_grid(np.zeros((5, 4, 4)), nrow=5, padding=0).shape == (1, 4, 20)


def test_image_grid_rejects_bad_shapes():
    with pytest.raises(ValueError, match="1 \\(grey\\) or 3 \\(RGB\\)"):
        image_grid(torch.zeros(2, 5, 4, 4))
    with pytest.raises(ValueError, match="got 5-D"):
        image_grid(torch.zeros(1, 1, 1, 4, 4))
    with pytest.raises(TypeError, match="torch.Tensor"):
        image_grid("not an image")


def test_show_functions_draw_what_they_are_given():
    ax = show_image(torch.full((1, 4, 4), 0.5), title="grey")
    assert ax.get_title() == "grey"
    assert np.allclose(ax.images[0].get_array(), 0.5)
    axes = show_images(torch.rand(3, 1, 8, 8), nrow=3, labels=["a", "b", "c"])
    assert [a.get_title() for a in axes.flat] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="one label per image"):
        show_images(torch.rand(3, 1, 8, 8), labels=["a"])


def test_show_kernels_uses_a_symmetric_scale():
    w = torch.tensor([[[[1.0, -3.0], [0.0, 2.0]]]])
    axes = show_kernels(w)
    lo, hi = axes.flat[0].images[0].get_clim()
    assert lo == -3.0 and hi == 3.0
    with pytest.raises(ValueError, match="2-D, 3-D or 4-D"):
        show_kernels(torch.zeros(5))


def test_plot_history():
    ax = plot_history({"train_loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0]}, logy=True)
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    # the two curves differ by more than colour (readable in grey), and epochs are whole
    first, second = ax.lines
    assert (first.get_marker(), first.get_linestyle()) != (second.get_marker(), second.get_linestyle())
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)
    with pytest.raises(KeyError, match="no \\['acc'\\]"):
        plot_history({"train_loss": [1.0]}, keys=["acc"])


def test_show_image_takes_rgb_chw():
    ax = show_image(torch.rand(3, 5, 6))
    assert ax.images[0].get_array().shape == (5, 6, 3)
    with pytest.raises(ValueError, match="batch of 2"):
        show_image(torch.rand(2, 1, 5, 5))
