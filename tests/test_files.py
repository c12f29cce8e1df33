"""Writing a reader's files: nothing overwritten, nothing partial, only our own temporary file deleted."""

import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from mflib import _files
from mflib._files import NPY_HEADER_BYTES, link_new, npy_header, publish_new, write_npy_blocks

ROOT = Path(__file__).resolve().parent.parent


def _leftovers(folder, keep=()):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_publish_new_writes_through_a_private_temporary_file(tmp_path):
    target = tmp_path / "m.npy"
    with publish_new(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".m.npy-") and tmp.suffix == ".npy"
        assert tmp.exists() and not target.exists()     # the reader never sees a partial file
        tmp.write_bytes(b"complete")
    assert target.read_bytes() == b"complete" and _leftovers(tmp_path) == ["m.npy"]


def test_a_file_it_did_not_create_is_never_touched(tmp_path):
    """Another run's (or the reader's) ``m.npy.part`` survives, whether we succeed or fail."""
    theirs = tmp_path / "m.npy.part"
    theirs.write_bytes(b"someone else's work")
    with publish_new(tmp_path / "m.npy") as tmp:
        tmp.write_bytes(b"ours")
    with pytest.raises(RuntimeError), publish_new(tmp_path / "n.npy") as tmp:
        raise RuntimeError("the writer failed")
    assert theirs.read_bytes() == b"someone else's work"
    assert _leftovers(tmp_path) == ["m.npy", "m.npy.part"]


def test_an_existing_target_is_refused_and_kept(tmp_path):
    target = tmp_path / "m.npy"
    target.write_bytes(b"the reader's")
    with pytest.raises(FileExistsError, match="m.npy exists; choose another name"), publish_new(target):
        pass
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError), publish_new(tmp_path / "link"):
        pass
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"), publish_new(tmp_path / "no" / "x"):
        pass
    assert target.read_bytes() == b"the reader's" and _leftovers(tmp_path) == ["link", "m.npy"]


def test_two_writers_of_one_name_never_delete_each_others_work(tmp_path):
    """Both write at once; the first to finish publishes, the second is told, neither loses the other's file."""
    target = tmp_path / "m.npy"
    both_writing, errors = threading.Barrier(2), []

    def write(data):
        try:
            with publish_new(target) as tmp:
                tmp.write_bytes(data)
                both_writing.wait()
        except FileExistsError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=write, args=(bytes([i]) * 100_000,)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 1 and "was created by someone else meanwhile; nothing was overwritten" in errors[0]
    assert target.read_bytes() in (b"\x01" * 100_000, b"\x02" * 100_000)
    assert _leftovers(tmp_path) == ["m.npy"]


def test_a_full_disk_mid_write_leaves_no_target_and_no_temporary_file(tmp_path):
    target = tmp_path / "m.npy"
    with pytest.raises(OSError) as err, publish_new(target) as tmp, open(tmp, "wb") as f:
        f.write(b"x" * 1000)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
    msg = str(err.value)
    assert err.value.errno == errno.ENOSPC
    assert f"{target} was not written: the disk holding {tmp_path} is full" in msg and ".tmp" not in msg
    assert _leftovers(tmp_path) == []


def test_an_unwritable_folder_is_reported_without_a_temporary_name(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".m.npy-abc.tmp.npy"))
    monkeypatch.setattr(_files.tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError, match=r"m\.npy was not written: writing in .* failed \(Permission denied\); "
                                              r"nothing was left behind\. Please choose a folder") as err:
        with publish_new(tmp_path / "m.npy"):
            pass
    assert ".tmp" not in str(err.value)


