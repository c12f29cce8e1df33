"""Bad and edge-case arguments to mflib's public functions, each run in its own process; prints the counts.

    python tools/fuzz_inputs.py [--verbose]

Every case is input a reader could pass by mistake. A case is *clear* when it raises ValueError,
TypeError, FileNotFoundError, RuntimeError or FloatingPointError naming the argument; *leak* when
another exception escapes (KeyError, IndexError, cv2.error, LinAlgError, OverflowError, MemoryError,
...); *silent* when it returns (a wrong answer, or NaN); *hang* when it runs past 60 s; *crash* when
the process dies. Complements tools/fuzz_files.py (downloads, the cache, the reader's output files).
"""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

SETUP = """
import numpy as np, warnings
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
img = rng.random((6, 5)); rgb = rng.random((6, 5, 3)); rgba = rng.random((6, 5, 4))
U, s, Vt = np.linalg.svd(img, full_matrices=False)
X2 = np.array([[1, 10], [1, 11], [2, 10], [2, 12], [3, 11], [3, 12]]); y2 = np.array([5., 3, 4, 1, 2, 4])
def mf():
    from mflib.recommend import MatrixFactorization
    return MatrixFactorization(2, solver="als", max_iter=3, tol=0, random_state=0).fit(X2, y2)
"""

