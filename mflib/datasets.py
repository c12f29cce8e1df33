"""The course's data: Olivetti faces, CDnet 2014 videos, video files, images, MovieLens, text corpora.

Where the files come from, in order:

1. ``MFLIB_DATA`` -- when this environment variable names a folder, files are
   read from there and nothing is downloaded (offline machines, CI);
2. the cache (``MFLIB_CACHE``, or the system cache folder ``.../mflib``);
3. a download from the original source into the cache (or from
   ``MFLIB_MIRROR_URL``, a server that serves the original URL paths).

Every file is checked against the SHA-256 sums of the registry shipped inside
the package (``mflib/data/registry.txt`` and, for folders,
``mflib/data/checksums/``), so a corrupt or changed file is reported instead of
silently giving wrong numbers. A download

- has a total deadline scaled to its expected size, so a stalled server cannot
  hang a notebook (besides a short timeout for each connection and read);
- lands in a staging folder beside its place in the cache and enters the cache
  only once verified, by a rename: nobody ever sees half a data set;
- holds a lock for its data set in the cache (``.locks/``), so two processes
  fetching the same data set for the first time download it once: the second
  waits and uses the first one's copy. A staging folder left behind by a
  killed download is removed by the next download into the same folder.
"""

import errno
import hashlib
import os
import re
import shutil
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import resources
from pathlib import Path, PurePath
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np
from sklearn.utils import Bunch

from ._files import link_new
from ._validation import check_positive_int
from .imaging import to_gray

try:
    import fcntl
except ImportError:          # Windows: no advisory locks (see _hold_lock)
    fcntl = None

REGISTRY_DIR = resources.files(__package__) / "data"   # registry.txt and checksums/, shipped in the package
_ROOT = Path(__file__).resolve().parent.parent
REPO_ROOT = _ROOT if (_ROOT / "pyproject.toml").is_file() and (_ROOT / "mflib").is_dir() else None

DOWNLOAD_TIMEOUT = 8             # seconds a connection, or one read, may wait: offline must fail fast
DOWNLOAD_MIN_SECONDS = 60        # every download may take this long in total, plus ...
DOWNLOAD_MIN_RATE = 50_000       # ... its expected size at this many bytes per second (a poor mobile link)
DOWNLOAD_UNKNOWN_SIZE = 100_000_000   # expected bytes when neither the registry nor the server says
STALE_SECONDS = 60               # a staging folder nobody wrote to for this long, and unlocked, is abandoned
RACY_SECONDS = 2                 # a file changed more recently than this is hashed again every time


class DataNotFoundError(FileNotFoundError):
    """A data file is neither in ``MFLIB_DATA``, nor cached, nor downloadable."""


class DataCorruptError(ValueError):
    """A data file exists but its checksum or content is wrong."""


class DownloadTimeoutError(DataNotFoundError, TimeoutError):
    """A download, or the wait for another process's download, passed its deadline."""


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


def is_registered(name):
    """Whether ``name`` (e.g. ``"videos/escalator.avi"``) is one of the course's data sets."""
    key = name.as_posix() if isinstance(name, PurePath) else name
    return isinstance(key, str) and key in _registry()


def resolve(source):
    """The local path of a registered data set (fetched and verified), else ``source`` unchanged.

    Readers pass either a name from the registry, such as
    ``"videos/escalator.avi"``, or a path to their own file; this is the one
    place that tells the two apart.

    Examples
    --------
    >>> resolve("videos/shop.avi").name  # doctest: +SKIP
    'shop.avi'
    >>> resolve("my_clip.avi")
    'my_clip.avi'
    """
    return fetch(source) if is_registered(source) else source


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


# -- where the data lives ---------------------------------------------------------

