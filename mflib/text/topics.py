"""Topics of documents: scikit-learn's vectorizers, then NMF or the truncated SVD (LSA)."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import refuse_bool_params
from ..nmf import MultiplicativeNMF
from ..svd import randomized_svd

# -- documents -----------------------------------------------------------------------------------


def as_texts(docs, name="docs"):
    """Documents as a list of strings: strings pass, token lists are joined with spaces.

    Raises a clear error for a single string (a common slip: it would be read
    as one document per character) and for anything that is not text.
    """
    if isinstance(docs, (str, bytes)):
        raise TypeError(f"{name} must be a list of documents, got a single string; wrap it: [{name}].")
    if sp.issparse(docs) or isinstance(docs, np.ndarray) and docs.dtype.kind in "biufc":
        raise TypeError(f"{name} must be documents (strings or token lists), got a numeric matrix; "
                        "TopicModel vectorizes text itself -- for a matrix use mflib.nmf.MultiplicativeNMF.")
    try:
        docs = list(docs)
    except TypeError:
        raise TypeError(f"{name} must be an iterable of documents, got {type(docs).__name__}.") from None
    if not docs:
        raise ValueError(f"{name} is empty; pass at least one document.")
    out = []
    for i, d in enumerate(docs):
        if isinstance(d, str):
            out.append(d)
        elif isinstance(d, (list, tuple)) and all(isinstance(t, str) for t in d):
            out.append(" ".join(d))
        else:
            raise TypeError(f"{name}[{i}] is a {type(d).__name__}; each document must be a string "
                            "or a list of string tokens.")
    return out


def analyzer(stop_words=None):
    """scikit-learn's word analyzer (lower-casing, its token pattern, optional stop words)."""
    return CountVectorizer(stop_words=stop_words).build_analyzer()


# -- topics ------------------------------------------------------------------------------------


