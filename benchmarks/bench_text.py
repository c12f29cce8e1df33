"""Chapter 6's two comparisons in one run: topics on Brown, word vectors on WordSim-353 and SimLex-999.

    MFLIB_DATA=../shared/data python benchmarks/bench_text.py [--seeds 5] [--sgns-seeds 3]

**Topics.** Brown's 500 documents, 15 topics, one vocabulary for every method (English stop words,
``min_df=3``, ``max_df=0.5``). For each method of :data:`mflib.text.peers.CANDIDATES` it prints NMI and ARI
of each document's main topic against Brown's 15 genres, the mean NPMI coherence of the topics' ten top words
(sliding windows of 10 tokens over Brown), and the fit time, as mean +- standard deviation over seeds. Two
tables: every method with its one standard setting (no tuning, as in the chapter), and every method given the
same budget of two candidate settings, the one with the higher coherence kept (no labels; seed 0 chooses).
Deterministic methods (both NMFs start from NNDSVDA) run once.

**Word vectors.** Brown + State of the Union + movie reviews (2.6 M tokens, scikit-learn's tokenizer), window
2, 300 dimensions, min_count 5. PPMI-SVD with Levy, Goldberg and Dagan's settings (``alpha=0.75``, ``p=0.5``)
against gensim's ``Word2Vec`` skip-gram with 5 negatives, subsampling 1e-3, 5 epochs (Mikolov et al.'s
settings), ``--sgns-seeds`` seeds. Spearman's rho over the pairs both models cover. A second table chooses
the SVD's eigenvalue weighting ``p`` in {0, 0.5, 1} on a random half of each benchmark's pairs and reports
the other half only.

Times are wall-clock on this machine, which may be shared; single BLAS thread for every method.

Measured on the shared 2-core test machine (load average about 12, so times are several times what one
would see alone), default arguments, in one run:

    Topics -- standard settings, no tuning
    method                 setting                          NMI           ARI           NPMI  seconds
    mflib NMF              weighting=tfidf        0.373 ± 0.000 0.153 ± 0.000  0.031 ± 0.000     22.7
    mflib LSA + k-means    dims=100               0.374 ± 0.017 0.157 ± 0.012 -0.016 ± 0.011      5.5
    scikit-learn NMF       weighting=tfidf        0.349 ± 0.000 0.138 ± 0.000  0.017 ± 0.000      6.3
    scikit-learn LDA       prior=None             0.331 ± 0.008 0.123 ± 0.011 -0.065 ± 0.011     66.1
    gensim LDA             alpha=symmetric        0.257 ± 0.019 0.081 ± 0.012 -0.091 ± 0.009     27.4
    k-means (TF-IDF)       n_init=10              0.328 ± 0.016 0.115 ± 0.014 -0.056 ± 0.015      3.9

    Topics -- two candidate settings each, chosen by NPMI coherence (no labels)
    mflib NMF              weighting=count        0.303 ± 0.000 0.082 ± 0.000  0.098 ± 0.000     17.7
    mflib LSA + k-means    dims=50                0.388 ± 0.009 0.162 ± 0.006 -0.007 ± 0.013      1.6
    scikit-learn NMF       weighting=count        0.303 ± 0.000 0.067 ± 0.000  0.109 ± 0.000      3.8
    scikit-learn LDA       prior=(0.1, 0.01)      0.329 ± 0.009 0.120 ± 0.009 -0.048 ± 0.014     55.6
    gensim LDA             alpha=symmetric        0.257 ± 0.019 0.081 ± 0.012 -0.091 ± 0.009     24.9
    k-means (TF-IDF)       n_init=10              0.328 ± 0.016 0.115 ± 0.014 -0.056 ± 0.015      2.5

    Word vectors (SGNS over 3 seeds)
    WordSim-353   315/353   PPMI-SVD 0.357   SGNS 0.169 ± 0.007
    SimLex-999    998/999   PPMI-SVD 0.161   SGNS 0.217 ± 0.005
    p chosen on a random half, scored on the other: WordSim-353 p=0, 0.297 vs 0.089 ± 0.015;
    SimLex-999 p=0, 0.171 vs 0.244 ± 0.003. Time: PPMI-SVD 87 s, SGNS 313 s per model.

Coherence as the only label-free criterion picks raw counts for both NMFs: their topics' NPMI rises (frequent
words co-occur more) and their agreement with the genres falls. With the standard settings mflib's NMF is the
most coherent and within the seed spread of the best NMI and ARI (its own LSA + k-means).
"""

