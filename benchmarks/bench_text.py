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
import zlib

import numpy as np
from threadpoolctl import threadpool_limits

from mflib.datasets import brown, movie_reviews, state_union
from mflib.svd import randomized_svd
from mflib.text import analyzer, context_counts, normalize_rows, peers, ppmi, read_word_pairs, similarity_correlation


def topic_tables(seeds):
    corpus = brown()
    M = peers.Matrices(corpus.documents)
    print(f"Brown: {M.counts.shape[0]} documents x {M.counts.shape[1]:,} words, k = 15, seeds {list(seeds)}\n")
    for tune, title in [(False, "standard settings, no tuning"),
                        (True, "two candidate settings each, chosen by NPMI coherence (no labels)")]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            table = peers.compare(M, corpus.target, 15, seeds=seeds, tune=tune)
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
    from gensim.models import Word2Vec
    from gensim.test.utils import datapath

    sents = sentences()
    print(f"Word vectors: {sum(map(len, sents)):,} tokens, window 2, 300 dimensions, min_count 5\n")
    start = time.perf_counter()
    vocab, C = context_counts(sents, window=2, min_count=5)
    U, S, _ = randomized_svd(ppmi(C, alpha=0.75), 300, n_iter=3, random_state=0)
    svd_seconds = time.perf_counter() - start
    sgns, sgns_seconds = [], []
    for seed in sgns_seeds:
        start = time.perf_counter()
        model = Word2Vec(sents, vector_size=300, window=2, min_count=5, sg=1, negative=5, workers=1, seed=seed,
                         hashfxn=lambda word: zlib.crc32(word.encode()))
        sgns_seconds.append(time.perf_counter() - start)
        sgns.append((np.array(model.wv.index_to_key), model.wv.vectors))
    benches = {"WordSim-353": read_word_pairs(datapath("wordsim353.tsv")),
               "SimLex-999": read_word_pairs(datapath("simlex999.txt"))}
    svd = normalize_rows(U * S**0.5)
    print(f"{'benchmark':<12} {'pairs':>9} {'PPMI-SVD rho':>13} {'SGNS rho':>16}")
    for name, (pairs, human) in benches.items():
        rho, covered = similarity_correlation(pairs, human, vocab, svd)
        rhos = [similarity_correlation(pairs, human, v, w)[0] for v, w in sgns]
        print(f"{name:<12} {covered.sum():>4}/{len(pairs):<4} {rho:>13.3f} {np.mean(rhos):>9.3f} ± {np.std(rhos):.3f}")
    print(f"time: PPMI-SVD {svd_seconds:.1f} s (counts, PPMI, SVD); SGNS {np.mean(sgns_seconds):.1f} s per model\n")

    print("Eigenvalue weighting p chosen on a random half of the pairs (seed 0), scored on the other half")
    print(f"{'benchmark':<12} {'chosen p':>8} {'PPMI-SVD rho':>13} {'SGNS rho':>16}")
    for name, (pairs, human) in benches.items():
        half = np.random.default_rng(0).random(len(pairs)) < 0.5
        select = ([p for p, h in zip(pairs, half) if h], human[half])
        report = ([p for p, h in zip(pairs, half) if not h], human[~half])
        best = max((0.0, 0.5, 1.0), key=lambda p: similarity_correlation(*select, vocab, U * S**p)[0])
        rho = similarity_correlation(*report, vocab, U * S**best)[0]
        rhos = [similarity_correlation(*report, v, w)[0] for v, w in sgns]
        print(f"{name:<12} {best:>8} {rho:>13.3f} {np.mean(rhos):>9.3f} ± {np.std(rhos):.3f}")


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
