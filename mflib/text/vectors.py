"""Word vectors from the SVD: word-context counts, PPMI, truncated SVD (Levy, Goldberg and Dagan, 2015)."""

from collections import Counter
from itertools import chain
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from ..svd import randomized_svd


def _token_ids(sentences, min_count):
    """Vocabulary (count >= min_count, most frequent first) and the corpus as one id array.

    Returns the vocabulary, the ids (``-1`` for a dropped word) and each
    token's sentence number, so that windows never cross a sentence.
    """
    sentences = [s for s in sentences if len(s)]
    if not sentences:
        raise ValueError("sentences is empty; pass a list of token lists.")
    if isinstance(sentences[0], str):
        raise TypeError("sentences must be a list of token lists, e.g. [['the', 'cat'], ...], not strings.")
    lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
    counts = Counter(chain.from_iterable(sentences))
    vocab = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    if not vocab:
        raise ValueError(f"no word occurs min_count={min_count} times; lower min_count.")
    index = dict(zip(vocab, range(len(vocab))))
    ids = np.fromiter((index.get(t, -1) for t in chain.from_iterable(sentences)), dtype=np.int64,
                      count=int(lengths.sum()))
    return np.array(vocab), ids, np.repeat(np.arange(len(lengths)), lengths)


def cooccurrence_counts(ids, sentence, n_words, window, dynamic=True):
    """Sparse word-context counts within ``window`` tokens, in one pass per distance.

    For each distance ``d = 1 .. window`` the pairs ``(ids[i], ids[i + d])`` in
    the same sentence are counted both ways, with weight ``(window - d + 1) /
    window`` when ``dynamic`` (word2vec's sampled window length, in
    expectation: Levy, Goldberg and Dagan, 2015, section 3.2), else 1.
    """
    rows, cols, vals = [], [], []
    for d in range(1, window + 1):
        a, b = ids[:-d], ids[d:]
        ok = (a >= 0) & (b >= 0) & (sentence[:-d] == sentence[d:])
        w = (window - d + 1) / window if dynamic else 1.0
        rows += [a[ok], b[ok]]
        cols += [b[ok], a[ok]]
        vals.append(np.full(2 * np.count_nonzero(ok), w))
    C = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n_words, n_words))
    C.sum_duplicates()
    return C


def ppmi(C, *, alpha=0.75, shift=1.0):
    """Positive (shifted) PMI of a sparse count matrix, with smoothed context probabilities.

    .. math::

        \\mathrm{PPMI}(w, c) = \\max\\left(\\log \\frac{\\#(w, c) \\, \\sum_{c'} \\#(c')^\\alpha}
        {\\#(w) \\, \\#(c)^\\alpha} - \\log \\mathrm{shift}, 0\\right)

    ``alpha = 0.75`` raises rare contexts' probability (context-distribution
    smoothing); ``shift = k`` subtracts ``log k`` (the shifted PMI that SGNS
    with ``k`` negative samples factorizes). Only the non-zero counts are
    touched: zero counts have PMI ``-inf`` and PPMI 0, so the result stays sparse.
    """
    C = sp.csr_matrix(C, dtype=np.float64, copy=True)   # the in-place steps below must not touch the caller's
    C.sum_duplicates()
    C.eliminate_zeros()
    word = np.asarray(C.sum(axis=1)).ravel()
    ctx = np.asarray(C.sum(axis=0)).ravel() ** alpha
    r = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))      # row of each stored entry
    pmi = np.log(C.data) + np.log(ctx.sum()) - np.log(word[r]) - np.log(ctx[C.indices]) - np.log(shift)
    M = sp.csr_matrix((np.maximum(pmi, 0.0), C.indices, C.indptr), shape=C.shape)
    M.eliminate_zeros()
    return M


def _subsample(ids, sentence, threshold, random_state):
    """word2vec's subsampling of frequent words: keep a token of a word with frequency ``f`` with
    probability ``(sqrt(f / t) + 1) t / f``, ``t = threshold`` (gensim's formula), once per corpus."""
    f = np.bincount(ids, minlength=ids.max() + 1) / len(ids)
    keep_prob = np.minimum((np.sqrt(f / threshold) + 1) * threshold / np.maximum(f, 1e-300), 1.0)
    keep = np.random.default_rng(random_state).random(len(ids)) < keep_prob[ids]
    return ids[keep], sentence[keep]


