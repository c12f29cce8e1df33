"""Chapter 6's library: corpora loaders, TopicModel, NPMI coherence, PPMI word vectors, the explorer, Spark LSA."""

import zipfile
from itertools import combinations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils._param_validation import InvalidParameterError

from mflib import datasets
from mflib.datasets import DataCorruptError, DataNotFoundError
from mflib.nmf import MultiplicativeNMF
from mflib.sliders import nearest_words_explorer, quantize_rows
from mflib.svd import randomized_svd
from mflib.text import (
    TopicModel,
    analogies,
    analogy,
    bootstrap_difference,
    context_counts,
    cross_validated_scores,
    half_cosines,
    nearest_words,
    npmi_coherence,
    pair_halves,
    peers,
    ppmi,
    read_word_pairs,
    similarity_correlation,
    train_sgns,
    train_sgns_in_background,
    weight_rows,
    word_vectors,
)

DOCS = ["the cat sat on the mat with another cat", "a dog and a cat played", "stocks fell on the market today",
        "the market rallied and stocks rose", "my dog chased the cat", "bond market and stocks", "dog days"]


# -- corpora ---------------------------------------------------------------------------------------

def test_brown_has_500_documents_in_15_genres(data_dir):
    b = datasets.brown()
    assert len(b.documents) == 500 and len(b.target) == 500 and len(set(b.target)) == 15
    assert b.ids[0] == "ca01" and b.target[0] == "news"
    assert sum(map(len, b.documents)) == 1_161_192          # NLTK's brown.words() count
    assert b.documents[0][:3] == ["The", "Fulton", "County"]
    assert b.documents[0] == [w for s in b.sentences[0] for w in s]
    assert np.bincount(np.unique(b.target, return_inverse=True)[1]).min() == 6    # science fiction


def test_state_union_and_movie_reviews(data_dir):
    s = datasets.state_union()
    assert len(s.texts) == 65 and s.year.min() == 1945 and s.year.max() == 2006
    assert s.president[0] == "Truman" and s.ids[0] == "1945-Truman.txt"
    assert all(p and all(x.strip() for x in p) for p in s.paragraphs)
    m = datasets.movie_reviews()
    assert len(m.sentences) == 2000 and (m.target == "pos").sum() == 1000
    assert m.sentences[0][0][:2] == ["plot", ":"]


def test_corrupt_corpus_zip_is_named(data_dir, tmp_path, monkeypatch):
    target = tmp_path / "nltk_data" / "corpora" / "brown.zip"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a zip")
    monkeypatch.setenv("MFLIB_DATA", str(tmp_path))
    with pytest.raises(DataCorruptError, match="brown.zip is corrupt or has been changed"):
        datasets.brown()


def test_missing_corpus_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("MFLIB_DATA", str(tmp_path))
    with pytest.raises(DataNotFoundError, match="raw.githubusercontent.com/nltk/nltk_data"):
        datasets.state_union()


def test_reader_refuses_a_zip_without_the_corpus(tmp_path):
    from mflib.corpora import read_movie_reviews
    path = tmp_path / "movie_reviews.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("other/readme.txt", "hello")
    with pytest.raises(DataCorruptError, match="no files under movie_reviews/"):
        read_movie_reviews(path)


# -- TopicModel --------------------------------------------------------------------------------------

def test_topic_model_is_a_text_estimator():
    """The scikit-learn contract, tested directly: check_estimator feeds numbers, this takes documents."""
    model = TopicModel(2, min_df=1, max_df=1.0)
    assert clone(model).get_params() == model.get_params()
    assert model.set_params(n_topics=3).n_topics == 3
    with pytest.raises(NotFittedError):
        model.top_words(3)
    with pytest.raises(InvalidParameterError, match="method"):
        TopicModel(2, method="lda").fit(DOCS)
    with pytest.raises(InvalidParameterError, match="n_topics"):
        TopicModel(0).fit(DOCS)
    with pytest.raises((TypeError, ValueError), match="n_topics"):
        TopicModel(True).fit(DOCS)
    W = TopicModel(2, min_df=1, max_df=1.0).fit_transform(DOCS)
    assert W.shape == (len(DOCS), 2) and W.min() >= 0
    fitted = TopicModel(2, min_df=1, max_df=1.0).fit(DOCS)
    assert list(fitted.get_feature_names_out()) == ["topic0", "topic1"]
    assert fitted.transform(DOCS[:2]).shape == (2, 2)