import argparse
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from mflib.datasets import brown, movie_reviews, state_union
from mflib.svd import randomized_svd
from mflib.text import (
    analyzer,
    bootstrap_difference,
    context_counts,
    cross_validated_scores,
    pair_halves,
    peers,
    ppmi,
    read_word_pairs,
    similarity_correlation,
    train_sgns,
    weight_rows,
)

BETAS = (0.0, 0.5, 1.0)          # PPMI-SVD's candidates: the row weight (0 = the plain SVD)
NEGATIVES = (5, 10, 15)          # SGNS's candidates: Mikolov et al. advise 5-20 negatives for small data


def topic_tables(seeds):
    corpus = brown()
    M = peers.Matrices(corpus.documents)
    print(f"Brown: {M.counts.shape[0]} documents x {M.counts.shape[1]:,} words, k = 15, seeds {list(seeds)}\n")
    for tune, title in [(False, "standard settings, no tuning"),
                        (True, "two candidate settings each, chosen by NPMI coherence (no labels)")]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            table = peers.compare(M, corpus.target, 15, seeds=seeds, tune=tune, n_jobs=2)
        print(f"Topics -- {title}")
        print(peers.format_table(table))
        print(peers.verdict(table))
        print()


def sentences():
    tok = analyzer()
    b, s, m = brown(), state_union(), movie_reviews()
    out = [tok(" ".join(x)) for doc in b.sentences for x in doc]
    out += [tok(p) for paragraphs in s.paragraphs for p in paragraphs]
    out += [tok(" ".join(x)) for review in m.sentences for x in review]
    return [x for x in out if x]