def data_home():
    """The folder used for data: ``MFLIB_DATA`` if set, else the download cache.

    A relative ``MFLIB_DATA`` is taken from the current folder, or else (in a
    checkout of the course) from the repository's root -- so
    ``MFLIB_DATA=../shared/data`` set at the root still works in a kernel
    running inside ``notebooks/``.
    """
    if os.environ.get("MFLIB_DATA"):
        path = Path(os.environ["MFLIB_DATA"]).expanduser()
        if path.is_absolute() or path.exists() or REPO_ROOT is None or not (REPO_ROOT / path).exists():
            return path
        return REPO_ROOT / path
    if os.environ.get("MFLIB_CACHE"):
        return Path(os.environ["MFLIB_CACHE"]).expanduser()
    import pooch
    return Path(pooch.os_cache("mflib"))


def fetch(relpath):
    """Return the local path of a registered data file or folder, verified.

    Parameters
    ----------
    relpath : str
        A path listed in the registry, e.g. ``"olivettifaces.mat"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    KeyError
        ``relpath`` is not registered.
    DataNotFoundError
        Not in ``MFLIB_DATA`` (when set), or not cached and the download
        failed (:class:`DownloadTimeoutError` if it stalled,
        :class:`CacheNotWritableError` if the cache cannot hold it).
    DataCorruptError
        The file's checksum does not match, or the download is not what the
        source should serve.
    ValueError
        ``MFLIB_MIRROR_URL`` is not an http(s) address.
    """
    registry = _registry()
    relpath = PurePath(relpath).as_posix() if isinstance(relpath, PurePath) else relpath
    if relpath not in registry:
        raise KeyError(f"{relpath!r} is not a registered data set; known: {sorted(registry)}.")
    url, accepted = registry[relpath]
    home = data_home()
    local = home / relpath
    if os.environ.get("MFLIB_DATA"):
        if not local.exists():
            where = (f"MFLIB_DATA={os.environ['MFLIB_DATA']} is a file, not a folder" if home.is_file()
                     else f"looked for {local} because MFLIB_DATA={os.environ['MFLIB_DATA']}")
            raise DataNotFoundError(
                f"{relpath} was not found: {where}. Put the data there (download it from {url}), or "
                "unset MFLIB_DATA to let mflib download and cache it.")
    elif not local.exists():
        _fetch_once(relpath, url, local, accepted, home)
    _verify(local, accepted, url)
    return local


def _fetch_once(relpath, url, local, accepted, home):
    """Download into the cache unless another process does; at most one download per data set."""
    source = _source_url(url)
    wait = _deadline(_expected_size(relpath)) + DOWNLOAD_MIN_SECONDS
    with _cache_errors(relpath, home):
        local.parent.mkdir(parents=True, exist_ok=True)
        with _dataset_lock(home, relpath, wait):
            if local.exists():          # fetched by another process while we waited for the lock
                return
            _sweep_stale(home, local.parent, _key(relpath))
            _download(relpath, url, source, local, accepted)


@contextmanager
def _cache_errors(relpath, home):
    """Report a file-system error in the cache as what it is: the cache folder, and how to choose another."""
    try:
        yield
    except DataNotFoundError:
        raise
    except OSError as exc:
        setting = (f"MFLIB_CACHE={os.environ['MFLIB_CACHE']}" if os.environ.get("MFLIB_CACHE")
                   else "the default cache folder; set MFLIB_CACHE to choose another")
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            problem = f"is on a full disk ({exc.strerror})"
        elif isinstance(exc, (NotADirectoryError, FileExistsError)) or _blocked_by_file(home):
            problem = f"cannot be a folder: {_blocked_by_file(home) or home} is a file"
        else:
            problem = f"cannot be written ({exc.strerror or exc})"
        raise CacheNotWritableError(
            f"{relpath} cannot be downloaded: the cache folder {home} ({setting}) {problem}; "
            "nothing was cached. Set MFLIB_CACHE to a folder you can write to (it is created if "
            "missing), or set MFLIB_DATA to a folder that already holds the data.") from None


def _blocked_by_file(folder):
    """The first existing non-folder on the way to ``folder``, or None."""
    for p in [*reversed(folder.parents), folder]:
        if p.exists() and not p.is_dir():
            return p
    return None


# -- locking and staging ----------------------------------------------------------