CASES = {
    # imaging
    "to_uint8 vmin=nan": "from mflib.imaging import to_uint8; to_uint8(img, vmin=np.nan)",
    "to_uint8 vmin>vmax": "from mflib.imaging import to_uint8; to_uint8(img, vmin=1, vmax=0)",
    "to_uint8 text vmax": "from mflib.imaging import to_uint8; to_uint8(img, vmax='1')",
    "to_uint8 4-D": "from mflib.imaging import to_uint8; to_uint8(np.zeros((2, 2, 2, 2)))",
    "encode_image rgba": "from mflib.imaging import encode_image; encode_image(rgba)",
    "encode_image 2 channels": "from mflib.imaging import encode_image; encode_image(np.zeros((4, 4, 2)))",
    "encode_image fmt gif": "from mflib.imaging import encode_image; encode_image(img, 'gif')",
    "encode_image quality 0": "from mflib.imaging import encode_image; encode_image(img, 'jpeg', quality=0)",
    "encode_image quality 50.5": "from mflib.imaging import encode_image; encode_image(img, 'jpeg', quality=50.5)",
    "encode_image nan": "from mflib.imaging import encode_image; encode_image(np.full((2, 2), np.nan))",
    "to_gray gray": "from mflib.imaging import to_gray; to_gray(img)",
    "to_gray rgba": "from mflib.imaging import to_gray; to_gray(rgba)",
    "value_range empty": "from mflib.imaging import value_range; value_range([])",
    # plotting
    "tile pad -2": "from mflib.plotting import tile; tile([img, img], pad=-2)",
    "tile ncols 0": "from mflib.plotting import tile; tile([img, img], ncols=0)",
    "tile fill 300": "from mflib.plotting import tile; tile([img, img], fill=300)",
    "tile mixed shapes": "from mflib.plotting import tile; tile([img, img.T])",
    "image_grid size -1": "from mflib.plotting import image_grid; image_grid([img], size=-1)",
    "image_grid titles count": "from mflib.plotting import image_grid; image_grid([img, img], titles=['a'])",
    # svd, quantize, metrics
    "randomized_svd k=0": "from mflib.svd import randomized_svd; randomized_svd(img, 0)",
    "randomized_svd k=2.5": "from mflib.svd import randomized_svd; randomized_svd(img, 2.5)",
    "randomized_svd nan": "from mflib.svd import randomized_svd; randomized_svd(np.full((4, 4), np.nan), 2)",
    "randomized_svd n_iter=-1": "from mflib.svd import randomized_svd; randomized_svd(img, 2, n_iter=-1)",
    "reconstruct mismatched": "from mflib.svd import reconstruct; reconstruct(U, s[:2], Vt)",
    "eckart_young unsorted": "from mflib.svd import eckart_young_error; eckart_young_error([1.0, 2.0], 1)",
    "storage_bytes shape=A": "from mflib.svd import storage_bytes; storage_bytes(img, 2)",
    "storage_bytes dtype bogus": "from mflib.svd import storage_bytes; storage_bytes((4, 4), 2, 'bogus')",
    "breakeven pixel_bytes 0": "from mflib.svd import breakeven_rank; breakeven_rank((4, 4), pixel_bytes=0)",
    "compressor rgba": "from mflib.svd import SVDCompressor; SVDCompressor().fit(rgba)",
    "compressor 0..255 clip": "from mflib.svd import SVDCompressor; SVDCompressor(clip=(0.0, 1.0)).fit(img * 255)",
    "compressor factors k big": "from mflib.svd import SVDCompressor; SVDCompressor().fit(img).factors(99)",
    "compressor layout bogus": "from mflib.svd import SVDCompressor; SVDCompressor(layout='rows').fit(rgb)",
    "quantize bits 17": "from mflib.quantize import quantize_factors; quantize_factors(U, s, Vt, bits=17)",
    "dequantize wrong dict": "from mflib.quantize import dequantize; dequantize({'u': 1})",
    "psnr shape mismatch": "from mflib.metrics import psnr; psnr(img, img.T)",
    "psnr peak text": "from mflib.metrics import psnr; psnr(img, img, peak='1')",
    "psnr peak 0": "from mflib.metrics import psnr; psnr(img, img, peak=0)",
    "psnr 0..255 peak 1": "from mflib.metrics import psnr; psnr(img * 255, img)",
    "relative_error zeros": "from mflib.metrics import relative_error; relative_error(np.zeros(3), np.ones(3))",
    "cdnet masks not bool": ("from mflib.metrics import cdnet_fmeasure; "
                             "cdnet_fmeasure(np.zeros((1, 2, 2)), np.zeros((1, 2, 2), np.uint8))"),
    "cdnet labels 7": ("from mflib.metrics import cdnet_fmeasure; "
                       "cdnet_fmeasure(np.zeros((1, 2, 2), bool), np.full((1, 2, 2), 7, np.uint8))"),
    # layout
    "image_to_matrices bogus": "from mflib.layout import image_to_matrices; image_to_matrices(rgb, 'spiral')",
    "matrix_to_frames wrong": "from mflib.layout import matrix_to_frames; matrix_to_frames(np.zeros((3, 5)), (2, 2))",
    # sliders
    "slider empty values": "from mflib.sliders import slider; slider(lambda v: img, [])",
    "slider value not in": "from mflib.sliders import slider; slider(lambda v: img, [1, 2], value=3)",
    "slider render text": "from mflib.sliders import slider; slider(lambda v: 'x', [1]).static_html()",
    "slider render rgba": "from mflib.sliders import slider; slider(lambda v: rgba, [1]).static_html()",
    "slider quality 0": "from mflib.sliders import slider; slider(lambda v: img, [1], fmt='jpeg', quality=0)",
    "slider step unknown": "from mflib.sliders import slider; slider(lambda v: img, [1]).step(5)",
    "lowrank value 0": "from mflib.sliders import lowrank_slider; lowrank_slider(U, s, Vt, value=0)",
    "lowrank value 1.5": "from mflib.sliders import lowrank_slider; lowrank_slider(U, s, Vt, value=1.5)",
    "lowrank negative s": "from mflib.sliders import lowrank_slider; lowrank_slider(U, -s, Vt)",
    "lowrank rgba reference": "from mflib.sliders import lowrank_slider; lowrank_slider(U, s, Vt, reference=rgba)",
    "lowrank clip reversed": "from mflib.sliders import lowrank_slider; lowrank_slider(U, s, Vt, clip=(1, 0))",
    "lowrank picture k big": "from mflib.sliders import lowrank_slider; lowrank_slider(U, s, Vt).picture(99)",
    "lowrank picture panel 3": "from mflib.sliders import lowrank_slider; lowrank_slider(U, s, Vt).picture(1, 3)",
    "lowrank quantize 4": "from mflib.sliders import lowrank_slider; lowrank_slider(U, s, Vt, quantize=4)",
    # rpca
    "shrink tau -1": "from mflib.rpca import shrink; shrink(img, -1.0)",
    "shrink tau text": "from mflib.rpca import shrink; shrink(img, 'a')",
    "svt tau -1": "from mflib.rpca import svt; svt(img, -1.0)",
    "svt nan": "from mflib.rpca import svt; svt(np.full((4, 4), np.nan), 0.1)",
    "svt rank 0": "from mflib.rpca import svt; svt(img, 0.1, rank=0)",
    "svt 1-D": "from mflib.rpca import svt; svt(np.ones(4), 0.1)",
    "rpca nan": "from mflib.rpca import RobustPCA; RobustPCA().fit(np.full((4, 4), np.nan))",
    "rpca zeros": "from mflib.rpca import RobustPCA; RobustPCA().fit(np.zeros((4, 4)))",
    "rpca dtype int": "from mflib.rpca import RobustPCA; RobustPCA(dtype=int).fit(img)",
    "rpca inverse width": "from mflib.rpca import RobustPCA; RobustPCA().fit(img).inverse_transform(np.ones((2, 9)))",
    # background, video
    "learn_background 1 frame": ("from mflib.background import learn_background; "
                                 "learn_background(rng.random((1, 4, 4)))"),
    "learn_background rgba": ("from mflib.background import learn_background; "
                              "learn_background(rng.random((5, 4, 4, 4)))"),
    "learn_background max_rank 0": ("from mflib.background import learn_background; "
                                    "learn_background(rng.random((5, 4, 4)), max_rank=0)"),
    "foreground threshold text": ("from mflib.video import foreground_masks; "
                                  "foreground_masks(rng.random((5, 4, 4)), threshold='5')"),
    "foreground shadow 0": ("from mflib.video import foreground_masks; "
                            "foreground_masks(rng.random((5, 4, 4)), shadow_ratio=0)"),
    "foreground nan": "from mflib.video import foreground_masks; foreground_masks(np.full((5, 4, 4), np.nan))",
    "foreground int16": "from mflib.video import foreground_masks; foreground_masks(np.zeros((5, 4, 4), np.int16))",
    "foreground out .txt": ("from mflib.video import foreground_masks; "
                            "foreground_masks(rng.random((5, 4, 4)), out='m.txt')"),
    "clean_masks median 4": "from mflib.video import clean_masks; clean_masks(np.zeros((1, 4, 4), bool), median=4)",
    "clean_masks median text": ("from mflib.video import clean_masks; "
                                "clean_masks(np.zeros((1, 4, 4), bool), median='5')"),
    "foreground empty iterator": "from mflib.video import foreground_masks; foreground_masks(iter([]))",
    # io
    "load_image missing": "from mflib.io import load_image; load_image('/nonexistent.png')",
    "load_image text": "open('t.png', 'w').write('hello'); from mflib.io import load_image; load_image('t.png')",
    "load_video text": "open('t.avi', 'w').write('hello ' * 500); from mflib.io import load_video; load_video('t.avi')",
    "load_video empty": "open('e.avi', 'w').close(); from mflib.io import load_video; load_video('e.avi')",
    "load_video start 1.5": "from mflib.io import load_video; load_video('videos/shop.avi', start=1.5)",
    "load_video stop<start": "from mflib.io import load_video; load_video('videos/shop.avi', start=5, stop=2)",
    "load_video size text": "from mflib.io import load_video; load_video('videos/shop.avi', size=('a', 2))",
    "load_video size huge": "from mflib.io import load_video; load_video('videos/shop.avi', size=(10**5, 10**5))",
    "load_video step 0": "from mflib.io import load_video; load_video('videos/shop.avi', step=0)",
    "iter_video chunk huge": "from mflib.io import iter_video; next(iter_video('videos/shop.avi', chunk_size=10**12))",
    "iter_video chunk 0": "from mflib.io import iter_video; next(iter_video('videos/shop.avi', chunk_size=0))",
    "write_animation fps 0": ("from mflib.io import write_animation; "
                              "write_animation('a.gif', rng.random((3, 4, 4)), fps=0)"),
    "write_animation .mp4": "from mflib.io import write_animation; write_animation('a.mp4', rng.random((3, 4, 4)))",
    "write_animation nan": ("from mflib.io import write_animation; "
                            "write_animation('b.gif', np.full((3, 4, 4), np.nan))"),
    # nmf
    "nmf negative": "from mflib.nmf import MultiplicativeNMF; MultiplicativeNMF(2).fit(-img)",
    "nmf huge": ("from mflib.nmf import MultiplicativeNMF; "
                 "MultiplicativeNMF(2, max_iter=20).fit(np.full((4, 3), 1e200))"),
    "nmf n_components 2.5": "from mflib.nmf import MultiplicativeNMF; MultiplicativeNMF(2.5).fit(img)",
    "nmf custom without W": "from mflib.nmf import MultiplicativeNMF; MultiplicativeNMF(2, init='custom').fit(img)",
    "nmf IS with zeros": ("from mflib.nmf import MultiplicativeNMF; "
                          "MultiplicativeNMF(2, beta_loss=0).fit(np.zeros((3, 3)))"),
    "nmf transform width": ("from mflib.nmf import MultiplicativeNMF; "
                            "MultiplicativeNMF(2, max_iter=5, tol=0).fit(img).transform(np.ones((2, 9)))"),
    "beta_divergence beta -1": "from mflib.nmf import beta_divergence; beta_divergence(img, img, -1)",
    "nndsvd k too big": "from mflib.nmf import nndsvd; nndsvd(img, 9)",
    # recommend
    "mf ids 1.5": ("from mflib.recommend import MatrixFactorization; "
                   "MatrixFactorization().fit([[1.5, 2], [3, 4]], [1, 2])"),
    "mf uint64 huge": ("from mflib.recommend import MatrixFactorization; "
                       "MatrixFactorization().fit(np.array([[2**63 + 5, 1], [1, 2]], np.uint64), [1., 2])"),
    "mf y nan": "from mflib.recommend import MatrixFactorization; MatrixFactorization().fit(X2, y2 * np.nan)",
    "mf y huge": "from mflib.recommend import MatrixFactorization; MatrixFactorization().fit(X2, y2 * 1e200)",
    "mf one column": "from mflib.recommend import MatrixFactorization; MatrixFactorization().fit(X2[:, :1], y2)",
    "recommend user 1.5": "mf().recommend(1.5)",
    "recommend n -1": "mf().recommend(1, n=-1)",
    "recommend user 2**70": "mf().recommend(2 ** 70)",
    "similar_items 1.7": "mf().similar_items(1.7)",
    "similar_items unknown": "mf().similar_items(999)",
    "spark java_home nowhere": ("import os; os.environ['JAVA_HOME'] = '/nonexistent'; "
                                "from mflib.spark import local_session; local_session()"),
}

