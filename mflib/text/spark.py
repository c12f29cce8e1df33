"""Latent semantic analysis on Apache Spark: MLlib's feature pipeline and ``RowMatrix.computeSVD``."""

import time

import numpy as np


def spark_lsa(spark, texts, k, *, min_df=3, max_df=0.5):
    """TF-IDF and its truncated SVD in Spark, from documents given as strings.

    ``pyspark.ml.feature``: ``Tokenizer`` (lower-cases, splits on white space),
    ``CountVectorizer`` (``minDF``, ``maxDF``) and ``IDF``
    (``idf = log((m + 1) / (df + 1))``, no row normalization); then
    ``pyspark.mllib.linalg.distributed.RowMatrix.computeSVD``, which forms the
    Gram matrix ``A^T A`` piece by piece on the executors and finds its top
    eigenvectors with ARPACK on the driver.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    texts : list of str
        Documents; pass pre-tokenized text joined by spaces to get exactly the
        tokens another tool produced.
    k : int
        Singular values to compute.

    Returns
    -------
    dict
        ``vocabulary`` (list of str, Spark's column order), ``idf`` (ndarray),
        ``s`` (ndarray (k,)), ``V`` (ndarray (n_words, k)), ``seconds``
        (the pipeline and the SVD, after the session started).
    """
    from pyspark.ml.feature import IDF, CountVectorizer, Tokenizer
    from pyspark.mllib.linalg import Vectors
    from pyspark.mllib.linalg.distributed import RowMatrix

    start = time.perf_counter()
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], ["id", "text"])
    tokens = Tokenizer(inputCol="text", outputCol="tokens").transform(df)
    counts = CountVectorizer(inputCol="tokens", outputCol="tf", minDF=float(min_df), maxDF=float(max_df))
    cv = counts.fit(tokens)
    tf = cv.transform(tokens)
    idf = IDF(inputCol="tf", outputCol="tfidf").fit(tf)
    rows = idf.transform(tf).select("tfidf").rdd.map(lambda r: Vectors.fromML(r.tfidf))
    svd = RowMatrix(rows).computeSVD(k, computeU=False)
    return {"vocabulary": list(cv.vocabulary), "idf": idf.idf.toArray(), "s": svd.s.toArray(),
            "V": np.asarray(svd.V.toArray()), "seconds": time.perf_counter() - start}
