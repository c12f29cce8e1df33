import matplotlib
import numpy as np
import pytest

from mflib.plotting import image_grid, tile, to_uint8, value_range

matplotlib.use("Agg")


def test_to_uint8_known_values():
    np.testing.assert_array_equal(to_uint8(np.array([[0.0, 0.5, 1.0]])), [[0, 128, 255]])
    np.testing.assert_array_equal(to_uint8(np.array([[-1.0, 1.0]]), vmin=-1, vmax=1), [[0, 255]])
    u8 = np.array([[3, 200]], dtype=np.uint8)
    assert to_uint8(u8) is u8


def test_to_uint8_clips_and_handles_constant():
    np.testing.assert_array_equal(to_uint8(np.array([[2.0, -1.0]]), 0, 1), [[255, 0]])
    assert to_uint8(np.full((2, 2), 7.0)).dtype == np.uint8


def test_value_range_shared_and_symmetric():
    imgs = [np.array([[0.0, 2.0]]), np.array([[-3.0, 1.0]])]
    assert value_range(imgs) == (-3.0, 2.0)
    assert value_range(imgs, symmetric=True) == (-3.0, 3.0)


def test_tile_layout_and_shared_scale():
    a, b = np.zeros((2, 3)), np.full((2, 3), 4.0)
    out = tile([a, b, a], ncols=2, pad=1)
    assert out.shape == (5, 7) and out.dtype == np.uint8
    assert out[0, 0] == 0 and out[0, 4] == 255     # one scale for all panels
    assert out[3, 4] == 255                         # empty cell keeps the fill
    rgb = tile(np.random.default_rng(0).random((4, 5, 5, 3)))
    assert rgb.shape == (12, 12, 3)


def test_tile_rejects_mixed_shapes_and_empty():
    with pytest.raises(ValueError, match="one shape"):
        tile([np.zeros((2, 2)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match="empty"):
        tile([])


def test_image_grid_shares_colour_limits():
    imgs = np.stack([np.zeros((4, 4)), np.full((4, 4), 2.0), np.eye(4)])
    fig = image_grid(imgs, titles=["a", "b", "c"], ncols=2)
    shown = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(shown) == 3
    assert {im.get_clim() for im in shown} == {(0.0, 2.0)}
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["a", "b", "c"]


def test_image_grid_symmetric_uses_diverging_map():
    fig = image_grid([np.array([[-1.0, 0.5]])], symmetric=True)
    im = fig.axes[0].images[0]
    assert im.get_clim() == (-1.0, 1.0) and im.get_cmap().name == "RdBu_r"


def test_image_grid_title_count_checked():
    with pytest.raises(ValueError, match="one per image"):
        image_grid([np.zeros((2, 2))], titles=["a", "b"])