def _key(relpath):
    return relpath.replace("/", "--")


@contextmanager
def _dataset_lock(home, relpath, wait):
    """Hold the lock of one data set in the cache, waiting up to ``wait`` s for another process.

    ``fcntl.flock``: the kernel releases it when its holder exits or is killed,
    so a lock can never be left behind. Where there is no ``flock`` (Windows,
    some network file systems) there is no lock: two processes may then both
    download, and the second to finish keeps the first one's copy (see
    :func:`_publish`), which is slower but still correct.
    """
    locks = home / ".locks"
    locks.mkdir(exist_ok=True)
    path = locks / f"{_key(relpath)}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        _hold_lock(fd, path, relpath, wait)
        yield
    finally:
        os.close(fd)             # releases the lock


def _hold_lock(fd, path, relpath, wait):
    if fcntl is None:
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise DownloadTimeoutError(
                    f"another process has been downloading {relpath} for more than {wait:.0f} s "
                    f"(it holds the lock {path}). Wait for it to finish, or stop it, and load again.") from None
            time.sleep(0.2)
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return           # a file system without locks: proceed unlocked (see above)
            raise


def _locked_by_another(home, key):
    """Whether a live process holds the lock of data set ``key`` (never when it has no lock file)."""
    path = home / ".locks" / f"{key}.lock"
    if fcntl is None or not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def _last_write(folder):
    """The newest modification time of ``folder`` and anything in it."""
    newest = folder.stat().st_mtime
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            try:
                newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
            except OSError:
                pass
    return newest


def _sweep_stale(home, folder, own_key):
    """Remove staging folders that killed downloads left in ``folder``.

    Called holding the lock of data set ``own_key``. A staging folder is
    abandoned when no other live process holds its data set's lock and
    nothing in it was written for :data:`STALE_SECONDS` (a live download
    writes at least every :data:`DOWNLOAD_TIMEOUT` seconds, or fails).
    """
    for staging in folder.glob(".download-*"):
        key = staging.name[len(".download-"):].rpartition("-")[0]
        try:
            if (staging.is_dir() and time.time() - _last_write(staging) > STALE_SECONDS
                    and (key == own_key or not _locked_by_another(home, key))):
                shutil.rmtree(staging, ignore_errors=True)
        except OSError:
            pass                 # swept by another process meanwhile


def _publish(staged, local):
    """Move a verified copy into the cache; if another process put one there first, keep theirs."""
    try:
        if staged.is_dir():
            os.rename(staged, local)     # atomic; fails on an existing non-empty folder
        else:
            link_new(staged, local)      # never replaces a file
    except OSError:
        if not local.exists():
            raise


# -- download -----------------------------------------------------------------

class _Progress:
    """A download progress line for notebooks: updated in place, removed when done.

    It writes through IPython's display system, never to stderr (the book build
    treats stderr as an error); outside IPython it stays silent.
    """

    def __init__(self, name):
        self.name, self.total, self.done, self._handle, self._shown = name, 0, 0, None, -1
        try:
            from IPython import get_ipython
            from IPython.display import display
            if get_ipython() is not None:
                self._handle = display(self._text(), display_id=True)
        except ImportError:
            pass

    def _text(self):
        from IPython.display import HTML
        size = f"{self.done / 1e6:.1f} of {self.total / 1e6:.1f} MB" if self.total else f"{self.done / 1e6:.1f} MB"
        return HTML(f"<small>Downloading {self.name}: {size}</small>")

    def update(self, n):
        self.done += n
        percent = int(100 * self.done / self.total) if self.total else self.done >> 20
        if self._handle is not None and percent != self._shown:   # redraw about 100 times at most
            self._shown = percent
            self._handle.update(self._text())

    def close(self):
        if self._handle is not None:
            from IPython.display import HTML
            self._handle.update(HTML(""))


_HOST = re.compile(r"[A-Za-z0-9._~%-]+|[0-9A-Fa-f:.]+")


