"""Reading the NLTK corpora zips: Brown, State of the Union, movie reviews.

The zips are the ones NLTK's downloader fetches (``nltk.download("brown")``);
:mod:`mflib.datasets` finds, downloads and verifies them, and the functions
here turn a verified zip into documents. Nothing is unpacked to disk: each
member is read from the archive.
"""

import re
import zipfile

import numpy as np
from sklearn.utils import Bunch

from .datasets import DataCorruptError

BROWN_GENRES = ("news", "editorial", "reviews", "religion", "hobbies", "lore", "belles_lettres",
                "government", "learned", "fiction", "mystery", "science_fiction", "adventure",
                "romance", "humor")


def _open(path, folder):
    """The archive and its member names under ``folder/``, or a clear error."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataCorruptError(f"{path} cannot be opened as a zip archive ({exc}); "
                               "delete it and load again.") from None
    names = [n for n in archive.namelist() if n.startswith(folder + "/") and not n.endswith("/")]
    if not names:
        raise DataCorruptError(f"{path} holds no files under {folder}/; it is not NLTK's {folder} corpus.")
    return archive, names


def _brown_sentences(text):
    """One Brown file: sentences (one per non-blank line) of words, tags stripped.

    A token is ``word/tag``; the word is everything before the last slash
    (words such as ``1/2/cd`` contain slashes themselves).
    """
    return [[tok.rsplit("/", 1)[0] for tok in line.split()]
            for line in text.splitlines() if line.strip()]


def read_brown(path):
    """The Brown corpus from NLTK's ``brown.zip``: 500 documents with their genres.

    Parameters
    ----------
    path : path-like
        The zip (as :func:`mflib.datasets.brown` finds it).

    Returns
    -------
    Bunch
        ``documents``: list of 500 token lists (words as printed, tags
        removed); ``sentences``: per document, its list of sentences (token
        lists); ``target``: str array (500,), the genre of each document;
        ``ids``: the file ids (``"ca01"`` ...); ``target_names``: the 15
        genres in the corpus's order.
    """
    archive, _ = _open(path, "brown")
    with archive:
        cats = [line.split() for line in archive.read("brown/cats.txt").decode().splitlines() if line.strip()]
        ids, genres = zip(*cats)
        sentences = [_brown_sentences(archive.read(f"brown/{i}").decode("latin-1")) for i in ids]
    if len(ids) != 500 or set(genres) != set(BROWN_GENRES):
        raise DataCorruptError(f"{path}: cats.txt lists {len(ids)} documents in {len(set(genres))} genres; "
                               "Brown has 500 in 15. Delete the file and load again.")
    return Bunch(documents=[[w for s in doc for w in s] for doc in sentences], sentences=sentences,
                 target=np.array(genres), ids=np.array(ids), target_names=list(BROWN_GENRES),
                 DESCR="Brown corpus (Francis & Kucera 1964/1979): 500 samples of American English "
                       "printed in 1961, 15 genres; NLTK's copy, non-commercial use.")


_SOTU_NAME = re.compile(r"state_union/(\d{4})-([A-Za-z]+)(?:-(\d))?\.txt$")


def read_state_union(path):
    """The State of the Union addresses 1945-2006 from NLTK's ``state_union.zip``.

    Returns
    -------
    Bunch
        ``texts``: list of 65 strings; ``paragraphs``: per address, its
        non-empty lines (the corpus puts one paragraph on a line);
        ``year`` int array; ``president`` str array (as in the file name:
        ``"GWBush"`` is George W. Bush); ``ids``: the file names.
    """
    archive, names = _open(path, "state_union")
    rows = []
    with archive:
        for name in sorted(n for n in names if n.endswith(".txt")):
            match = _SOTU_NAME.match(name)
            if not match:
                raise DataCorruptError(f"{path}: unexpected member {name}; expected state_union/YEAR-NAME.txt.")
            text = archive.read(name).decode("latin-1")
            rows.append((int(match[1]), match[2], name.split("/")[1], text))
    year, president, ids, texts = zip(*rows)
    return Bunch(texts=list(texts), paragraphs=[[p.strip() for p in t.splitlines() if p.strip()] for t in texts],
                 year=np.array(year), president=np.array(president), ids=list(ids),
                 DESCR="State of the Union addresses 1945-2006 (NLTK's copy), public domain.")


def read_movie_reviews(path):
    """Pang and Lee's polarity data set v2.0 from NLTK's ``movie_reviews.zip``.

    Returns
    -------
    Bunch
        ``sentences``: per review, its sentences as token lists (the corpus is
        lower-cased and tokenized, one sentence a line); ``target``: str array
        of ``"pos"``/``"neg"``; ``ids``: the file names.
    """
    archive, names = _open(path, "movie_reviews")
    names = sorted(n for n in names if n.endswith(".txt"))
    with archive:
        reviews = [archive.read(n).decode("latin-1") for n in names]
    labels = [n.split("/")[1] for n in names]
    if len(names) != 2000 or set(labels) != {"pos", "neg"}:
        raise DataCorruptError(f"{path} holds {len(names)} reviews in {sorted(set(labels))}; "
                               "expected 2,000 in pos/ and neg/. Delete it and load again.")
    return Bunch(sentences=[[line.split() for line in r.splitlines() if line.strip()] for r in reviews],
                 target=np.array(labels), ids=[n.split("/", 1)[1] for n in names],
                 DESCR="Movie reviews, polarity data set v2.0 (Pang & Lee 2004), NLTK's copy, CC BY 4.0.")
