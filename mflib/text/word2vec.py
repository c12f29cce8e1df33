"""gensim's word2vec as the course trains it: reproducible, and on another core while the kernel works.

word2vec's training holds no lock a NumPy computation needs, but its Python
side (batching the sentences) competes with the kernel's threads for the
interpreter; a separate process does not, so :func:`train_sgns_in_background`
trains there and hands the model back.
"""

import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context


def _stable_hash(word):
    # Python's own str hash changes between processes; word2vec seeds each word's start vector with it
    return zlib.crc32(word.encode())


def train_sgns(sentences, dim=300, window=2, min_count=5, negative=5, epochs=5, seed=0):
    """Skip-gram with negative sampling (gensim ``Word2Vec``), on one worker thread so the result is reproducible.

    Subsampling stays at word2vec's default (``1e-3``). Returns the model and
    the seconds it took to train.
    """
    from gensim.models import Word2Vec
    start = time.perf_counter()
    model = Word2Vec(sentences, vector_size=dim, window=window, min_count=min_count, sg=1, negative=negative,
                     epochs=epochs, workers=1, seed=seed, hashfxn=_stable_hash)
    return model, time.perf_counter() - start


def train_sgns_in_background(sentences, **params):
    """Start :func:`train_sgns` in a separate process; ``.result()`` of the returned future waits for it."""
    executor = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
    future = executor.submit(train_sgns, sentences, **params)
    executor.shutdown(wait=False)        # the process ends when the training does
    return future
