import numpy as np
import pytest

from mflib.io import load_video
from mflib.video import cdnet_fmeasure, decompose, foreground_masks, frames_to_matrix, matrix_to_frames

rng = np.random.default_rng(0)


def synthetic_video(n=60, h=40, w=120):
    """A textured static background with slow illumination drift, a moving square, and noise.

    The square crosses the frame, covering any one pixel in about a tenth of the frames: sparse.
    """
    background = rng.uniform(0.4, 0.8, (h, w))      # the object (0.05) contrasts with all of it
    gain = 1 + 0.1 * np.sin(np.linspace(0, 3, n))
    frames = gain[:, None, None] * background + rng.normal(0, 0.01, (n, h, w))
    truth = np.zeros((n, h, w), bool)
    for t in range(n):
        x = (2 * t) % (w - 12)
        frames[t, 10:22, x:x + 12] = 0.05
        truth[t, 10:22, x:x + 12] = True
    return np.clip(frames, 0, 1).astype(np.float32), truth


def test_frames_matrix_round_trip():
    frames = rng.integers(0, 256, (5, 4, 3)).astype(np.uint8)
    M = frames_to_matrix(frames)
    assert M.shape == (12, 5) and M.dtype == np.float32
    np.testing.assert_allclose(M[:, 2], frames[2].ravel() / 255)
    np.testing.assert_allclose(matrix_to_frames(M, (4, 3)) * 255, frames, atol=1e-4)
    with pytest.raises(ValueError, match="needs 15 rows"):
        matrix_to_frames(M, (5, 3))


def test_masks_on_synthetic_video_find_the_square():
    frames, truth = synthetic_video()
    masks, parts = foreground_masks(frames, return_decomposition=True)
    assert masks.shape == frames.shape and masks.dtype == bool
    gt = np.where(truth, 255, 0).astype(np.uint8)
    score = cdnet_fmeasure(masks, gt)
    assert score.f > 0.95                            # the 5x5 clean-up only rounds the corners
    assert cdnet_fmeasure(foreground_masks(frames, median=0, close=0), gt).f == 1.0
    # the background follows the illumination drift and does not contain the square
    assert np.abs(parts.background[:, 30:, :] - frames[:, 30:, :]).max() < 0.06
    assert parts.rank >= 1 and parts.scale.shape == (40, 120)


def test_fmeasure_follows_cdnet_rules():
    gt = np.array([[[255, 255, 255, 0, 0, 50, 85, 170]]], np.uint8)
    masks = np.array([[[1, 1, 0, 1, 0, 1, 1, 1]]], bool)
    f, p, r = cdnet_fmeasure(masks, gt)
    assert (p, r) == (2 / 4, 2 / 3)                 # 85 and 170 ignored; shadow 50 is a false positive
    assert f == pytest.approx(2 * p * r / (p + r))
    roi = np.array([[True] * 4 + [False] * 4])
    assert cdnet_fmeasure(masks, gt, roi).precision == pytest.approx(2 / 3)
    assert cdnet_fmeasure(np.zeros_like(masks), gt) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("masks, gt, roi, err, match", [
    (np.zeros((1, 2, 2), bool), np.zeros((1, 2, 3), np.uint8), None, ValueError, "same shape"),
    (np.zeros((1, 2, 2)), np.zeros((1, 2, 2), np.uint8), None, TypeError, "boolean"),
    (np.zeros((1, 2, 2), bool), np.full((1, 2, 2), 7, np.uint8), None, ValueError, "labels"),
    (np.zeros((1, 2, 2), bool), np.zeros((1, 2, 2), np.uint8), np.ones((3, 3), bool), ValueError, "roi"),
])
def test_fmeasure_bad_input(masks, gt, roi, err, match):
    with pytest.raises(err, match=match):
        cdnet_fmeasure(masks, gt, roi)


@pytest.mark.parametrize("frames, err, match", [
    ([np.zeros((4, 4)), np.zeros((5, 4))], ValueError, "mixed shapes"),
    (np.zeros((1, 4, 4)), ValueError, "at least 2"),
    (np.zeros((4, 4)), ValueError, r"\(n_frames, H, W\)"),
    (np.zeros((3, 4, 4, 3)), ValueError, "colour"),
    (np.full((3, 4, 4), np.nan), ValueError, "NaN"),
    (np.array([["a"]]), TypeError, "numeric"),
])
def test_bad_frames(frames, err, match):
    with pytest.raises(err, match=match):
        foreground_masks(frames)


def test_bad_threshold_and_filters():
    frames, _ = synthetic_video(n=20)
    with pytest.raises(ValueError, match="threshold"):
        foreground_masks(frames, threshold=0)
    with pytest.raises(ValueError, match="odd size"):
        foreground_masks(frames, median=4)


def test_pipeline_on_a_real_clip(data_dir):
    frames = load_video(data_dir / "videos" / "escalator.avi", grayscale=True)
    masks = foreground_masks(frames)
    share = masks.mean()
    assert 0.005 < share < 0.3          # people move on the escalator; most of the scene does not


@pytest.mark.parametrize("make, match", [
    (lambda p, src: p.write_bytes(src.read_bytes()[:100000]), "truncated or corrupt"),
    (lambda p, src: p.write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage" * 100), "cannot open"),
])
def test_broken_video_files_give_clear_errors(data_dir, tmp_path, make, match):
    bad = tmp_path / "broken.avi"
    make(bad, data_dir / "videos" / "escalator.avi")
    with pytest.raises(ValueError, match=match):
        foreground_masks(load_video(bad, grayscale=True))


def test_uint8_frames_are_scaled_like_floats():
    frames, _ = synthetic_video(n=30)
    frames8 = np.round(frames * 255).astype(np.uint8)
    a = decompose(frames8)
    b = decompose(frames8.astype(np.float32) / 255)
    assert a.background.dtype == np.float32
    np.testing.assert_allclose(a.background, b.background, atol=0.01)   # a wrong scale would be 255x off
    np.testing.assert_allclose(a.scale, b.scale, atol=1e-3)