def _source_url(url):
    """``url``, or the same path on ``MFLIB_MIRROR_URL`` (a server with the original URL paths)."""
    mirror = os.environ.get("MFLIB_MIRROR_URL")
    if not mirror:
        return url
    parts = urlsplit(mirror.strip())
    try:
        why = None if parts.port is None or parts.port > 0 else "its port is 0"
    except ValueError as exc:    # a port that is not a number in 0..65535
        why = f"its port is not valid ({exc})"
    if why is None and parts.scheme not in ("http", "https"):
        why = f"it must start with http:// or https://, not {parts.scheme + '://' if parts.scheme else 'no scheme'}"
    elif why is None and not (parts.hostname and _HOST.fullmatch(parts.hostname)):
        why = f"{parts.hostname or 'nothing'} is not a host name"
    elif why is None and (parts.query or parts.fragment):
        why = "it must not have a query (?...) or a fragment (#...)"
    if why:
        raise ValueError(
            f"MFLIB_MIRROR_URL={mirror!r} is not a server address: {why}. Set it to the address of a "
            "server that serves the original URL paths, e.g. http://127.0.0.1:8000, or unset it to "
            "download from the original sources.")
    return mirror.strip().rstrip("/") + urlunsplit(("", "", urlsplit(url).path, urlsplit(url).query, ""))


def _deadline(size):
    """Seconds a whole download of about ``size`` bytes may take."""
    return DOWNLOAD_MIN_SECONDS + (size or DOWNLOAD_UNKNOWN_SIZE) / DOWNLOAD_MIN_RATE


def _download(relpath, url, source, local, accepted):
    """Download ``source`` into a staging folder beside ``local``; verified, move it into place.

    A corrupt or changed download never enters the cache; the staging folder
    is removed whatever happens (and swept by the next download if this
    process is killed).
    """
    unzip = url.endswith(".zip") and not relpath.endswith(".zip")   # a registered .zip is kept whole
    staging = Path(tempfile.mkdtemp(prefix=f".download-{_key(relpath)}-", dir=local.parent))
    try:
        body = staging / (local.name + (".zip" if unzip else ""))
        size = _expected_size(relpath)
        _get(relpath, source, body, size, local)
        if unzip:
            _unzip(relpath, source, body, staging, size)
        staged = staging / local.name
        if not staged.exists():
            raise DataCorruptError(f"the download of {relpath} from {source} did not contain {local.name}; "
                                   "the source may have changed its layout. Nothing was cached.")
        _check_download(relpath, source, staged, accepted)
        _publish(staged, local)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _head(path, n=48):
    with open(path, "rb") as f:
        return f.read(n)


def _check_download(relpath, source, staged, accepted):
    problem = _first_problem(staged, accepted)
    if problem is None:
        return
    path, digest = problem
    name = relpath if path == staged else f"{relpath}/{path.relative_to(staged).as_posix()}"
    if digest is None:
        what = f"{name} is not a {_kind(accepted)}" if path == staged else f"{name} is missing from it"
    else:
        what = f"{name} has SHA-256 {digest}, expected {_expected(path, staged, accepted)}"
        if path == staged:
            what += f" ({path.stat().st_size:,} bytes starting {_head(path)!r})"
    raise DataCorruptError(
        f"the download of {relpath} from {source} is corrupt or has been changed: {what}. Nothing was "
        "cached. Try again later, or download it by hand and set MFLIB_DATA.")


