"""Topic models side by side: mflib's NMF and LSA against the methods practitioners use.

Every method sees the same vocabulary (one ``CountVectorizer`` fit) and
returns, for a number of topics ``k`` and a seed, each document's main topic
and each topic's top words. Settings are chosen without any labels: each
method has the same number of candidate settings (:data:`CANDIDATES`), and
:func:`choose` keeps the one whose topics are most coherent (mean NPMI over
the corpus, :func:`mflib.text.npmi_coherence`). Labels enter only in scoring.
"""

import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import NMF, LatentDirichletAllocation
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from ..nmf import MultiplicativeNMF
from ..svd import randomized_svd
from .coherence import npmi_coherence
from .topics import as_texts

# Two candidate settings per method: the standard one first (the chapter's), then the usual alternative. Both
# NMFs factor TF-IDF with the Frobenius loss or the generalized Kullback-Leibler divergence, as scikit-learn's
# topic-extraction example does; LDA models the counts.
CANDIDATES = {
    "mflib NMF": [{"loss": "frobenius"}, {"loss": "kullback-leibler"}],
    "mflib LSA + k-means": [{"dims": 100}, {"dims": 50}],
    "scikit-learn NMF": [{"loss": "frobenius"}, {"loss": "kullback-leibler"}],
    "scikit-learn LDA": [{"prior": None}, {"prior": (0.1, 0.01)}],
    "gensim LDA": [{"alpha": "symmetric"}, {"alpha": "auto"}],
    "k-means (TF-IDF)": [{"n_init": 10}, {"n_init": 1}],
}
STOCHASTIC = {"scikit-learn LDA", "gensim LDA", "k-means (TF-IDF)", "mflib LSA + k-means"}


class Matrices:
    """The corpus once vectorized: counts, TF-IDF, the words and the tokens for coherence."""

    def __init__(self, docs, *, min_df=3, max_df=0.5, stop_words="english"):
        texts = as_texts(docs)
        vec = CountVectorizer(min_df=min_df, max_df=max_df, stop_words=stop_words, dtype=np.float64)
        self.counts = vec.fit_transform(texts).tocsr()
        self.tfidf = TfidfTransformer().fit_transform(self.counts).tocsr()
        for X in (self.counts, self.tfidf):   # canonical now: read-only copies in worker processes stay valid
            X.sum_duplicates()
        self.words = vec.get_feature_names_out()
        # coherence counts windows over *all* tokens, stop words included, as gensim's c_npmi
        tokenize = CountVectorizer().build_analyzer()
        self.tokens = [tokenize(t) for t in texts]

    def top(self, topics, n=10):
        return [list(self.words[np.argsort(-row, kind="stable")[:n]]) for row in topics]


def _mflib_nmf(M, k, seed, loss):
    model = MultiplicativeNMF(k, beta_loss=loss, max_iter=500, random_state=seed)
    W = model.fit_transform(M.tfidf.toarray())
    return W.argmax(axis=1), M.top(model.components_)


def _sklearn_nmf(M, k, seed, loss):
    # coordinate descent handles only the Frobenius loss; the KL divergence needs multiplicative updates
    model = NMF(k, init="nndsvda", beta_loss=loss, solver="cd" if loss == "frobenius" else "mu", max_iter=500,
                random_state=seed)
    W = model.fit_transform(M.tfidf)
    return W.argmax(axis=1), M.top(model.components_)


def _kmeans(Z, k, seed, n_init=10):
    km = KMeans(k, n_init=n_init, random_state=seed).fit(Z)
    return km.labels_, km.cluster_centers_


def _lsa_kmeans(M, k, seed, dims):
    # Latent space, unit-length document vectors, then k-means (scikit-learn's LSA clustering recipe)
    U, s, Vt = randomized_svd(M.tfidf, dims, n_iter=4, random_state=seed)
    labels, centers = _kmeans(normalize(U * s), k, seed)
    return labels, M.top(centers @ Vt)


def _tfidf_kmeans(M, k, seed, n_init):
    labels, centers = _kmeans(M.tfidf, k, seed, n_init)
    return labels, M.top(centers)


def _sklearn_lda(M, k, seed, prior):
    alpha, eta = prior or (None, None)
    model = LatentDirichletAllocation(k, doc_topic_prior=alpha, topic_word_prior=eta,
                                      learning_method="batch", max_iter=50, random_state=seed)
    theta = model.fit_transform(M.counts)
    return theta.argmax(axis=1), M.top(model.components_)


def _gensim_lda(M, k, seed, alpha):
    from gensim.matutils import Sparse2Corpus
    from gensim.models import LdaModel
    corpus = Sparse2Corpus(M.counts.astype(np.int64), documents_columns=False)
    id2word = dict(enumerate(M.words))
    model = LdaModel(corpus, num_topics=k, id2word=id2word, alpha=alpha, passes=10, iterations=100,
                     random_state=seed, eval_every=None)
    theta = np.zeros((M.counts.shape[0], k))
    for d, bow in enumerate(corpus):
        for t, p in model.get_document_topics(bow, minimum_probability=0.0):
            theta[d, t] = p
    return theta.argmax(axis=1), M.top(model.get_topics())


RUNNERS = {"mflib NMF": _mflib_nmf, "mflib LSA + k-means": _lsa_kmeans, "scikit-learn NMF": _sklearn_nmf,
           "scikit-learn LDA": _sklearn_lda, "gensim LDA": _gensim_lda, "k-means (TF-IDF)": _tfidf_kmeans}