def test_topic_model_refuses_what_is_not_documents():
    with pytest.raises(TypeError, match="single string"):
        TopicModel(2).fit("one long document")
    with pytest.raises(TypeError, match="numeric matrix"):
        TopicModel(2).fit(np.ones((4, 3)))
    with pytest.raises(TypeError, match=r"docs\[1\]"):
        TopicModel(2).fit(["fine", 3])
    with pytest.raises(ValueError, match="no vocabulary is left"):
        TopicModel(2, min_df=5).fit(DOCS)
    with pytest.raises(ValueError, match="choose fewer topics"):
        TopicModel(50, min_df=1, max_df=1.0).fit(DOCS)


def test_strings_and_token_lists_give_the_same_topics():
    a = TopicModel(2, min_df=1, max_df=1.0).fit_transform(DOCS)
    b = TopicModel(2, min_df=1, max_df=1.0).fit_transform([d.split() for d in DOCS])
    np.testing.assert_allclose(a, b)


def test_nmf_topics_are_multiplicative_nmf_of_tfidf():
    model = TopicModel(2, min_df=1, max_df=1.0, stop_words=None)
    W = model.fit_transform(DOCS)
    X = TfidfVectorizer(min_df=1, max_df=1.0).fit_transform(DOCS).toarray()
    ref = MultiplicativeNMF(2, max_iter=500, random_state=0)
    np.testing.assert_allclose(W, ref.fit_transform(X))
    np.testing.assert_allclose(model.components_, ref.components_)
    assert [len(t) for t in model.top_words(3)] == [3, 3]


def test_lsa_topics_span_the_leading_singular_subspace():
    model = TopicModel(3, method="lsa", min_df=1, max_df=1.0, stop_words=None)
    Z = model.fit_transform(DOCS)
    X = TfidfVectorizer(min_df=1, max_df=1.0).fit_transform(DOCS).toarray()
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(model.singular_values_, s[:3], rtol=1e-8)
    np.testing.assert_allclose(np.abs(model.components_ @ Vt[:3].T), np.eye(3), atol=1e-6)
    np.testing.assert_allclose(Z, model.transform(DOCS), atol=1e-10)   # folding in the training documents
    np.testing.assert_allclose(model.reconstruction_err_, np.sqrt(np.sum(s[3:] ** 2)), rtol=1e-6)
    assert np.all(model.components_.max(axis=1) >= -model.components_.min(axis=1))   # sign convention


# -- coherence ---------------------------------------------------------------------------------------

def _npmi_brute(topic, texts, window):
    """NPMI by enumerating every sliding window, as gensim's c_npmi defines it."""
    windows = [set(t[i:i + window]) for t in texts for i in range(max(1, len(t) - window + 1))]
    n = len(windows)
    p = {w: sum(w in win for win in windows) / n for w in topic}
    vals = []
    for a, b in combinations(topic, 2):
        pab = sum(a in win and b in win for win in windows) / n + 1e-12
        vals.append(np.log(pab / (p[a] * p[b])) / -np.log(pab))
    return np.mean(vals)


def test_npmi_equals_brute_force_and_gensim():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(12)]
    texts = [list(rng.choice(words, size=rng.integers(3, 40))) for _ in range(30)]   # some shorter than a window
    topics = [["w0", "w1", "w2", "w3"], ["w4", "w5", "w6"]]
    ours = npmi_coherence(topics, texts, window=10)
    np.testing.assert_allclose(ours, [_npmi_brute(t, texts, 10) for t in topics], atol=1e-12)
    # gensim agrees where no word repeats within a window (it forgets a word whose earlier copy leaves)
    from gensim.corpora import Dictionary
    from gensim.models import CoherenceModel
    texts = [list(rng.choice(words, size=rng.integers(3, 12), replace=False)) for _ in range(30)]
    ours = npmi_coherence(topics, texts, window=10)
    theirs = CoherenceModel(topics=topics, texts=texts, dictionary=Dictionary(texts), coherence="c_npmi",
                            processes=1).get_coherence_per_topic()
    np.testing.assert_allclose(ours, theirs, atol=1e-9)


