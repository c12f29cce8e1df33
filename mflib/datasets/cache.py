"""Where the data lives (``MFLIB_DATA`` or the cache) and fetching into the cache, one process at a time.

A download holds a lock for its data set in the cache (``.locks/``), so two
processes fetching the same data set for the first time download it once: the
second waits and uses the first one's copy. A staging folder left behind by a
killed download is removed by the next download into the same folder.
"""

import errno
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path, PurePath

from . import download, registry
from .registry import REPO_ROOT, CacheNotWritableError, DataNotFoundError, DownloadTimeoutError, UnknownDataSetError

try:
    import fcntl
except ImportError:          # Windows: no advisory locks (see _hold_lock)
    fcntl = None

STALE_SECONDS = 60               # a staging folder nobody wrote to for this long, and unlocked, is abandoned


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
    UnknownDataSetError
        ``relpath`` is not registered (a ``KeyError`` and a ``ValueError``).
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
    entries = registry._registry()
    relpath = PurePath(relpath).as_posix() if isinstance(relpath, PurePath) else relpath
    if relpath not in entries:
        raise UnknownDataSetError(f"{relpath!r} is not a registered data set; pass one of {sorted(entries)} "
                                  "(datasets.registered() lists them).")
    url, accepted = entries[relpath]
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
    registry._verify(local, accepted, url)
    return local


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
    return fetch(source) if registry.is_registered(source) else source


def _fetch_once(relpath, url, local, accepted, home):
    """Download into the cache unless another process does; at most one download per data set."""
    source = download._source_url(url)
    wait = download._deadline(registry._expected_size(relpath)) + download.DOWNLOAD_MIN_SECONDS
    with _cache_errors(relpath, home):
        local.parent.mkdir(parents=True, exist_ok=True)
        with _dataset_lock(home, relpath, wait):
            if local.exists():          # fetched by another process while we waited for the lock
                return
            _sweep_stale(home, local.parent, registry._key(relpath))
            download._download(relpath, url, source, local, accepted)


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
    path = locks / f"{registry._key(relpath)}.lock"
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
    writes at least every :data:`download.DOWNLOAD_TIMEOUT` seconds, or fails).
    """
    for staging in folder.glob(".download-*"):
        key = staging.name[len(".download-"):].rpartition("-")[0]
        try:
            if (staging.is_dir() and time.time() - _last_write(staging) > STALE_SECONDS
                    and (key == own_key or not _locked_by_another(home, key))):
                shutil.rmtree(staging, ignore_errors=True)
        except OSError:
            pass                 # swept by another process meanwhile