def word_vector_tables(sgns_seeds):
    from gensim.test.utils import datapath

    sents = sentences()
    print(f"Word vectors: {sum(map(len, sents)):,} tokens, window 2, 300 dimensions, min_count 5\n")
    start = time.perf_counter()
    vocab, C = context_counts(sents, window=2, min_count=5)
    P = ppmi(C, alpha=0.75)
    count_seconds = time.perf_counter() - start
    svd, svd_seconds = {}, {}
    for beta in BETAS:
        start = time.perf_counter()
        U, S, _ = randomized_svd(weight_rows(P, C.sum(axis=1), beta), 300, n_iter=3, random_state=0)
        svd[f"beta={beta}"], svd_seconds[beta] = (vocab, U * S**0.5), time.perf_counter() - start + count_seconds
    trained, sgns_seconds = {}, []

    def sgns(negative, seed):
        if (negative, seed) not in trained:
            model, seconds = train_sgns(sents, negative=negative, seed=seed)
            trained[negative, seed] = (np.array(model.wv.index_to_key), model.wv.vectors)
            sgns_seconds.append(seconds)
        return trained[negative, seed]

    benches = {"WordSim-353": read_word_pairs(datapath("wordsim353.tsv")),
               "SimLex-999": read_word_pairs(datapath("simlex999.txt"))}

    print("Standard settings, all pairs: PPMI-SVD as Levy et al. (beta = 0, p = 0.5), SGNS as Mikolov et al. "
          f"(5 negatives; seeds {list(sgns_seeds)})")
    print(f"{'benchmark':<12} {'pairs':>9} {'PPMI-SVD':>9} {'SGNS':>15}")
    for name, (pairs, human) in benches.items():
        rho, covered = similarity_correlation(pairs, human, *svd["beta=0.0"])
        rhos = [similarity_correlation(pairs, human, *sgns(5, s))[0] for s in sgns_seeds]
        print(f"{name:<12} {covered.sum():>4}/{len(pairs):<4} {rho:>9.3f} {np.mean(rhos):>7.3f} ± {np.std(rhos):.3f}")

    halves = pair_halves(benches, seed=0)
    svd_scores = cross_validated_scores(benches, svd, halves)
    first = {f"negative={n}": sgns(n, sgns_seeds[0]) for n in NEGATIVES}
    sgns_scores = cross_validated_scores(benches, first, halves)
    print("\nEqual budget: three candidate settings each (PPMI-SVD: the row weight beta; SGNS: the number of "
          "negatives), chosen on one half of the pairs by the sum of rho over both benchmarks, scored on the other "
          f"half, then the halves swapped. SGNS's held-out scores over seeds {list(sgns_seeds)}, chosen setting.")
    print(f"{'benchmark':<12} {'half':<7} {'SVD chose':<10} {'PPMI-SVD':>9} {'SGNS chose':<12} {'SGNS':>15}")
    sentences_out = []
    for name in benches:
        per_seed = []
        for half in (True, False):
            choice = sgns_scores[name, half][0]
            negative = int(choice.split("=")[1])
            mask = halves[name] == half
            scored = [similarity_correlation([p for p, m in zip(benches[name][0], mask) if m], benches[name][1][mask],
                                             *sgns(negative, s))[0] for s in sgns_seeds]
            per_seed.append(scored)
            print(f"{name:<12} {'first' if half else 'second':<7} {svd_scores[name, half][0]:<10} "
                  f"{svd_scores[name, half][1]:>9.3f} {choice:<12} {np.mean(scored):>7.3f} ± {np.std(scored):.3f}")
        mean_svd = np.mean([svd_scores[name, h][1] for h in (True, False)])
        sgns_means = np.mean(per_seed, axis=0)                         # mean over the halves, one per seed
        low, high = bootstrap_difference(benches[name], [
            (halves[name] == h, svd[svd_scores[name, h][0]], first[sgns_scores[name, h][0]]) for h in (True, False)])
        spread = max(np.std(sgns_means), 5e-4)
        if mean_svd - sgns_means.mean() > spread and low > 0:
            word = "better than"
        elif sgns_means.mean() - mean_svd > spread and high < 0:
            word = "worse than"
        else:
            word = "level with"
        print(f"{name:<12} {'mean':<7} {'':<10} {mean_svd:>9.3f} {'':<12} {sgns_means.mean():>7.3f} ± "
              f"{np.std(sgns_means):.3f}   bootstrap 95 % interval of the difference (seed {sgns_seeds[0]}) "
              f"{low:+.3f} to {high:+.3f}")
        sentences_out.append(f"{word} SGNS on {name} ({mean_svd:.3f} against {sgns_means.mean():.3f})")
    print("Verdict: the count-weighted PPMI-SVD is " + " and ".join(sentences_out) + ".")
    print(f"time: counts + PPMI {count_seconds:.1f} s; counts + PPMI + SVD " + ", ".join(
        f"beta {b}: {t:.1f} s" for b, t in svd_seconds.items()) + f"; SGNS {np.mean(sgns_seconds):.1f} s per model "
        f"({len(sgns_seconds)} models)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds for the stochastic topic methods")
    parser.add_argument("--sgns-seeds", type=int, default=3, help="seeds for word2vec")
    args = parser.parse_args()
    with threadpool_limits(1, user_api="blas"):
        topic_tables(tuple(range(args.seeds)))
        word_vector_tables(tuple(range(args.sgns_seeds)))


if __name__ == "__main__":
    main()
