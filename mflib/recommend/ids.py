"""User and item ids: checked, turned into int64 keys, and looked up.

Ids are any whole numbers (not necessarily 0..n-1). When ``X`` has more than two
columns, an item is the combination of columns 1.. (a movie and a season, say).
"""

import numpy as np

from .._validation import check_int


def check_ids(X, name="X"):
    """Return ``X`` (n, 2) of (user id, item id) as int64, or raise a clear error.

    Integral floats (``3.0``) are accepted, as ids often turn float after a
    join; anything else that is not a whole number is refused. A wider ``X``
    is read as (user id, item key...): the item is the combination of the
    remaining columns (a movie and a season, say).
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] < 2:
        n = X.shape[1] if X.ndim == 2 else None
        raise ValueError(f"X must have shape (n_ratings, 2) -- one row (user id, item id) per rating -- got "
                         f"shape {X.shape}{f' (n_features = {n})' if n is not None else ''}. Stack the two id "
                         "columns: np.column_stack([users, items]).")
    if np.issubdtype(X.dtype, np.unsignedinteger) and X.size and X.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name} holds an id of {X.max()}, above 2**63 - 1, the largest id mflib stores (int64); "
                         "map the ids to 0..n-1 first, e.g. np.unique(ids, return_inverse=True).")
    if np.issubdtype(X.dtype, np.integer):
        return X.astype(np.int64, copy=False)
    if np.issubdtype(X.dtype, np.floating) and np.all(np.isfinite(X)) and np.all(X == np.round(X)):
        if np.abs(X).max(initial=0) < 2 ** 53:
            return X.astype(np.int64)
    raise ValueError(f"{name} must hold whole-number user and item ids (ints, or floats equal to ints); "
                     "map other labels to integers first, e.g. with np.unique(labels, return_inverse=True).")


def item_keys(X):
    """One comparable key per row for the item: column 1, or the bytes of columns 1.. when wider."""
    if X.shape[1] == 2:
        return X[:, 1]
    rest = np.ascontiguousarray(X[:, 1:])
    return rest.view(np.dtype((np.void, rest.itemsize * rest.shape[1])))[:, 0]


def key_rows(keys, width):
    """The unique item keys back as int64: 1-D for one key column, rows of ``width`` columns otherwise."""
    return keys if width == 1 else np.ascontiguousarray(keys).view(np.int64).reshape(len(keys), width)


def one_id(value, name):
    """A single user or item id as an int, refused clearly when it is not a whole number in the int64 range."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return check_int(value, name, -2 ** 63, 2 ** 63 - 1)


def index_of(ids, known):
    """Position of each id in the sorted array ``known``; -1 where unknown."""
    if len(known) == 0 or len(ids) == 0:
        return np.full(len(ids), -1)
    pos = np.searchsorted(known, ids)
    pos[pos == len(known)] = 0
    return np.where(known[pos] == ids, pos, -1)
