import cv2
import numpy as np
import pytest

from mflib import datasets
from mflib.svd import (SVDCompressor, breakeven_rank, eckart_young_error, psnr, reconstruct,
                       relative_error, storage_cost, truncated_svd)

rng = np.random.default_rng(0)


def test_truncated_svd_matches_numpy_and_is_orthonormal():
    A = rng.standard_normal((30, 20))
    U, s, Vt = truncated_svd(A, 5)
    s_np = np.linalg.svd(A, compute_uv=False)
    assert U.shape == (30, 5) and s.shape == (5,) and Vt.shape == (5, 20)
    np.testing.assert_allclose(s, s_np[:5])
    np.testing.assert_allclose(U.T @ U, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(reconstruct(*truncated_svd(A, 20)), A, atol=1e-12)


def test_eckart_young_equality_for_truncated_svd():
    A = rng.standard_normal((40, 25))
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    for k in (1, 3, 10, 25):
        err = relative_error(A, reconstruct(U, s, Vt, k))
        assert np.isclose(err, eckart_young_error(s, k))
    assert eckart_young_error(s, 25) == 0.0


def test_known_answers():
    assert storage_cost((15, 25), 3) == 123
    assert breakeven_rank((512, 512)) == 255
    assert storage_cost((512, 512), 255) < 512 * 512 <= storage_cost((512, 512), 256)
    assert np.isclose(psnr(np.zeros((2, 2)), np.full((2, 2), 0.1)), 20.0)
    assert psnr(np.ones(3), np.ones(3)) == float("inf")
    assert np.isclose(psnr(np.zeros(4), np.full(4, 25.5), peak=255), 20.0)
    assert np.isclose(relative_error(np.array([3.0, 4.0]), np.array([3.0, 0.0])), 0.8)
    assert np.isclose(eckart_young_error([3.0, 4.0], 1), 0.8)


@pytest.mark.parametrize("mode", ["channels", "stacked"])
def test_compressor_rgb_modes(mode):
    img = rng.random((24, 30, 3))
    comp = SVDCompressor(mode=mode).fit(img)
    full = comp.max_rank_
    np.testing.assert_allclose(comp.reconstruct(full, clip=False), img, atol=1e-12)
    if mode == "channels":
        assert comp.singular_values_.shape == (3, 24)
        for c in range(3):
            expected = reconstruct(*truncated_svd(img[..., c], 4))
            np.testing.assert_allclose(comp.reconstruct(4, clip=False)[..., c], expected, atol=1e-12)
        assert comp.storage(4) == 3 * 4 * (24 + 30 + 1)
    else:
        stacked = np.concatenate([img[..., c] for c in range(3)], axis=1)
        expected = reconstruct(*truncated_svd(stacked, 4))
        np.testing.assert_allclose(comp.reconstruct(4, clip=False)[..., 1], expected[:, 30:60], atol=1e-12)
        assert comp.storage(4) == 4 * (24 + 90 + 1)
    out = comp.reconstruct(2)
    assert out.shape == img.shape and out.min() >= 0 and out.max() <= 1


def test_compressor_grayscale_ratio():
    img = rng.random((20, 40))
    comp = SVDCompressor().fit(img)
    assert comp.max_rank_ == 20
    assert np.isclose(comp.compression_ratio(2), 2 * 61 / 800)


def test_compressor_on_rgba_and_16bit_files(tmp_path):
    """Files readers bring: RGBA and 16-bit PNGs are converted by load_image, then compress."""
    rgba = (rng.random((16, 20, 4)) * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    deep = (rng.random((16, 20, 3)) * 65535).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    for name in ("rgba.png", "deep.png"):
        img = datasets.load_image(tmp_path / name)
        comp = SVDCompressor().fit(img)
        assert comp.reconstruct(16).shape == (16, 20, 3)
        np.testing.assert_allclose(comp.reconstruct(16), img, atol=1e-10)


@pytest.mark.parametrize("bad, match", [
    (np.zeros((0, 5)), "empty"),
    (np.full((4, 4), np.nan), "NaN"),
    (np.zeros((4, 4, 4)), "4 channels"),
    (np.zeros(4), "2-D or 3-D"),
    (np.array([["a"]]), "numbers"),
])
def test_compressor_bad_images(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        SVDCompressor().fit(bad)


def test_bad_ranks_and_arguments():
    comp = SVDCompressor().fit(rng.random((10, 12)))
    for k in (0, 11, -3):
        with pytest.raises(ValueError, match=r"1 <= k <= 10"):
            comp.reconstruct(k)
    with pytest.raises(TypeError, match="whole number"):
        comp.reconstruct(2.5)
    with pytest.raises(ValueError, match="1 <= k <= 3"):
        truncated_svd(np.ones((3, 5)), 4)
    with pytest.raises(RuntimeError, match="fit"):
        SVDCompressor().reconstruct(1)
    with pytest.raises(ValueError, match="mode"):
        SVDCompressor(mode="rows").fit(np.ones((3, 3)))
    with pytest.raises(ValueError, match="differ in shape"):
        psnr(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="all zeros"):
        relative_error(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="do not fit"):
        reconstruct(np.ones((3, 2)), np.ones(3), np.ones((3, 4)))
    with pytest.raises(ValueError, match="negative"):
        eckart_young_error([1.0, -1.0], 1)
