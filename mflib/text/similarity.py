"""Word vectors against human judgements: WordSim-353 / SimLex-999 pairs, Spearman's rho, held-out choices.

A setting chosen on the pairs it is scored on flatters it. :func:`cross_validated_scores`
chooses among candidate models on one random half of each benchmark's pairs and scores
the other half, then swaps the halves (two-fold cross-validation over the pairs), so every
score comes from a choice made without its pairs; :func:`bootstrap_difference` says
whether two models' held-out scores differ by more than the pairs' sampling spread.
"""

import numpy as np
from scipy.stats import spearmanr

from .vectors import normalize_rows


def read_word_pairs(path):
    """Word pairs and human scores from a WordSim-353 / SimLex-999 file as gensim ships them.

    Lines starting with ``#`` are comments; others are ``word1<TAB>word2<TAB>score``.
    Words are lower-cased.

    Returns
    -------
    pairs : list of (str, str)
    scores : ndarray of float
    """
    pairs, scores = [], []
    for line in open(path, encoding="utf8"):
        if line.startswith("#") or not line.strip():
            continue
        a, b, score = line.rstrip("\n").split("\t")[:3]
        pairs.append((a.lower(), b.lower()))
        scores.append(float(score))
    return pairs, np.array(scores)


def similarity_correlation(pairs, scores, vocabulary, vectors):
    """Spearman correlation between human scores and cosine similarities, on the covered pairs.

    Returns
    -------
    rho : float
    covered : ndarray of bool
        Which pairs had both words in ``vocabulary`` (only those are scored).
    """
    known = set(vocabulary)
    covered = np.array([a in known and b in known for a, b in pairs])
    if covered.sum() < 3:
        raise ValueError(f"only {covered.sum()} of {len(pairs)} pairs have both words in the vocabulary.")
    human, cos = half_cosines((pairs, scores), covered, (vocabulary, vectors))
    return float(spearmanr(human, cos).statistic), covered


def pair_halves(benchmarks, seed=0):
    """A random half of each benchmark's pairs: ``{name: boolean mask}`` (``True`` = the first half)."""
    return {name: np.random.default_rng(seed).random(len(pairs)) < 0.5 for name, (pairs, _) in benchmarks.items()}


def half_cosines(benchmark, mask, model):
    """Human scores and cosines of the pairs selected by ``mask`` whose two words ``model`` knows.

    ``benchmark`` is ``(pairs, scores)``, ``model`` is ``(vocabulary, vectors)``.
    """
    (pairs, human), (words, vectors) = benchmark, model
    index = {w: i for i, w in enumerate(words)}
    keep = [i for i, (a, b) in enumerate(pairs) if mask[i] and a in index and b in index]
    V = np.asarray(vectors)               # only the rows used are normalized, not the whole vocabulary
    a = normalize_rows(V[[index[pairs[i][0]] for i in keep]])
    b = normalize_rows(V[[index[pairs[i][1]] for i in keep]])
    return np.asarray(human)[keep], np.sum(a * b, axis=1)


def cross_validated_scores(benchmarks, candidates, halves):
    """Two-fold cross-validation over the pairs for one family of candidate models.

    For each half, the candidate with the largest sum of Spearman's rho over
    the benchmarks on the *other* half is chosen and scored on this one.

    Parameters
    ----------
    benchmarks : dict, name -> (pairs, scores)
    candidates : dict, label -> (vocabulary, vectors)
        One method's candidate settings (a single entry: no choice).
    halves : dict, name -> boolean mask, from :func:`pair_halves`

    Returns
    -------
    dict, (name, half) -> (chosen label, rho)
        ``half`` is ``True`` for the first half.
    """
    out = {}
    for half in (True, False):
        choose_on = {n: halves[n] != half for n in benchmarks}
        chosen = max(candidates, key=lambda c: sum(
            spearmanr(*half_cosines(benchmarks[n], choose_on[n], candidates[c])).statistic for n in benchmarks))
        for n in benchmarks:
            mask = halves[n] == half
            out[n, half] = (chosen, spearmanr(*half_cosines(benchmarks[n], mask, candidates[chosen])).statistic)
    return out


def bootstrap_difference(benchmark, halves_models, n_resamples=1000, seed=0):
    """95 % interval of the mean over the halves of ``rho(model A) - rho(model B)``, resampling pairs.

    Parameters
    ----------
    benchmark : (pairs, scores)
    halves_models : list of (mask, model_a, model_b)
        For each half, its mask and the two models scored on it; only the
        pairs both models know are used.
    """
    rng = np.random.default_rng(seed)
    data = []
    for mask, a, b in halves_models:
        known = set(a[0]) & set(b[0])
        both = mask & np.array([x in known and y in known for x, y in benchmark[0]])
        data.append((half_cosines(benchmark, both, a), half_cosines(benchmark, both, b)[1]))
    diffs = np.zeros(n_resamples)
    for (human, cos_a), cos_b in data:
        for r in range(n_resamples):
            idx = rng.integers(0, len(human), len(human))
            diffs[r] += (spearmanr(human[idx], cos_a[idx]).statistic
                         - spearmanr(human[idx], cos_b[idx]).statistic) / len(data)
    return tuple(np.percentile(diffs, [2.5, 97.5]))
