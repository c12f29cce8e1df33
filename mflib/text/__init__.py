"""Concepts in text: topics by NMF and LSA, coherence, and word vectors from the SVD of PPMI.

- :class:`TopicModel` -- documents in, topics out: scikit-learn's vectorizers,
  then :class:`mflib.nmf.MultiplicativeNMF` (Frobenius or Kullback-Leibler) or
  the course's randomized SVD (latent semantic analysis).
- :func:`npmi_coherence` -- how often a topic's top words occur together in
  the text, by normalized PMI over sliding windows (gensim's ``c_npmi``).
- :func:`word_vectors` -- word-context counts over a window, positive PMI with
  context-distribution smoothing, truncated SVD, eigenvalue weighting (Levy,
  Goldberg and Dagan, 2015); :func:`nearest_words`, :func:`analogy`, :func:`analogies` and
  :func:`similarity_correlation` use them; :func:`cross_validated_scores` and
  :func:`bootstrap_difference` compare models on pairs no choice has seen;
  :func:`train_sgns` trains the word2vec they are compared with.

Tokens are always scikit-learn's: a document given as a list of tokens is
joined with spaces and read by the same ``CountVectorizer`` analyzer as a
string, so both forms give the same matrix.
"""

from .coherence import npmi_coherence, window_counts
from .similarity import (
    bootstrap_difference,
    cross_validated_scores,
    half_cosines,
    pair_halves,
    read_word_pairs,
    similarity_correlation,
)
from .topics import TopicModel, analyzer, as_texts
from .vectors import (
    analogies,
    analogy,
    context_counts,
    cooccurrence_counts,
    nearest_words,
    normalize_rows,
    ppmi,
    weight_rows,
    word_vectors,
)
from .word2vec import train_sgns, train_sgns_in_background

__all__ = ["TopicModel", "analogies", "analogy", "analyzer", "as_texts", "bootstrap_difference", "context_counts",
           "cooccurrence_counts", "cross_validated_scores", "half_cosines", "nearest_words", "normalize_rows",
           "npmi_coherence", "pair_halves", "ppmi", "read_word_pairs", "similarity_correlation", "train_sgns",
           "train_sgns_in_background", "weight_rows", "window_counts", "word_vectors"]
