"""Concepts in text: topics by NMF and LSA, coherence, and word vectors from the SVD of PPMI.

- :class:`TopicModel` -- documents in, topics out: scikit-learn's vectorizers,
  then :class:`mflib.nmf.MultiplicativeNMF` (Frobenius or Kullback-Leibler) or
  the course's randomized SVD (latent semantic analysis).
- :func:`npmi_coherence` -- how often a topic's top words occur together in
  the text, by normalized PMI over sliding windows (gensim's ``c_npmi``).
- :func:`word_vectors` -- word-context counts over a window, positive PMI with
  context-distribution smoothing, truncated SVD, eigenvalue weighting (Levy,
  Goldberg and Dagan, 2015); :func:`nearest_words`, :func:`analogy` and
  :func:`similarity_correlation` use them.

Tokens are always scikit-learn's: a document given as a list of tokens is
joined with spaces and read by the same ``CountVectorizer`` analyzer as a
string, so both forms give the same matrix.
"""

from .coherence import npmi_coherence, window_counts
from .topics import TopicModel, analyzer, as_texts
from .vectors import (
    analogy,
    context_counts,
    cooccurrence_counts,
    nearest_words,
    normalize_rows,
    ppmi,
    read_word_pairs,
    similarity_correlation,
    word_vectors,
)

__all__ = ["TopicModel", "analogy", "analyzer", "as_texts", "context_counts", "cooccurrence_counts", "nearest_words",
           "normalize_rows", "npmi_coherence", "ppmi", "read_word_pairs", "similarity_correlation",
           "window_counts", "word_vectors"]