class TopicModel(TransformerMixin, BaseEstimator):
    """Topics of a collection of documents by NMF or latent semantic analysis.

    The documents are turned into a document-term matrix by scikit-learn's
    ``TfidfVectorizer`` (or ``CountVectorizer``), which is factorized:

    - ``method="nmf"``: ``X ~ W H`` with ``W, H >= 0`` by
      :class:`mflib.nmf.MultiplicativeNMF`, minimizing the Frobenius norm or
      the generalized Kullback-Leibler divergence (``beta_loss``). Row ``t``
      of ``H`` is topic ``t``; ``W`` gives each document's topic weights.
    - ``method="lsa"``: the truncated SVD ``X ~ U_k S_k V_k^T`` (Deerwester et
      al., 1990) by the course's randomized SVD; topics are the rows of
      ``V_k^T``, signed, with each flipped so that its largest entry is
      positive.

    A text estimator, like scikit-learn's vectorizers: it takes a list of
    documents, not a numeric matrix, so scikit-learn's ``check_estimator``
    (which feeds numeric arrays) does not apply -- scikit-learn does not run it
    on ``CountVectorizer`` either. The estimator contract (``get_params``,
    ``clone``, fitted attributes, ``NotFittedError``, parameter validation) is
    tested directly in ``tests/test_text.py``.

    Parameters
    ----------
    n_topics : int, default=10
    method : {"nmf", "lsa"}, default="nmf"
    beta_loss : {"frobenius", "kullback-leibler"}, default="frobenius"
        The divergence NMF minimizes (ignored by LSA).
    weighting : {"tfidf", "count"}, default="tfidf"
        Entries of the document-term matrix: TF-IDF (scikit-learn's smooth
        idf, rows of unit Euclidean norm) or raw counts.
    min_df : int or float, default=3
        Ignore words in fewer documents than this (count, or fraction).
    max_df : float or int, default=0.5
        Ignore words in more documents than this (fraction, or count).
    stop_words : "english", list or None, default="english"
        scikit-learn's English stop-word list, a list, or none.
    max_iter : int, default=500
        NMF iterations at most.
    tol : float, default=1e-4
        NMF's stopping rule (see :class:`mflib.nmf.MultiplicativeNMF`).
    init : {None, "nndsvda", "random"}, default=None
        NMF's start (``None``: NNDSVDA, deterministic).
    random_state : int or None, default=0
        Seed of NMF's random start and of the randomized SVD.

    Attributes
    ----------
    vectorizer_ : TfidfVectorizer or CountVectorizer
        The fitted vectorizer.
    vocabulary_ : ndarray of str, shape (n_words,)
        The words, in column order.
    components_ : ndarray, shape (n_topics, n_words)
        The topics.
    singular_values_ : ndarray, shape (n_topics,)
        LSA only.
    n_iter_ : int
        NMF iterations run (0 for LSA).
    reconstruction_err_ : float
        NMF's ``sqrt(2 D(X | W H))``; LSA's Frobenius error ``||X - U S V^T||``.

    Examples
    --------
    >>> docs = ["the cat sat on the mat", "a dog and a cat", "stocks fell on the market",
    ...         "the market rallied, stocks rose", "my dog chased the cat"]
    >>> model = TopicModel(n_topics=2, min_df=1, max_df=1.0)
    >>> W = model.fit_transform(docs)
    >>> W.shape
    (5, 2)
    >>> sorted(sorted(t) for t in model.top_words(2))
    [['cat', 'dog'], ['market', 'stocks']]
    """

    _parameter_constraints = {
        "n_topics": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"nmf", "lsa"})],
        "beta_loss": [StrOptions({"frobenius", "kullback-leibler"})],
        "weighting": [StrOptions({"tfidf", "count"})],
        "min_df": [Interval(Integral, 1, None, closed="left"), Interval(Real, 0, 1, closed="both")],
        "max_df": [Interval(Integral, 1, None, closed="left"), Interval(Real, 0, 1, closed="both")],
        "stop_words": [StrOptions({"english"}), list, None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init": [StrOptions({"nndsvda", "random"}), None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_topics=10, *, method="nmf", beta_loss="frobenius", weighting="tfidf", min_df=3,
                 max_df=0.5, stop_words="english", max_iter=500, tol=1e-4, init=None, random_state=0):
        self.n_topics = n_topics
        self.method = method
        self.beta_loss = beta_loss
        self.weighting = weighting
        self.min_df = min_df
        self.max_df = max_df
        self.stop_words = stop_words
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.random_state = random_state

    def _vectorizer(self):
        kind = TfidfVectorizer if self.weighting == "tfidf" else CountVectorizer
        return kind(min_df=self.min_df, max_df=self.max_df, stop_words=self.stop_words, dtype=np.float64)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, docs, y=None):
        """Vectorize ``docs``, find the topics and return the document-topic matrix.

        Parameters
        ----------
        docs : list of str or list of list of str
        y : ignored

        Returns
        -------
        ndarray, shape (n_documents, n_topics)
            NMF: the non-negative weights ``W``; LSA: ``U_k S_k``.
        """
        refuse_bool_params(self)                  # Interval(Integral) would take True as n_topics=1
        texts = as_texts(docs)
        self.vectorizer_ = self._vectorizer()
        try:
            X = self.vectorizer_.fit_transform(texts)
        except ValueError as exc:   # e.g. "After pruning, no terms remain"
            raise ValueError(f"no vocabulary is left to factorize ({exc}); lower min_df, raise max_df "
                             "or pass more documents.") from None
        self.vocabulary_ = self.vectorizer_.get_feature_names_out()
        if self.n_topics > min(X.shape):
            raise ValueError(f"n_topics={self.n_topics} is more than the {min(X.shape)} that "
                             f"{X.shape[0]} documents and {X.shape[1]} words allow; choose fewer topics.")
        return self._fit_nmf(X) if self.method == "nmf" else self._fit_lsa(X)

    def _fit_nmf(self, X):
        self.nmf_ = MultiplicativeNMF(self.n_topics, beta_loss=self.beta_loss, init=self.init,
                                      max_iter=self.max_iter, tol=self.tol, random_state=self.random_state)
        W = self.nmf_.fit_transform(X.toarray())
        self.components_ = self.nmf_.components_
        self.n_iter_, self.reconstruction_err_ = self.nmf_.n_iter_, self.nmf_.reconstruction_err_
        return W

    def _fit_lsa(self, X):
        # power iterations: a term-document spectrum decays slowly, so the range needs sharpening
        U, s, Vt = randomized_svd(X, self.n_topics, n_iter=4, random_state=self.random_state)
        signs = np.sign(Vt[np.arange(len(s)), np.abs(Vt).argmax(axis=1)])
        U, Vt = U * signs, Vt * signs[:, None]
        self.components_, self.singular_values_, self.n_iter_ = Vt, s, 0
        self.reconstruction_err_ = float(np.sqrt(max(sp.linalg.norm(X) ** 2 - np.sum(s**2), 0.0)))
        return U * s

    def fit(self, docs, y=None):
        """Fit the model to ``docs``; returns ``self``."""
        self.fit_transform(docs)
        return self

    def transform(self, docs):
        """Topic weights of (new) documents, with the topics held fixed.

        NMF: non-negative least-squares (or KL) weights by the NMF model's
        ``transform``; LSA: the projection ``X V_k`` (the "folding in" of
        Deerwester et al.).
        """
        check_is_fitted(self)
        X = self.vectorizer_.transform(as_texts(docs))
        if self.method == "nmf":
            return self.nmf_.transform(X.toarray())
        return np.asarray(X @ self.components_.T)

    def top_words(self, n=10):
        """The ``n`` words with the largest weight in each topic, largest first.

        Returns
        -------
        list of lists of str, one list per topic
        """
        check_is_fitted(self)
        if isinstance(n, bool) or not isinstance(n, Integral) or not 1 <= n <= len(self.vocabulary_):
            raise ValueError(f"n must be a whole number in 1..{len(self.vocabulary_)}, got {n!r}.")
        order = np.argsort(-self.components_, axis=1, kind="stable")[:, :n]
        return [list(self.vocabulary_[row]) for row in order]

    def get_feature_names_out(self, input_features=None):
        """``topic0``, ``topic1``, ...: the columns of ``transform``'s output."""
        check_is_fitted(self)
        return np.array([f"topic{t}" for t in range(self.components_.shape[0])], dtype=object)
