"""Bad input gets a clear error naming the argument, the problem and the fix -- never a silent wrong answer.

One row per case the fuzz of the library found, grouped by class: silent wrong results, errors that
leaked internals (a KeyError, cv2.error, a bare TypeError from a comparison, LinAlgError, MemoryError,
OverflowError), and contract bugs.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from mflib import layout
from mflib.imaging import encode_image, to_uint8, value_range
from mflib.metrics import psnr, psnr_from_mse, relative_error
from mflib.nmf import MultiplicativeNMF, beta_divergence, update_H, update_W
from mflib.plotting import tile
from mflib.quantize import breakeven_rank, dequantize, display_levels, from_levels, quantize_factors, storage_bytes
from mflib.recommend import MatrixFactorization
from mflib.rpca import RobustPCA, shrink, svt
from mflib.sliders import lowrank_slider, slider
from mflib.svd import SVDCompressor, randomized_svd
from mflib.video import clean_masks, foreground_masks

rng = np.random.default_rng(0)
RGBA = rng.random((6, 5, 4))


def _ratings():
    X = np.array([[1, 10], [1, 11], [2, 10], [2, 12], [3, 11], [3, 12]])
    return X, np.array([5.0, 3.0, 4.0, 1.0, 2.0, 4.0])


def _fitted():
    return MatrixFactorization(2, solver="als", max_iter=5, tol=0, random_state=0).fit(*_ratings())


# -- silent wrong results, now refused -------------------------------------------------------

SILENT = {
    "svt negative tau grows the singular values": (lambda: svt(np.eye(3), -1.0), ValueError, "tau"),
    "recommend a fractional user": (lambda: _fitted().recommend(1.5), TypeError, "user must be a whole number"),
    "recommend a negative count": (lambda: _fitted().recommend(1, n=-1), ValueError, "n=-1 is out of range"),
    "similar to a fractional item": (lambda: _fitted().similar_items(1.7), TypeError, "item must be a whole"),
    "uint64 id above 2**63 - 1 wraps": (lambda: MatrixFactorization().fit(
        np.array([[2 ** 63 + 5, 1], [1, 2]], dtype=np.uint64), [1.0, 2.0]), ValueError, r"above 2\*\*63 - 1"),
    "RGBA to encode_image drops alpha": (lambda: encode_image(RGBA), ValueError, "alpha channel"),
    "RGBA frame in a slider drops alpha": (lambda: slider(lambda k: RGBA, [1]).static_html(), ValueError, "alpha"),
    "RGBA reference of a low-rank slider": (lambda: lowrank_slider(*np.linalg.svd(rng.random((6, 5)),
                                            full_matrices=False), reference=RGBA), ValueError, "alpha"),
    "to_uint8 with vmin=nan gives zeros": (lambda: to_uint8(rng.random((3, 3)), vmin=np.nan), ValueError, "vmin"),
    "value_range with vmax=inf": (lambda: value_range([np.zeros((2, 2))], vmax=np.inf), ValueError, "vmax"),
    "tile with negative pad overlaps panels": (lambda: tile([np.zeros((2, 2))] * 2, pad=-2), ValueError, "pad"),
    "NMF of huge finite X returns NaN": (lambda: MultiplicativeNMF(2, max_iter=20).fit(np.full((4, 3), 1e200)),
                                         ValueError, "X.max()"),
    "MatrixFactorization of huge ratings returns NaN": (lambda: MatrixFactorization(solver="als").fit(
        *_ratings()[:1], _ratings()[1] * 1e200), ValueError, "rescale"),
}


@pytest.mark.parametrize("case", SILENT)
def test_silent_wrong_results_are_refused(case):
    call, error, match = SILENT[case]
    with pytest.raises(error, match=match):
        call()


def test_beta_divergence_of_huge_inputs_is_scaled_not_nan():
    X, Y = np.full((2, 2), 3e150), np.full((2, 2), 1e150)
    for beta in (0, 0.5, 1, 1.5, 2, 3):
        small = beta_divergence(X / 1e150, Y / 1e150, beta)
        exact = small * np.float64(1e150) ** beta if beta <= 2 else np.inf     # D(cX | cY) = c^beta D(X | Y)
        big = beta_divergence(X, Y, beta)
        assert not np.isnan(big), beta
        assert big == pytest.approx(exact, rel=1e-9) if np.isfinite(exact) else big == np.inf


def test_sgd_stopping_on_a_rising_loss_warns():
    X, y = _ratings()
    with pytest.warns(ConvergenceWarning, match="loss rose.*lower learning_rate"):
        MatrixFactorization(2, solver="sgd", learning_rate=5.0, max_iter=50, tol=0, random_state=0).fit(X, y)


# -- errors that leaked internals ------------------------------------------------------------

LEAKS = {
    "KeyError: 'U'": (lambda: dequantize({"u": 1}), ValueError, "quantize_factors returned"),
    "LinAlgError for NaN input": (lambda: svt(np.full((3, 3), np.nan), 0.1), ValueError, "NaN"),
    "TypeError '<' for a text tau": (lambda: shrink(np.ones(3), "a"), TypeError, "tau must be a number"),
    "sklearn names n_components for svt's rank": (lambda: svt(np.eye(4), 0.1, rank=0), ValueError, "rank=0"),
    "OverflowError for a huge user id": (lambda: _fitted().recommend(2 ** 70), ValueError, "user="),
    "cv2.error for quality out of range": (lambda: encode_image(np.zeros((2, 2)), "jpeg", quality=500),
                                           ValueError, "quality=500"),
    "TypeError '>' for a text peak": (lambda: psnr(np.zeros(2), np.zeros(2), peak="1"), TypeError, "peak"),
    "TypeError '>' for a text threshold": (lambda: foreground_masks(np.zeros((3, 4, 4)), threshold="5"),
                                          TypeError, "threshold must be a number"),
    "TypeError '<' for a text filter size": (lambda: clean_masks(np.zeros((1, 4, 4), bool), median="5"),
                                            TypeError, "median must be a whole number"),
    "IndexError for a panel out of range": (lambda: lowrank_slider(*np.linalg.svd(
        rng.random((6, 5)), full_matrices=False)).picture(1, panel=3), ValueError, "panel=3"),
}


@pytest.mark.parametrize("case", LEAKS)
def test_errors_name_the_argument_and_the_fix(case):
    call, error, match = LEAKS[case]
    with pytest.raises(error, match=match):
        call()


# -- contract bugs ---------------------------------------------------------------------------

def test_robust_pca_honours_any_random_state():
    X = rng.standard_normal((30, 3)) @ rng.standard_normal((3, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = RobustPCA(max_iter=3, random_state=np.random.RandomState(1)).fit(X).low_rank_
        b = RobustPCA(max_iter=3, random_state=np.random.RandomState(1)).fit(X).low_rank_
        c = RobustPCA(max_iter=3, random_state=np.random.RandomState(2)).fit(X).low_rank_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)              # the generator is used, not replaced by seed 0


def test_inverse_transforms_check_width_and_make_no_metadata_requests():
    X = rng.random((20, 6))
    rpca = RobustPCA().fit(X)
    nmf = MultiplicativeNMF(2, max_iter=20, tol=0).fit(X)
    for model in (rpca, nmf):
        assert not hasattr(model, "set_inverse_transform_request")
        assert not hasattr(model, "set_transform_request")
    with pytest.raises(ValueError, match="rank_"):
        rpca.inverse_transform(np.ones((2, rpca.rank_ + 1)))


def test_matrix_factorization_with_item_key_columns_returns_int_ids():
    X = np.array([[1, 10, 1], [1, 10, 2], [2, 10, 1], [2, 11, 1], [3, 10, 2], [3, 11, 1]])
    y = np.array([5.0, 3.0, 4.0, 1.0, 2.0, 4.0])
    mf = MatrixFactorization(2, solver="als", max_iter=5, tol=0, random_state=0).fit(X, y)
    assert mf.item_ids_.dtype == np.int64 and mf.item_ids_.shape == (3, 2)
    assert sorted(map(tuple, mf.item_ids_.tolist())) == [(10, 1), (10, 2), (11, 1)]
    items, sim = mf.similar_items([10, 1], n=2)
    assert items.shape == (2, 2) and [10, 1] not in items.tolist()
    best, _ = mf.recommend(1, n=3, exclude=[[10, 1]])
    assert [10, 1] not in best.tolist() and len(best) == 2
    np.testing.assert_allclose(mf.predict(X[:2]), mf.predict(X[:2]))


# -- found by benchmarks/fuzz_inputs.py --------------------------------------------------------

def test_relative_error_and_psnr_of_extreme_but_finite_values():
    A = rng.random((6, 4)) + 0.1
    for scale in (1e308, 1e-320, 1e200, 1e-200):       # the sum of squares overflows or underflows
        assert relative_error(A * scale, A * (0.5 * scale)) == pytest.approx(0.5, rel=1e-3), scale
    assert relative_error(A * 1e-300, A) == pytest.approx(1e300, rel=1e-6)
    with pytest.raises(ValueError, match="all zeros"):
        relative_error(np.zeros(3), np.ones(3))
    # 10 log10(peak^2 / mse) with peak^2 beyond float64
    assert psnr(A * 1e300, A * 0.5e300, peak=1e308) == pytest.approx(psnr(A, A * 0.5, peak=1e8))
    assert psnr(np.zeros(4), np.full(4, 0.1)) == pytest.approx(20.0)


PSNR_FROM_MSE = {   # each returned nan or -inf before
    "negative mse": ((-1.0,), "mse=-1.0 is out of range"),
    "nan mse": ((np.nan,), "mse must be finite"),
    "zero peak": ((0.1, 0.0), "peak=0.0 is out of range"),
}


@pytest.mark.parametrize("case", PSNR_FROM_MSE)
def test_psnr_from_mse_refuses_what_has_no_psnr(case):
    args, match = PSNR_FROM_MSE[case]
    with pytest.raises(ValueError, match=match):
        psnr_from_mse(*args)


LAYOUT = {   # silently wrong, or numpy's own words, before
    "RGBA image split in three": (lambda L: L.image_to_matrices(np.ones((4, 4, 4))), "alpha channel"),
    "1-D image": (lambda L: L.image_to_matrices(np.ones(4)), r"\(H, W, 3\)"),
    "unknown layout back": (lambda L: L.matrices_to_image([np.ones((2, 6))], "bogus"), "layout='bogus'"),
    "wide matrix not three channels": (lambda L: L.matrices_to_image([np.ones((2, 7))], "wide"), "divide by 3"),
    "1-D frames": (lambda L: L.frames_to_matrix(np.ones(3)), "frames must be"),
    "object frames became NaN": (lambda L: L.frames_to_matrix(np.array([[None]])), "dtype object"),
    "negative frame shape": (lambda L: L.matrix_to_frames(np.ones((2, 4)), (-2, -2)), "frame_shape"),
}


@pytest.mark.parametrize("case", LAYOUT)
def test_layout_refuses_what_is_not_a_picture(case):
    call, match = LAYOUT[case]
    with pytest.raises(ValueError, match=match):
        call(layout)


def test_layout_of_zero_frames_is_an_empty_matrix():
    assert layout.frames_to_matrix(np.empty((0, 4, 5, 3), np.uint8)).shape == (0, 60)


CLEAN = {   # each was filtered as if it were masks
    "one 2-D mask": np.zeros((4, 4), bool),
    "RGBA masks": np.zeros((2, 4, 4, 4), bool),
    "complex masks": np.zeros((2, 4, 4), complex),
    "object masks": np.array([[[None]]]),
    "float masks": np.zeros((2, 4, 4)),
}


@pytest.mark.parametrize("case", CLEAN)
def test_clean_masks_wants_boolean_masks(case):
    with pytest.raises(ValueError, match=r"boolean array \(n, H, W\)"):
        clean_masks(CLEAN[case])


def test_clean_masks_of_no_frames_and_of_integer_masks():
    assert clean_masks(np.zeros((0, 4, 4), bool)).shape == (0, 4, 4)
    m = np.zeros((1, 9, 9), np.uint8)
    m[0, 2:7, 2:7] = 255
    np.testing.assert_array_equal(clean_masks(m), clean_masks(m > 0))


TEXT = {   # scikit-learn said "could not convert string to float: 'a'", naming no argument
    "SVDCompressor": lambda X: SVDCompressor().fit(X),
    "RobustPCA": lambda X: RobustPCA().fit(X),
    "MultiplicativeNMF": lambda X: MultiplicativeNMF(1).fit(X),
}


@pytest.mark.parametrize("estimator", TEXT)
def test_estimators_name_text_in_X(estimator):
    fit = TEXT[estimator]
    with pytest.raises(ValueError, match="X holds entries that are not numbers"):
        fit(np.array([[1, "a"], [2, 3]], dtype=object))
    with pytest.raises(TypeError, match="X holds text"):
        fit(np.array([["1", "a"], ["2", "3"]]))
    with pytest.raises(TypeError, match="X is a string"):
        fit("face.png")
    fit(np.array([[1.0, 2.0], [3.0, 5.0]], dtype=object))       # numbers in an object array still work


def test_svds_of_huge_finite_matrices_are_scaled_not_linalgerror():
    A = rng.random((6, 4))
    exact = np.linalg.svd(A, compute_uv=False)
    _, s, _ = randomized_svd(A * 1e200, 2)
    np.testing.assert_allclose(s / 1e200, exact[:2], rtol=1e-10)
    with pytest.raises(ValueError, match="beyond float64's range"):     # sigma_1 is about 2.6e308
        randomized_svd(A * 1e308, 2)
    L, kept = svt(A * 1e300, 1e299)                                     # svt(cX, c tau) = c svt(X, tau)
    L0, kept0 = svt(A, 0.1)
    assert kept == kept0
    np.testing.assert_allclose(L / 1e300, L0, rtol=1e-10, atol=1e-12)
    assert np.isfinite(svt(A * 1e308, 1e307)[0]).all()


SVD_ARGS = {   # TypeError '<' not supported, numpy's "data type not understood", True taken as 1
    "text in clip": (lambda: SVDCompressor(clip=(0, "1")).fit(rng.random((3, 3))), ValueError,
                     "clip must be two numbers"),
    "unknown dtype": (lambda: storage_bytes((4, 5), 2, "float128x"), TypeError, "dtype='float128x'"),
    "unknown dtype, breakeven": (lambda: breakeven_rank((4, 5), "f9"), TypeError, "dtype='f9'"),
}


@pytest.mark.parametrize("case", SVD_ARGS)
def test_svd_arguments_are_named(case):
    call, error, match = SVD_ARGS[case]
    with pytest.raises(error, match=match):
        call()


def test_decoder_output_that_is_not_utf8_is_quoted_not_a_unicode_error(tmp_path, monkeypatch):
    import sys

    from mflib import io

    clip = tmp_path / "clip.avi"
    clip.write_bytes(b"\x00" * 64)
    # FFmpeg quotes a corrupt file's bytes in its messages: a child that writes such bytes and fails
    monkeypatch.setattr(io, "DECODER", [sys.executable, "-c", "import sys; sys.stderr.buffer.write("
                                        "b'bad header \\xf6\\xab\\n'); sys.exit(2)"])
    with pytest.raises(ValueError, match="bad header"):
        io.load_video(clip)
    with pytest.raises(ValueError, match="bad header"):
        list(io.iter_video(clip))


MORE = {   # each leaked an internal (ValueError from selectors, '<=' not supported, ufunc 'isfinite',
           # ZeroDivisionError, matmul's gufunc signature) or returned inf/nan
    "timeout=nan": (lambda io: io.load_video(__file__, timeout=float("nan")), ValueError, "timeout must be finite"),
    "object frames": (lambda io: io.write_animation("never.gif", np.array([[[None]]])), TypeError,
                      "frames must hold numbers"),
    "text in a slider's clip": (lambda io: lowrank_slider(*np.linalg.svd(rng.random((4, 3)), full_matrices=False),
                                                          clip=(0, "1")), ValueError, "clip must be two finite"),
    "reversed clip for display levels": (lambda io: display_levels(np.ones(3), (1.0, 0.0)), ValueError, "low < high"),
    "empty clip for display levels": (lambda io: from_levels(np.ones(3, np.uint8), (1.0, 1.0)), ValueError,
                                      "low < high"),
    "scale beyond float32": (lambda io: quantize_factors(np.ones((2, 1)) / 2 ** 0.5, np.array([1e300]),
                                                         np.ones((1, 2)) / 2 ** 0.5), ValueError, "float32's range"),
    "update_H with mismatched factors": (lambda io: update_H(np.ones((6, 4)), np.ones((6, 2)), np.ones((3, 4)), 2),
                                         ValueError, "shapes do not fit"),
    "update_W with mismatched factors": (lambda io: update_W(np.ones((6, 4)), np.ones((5, 2)), np.ones((2, 4)), 1),
                                         ValueError, "shapes do not fit"),
}


@pytest.mark.parametrize("case", MORE)
def test_more_arguments_are_named(case, tmp_path, monkeypatch):
    from mflib import io

    monkeypatch.chdir(tmp_path)
    call, error, match = MORE[case]
    with pytest.raises(error, match=match):
        call(io)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cores", [0, -1, True, 1.5])
def test_local_session_names_a_bad_core_count_before_starting_java(cores):
    from mflib.spark import local_session

    with pytest.raises((ValueError, TypeError), match="cores"):     # was Py4JJavaError for local[0]
        local_session(cores=cores)


BOOLS = {   # scikit-learn's Interval(Integral) took True for 1 (a one-iteration fit, a rank-1 model)
    "SVDCompressor n_components": lambda: SVDCompressor(n_components=True).fit(rng.random((3, 3))),
    "RobustPCA max_iter": lambda: RobustPCA(max_iter=True).fit(rng.random((3, 3))),
    "MultiplicativeNMF max_iter": lambda: MultiplicativeNMF(2, max_iter=True).fit(rng.random((3, 3))),
    "MatrixFactorization n_draws": lambda: MatrixFactorization(n_draws=True).fit(*_ratings()),
    "MatrixFactorization batch_size": lambda: MatrixFactorization(solver="sgd", batch_size=True).fit(*_ratings()),
}


@pytest.mark.parametrize("case", BOOLS)
def test_estimators_refuse_a_bool_for_a_number(case):
    with pytest.raises(TypeError, match="not a bool"):
        BOOLS[case]()


def test_similar_items_never_lists_the_item_itself():
    mf = _fitted()
    for n in (1, 3, 100):                        # n beyond the other items returned the item at -inf
        items, sim = mf.similar_items(10, n=n)
        assert 10 not in items.tolist() and np.isfinite(sim).all()
        assert len(items) == min(n, len(mf.item_ids_) - 1)


RATINGS_TEXT = {   # scikit-learn's "could not convert string to float", or a message naming X for exclude
    "text ratings": (lambda: MatrixFactorization(solver="als").fit(_ratings()[0], ["good"] * 6), "y holds text"),
    "text ids": (lambda: MatrixFactorization(solver="als").fit(np.array([[1, "a"]] * 6, dtype=object),
                                                               _ratings()[1]), "X holds entries that are not"),
    "text in exclude": (lambda: _fitted().recommend(1, exclude=["a"]), "exclude must hold whole-number"),
}


@pytest.mark.parametrize("case", RATINGS_TEXT)
def test_matrix_factorization_names_text(case):
    call, match = RATINGS_TEXT[case]
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_a_declared_boolean_parameter_is_still_accepted():
    from mflib._validation import refuse_bool_params
    from mflib.recommend import SparkALS

    refuse_bool_params(SparkALS(implicit_prefs=True))            # "boolean" in its constraints: valid
    with pytest.raises(TypeError, match="not a bool"):
        refuse_bool_params(SparkALS(n_components=True))


@pytest.mark.parametrize("frames", [np.zeros((5, 6, 7), bool), np.zeros((5, 6, 7, 3), np.uint8)])
def test_a_black_clip_has_no_foreground_and_a_bright_square_is_found(frames):
    from mflib.background import learn_background

    assert not foreground_masks(frames).any()            # was "X is all zeros: nothing to decompose"
    model = learn_background(frames.astype(np.uint8))
    bright = np.zeros((1, *frames.shape[1:]), np.uint8)
    bright[0, 2:4, 2:4] = 200
    assert model.detect(bright).sum() == 4


BACKGROUND = {   # nan or inf quantiles (so every pixel or none was foreground), an IndexError
    "negative threshold": (lambda m: m.detect(m_frames(), threshold=-1), ValueError, "threshold=-1"),
    "nan threshold": (lambda m: m.detect(m_frames(), threshold=np.nan), ValueError, "threshold must be finite"),
    "text threshold": (lambda m: m.detect(m_frames(), threshold="5"), TypeError, "threshold must be a number"),
    "frames of another size": (lambda m: m.background(m_frames()[:, :3]), ValueError, "do not match"),
}


def m_frames():
    return (np.random.default_rng(1).random((4, 6, 7)) * 255).astype(np.uint8)


@pytest.mark.parametrize("case", BACKGROUND)
def test_background_model_names_bad_arguments(case):
    from mflib.background import learn_background

    call, error, match = BACKGROUND[case]
    with pytest.raises(error, match=match):
        call(learn_background(m_frames()))
