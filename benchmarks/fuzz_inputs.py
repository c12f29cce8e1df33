"""Bad and edge-case inputs against every public function and estimator of mflib; prints the counts.

    python benchmarks/fuzz_inputs.py [--only SUBSTRING] [--jobs 2] [--json out.json] [--no-spark]

Each case is a short snippet run in its own forked worker process (its own
process group, its own scratch folder as the current folder and as the
temporary folder, OMP_NUM_THREADS=1), with a time limit. The parent imports
mflib once, so a case costs a fork, not an interpreter start. A case is

- ``bad``: invalid input, a clear error is due;
- ``ok``: valid (edge) input, the result must pass the case's own check;
- ``either``: a clear error or a correct result are both right (huge values).

Outcomes (one per case, the first that applies):

- ``hang``: still running at the time limit (the process group is killed);
- ``lost``: a file the case created beforehand was changed or deleted;
- ``leftover``: a file the call did not return remains in the scratch or temporary folder
  (empty folders and a data cache's lock files excepted);
- ``clear``: an error of an ordinary kind (ValueError, TypeError, FileNotFoundError,
  FileExistsError, TimeoutError, RuntimeError, scikit-learn's parameter and
  not-fitted errors, mflib's own) whose message names the argument or the problem
  (one of the case's words) -- and not a leaking kind (KeyError, IndexError,
  AttributeError, LinAlgError, cv2.error, OverflowError, MemoryError,
  ZeroDivisionError, NumPy's ufunc errors, py4j/pyspark errors), nor a message
  quoting an internal (a temporary path, ``'<' not supported``, ...);
- ``leaks``: any other error where one was due;
- ``correct``: a valid input gave a result that passed its check;
- ``silent``: a result for invalid input, or a wrong/NaN result for valid input;
- ``fails``: valid input raised.

Spark cases start a JVM (slow): ``--no-spark`` skips them.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import mflib  # noqa: E402
from mflib import (  # noqa: E402
    background,
    datasets,
    imaging,
    io,
    layout,
    metrics,
    nmf,
    plotting,
    quantize,
    recommend,
    rpca,
    sliders,
    spark,
    svd,
    video,
)

cv2.setNumThreads(1)
DATA = os.environ.get("MFLIB_DATA", str(ROOT.parent.parent / "shared" / "data"))
if not Path(DATA).is_dir():
    DATA = "/work/shared/data"

# -- what a case's snippet sees ------------------------------------------------------

RNG = np.random.default_rng(0)
X64 = RNG.random((6, 4))                                   # a small valid matrix
FR = (RNG.random((6, 8, 10)) * 255).astype(np.uint8)       # 6 grayscale frames
FRC = (RNG.random((6, 8, 10, 3)) * 255).astype(np.uint8)   # 6 colour frames
IMG = RNG.random((8, 10, 3))                               # an RGB image in [0, 1]
IDS = np.array([[1, 10], [1, 11], [2, 10], [2, 12], [3, 11], [3, 12], [4, 10], [4, 13]])
Y = np.array([5.0, 3.0, 4.0, 1.0, 2.0, 4.0, 3.0, 5.0])


def fitted_mf(**kw):
    kw = {"n_components": 2, "solver": "als", "max_iter": 5, "random_state": 0, **kw}
    return recommend.MatrixFactorization(**kw).fit(IDS, Y)


def svd3(A):
    return np.linalg.svd(np.asarray(A, float), full_matrices=False)


def lr_slider(A, **kw):
    return sliders.lowrank_slider(*svd3(A), **kw)


NAMESPACE = dict(np=np, mflib=mflib, background=background, datasets=datasets, imaging=imaging, io=io,
                 layout=layout, metrics=metrics, nmf=nmf, plotting=plotting, quantize=quantize,
                 recommend=recommend, rpca=rpca, sliders=sliders, spark=spark, svd=svd, video=video,
                 X64=X64, FR=FR, FRC=FRC, IMG=IMG, IDS=IDS, Y=Y, fitted_mf=fitted_mf, svd3=svd3,
                 lr_slider=lr_slider, Path=Path)


# -- fixtures: files a case finds in its scratch folder ------------------------------

def make_fixtures(folder):
    """Files copied into a case's scratch folder on request, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    avi = folder / "small.avi"
    w = cv2.VideoWriter(str(avi), cv2.VideoWriter_fourcc(*"MJPG"), 10, (16, 12))
    for i in range(12):
        w.write(np.full((12, 16, 3), 20 * i, np.uint8))
    w.release()
    data = avi.read_bytes()
    (folder / "truncated.avi").write_bytes(data[: len(data) // 2])
    (folder / "header_only.avi").write_bytes(data[:200])
    cv2.imwrite(str(folder / "gray.png"), np.arange(12, dtype=np.uint8).reshape(3, 4) * 20)
    cv2.imwrite(str(folder / "deep.png"), np.full((3, 4), 65535, np.uint16))
    rgba = np.zeros((3, 4, 4), np.uint8)
    rgba[..., 3] = 0                                        # fully transparent: white
    cv2.imwrite(str(folder / "rgba.png"), rgba)
    (folder / "notes.txt").write_text("this is a text file, not a picture\n" * 20)
    (folder / "fake.png").write_text("not a png")
    (folder / "fake.avi").write_text("not a video, just words " * 50)
    (folder / "empty.png").write_bytes(b"")
    (folder / "empty.avi").write_bytes(b"")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (folder / "old.gif").write_bytes(b"GIF89a precious")
    (folder / "old.npy").write_bytes(b"precious masks")
    (folder / "m.npy.part").write_bytes(b"another run's partial file")
    (folder / "a_file").write_text("a file where a folder is expected")
    (folder / "subdir").mkdir(exist_ok=True)
    return folder


# -- the cases ------------------------------------------------------------------------

CASES = []


def case(module, name, code, kind="bad", words=(), check=None, files=(), keep=(), env=None, timeout=30):
    """Register a case; ``words``: one of them must be in a clear error's message."""
    CASES.append(dict(module=module, name=name, code=code, kind=kind, words=tuple(words), check=check,
                      files=tuple(files), keep=tuple(keep), env=env or {}, timeout=timeout))


BAD_ARRAYS = {   # label: (expression, words a clear message uses)
    "nan": ("np.array([[1.0, np.nan], [2.0, 3.0], [1.0, 1.0]])", ("nan",)),
    "inf": ("np.array([[1.0, np.inf], [2.0, 3.0], [1.0, 1.0]])", ("inf", "infinite")),
    "empty": ("np.empty((0, 3))", ("empty", "0 sample", "at least")),
    "1d": ("np.ones(4)", ("2-D", "2d", "shape", "dimension", "1-D")),
    "object": ("np.array([[1, 'a'], [2, 3]], dtype=object)", ("dtype", "number", "numeric", "convert")),
    "complex": ("np.ones((3, 3)) * (1 + 1j)", ("complex",)),
    "string": ("'not an array'", ("dtype", "number", "numeric", "array", "shape", "2-D", "convert")),
    "ragged": ("[[1.0, 2.0], [3.0]]", ("array", "rectangular", "shape", "inhomogeneous")),
    "none": ("None", ("none", "array", "number", "dtype", "numeric")),
}

MATRIX_TARGETS = [   # module, label, call with {A}, argument name, labels that are not errors here
    ("svd", "randomized_svd", "svd.randomized_svd({A}, 1)", "A", ()),
    ("svd", "SVDCompressor.fit", "svd.SVDCompressor().fit({A})", "X", ()),
    ("rpca", "RobustPCA.fit", "rpca.RobustPCA(max_iter=5).fit({A})", "X", ()),
    ("rpca", "svt", "rpca.svt({A}, 0.1)", "X", ()),
    ("nmf", "MultiplicativeNMF.fit", "nmf.MultiplicativeNMF(n_components=1, max_iter=5).fit({A})", "X", ()),
    ("nmf", "nndsvd", "nmf.nndsvd({A}, 1)", "X", ()),
    ("nmf", "beta_divergence", "nmf.beta_divergence({A}, np.ones((3, 2)), 1)", "X", ("1d",)),
    ("metrics", "relative_error", "metrics.relative_error({A}, np.ones((3, 2)))", "A", ("1d",)),
    ("metrics", "psnr", "metrics.psnr({A}, np.ones((3, 2)))", "A", ("1d",)),
    ("imaging", "to_uint8", "imaging.to_uint8({A})", "img", ()),
    ("imaging", "encode_image", "imaging.encode_image({A})", "img", ()),
    ("plotting", "tile", "plotting.tile([{A}])", "images", ()),
    ("svd", "reconstruct", "svd.reconstruct({A}, np.ones(2), np.ones((2, 2)))", "U", ()),
    ("quantize", "quantize_factors", "quantize.quantize_factors({A}, np.ones(2), np.ones((2, 2)))", "U", ()),
    ("recommend", "MatrixFactorization.fit(X)", "recommend.MatrixFactorization(solver='als').fit({A}, [1.0] * 3)",
     "X", ()),
    ("sliders", "lowrank_slider(U)", "sliders.lowrank_slider({A}, np.ones(2), np.ones((2, 4)))", "U", ()),
]

for module, label, call, arg, skip in MATRIX_TARGETS:
    for bad, (expr, words) in BAD_ARRAYS.items():
        if bad in skip:
            continue
        if module == "recommend" and bad in ("nan", "inf", "complex", "object", "string"):
            words = words + ("id", "whole")
        if arg == "U" and bad == "empty":
            words = words + ("shape", "fit")
        case(module, f"{label} {arg}={bad}", f"result = {call.format(A=expr)}", words=words + (arg,))

BAD_INTS = {   # label: (value, words)
    "1.5": ("1.5", ("whole", "int", "integer")),
    "True": ("True", ("whole", "int", "bool", "integer")),
    "float64": ("np.float64(2.0)", ("whole", "int", "integer")),
    "-1": ("-1", ("range", ">=", "positive", ">")),
    "0": ("0", ("range", ">=", "positive", ">")),
    "huge": ("10**30", ("range", "<=", "larger", "at most", "exceed", "too")),
    "str": ("'two'", ("whole", "int", "integer", "number")),
}

INT_TARGETS = [   # module, call with {v}, argument name, labels valid here
    ("svd", "svd.randomized_svd(X64, {v})", "k", ()),
    ("svd", "svd.randomized_svd(X64, 2, oversample={v})", "oversample", ("0", "huge")),
    ("svd", "svd.SVDCompressor(n_components={v}).fit(X64)", "n_components", ()),
    ("svd", "svd.SVDCompressor().fit(X64).reconstruct({v})", "k", ()),
    ("svd", "quantize.storage_bytes((4, 5), {v})", "k", ("0",)),
    ("svd", "svd.eckart_young_error(np.array([3.0, 2.0, 1.0]), {v})", "k", ("0",)),
    ("rpca", "rpca.svt(X64, 0.1, rank={v})", "rank", ("huge",)),
    ("rpca", "rpca.RobustPCA(max_iter={v}).fit(X64)", "max_iter", ("huge",)),
    ("nmf", "nmf.MultiplicativeNMF(n_components={v}, max_iter=5).fit(X64)", "n_components", ()),
    ("nmf", "nmf.MultiplicativeNMF(n_components=2, max_iter={v}).fit(X64)", "max_iter", ("huge",)),
    ("nmf", "nmf.nndsvd(X64, {v})", "n_components", ()),
    ("recommend", "fitted_mf(n_components={v})", "n_components", ()),
    ("recommend", "recommend.MatrixFactorization(n_draws={v}, random_state=0).fit(IDS, Y)", "n_draws", ("huge",)),
    ("recommend", "fitted_mf(solver='sgd', batch_size={v})", "batch_size", ("huge",)),
    ("recommend", "fitted_mf().recommend(1, n={v})", "n", ("0", "huge")),
    ("recommend", "fitted_mf().recommend(user={v})", "user", ("-1", "0", "huge", "float64")),
    ("recommend", "fitted_mf().similar_items(10, n={v})", "n", ("0", "huge")),
    ("recommend", "fitted_mf().similar_items({v})", "item", ()),
    ("quantize", "quantize.quantize_factors(svd3(X64)[0][:, :1], svd3(X64)[1][:1], svd3(X64)[2][:1], bits={v})",
     "bits", ()),
    ("imaging", "imaging.encode_image(IMG, 'jpeg', quality={v})", "quality", ()),
    ("plotting", "plotting.tile([IMG, IMG, IMG], ncols={v})", "ncols", ("huge",)),
    ("plotting", "plotting.tile([IMG, IMG], pad={v})", "pad", ("0",)),
    ("io", "io.load_video('small.avi', start={v})", "start", ("0",)),
    ("io", "io.load_video('small.avi', stop={v})", "stop", ("huge",)),
    ("io", "io.load_video('small.avi', step={v})", "step", ("huge",)),
    ("io", "io.load_video('small.avi', size=({v}, 8))", "size", ()),
    ("io", "list(io.iter_video('small.avi', chunk_size={v}))", "chunk_size", ()),
    ("background", "background.learn_background(FR, max_rank={v})", "max_rank", ("huge",)),
    ("video", "video.foreground_masks(FR, n_sample_frames={v})", "n_sample_frames", ("huge",)),
    ("video", "video.foreground_masks(FR, median={v})", "median", ("0",)),
    ("video", "video.clean_masks(FR > 128, close={v})", "close", ("0",)),
    ("sliders", "sliders.slider(lambda v: IMG, [1, 2], quality={v}, fmt='jpeg').static_html()", "quality", ()),
    ("sliders", "sliders.slider(lambda v: IMG, [1, 2], width={v}).static_html()", "width", ("huge",)),
    ("sliders", "lr_slider(X64, value={v})", "value", ()),
    ("sliders", "lr_slider(X64, quantize={v})", "quantize", ()),
    ("sliders", "lr_slider(X64).picture({v})", "k", ()),
    ("datasets", "datasets.cdnet(frames=[{v}])", "frames", ()),
    ("datasets", "datasets.cdnet(frames=[1, 2], step={v})", "step", ("huge",)),
]

for module, call, arg, valid in INT_TARGETS:
    for label, (value, words) in BAD_INTS.items():
        if label in valid:
            continue
        if arg in ("frames", "step") and module == "datasets":
            words = words + ("frame",)
        if arg in ("quantize", "bits"):
            words = words + ("8", "16", "choose")
        env = {"MFLIB_DATA": DATA} if module == "datasets" else None
        case(module, f"{call.split('(')[0]} {arg}={label}", f"result = {call.format(v=value)}",
             words=words + (arg,), files=("small.avi",) if module == "io" else (), env=env,
             timeout=60 if module in ("io", "datasets") else 30)

BAD_FLOATS = {
    "nan": ("float('nan')", ("nan", "finite", "range", "number")),
    "inf": ("float('inf')", ("inf", "finite", "range")),
    "-1": ("-1.0", ("range", ">=", "positive", ">", "negative")),
    "str": ("'half'", ("number", "float", "real", "str")),
}

FLOAT_TARGETS = [   # module, call with {v}, argument name, labels valid here
    ("rpca", "rpca.svt(X64, {v})", "tau", ("inf",)),
    ("rpca", "rpca.shrink(X64, {v})", "tau", ("inf",)),
    ("rpca", "rpca.RobustPCA(lam={v}, max_iter=5).fit(X64)", "lam", ()),
    ("rpca", "rpca.RobustPCA(tol={v}, max_iter=5).fit(X64)", "tol", ()),
    ("rpca", "rpca.RobustPCA(rho={v}, max_iter=5).fit(X64)", "rho", ()),
    ("nmf", "nmf.MultiplicativeNMF(2, beta_loss={v}, max_iter=5).fit(X64 + 0.1)", "beta_loss", ()),
    ("nmf", "nmf.MultiplicativeNMF(2, tol={v}, max_iter=5).fit(X64)", "tol", ()),
    ("nmf", "nmf.MultiplicativeNMF(2, inner_tol={v}, max_iter=5).fit(X64)", "inner_tol", ()),
    ("nmf", "nmf.beta_divergence(X64, X64 + 0.1, {v})", "beta", ()),
    ("recommend", "fitted_mf(reg={v})", "reg", ()),
    ("recommend", "fitted_mf(solver='sgd', learning_rate={v})", "learning_rate", ()),
    ("recommend", "fitted_mf(init_std={v})", "init_std", ()),
    ("imaging", "imaging.to_uint8(IMG, vmin={v})", "vmin", ("-1",)),
    ("imaging", "imaging.value_range([IMG], vmax={v})", "vmax", ("-1",)),
    ("metrics", "metrics.psnr(X64, X64 * 0.9, peak={v})", "peak", ()),
    ("metrics", "metrics.psnr_from_mse({v})", "mse", ()),
    ("background", "background.tail_quantile({v}, 3)", "threshold", ()),
    ("video", "video.foreground_masks(FR, threshold={v})", "threshold", ("inf",)),
    ("video", "video.foreground_masks(FRC, shadow_ratio={v})", "shadow_ratio", ()),
    ("io", "io.write_animation('new.gif', FR, fps={v})", "fps", ()),
    ("svd", "svd.SVDCompressor(clip=(0.0, {v})).fit(X64)", "clip", ("inf",)),
    ("sliders", "lr_slider(X64, clip=(0.0, {v}))", "clip", ()),
]

for module, call, arg, valid in FLOAT_TARGETS:
    for label, (value, words) in BAD_FLOATS.items():
        if label in valid:
            continue
        case(module, f"{call.split('(')[0]} {arg}={label}", f"result = {call.format(v=value)}",
             words=words + (arg,))

# -- not fitted, width mismatch ---------------------------------------------------------

NOT_FITTED = [
    ("svd", "svd.SVDCompressor().transform(X64)"),
    ("svd", "svd.SVDCompressor().reconstruct(1)"),
    ("svd", "svd.SVDCompressor().factors()"),
    ("svd", "svd.SVDCompressor().storage_bytes(1)"),
    ("rpca", "rpca.RobustPCA().transform(X64)"),
    ("rpca", "rpca.RobustPCA().inverse_transform(X64)"),
    ("nmf", "nmf.MultiplicativeNMF().transform(X64)"),
    ("nmf", "nmf.MultiplicativeNMF().inverse_transform(X64)"),
    ("recommend", "recommend.MatrixFactorization().predict(IDS)"),
    ("recommend", "recommend.MatrixFactorization().recommend(1)"),
    ("recommend", "recommend.MatrixFactorization().similar_items(10)"),
    ("recommend", "recommend.SparkALS().predict(IDS)"),
]
for module, call in NOT_FITTED:
    case(module, f"{call.split('(')[0]}.{call.split(').')[1].split('(')[0]} before fit", f"result = {call}",
         words=("fit",))

WIDTH = [
    ("svd", "svd.SVDCompressor(n_components=2).fit(X64).transform(np.ones((2, 3)))"),
    ("svd", "svd.SVDCompressor(n_components=2).fit(X64).inverse_transform(np.ones((2, 3)))"),
    ("rpca", "rpca.RobustPCA(max_iter=20).fit(X64).transform(np.ones((2, 3)))"),
    ("rpca", "rpca.RobustPCA(max_iter=20).fit(X64).inverse_transform(np.ones((2, 7)))"),
    ("nmf", "nmf.MultiplicativeNMF(2, max_iter=5).fit(X64).transform(np.ones((2, 3)))"),
    ("nmf", "nmf.MultiplicativeNMF(2, max_iter=5).fit(X64).inverse_transform(np.ones((2, 3)))"),
    ("recommend", "fitted_mf().predict(np.ones((2, 3), int))"),
    ("recommend", "fitted_mf().predict([1, 10])"),
    ("background", "background.learn_background(FR).detect(FR[:, :4])"),
    ("background", "background.learn_background(FR).detect(FRC)"),
]
for module, call in WIDTH:
    case(module, f"{call.split('(')[0]} width mismatch: {call.split(').')[-1][:40]}", f"result = {call}",
         words=("feature", "shape", "column", "width", "match", "components", "(n_ratings, 2)"))

# -- huge values and other finite extremes: a clear error or a correct (finite) result ----------

HUGE = [
    ("nmf", "nmf MultiplicativeNMF X=1e308", "m = nmf.MultiplicativeNMF(2, max_iter=20).fit(X64 * 1e308); "
     "result = (m.transform(X64 * 1e308), m.components_)", "all(np.isfinite(r).all() for r in result)"),
    ("nmf", "nmf MultiplicativeNMF X=1e154", "m = nmf.MultiplicativeNMF(2, max_iter=20).fit(X64 * 1e154); "
     "result = (m.transform(X64 * 1e154), m.components_)", "all(np.isfinite(r).all() for r in result)"),
    ("nmf", "nmf MultiplicativeNMF beta=1 X=1e300",
     "result = nmf.MultiplicativeNMF(2, beta_loss=1, max_iter=20).fit(X64 * 1e300).components_",
     "np.isfinite(result).all()"),
    ("nmf", "nmf MultiplicativeNMF X=1e-300 (tiny)",
     "m = nmf.MultiplicativeNMF(2, max_iter=20).fit(X64 * 1e-300); result = m.transform(X64 * 1e-300)",
     "np.isfinite(result).all()"),
    ("nmf", "beta_divergence X=1e308 beta=2", "result = nmf.beta_divergence(X64 * 1e308, X64 * 1e307, 2)",
     "result > 0"),     # about 1e615: inf is its float64 value, nan is wrong
    ("nmf", "beta_divergence X=1e200 beta=3", "result = nmf.beta_divergence(X64 * 1e200, X64 * 1e199, 3)",
     "result > 0"),
    ("nmf", "beta_divergence beta=1 Y with zero", "result = nmf.beta_divergence(X64, X64 * 0, 1)",
     "np.isfinite(result) or result == np.inf"),
    ("svd", "randomized_svd A=1e308", "result = svd.randomized_svd(X64 * 1e308, 2)[1]",
     "np.isfinite(result).all() and np.allclose(result / 1e308, np.linalg.svd(X64, compute_uv=False)[:2])"),
    ("svd", "SVDCompressor X=1e308", "result = svd.SVDCompressor().fit(X64 * 1e308).reconstruct(4)",
     "np.isfinite(result).all() and np.allclose(result / 1e308, X64)"),
    ("svd", "storage_bytes huge shape", "result = quantize.storage_bytes((10**12, 10**12), 10**6)",
     "result == 10**6 * (2 * 10**12 + 1) * 8"),
    ("rpca", "RobustPCA X=1e308", "result = rpca.RobustPCA(max_iter=50).fit(X64 * 1e308).low_rank_",
     "np.isfinite(result).all()"),
    ("rpca", "svt X=1e308", "result = rpca.svt(X64 * 1e308, 1e307)[0]", "np.isfinite(result).all()"),
    ("recommend", "MF ratings 1e200", "m = fitted_mf().fit(IDS, Y * 1e200); result = m.predict(IDS)",
     "np.isfinite(result).all()"),
    ("recommend", "MF bpmf ratings 1e200",
     "m = recommend.MatrixFactorization(2, random_state=0, n_draws=3).fit(IDS, Y * 1e200); result = m.predict(IDS)",
     "np.isfinite(result).all()"),
    ("recommend", "MF sgd ratings 1e150", "m = fitted_mf(solver='sgd').fit(IDS, Y * 1e150); result = m.predict(IDS)",
     "np.isfinite(result).all()"),
    ("recommend", "MF uint64 id > 2**63-1",
     "ids = IDS.astype(np.uint64); ids[0, 0] = 2**63 + 5; m = fitted_mf().fit(ids, Y); "
     "result = m.user_ids_", "(result >= 0).all() and len(result) == 5"),
    ("recommend", "MF predict uint64 id > 2**63-1",
     "result = fitted_mf().predict(np.array([[2**64 - 1, 10]], np.uint64))", "np.isfinite(result).all()"),
    ("recommend", "recommend(user=2**64-1)", "result = fitted_mf().recommend(2**64 - 1)[0]", "len(result) > 0"),
    ("recommend", "MF ids 1e300 floats", "result = fitted_mf().fit(IDS * 1e300, Y).predict(IDS * 1e300)",
     "np.isfinite(result).all()"),
    ("metrics", "relative_error A=1e308", "result = metrics.relative_error(X64 * 1e308, X64 * 0.5e308)",
     "abs(result - 0.5) < 1e-9"),
    ("metrics", "relative_error A=1e-320 (subnormal)", "result = metrics.relative_error(X64 * 1e-320, X64 * 0.5e-320)",
     "abs(result - 0.5) < 0.05"),
    ("metrics", "psnr peak=1e308", "result = metrics.psnr(X64 * 1e300, X64 * 0.5e300, peak=1e308)",
     "np.isfinite(result)"),
    ("imaging", "to_uint8 img=1e308 range", "result = imaging.to_uint8(np.array([[-1e308, 1e308]]))",
     "result.tolist() == [[0, 255]]"),
    ("quantize", "quantize_factors s=1e308", "U, s, Vt = svd3(X64); q = quantize.quantize_factors(U, s * 1e300, Vt); "
     "result = quantize.dequantize(q)", "np.isfinite(result).all()"),
    ("sliders", "lowrank_slider s=1e300", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider(U, s * 1e300, Vt)"
     ".picture(2)", "result.dtype == np.uint8"),
]
for module, name, code, check in HUGE:
    case(module, name, code, kind="either", check=check,
         words=("large", "overflow", "huge", "finite", "scale", "range", "too", "id", "ids", "nan", "inf", "whole"))

# -- valid edge inputs with an expected result -------------------------------------------------

OK = [
    ("svd", "randomized_svd 1x1", "result = svd.randomized_svd(np.array([[-3.0]]), 1)[1]", "np.allclose(result, [3])"),
    ("svd", "randomized_svd k=np.int64", "result = svd.randomized_svd(X64, np.int64(2))[1]",
     "np.allclose(result, np.linalg.svd(X64, compute_uv=False)[:2])"),
    ("svd", "randomized_svd int matrix", "result = svd.randomized_svd(np.eye(3, dtype=int), 3)[1]",
     "np.allclose(result, 1)"),
    ("svd", "randomized_svd bool matrix", "result = svd.randomized_svd(np.eye(3, dtype=bool), 3)[1]",
     "np.allclose(result, 1)"),
    ("svd", "randomized_svd float32", "result = svd.randomized_svd(X64.astype(np.float32), 2)[1]",
     "np.allclose(result, np.linalg.svd(X64, compute_uv=False)[:2], rtol=1e-4)"),
    ("svd", "randomized_svd zeros", "result = svd.randomized_svd(np.zeros((3, 4)), 2)[1]", "np.allclose(result, 0)"),
    ("svd", "SVDCompressor 1x5", "result = svd.SVDCompressor().fit(np.arange(5.0)[None]).reconstruct(1)",
     "np.allclose(result, np.arange(5.0)[None])"),
    ("svd", "SVDCompressor uint8 image clip 0..255",
     "img = (IMG * 255).astype(np.uint8); result = svd.SVDCompressor(clip=(0.0, 255.0)).fit(img).reconstruct(8)",
     "np.allclose(result, (IMG * 255).astype(np.uint8))"),
    ("svd", "SVDCompressor image outside clip", "result = svd.SVDCompressor(clip=(0.0, 1.0)).fit(IMG * 255)",
     None),
    ("svd", "SVDCompressor RGBA image", "result = svd.SVDCompressor().fit(RNG4 := np.random.default_rng(1)"
     ".random((5, 6, 4)))", None),
    ("svd", "SVDCompressor n_components > min(shape)", "result = svd.SVDCompressor(n_components=9).fit(X64)", None),
    ("svd", "SVDCompressor transform np.int64 rank",
     "result = svd.SVDCompressor(n_components=np.int64(2)).fit(X64).transform(X64).shape", "result == (6, 2)"),
    ("svd", "breakeven_rank 1x1", "result = quantize.breakeven_rank((1, 1))", "result == 0"),
    ("svd", "eckart_young_error k=len(s)", "result = svd.eckart_young_error(np.array([2.0, 1.0]), 2)", "result == 0"),
    ("svd", "eckart_young_error s unsorted", "result = svd.eckart_young_error(np.array([1.0, 2.0]), 1)", None),
    ("svd", "eckart_young_error s negative", "result = svd.eckart_young_error(np.array([2.0, -1.0]), 1)", None),
    ("svd", "storage_bytes dtype='float128x'", "result = quantize.storage_bytes((4, 5), 2, 'float128x')", None),
    ("svd", "storage_bytes shape (4,)", "result = quantize.storage_bytes((4,), 1)", None),
    ("rpca", "RobustPCA all zeros", "result = rpca.RobustPCA().fit(np.zeros((4, 3)))", None),
    ("rpca", "RobustPCA 2x2", "m = rpca.RobustPCA().fit(np.array([[2.0, 1.0], [1.0, 2.0]])); "
     "result = m.low_rank_ + m.sparse_", "np.allclose(result, [[2.0, 1.0], [1.0, 2.0]], atol=1e-5)"),
    ("rpca", "RobustPCA random_state Generator", "a = rpca.RobustPCA(random_state=np.random.RandomState(1)).fit(X64)"
     ".low_rank_; result = np.allclose(a, rpca.RobustPCA(random_state=np.random.RandomState(1)).fit(X64).low_rank_)",
     "result"),
    ("rpca", "RobustPCA dtype=int", "result = rpca.RobustPCA(dtype=int).fit(X64)", None),
    ("rpca", "svt tau=0 is identity", "result = rpca.svt(X64, 0.0)[0]", "np.allclose(result, X64)"),
    ("rpca", "svt tau array", "result = rpca.svt(X64, np.ones(3))", None),
    ("rpca", "shrink 0-d", "result = rpca.shrink(-3.0, 1.0)", "result == -2.0"),
    ("rpca", "shrink int array", "result = rpca.shrink(np.array([3, -3]), 1)", "result.tolist() == [2.0, -2.0]"),
    ("rpca", "shrink X nan", "result = rpca.shrink(np.array([np.nan, 1.0]), 0.5)", None),
    ("nmf", "NMF all zeros", "m = nmf.MultiplicativeNMF(2).fit(np.zeros((4, 3))); result = m.components_",
     "np.all(result == 0)"),
    ("nmf", "NMF negative X", "result = nmf.MultiplicativeNMF(2).fit(X64 - 0.5)", None),
    ("nmf", "NMF bool X", "result = nmf.MultiplicativeNMF(2, max_iter=50).fit(np.eye(4, dtype=bool)).transform("
     "np.eye(4, dtype=bool))", "np.isfinite(result).all()"),
    ("nmf", "NMF itakura-saito with zero", "result = nmf.MultiplicativeNMF(2, beta_loss=0).fit(X64 * 0)", None),
    ("nmf", "NMF custom W wrong shape", "result = nmf.MultiplicativeNMF(2, init='custom').fit_transform(X64, "
     "W=np.ones((6, 3)), H=np.ones((2, 4)))", None),
    ("nmf", "NMF custom without W", "result = nmf.MultiplicativeNMF(2, init='custom').fit(X64)", None),
    ("nmf", "NMF custom W negative", "result = nmf.MultiplicativeNMF(2, init='custom').fit_transform(X64, "
     "W=-np.ones((6, 2)), H=np.ones((2, 4)))", None),
    ("nmf", "NMF nndsvda k > min(shape)", "result = nmf.MultiplicativeNMF(5, init='nndsvda').fit(X64)", None),
    ("nmf", "NMF init='bogus'", "result = nmf.MultiplicativeNMF(2, init='bogus').fit(X64)", None),
    ("nmf", "NMF transform negative", "result = nmf.MultiplicativeNMF(2, max_iter=5).fit(X64).transform(-X64)", None),
    ("nmf", "NMF 1x1", "m = nmf.MultiplicativeNMF(1, max_iter=200, tol=0).fit(np.array([[4.0]])); "
     "result = m.transform(np.array([[4.0]])) @ m.components_", "np.allclose(result, 4.0, rtol=1e-3)"),
    ("nmf", "NMF k=np.int64", "result = nmf.MultiplicativeNMF(np.int64(2), max_iter=5).fit(X64).n_components_",
     "result == 2"),
    ("nmf", "beta_divergence X==Y is 0", "result = nmf.beta_divergence(X64 + 0.1, X64 + 0.1, 0.5)",
     "abs(result) < 1e-12"),
    ("nmf", "beta_divergence shape mismatch", "result = nmf.beta_divergence(X64, X64[:2], 2)", None),
    ("nmf", "beta_divergence Y negative", "result = nmf.beta_divergence(X64, -X64, 1)", None),
    ("nmf", "beta_divergence beta='bogus'", "result = nmf.beta_divergence(X64, X64, 'bogus')", None),
    ("nmf", "update_H shape mismatch", "result = nmf.update_H(X64, np.ones((6, 2)), np.ones((3, 4)), 2)", None),
    ("recommend", "MF float ids 3.0", "result = fitted_mf().fit(IDS.astype(float), Y).predict(IDS.astype(float))",
     "np.allclose(result, fitted_mf().predict(IDS))"),
    ("recommend", "MF float ids 1.5", "result = fitted_mf().fit(IDS + 0.5, Y)", None),
    ("recommend", "MF negative ids", "result = fitted_mf().fit(-IDS, Y).predict(-IDS)", "np.isfinite(result).all()"),
    ("recommend", "MF y length mismatch", "result = fitted_mf().fit(IDS, Y[:3])", None),
    ("recommend", "MF y nan", "result = fitted_mf().fit(IDS, np.where(Y > 4, np.nan, Y))", None),
    ("recommend", "MF y strings", "result = fitted_mf().fit(IDS, ['good'] * 8)", None),
    ("recommend", "MF one rating", "result = fitted_mf().fit(IDS[:1], Y[:1]).predict(IDS[:1])",
     "np.allclose(result, Y[:1])"),
    ("recommend", "MF predict unknown ids", "result = fitted_mf().predict([[99, 99]])",
     "np.allclose(result, Y.mean())"),
    ("recommend", "MF predict empty", "result = fitted_mf().predict(np.empty((0, 2), int))", "result.shape == (0,)"),
    ("recommend", "MF 3 columns (user, item, season)",
     "X3 = np.column_stack([IDS, IDS[:, 1] % 2]); m = fitted_mf().fit(X3, Y); "
     "result = m.similar_items(m.item_ids_[0], n=2)[0]", "len(result) == 2"),
    ("recommend", "recommend exclude all", "result = fitted_mf().recommend(1, exclude=[10, 11, 12, 13])[0]",
     "len(result) == 0"),
    ("recommend", "recommend n > items", "result = fitted_mf().recommend(1, n=100)[0]", "len(result) == 4"),
    ("recommend", "recommend unknown user", "result = fitted_mf().recommend(99, n=2)[0]", "len(result) == 2"),
    ("recommend", "recommend user='1'", "result = fitted_mf().recommend('1')", None),
    ("recommend", "recommend user=None", "result = fitted_mf().recommend(None)", None),
    ("recommend", "recommend exclude strings", "result = fitted_mf().recommend(1, exclude=['a'])", None),
    ("recommend", "similar_items unknown item", "result = fitted_mf().similar_items(999)", None),
    ("recommend", "similar_items item='10'", "result = fitted_mf().similar_items('10')", None),
    ("recommend", "check_ids 1-D", "result = recommend.check_ids([1, 2])", None),
    ("recommend", "check_ids nan", "result = recommend.check_ids([[1, np.nan]])", None),
    ("imaging", "to_uint8 constant", "result = imaging.to_uint8(np.full((2, 2), 7.0))", "result.dtype == np.uint8"),
    ("imaging", "to_uint8 bool", "result = imaging.to_uint8(np.eye(2, dtype=bool))", "result.tolist() == [[255, 0], "
     "[0, 255]]"),
    ("imaging", "to_uint8 uint16", "result = imaging.to_uint8(np.array([[0, 65535]], np.uint16))",
     "result.tolist() == [[0, 255]]"),
    ("imaging", "to_uint8 vmin > vmax", "result = imaging.to_uint8(IMG, vmin=1.0, vmax=0.0)", None),
    ("imaging", "to_uint8 vmin == vmax", "result = imaging.to_uint8(IMG, vmin=0.5, vmax=0.5)", None),
    ("imaging", "to_uint8 RGBA", "result = imaging.to_uint8(np.ones((2, 2, 4)))", None),
    ("imaging", "to_uint8 (H, W, 1)", "result = imaging.to_uint8(np.ones((2, 2, 1)))", None),
    ("imaging", "encode_image RGBA", "result = imaging.encode_image(np.ones((2, 2, 4)))", None),
    ("imaging", "encode_image fmt gif", "result = imaging.encode_image(IMG, 'gif')", None),
    ("imaging", "encode_image 1x1 uint8", "result = imaging.encode_image(np.array([[7]], np.uint8))",
     "imaging.cv2.imdecode(np.frombuffer(result, np.uint8), 0).tolist() == [[7]]"),
    ("imaging", "encode_image huge quality", "result = imaging.encode_image(IMG, 'jpeg', quality=1000)", None),
    ("imaging", "encode_image webp 20000 wide", "result = imaging.encode_image(np.zeros((1, 20000)), 'webp')", None),
    ("imaging", "to_gray of gray", "result = imaging.to_gray(np.ones((3, 3)))", None),
    ("imaging", "to_gray RGBA", "result = imaging.to_gray(np.ones((3, 3, 4)))", None),
    ("imaging", "to_gray nan", "result = imaging.to_gray(np.full((2, 2, 3), np.nan))", None),
    ("imaging", "as_images empty list", "result = imaging.as_images([])", None),
    ("imaging", "value_range symmetric zeros", "result = imaging.value_range([np.zeros((2, 2))], symmetric=True)",
     "result == (-1.0, 1.0)"),
    ("layout", "image_to_matrices RGBA", "result = layout.image_to_matrices(np.ones((4, 4, 4)))", None),
    ("layout", "image_to_matrices layout='bogus'", "result = layout.image_to_matrices(IMG, 'bogus')", None),
    ("layout", "image_to_matrices 1-D", "result = layout.image_to_matrices(np.ones(4))", None),
    ("layout", "matrices_to_image wide round trip", "result = layout.matrices_to_image("
     "layout.image_to_matrices(IMG, 'wide'), 'wide')", "np.array_equal(result, IMG)"),
    ("layout", "matrices_to_image bogus layout", "result = layout.matrices_to_image([np.ones((2, 6))], 'bogus')",
     None),
    ("layout", "matrices_to_image wide not /3", "result = layout.matrices_to_image([np.ones((2, 7))], 'wide')", None),
    ("layout", "frames_to_matrix 1-D", "result = layout.frames_to_matrix(np.ones(3))", None),
    ("layout", "frames_to_matrix object", "result = layout.frames_to_matrix(np.array([[None]]))", None),
    ("layout", "matrix_to_frames wrong width", "result = layout.matrix_to_frames(np.ones((2, 5)), (2, 2))", None),
    ("layout", "matrix_to_frames negative shape", "result = layout.matrix_to_frames(np.ones((2, 4)), (-2, -2))", None),
    ("layout", "frames round trip uint8", "result = layout.matrix_to_frames(layout.frames_to_matrix(FR), (8, 10))",
     "np.allclose(result * 255, FR, atol=1e-3)"),
    ("plotting", "tile mixed shapes", "result = plotting.tile([np.ones((2, 2)), np.ones((3, 3))])", None),
    ("plotting", "tile one image", "result = plotting.tile([np.zeros((2, 3))])", "result.shape == (2, 3)"),
    ("plotting", "tile fill=300", "result = plotting.tile([IMG, IMG], fill=300)", None),
    ("plotting", "tile fill=-1", "result = plotting.tile([IMG, IMG], fill=-1)", None),
    ("plotting", "tile vmin nan", "result = plotting.tile([IMG], vmin=float('nan'))", None),
    ("plotting", "image_grid titles too few", "result = plotting.image_grid([IMG, IMG, IMG], titles=['a'])", None),
    ("plotting", "image_grid empty", "result = plotting.image_grid([])", None),
    ("plotting", "image_grid nan image", "result = plotting.image_grid([np.full((2, 2), np.nan)])", None),
    ("plotting", "image_grid cmap bogus", "result = plotting.image_grid([IMG[..., 0]], cmap='no-such-map')", None),
    ("plotting", "image_grid size=-1", "result = plotting.image_grid([IMG[..., 0]], size=-1)", None),
    ("plotting", "image_grid one image", "result = plotting.image_grid([IMG[..., 0]])", "result is not None"),
    ("metrics", "relative_error zeros", "result = metrics.relative_error(np.zeros(3), np.ones(3))", None),
    ("metrics", "relative_error shape mismatch", "result = metrics.relative_error(np.ones(3), np.ones(4))", None),
    ("metrics", "relative_error broadcastable", "result = metrics.relative_error(np.ones((3, 3)), np.ones(3))", None),
    ("metrics", "relative_error A==B", "result = metrics.relative_error(X64, X64)", "result == 0"),
    ("metrics", "psnr equal is inf", "result = metrics.psnr(X64, X64)", "result == np.inf"),
    ("metrics", "psnr uint8 peak=1", "result = metrics.psnr(FR, FR // 2)", None),
    ("metrics", "psnr_from_mse negative", "result = metrics.psnr_from_mse(-1.0)", None),
    ("metrics", "psnr_from_mse peak=0", "result = metrics.psnr_from_mse(0.1, peak=0)", None),
    ("metrics", "cdnet_fmeasure float masks", "result = metrics.cdnet_fmeasure(np.ones((1, 2, 2)), "
     "np.zeros((1, 2, 2), np.uint8))", None),
    ("metrics", "cdnet_fmeasure bad labels", "result = metrics.cdnet_fmeasure(np.ones((1, 2, 2), bool), "
     "np.ones((1, 2, 2), np.uint8))", None),
    ("metrics", "cdnet_fmeasure roi shape", "result = metrics.cdnet_fmeasure(np.ones((1, 2, 2), bool), "
     "np.zeros((1, 2, 2), np.uint8), roi=np.ones((3, 3), bool))", None),
    ("metrics", "cdnet_fmeasure shape mismatch", "result = metrics.cdnet_fmeasure(np.ones((1, 2, 2), bool), "
     "np.zeros((2, 2, 2), np.uint8))", None),
    ("metrics", "cdnet_fmeasure all ignored", "result = metrics.cdnet_fmeasure(np.ones((1, 2, 2), bool), "
     "np.full((1, 2, 2), 85, np.uint8))", "tuple(result) == (0.0, 0.0, 0.0)"),
    ("metrics", "cdnet_fmeasure perfect", "gt = np.array([[[255, 0]]], np.uint8); "
     "result = metrics.cdnet_fmeasure(gt == 255, gt)", "tuple(result) == (1.0, 1.0, 1.0)"),
    ("metrics", "cdnet_fmeasure gt float labels", "result = metrics.cdnet_fmeasure(np.ones((1, 2), bool)[None], "
     "np.full((1, 1, 2), 255.5))", None),
    ("quantize", "quantize_factors shape mismatch", "result = quantize.quantize_factors(np.ones((3, 2)), np.ones(3), "
     "np.ones((2, 4)))", None),
    ("quantize", "quantize_factors zero term", "q = quantize.quantize_factors(np.zeros((3, 1)), np.zeros(1), "
     "np.zeros((1, 4))); result = quantize.dequantize(q)", "np.all(result == 0)"),
    ("quantize", "quantize_factors 16 bits", "U, s, Vt = svd3(X64); result = quantize.dequantize("
     "quantize.quantize_factors(U, s, Vt, bits=16))", "np.allclose(result, X64, atol=1e-3)"),
    ("quantize", "dequantize missing key", "result = quantize.dequantize({'U': np.ones((2, 1))})", None),
    ("quantize", "display_levels clip reversed", "result = quantize.display_levels(X64, (1.0, 0.0))", None),
    ("quantize", "display_levels clip equal", "result = quantize.display_levels(X64, (1.0, 1.0))", None),
]
for module, name, code, check in OK:
    if check is None:
        case(module, name, code, kind="bad")
    else:
        case(module, name, code, kind="ok", check=check)

# words for the bad ones above: the clear message names one of these (set after the fact: one rule per case)
_BAD_WORDS = {
    "SVDCompressor image outside clip": ("clip", "range", "outside"),
    "SVDCompressor RGBA image": ("alpha", "channel", "RGBA", "(H, W, 3)"),
    "SVDCompressor n_components > min(shape)": ("n_components",),
    "eckart_young_error s unsorted": ("s", "sorted", "descending", "order", "largest"),
    "eckart_young_error s negative": ("s", "negative", ">= 0"),
    "storage_bytes dtype='float128x'": ("dtype",),
    "storage_bytes shape (4,)": ("shape",),
    "RobustPCA all zeros": ("zeros", "X"),
    "RobustPCA dtype=int": ("dtype",),
    "svt tau array": ("tau",),
    "shrink X nan": ("X", "nan"),
    "NMF negative X": ("negative",),
    "NMF itakura-saito with zero": ("Itakura", "X > 0", "zero", "beta"),
    "NMF custom W wrong shape": ("W", "shape"),
    "NMF custom without W": ("W", "custom"),
    "NMF custom W negative": ("W", "negative"),
    "NMF nndsvda k > min(shape)": ("n_components", "nndsvda"),
    "NMF init='bogus'": ("init",),
    "NMF transform negative": ("negative",),
    "beta_divergence shape mismatch": ("shape",),
    "beta_divergence Y negative": ("Y", "negative"),
    "beta_divergence beta='bogus'": ("beta",),
    "update_H shape mismatch": ("shape", "W", "H"),
    "MF float ids 1.5": ("whole", "id"),
    "MF y length mismatch": ("y", "length", "samples", "inconsistent"),
    "MF y nan": ("y", "nan"),
    "MF y strings": ("y", "number", "numeric", "float"),
    "recommend user='1'": ("user",),
    "recommend user=None": ("user",),
    "recommend exclude strings": ("exclude",),
    "similar_items unknown item": ("item",),
    "similar_items item='10'": ("item",),
    "check_ids 1-D": ("X", "shape"),
    "check_ids nan": ("X", "whole", "id"),
    "to_uint8 vmin > vmax": ("vmin", "vmax"),
    "to_uint8 vmin == vmax": ("vmin", "vmax"),
    "to_uint8 RGBA": ("alpha", "channel", "RGBA", "(H, W, 3)", "img"),
    "to_uint8 (H, W, 1)": ("channel", "(H, W, 3)", "img", "shape"),
    "encode_image RGBA": ("alpha", "channel", "RGBA", "(H, W, 3)", "img"),
    "encode_image fmt gif": ("fmt",),
    "encode_image huge quality": ("quality",),
    "encode_image webp 20000 wide": ("img", "width", "large", "16383", "size", "webp"),
    "to_gray of gray": ("RGB", "shape"),
    "to_gray RGBA": ("RGB", "shape", "alpha"),
    "to_gray nan": ("nan", "rgb"),
    "as_images empty list": ("empty",),
    "image_to_matrices RGBA": ("alpha", "channel", "RGBA", "(H, W, 3)", "image"),
    "image_to_matrices layout='bogus'": ("layout",),
    "image_to_matrices 1-D": ("image", "shape", "2-D"),
    "matrices_to_image bogus layout": ("layout",),
    "matrices_to_image wide not /3": ("wide", "3", "shape", "columns"),
    "frames_to_matrix 1-D": ("frames", "shape"),
    "frames_to_matrix object": ("frames", "dtype", "number", "numeric"),
    "matrix_to_frames wrong width": ("columns", "shape"),
    "matrix_to_frames negative shape": ("frame_shape", "shape", "negative"),
    "tile mixed shapes": ("shape",),
    "tile fill=300": ("fill",),
    "tile fill=-1": ("fill",),
    "tile vmin nan": ("vmin", "nan", "finite"),
    "image_grid titles too few": ("titles",),
    "image_grid empty": ("empty", "images"),
    "image_grid nan image": ("nan",),
    "image_grid cmap bogus": ("cmap", "colormap"),
    "image_grid size=-1": ("size",),
    "relative_error zeros": ("zeros", "A"),
    "relative_error shape mismatch": ("shape",),
    "relative_error broadcastable": ("shape",),
    "psnr uint8 peak=1": ("peak",),
    "psnr_from_mse negative": ("mse", "negative"),
    "psnr_from_mse peak=0": ("peak",),
    "cdnet_fmeasure float masks": ("masks", "bool"),
    "cdnet_fmeasure bad labels": ("labels", "groundtruth"),
    "cdnet_fmeasure roi shape": ("roi",),
    "cdnet_fmeasure shape mismatch": ("shape",),
    "cdnet_fmeasure gt float labels": ("groundtruth", "labels", "uint8"),
    "quantize_factors shape mismatch": ("shape",),
    "dequantize missing key": ("q", "quantize_factors", "keys", "Vt", "scale"),
    "display_levels clip reversed": ("clip",),
    "display_levels clip equal": ("clip",),
}
for c in CASES:
    if c["name"] in _BAD_WORDS and c["kind"] == "bad" and not c["words"]:
        c["words"] = _BAD_WORDS[c["name"]]

# -- frames: background, video, sliders, animations ----------------------------------------------

BAD_FRAMES = {
    "nan": ("np.where(FR > 128, np.nan, FR / 255)", ("nan",)),
    "one frame": ("FR[:1]", ("frame", "at least")),
    "2-D": ("FR[0]", ("shape", "n_frames", "(n")),
    "RGBA": ("np.concatenate([FRC, FRC[..., :1]], axis=3)", ("alpha", "channel", "RGB")),
    "object": ("np.array([[[None]]] * 3)", ("dtype", "numeric")),
    "int64": ("FR.astype(np.int64)", ("dtype", "uint8")),
    "empty": ("np.empty((0, 4, 4), np.uint8)", ("empty", "frame")),
    "mixed shapes": ("[FR[0], FR[1, :4], FR[2]]", ("shape",)),
    "complex": ("FR * 1j", ("dtype", "complex")),
    "float out of [0, 1]": ("FR.astype(float)", ("[0, 1]", "range", "255")),
}
FRAME_TARGETS = [
    ("background", "learn_background", "background.learn_background({F})", ("sample",)),
    ("video", "foreground_masks", "video.foreground_masks({F})", ("frames",)),
    ("video", "foreground_masks(iter)", "video.foreground_masks(iter(list({F})))", ("frames", "chunk")),
    ("io", "write_animation", "io.write_animation('anim.gif', {F})", ("frames",)),
    ("video", "clean_masks", "video.clean_masks({F})", ("masks",)),
]
for module, label, call, words in FRAME_TARGETS:
    for bad, (expr, w) in BAD_FRAMES.items():
        if label == "write_animation" and bad in ("one frame", "int64", "float out of [0, 1]"):
            continue          # one frame, any integers and any floats are valid animations (scaled)
        if label == "clean_masks" and bad in ("one frame", "int64", "float out of [0, 1]", "nan", "empty"):
            continue
        case(module, f"{label} frames={bad}", f"result = {call.format(F=expr)}", words=w + words, timeout=60)

FRAME_OK = [
    ("background", "learn_background constant frames", "m = background.learn_background(np.full((4, 5, 6), 100, "
     "np.uint8)); result = m.detect(np.full((2, 5, 6), 100, np.uint8))", "not result.any()"),
    ("background", "detect finds a bright square", "m = background.learn_background(np.full((8, 10, 12), 100, "
     "np.uint8) + (np.arange(8)[:, None, None] % 2).astype(np.uint8)); f = np.full((1, 10, 12), 100, np.uint8); "
     "f[0, 2:5, 2:5] = 250; result = m.detect(f)", "result[0, 3, 3] and result.sum() == 9"),
    ("background", "detect threshold nan", "result = background.learn_background(FR).detect(FR, threshold=np.nan)",
     None),
    ("background", "detect threshold -1", "result = background.learn_background(FR).detect(FR, threshold=-1)", None),
    ("background", "background() wrong shape", "result = background.learn_background(FR).background(FR[:, :3])", None),
    ("background", "learn_background lam=-1", "result = background.learn_background(FR, lam=-1.0)", None),
    ("background", "learn_background lam=nan", "result = background.learn_background(FR, lam=np.nan)", None),
    ("video", "foreground_masks constant", "result = video.foreground_masks(np.full((5, 6, 7, 3), 9, np.uint8))",
     "result.shape == (5, 6, 7) and not result.any()"),
    ("video", "foreground_masks bool frames", "result = video.foreground_masks(np.zeros((5, 6, 7), bool))",
     "result.shape == (5, 6, 7) and not result.any()"),
    ("video", "foreground_masks float32 in [0,1]", "result = video.foreground_masks((FR / 255).astype(np.float32))",
     "result.shape == FR.shape"),
    ("video", "foreground_masks generator of frames", "result = video.foreground_masks(f for f in FR)",
     "result.shape == FR.shape"),
    ("video", "foreground_masks empty iterator", "result = video.foreground_masks(iter([]))", None),
    ("video", "foreground_masks source=None", "result = video.foreground_masks(None)", None),
    ("video", "foreground_masks source=int", "result = video.foreground_masks(5)", None),
    ("video", "foreground_masks missing file", "result = video.foreground_masks('nope.avi')", None),
    ("video", "foreground_masks text file", "result = video.foreground_masks('fake.avi')", None),
    ("video", "clean_masks median=3.0", "result = video.clean_masks(FR > 128, median=3.0)", None),
    ("video", "clean_masks median=4", "result = video.clean_masks(FR > 128, median=4)", None),
    ("video", "clean_masks 2-D", "result = video.clean_masks(FR[0] > 128)", None),
    ("video", "clean_masks no frames", "result = video.clean_masks(np.zeros((0, 4, 5), bool))",
     "result.shape == (0, 4, 5)"),
    ("layout", "frames_to_matrix no frames", "result = layout.frames_to_matrix(np.empty((0, 2, 3)))",
     "result.shape == (0, 6)"),
    ("video", "evenly_spaced k>n", "result = video.evenly_spaced(3, 10).tolist()", "result == [0, 1, 2]"),
]
_FRAME_WORDS = {
    "detect threshold nan": ("threshold",), "detect threshold -1": ("threshold",),
    "background() wrong shape": ("shape", "match"), "learn_background lam=-1": ("lam",),
    "learn_background lam=nan": ("lam",), "foreground_masks empty iterator": ("empty", "frame"),
    "foreground_masks source=None": ("source", "frames"), "foreground_masks source=int": ("source", "frames"),
    "foreground_masks missing file": ("nope.avi", "exist"), "foreground_masks text file": ("fake.avi", "video",
                                                                                           "decode"),
    "clean_masks median=3.0": ("median",), "clean_masks median=4": ("median",),
    "clean_masks 2-D": ("masks", "shape"), "evenly_spaced k=0": ("k",), "evenly_spaced n=0": ("n",),
}
for module, name, code, check in FRAME_OK:
    files = ("fake.avi",) if "text file" in name else ()
    if check is None:
        case(module, name, code, words=_FRAME_WORDS[name], files=files, timeout=60)
    else:
        case(module, name, code, kind="ok", check=check, timeout=60)

# -- sliders ----------------------------------------------------------------------------------

SLIDER_BAD = [
    ("render nan image", "sliders.slider(lambda v: np.full((4, 4), np.nan), [1, 2]).static_html()", ("nan",)),
    ("render RGBA image", "sliders.slider(lambda v: np.ones((4, 4, 4)), [1, 2]).static_html()",
     ("alpha", "channel", "RGB")),
    ("render returns str", "sliders.slider(lambda v: 'x', [1, 2]).static_html()", ("render",)),
    ("render returns list of none", "sliders.slider(lambda v: [None], [1, 2]).static_html()", ("render",)),
    ("render returns 1-D", "sliders.slider(lambda v: np.ones(4), [1, 2]).static_html()", ("render", "shape", "2-D")),
    ("render returns empty", "sliders.slider(lambda v: np.ones((0, 4)), [1, 2]).static_html()", ("empty", "render")),
    ("render returns complex", "sliders.slider(lambda v: np.ones((4, 4)) * 1j, [1, 2]).static_html()",
     ("complex", "render")),
    ("render returns object", "sliders.slider(lambda v: np.array([[None]]), [1, 2]).static_html()",
     ("dtype", "render", "number")),
    ("render bad tuple", "sliders.slider(lambda v: (IMG, 3), [1, 2]).static_html()", ("tuple", "caption")),
    ("render panel count varies", "sliders.slider(lambda v: [IMG] * v, [1, 2]).static_html()", ("panels",)),
    ("render not callable", "sliders.slider(3, [1, 2])", ("render",)),
    ("values empty", "sliders.slider(lambda v: IMG, [])", ("values", "empty")),
    ("values duplicates", "sliders.slider(lambda v: IMG, [1, 1])", ("duplicate",)),
    ("values not iterable", "sliders.slider(lambda v: IMG, 5)", ("values", "sequence", "iterable")),
    ("value not in values", "sliders.slider(lambda v: IMG, [1, 2], value=7)", ("value", "7")),
    ("fmt bogus", "sliders.slider(lambda v: IMG, [1, 2], fmt='bmp')", ("fmt",)),
    ("labels count", "sliders.slider(lambda v: IMG, [1, 2], labels=['a', 'b']).static_html()", ("labels",)),
    ("readout unknown value", "sliders.slider(lambda v: IMG, [1, 2]).readout(5)", ("value", "5")),
    ("render frames mixed sizes", "sliders.slider(lambda v: np.ones((v + 2, 4)), [1, 2]).static_html()", None),
    ("lowrank s nan", "U, s, Vt = svd3(X64); s[0] = np.nan; result = sliders.lowrank_slider(U, s, Vt)", ("s", "nan")),
    ("lowrank s negative", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider(U, -s, Vt)", ("s", "negative")),
    ("lowrank shapes mismatch", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider(U[:, :2], s, Vt)",
     ("shape", "U", "s")),
    ("lowrank s 2-D", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider(U, np.diag(s), Vt)", ("s", "shape")),
    ("lowrank missing Vt", "result = sliders.lowrank_slider(np.ones((3, 2)), np.ones(2))", ("Vt", "factors")),
    ("lowrank layout bogus", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider(U, s, Vt, layout='bogus')",
     ("layout",)),
    ("lowrank layout wide not /3", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider(U, s, Vt, layout='wide')",
     ("wide", "3", "layout", "columns")),
    ("lowrank reference shape", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider(U, s, Vt, "
     "reference=np.ones((2, 2)))", ("reference", "shape")),
    ("lowrank reference nan", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider(U, s, Vt, "
     "reference=X64 * np.nan)", ("reference", "nan")),
    ("lowrank ranks too big", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider([sliders.lowrank_panel("
     "U, s, Vt, ranks=[1, 2, 3, 9])])", ("ranks", "9")),
    ("lowrank ranks 1.5", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider([sliders.lowrank_panel("
     "U, s, Vt, ranks=[1, 1.5, 3, 4])])", ("ranks", "whole")),
    ("lowrank ranks 0", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider([sliders.lowrank_panel("
     "U, s, Vt, ranks=[0, 1, 2, 3])])", ("ranks", "0")),
    ("lowrank panels count", "U, s, Vt = svd3(X64); result = sliders.lowrank_slider([sliders.lowrank_panel("
     "U, s, Vt), sliders.lowrank_panel(U, s, Vt, ranks=[1, 2])])", ("ranks", "positions")),
    ("lowrank empty panel list", "result = sliders.lowrank_slider([])", ("factors", "panels", "U")),
    ("lowrank clip reversed", "result = lr_slider(X64, clip=(1, 0))", ("clip",)),
    ("lowrank picture panel=5", "result = lr_slider(X64).picture(2, panel=5)", ("panel",)),
    ("lowrank readout 0", "result = lr_slider(X64).readout(0)", ("k", "range")),
    ("lowrank U RGBA", "result = sliders.lowrank_slider(np.ones((4, 3, 2)), np.ones((4, 2)), np.ones((4, 2, 5)))",
     ("channels", "3", "RGB", "shape")),
    ("lowrank U channels complex", "result = sliders.lowrank_slider(*(m * 1j for m in svd3(X64)))", ("complex",)),
]
for name, code, words in SLIDER_BAD:
    code = code if code.startswith("U,") or code.startswith("result") else f"result = {code}"
    if words is None:
        case("sliders", name, code, kind="ok", check="'<img' in result")
    else:
        case("sliders", name, code, words=words)

SLIDER_OK = [
    ("slider static html", "result = sliders.slider(lambda v: np.full((4, 4), v / 3), [1, 2, 3]).static_html()",
     "result.count('data:image/png') >= 3"),
    ("slider bool image", "result = sliders.slider(lambda v: np.eye(3, dtype=bool), [1]).static_html()",
     "'data:image/png' in result"),
    ("slider float32 image", "result = sliders.slider(lambda v: IMG.astype(np.float32), [1]).static_html()",
     "'data:image/png' in result"),
    ("slider figure", "import matplotlib.pyplot as plt\nresult = sliders.slider(lambda v: plt.figure(figsize=(1, 1)), "
     "[1]).static_html()", "'data:image/png' in result"),
    ("slider values strings", "result = sliders.slider(lambda v: IMG, ['a', 'b']).readout('b')", "result == 'k = b'"),
    ("lowrank 1x1", "result = sliders.lowrank_slider(np.ones((1, 1)), np.ones(1), np.ones((1, 1)), clip=(0, 2))"
     ".picture(1)", "abs(int(result[0, 0]) - 128) <= 1"),
    ("lowrank rank-1 picture", "A = np.outer([0.2, 0.4], [1.0, 0.5, 0.25]); result = lr_slider(A).picture(1)",
     "np.abs(result.astype(int) - np.rint(A * 255)).max() <= 1"),
    ("lowrank channels", "c = svd.SVDCompressor().fit(IMG); result = sliders.lowrank_slider(*c.factors()).picture(8)",
     "np.abs(result.astype(int) - np.rint(IMG * 255)).max() <= 2"),
    ("lowrank value np.int64", "result = lr_slider(X64, value=np.int64(2)).value", "result == 2"),
    ("lowrank static html", "result = lr_slider(X64).static_html()", "'<canvas' in result or '<script' in result"),
]
for name, code, check in SLIDER_OK:
    case("sliders", name, code, kind="ok", check=check)

# -- files: images, videos, animations, masks ------------------------------------------------------

FILES = [   # module, name, code, kind, words/check, files, keep
    ("io", "load_image missing", "result = io.load_image('nope.png')", "bad", ("nope.png", "exist"), (), ()),
    ("io", "load_image folder", "result = io.load_image('subdir')", "bad", ("subdir", "file"), ("subdir",), ()),
    ("io", "load_image text file", "result = io.load_image('notes.txt')", "bad", ("notes.txt", "decode", "image"),
     ("notes.txt",), ()),
    ("io", "load_image fake png", "result = io.load_image('fake.png')", "bad", ("fake.png", "decode"),
     ("fake.png",), ()),
    ("io", "load_image empty file", "result = io.load_image('empty.png')", "bad", ("empty.png", "decode", "empty"),
     ("empty.png",), ()),
    ("io", "load_image corrupt png", "result = io.load_image('corrupt.png')", "bad", ("corrupt.png", "decode"),
     ("corrupt.png",), ()),
    ("io", "load_image a video", "result = io.load_image('small.avi')", "bad", ("small.avi", "decode", "image"),
     ("small.avi",), ()),
    ("io", "load_image path=None", "result = io.load_image(None)", "bad", ("path",), (), ()),
    ("io", "load_image path=3", "result = io.load_image(3)", "bad", ("path",), (), ()),
    ("io", "load_image gray png", "result = io.load_image('gray.png', grayscale=True)", "ok",
     "np.allclose(result * 255, np.arange(12).reshape(3, 4) * 20)", ("gray.png",), ()),
    ("io", "load_image gray png as RGB", "result = io.load_image('gray.png')", "ok", "result.shape == (3, 4, 3)",
     ("gray.png",), ()),
    ("io", "load_image 16-bit", "result = io.load_image('deep.png', grayscale=True)", "ok", "np.allclose(result, 1)",
     ("deep.png",), ()),
    ("io", "load_image transparent", "result = io.load_image('rgba.png')", "ok", "np.allclose(result, 1)",
     ("rgba.png",), ()),
    ("io", "load_video missing", "result = io.load_video('nope.avi')", "bad", ("nope.avi", "exist"), (), ()),
    ("io", "load_video folder", "result = io.load_video('subdir')", "bad", ("subdir", "file"), ("subdir",), ()),
    ("io", "load_video text file", "result = io.load_video('fake.avi')", "bad", ("fake.avi", "video", "decode"),
     ("fake.avi",), ()),
    ("io", "load_video notes.txt", "result = io.load_video('notes.txt')", "bad", ("notes.txt", "video", "decode"),
     ("notes.txt",), ()),
    ("io", "load_video empty file", "result = io.load_video('empty.avi')", "bad", ("empty.avi", "video", "decode",
                                                                                  "empty"), ("empty.avi",), ()),
    ("io", "load_video header only", "result = io.load_video('header_only.avi')", "bad",
     ("header_only.avi", "video", "decode", "frame"), ("header_only.avi",), ()),
    ("io", "load_video a png", "result = io.load_video('gray.png')", "either", "len(result) == 1",
     ("gray.png",), ()),
    ("io", "load_video truncated", "result = io.load_video('truncated.avi')", "either", "0 < len(result) < 12",
     ("truncated.avi",), ()),
    ("io", "load_video start past end", "result = io.load_video('small.avi', start=50)", "bad",
     ("start", "frame"), ("small.avi",), ()),
    ("io", "load_video stop <= start", "result = io.load_video('small.avi', start=3, stop=2)", "bad",
     ("stop",), ("small.avi",), ()),
    ("io", "load_video size 3 values", "result = io.load_video('small.avi', size=(4, 4, 4))", "bad",
     ("size",), ("small.avi",), ()),
    ("io", "load_video size huge", "result = io.load_video('small.avi', size=(100000, 100000))", "bad",
     ("size", "memory", "large"), ("small.avi",), ()),
    ("io", "load_video timeout=0", "result = io.load_video('small.avi', timeout=0)", "bad",
     ("timeout",), ("small.avi",), ()),
    ("io", "load_video timeout=-1", "result = io.load_video('small.avi', timeout=-1)", "bad",
     ("timeout",), ("small.avi",), ()),
    ("io", "load_video timeout=nan", "result = io.load_video('small.avi', timeout=float('nan'))", "bad",
     ("timeout",), ("small.avi",), ()),
    ("io", "load_video ok", "result = io.load_video('small.avi', grayscale=True, start=2, stop=8, step=3)", "ok",
     "result.shape == (2, 12, 16) and abs(int(result[1, 0, 0]) - 100) <= 8", ("small.avi",), ()),
    ("io", "load_video resized", "result = io.load_video('small.avi', size=(8, 6))", "ok",
     "result.shape == (12, 6, 8, 3)", ("small.avi",), ()),
    ("io", "load_video np.int64 step", "result = io.load_video('small.avi', step=np.int64(4))", "ok",
     "len(result) == 3", ("small.avi",), ()),
    ("io", "load_video unknown registered name", "result = io.load_video('videos/nope.avi')", "bad",
     ("nope.avi", "exist", "registered"), (), ()),
    ("io", "iter_video ok", "result = [c.shape for c in io.iter_video('small.avi', chunk_size=5)]", "ok",
     "result == [(5, 12, 16, 3), (5, 12, 16, 3), (2, 12, 16, 3)]", ("small.avi",), ()),
    ("io", "iter_video chunk_size huge", "result = list(io.iter_video('small.avi', chunk_size=10**12))", "bad",
     ("chunk_size",), ("small.avi",), ()),
    ("io", "iter_video text file", "result = list(io.iter_video('fake.avi'))", "bad", ("fake.avi", "video", "decode"),
     ("fake.avi",), ()),
    ("io", "iter_video missing", "result = list(io.iter_video('nope.avi'))", "bad", ("nope.avi", "exist"), (), ()),
    ("io", "iter_video stopped early", "g = io.iter_video('small.avi', chunk_size=2); result = next(g).shape; "
     "g.close()", "ok", "result == (2, 12, 16, 3)", ("small.avi",), ()),
    ("io", "write_animation gif", "result = io.write_animation('new.gif', FR)", "ok",
     "Path('new.gif').stat().st_size > 100", (), ("new.gif",)),
    ("io", "write_animation avi", "result = io.write_animation('new.avi', FRC)", "ok",
     "len(io.load_video('new.avi')) == 6", (), ("new.avi",)),
    ("io", "write_animation bool frames", "result = io.write_animation('new.gif', FR > 100)", "ok",
     "Path('new.gif').exists()", (), ("new.gif",)),
    ("io", "write_animation existing gif", "result = io.write_animation('old.gif', FR)", "bad", ("old.gif", "exist"),
     ("old.gif",), ()),
    ("io", "write_animation into missing folder", "result = io.write_animation('nodir/new.gif', FR)", "bad",
     ("nodir", "folder", "exist", "directory"), (), ()),
    ("io", "write_animation into a file as folder", "result = io.write_animation('a_file/new.gif', FR)", "bad",
     ("a_file", "folder", "directory", "not a"), ("a_file",), ()),
    ("io", "write_animation suffix .mp4", "result = io.write_animation('new.mp4', FR)", "bad", (".mp4", "gif"),
     (), ()),
    ("io", "write_animation nan frames", "result = io.write_animation('new.gif', FR / 255 * np.nan)", "bad",
     ("nan", "frames"), (), ()),
    ("io", "write_animation RGBA frames", "result = io.write_animation('new.avi', np.zeros((2, 4, 4, 4)))", "bad",
     ("frames", "channels", "alpha", "(n, H, W, 3)"), (), ()),
    ("io", "write_animation empty", "result = io.write_animation('new.gif', np.zeros((0, 4, 4)))", "bad",
     ("frames", "empty"), (), ()),
    ("io", "write_animation object frames", "result = io.write_animation('new.gif', np.array([[[None]]]))", "bad",
     ("frames", "dtype", "numeric"), (), ()),
    ("io", "write_animation path=None", "result = io.write_animation(None, FR)", "bad", ("path",), (), ()),
    ("io", "write_animation a folder", "result = io.write_animation('subdir', FR)", "bad",
     ("subdir", "gif", "suffix"), ("subdir",), ()),
    ("io", "existing_file missing", "result = io.existing_file('nope')", "bad", ("nope", "exist"), (), ()),
    ("video", "masks out=existing", "result = video.foreground_masks(FR, out='old.npy')", "bad", ("old.npy", "exist"),
     ("old.npy",), ()),
    ("video", "masks out beside another run's .part", "result = video.foreground_masks(FR, out='m.npy'); "
     "result = np.array(result)", "ok", "result.shape == FR.shape", ("m.npy.part",), ("m.npy",)),
    ("video", "masks out into missing folder", "result = video.foreground_masks(FR, out='nodir/m.npy')", "bad",
     ("nodir", "folder", "exist", "directory"), (), ()),
    ("video", "masks out .txt", "result = video.foreground_masks(FR, out='m.txt')", "bad", ("m.txt", ".npy"), (), ()),
    ("video", "masks out with nan frames", "result = video.foreground_masks(FR / 255 * np.nan, out='m.npy')", "bad",
     ("nan",), (), ()),
    ("video", "masks out, source fails midway", "def gen():\n    yield from FR\n    raise RuntimeError('camera "
     "unplugged')\nresult = video.foreground_masks(gen(), out='m.npy')", "bad", ("camera unplugged",), (), ()),
    ("video", "masks from a video path", "result = video.foreground_masks('small.avi', n_sample_frames=6)", "ok",
     "result.shape == (12, 12, 16)", ("small.avi",), ()),
]
for module, name, code, kind, extra, files, keep in FILES:
    if kind == "bad":
        case(module, name, code, words=extra, files=files, keep=keep, timeout=60)
    else:
        case(module, name, code, kind=kind, check=extra, files=files, keep=keep, timeout=60,
             words=("decode", "video", "frame", "file"))

# -- data sets and the environment ------------------------------------------------------------------

D = {"MFLIB_DATA": DATA}
NODATA = {"MFLIB_DATA": None}
DATASETS = [   # name, code, kind, words/check, env, files
    ("fetch unregistered", "result = datasets.fetch('nope.bin')", "bad", ("nope.bin", "registered", "registry"), D),
    ("fetch None", "result = datasets.fetch(None)", "bad", ("relpath", "registered", "str"), D),
    ("fetch path traversal", "result = datasets.fetch('../../etc/passwd')", "bad", ("registered", "registry"), D),
    ("is_registered int", "result = datasets.is_registered(3)", "ok", "result is False", D),
    ("olivetti ok", "result = datasets.olivetti_faces().images.shape", "ok", "result == (400, 64, 64)", D),
    ("movielens ok", "result = datasets.movielens_100k().data.shape", "ok", "result == (100000, 2)", D),
    ("cdnet unknown video", "result = datasets.cdnet('baseline/nope')", "bad", ("nope", "available", "unknown"), D),
    ("cdnet frames=[1,2]", "result = datasets.cdnet(frames=[1, 2]).frames.shape", "ok",
     "result[0] == 2 and result[-1] == 3", D),
    ("cdnet frames='bogus'", "result = datasets.cdnet(frames='bogus')", "bad", ("frames", "scored"), D),
    ("cdnet frames beyond the clip", "result = datasets.cdnet(frames=[10**6])", "bad", ("frames", "range", "1"), D),
    ("sample_image unknown", "result = datasets.sample_image('nope')", "bad", ("nope", "china"), D),
    ("sample_image grayscale", "result = datasets.sample_image('flower', grayscale=True).shape", "ok",
     "result == (427, 640)", D),
    ("MFLIB_DATA missing folder", "result = datasets.olivetti_faces()", "bad", ("MFLIB_DATA",),
     {"MFLIB_DATA": "/nonexistent/data"}),
    ("MFLIB_DATA is a file", "result = datasets.olivetti_faces()", "bad", ("MFLIB_DATA",), {"MFLIB_DATA": "a_file"}),
    ("MFLIB_DATA empty folder", "result = datasets.olivetti_faces()", "bad", ("MFLIB_DATA", "olivetti"),
     {"MFLIB_DATA": "subdir"}),
    ("MFLIB_CACHE is a file", "result = datasets.olivetti_faces()", "bad", ("MFLIB_CACHE",),
     {"MFLIB_DATA": None, "MFLIB_CACHE": "a_file", "MFLIB_MIRROR_URL": "http://127.0.0.1:9"}),
    ("MFLIB_MIRROR_URL not a URL", "result = datasets.olivetti_faces()", "bad", ("MFLIB_MIRROR_URL",),
     {"MFLIB_DATA": None, "MFLIB_CACHE": "cache", "MFLIB_MIRROR_URL": "not a url"}),
    ("MFLIB_MIRROR_URL ftp", "result = datasets.movielens_100k()", "bad", ("MFLIB_MIRROR_URL",),
     {"MFLIB_DATA": None, "MFLIB_CACHE": "cache", "MFLIB_MIRROR_URL": "ftp://127.0.0.1/x"}),
    ("MFLIB_MIRROR_URL closed port", "result = datasets.olivetti_faces()", "bad", ("MFLIB_MIRROR_URL",),
     {"MFLIB_DATA": None, "MFLIB_CACHE": "cache", "MFLIB_MIRROR_URL": "http://127.0.0.1:9"}),
    ("load_video registered via mirror down", "result = io.load_video('videos/shop.avi')", "bad",
     ("MFLIB_MIRROR_URL",), {"MFLIB_DATA": None, "MFLIB_CACHE": "cache", "MFLIB_MIRROR_URL": "http://127.0.0.1:9"}),
    ("data_home with MFLIB_DATA relative", "result = datasets.data_home()", "ok", "result.is_absolute()",
     {"MFLIB_DATA": "subdir"}),
]
for name, code, kind, extra, env in DATASETS:
    files = ("a_file", "subdir")
    keep = ("cache",) if env.get("MFLIB_CACHE") == "cache" else ()
    if kind == "bad":
        case("datasets", name, code, words=extra, env=env, files=files, keep=keep, timeout=90)
    else:
        case("datasets", name, code, kind="ok", check=extra, env=env, files=files, keep=keep, timeout=90)

SPARK = [   # name, code, kind, words/check, env, timeout
    ("local_session JAVA_HOME nowhere", "result = spark.local_session()", "bad", ("JAVA_HOME",),
     {"JAVA_HOME": "/nonexistent/java"}, 90),
    ("local_session JAVA_HOME a file", "result = spark.local_session()", "bad", ("JAVA_HOME",),
     {"JAVA_HOME": "a_file"}, 90),
    ("local_session cores=0", "result = spark.local_session(cores=0)", "bad", ("cores",), {}, 90),
    ("SparkALS n_components=0", "result = recommend.SparkALS(n_components=0).fit(IDS, Y)", "bad", ("n_components",),
     {}, 90),
    ("SparkALS X with nan", "result = recommend.SparkALS().fit(np.where(IDS > 3, np.nan, IDS), Y)", "bad",
     ("X", "nan", "whole", "id"), {}, 90),
    ("SparkALS fit/predict", "m = recommend.SparkALS(n_components=2, max_iter=3).fit(IDS, Y); result = "
     "m.predict([[1, 10], [99, 99]])", "ok", "np.isfinite(result).all() and len(result) == 2", {}, 240),
]
for name, code, kind, extra, env, timeout in SPARK:
    files = ("a_file",)
    if kind == "bad":
        case("spark", name, code, words=extra, env=env, files=files, timeout=timeout)
    else:
        case("spark", name, code, kind="ok", check=extra, env=env, files=files, timeout=timeout)


# -- running a case ------------------------------------------------------------------------------------

LEAK_TYPES = {"KeyError", "IndexError", "AttributeError", "LinAlgError", "error", "OverflowError", "MemoryError",
              "_ArrayMemoryError", "ZeroDivisionError", "UFuncTypeError", "UFuncNoLoopError",
              "_UFuncNoLoopError", "UFuncBinaryResolutionError", "_UFuncBinaryResolutionError",
              "AssertionError", "NameError", "UnboundLocalError", "RecursionError", "NotImplementedError",
              "StopIteration", "UnicodeDecodeError", "JSONDecodeError", "SystemError", "FloatingPointError"}
CLEAR_TYPES = {"ValueError", "TypeError", "FileNotFoundError", "FileExistsError", "NotADirectoryError",
               "IsADirectoryError", "PermissionError", "TimeoutError", "RuntimeError", "OSError",
               "NotFittedError", "InvalidParameterError"}
INTERNAL = ("'<' not supported", "unsupported operand", "object has no attribute", "ufunc", "Traceback",
            "could not convert string to float", "cannot reshape", "index out of bounds", "Py4J",
            "Java gateway", "operands could not be broadcast", "only integer scalar")


def _hash_tree(folder):
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


def _child(c, scratch, result_file):
    """Runs in the forked worker: the snippet, then one JSON line into ``result_file``."""
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)                      # OpenCV's and FFmpeg's own warnings
    os.chdir(scratch)
    tmp = scratch / "tmp"
    tmp.mkdir()
    tempfile.tempdir = str(tmp)
    os.environ["TMPDIR"] = str(tmp)
    for k, v in c["env"].items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = str(scratch / v) if v in ("a_file", "subdir", "cache") else v
    import warnings
    warnings.simplefilter("ignore")
    ns = dict(NAMESPACE)
    try:
        exec(compile(c["code"], f"<case {c['name']}>", "exec"), ns)
        out = {"ok": True, "value": repr(ns.get("result"))[:300]}
        if c["check"] is not None:
            out["check"] = bool(eval(c["check"], ns))
    except BaseException as exc:  # noqa: BLE001 -- every outcome is recorded
        tb = traceback.extract_tb(exc.__traceback__)
        out = {"ok": False, "type": type(exc).__name__, "module": type(exc).__module__,
               "mro": [t.__name__ for t in type(exc).__mro__], "message": str(exc)[:3000],
               "where": f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""}
    try:
        Path(result_file).write_text(json.dumps(out))
    finally:
        os._exit(0)


def _has_word(message, words):
    low = message.lower()
    for w in words:
        if len(w) <= 2 and w.isalnum():
            if re.search(rf"(?<![A-Za-z0-9_]){re.escape(w.lower())}(?![A-Za-z0-9_])", low):
                return True
        elif w.lower() in low:
            return True
    return False


def is_clear(out, c, scratch):
    """An ordinary error type whose message names the problem, and quotes no internal."""
    kinds = set(out["mro"])
    if out["type"] in LEAK_TYPES or kinds & {"LinAlgError", "error"} or out["module"].split(".")[0] in (
            "cv2", "py4j", "pyspark", "numpy") and out["type"] not in ("AxisError",):
        return False
    if not (kinds & CLEAR_TYPES or out["module"].startswith("mflib")):
        return False
    msg = out["message"]
    if str(scratch / "tmp") in msg or any(s in msg for s in INTERNAL):
        return False
    return _has_word(msg, c["words"]) if c["words"] else True


def classify(c, out, scratch, before, after):
    if out is None:
        return "hang"
    changed = [f for f, h in before.items() if after.get(f) != h]
    if changed:
        return "lost"
    success = out.get("ok")
    allowed = set(c["keep"]) if success else set()
    new = [f for f, h in after.items() if f not in before and h != "dir" and f.split("/")[0] not in allowed
           and not f.startswith("tmp/mflib-spark-conf") and "/.locks/" not in f]   # a cache's lock files stay
    if new:
        return "leftover"
    if success:
        if c["kind"] == "bad":
            return "silent"
        return "correct" if out.get("check", True) else "silent"
    if c["kind"] == "ok":
        return "fails"
    return "clear" if is_clear(out, c, scratch) else "leaks"


def run(cases, jobs, verbose=False):
    root = Path(tempfile.mkdtemp(prefix="mflib-fuzz-"))
    fixtures = make_fixtures(root / "fixtures")
    results, queue, running = [], list(enumerate(cases)), {}
    try:
        while queue or running:
            while queue and len(running) < jobs:
                i, c = queue.pop(0)
                scratch = root / f"case{i:04d}"
                scratch.mkdir()
                for name in c["files"]:
                    src = fixtures / name
                    (shutil.copytree if src.is_dir() else shutil.copy2)(src, scratch / name)
                before = _hash_tree(scratch)
                result_file = root / f"result{i:04d}.json"
                pid = os.fork()
                if pid == 0:
                    _child(c, scratch, result_file)
                running[pid] = (i, c, scratch, before, result_file, time.monotonic())
            time.sleep(0.02)
            for pid, (_i, c, scratch, before, result_file, t0) in list(running.items()):
                done, _ = os.waitpid(pid, os.WNOHANG)
                late = time.monotonic() - t0 > c["timeout"]
                if not done and not late:
                    continue
                try:
                    os.killpg(pid, signal.SIGKILL)       # the case's stray children (decoders, a JVM)
                except (ProcessLookupError, PermissionError):
                    pass
                if not done:
                    os.waitpid(pid, 0)
                out = json.loads(result_file.read_text()) if done and result_file.exists() else None
                if done and out is None:
                    out = {"ok": False, "type": "crash", "module": "", "mro": [], "message": "worker died",
                           "where": ""}
                after = _hash_tree(scratch)
                outcome = classify(c, out, scratch, before, after)
                elapsed = time.monotonic() - t0
                msg = ("(timeout)" if out is None else out.get("value", "") if out.get("ok")
                       else f"{out['type']}: {out['message']}")
                if outcome == "leftover":
                    msg = f"left {[f for f, h in after.items() if f not in before and h != 'dir']} -- {msg}"
                results.append(dict(module=c["module"], name=c["name"], kind=c["kind"], outcome=outcome,
                                    message=msg, where=(out or {}).get("where", ""), seconds=round(elapsed, 2)))
                if verbose:
                    print(f"{outcome:9s} {elapsed:5.1f}s {c['module']:10s} {c['name']}: {msg[:100]}", flush=True)
                del running[pid]
    finally:
        for pid in running:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(root, ignore_errors=True)
    return results


OUTCOMES = ("clear", "correct", "silent", "hang", "lost", "leftover", "fails", "leaks")


def report(results, seconds):
    by_module = defaultdict(Counter)
    for r in results:
        by_module[r["module"]][r["outcome"]] += 1
    total = Counter(r["outcome"] for r in results)
    head = f"{'module':11s} {'tried':>5s} " + " ".join(f"{o:>8s}" for o in OUTCOMES)
    print(head)
    print("-" * len(head))
    for module in sorted(by_module):
        cnt = by_module[module]
        print(f"{module:11s} {sum(cnt.values()):5d} " + " ".join(f"{cnt[o]:8d}" for o in OUTCOMES))
    print("-" * len(head))
    print(f"{'all':11s} {len(results):5d} " + " ".join(f"{total[o]:8d}" for o in OUTCOMES))
    print(f"\n{len(results)} cases in {seconds:.0f} s")
    bad = [r for r in results if r["outcome"] not in ("clear", "correct")]
    if bad:
        print(f"\n{len(bad)} cases neither clear nor correct:")
        for r in sorted(bad, key=lambda r: (r["outcome"], r["module"], r["name"])):
            msg = " ".join(r["message"].split())[:150]
            print(f"  {r['outcome']:8s} {r['module']:10s} {r['name']}  [{r['where']}]\n           {msg}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="run the cases whose module or name contains this")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--no-spark", action="store_true", help="skip the cases that start a JVM")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    cases = [c for c in CASES if not args.only or args.only in c["module"] or args.only in c["name"]]
    if args.no_spark:
        cases = [c for c in cases if c["module"] != "spark" and "SparkALS" not in c["name"]]
    t0 = time.monotonic()
    results = run(cases, args.jobs, args.verbose)
    report(results, time.monotonic() - t0)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
