"""From-scratch multiplicative-update NMF against scikit-learn on the Olivetti faces.

    MFLIB_DATA=../shared/data python benchmarks/bench_nmf.py

Prints, for each rank, both objectives (half the squared Frobenius error), the
relative gap, and both timings.
"""

import time

import numpy as np
from sklearn.decomposition import NMF

from mflib.datasets import olivetti_faces
from mflib.nmf import MultiplicativeNMF


def main():
    X = olivetti_faces().data.astype(np.float64)
    print(f"Olivetti faces {X.shape}; objective = 0.5 ||X - WH||_F^2")
    for k in (6, 16, 25):
        t0 = time.perf_counter()
        sk = NMF(k, init="nndsvda", solver="cd", tol=5e-3, max_iter=1000, random_state=0).fit(X)
        t_sk = time.perf_counter() - t0
        t0 = time.perf_counter()
        mu = MultiplicativeNMF(k, max_iter=600, tol=1e-5).fit(X)
        t_mu = time.perf_counter() - t0
        obj_sk, obj_mu = sk.reconstruction_err_ ** 2 / 2, mu.reconstruction_err_ ** 2 / 2
        print(f"k={k:2d}: scikit-learn cd {obj_sk:8.2f} in {t_sk:5.2f} s ({sk.n_iter_} iter) | "
              f"from-scratch MU {obj_mu:8.2f} in {t_mu:5.2f} s ({mu.n_iter_} iter) | "
              f"gap {100 * (obj_mu / obj_sk - 1):+.2f}%")


if __name__ == "__main__":
    main()