def test_npmi_names_words_missing_from_the_texts():
    with pytest.raises(ValueError, match="never occur"):
        npmi_coherence([["cat", "unicorn"]], [["cat", "dog"]])


# -- word vectors ------------------------------------------------------------------------------------

def _counts_brute(sentences, vocab, window, dynamic):
    index = {w: i for i, w in enumerate(vocab)}
    C = np.zeros((len(vocab), len(vocab)))
    for s in sentences:
        s = [t for t in s if t in index]
        for i, a in enumerate(s):
            for j in range(max(0, i - window), min(len(s), i + window + 1)):
                if j != i:
                    d = abs(i - j)
                    C[index[a], index[s[j]]] += (window - d + 1) / window if dynamic else 1
    return C


@pytest.mark.parametrize("dynamic", [True, False])
def test_context_counts_equal_a_python_loop(dynamic):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(15)]
    sentences = [list(rng.choice(words, size=rng.integers(1, 12), p=np.r_[[0.3], np.full(14, 0.05)]))
                 for _ in range(60)]
    vocab, C = context_counts(sentences, window=3, min_count=25, subsample=None, dynamic=dynamic)
    assert C.shape == (len(vocab), len(vocab)) and len(vocab) < len(words)     # rare words dropped
    np.testing.assert_allclose(C.toarray(), _counts_brute(sentences, vocab, 3, dynamic))


def test_ppmi_equals_the_dense_formula_with_shift():
    rng = np.random.default_rng(2)
    C = sp.random(20, 20, density=0.4, random_state=3, data_rvs=lambda n: rng.integers(1, 9, n)).tocsr()
    D = C.toarray()
    for alpha, shift in [(1.0, 1.0), (0.75, 1.0), (0.75, 5.0)]:
        ctx = D.sum(axis=0) ** alpha
        with np.errstate(divide="ignore"):
            ref = np.maximum(np.log(D * ctx.sum() / np.outer(D.sum(axis=1), ctx)) - np.log(shift), 0)
        np.testing.assert_allclose(ppmi(C, alpha=alpha, shift=shift).toarray(), ref, atol=1e-12)


def test_word_vectors_are_the_svd_of_ppmi():
    rng = np.random.default_rng(4)
    words = [f"w{i}" for i in range(30)]
    sentences = [list(rng.choice(words, size=8)) for _ in range(400)]
    vocab, V = word_vectors(sentences, dim=5, window=2, min_count=1, power=1.0, weight=0, subsample=None)
    _, C = context_counts(sentences, 2, 1, subsample=None)
    U, s, _ = randomized_svd(ppmi(C).toarray(), 5, n_iter=3, random_state=0)     # the same SVD, densely
    ref = U * s
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    np.testing.assert_allclose(V, ref, atol=1e-5)
    exact = np.linalg.svd(ppmi(C).toarray(), compute_uv=False)[:5]
    np.testing.assert_allclose(s, exact, rtol=0.02)                                # and close to the exact one
    assert V.dtype == np.float32 and np.allclose(np.linalg.norm(V, axis=1), 1, atol=1e-5)


def test_count_weighted_vectors_are_the_svd_of_the_scaled_rows():
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(30)]
    sentences = [list(rng.choice(words, size=8, p=np.arange(1, 31) / 465)) for _ in range(400)]
    vocab, V = word_vectors(sentences, dim=5, window=2, min_count=1, power=0.5, weight=1.0, subsample=None)
    _, C = context_counts(sentences, 2, 1, subsample=None)
    counts = np.asarray(C.sum(axis=1)).ravel()
    U, s, _ = randomized_svd(np.sqrt(counts)[:, None] * ppmi(C).toarray(), 5, n_iter=3, random_state=0)
    ref = U * np.sqrt(s)
    np.testing.assert_allclose(V, ref / np.linalg.norm(ref, axis=1, keepdims=True), atol=1e-5)