def run(method, M, k, seed, config):
    """One fit: ``(main topic of each document, top words of each topic, seconds, coherence)``."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)   # every method gets the same fixed budget
        warnings.simplefilter("ignore", DeprecationWarning)   # gensim's LdaModel on NumPy 2
        labels, topics = RUNNERS[method](M, k, seed, **config)
    seconds = time.perf_counter() - start
    return labels, topics, seconds, float(npmi_coherence(topics, M.tokens).mean())


def _run_on_one_thread(method, M, k, seed, config):
    with threadpool_limits(1):
        return run(method, M, k, seed, config)


def run_all(M, k, fits, n_jobs=1):
    """The fits ``(method, seed, config)``, in order; ``n_jobs`` processes run them side by side.

    Every fit runs on one thread, so each method's time is one core's time
    whether the fits run one at a time or in parallel.
    """
    if n_jobs == 1:
        return [_run_on_one_thread(m, M, k, s, c) for m, s, c in fits]
    # fresh processes (spawned: no copy of a kernel's threads), shut down before returning
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_run_on_one_thread, m, M, k, s, c) for m, s, c in fits]
        return [f.result() for f in futures]


def _most_coherent(method, runs):
    """``(config, run)`` of the candidate whose topics are most coherent (the first of equals)."""
    return max(zip(CANDIDATES[method], runs), key=lambda r: r[1][3])


def choose(method, M, k, seed=0, n_jobs=1):
    """The candidate setting with the most coherent topics (no labels), and its run."""
    return _most_coherent(method, run_all(M, k, [(method, seed, config) for config in CANDIDATES[method]], n_jobs))


def compare(M, labels, k, seeds=(0, 1, 2), methods=None, tune=True, n_jobs=1):
    """Choose each method's setting on seed ``seeds[0]`` without labels, then score it on every seed.

    With ``tune=False`` every method keeps its first candidate, its standard
    setting. Deterministic methods (both NMFs, NNDSVDA start) run once.
    ``n_jobs`` fits run at a time, each on one thread (see :func:`run_all`).
    Returns a dict ``method -> {"config", "nmi", "ari", "coherence",
    "seconds"}`` of arrays over the seeds, and the top words of the first
    seed's run.
    """
    methods = list(methods or CANDIDATES)
    if tune:   # every candidate on the first seed, the most coherent kept
        candidate_runs = iter(run_all(M, k, [(m, seeds[0], c) for m in methods for c in CANDIDATES[m]], n_jobs))
        first = {m: _most_coherent(m, [next(candidate_runs) for _ in CANDIDATES[m]]) for m in methods}
        fits = []
    else:
        fits = [(m, seeds[0], CANDIDATES[m][0]) for m in methods]
    config = {m: first[m][0] if tune else CANDIDATES[m][0] for m in methods}
    fits += [(m, s, config[m]) for m in methods if m in STOCHASTIC for s in seeds[1:]]
    done = {(m, s): r for (m, s, _), r in zip(fits, run_all(M, k, fits, n_jobs))} if fits else {}
    table = {}
    for m in methods:
        runs = [first[m][1] if tune else done[(m, seeds[0])]]
        runs += [done[(m, s)] for s in seeds[1:]] if m in STOCHASTIC else []
        table[m] = {
            "config": config[m],
            "nmi": np.array([normalized_mutual_info_score(labels, r[0]) for r in runs]),
            "ari": np.array([adjusted_rand_score(labels, r[0]) for r in runs]),
            "coherence": np.array([r[3] for r in runs]),
            "seconds": np.array([r[2] for r in runs]),
            "topics": runs[0][1],
        }
    return table


def format_table(table):
    """The comparison as text, mean +- standard deviation over seeds."""
    lines = [f"{'method':<22} {'setting':<22} {'NMI':>13} {'ARI':>13} {'NPMI':>14} {'seconds':>8}"]
    for method, r in table.items():
        cfg = ", ".join(f"{k}={v}" for k, v in r["config"].items())
        cell = lambda a: f"{a.mean():.3f} ± {a.std():.3f}"  # noqa: E731
        lines.append(f"{method:<22} {cfg:<22} {cell(r['nmi']):>13} {cell(r['ari']):>13} "
                     f"{cell(r['coherence']):>14} {r['seconds'].mean():8.1f}")
    return "\n".join(lines)


def verdict(table, ours="mflib NMF"):
    """A sentence built from the table: where ``ours`` stands on NMI, ARI and coherence.

    A peer counts as better only where its mean exceeds ours by more than the
    larger of the two standard deviations over seeds, and by at least the
    table's precision (0.0005, the rounding of the printed figures).
    """
    parts = []
    for metric, name in (("nmi", "NMI"), ("ari", "ARI"), ("coherence", "NPMI coherence")):
        mine = table[ours][metric]
        better = [m for m, r in table.items() if m != ours
                  and r[metric].mean() - mine.mean() > max(r[metric].std(), mine.std(), 5e-4)]
        best = max(table, key=lambda m: table[m][metric].mean())
        if not better:
            parts.append(f"on {name} {ours} ({mine.mean():.3f}) is "
                         + ("the best" if best == ours else f"within the seed spread of the best, {best} "
                            f"({table[best][metric].mean():.3f})"))
        else:
            parts.append(f"on {name} {ours} ({mine.mean():.3f}) is beaten by " + ", ".join(
                f"{m} ({table[m][metric].mean():.3f})" for m in better))
    return "; ".join(parts) + "."
