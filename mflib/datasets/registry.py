"""The registry of the course's data sets, and checks of files against its SHA-256 sums.

The registry ships inside the package (``mflib/data/registry.txt`` and, for
folders, ``mflib/data/checksums/``), so an installed mflib knows what it may
download and what the bytes must be.
"""

import hashlib
import os
import time
from importlib import resources
from pathlib import Path, PurePath

REGISTRY_DIR = resources.files("mflib") / "data"   # registry.txt and checksums/, shipped in the package
_ROOT = Path(__file__).resolve().parents[2]
REPO_ROOT = _ROOT if (_ROOT / "pyproject.toml").is_file() and (_ROOT / "mflib").is_dir() else None
RACY_SECONDS = 2                 # a file changed more recently than this is hashed again every time


class DataNotFoundError(FileNotFoundError):
    """A data file is neither in ``MFLIB_DATA``, nor cached, nor downloadable."""


class DataCorruptError(ValueError):
    """A data file exists but its checksum or content is wrong."""


class DownloadTimeoutError(DataNotFoundError, TimeoutError):
    """A download, or the wait for another process's download, passed its deadline."""


class UnknownDataSetError(KeyError, ValueError):
    """A name that is not one of the course's data sets (a ``KeyError`` that reads as a sentence)."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class CacheNotWritableError(DataNotFoundError):
    """The cache folder cannot hold a download: a file, read-only, or its disk is full."""



# -- registry and checksums ----------------------------------------------------

def _registry_lines():
    for line in (REGISTRY_DIR / "registry.txt").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.split()


def _registry():
    """``{path: (url, [accepted sha256 or 'manifest:...'])}`` from the package's registry."""
    entries = {}
    for path, digest, url, *_ in _registry_lines():
        entries.setdefault(path, (url, []))[1].append(digest)
    return entries


def _expected_size(relpath):
    """The registry's expected download size of ``relpath`` in bytes, or None."""
    sizes = [int(fields[3]) for fields in _registry_lines() if fields[0] == relpath and len(fields) > 3]
    return max(sizes) if sizes else None


def registered():
    """The names of the course's data sets, as :func:`fetch` takes them."""
    return list(_registry())


def is_registered(name):
    """Whether ``name`` (e.g. ``"videos/escalator.avi"``) is one of the course's data sets."""
    key = name.as_posix() if isinstance(name, PurePath) else name
    return isinstance(key, str) and key in _registry()


def _key(relpath):
    return relpath.replace("/", "--")


_hash_memo = {}


def sha256(path):
    """SHA-256 of a file, remembered within the session while the file is unchanged.

    The memo is keyed on the file's device, inode, size, modification time
    and inode-change time (ctime). Restoring the modification time after an
    edit in place (``cp -p``, ``rsync -t``, ``os.utime``) still moves the
    ctime, which no program can set. As git does for its index ("racy git"),
    a file changed in the last :data:`RACY_SECONDS` is never remembered: an
    edit within the same clock tick could leave its ctime unchanged.
    """
    st = os.stat(path)
    key = (os.fspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    digest = _hash_memo.get(key)
    if digest is None:
        with open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        if time.time_ns() - max(st.st_ctime_ns, st.st_mtime_ns) > RACY_SECONDS * 10**9:
            _hash_memo[key] = digest
    return digest


def _manifest(name):
    """``[(sha256, relative path)]`` of a folder data set, from ``checksums/<name>``."""
    return [tuple(line.split(maxsplit=1)) for line in (REGISTRY_DIR / "checksums" / name).read_text().splitlines()]


def _first_problem(local, accepted):
    """``(path, None)`` for the first missing file, ``(path, digest)`` for a wrong one, or None.

    ``(local, None)`` when ``local`` itself is not the kind it should be (a file, or a folder).
    """
    if not accepted[0].startswith("manifest:"):
        if not local.is_file():
            return local, None
        digest = sha256(local)
        return None if digest in accepted else (local, digest)
    if not local.is_dir():
        return local, None
    for digest, rel in _manifest(accepted[0].split(":", 1)[1]):
        parts = PurePath(rel).parts   # a manifest may name files from an outer folder ("baseline/highway/...")
        inner = parts[parts.index(local.name) + 1:] if local.name in parts[:-1] else parts
        path = local.joinpath(*inner)
        if not path.is_file():
            return path, None
        if sha256(path) != digest:
            return path, sha256(path)
    return None


def _expected(path, local, accepted):
    """The accepted digest(s) of ``path``, part of ``local``, as text."""
    if not accepted[0].startswith("manifest:"):
        return " or ".join(accepted)
    rel = path.relative_to(local).as_posix()
    for digest, name in _manifest(accepted[0].split(":", 1)[1]):
        if name == rel or name.endswith("/" + rel):
            return digest
    return "?"


def _kind(accepted):
    return "folder" if accepted[0].startswith("manifest:") else "file"


def _verify(local, accepted, url):
    """Check a data file or folder where the reader keeps it (MFLIB_DATA or the cache)."""
    try:
        problem = _first_problem(local, accepted)
    except OSError as exc:                   # unreadable: permissions, a broken disk
        raise DataNotFoundError(f"{exc.filename or local} cannot be read ({exc.strerror or exc}); check its "
                                f"permissions, or restore it from {url}.") from None
    if problem is None:
        return
    path, digest = problem
    fix = (f"Restore it from {url} (unzip the whole archive) or point MFLIB_DATA at a complete copy."
           if os.environ.get("MFLIB_DATA") else f"Delete {local} and load again to download a fresh copy.")
    if digest is None and path == local:
        raise DataNotFoundError(f"{local} is not a {_kind(accepted)}. {fix}")
    if digest is None:
        raise DataNotFoundError(f"{path} is missing from {local}: the folder is incomplete. {fix}")
    raise DataCorruptError(
        f"{path} is corrupt or has been changed: its SHA-256 is {digest}, expected "
        f"{_expected(path, local, accepted)}. Delete it and load again to fetch a fresh copy "
        f"(or restore it from {url}).")
