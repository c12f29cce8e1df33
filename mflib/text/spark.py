"""Latent semantic analysis on Apache Spark: MLlib's feature pipeline and ``RowMatrix.computeSVD``."""

import time

import numpy as np


def spark_lsa(spark, texts, k, *, min_df=3, max_df=0.5):
    """TF-IDF and its truncated SVD in Spark, from documents given as strings.

    ``pyspark.ml.feature``: ``Tokenizer`` (lower-cases, splits on white space),
    ``CountVectorizer`` (``minDF``, ``maxDF``) and ``IDF``
    (``idf = log((m + 1) / (df + 1))``, no row normalization); then
    ``pyspark.mllib.linalg.distributed.RowMatrix.computeSVD``. With fewer than
    100 columns, or ``k > n / 2`` and at most 15,000 columns, it forms the Gram
    matrix ``A^T A`` and decomposes it on the driver; otherwise (small ``k``,
    as for LSA) it runs ARPACK's Lanczos iterations on the driver, each product
    ``A^T (A v)`` a distributed pass over the cached rows.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    texts : list of str
        Documents; pass pre-tokenized text joined by spaces to get exactly the
        tokens another tool produced.
    k : int
        Singular values to compute.
    min_df, max_df : int or float
        As scikit-learn's: an int is a number of documents, a float in
        ``[0, 1]`` a fraction of them.

    Returns
    -------
    dict
        ``vocabulary`` (list of str, Spark's column order), ``idf`` (ndarray),
        ``s`` (ndarray (k,)), ``V`` (ndarray (n_words, k)), ``seconds``
        (the pipeline and the SVD, after the session started).
    """
    from pyspark.ml.feature import IDF, CountVectorizer, Tokenizer
    from pyspark.mllib.linalg.distributed import RowMatrix
    from pyspark.mllib.util import MLUtils

    # Spark takes a number >= 1 as a count and below 1 as a fraction, and requires maxDF >= minDF by value:
    # pass both as document counts, scikit-learn's way (max_df=0.5 keeps words in at most half the documents)
    n = len(texts)
    min_count, max_count = (float(v * n if isinstance(v, float) else v) for v in (min_df, max_df))
    start = time.perf_counter()
    # Cached: the documents come from Python, and every later pass (the vocabulary, the document
    # frequencies, the TF-IDF rows) would otherwise send them through Python workers again.
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], ["id", "text"]).cache()
    tokens = Tokenizer(inputCol="text", outputCol="tokens").transform(df)
    counts = CountVectorizer(inputCol="tokens", outputCol="tf", minDF=min_count, maxDF=max_count)
    cv = counts.fit(tokens)
    tf = cv.transform(tokens)
    idf = IDF(inputCol="tf", outputCol="tfidf").fit(tf)
    # computeSVD passes over the rows once per Lanczos iteration. A DataFrame of mllib vectors, cached, keeps
    # every pass in the JVM; an RDD built in Python would send each row through a Python worker on each pass.
    rows = MLUtils.convertVectorColumnsFromML(idf.transform(tf).select("tfidf"), "tfidf").cache()
    svd = RowMatrix(rows).computeSVD(k, computeU=False)
    rows.unpersist()
    df.unpersist()
    return {"vocabulary": list(cv.vocabulary), "idf": idf.idf.toArray(), "s": svd.s.toArray(),
            "V": np.asarray(svd.V.toArray()), "seconds": time.perf_counter() - start}
