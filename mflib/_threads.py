"""Thread limits in one place: the small products of this package run on one BLAS thread.

For the thin matrices of a slider step, a robust-PCA subsample or an ALS sweep,
BLAS threads cost more in start-up and, on a busy machine, in waiting for a free
core than they save (measured: a 512 x 100 x 512 product took 24 ms with two
threads, 1.2 ms with one).
"""

from functools import cache


@cache
def _controller():
    from threadpoolctl import ThreadpoolController  # installed with scikit-learn

    return ThreadpoolController()


def one_blas_thread():
    """Context manager in which BLAS (OpenBLAS, MKL, ...) runs on one thread."""
    return _controller().limit(limits=1, user_api="blas")