def test_without_hard_links_an_exclusive_create_still_never_overwrites(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise PermissionError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(os, "link", no_links)
    with publish_new(tmp_path / "a.bin") as tmp:
        tmp.write_bytes(b"first")
    assert (tmp_path / "a.bin").read_bytes() == b"first" and _leftovers(tmp_path) == ["a.bin"]
    src = tmp_path / "b.tmp"
    src.write_bytes(b"second")
    with pytest.raises(FileExistsError):
        link_new(src, tmp_path / "a.bin")
    assert (tmp_path / "a.bin").read_bytes() == b"first" and src.exists()


def test_npy_blocks_round_trip_with_a_fixed_header(tmp_path):
    rng = np.random.default_rng(0)
    blocks = [rng.random((n, 7, 5)) > 0.5 for n in (3, 1, 4)]
    shape = write_npy_blocks(tmp_path / "m.npy", iter(blocks))
    loaded = np.load(tmp_path / "m.npy", mmap_mode="r")
    assert shape == loaded.shape == (8, 7, 5) and loaded.dtype == bool
    np.testing.assert_array_equal(loaded, np.concatenate(blocks))
    assert len(npy_header(bool, (10**15, 99999, 99999))) == NPY_HEADER_BYTES == 128
    with pytest.raises(ValueError, match="no blocks"):
        write_npy_blocks(tmp_path / "empty.npy", iter([]))
    with pytest.raises(ValueError, match="after bool"):
        write_npy_blocks(tmp_path / "mixed.npy", iter([blocks[0], blocks[1].astype(np.uint8)]))
    assert _leftovers(tmp_path) == ["m.npy"]


FULL_DISK = """
import resource, signal, sys
import numpy as np
from mflib._files import write_npy_blocks
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))   # files stop growing: as on a full disk
try:
    write_npy_blocks(sys.argv[1], (np.ones((10, 100, 100), bool) for _ in range(10)))
except OSError as exc:
    print(f"{type(exc).__name__}: {exc}")
"""


def test_a_real_write_failure_leaves_nothing(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse to grow the file (EFBIG), as a full disk does (ENOSPC)."""
    out = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path / "m.npy")], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"OSError: [Errno {errno.EFBIG}] {tmp_path / 'm.npy'} was not written: "
                                 f"the disk holding {tmp_path} is full"), out.stdout
    assert _leftovers(tmp_path) == []


KILLED = """
import os, sys, time
from mflib._files import publish_new
with publish_new(sys.argv[1]) as tmp:
    tmp.write_bytes(b"half of it")
    print(tmp, flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_outright_leaves_a_temporary_file_that_the_next_write_removes(tmp_path, monkeypatch):
    target = tmp_path / "m.npy"
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(target)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    left = Path(proc.stdout.readline().strip())
    monkeypatch.setattr(_files, "SWEEP_AFTER_SECONDS", 0)
    with publish_new(tmp_path / "m.npy.other.npy") as tmp:   # another name: its files are not looked at
        tmp.write_bytes(b"x")
    with publish_new(target) as tmp:                 # the same name while its writer lives: its file is kept
        tmp.write_bytes(b"mine")
    target.unlink()
    assert left.read_bytes() == b"half of it"
    proc.kill()
    proc.wait()
    proc.stdout.close()
    assert left.exists(), "kill -9 gives no chance to clean up"
    with publish_new(target) as tmp:
        tmp.write_bytes(b"complete")
    assert not left.exists() and target.read_bytes() == b"complete"
    assert _leftovers(tmp_path) == ["m.npy", "m.npy.other.npy"]


# -- where mflib writes a reader's files: foreground masks and animations -----------------------

def _frames():
    return np.random.default_rng(0).random((30, 24, 32)).astype(np.float32)


def test_foreground_masks_out_leaves_another_runs_part_file_alone(tmp_path):
    from mflib.video import foreground_masks

    theirs = tmp_path / "m.npy.part"
    theirs.write_bytes(b"another run's")
    masks = foreground_masks(_frames(), out=tmp_path / "m.npy", n_sample_frames=10)
    np.testing.assert_array_equal(masks, foreground_masks(_frames(), n_sample_frames=10))
    assert theirs.read_bytes() == b"another run's" and _leftovers(tmp_path) == ["m.npy", "m.npy.part"]


def test_foreground_masks_on_a_full_disk_leave_no_file(tmp_path, monkeypatch):
    """The disk fills up mid-way: no m.npy (not even a truncated one), no temporary file, a clear error."""
    from mflib import video

    def full_disk(path, blocks):
        with publish_new(path) as tmp, open(tmp, "wb") as handle:
            for i, block in enumerate(blocks):
                if i == 1:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                handle.write(block.tobytes())
    monkeypatch.setattr(video, "write_npy_blocks", full_disk)
    with pytest.raises(OSError, match=r"m\.npy was not written: the disk holding .* is full"):
        video.foreground_masks(iter(_frames()), out=tmp_path / "m.npy", n_sample_frames=10)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("suffix", [".gif", ".avi"])
def test_write_animation_on_a_full_disk_leaves_no_file(tmp_path, monkeypatch, suffix):
    from mflib import io

    if suffix == ".avi":                # OpenCV reports nothing: its file is just short
        monkeypatch.setattr(io.cv2, "VideoWriter", _ShortWriter())
    else:
        from PIL import Image

        def full_disk(self, fp, *args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(OSError, match=rf"clip\{suffix} was not written: .*(full|is the disk full)"):
        io.write_animation(tmp_path / f"clip{suffix}", _frames(), fps=10)
    assert _leftovers(tmp_path) == []


class _ShortWriter:
    """cv2.VideoWriter that, like OpenCV on a full disk, silently drops the frames after the fifth."""

    def __init__(self):
        import cv2
        self.cls, self.count = cv2.VideoWriter, iter(range(10**6))

    def __call__(self, *args, **kwargs):
        writer, count = self.cls(*args, **kwargs), self.count

        class Short:
            def isOpened(self):
                return writer.isOpened()

            def write(self, frame):
                if next(count) < 5:
                    writer.write(frame)

            def release(self):
                writer.release()
        return Short()
