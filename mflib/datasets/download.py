"""Downloading a data set into a staging folder, verified before it enters the cache.

A download has a total deadline scaled to its expected size, so a stalled
server cannot hang a notebook (besides a short timeout for each connection and
read), and lands in a staging folder beside its place in the cache; it enters
the cache only once verified, by a rename: nobody ever sees half a data set.
Progress shows in a notebook through IPython's display system, never on stderr.
"""

import os
import re
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .._files import link_new
from . import registry
from .registry import DataCorruptError, DataNotFoundError, DownloadTimeoutError

DOWNLOAD_TIMEOUT = 8             # seconds a connection, or one read, may wait: offline must fail fast
DOWNLOAD_MIN_SECONDS = 60        # every download may take this long in total, plus ...
DOWNLOAD_MIN_RATE = 50_000       # ... its expected size at this many bytes per second (a poor mobile link)
DOWNLOAD_UNKNOWN_SIZE = 100_000_000   # expected bytes when neither the registry nor the server says


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
    staging = Path(tempfile.mkdtemp(prefix=f".download-{registry._key(relpath)}-", dir=local.parent))
    try:
        body = staging / (local.name + (".zip" if unzip else ""))
        size = registry._expected_size(relpath)
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
    problem = registry._first_problem(staged, accepted)
    if problem is None:
        return
    path, digest = problem
    name = relpath if path == staged else f"{relpath}/{path.relative_to(staged).as_posix()}"
    if digest is None:
        what = f"{name} is not a {registry._kind(accepted)}" if path == staged else f"{name} is missing from it"
    else:
        what = f"{name} has SHA-256 {digest}, expected {registry._expected(path, staged, accepted)}"
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

    from .. import __version__
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