def _network_error(relpath, source, local, exc):
    """A DataNotFoundError that says why ``source`` could not be downloaded, and what to do."""
    import socket
    import ssl
    import urllib.error

    reason = exc.reason if isinstance(exc, urllib.error.URLError) and not hasattr(exc, "code") else exc
    if isinstance(exc, urllib.error.HTTPError):
        what = f"the server answered HTTP {exc.code} {exc.reason}"
    elif isinstance(reason, socket.gaierror):
        what = f"the host {urlsplit(source).hostname} was not found ({reason.strerror})"
    elif isinstance(reason, TimeoutError):
        what = f"the server did not answer within {DOWNLOAD_TIMEOUT} s"
    elif isinstance(reason, ConnectionRefusedError):
        what = f"the connection to {urlsplit(source).netloc} was refused"
    elif isinstance(reason, ssl.SSLError):
        what = f"the secure connection failed ({reason})"
    else:
        what = f"{type(reason).__name__}: {reason}"
    mirror = os.environ.get("MFLIB_MIRROR_URL")
    kind = DownloadTimeoutError if isinstance(reason, TimeoutError) else DataNotFoundError
    fix = (f"Check MFLIB_MIRROR_URL={mirror} (is that server running?), or unset it to download from "
           "the original source" if mirror else "Connect to the internet and try again")
    return kind(
        f"{relpath} is not available: it is not in the cache {local.parent} and downloading {source} "
        f"failed: {what}. {fix}, or download it by hand to {local}, or set MFLIB_DATA to a folder "
        f"that holds {relpath} (e.g. the course's offline mirror: MFLIB_DATA=../shared/data).")


def _open_url(source):
    import ssl
    import urllib.request

    from . import __version__
    try:                         # the same certificates as pip and requests, where the system has none
        import certifi
        context = ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        context = None
    request = urllib.request.Request(source, headers={"User-Agent": f"mflib/{__version__}"})
    return urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT, context=context)


def _get(relpath, source, body, size, local):
    """Stream ``source`` into the new file ``body`` within a total deadline; at most ~2x the size expected."""
    import http.client

    start = time.monotonic()
    progress = _Progress(relpath)
    try:
        with open(body, "xb") as out:
            try:
                response = _open_url(source)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                raise _network_error(relpath, source, local, exc) from None
            with response:
                declared = int(response.headers.get("Content-Length") or 0) or None
                expected = size or min(declared or DOWNLOAD_UNKNOWN_SIZE, DOWNLOAD_UNKNOWN_SIZE)
                limit, deadline = 2 * expected + 2**20, _deadline(expected)
                if declared and declared > limit:
                    raise DataCorruptError(
                        f"the server announces {declared:,} bytes for {relpath} ({source}), far more than the "
                        f"{expected:,} expected; nothing was downloaded. Check MFLIB_MIRROR_URL if set, or "
                        "download it by hand and set MFLIB_DATA.")
                progress.total = declared or 0
                done = 0
                while block := _read(response, relpath, source, local, done, declared):
                    done += len(block)
                    if done > limit:
                        raise DataCorruptError(
                            f"the server sent more than {limit:,} bytes for {relpath} ({source}), far more than "
                            f"the {expected:,} expected; stopped, nothing was cached.")
                    out.write(block)
                    progress.update(len(block))
                    if time.monotonic() - start > deadline:
                        raise DownloadTimeoutError(
                            f"downloading {relpath} from {source} did not finish within {deadline:.0f} s "
                            f"(received {done:,} of about {expected:,} bytes): the server is too slow or has "
                            f"stalled. Nothing was cached. Try again later, or download it by hand to {local}, "
                            f"or set MFLIB_DATA to a folder that holds {relpath}.")
                if declared and done < declared:
                    raise DataNotFoundError(
                        f"the download of {relpath} from {source} broke off after {done:,} of {declared:,} "
                        "bytes; nothing was cached. Try again.")
    finally:
        progress.close()


def _read(response, relpath, source, local, done, declared):
    """The next bytes as they arrive (at most one read of :data:`DOWNLOAD_TIMEOUT` s), b"" at the end."""
    import http.client

    try:
        return response.read1(1 << 16)
    except TimeoutError as exc:
        raise _network_error(relpath, source, local, exc) from None
    except (OSError, http.client.HTTPException) as exc:     # reset or cut mid-way: say so, whatever the words
        of = f" of {declared:,}" if declared else ""
        raise DataNotFoundError(
            f"the download of {relpath} from {source} broke off after {done:,}{of} bytes "
            f"({type(exc).__name__}: {exc}); nothing was cached. Try again.") from None