def context_counts(sentences, window=2, min_count=5, *, subsample=1e-3, dynamic=True, random_state=0):
    """The vocabulary and the sparse word-context count matrix of tokenized sentences.

    As word2vec prepares its input: words rarer than ``min_count`` are removed
    before windows are taken (they do not occupy a position), frequent words
    are subsampled (``subsample``, ``None`` for no subsampling), then every
    pair within ``window`` positions in a sentence is counted (see
    :func:`cooccurrence_counts`).

    Returns
    -------
    vocabulary : ndarray of str, most frequent first
    counts : scipy.sparse.csr_matrix, shape (n_words, n_words), symmetric
    """
    for name, v in (("window", window), ("min_count", min_count)):
        if isinstance(v, bool) or not isinstance(v, Integral) or v < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {v!r}.")
    vocab, ids, sentence = _token_ids(sentences, min_count)
    kept = ids >= 0
    ids, sentence = ids[kept], sentence[kept]
    if subsample is not None:
        if not 0 < subsample < 1:
            raise ValueError(f"subsample must lie in (0, 1) or be None, got {subsample!r}; word2vec uses 1e-3.")
        ids, sentence = _subsample(ids, sentence, subsample, random_state)
    return vocab, cooccurrence_counts(ids, sentence, len(vocab), window, dynamic)


def _check_weight(weight):
    fix = "0 fits every word equally, 1 weighs each word by its count."
    if isinstance(weight, bool) or not isinstance(weight, Real):
        raise ValueError(f"weight must be a number in [0, 1], got {weight!r}; {fix}")
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must lie in [0, 1], got {weight!r}; {fix}")
    return float(weight)


def weight_rows(M, counts, weight):
    """Rows of ``M`` scaled by ``counts ** (weight / 2)``, for a count-weighted low-rank fit.

    The truncated SVD of the result, ``U_d S_d V_d^T``, gives the rank-``d``
    matrix ``X`` minimizing ``sum_w counts_w ** weight * ||M_w - X_w||^2``
    (scale each row, fit, scale back: ``X_w`` is row ``w`` of ``U_d S_d
    V_d^T`` divided by the row's scale). A cosine between rows ignores the
    scale, so the word vectors are the rows of ``U_d S_d^p`` directly.
    ``weight = 0`` is the plain SVD, which fits every word's row equally;
    ``weight = 1`` weighs each word by its count, as SGNS's loss does.
    """
    scale = np.asarray(counts, dtype=np.float64).ravel() ** (_check_weight(weight) / 2)
    return sp.csr_matrix(sp.diags(scale) @ M)


def word_vectors(sentences, dim=300, window=2, min_count=5, *, alpha=0.75, shift=1.0, power=0.5,
                 weight=0.5, subsample=1e-3, dynamic=True, random_state=0):
    """Word vectors from the truncated SVD of the PPMI matrix (Levy, Goldberg and Dagan, 2015).

    Counts how often each word occurs within ``window`` tokens of each other
    word (:func:`context_counts`, which prepares the tokens as word2vec does),
    turns the counts into positive PMI with context-distribution smoothing
    (:func:`ppmi`), weighs each word's row by its count to the power
    ``weight`` (:func:`weight_rows`), takes the truncated SVD ``M ~ U_d S_d
    V_d^T`` by the course's randomized SVD and returns the rows of ``U_d
    S_d^power``. Smoothing ``alpha = 0.75``, no shift and ``power`` 0.5 rather
    than the "correct" 1 follow the paper's advice for SVD; the window
    handling (dynamic window, subsampling) is word2vec's, so that both methods
    see the same contexts. ``weight = 0.5`` lies between the plain SVD (0),
    whose rare words' vectors are fitted to a few noisy counts, and SGNS's
    weighting by count (1); chapter 6 chose it on one half of WordSim-353's
    and SimLex-999's pairs and reports the other half.

    Parameters
    ----------
    sentences : list of list of str
        Tokenized sentences; windows do not cross them.
    dim : int
        Dimension of the vectors.
    window : int
        Context window: up to ``window`` tokens on each side.
    min_count : int
        Ignore words rarer than this.
    alpha : float in (0, 1]
        Context-distribution smoothing exponent (1 = none).
    shift : float >= 1
        PMI shift ``k`` (``log k`` is subtracted); 1 = plain PPMI.
    power : float
        Eigenvalue weighting ``p`` in ``U S^p``.
    weight : float in [0, 1]
        Each word's row counts ``count ** weight`` in the least-squares fit
        (:func:`weight_rows`); 0 is the plain SVD.
    subsample : float or None
        word2vec's subsampling threshold for frequent words.
    dynamic : bool
        Weight a context at distance ``d`` by ``(window - d + 1) / window``.
    random_state : int
        Seed of the subsampling and of the randomized SVD.

    Returns
    -------
    vocabulary : ndarray of str, shape (n_words,)
        Most frequent first.
    vectors : ndarray of float32, shape (n_words, dim)
        Rows scaled to unit length (so a dot product is a cosine).

    Examples
    --------
    >>> sents = [["a", "b", "c"], ["a", "b", "d"], ["c", "d", "a"]] * 5
    >>> vocab, vecs = word_vectors(sents, dim=2, window=1, min_count=1, subsample=None)
    >>> len(vocab), vecs.shape
    (4, (4, 2))
    """
    if isinstance(dim, bool) or not isinstance(dim, Integral) or dim < 1:
        raise ValueError(f"dim must be a whole number >= 1, got {dim!r}.")
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must lie in (0, 1], got {alpha!r}; 0.75 is the usual smoothing.")
    if not shift >= 1:
        raise ValueError(f"shift must be >= 1 (log shift is subtracted), got {shift!r}.")
    _check_weight(weight)                               # before the counts, which take seconds
    vocab, C = context_counts(sentences, window, min_count, subsample=subsample, dynamic=dynamic,
                              random_state=random_state)
    if dim > len(vocab):
        raise ValueError(f"dim={dim} is more than the {len(vocab)} words kept; lower dim or min_count.")
    M = weight_rows(ppmi(C, alpha=alpha, shift=shift), C.sum(axis=1), weight)
    U, s, _ = randomized_svd(M, dim, n_iter=3, random_state=random_state)
    return vocab, normalize_rows(U * s**power)