def test_weight_rows_gives_the_best_count_weighted_fit():
    rng = np.random.default_rng(6)
    M = sp.random(40, 30, density=0.4, random_state=7, format="csr")
    counts = rng.integers(1, 500, size=40).astype(float)
    A = weight_rows(M, counts, 1.0).toarray()
    np.testing.assert_allclose(A, np.sqrt(counts)[:, None] * M.toarray())
    d = 4

    def weighted_error(X):
        return np.sum(counts[:, None] * (M.toarray() - X) ** 2)

    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    best = (U[:, :d] * s[:d] @ Vt[:d]) / np.sqrt(counts)[:, None]
    np.testing.assert_allclose(weighted_error(best), np.sum(s[d:] ** 2))        # Eckart-Young, weighted
    U0, s0, Vt0 = np.linalg.svd(M.toarray(), full_matrices=False)
    assert weighted_error(best) < weighted_error(U0[:, :d] * s0[:d] @ Vt0[:d])   # the plain SVD fits it worse
    for _ in range(20):                                                         # and so does any nearby rank-d
        nudged = (U[:, :d] + 1e-3 * rng.standard_normal((40, d))) * s[:d] @ Vt[:d] / np.sqrt(counts)[:, None]
        assert weighted_error(best) <= weighted_error(nudged)
    np.testing.assert_allclose(weight_rows(M, counts, 0).toarray(), M.toarray())
    with pytest.raises(ValueError, match=r"weight must lie in \[0, 1\]"):
        weight_rows(M, counts, 2)


def test_analogies_answer_as_analogy_does():
    rng = np.random.default_rng(8)
    vocab = [f"w{i}" for i in range(50)]
    V = rng.standard_normal((50, 6))
    questions = [tuple(rng.choice(vocab, size=3, replace=False)) for _ in range(40)]
    expected = [analogy(a, b, c, vocab, V)[0][0] for a, b, c in questions]
    assert analogies(questions, vocab, V, batch_size=7) == expected
    with pytest.raises(KeyError, match="not in the vocabulary"):
        analogies([("w1", "w2", "nope")], vocab, V)


def test_subsampling_keeps_rare_words_and_thins_frequent_ones():
    sentences = [["the"] * 50 + ["rare"]] * 20
    _, full = context_counts(sentences, 1, 1, subsample=None)
    _, thin = context_counts(sentences, 1, 1, subsample=1e-2)
    assert thin[0, 0] < 0.5 * full[0, 0]


def test_word_vector_errors_name_the_fix():
    with pytest.raises(TypeError, match="token lists"):
        word_vectors(["a sentence as a string"])
    with pytest.raises(ValueError, match="lower min_count"):
        word_vectors([["a", "b"]], min_count=5)
    with pytest.raises(ValueError, match="lower dim"):
        word_vectors([["a", "b", "c"]] * 5, dim=10, min_count=1, subsample=None)
    with pytest.raises(ValueError, match="alpha"):
        word_vectors([["a", "b"]], alpha=0)
    with pytest.raises(ValueError, match="weight must be a number"):
        word_vectors([["a", "b"]], weight=True)


def test_nearest_words_and_analogy_on_planted_vectors():
    vocab = ["man", "woman", "king", "queen", "apple"]
    V = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, 0.1]], dtype=float)
    assert analogy("man", "king", "woman", vocab, V)[0][0] == "queen"
    assert nearest_words("king", vocab, V, 1)[0][0] in {"man", "queen"}
    with pytest.raises(KeyError, match="not in the vocabulary"):
        nearest_words("prince", vocab, V)


