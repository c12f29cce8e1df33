import cv2
import numpy as np
import pytest
from threadpoolctl import threadpool_info

from mflib import datasets, io
from mflib.sliders import slider
from mflib.svd import (
    SVDCompressor,
    breakeven_rank,
    eckart_young_error,
    psnr,
    reconstruct,
    relative_error,
    storage_cost,
    truncated_svd,
)

rng = np.random.default_rng(0)


def test_truncated_svd_matches_numpy_and_is_orthonormal():
    A = rng.standard_normal((30, 20))
    U, s, Vt = truncated_svd(A, 5)
    s_np = np.linalg.svd(A, compute_uv=False)
    assert U.shape == (30, 5) and s.shape == (5,) and Vt.shape == (5, 20)
    assert U.dtype == s.dtype == Vt.dtype == np.float64
    np.testing.assert_allclose(s, s_np[:5])
    np.testing.assert_allclose(U.T @ U, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(reconstruct(*truncated_svd(A, 20)), A, atol=1e-12)
    # the rank-k part is unique up to signs of the singular vector pairs
    U_np, _, Vt_np = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(reconstruct(U, s, Vt), (U_np[:, :5] * s_np[:5]) @ Vt_np[:5], atol=1e-12)


def test_eckart_young_equality_for_truncated_svd():
    A = rng.standard_normal((40, 25))
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    for k in (1, 3, 10, 25):
        err = relative_error(A, reconstruct(U, s, Vt, k))
        assert np.isclose(err, eckart_young_error(s, k))
    assert eckart_young_error(s, 25) == 0.0
    # any other rank-3 matrix does worse, e.g. a perturbed truncation
    U3, s3, Vt3 = truncated_svd(A, 3)
    other = reconstruct(U3 + 0.01 * rng.standard_normal(U3.shape), s3, Vt3)
    assert relative_error(A, other) > eckart_young_error(s, 3)


def test_known_answers():
    assert storage_cost((15, 25), 3) == 123
    assert breakeven_rank((512, 512)) == 255
    assert storage_cost((512, 512), 255) < 512 * 512 <= storage_cost((512, 512), 256)
    assert breakeven_rank((2, 2)) == 0                      # rank 1 already costs 5 > 4 numbers
    for shape in [(427, 640), (30, 7), (1, 9)]:
        k = breakeven_rank(shape)
        assert k * (sum(shape) + 1) < shape[0] * shape[1] <= (k + 1) * (sum(shape) + 1)
    assert np.isclose(psnr(np.zeros((2, 2)), np.full((2, 2), 0.1)), 20.0)
    assert psnr(np.ones(3), np.ones(3)) == float("inf")
    assert np.isclose(psnr(np.zeros(4), np.full(4, 25.5), peak=255), 20.0)
    assert np.isclose(psnr(np.zeros(4), np.array([0.0, 0.0, 0.0, 0.2])), 10 * np.log10(100))
    assert np.isclose(relative_error(np.array([3.0, 4.0]), np.array([3.0, 0.0])), 0.8)
    assert np.isclose(eckart_young_error([4.0, 3.0], 1), 0.6)


@pytest.mark.parametrize("mode", ["channels", "stacked"])
def test_compressor_rgb_modes(mode):
    img = rng.random((24, 30, 3))
    comp = SVDCompressor(mode=mode).fit(img)
    full = comp.max_rank_
    assert full == 24
    np.testing.assert_allclose(comp.reconstruct(full, clip=False), img, atol=1e-12)
    if mode == "channels":
        assert comp.singular_values_.shape == (3, 24)
        for c in range(3):
            np.testing.assert_allclose(comp.singular_values_[c], np.linalg.svd(img[..., c], compute_uv=False))
            expected = reconstruct(*truncated_svd(img[..., c], 4))
            np.testing.assert_allclose(comp.reconstruct(4, clip=False)[..., c], expected, atol=1e-12)
        assert comp.storage(4) == 3 * 4 * (24 + 30 + 1)
    else:
        stacked = np.concatenate([img[..., c] for c in range(3)], axis=1)
        assert comp.singular_values_.shape == (1, 24)
        expected = reconstruct(*truncated_svd(stacked, 4))
        np.testing.assert_allclose(comp.reconstruct(4, clip=False)[..., 1], expected[:, 30:60], atol=1e-12)
        assert comp.storage(4) == 4 * (24 + 90 + 1)
    out = comp.reconstruct(2)
    assert out.shape == img.shape and out.dtype == np.float64
    assert out.min() >= 0 and out.max() <= 1


def test_every_rank_matches_the_truncated_svd():
    """Ranks above r/2 are computed as the image minus the tail: same result."""
    img = rng.random((15, 11))
    comp = SVDCompressor().fit(img)
    U, s, Vt = np.linalg.svd(img, full_matrices=False)
    for k in range(1, 12):
        exact = reconstruct(U, s, Vt, k)
        np.testing.assert_allclose(comp.reconstruct(k, clip=False), exact, atol=1e-12)
        np.testing.assert_allclose(comp.reconstruct(k), np.clip(exact, 0, 1), atol=1e-12)
        assert np.isclose(relative_error(img, comp.reconstruct(k, clip=False)), eckart_young_error(s, k))


def test_reconstruct_restores_blas_threads():
    before = [lib["num_threads"] for lib in threadpool_info()]
    SVDCompressor().fit(rng.random((20, 20))).reconstruct(3)
    assert [lib["num_threads"] for lib in threadpool_info()] == before


def test_compressor_grayscale_ratio():
    img = rng.random((20, 40))
    comp = SVDCompressor().fit(img)
    assert comp.max_rank_ == 20
    assert comp.singular_values_.shape == (1, 20)
    assert np.isclose(comp.compression_ratio(2), 2 * 61 / 800)
    assert comp.compression_ratio(breakeven_rank(img.shape)) < 1 <= comp.compression_ratio(
        breakeven_rank(img.shape) + 1)


def test_compressor_on_rgba_and_16bit_files(tmp_path):
    """Files readers bring: RGBA and 16-bit PNGs are converted by load_image, then compress."""
    rgba = (rng.random((16, 20, 4)) * 255).astype(np.uint8)
    rgba[0, 0, 3] = 0                                        # one fully transparent pixel
    assert cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    deep = (rng.random((16, 20, 3)) * 65535).astype(np.uint16)
    assert cv2.imwrite(str(tmp_path / "deep.png"), deep)
    loaded = {name: io.load_image(tmp_path / name) for name in ("rgba.png", "deep.png")}
    np.testing.assert_allclose(loaded["rgba.png"][0, 0], 1.0)            # composited onto white
    np.testing.assert_allclose(loaded["deep.png"], deep[..., ::-1] / 65535)  # 16-bit precision kept
    for img in loaded.values():
        comp = SVDCompressor().fit(img)
        assert comp.reconstruct(16).shape == (16, 20, 3)
        np.testing.assert_allclose(comp.reconstruct(16), img, atol=1e-10)
        assert 0 < relative_error(img, comp.reconstruct(3)) < 1


def test_sample_image_compresses():
    img = datasets.sample_image("china", grayscale=True)[::8, ::8]
    comp = SVDCompressor().fit(img)
    errors = [relative_error(img, comp.reconstruct(k, clip=False)) for k in (1, 5, 20)]
    assert errors == sorted(errors, reverse=True)


@pytest.mark.parametrize("bad, err, match", [
    (np.zeros((0, 5)), ValueError, "empty"),
    (np.full((4, 4), np.nan), ValueError, "NaN"),
    (np.zeros((4, 4, 4)), ValueError, "4 channel"),
    (np.zeros((4, 4, 1)), ValueError, "1 channel"),
    (np.zeros(4), ValueError, "2-D or 3-D"),
    (np.array([["a"]]), TypeError, "numbers"),
    (np.full((4, 4, 3), 200, dtype=np.uint8), ValueError, r"uint8 .* image / 255"),
    (np.full((4, 4), 60000, dtype=np.uint16), ValueError, r"uint16 .* image / 65535"),
    (np.full((4, 4), 3.0), ValueError, r"outside \[0, 1\]"),
    (np.full((4, 4), -0.5), ValueError, r"outside \[0, 1\]"),
])
def test_compressor_bad_images(bad, err, match):
    with pytest.raises(err, match=match):
        SVDCompressor().fit(bad)


def test_compressor_accepts_rounding_overshoot_and_binary_images():
    img = np.clip(rng.random((6, 5)), 0, 1)
    img[0, 0] = 1 + 6e-8                      # what a float32 resize can produce
    assert SVDCompressor().fit(img).reconstruct(5).max() <= 1
    assert SVDCompressor().fit(np.eye(4, dtype=np.uint8)).max_rank_ == 4


def test_bad_ranks_and_arguments():
    comp = SVDCompressor().fit(rng.random((10, 12)))
    for k in (0, 11, -3):
        with pytest.raises(ValueError, match=r"1 <= k <= 10"):
            comp.reconstruct(k)
    for k in (2.5, "3", None):
        with pytest.raises(TypeError, match="whole number"):
            comp.reconstruct(k)
    with pytest.raises(ValueError, match=r"1 <= k <= 10"):
        comp.storage(11)
    with pytest.raises(ValueError, match="1 <= k <= 3"):
        truncated_svd(np.ones((3, 5)), 4)
    with pytest.raises(ValueError, match="1 <= k <= 3"):
        storage_cost((3, 5), 0)
    with pytest.raises(RuntimeError, match="fit"):
        SVDCompressor().reconstruct(1)
    with pytest.raises(ValueError, match="mode"):
        SVDCompressor(mode="rows").fit(np.ones((3, 3)))
    with pytest.raises(ValueError, match="differ in shape"):
        psnr(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="peak"):
        psnr(np.ones(2), np.zeros(2), peak=0)
    with pytest.raises(ValueError, match="peak=255"):
        psnr(np.full(3, 200.0), np.zeros(3))
    with pytest.raises(ValueError, match="all zeros"):
        relative_error(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="do not fit"):
        reconstruct(np.ones((3, 2)), np.ones(3), np.ones((3, 4)))
    with pytest.raises(ValueError, match="negative"):
        eckart_young_error([1.0, -1.0], 1)
    with pytest.raises(ValueError, match="largest first"):
        eckart_young_error([1.0, 2.0], 1)
    with pytest.raises(ValueError, match="A.shape, not A"):
        storage_cost(np.ones((4, 4)), 1)
    with pytest.raises(ValueError, match=r"pair \(m, n\)"):
        breakeven_rank((3, 0))


def test_slider_over_the_compressor_refuses_empty_values():
    comp = SVDCompressor().fit(rng.random((8, 8)))
    with pytest.raises(ValueError, match="values is empty"):
        slider(comp.reconstruct, [], name="k")
    s = slider(comp.reconstruct, [1, 8], name="k", value=1)
    assert s.payload_bytes > 0
    with pytest.raises(ValueError, match="not one of"):
        s.step(9)