CLEAR = ("ValueError", "TypeError", "FileNotFoundError", "FileExistsError", "RuntimeError", "FloatingPointError",
         "DataNotFoundError", "DataCorruptError", "NotFittedError", "InvalidParameterError", "TimeoutError")

RUN = """
import json, os, sys, tempfile
os.chdir(tempfile.mkdtemp())
{setup}
try:
{body}
except BaseException as exc:
    print(json.dumps([type(exc).__name__, str(exc)[:300]]))
else:
    print(json.dumps(["returned", ""]))
"""


def run(case):
    body = "\n".join("    " + line for line in CASES[case].split("\n"))
    try:
        proc = subprocess.run([sys.executable, "-c", RUN.format(setup=SETUP, body=body)], capture_output=True,
                              text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return case, "hang", ""
    if proc.returncode != 0 or not proc.stdout.strip():
        return case, "crash", proc.stderr[-300:]
    kind, message = json.loads(proc.stdout.strip().splitlines()[-1])
    verdict = "silent" if kind == "returned" else "clear" if kind in CLEAR else "leak"
    return case, verdict, f"{kind}: {message}"


def main(verbose):
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, CASES))
    counts = {}
    for case, verdict, detail in results:
        counts[verdict] = counts.get(verdict, 0) + 1
        if verbose or verdict != "clear":
            print(f"{verdict:7s} {case}: {detail[:200]}")
    print(f"tried {len(results)}: " + ", ".join(f"{k} {counts.get(k, 0)}"
                                               for k in ("clear", "silent", "leak", "hang", "crash")))


if __name__ == "__main__":
    main("--verbose" in sys.argv)