def _unzip(relpath, source, archive, dest, size):
    """Unpack the downloaded ``archive`` into ``dest`` (then delete it), refusing what is not a zip."""
    import zlib

    if not zipfile.is_zipfile(archive):
        raise DataCorruptError(
            f"the server returned something that is not a zip for {relpath} ({source}): "
            f"{archive.stat().st_size:,} bytes starting {_head(archive)!r}. Nothing was cached. A login page "
            "or proxy may have answered instead of the source: try again later, check MFLIB_MIRROR_URL if set, "
            "or download the zip by hand, unzip it and set MFLIB_DATA.")
    with zipfile.ZipFile(archive) as zf:
        total = sum(info.file_size for info in zf.infolist())
        if size and total > 2 * size + 2**20:
            raise DataCorruptError(f"the zip of {relpath} from {source} unpacks to {total:,} bytes, far more "
                                   f"than the {size:,} expected; nothing was cached.")
        try:
            zf.extractall(dest)      # zipfile drops absolute paths and ".." from member names
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise DataCorruptError(f"the zip of {relpath} from {source} is damaged ({exc}); nothing was "
                                   "cached. Try again.") from None
    archive.unlink()


# -- Olivetti faces -----------------------------------------------------------

def olivetti_faces():
    """The Olivetti (AT&T) faces, exactly as scikit-learn's ``fetch_olivetti_faces``.

    400 grayscale images of 64 x 64 pixels: 10 each of 40 people, in order.

    Returns
    -------
    Bunch
        ``data`` float32 (400, 4096) in [0, 1]; ``images`` float32
        (400, 64, 64); ``target`` int (400,) with the person 0..39.

    Examples
    --------
    >>> faces = olivetti_faces()  # doctest: +SKIP
    >>> faces.data.shape, faces.images.shape  # doctest: +SKIP
    ((400, 4096), (400, 64, 64))
    """
    from scipy.io import loadmat
    path = fetch("olivettifaces.mat")
    try:
        raw = loadmat(path)["faces"]
    except Exception as exc:
        raise DataCorruptError(f"{path} cannot be read as a MATLAB file with 'faces' ({exc}); "
                               "delete it and load again.") from None
    # Same steps as scikit-learn: columns are images stored column-major.
    faces = np.float32(raw.T)
    faces -= faces.min()
    faces /= faces.max()
    images = faces.reshape((400, 64, 64)).transpose(0, 2, 1)
    return Bunch(data=images.reshape(400, -1).copy(), images=images.copy(),
                 target=np.repeat(np.arange(40), 10),
                 DESCR="Olivetti faces (AT&T Laboratories Cambridge), 40 people x 10 images, 64x64.")


# -- CDnet 2014 -----------------------------------------------------------------

def _read_images(paths, flag):
    """Decode many image files in threads (OpenCV releases the GIL)."""
    def read(p):
        img = cv2.imread(str(p), flag)
        if img is None:
            raise DataCorruptError(f"{p} cannot be decoded as an image; the file is corrupt.")
        return img if flag == cv2.IMREAD_GRAYSCALE else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    with ThreadPoolExecutor(max_workers=min(4, (os.cpu_count() or 1) + 1)) as pool:
        return np.stack(list(pool.map(read, paths)))


def _frame_numbers(frames, n_total, temporal_roi, step):
    if frames is None:
        numbers = np.arange(1, n_total + 1)
    elif isinstance(frames, str):
        if frames != "scored":
            raise ValueError(f"frames={frames!r}: use None (all), 'scored' (the temporal ROI) "
                             "or a list of 1-based frame numbers.")
        numbers = np.arange(temporal_roi[0], temporal_roi[1] + 1)
    else:
        numbers = np.asarray(list(frames))
        if numbers.size == 0 or not np.issubdtype(numbers.dtype, np.integer):
            raise ValueError("frames must be a non-empty list of whole 1-based frame numbers.")
        if numbers.min() < 1 or numbers.max() > n_total:
            raise ValueError(f"frame numbers must lie in 1..{n_total} for this video, got "
                             f"{numbers.min()}..{numbers.max()}.")
    return numbers[::check_positive_int(step, "step")]


