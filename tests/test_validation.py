import numpy as np
import pytest

from mflib._validation import check_matrix, check_positive_int, check_rank


def test_check_matrix_converts_and_keeps_values():
    out = check_matrix([[1, 2], [3, 4]])
    assert out.dtype == np.float64 and out.shape == (2, 2)
    np.testing.assert_array_equal(out, [[1, 2], [3, 4]])


def test_check_matrix_keeps_float32_when_asked():
    X = np.ones((2, 3), dtype=np.float32)
    assert check_matrix(X, dtype=None).dtype == np.float32
    assert check_matrix(X, dtype=None) is X          # no copy unless asked
    assert check_matrix(X, dtype=None, copy=True) is not X


@pytest.mark.parametrize("bad, match", [
    (np.ones(3), "must be 2-D"),
    (np.ones((2, 2, 2)), "must be 2-D"),
    (np.ones((0, 3)), "empty"),
    (np.array([[1.0, np.nan]]), "NaN or infinite"),
    (np.array([[1.0, np.inf]]), "NaN or infinite"),
    (np.array([["a", "b"]]), "must hold numbers"),
    (np.ones((2, 2), dtype=complex), "complex"),
])
def test_check_matrix_rejects_bad_input(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        check_matrix(bad)


def test_check_matrix_ragged_list():
    with pytest.raises(ValueError, match="rectangular"):
        check_matrix([[1, 2], [3]])


def test_check_matrix_nonnegative():
    with pytest.raises(ValueError, match="negative entries"):
        check_matrix([[1.0, -0.5]], nonnegative=True)
    assert check_matrix([[0.0, 1.0]], nonnegative=True).min() == 0


def test_check_rank_bounds():
    assert check_rank(3, (5, 3)) == 3
    for k in (0, 4, -1):
        with pytest.raises(ValueError, match=r"1 <= k <= 3"):
            check_rank(k, (5, 3))
    with pytest.raises(TypeError, match="whole number"):
        check_rank(2.5, (5, 3))
    with pytest.raises(TypeError, match="whole number"):
        check_rank(True, (5, 3))


def test_check_positive_int():
    assert check_positive_int(np.int64(4), "n") == 4
    with pytest.raises(ValueError, match="positive whole number"):
        check_positive_int(0, "n")
