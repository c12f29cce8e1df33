from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from mflib.background import learn_background
from mflib.io import load_video, write_animation
from mflib.layout import frames_to_matrix, matrix_to_frames
from mflib.metrics import cdnet_fmeasure
from mflib.video import evenly_spaced, foreground_masks, iter_foreground_masks

rng = np.random.default_rng(0)


def synthetic_video(n=60, h=40, w=120, colour=False, kind="drift", seed=0):
    """A textured static background, a moving dark square, noise; known foreground.

    kind: "drift" (slow global illumination change), "jitter" (the camera shakes by up to
    1 pixel), "waving" (a band of background pixels flickers strongly, like leaves or water),
    "step" (the light switches to 70 % half-way).
    """
    g = np.random.default_rng(seed)
    c = 3 if colour else 1
    base = g.uniform(0.4, 0.8, (h + 2, w + 2, c))
    if kind == "jitter":           # natural images are smooth at the pixel scale: blur the texture
        base = 0.6 + 2 * (cv2.GaussianBlur(base, (0, 0), 1.5).reshape(base.shape) - 0.6)
    frames = np.empty((n, h, w, c))
    for t in range(n):
        dy, dx = g.integers(-1, 2, 2) if kind == "jitter" else (0, 0)
        frames[t] = base[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
    gain = {"drift": 1 + 0.1 * np.sin(np.linspace(0, 3, n)),
            "step": np.where(np.arange(n) < n // 2, 1.0, 0.7)}.get(kind, np.ones(n))
    frames *= gain[:, None, None, None]
    if kind == "waving":
        frames[:, 30:, :] += 0.15 * np.sin(g.uniform(0, 6, (h - 30, w, 1)) + np.arange(n)[:, None, None, None])
    frames += g.normal(0, 0.01, frames.shape)
    truth = np.zeros((n, h, w), bool)
    for t in range(n):
        x = (2 * t) % (w - 12)
        frames[t, 10:22, x:x + 12] = [0.05, 0.3, 0.1][:c]
        truth[t, 10:22, x:x + 12] = True
    frames = np.clip(frames, 0, 1).astype(np.float32)
    return (frames if colour else frames[..., 0]), truth


def decompose(frames):
    """The background of every frame and the per-value noise scale, from the model learned on 80 frames."""
    model = learn_background(frames[evenly_spaced(len(frames), 80)])
    return SimpleNamespace(background=model.background(frames), scale=model.scale.reshape(frames.shape[1:]))


def as_gt(truth):
    return np.where(truth, 255, 0).astype(np.uint8)


def test_frames_matrix_round_trip():
    frames = rng.integers(0, 256, (5, 4, 3)).astype(np.uint8)
    M = frames_to_matrix(frames)
    assert M.shape == (5, 12) and M.dtype == np.float32             # one frame per row
    np.testing.assert_allclose(M[2], frames[2].ravel() / 255)
    np.testing.assert_allclose(matrix_to_frames(M, (4, 3)) * 255, frames, atol=1e-4)
    with pytest.raises(ValueError, match="needs 15 columns"):
        matrix_to_frames(M, (5, 3))


@pytest.mark.parametrize("colour", [False, True])
def test_masks_on_synthetic_video_find_the_square(colour):
    frames, truth = synthetic_video(colour=colour)
    masks, model = foreground_masks(frames, return_model=True)
    assert masks.shape == truth.shape and masks.dtype == bool
    assert model.colour == colour and 1 <= model.rank <= 9
    assert cdnet_fmeasure(masks, as_gt(truth)).f > 0.95        # the 5x5 clean-up only rounds the corners
    assert cdnet_fmeasure(foreground_masks(frames, median=0, close=0), as_gt(truth)).f > 0.99


def test_background_follows_illumination_and_excludes_the_square():
    frames, _ = synthetic_video()
    parts = decompose(frames)
    assert np.abs(parts.background[:, 30:, :] - frames[:, 30:, :]).max() < 0.06
    assert np.abs(parts.background[:, 10:22] - frames[:, 10:22]).max() > 0.3   # the square is not in it
    assert parts.scale.shape == (40, 120) and 0.005 < np.median(parts.scale) < 0.02   # the noise was 0.01


@pytest.mark.parametrize("kind, colour, floor", [
    ("jitter", False, 0.8), ("jitter", True, 0.8), ("waving", False, 0.9), ("waving", True, 0.9),
    ("step", False, 0.9), ("step", True, 0.9),
])
def test_generalizes_to_jitter_waving_background_and_light_switch(kind, colour, floor):
    frames, truth = synthetic_video(n=120, colour=colour, kind=kind)
    score = cdnet_fmeasure(foreground_masks(frames), as_gt(truth))
    assert score.f > floor, score


def test_uint8_frames_are_scaled_like_floats():
    frames, _ = synthetic_video(n=30)
    frames8 = np.round(frames * 255).astype(np.uint8)
    a, b = decompose(frames8), decompose(frames8.astype(np.float32) / 255)
    assert a.background.dtype == np.float32
    np.testing.assert_allclose(a.background, b.background, atol=0.01)   # a wrong scale would be 255x off
    np.testing.assert_allclose(a.scale, b.scale, atol=1e-3)
    np.testing.assert_array_equal(foreground_masks(frames8), foreground_masks(frames8.astype(np.float32) / 255))


def test_chunks_iterators_and_arrays_agree():
    frames, _ = synthetic_video(n=90, colour=True)
    whole = foreground_masks(frames)
    chunks = [m for _, m in iter_foreground_masks(frames, chunk_size=7)]
    assert len(chunks) == 13 and all(len(c) <= 7 for c in chunks)
    np.testing.assert_array_equal(np.concatenate(chunks), whole)
    # an iterator of single frames, and one of chunks (short: the same frames are sampled)
    np.testing.assert_array_equal(foreground_masks(iter(frames)), whole)
    np.testing.assert_array_equal(foreground_masks(iter(np.array_split(frames, 5))), whole)


def test_masks_to_a_file_never_overwrite(tmp_path):
    frames, truth = synthetic_video(n=40)
    out = tmp_path / "masks.npy"
    masks = foreground_masks(frames, out=out)
    np.testing.assert_array_equal(np.load(out), foreground_masks(frames))
    assert masks.shape == truth.shape and not (tmp_path / "masks.npy.part").exists()
    with pytest.raises(FileExistsError):
        foreground_masks(frames, out=out)
    with pytest.raises(ValueError, match=".npy"):
        foreground_masks(frames, out=tmp_path / "masks.txt")


def test_a_video_path_streams(tmp_path):
    frames, truth = synthetic_video(n=50, colour=True)
    path = write_animation(tmp_path / "clip.avi", frames, fps=10)
    masks = foreground_masks(path)
    assert masks.shape == truth.shape
    assert cdnet_fmeasure(masks, as_gt(truth)).f > 0.9            # Motion-JPEG is lossy
    gray = foreground_masks(str(path), grayscale=True, out=tmp_path / "m.npy")
    assert gray.shape == truth.shape and (tmp_path / "m.npy").exists()


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
    (np.zeros((3, 4, 4, 4)), ValueError, "4 channels"),
    (np.zeros((3, 4, 4), np.uint16), TypeError, "16-bit"),
    (np.full((3, 4, 4), np.nan), ValueError, "NaN"),
    (np.full((3, 4, 4), np.inf), ValueError, "infinite"),
    (np.array([["a"]]), TypeError, "numeric"),
    (iter([]), ValueError, "empty"),
    (iter([np.zeros((4, 4)), np.zeros((5, 4))]), ValueError, "change shape"),
])
def test_bad_frames(frames, err, match):
    with pytest.raises(err, match=match):
        foreground_masks(frames)


def test_bad_parameters():
    frames, _ = synthetic_video(n=20)
    with pytest.raises(ValueError, match="threshold"):
        foreground_masks(frames, threshold=0)
    with pytest.raises(ValueError, match="odd size"):
        foreground_masks(frames, median=4)
    with pytest.raises(ValueError, match="shadow_ratio"):
        foreground_masks(frames, shadow_ratio=0)
    with pytest.raises(ValueError, match="max_rank"):
        learn_background(frames, max_rank=0)
    with pytest.raises(ValueError, match="coverage"):
        learn_background(frames, coverage=0)
    model = learn_background(frames)
    with pytest.raises(ValueError, match="do not match"):
        model.detect(frames[:, :10])


def test_pipeline_on_real_clips(data_dir):
    for name in ("escalator", "shop"):
        frames = load_video(data_dir / "videos" / f"{name}.avi")
        masks = foreground_masks(frames)
        assert 0.002 < masks.mean() < 0.3, name    # people move; most of the scene does not
        gray = foreground_masks(load_video(data_dir / "videos" / f"{name}.avi", grayscale=True))
        assert 0.002 < gray.mean() < 0.3, name


@pytest.mark.parametrize("make, match", [
    (lambda p, src: p.write_bytes(src.read_bytes()[:100000]), "truncated or corrupt"),
    (lambda p, src: p.write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage" * 100), "cannot open"),
    (lambda p, src: p.write_text("not a video"), "is a text file, not a video"),
])
def test_broken_video_files_give_clear_errors(data_dir, tmp_path, make, match):
    bad = tmp_path / "broken.avi"
    make(bad, data_dir / "videos" / "escalator.avi")
    with pytest.raises(ValueError, match=match):
        foreground_masks(bad)
    with pytest.raises(ValueError, match=match):
        foreground_masks(load_video(bad, grayscale=True))


def test_missing_path():
    with pytest.raises(FileNotFoundError):
        foreground_masks("no/such/video.avi")


def test_background_frames_from_arrays_paths_and_iterators(tmp_path):
    frames, truth = synthetic_video(n=60, colour=True)
    g = np.random.default_rng(1)                 # the same scene without the square, other noise
    empty = np.clip(np.median(frames, axis=0) + g.normal(0, 0.01, frames.shape), 0, 1).astype(np.float32)
    learned = foreground_masks(frames, background_frames=empty)
    assert cdnet_fmeasure(learned, as_gt(truth)).f > 0.95
    # what is learned from: evenly spaced frames of background_frames, whatever its form
    np.testing.assert_array_equal(foreground_masks(iter(frames), background_frames=empty), learned)
    np.testing.assert_array_equal(foreground_masks(frames, background_frames=iter(empty)), learned)
    path = write_animation(tmp_path / "empty.avi", empty, fps=10)      # decoded frames: the same sample
    decoded = load_video(write_animation(tmp_path / "clip.avi", frames, fps=10))
    np.testing.assert_array_equal(foreground_masks(decoded, background_frames=path),
                                  foreground_masks(decoded, background_frames=load_video(path)))
    with pytest.raises(ValueError, match="change shape"):
        foreground_masks(frames, background_frames=empty[:, :20])
    with pytest.raises(ValueError, match="empty"):
        foreground_masks(frames, background_frames=iter([]))


def test_a_long_iterator_of_background_frames_is_sampled_evenly_in_bounded_memory():
    from mflib.video import _sample_iterator
    frames = (np.arange(1000) // 4).astype(np.uint8)[:, None, None].repeat(4, 1).repeat(6, 2)   # 4 x 6 frames
    picked = _sample_iterator(iter(np.array_split(frames, 37)), 10)
    steps = np.diff(picked[:, 0, 0].astype(int))
    assert len(picked) == 10 and steps.min() >= 0 and picked[-1, 0, 0] - picked[0, 0, 0] > 150


def test_queued_traffic_does_not_become_background():
    """Foreground covers a band in 70 % of the frames, each time in another colour: the mode keeps the road."""
    g = np.random.default_rng(3)
    n, h, w = 80, 20, 40
    frames = np.clip(0.5 + g.normal(0, 0.01, (n, h, w, 3)), 0, 1).astype(np.float32)
    truth = np.zeros((n, h, w), bool)
    busy = g.random(n) < 0.7
    for t in np.nonzero(busy)[0]:
        frames[t, 5:15, 10:30] = g.uniform(0, 1, 3)
        truth[t, 5:15, 10:30] = True
    masks = foreground_masks(frames, median=0, close=0)
    score = cdnet_fmeasure(masks, as_gt(truth))
    assert busy.mean() > 0.6 and score.recall > 0.95 and score.precision > 0.95, score


def test_rgba_frames_from_an_iterator_are_refused_not_read_as_narrow_grayscale_chunks():
    rgba = np.zeros((6, 8, 10, 4), np.uint8)
    with pytest.raises(ValueError, match="4 channels"):
        list(foreground_masks(iter(list(rgba))))


def test_float_frames_outside_0_1_are_refused():
    frames = np.random.default_rng(0).integers(0, 256, (6, 8, 10)).astype(float)
    with pytest.raises(ValueError, match=r"range \[0, 1\]"):
        list(foreground_masks(frames))
    with pytest.raises(ValueError, match=r"divide 0-255 values by 255"):
        learn_background(frames)
