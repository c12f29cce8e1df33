import numpy as np
import pytest

from mflib.robust import deviation_scale, half_sample_mode, reweighted_scale, truncated_chi2_mean

rng = np.random.default_rng(0)


def hsm_reference(x):
    """Bickel and Fruehwirth's recursion, one sample at a time."""
    x = np.sort(x)
    while len(x) > 3:
        k = int(np.ceil(len(x) / 2))
        i = int(np.argmin(x[k - 1:] - x[:len(x) - k + 1]))
        x = x[i:i + k]
    if len(x) == 3:
        left, right = x[1] - x[0], x[2] - x[1]
        return (x[0] + x[1]) / 2 if left < right else (x[1] + x[2]) / 2 if left > right else x[1]
    return x.mean()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 80])
def test_half_sample_mode_matches_the_recursion(n):
    Y = rng.normal(size=(50, n))
    np.testing.assert_allclose(half_sample_mode(Y), [hsm_reference(y) for y in Y])


def test_half_sample_mode_survives_most_of_the_sample_being_foreground():
    # 25 % background near 0.5, 75 % foreground scattered over [0.55, 1]: the median breaks down, the mode does not
    n, p = 80, 2000
    Y = rng.uniform(0.55, 1, (p, n))
    Y[:, :20] = 0.5 + rng.normal(0, 0.005, (p, 20))
    assert np.median(np.abs(half_sample_mode(Y) - 0.5)) < 0.01
    assert np.median(np.abs(np.median(Y, axis=1) - 0.5)) > 0.02


def test_scales_are_consistent_and_survive_contamination():
    x = rng.normal(0, 2, (200, 401))
    for coverage in (0.1, 0.25, 0.5):
        assert np.median(deviation_scale(np.abs(x), coverage)) == pytest.approx(2, rel=0.05)
    np.testing.assert_allclose(deviation_scale(np.abs(x), 0.5), 1.4826 * np.median(np.abs(x), axis=1), rtol=1e-3)
    # reweighting from a start twice too small or too large lands on the true scale
    for start in (1.0, 4.0):
        s = reweighted_scale(x * x, np.full(200, start), 1, 3.0, n_iter=20)
        assert np.median(s) == pytest.approx(2, rel=0.03)
    # 70 % foreground far away: the MAD breaks down, a tenth-coverage start and the reweighting do not
    y = np.where(rng.random((200, 80)) < 0.3, rng.normal(0, 0.01, (200, 80)), rng.uniform(0.2, 1, (200, 80)))
    assert np.median(deviation_scale(np.abs(y), 0.5)) > 0.1
    s = reweighted_scale(y * y, deviation_scale(np.abs(y), 0.1))
    assert np.median(s) == pytest.approx(0.01, rel=0.2)


def test_truncation_factor_and_two_dimensional_scale():
    k, f = truncated_chi2_mean(3.0, 1)
    z = rng.normal(size=2_000_000)
    assert k == pytest.approx(9) and f == pytest.approx(np.mean(z[z * z <= 9] ** 2), rel=2e-3)
    xy = rng.normal(0, 0.5, (100, 400, 2))
    s = reweighted_scale((xy ** 2).sum(-1), np.full(100, 0.3), 2, 3.0, n_iter=10)
    assert np.median(s) == pytest.approx(0.5, rel=0.03)


def test_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        half_sample_mode(np.zeros(5))
    with pytest.raises(ValueError, match="coverage"):
        deviation_scale(np.zeros((2, 5)), 0)