def test_similarity_correlation_scores_covered_pairs_only(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("# header\nMan\twoman\t8\nman\tking\t5\nman\tapple\t1\nman\tunicorn\t4\n")
    pairs, scores = read_word_pairs(path)
    assert pairs[0] == ("man", "woman") and len(scores) == 4
    V = np.array([[1, 0], [0.9, 0.1], [0.5, 0.5], [0, 1]])
    rho, covered = similarity_correlation(pairs, scores, ["man", "woman", "king", "apple"], V)
    assert covered.tolist() == [True, True, True, False] and rho == pytest.approx(1.0)


def test_randomized_svd_accepts_sparse_input():
    A = sp.random(60, 40, density=0.2, random_state=0, format="csr")
    U, s, Vt = randomized_svd(A, 5)
    U_d, s_d, Vt_d = randomized_svd(A.toarray(), 5)                   # same seed, dense: the same numbers
    np.testing.assert_allclose(s, s_d, rtol=1e-12)
    np.testing.assert_allclose(U @ np.diag(s) @ Vt, U_d @ np.diag(s_d) @ Vt_d, atol=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        randomized_svd(sp.csr_matrix(np.array([[np.nan, 1.0], [0, 1]])), 1)


# -- the explorer ------------------------------------------------------------------------------------

def test_quantized_rows_are_within_half_a_step():
    V = np.random.default_rng(5).standard_normal((50, 16))
    codes, scale = quantize_rows(V)
    assert codes.dtype == np.int8 and np.abs(codes).max() == 127
    assert np.all(np.abs(codes * scale[:, None] - V) <= 0.5 * scale[:, None] + 1e-7)


def test_explorer_page_form_carries_words_codes_and_script():
    rng = np.random.default_rng(6)
    vocab = [f"w{i}" for i in range(200)]
    V = rng.standard_normal((200, 20))
    ex = nearest_words_explorer(vocab, V, n_words=100, k=5, examples=["w3", "w150"], value="w3")
    page = ex.static_html()
    assert "mflib-slider-data" in page and "mflibQuery" in page and '"w99"' in page and '"w100"' not in page
    assert ex.examples == ["w3"]                                 # w150 is not shipped with the page
    assert 100 * 20 < ex.payload_bytes < 100 * 20 * 2 + 10_000
    full = [w for w, _ in nearest_words("w3", vocab[:100], V[:100], 5)]
    assert [w for w, _ in ex.static_neighbours("w3")][:3] == full[:3]
    assert ex.step("w7").startswith("w7: ")                          # the live box answers at full precision
    bundle = ex._repr_mimebundle_()
    assert "text/html" in bundle and "application/vnd.jupyter.widget-view+json" in bundle


def test_explorer_refuses_mismatched_input():
    with pytest.raises(ValueError, match="one row per vocabulary word"):
        nearest_words_explorer(["a", "b"], np.ones((3, 2)))


# -- the comparison's verdict --------------------------------------------------------------------------

def _row(nmi, coh, spread=0.0):
    arr = lambda v: np.array([v - spread, v + spread])  # noqa: E731
    return {"config": {}, "nmi": arr(nmi), "ari": arr(nmi / 2), "coherence": arr(coh), "seconds": np.ones(2)}


def test_verdict_is_built_from_the_table():
    table = {"mflib NMF": _row(0.37, 0.03), "peer": _row(0.36, 0.05, spread=0.001)}
    sentence = peers.verdict(table)
    assert "on NMI mflib NMF (0.370) is the best" in sentence
    assert "on NPMI coherence mflib NMF (0.030) is beaten by peer (0.050)" in sentence
    within = peers.verdict({"mflib NMF": _row(0.37, 0.03), "peer": _row(0.38, 0.03, spread=0.02)})
    assert "within the seed spread of the best, peer" in within
    assert "mflib NMF" in peers.format_table(table)
    tie = peers.verdict({"mflib NMF": _row(0.3031, 0.03), "peer": _row(0.3034, 0.03)})   # equal at 3 decimals
    assert "beaten" not in tie


# -- Spark ---------------------------------------------------------------------------------------------

@pytest.mark.slow                 # a JVM start and a Spark job (about 20 s)
def test_spark_lsa_equals_numpy_on_the_same_matrix():
    pytest.importorskip("pyspark")
    from sklearn.feature_extraction.text import CountVectorizer

    from mflib.spark import local_session
    from mflib.text.spark import spark_lsa
    texts = [d + " extra words here" for d in DOCS] * 3
    spark = local_session(cores=1)
    try:
        result = spark_lsa(spark, texts, 3, min_df=2, max_df=1.0)
    finally:
        spark.stop()
    words = np.array(result["vocabulary"])
    counts = CountVectorizer(vocabulary=words, analyzer=str.split).fit_transform(texts)
    df = np.bincount(counts.indices, minlength=len(words))
    A = (counts @ sp.diags(np.log((len(texts) + 1) / (df + 1)))).toarray()
    s = np.linalg.svd(A, compute_uv=False)
    np.testing.assert_allclose(result["s"], s[:3], rtol=1e-6)


def test_peer_comparison_is_the_same_run_in_parallel():
    rng = np.random.default_rng(9)
    groups = [[f"{g}{i}" for i in range(12)] for g in "abc"]
    docs = [" ".join(rng.choice(groups[t % 3], size=30)) for t in range(36)]
    labels = np.arange(36) % 3
    M = peers.Matrices(docs, min_df=2, max_df=0.9, stop_words=None)
    methods = ["mflib NMF", "k-means (TF-IDF)", "scikit-learn LDA"]
    one = peers.compare(M, labels, 3, seeds=(0, 1), methods=methods, tune=True, n_jobs=1)
    two = peers.compare(M, labels, 3, seeds=(0, 1), methods=methods, tune=True, n_jobs=2)
    for m in methods:
        assert one[m]["config"] == two[m]["config"]
        for metric in ("nmi", "ari", "coherence"):
            np.testing.assert_allclose(one[m][metric], two[m][metric])
        assert len(one[m]["nmi"]) == (2 if m in peers.STOCHASTIC else 1)
        chosen = max(peers.CANDIDATES[m], key=lambda c: peers.run(m, M, 3, 0, c)[3])   # the most coherent setting
        assert one[m]["config"] == chosen
    assert one["mflib NMF"]["nmi"][0] > 0.9                                              # three planted topics found


def _planted_benchmark(seed=10, n_words=60, n_pairs=200):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n_words)]
    good = rng.standard_normal((n_words, 8))
    pairs = [tuple(rng.choice(words, size=2, replace=False)) for _ in range(n_pairs)]
    index = {w: i for i, w in enumerate(words)}
    unit = good / np.linalg.norm(good, axis=1, keepdims=True)
    human = np.array([unit[index[a]] @ unit[index[b]] for a, b in pairs]) + 0.1 * rng.standard_normal(n_pairs)
    bad = rng.standard_normal((n_words, 8))
    return words, good, bad, (pairs, human)


