"""Writing a reader's files: never overwrite, never leave a partial file, delete only our own.

Every file mflib writes for a reader (masks, animations) goes through
:func:`publish_new`: the bytes go to a private temporary file beside the
target (created by this call, so no other run or file can collide with it),
are flushed to disk, and only then appear under the target's name -- through a
hard link, which fails if the name exists, so a file that appeared meanwhile
is never replaced. Whatever goes wrong (disk full, an error in the writer,
Ctrl-C), only the temporary file this call created is removed.

A process killed outright (``kill -9``, a crashed kernel) cannot clean up: its
temporary file stays, hidden (``.NAME-XXXX.tmp.SUFFIX``). The writer holds an
advisory lock on it while it writes, and the next write of the same name
removes such files whose lock nobody holds -- their writer is gone.
"""

import errno
import os
import struct
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

try:
    import fcntl
except ImportError:            # Windows: no advisory locks, so abandoned temporary files are kept
    fcntl = None

# errors that mean "this file system cannot make hard links": fall back to an exclusive create
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV, errno.EMLINK}
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
SWEEP_AFTER_SECONDS = 10


def check_new_file(path):
    """``path`` as a Path, refused if it exists or its folder does not (nothing is created)."""
    path = Path(path).expanduser()
    if os.path.lexists(path):
        raise FileExistsError(f"{path} exists; choose another name or delete it first.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the folder {path.parent} does not exist; create it first.")
    return path


def _write_error(path, exc):
    """An OSError about our temporary file, retold about the reader's ``path``."""
    if exc.errno in _DISK_FULL:
        why = f"the disk holding {path.parent} is full ({exc.strerror})"
        fix = " Please free some space or write to another disk."
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = f"writing in {path.parent} failed ({exc.strerror})"
        fix = " Please choose a folder you can write to."
    else:
        why, fix = exc.strerror or str(exc), ""
    return type(exc)(exc.errno, f"{path} was not written: {why}; nothing was left behind.{fix}")


def link_new(src, dst):
    """Give the complete file ``src`` the new name ``dst`` (and drop ``src``), never replacing a file.

    Raises
    ------
    FileExistsError
        ``dst`` exists; ``src`` is left for the caller to remove.
    """
    try:
        os.link(src, dst)
    except FileExistsError:
        raise FileExistsError(f"{dst} was created by someone else meanwhile; nothing was overwritten. "
                              "Choose another name or delete it first.") from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        # No hard links on this file system (FAT, some network shares): claim the name with an
        # exclusive create, then move the bytes over our own claim.
        os.close(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        try:
            os.replace(src, dst)
        except BaseException:
            os.unlink(dst)                     # the empty claim is ours
            raise
        return
    os.unlink(src)


@contextmanager
def publish_new(path):
    """Write a new file at ``path`` through a private temporary file; publish it only when complete.

    Yields the temporary file's path: beside ``path``, created empty by this
    call, ending in ``path``'s suffix (writers that pick a format by the suffix
    work). When the block ends normally the file is flushed to disk and linked
    to ``path``; when it raises, only the temporary file is removed.

    Raises
    ------
    FileExistsError
        ``path`` exists, before or after writing (nothing is overwritten).
    FileNotFoundError
        Its folder does not exist.
    OSError
        Disk full or not writable, naming ``path`` and the fix.

    Examples
    --------
    >>> with publish_new("out.bin") as tmp:  # doctest: +SKIP
    ...     tmp.write_bytes(b"data")
    """
    path = check_new_file(path)
    prefix, suffix = f".{path.name}-", f".tmp{path.suffix}"
    _sweep_abandoned(path.parent, prefix, suffix)
    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from None
    tmp = Path(name)
    try:
        _try_lock(fd)                          # "a live writer": see _sweep_abandoned
        try:
            yield tmp
            os.fsync(fd)                       # on disk before the name appears: a full disk shows up here
        except OSError as exc:
            if exc.errno in _DISK_FULL or str(tmp) in (exc.filename, getattr(exc, "filename2", None)):
                raise _write_error(path, exc) from None
            raise
        link_new(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)            # before the lock goes: a free lock means no live writer
        os.close(fd)


def _try_lock(fd):
    """Take an exclusive advisory lock on ``fd``; False if another process holds one (or locks are missing)."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _sweep_abandoned(folder, prefix, suffix):
    """Remove temporary files of this name whose writer died: their lock is free.

    A file younger than :data:`SWEEP_AFTER_SECONDS` is kept: its writer may
    not have taken its lock yet.
    """
    try:
        candidates = [p for p in folder.iterdir() if p.name.startswith(prefix) and p.name.endswith(suffix)
                      and len(p.name) == len(prefix) + 8 + len(suffix)     # mkstemp's 8 random characters
                      and time.time() - p.stat().st_mtime > SWEEP_AFTER_SECONDS]
    except OSError:
        return
    for tmp in candidates:
        try:
            fd = os.open(tmp, os.O_RDONLY)
        except OSError:
            continue                           # finished or swept meanwhile
        try:
            if _try_lock(fd):
                tmp.unlink(missing_ok=True)
        finally:
            os.close(fd)


NPY_HEADER_BYTES = 128   # room for any (n, H, W) shape; a multiple of 64 as the format asks


def npy_header(dtype, shape):
    """A version 1.0 ``.npy`` header of exactly :data:`NPY_HEADER_BYTES` bytes.

    Fixed size, so a file can be written before its length is known and the
    header rewritten at the end (the format: numpy.lib.format, NEP 1).
    """
    text = repr({"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
                 "shape": tuple(int(s) for s in shape)})
    body = text.ljust(NPY_HEADER_BYTES - 10 - 1) + "\n"
    if len(body) + 10 != NPY_HEADER_BYTES:
        raise ValueError(f"shape {shape} does not fit in a {NPY_HEADER_BYTES}-byte .npy header.")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body.encode("latin1")


def write_npy_blocks(path, blocks):
    """Write arrays of one dtype and frame shape, stacked along axis 0, to a new ``.npy`` file.

    The length need not be known in advance and nothing is held in memory
    beyond one block; the file appears at ``path`` only when complete (see
    :func:`publish_new`). Returns the shape written.
    """
    with publish_new(path) as tmp, open(tmp, "r+b") as handle:
        handle.seek(NPY_HEADER_BYTES)
        dtype, frame, n = None, None, 0
        for block in blocks:
            block = np.ascontiguousarray(block)
            if dtype is None:
                dtype, frame = block.dtype, block.shape[1:]
            elif block.dtype != dtype or block.shape[1:] != frame:
                raise ValueError(f"block of {block.dtype} {block.shape[1:]} after {dtype} {frame}.")
            handle.write(block.tobytes())
            n += len(block)
        if dtype is None:
            raise ValueError(f"nothing to write to {path}: no blocks.")
        handle.seek(0)
        handle.write(npy_header(dtype, (n, *frame)))
    return (n, *frame)