def cdnet(name="baseline/highway", *, frames=None, grayscale=False, step=1):
    """A CDnet 2014 change-detection video with its ground truth.

    Parameters
    ----------
    name : str
        ``"category/video"``, e.g. ``"baseline/highway"``.
    frames : None, "scored" or iterable of int
        ``None`` loads every frame; ``"scored"`` only the temporal ROI (the
        frames the benchmark scores); or the 1-based frame numbers to load.
    grayscale : bool
        Decode the input frames as grayscale.
    step : int
        Keep every ``step``-th of the selected frames.

    Returns
    -------
    Bunch
        ``frames`` uint8 (n, H, W, 3) or (n, H, W); ``groundtruth`` uint8
        (n, H, W) with labels 0 static, 50 shadow, 85 outside ROI, 170 unknown,
        255 moving; ``roi`` bool (H, W); ``temporal_roi`` (first, last) 1-based
        inclusive; ``frame_numbers`` int (n,).
    """
    relpath = f"cdnet2014/{name}"
    if relpath not in _registry():
        known = [p.split("/", 1)[1] for p in _registry() if p.startswith("cdnet2014/")]
        raise ValueError(f"unknown CDnet video {name!r}; available: {known}.")
    folder = fetch(relpath)
    first, last = map(int, (folder / "temporalROI.txt").read_text().split()[:2])
    n_total = len(list((folder / "input").glob("in*.jpg")))
    numbers = _frame_numbers(frames, n_total, (first, last), step)
    flag = cv2.IMREAD_GRAYSCALE if grayscale else cv2.IMREAD_COLOR
    inputs = _read_images([folder / "input" / f"in{i:06d}.jpg" for i in numbers], flag)
    truth = _read_images([folder / "groundtruth" / f"gt{i:06d}.png" for i in numbers],
                         cv2.IMREAD_GRAYSCALE)
    roi = cv2.imread(str(folder / "ROI.bmp"), cv2.IMREAD_GRAYSCALE) > 0
    return Bunch(frames=inputs, groundtruth=truth, roi=roi, temporal_roi=(first, last),
                 frame_numbers=numbers, name=name)


# -- images shipped with scikit-learn ------------------------------------------


def sample_image(name="china", *, grayscale=False):
    """A photograph shipped inside scikit-learn's wheel: no download needed.

    Parameters
    ----------
    name : {"china", "flower"}
        ``"china"`` (a temple, 427 x 640) or ``"flower"`` (427 x 640).
    grayscale : bool

    Returns
    -------
    ndarray of float64 in [0, 1], shape (427, 640, 3) or (427, 640)
    """
    from sklearn.datasets import load_sample_image
    if name not in ("china", "flower"):
        raise ValueError(f"sample image {name!r} does not exist; choose 'china' or 'flower'.")
    img = load_sample_image(f"{name}.jpg").astype(np.float64) / 255.0
    return to_gray(img) if grayscale else img


# -- MovieLens 100k ---------------------------------------------------------------

ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                 "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                 "Romance", "Sci-Fi", "Thriller", "War", "Western")


def _read_ratings(path):
    """A GroupLens ratings file: tab-separated user, item, rating, timestamp -> int64 (n, 4)."""
    raw = path.read_bytes()
    try:
        values = np.array(raw.split(), dtype=np.int64)   # whitespace-split: 10x faster than loadtxt
    except ValueError as exc:
        raise DataCorruptError(f"{path} cannot be read as tab-separated ratings ({exc}); "
                               "delete the folder and load again.") from None
    if values.size % 4 or values.size // 4 != raw.count(b"\n"):
        raise DataCorruptError(f"{path} does not have 4 numbers (user, item, rating, timestamp) "
                               "on every line; the file is damaged: delete it and load again.")
    return values.reshape(-1, 4)