def test_cross_validated_scores_choose_on_the_other_half():
    words, good, bad, bench = _planted_benchmark()
    benchmarks = {"planted": bench}
    halves = pair_halves(benchmarks, seed=0)
    assert 60 < halves["planted"].sum() < 140
    scores = cross_validated_scores(benchmarks, {"good": (words, good), "bad": (words, bad)}, halves)
    for half in (True, False):
        chosen, rho = scores["planted", half]
        assert chosen == "good"
        mask = halves["planted"] == half
        expected = similarity_correlation([p for p, m in zip(bench[0], mask) if m], bench[1][mask], words, good)[0]
        assert rho == pytest.approx(expected)
    # half_cosines keeps the masked pairs whose words the model knows
    human_cos = half_cosines(bench, halves["planted"], (words, good))
    assert len(human_cos[0]) == halves["planted"].sum()


def test_bootstrap_difference_separates_a_real_gap_from_none():
    words, good, bad, bench = _planted_benchmark()
    halves = pair_halves({"planted": bench}, seed=0)["planted"]
    parts = [(halves, (words, good), (words, bad)), (~halves, (words, good), (words, bad))]
    low, high = bootstrap_difference(bench, parts, n_resamples=200)
    assert 0 < low < high
    same = bootstrap_difference(bench, [(halves, (words, good), (words, good))], n_resamples=50)
    assert same == (0.0, 0.0)


def test_sgns_trains_the_same_model_in_a_background_process():
    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(40)]
    sentences = [list(rng.choice(words, size=10)) for _ in range(300)]
    here, seconds = train_sgns(sentences, dim=8, window=2, min_count=1, seed=3)
    there, _ = train_sgns_in_background(sentences, dim=8, window=2, min_count=1, seed=3).result(timeout=120)
    assert seconds > 0 and here.wv.index_to_key == there.wv.index_to_key
    np.testing.assert_array_equal(here.wv.vectors, there.wv.vectors)      # one worker thread: reproducible
    np.testing.assert_array_equal(here.syn1neg, there.syn1neg)
