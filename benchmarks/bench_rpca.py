"""Foreground masks on CDnet 2014 highway, full resolution, scored frames 470-1700.

    MFLIB_DATA=../shared/data python benchmarks/bench_rpca.py

Each method gets the same grayscale frames, already in memory (loading is timed
separately), the same clean-up (5x5 median filter and closing), and is scored by
CDnet's rules. OpenCV's subtractors run with their defaults, warmed up on frames
1-469 (before the scored range); their shadow label (127) counts as background. Peak memory is the process's
maximum resident size, measured in a fresh child process per method.
"""

import json
import subprocess
import sys
import time

import numpy as np

METHODS = ["foreground_masks", "svd_trick", "mog2", "knn"]


def run(method):
    import resource

    import cv2

    from mflib.datasets import cdnet
    from mflib.video import cdnet_fmeasure, clean_masks, foreground_masks

    t0 = time.perf_counter()
    seq = cdnet(frames="scored", grayscale=True)
    load = time.perf_counter() - t0
    frames = seq.frames
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if method == "foreground_masks":
        masks = foreground_masks(frames)                       # the defaults
    elif method == "svd_trick":
        # rank-1 background from a truncated SVD, thresholded like our masks (5 x robust scale)
        from sklearn.utils.extmath import randomized_svd
        X = frames.reshape(len(frames), -1).astype(np.float32) / 255
        U, s, Vt = randomized_svd(X, 1, random_state=0)
        R = np.abs(X - (U * s) @ Vt)
        scale = 1.4826 * np.median(R[::16], axis=0)
        scale = np.maximum(scale, np.median(scale))
        masks = clean_masks((R > 5 * scale).reshape(frames.shape))
    else:
        sub = cv2.createBackgroundSubtractorMOG2() if method == "mog2" else cv2.createBackgroundSubtractorKNN()
        # warm up on the frames before the scored range, as CDnet intends
        for f in cdnet(frames=range(1, seq.temporal_roi[0]), grayscale=True).frames:
            sub.apply(f)
        t0 = time.perf_counter()
        masks = clean_masks(np.stack([sub.apply(f) == 255 for f in frames]))   # 127 = shadow -> background
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    score = cdnet_fmeasure(masks, seq.groundtruth, seq.roi)
    return dict(method=method, seconds=elapsed, load=load, f=score.f, precision=score.precision,
                recall=score.recall, peak_gb=peak / 1e6, extra_gb=(peak - base) / 1e6)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run(sys.argv[2])))
        return
    print("CDnet 2014 baseline/highway, frames 470-1700, 320x240 grayscale (76,800 x 1,231)")
    for method in METHODS:
        out = subprocess.run([sys.executable, __file__, "--one", method], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['method']:17s} F {r['f']:.3f}  P {r['precision']:.3f}  R {r['recall']:.3f}  "
              f"time {r['seconds']:5.2f} s  peak memory {r['peak_gb']:.2f} GB  (loading frames {r['load']:.2f} s)")


if __name__ == "__main__":
    main()