def movielens_100k():
    """MovieLens 100k (GroupLens; Harper and Konstan, 2015): 100,000 ratings of 1,682 movies.

    943 users each rated at least 20 movies with a whole number of stars from 1
    to 5, between September 1997 and April 1998. Ids are GroupLens's, from 1.

    Returns
    -------
    Bunch
        ``data`` int64 (100000, 2): (user id, item id) of each rating;
        ``target`` float64 (100000,): the ratings; ``timestamp`` int64
        (100000,): seconds since 1970; ``titles`` str array (1682,) with the
        title of item ``i`` at ``titles[i - 1]``; ``genres`` bool (1682, 19),
        columns named by ``genre_names``; ``folds``: the five official splits
        ``u1`` ... ``u5`` (disjoint test sets of 20,000 ratings, each with the
        other 80,000 for training), a list of Bunches with ``X_train``,
        ``y_train``, ``X_test``, ``y_test``; ``splits``: the same for
        ``"ua"`` and ``"ub"`` (10 test ratings per user) besides ``"u1"``...

    Examples
    --------
    >>> ml = movielens_100k()  # doctest: +SKIP
    >>> ml.data.shape, ml.folds[0].X_test.shape  # doctest: +SKIP
    ((100000, 2), (20000, 2))
    """
    folder = fetch("movielens/ml-100k")
    ratings = _read_ratings(folder / "u.data")
    # u.item is Latin-1 text: id|title|release date|video date|IMDb URL|19 genre flags
    rows = [line.split("|") for line in (folder / "u.item").read_text(encoding="latin-1").splitlines() if line]
    if any(len(r) != 5 + len(ML100K_GENRES) for r in rows):
        raise DataCorruptError(f"{folder / 'u.item'} does not have 24 '|'-separated fields on every line.")
    titles = np.array([r[1] for r in rows])
    genres = np.array([[f == "1" for f in r[5:]] for r in rows])
    splits = {}
    for name in ("u1", "u2", "u3", "u4", "u5", "ua", "ub"):
        train, test = (_read_ratings(folder / f"{name}.{part}") for part in ("base", "test"))
        splits[name] = Bunch(X_train=train[:, :2], y_train=train[:, 2].astype(np.float64),
                             X_test=test[:, :2], y_test=test[:, 2].astype(np.float64), name=name)
    return Bunch(data=ratings[:, :2], target=ratings[:, 2].astype(np.float64), timestamp=ratings[:, 3],
                 titles=titles, genres=genres, genre_names=list(ML100K_GENRES),
                 folds=[splits[f"u{k}"] for k in range(1, 6)], splits=splits,
                 DESCR="MovieLens 100k (GroupLens): 100,000 ratings 1-5 by 943 users of 1,682 movies.")


# -- NLTK's text corpora (read by mflib.corpora) ------------------------------------


def brown():
    """The Brown corpus: 500 documents of about 2,000 words, each in one of 15 genres.

    NLTK's ``brown.zip`` (non-commercial use); see :func:`mflib.corpora.read_brown`
    for what the Bunch holds (``documents``, ``sentences``, ``target``, ``ids``).

    Examples
    --------
    >>> b = brown()  # doctest: +SKIP
    >>> len(b.documents), b.target[0], b.ids[0]  # doctest: +SKIP
    (500, 'news', 'ca01')
    """
    from .corpora import read_brown
    return read_brown(fetch("nltk_data/corpora/brown.zip"))


def state_union():
    """The 65 State of the Union addresses 1945-2006 with year and president (public domain).

    See :func:`mflib.corpora.read_state_union`.
    """
    from .corpora import read_state_union
    return read_state_union(fetch("nltk_data/corpora/state_union.zip"))


def movie_reviews():
    """2,000 movie reviews, tokenized, labelled pos/neg (Pang and Lee; CC BY 4.0).

    See :func:`mflib.corpora.read_movie_reviews`.
    """
    from .corpora import read_movie_reviews
    return read_movie_reviews(fetch("nltk_data/corpora/movie_reviews.zip"))