def normalize_rows(V):
    """Rows scaled to unit Euclidean length (zero rows stay zero), as float32."""
    V = np.asarray(V, dtype=np.float32)
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    return V / np.where(norms > 0, norms, 1)


def _lookup(word, index):
    if word not in index:
        raise KeyError(f"{word!r} is not in the vocabulary ({len(index)} words; lower min_count "
                       "to keep rarer words).")
    return index[word]


def nearest_words(word, vocabulary, vectors, n=10):
    """The ``n`` words with the largest cosine similarity to ``word`` (itself excluded).

    Returns
    -------
    list of (str, float)
    """
    index = {w: i for i, w in enumerate(vocabulary)}
    V = normalize_rows(vectors)
    sims = V @ V[_lookup(word, index)]
    sims[index[word]] = -np.inf
    best = np.argsort(-sims, kind="stable")[:n]
    return [(str(vocabulary[i]), float(sims[i])) for i in best]


def analogy(a, b, c, vocabulary, vectors, n=1):
    """``a`` is to ``b`` as ``c`` is to ...? The words nearest ``b - a + c`` (3CosAdd).

    The three query words are excluded from the answers, as in Mikolov et
    al. (2013) and gensim's ``most_similar``.

    Returns
    -------
    list of (str, float)
    """
    index = {w: i for i, w in enumerate(vocabulary)}
    V = normalize_rows(vectors)
    ia, ib, ic = (_lookup(w, index) for w in (a, b, c))
    target = V[ib] - V[ia] + V[ic]
    sims = V @ (target / np.linalg.norm(target))
    sims[[ia, ib, ic]] = -np.inf
    best = np.argsort(-sims, kind="stable")[:n]
    return [(str(vocabulary[i]), float(sims[i])) for i in best]


def analogies(questions, vocabulary, vectors, batch_size=512):
    """The best answer to each question ``(a, b, c)`` by 3CosAdd, as :func:`analogy`, for many at once.

    The vectors are normalized once and each batch of questions is one
    matrix product, so scoring thousands of questions takes a second, not
    a normalization of the whole vocabulary per question.

    Returns
    -------
    list of str
    """
    index = {w: i for i, w in enumerate(vocabulary)}
    ids = np.array([[_lookup(w, index) for w in q[:3]] for q in questions], dtype=np.int64).reshape(-1, 3)
    V = normalize_rows(vectors)
    answers = []
    for start in range(0, len(ids), batch_size):
        ia, ib, ic = ids[start:start + batch_size].T
        sims = normalize_rows(V[ib] - V[ia] + V[ic]) @ V.T
        rows = np.arange(len(ia))
        for col in (ia, ib, ic):                    # the question's words are not answers
            sims[rows, col] = -np.inf
        answers += [str(vocabulary[i]) for i in sims.argmax(axis=1)]
    return answers
