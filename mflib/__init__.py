"""mflib: helpers for the interactive course on matrix factorization.

The notebooks tell the story; this package keeps what several chapters reuse.
Frames are rows and images factor in one of four layouts (:mod:`mflib.layout`).

Data and files
    :mod:`mflib.datasets` (the course's data: download, cache, verify),
    :mod:`mflib.io` (the reader's images and videos, animations),
    :mod:`mflib.corpora` (NLTK's Brown, State of the Union and movie reviews, read from their zips).
Pictures
    :mod:`mflib.imaging` (value ranges, 8-bit conversion, encoding),
    :mod:`mflib.layout` (image <-> matrices, frames <-> rows),
    :mod:`mflib.plotting` (image grids with one colour scale),
    :mod:`mflib.sliders` (sliders and the nearest-words explorer, live in Jupyter and static in the book).
Numerics
    :mod:`mflib.svd` (randomized SVD, storage in bytes, :class:`~mflib.svd.SVDCompressor`),
    :mod:`mflib.quantize` (integer factors, 2 to 16 bits), :mod:`mflib.metrics` (relative error, PSNR, CDnet F),
    :mod:`mflib.rpca` (robust PCA), :mod:`mflib.robust` (high-breakdown mode and scale),
    :mod:`mflib.background` (the per-pixel background model),
    :mod:`mflib.video` (foreground masks of whole clips), :mod:`mflib.nmf` (beta-divergence NMF),
    :mod:`mflib.recommend` (matrix factorization of ratings, Spark's ALS), :mod:`mflib.spark` (a local session).
Text
    :mod:`mflib.text` (topics by NMF or LSA, NPMI coherence, word vectors from the SVD of PPMI, the topic-model
    comparison, LSA on Spark).
"""

__version__ = "0.1.0"
