"""mflib: helpers for the interactive course on matrix factorization.

The notebooks tell the story; this package keeps what several chapters reuse:

- :mod:`mflib.datasets` -- loaders for the course's data (download, cache, verify);
- :mod:`mflib.svd` -- truncated SVD, compression metrics, a cached SVD compressor;
- :mod:`mflib.sliders` -- sliders that are live in Jupyter and static in the book;
- :mod:`mflib.plotting` -- image grids with consistent colour scales;
- :mod:`mflib.rpca` -- robust PCA (principal component pursuit);
- :mod:`mflib.video` -- frames <-> matrix, foreground masks, CDnet scoring;
- :mod:`mflib.nmf` -- beta-divergence and a from-scratch multiplicative-update NMF;
- :mod:`mflib.recommend` -- biased matrix factorization of ratings (ALS, SGD);
- :mod:`mflib.spark` -- a quiet local Apache Spark session and its ALS.
"""

__version__ = "0.1.0"
