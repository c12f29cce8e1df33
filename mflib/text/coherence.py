"""Topic coherence: normalized PMI of a topic's top words over sliding windows of the text."""

import numpy as np
import scipy.sparse as sp


def _window_matrix(texts, index, window):
    """Boolean (windows x words) matrix: which of the words occur in each sliding window.

    Every text of ``n`` tokens gives ``max(1, n - window + 1)`` windows (a short
    text is one window), as gensim's ``c_npmi`` counts them. Built from the
    positions of the words only: an occurrence at ``p`` lies in the windows
    starting at ``p - window + 1 .. p``.
    """
    rows, cols, offset = [], [], 0
    for toks in texts:
        ids = np.fromiter((index.get(t, -1) for t in toks), dtype=np.int64, count=len(toks))
        n_win = max(1, len(toks) - window + 1)
        pos = np.flatnonzero(ids >= 0)
        starts = pos[:, None] - np.arange(window)[None, :]
        keep = (starts >= 0) & (starts < n_win)
        rows.append(offset + starts[keep])
        cols.append(np.broadcast_to(ids[pos][:, None], starts.shape)[keep])
        offset += n_win
    B = sp.csr_matrix((np.ones(sum(map(len, rows)), dtype=np.float64),
                       (np.concatenate(rows), np.concatenate(cols))), shape=(offset, len(index)))
    B.data[:] = 1.0                      # a word twice in a window still counts once
    return B


def window_counts(words, texts, *, window=10):
    """Sliding windows of ``window`` tokens: how many there are, and how many contain each word and each pair.

    Returns
    -------
    n_windows : int
    single : ndarray, shape (n_words,)
        Windows containing ``words[i]``.
    joint : ndarray, shape (n_words, n_words)
        Windows containing both ``words[i]`` and ``words[j]`` (the diagonal equals ``single``).
    """
    index = {w: i for i, w in enumerate(words)}
    B = _window_matrix(texts, index, window)
    return B.shape[0], np.asarray(B.sum(axis=0)).ravel(), (B.T @ B).toarray()


def npmi_coherence(topics, texts, *, window=10, eps=1e-12):
    """Topic coherence: mean normalized PMI of the pairs of each topic's words.

    .. math::

        \\mathrm{NPMI}(a, b) = \\frac{\\log \\frac{p(a, b) + \\epsilon}{p(a) p(b)}}{-\\log (p(a, b) + \\epsilon)}

    with ``p`` the fraction of sliding windows of ``window`` tokens that
    contain the word(s) (Bouma, 2009; the sliding-window estimate of Newman et
    al., 2010, as gensim's ``CoherenceModel(coherence="c_npmi")`` computes it:
    same windows, same epsilon, mean over the pairs then over the topics).

    Parameters
    ----------
    topics : list of lists of str
        Each topic's top words.
    texts : list of list of str
        The reference corpus, tokenized (all tokens, in order).
    window : int
        Window length in tokens.

    Returns
    -------
    per_topic : ndarray, shape (n_topics,)
        The mean over the topic's pairs; ``per_topic.mean()`` is the model's.
    """
    words = sorted({w for t in topics for w in t})
    index = {w: i for i, w in enumerate(words)}
    n, single, joint = window_counts(words, texts, window=window)
    single, joint = single / n, joint / n
    if np.any(single == 0):
        missing = [w for w, c in zip(words, single) if c == 0]
        raise ValueError(f"words {missing[:5]} never occur in texts; score topics on the corpus "
                         "they were learned from (same tokenizer).")
    out = []
    for topic in topics:
        ids = np.array([index[w] for w in topic])
        pj = joint[np.ix_(ids, ids)] + eps
        npmi = np.log(pj / np.outer(single[ids], single[ids])) / -np.log(pj)
        out.append(npmi[~np.eye(len(ids), dtype=bool)].mean())
    return np.array(out)
