import cv2
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_info

from mflib import datasets, io
from mflib.metrics import psnr, relative_error
from mflib.quantize import breakeven_rank, dequantize, packed_bytes, quantize_factors, quantize_term, storage_bytes
from mflib.svd import (
    SVDCompressor,
    eckart_young_error,
    randomized_svd,
    reconstruct,
)


def truncated_svd(A, k):
    """The reference: NumPy's thin SVD cut to rank k."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return U[:, :k], s[:k], Vt[:k]

rng = np.random.default_rng(0)


def test_compressor_factors_match_numpy_and_are_orthonormal():
    A = rng.standard_normal((30, 20))
    comp = SVDCompressor().fit(A)
    U, s, Vt = comp.factors(5)
    assert comp.layout_ == "gray"
    s_np = np.linalg.svd(A, compute_uv=False)
    assert U.shape == (30, 5) and s.shape == (5,) and Vt.shape == (5, 20)
    np.testing.assert_allclose(s, s_np[:5])
    np.testing.assert_allclose(U.T @ U, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(reconstruct(*comp.factors()), A, atol=1e-12)
    rgb = rng.random((6, 5, 3))
    for layout, shapes in [("channels", [(3, 6, 5), (3, 5), (3, 5, 5)]), ("wide", [(6, 6), (6,), (6, 15)]),
                           ("tall", [(18, 5), (5,), (5, 5)])]:
        assert [x.shape for x in SVDCompressor(layout=layout).fit(rgb).factors()] == shapes


def test_eckart_young_equality_and_optimality():
    A = rng.standard_normal((40, 25))
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    for k in (1, 3, 10, 25):
        assert np.isclose(relative_error(A, reconstruct(U, s, Vt, k)), eckart_young_error(s, k))
    U3, s3, Vt3 = truncated_svd(A, 3)
    other = reconstruct(U3 + 0.01 * rng.standard_normal(U3.shape), s3, Vt3)
    assert relative_error(A, other) > eckart_young_error(s, 3)


def test_randomized_svd_from_scratch():
    # a photograph-like slowly decaying spectrum: power iterations matter
    m, n, r = 120, 90, 90
    Q1, _ = np.linalg.qr(rng.standard_normal((m, r)))
    Q2, _ = np.linalg.qr(rng.standard_normal((n, r)))
    sig = 1.0 / np.arange(1, r + 1) ** 0.7
    A = (Q1 * sig) @ Q2.T
    best = eckart_young_error(sig, 10)
    errs = [relative_error(A, reconstruct(*randomized_svd(A, 10, n_iter=q))) for q in range(4)]
    assert all(e >= best - 1e-12 for e in errs)
    assert errs[0] > errs[2] and errs[2] < 1.05 * best                # iterations close the gap
    U, s, Vt = randomized_svd(A, 10, n_iter=2, random_state=3)
    np.testing.assert_allclose(U.T @ U, np.eye(10), atol=1e-12)
    assert np.all(s <= sig[:10] + 1e-12)                              # never above the true ones
    np.testing.assert_array_equal(randomized_svd(A, 5)[1], randomized_svd(A, 5)[1])   # seeded
    with pytest.raises(ValueError, match="n_iter"):
        randomized_svd(A, 5, n_iter=-1)
    with pytest.raises(ValueError, match="1 <= k <= 90"):
        randomized_svd(A, 91)


def test_bytes_and_breakeven():
    assert storage_bytes((15, 25), 3) == 3 * 41 * 8
    assert storage_bytes((15, 25), 3, np.float16) == 3 * 41 * 2
    assert [breakeven_rank((427, 640), d) for d in ("float64", "float32", "float16")] == [31, 63, 127]
    for shape, d in [((427, 640), "float32"), ((30, 7), "float16"), ((512, 512), "float64")]:
        k = breakeven_rank(shape, d)
        assert storage_bytes(shape, k, d) < shape[0] * shape[1] <= storage_bytes(shape, k + 1, d)
    assert breakeven_rank((2, 2), "float64") == 0
    assert breakeven_rank((5, 4), "uint8", pixel_bytes=8) == 4          # capped at the full rank


def test_quantized_factors():
    A = rng.random((40, 30))
    U, s, Vt = truncated_svd(A, 6)
    q = quantize_factors(U, s, Vt)
    assert q["U"].dtype == np.int8 and q["nbytes"] == 6 * (40 + 30) + 6 * 4
    exact = reconstruct(U, s, Vt)
    err8 = relative_error(exact, dequantize(q))
    err16 = relative_error(exact, dequantize(quantize_factors(U, s, Vt, bits=16)))
    assert err8 < 0.01 and err16 < err8 / 100


def test_quantized_factors_with_bits_per_term():
    A = rng.random((40, 30))
    U, s, Vt = truncated_svd(A, 5)
    bits = [12, 8, 6, 4, 2]
    q = quantize_factors(U, s, Vt, bits=bits)
    assert q["bits"].tolist() == bits and q["U"].dtype == np.int16          # a term above 8 bits needs int16
    packed = sum(-(-40 * b // 8) - (-30 * b // 8) + 4 for b in bits)        # ceil(m b / 8) + ceil(n b / 8) + 4
    assert q["nbytes"] == packed_bytes(40, 30, bits) == packed
    for i, b in enumerate(bits):                                            # integers within each term's levels
        top = 2 ** (b - 1) - 1
        assert np.abs(q["U"][:, i]).max() == top and np.abs(q["Vt"][i]).max() == top
    # each bit less multiplies a term's squared rounding error by about 4
    noise = [quantize_term(U[:, 0], Vt[0], s[0], b)[3] for b in (4, 6, 8, 10)]
    assert all(8 < a / b < 32 for a, b in zip(noise, noise[1:]))
    exact = reconstruct(U, s, Vt)
    assert np.sum((dequantize(q) - exact) ** 2) < np.sum((dequantize(quantize_factors(U, s, Vt, bits=2)) - exact) ** 2)
    one = quantize_factors(U, s, Vt, bits=8)
    assert one["nbytes"] == one["U"].nbytes + one["Vt"].nbytes + one["scale"].nbytes   # 8 bits: the arrays' size


@pytest.mark.parametrize("bits", [1, 17, 6.0, True, "8", [8, 8]])
def test_quantized_factors_refuse_bad_bits(bits):
    U, s, Vt = truncated_svd(rng.random((10, 8)), 5)
    with pytest.raises(ValueError, match="bits"):
        quantize_factors(U, s, Vt, bits=bits)


def test_known_answers():
    assert np.isclose(psnr(np.zeros((2, 2)), np.full((2, 2), 0.1)), 20.0)
    assert psnr(np.ones(3), np.ones(3)) == float("inf")
    assert np.isclose(psnr(np.zeros(4), np.full(4, 25.5), peak=255), 20.0)
    assert np.isclose(relative_error(np.array([3.0, 4.0]), np.array([3.0, 0.0])), 0.8)
    assert np.isclose(eckart_young_error([4.0, 3.0], 1), 0.6)




def test_transformer_on_a_matrix():
    X = rng.standard_normal((20, 12))
    comp = SVDCompressor(n_components=4).fit(X)
    Z = comp.transform(X)
    assert Z.shape == (20, 4) and comp.n_features_in_ == 12
    np.testing.assert_allclose(comp.inverse_transform(Z), reconstruct(*truncated_svd(X, 4)), atol=1e-12)
    np.testing.assert_allclose(comp.reconstruct(), comp.inverse_transform(Z), atol=1e-12)
    assert list(comp.get_feature_names_out()) == [f"svdcompressor{i}" for i in range(4)]
    with pytest.raises(ValueError, match="12 features"):
        comp.transform(X[:, :5])
    with pytest.raises(ValueError, match="n_components=30 exceeds"):
        SVDCompressor(n_components=30).fit(X)


@pytest.mark.parametrize("mode", ["channels", "wide", "tall"])
def test_compressor_rgb_modes(mode):
    img = rng.random((24, 30, 3))
    comp = SVDCompressor(layout=mode, clip=(0.0, 1.0)).fit(img)
    np.testing.assert_allclose(comp.reconstruct(comp.max_rank_, clip=False), img, atol=1e-12)
    chans = [img[..., c] for c in range(3)]
    if mode == "channels":
        assert comp.singular_values_.shape == (3, 24)
        for c in range(3):
            expected = reconstruct(*truncated_svd(chans[c], 4))
            np.testing.assert_allclose(comp.reconstruct(4, clip=False)[..., c], expected, atol=1e-12)
        assert comp.storage_bytes(4) == 3 * 4 * (24 + 30 + 1) * 8
    elif mode == "wide":
        expected = reconstruct(*truncated_svd(np.concatenate(chans, axis=1), 4))
        np.testing.assert_allclose(comp.reconstruct(4, clip=False)[..., 1], expected[:, 30:60], atol=1e-12)
        assert comp.storage_bytes(4, "float32") == 4 * (24 + 90 + 1) * 4
    else:
        assert comp.max_rank_ == 30
        expected = reconstruct(*truncated_svd(np.concatenate(chans, axis=0), 4))
        np.testing.assert_allclose(comp.reconstruct(4, clip=False)[..., 2], expected[48:], atol=1e-12)
        assert comp.storage_bytes(4, "float16") == 4 * (72 + 30 + 1) * 2
    out = comp.reconstruct(2)
    assert out.shape == img.shape and out.min() >= 0 and out.max() <= 1
    assert comp.components_ is None
    with pytest.raises(ValueError, match="reconstruct"):
        comp.transform(img[..., 0])


def test_every_rank_matches_the_truncated_svd():
    """Ranks above r/2 are computed as the image minus the tail: same result."""
    img = rng.random((15, 11))
    comp = SVDCompressor(clip=(0.0, 1.0)).fit(img)
    U, s, Vt = np.linalg.svd(img, full_matrices=False)
    for k in range(1, 12):
        exact = reconstruct(U, s, Vt, k)
        np.testing.assert_allclose(comp.reconstruct(k, clip=False), exact, atol=1e-12)
        np.testing.assert_allclose(comp.reconstruct(k), np.clip(exact, 0, 1), atol=1e-12)


def test_reconstruct_restores_blas_threads():
    before = [lib["num_threads"] for lib in threadpool_info()]
    SVDCompressor().fit(rng.random((20, 20))).reconstruct(3)
    assert [lib["num_threads"] for lib in threadpool_info()] == before


def test_compressor_grayscale_ratio():
    img = rng.random((20, 40))
    comp = SVDCompressor().fit(img)
    assert np.isclose(comp.storage_bytes(2) / comp.image_bytes(), 2 * 61 * 8 / 800)
    k = breakeven_rank(img.shape, "float32")
    assert comp.storage_bytes(k, "float32") < comp.image_bytes() <= comp.storage_bytes(k + 1, "float32")


def test_compressor_on_rgba_and_16bit_files(tmp_path):
    """Files readers bring: RGBA and 16-bit PNGs are converted by load_image, then compress."""
    rgba = (rng.random((16, 20, 4)) * 255).astype(np.uint8)
    rgba[0, 0, 3] = 0
    assert cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    deep = (rng.random((16, 20, 3)) * 65535).astype(np.uint16)
    assert cv2.imwrite(str(tmp_path / "deep.png"), deep)
    for name in ("rgba.png", "deep.png"):
        img = io.load_image(tmp_path / name)
        comp = SVDCompressor(clip=(0.0, 1.0)).fit(img)
        np.testing.assert_allclose(comp.reconstruct(16), img, atol=1e-10)
        assert 0 < relative_error(img, comp.reconstruct(3)) < 1


def test_sample_image_compresses():
    img = datasets.sample_image("china", grayscale=True)[::8, ::8]
    comp = SVDCompressor().fit(img)
    errors = [relative_error(img, comp.reconstruct(k, clip=False)) for k in (1, 5, 20)]
    assert errors == sorted(errors, reverse=True)


@pytest.mark.parametrize("bad, err, match", [
    (np.zeros((0, 5)), ValueError, "0 sample"),
    (np.full((4, 4), np.nan), ValueError, "NaN or infinite"),
    (np.full((4, 4, 3), np.inf), ValueError, "NaN or infinite"),
    (np.zeros((4, 4, 4)), ValueError, r"RGB image \(H, W, 3\)"),
    (np.zeros((4, 4, 1)), ValueError, r"RGB image \(H, W, 3\)"),
    (np.zeros(4), ValueError, "2D array"),
    (np.full((4, 4, 3), 200, dtype=np.uint8), ValueError, "divide by 255"),
    (np.full((4, 4), 3.0), ValueError, r"outside clip=\(0.0, 1.0\)"),
    (np.full((4, 4), -0.5), ValueError, r"outside clip"),
])
def test_compressor_bad_images(bad, err, match):
    with pytest.raises(err, match=match):
        SVDCompressor(clip=(0.0, 1.0)).fit(bad)


def test_compressor_accepts_rounding_overshoot_and_any_matrix_without_clip():
    img = np.clip(rng.random((6, 5)), 0, 1)
    img[0, 0] = 1 + 6e-8
    assert SVDCompressor(clip=(0.0, 1.0)).fit(img).reconstruct(5).max() <= 1
    assert SVDCompressor().fit(np.full((4, 4), 200, dtype=np.uint8)).reconstruct(1).max() > 199


def test_bad_ranks_and_arguments():
    comp = SVDCompressor().fit(rng.random((10, 12)))
    for k in (0, 11, -3):
        with pytest.raises(ValueError, match=r"1 <= k <= 10"):
            comp.reconstruct(k)
    for k in (2.5, "3"):
        with pytest.raises(TypeError, match="whole number"):
            comp.reconstruct(k)
    with pytest.raises(ValueError, match=r"1 <= k <= 10"):
        comp.storage_bytes(11)
    with pytest.raises(NotFittedError):
        SVDCompressor().reconstruct(1)
    with pytest.raises(ValueError, match="layout"):
        SVDCompressor(layout="rows").fit(np.ones((3, 3)))
    with pytest.raises(ValueError, match="low < high"):
        SVDCompressor(clip=(1.0, 0.0)).fit(np.ones((3, 3)))
    with pytest.raises(ValueError, match="1 <= k <= 3"):
        SVDCompressor().fit(np.ones((3, 5))).factors(4)
    with pytest.raises(ValueError, match="differ in shape"):
        psnr(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="peak=255"):
        psnr(np.full(3, 200.0), np.zeros(3))
    with pytest.raises(ValueError, match="all zeros"):
        relative_error(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="do not fit"):
        reconstruct(np.ones((3, 2)), np.ones(3), np.ones((3, 4)))
    with pytest.raises(ValueError, match="largest first"):
        eckart_young_error([1.0, 2.0], 1)
    with pytest.raises(ValueError, match="A.shape, not A"):
        storage_bytes(np.ones((4, 4)), 1)
    with pytest.raises(ValueError, match="pixel_bytes"):
        breakeven_rank((3, 3), pixel_bytes=0)
