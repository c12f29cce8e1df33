"""Fault cases for mflib's downloads and written files, each in its own process; prints the counts.

    python tools/fuzz_files.py [--only SUBSTRING] [--groups downloads,cache,...] [--verbose]

Every case runs a short snippet in a fresh Python process (so a hang, a crash or
a leaked lock cannot spill over) against loopback servers on 127.0.0.1 that
misbehave in one way each: stall, trickle, lie about sizes, answer HTML, vanish.
An outcome is

- ``clear``: the expected error, naming the real cause (and no temporary path);
- ``correct``: a valid use that works;
- ``unclear``: an error, but not naming the cause (or naming a temporary file);
- ``silent``: no error where one was due, or a wrong result;
- ``hang``: still running after the case's time limit;

and separately ``lost`` (a file that existed before was changed or removed) and
``leftover`` (a staging folder or temporary file remains). Run as root it also
uses a real read-only and a real full file system (small tmpfs mounts);
otherwise those cases use RLIMIT_FSIZE and permission bits instead.
"""

import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("MFLIB_DATA", ROOT.parent / "shared" / "data"))
SHOP = "/andrewssobral/lrslibrary/raw/master/dataset/shop.avi"
ML = "/datasets/movielens/ml-100k.zip"

RUN = """
import json, os, sys, traceback
os.environ.setdefault("MPLBACKEND", "Agg")
from mflib import datasets
from mflib.datasets import cache, download, registry
for name, value in json.loads(os.environ.get("FUZZ_CONSTANTS", "{}")).items():
    setattr(next(m for m in (registry, cache, download) if hasattr(m, name)), name, value)
try:
    %s
    print(json.dumps({"ok": repr(result)[:300]}))
except BaseException as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)[:2000],
                      "where": traceback.extract_tb(exc.__traceback__)[-1].filename}))
"""


# -- loopback servers ---------------------------------------------------------------

class Servers:
    def __init__(self):
        self.stop, self.servers = threading.Event(), []

    def start(self, respond):
        stop = self.stop

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                try:
                    respond(self, stop)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    def files(self, root, seconds=0.0):
        """Serve ``root``; with ``seconds``, each file takes about that long."""
        def respond(h, stop):
            path = root / h.path.lstrip("/")
            if not path.is_file():
                h.send_error(404)
                return
            data = path.read_bytes()
            h.send_response(200)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            step = max(1, len(data) // 20)
            for i in range(0, len(data), step):
                h.wfile.write(data[i:i + step])
                if seconds and stop.wait(seconds / 20):
                    return
        return self.start(respond)

    def close(self):
        self.stop.set()
        for s in self.servers:
            s.shutdown()
            s.server_close()


def reset_after(n):
    """Send ``n`` bytes of a longer body, then reset the connection (RST)."""
    def respond(h, stop):
        import socket
        import struct
        h.send_response(200)
        h.send_header("Content-Length", str(10 * n))
        h.end_headers()
        h.wfile.write(b"r" * n)
        h.wfile.flush()
        stop.wait(0.3)
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
    return respond


def reply(data=b"", status=200, length=None, trickle=None, close_early=False, headers=()):
    def respond(h, stop):
        if status is None:               # accept, then never answer
            stop.wait(120)
            return
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        if length is not False:
            h.send_header("Content-Length", str(len(data) if length is None else length))
        h.end_headers()
        if trickle:
            for _ in range(10_000):
                if stop.wait(trickle):
                    return
                h.wfile.write(b"x")
                h.wfile.flush()
        elif close_early:
            h.wfile.write(data[: len(data) // 2])
        elif length is False and not data:   # no length: bytes until the client gives up
            while not stop.is_set():
                h.wfile.write(b"y" * 65536)
        else:
            h.wfile.write(data)
    return respond


def zip_bytes(members):
    path = Path(tempfile.mkstemp(suffix=".zip")[1])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    data = path.read_bytes()
    path.unlink()
    return data


def served_mirror(folder):
    """The offline mirror laid out under the original URL paths (zips for the folders)."""
    for relpath, url in [("olivettifaces.mat", "/files/5976027"), ("videos/shop.avi", SHOP),
                         ("videos/escalator.avi", SHOP.replace("shop", "escalator"))]:
        (folder / url.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / relpath, folder / url.lstrip("/"))
    for relpath, url in [("movielens/ml-100k", ML), ("cdnet2014/baseline/highway",
                                                     "/static/dataset/baseline/highway.zip")]:
        target = folder / url.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        src = DATA / relpath
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
            for f in sorted(p for p in src.rglob("*") if p.is_file()):
                zf.write(f, Path(src.name) / f.relative_to(src))


# -- running a case -------------------------------------------------------------------

def snapshot(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()} \
        if folder.exists() else {}


def leftovers(folder):
    return [p for p in folder.rglob("*") if p.name.startswith(".download-") or ".tmp." in p.name
            or p.name.endswith(".part")]


def start(expr, env, constants=None, preexec=None, cwd=None):
    """Run ``expr`` (an expression, or statements that set ``result``) in a fresh process."""
    code = expr if "result =" in expr else f"result = {expr}"
    full = {k: v for k, v in os.environ.items() if k not in ("MFLIB_DATA", "MFLIB_MIRROR_URL", "MFLIB_CACHE")}
    full.update(PYTHONPATH=str(ROOT), FUZZ_CONSTANTS=json.dumps(constants or {}), **env)
    return subprocess.Popen([sys.executable, "-c", RUN % code.replace("\n", "\n    ")], env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec, cwd=cwd)


def outcome(proc, limit):
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"hang": True}
    lines = out.strip().splitlines()
    return json.loads(lines[-1]) if lines else {"crash": f"rc={proc.returncode} {err[-300:]}"}


def classify(res, expect, check=None):
    """expect: None for success, else (exception name(s), substring(s) the message must hold)."""
    if res.get("hang"):
        return "hang"
    if "crash" in res:
        return "unclear"
    if expect is None:
        return "correct" if "ok" in res and (check is None or check(res["ok"])) else \
            ("silent" if "ok" in res else "unclear")
    if "ok" in res:
        return "silent"
    names, needles = expect
    msg = res["message"]
    good = res["error"] in names.split("|") and all(n in msg for n in needles.split("|"))
    return "clear" if good and ".download-" not in msg and ".tmp." not in msg else "unclear"


# -- the cases ----------------------------------------------------------------------------

def download_cases(mirror, srv):
    """(name, env, expression, expect, constants, limit)."""
    fetch_shop, fetch_ml = "datasets.fetch('videos/shop.avi')", "datasets.fetch('movielens/ml-100k')"
    quick = {"DOWNLOAD_MIN_SECONDS": 3, "DOWNLOAD_MIN_RATE": 10**12, "DOWNLOAD_TIMEOUT": 2}
    bad = srv.start
    cases = [
        ("trickle 1 byte / 2 s (deadline 3 s)", {"MFLIB_MIRROR_URL": bad(reply(trickle=2.0, length=10**5))}, fetch_shop,
         ("DownloadTimeoutError", "did not finish within 3 s|shop.avi"), quick, 30),
        ("trickle, real deadline scaled to size", {"MFLIB_MIRROR_URL": bad(reply(trickle=0.5, length=124416))},
         fetch_shop, ("DownloadTimeoutError", "did not finish within"), {"DOWNLOAD_MIN_SECONDS": 4}, 30),
        ("server never answers", {"MFLIB_MIRROR_URL": bad(reply(status=None))}, fetch_shop,
         ("DownloadTimeoutError", "did not answer within 2 s|MFLIB_MIRROR_URL"), quick, 30),
        ("connection refused", {"MFLIB_MIRROR_URL": "http://127.0.0.1:9"}, fetch_shop,
         ("DataNotFoundError", "refused|MFLIB_MIRROR_URL"), None, 30),
        ("host does not exist", {"MFLIB_MIRROR_URL": "http://mflib.invalid"}, fetch_shop,
         ("DataNotFoundError", "mflib.invalid was not found"), None, 30),
        ("HTTP 404", {"MFLIB_MIRROR_URL": bad(reply(b"no", status=404))}, fetch_shop,
         ("DataNotFoundError", "HTTP 404"), None, 30),
        ("HTTP 500", {"MFLIB_MIRROR_URL": bad(reply(b"oops", status=500))}, fetch_shop,
         ("DataNotFoundError", "HTTP 500"), None, 30),
        ("HTTP 403 on a zip", {"MFLIB_MIRROR_URL": bad(reply(b"no", status=403))}, fetch_ml,
         ("DataNotFoundError", "HTTP 403"), None, 30),
        ("redirect loop", {"MFLIB_MIRROR_URL": bad(reply(status=302, headers=[("Location", SHOP)]))}, fetch_shop,
         ("DataNotFoundError", "HTTP 302|redirect"), None, 30),
        ("HTML page for a zip", {"MFLIB_MIRROR_URL": bad(reply(b"<html><body>Log in</body></html>"))}, fetch_ml,
         ("DataCorruptError", "not a zip|b'<html>"), None, 30),
        ("HTML page for a file", {"MFLIB_MIRROR_URL": bad(reply(b"<html>login</html>"))}, fetch_shop,
         ("DataCorruptError", "corrupt or has been changed|b'<html>login"), None, 30),
        ("empty body", {"MFLIB_MIRROR_URL": bad(reply(b""))}, fetch_shop,
         ("DataCorruptError", "corrupt or has been changed|0 bytes"), None, 30),
        ("body cut short", {"MFLIB_MIRROR_URL": bad(reply(b"z" * 100_000, close_early=True))}, fetch_shop,
         ("DataNotFoundError", "broke off after"), None, 30),
        ("connection reset mid-way", {"MFLIB_MIRROR_URL": bad(reset_after(5000))}, fetch_shop,
         ("DataNotFoundError", "broke off after 5,000 of 50,000 bytes"), None, 30),
        ("announces 10 GB", {"MFLIB_MIRROR_URL": bad(reply(b"", length=10**10))}, fetch_shop,
         ("DataCorruptError", "announces 10,000,000,000 bytes"), None, 30),
        ("endless body, no length", {"MFLIB_MIRROR_URL": bad(reply(length=False))}, fetch_shop,
         ("DataCorruptError", "sent more than"), None, 60),
        ("zip without the folder", {"MFLIB_MIRROR_URL": bad(reply(zip_bytes({"other/u.data": b"1 2 3 4\n"})))},
         fetch_ml, ("DataCorruptError", "did not contain ml-100k"), None, 30),
        ("zip missing a file", {"MFLIB_MIRROR_URL": bad(reply(zip_bytes({"ml-100k/u.data": b"1 2 3 4\n"})))},
         fetch_ml, ("DataCorruptError", "is missing from it"), None, 30),
        ("zip with ../ names", {"MFLIB_MIRROR_URL": bad(reply(zip_bytes({"../../evil.txt": b"x",
                                                                          "ml-100k/README": b"x"})))},
         fetch_ml, ("DataCorruptError", "corrupt or has been changed"), None, 30),
        ("zip bomb (100 MB of zeros)", {"MFLIB_MIRROR_URL": bad(reply(zip_bytes({"ml-100k/u.data": b"\0" * 10**8})))},
         fetch_ml, ("DataCorruptError", "unpacks to 100,000,000 bytes"), None, 120),
        ("truncated zip", {"MFLIB_MIRROR_URL": bad(reply(zip_bytes({"ml-100k/README": os.urandom(50_000)})[:30_000]))},
         fetch_ml, ("DataCorruptError", "not a zip"), None, 30),
        ("unknown name", {"MFLIB_MIRROR_URL": mirror}, "datasets.fetch('nope.mat')",
         ("KeyError", "not a registered data set"), None, 30),
        ("name is None", {"MFLIB_MIRROR_URL": mirror}, "datasets.fetch(None)",
         ("KeyError", "not a registered data set"), None, 30),
        ("good mirror, a file", {"MFLIB_MIRROR_URL": mirror}, fetch_shop, None, None, 60),
        ("good mirror, a zip folder", {"MFLIB_MIRROR_URL": mirror}, fetch_ml, None, None, 120),
    ]
    for url, why in [("ftp://127.0.0.1/", "http:// or https://"), ("127.0.0.1:8000", "http:// or https://"),
                     ("http://", "not a host name"), ("http://a b/", "not a host name"),
                     ("http://127.0.0.1:99999", "port is not valid"), ("http://h:x/", "port is not valid"),
                     ("http://h/?q=1", "query"), ("file:///tmp", "http:// or https://"), (" ", "http")]:
        cases.append((f"MFLIB_MIRROR_URL={url!r}", {"MFLIB_MIRROR_URL": url}, fetch_shop,
                      ("ValueError", f"MFLIB_MIRROR_URL|{why}"), None, 30))
    return cases


def run_downloads(work, mirror, srv, results, only):
    for name, env, expr, expect, constants, limit in download_cases(mirror, srv):
        if only and only not in name:
            continue
        cache = work / f"cache-{len(results)}"
        res = outcome(start(expr, {"MFLIB_CACHE": str(cache), **env}, constants), limit)
        results.append((name, classify(res, expect), False, bool(leftovers(cache)), res))


def run_cache_faults(work, mirror, results, root_mounts, only):
    """MFLIB_CACHE / MFLIB_DATA pointing at the wrong kind of place."""
    fetch = "datasets.fetch('videos/escalator.avi')"
    a_file = work / "a-file"
    a_file.write_text("keep me")
    cases = [("MFLIB_CACHE is a file", {"MFLIB_CACHE": str(a_file)},
              ("CacheNotWritableError", "MFLIB_CACHE|is a file")),
             ("MFLIB_CACHE under a file", {"MFLIB_CACHE": str(a_file / "sub")},
              ("CacheNotWritableError", "MFLIB_CACHE|is a file")),
             ("MFLIB_DATA is a file", {"MFLIB_DATA": str(a_file)}, ("DataNotFoundError", "is a file, not a folder")),
             ("MFLIB_DATA empty folder", {"MFLIB_DATA": str(work)}, ("DataNotFoundError", "MFLIB_DATA")),
             ("MFLIB_DATA relative, missing", {"MFLIB_DATA": "no/such/dir"}, ("DataNotFoundError", "MFLIB_DATA"))]
    ro, full = root_mounts
    if ro:
        cases.append(("MFLIB_CACHE on a read-only file system", {"MFLIB_CACHE": str(ro / "cache")},
                      ("CacheNotWritableError", "MFLIB_CACHE|cannot be written")))
    if full:
        cases.append(("MFLIB_CACHE on a full disk (200 kB tmpfs)", {"MFLIB_CACHE": str(full / "cache")},
                      ("CacheNotWritableError", "MFLIB_CACHE|full disk")))
    for name, env, expect in cases:
        if only and only not in name:
            continue
        res = outcome(start(fetch, {"MFLIB_MIRROR_URL": mirror, **env}), 60)
        lost = a_file.read_text() != "keep me"
        left = any(leftovers(Path(p)) for p in (env.get("MFLIB_CACHE", work / "none"), ro or work / "none",
                                                full or work / "none"))
        results.append((name, classify(res, expect), lost, left, res))


def run_concurrency(work, mirror_root, srv, results, only):
    for relpath in ("movielens/ml-100k", "cdnet2014/baseline/highway"):
        name = f"two processes fetch {relpath} at once"
        if only and only not in name:
            continue
        slow = srv.files(mirror_root, seconds=3)
        cache = work / f"cache-conc-{len(results)}"
        procs = [start(f"datasets.fetch({relpath!r})", {"MFLIB_CACHE": str(cache), "MFLIB_MIRROR_URL": slow})
                 for _ in range(2)]
        outs = [outcome(p, 300) for p in procs]
        kinds = [classify(o, None) for o in outs]
        kind = "correct" if kinds == ["correct"] * 2 else next(k for k in kinds if k != "correct")
        results.append((name, kind, False, bool(leftovers(cache)), outs))
    name = "kill -9 during a download, then fetch again"
    if only and only not in name:
        return
    cache = work / "cache-killed"
    trickle = srv.start(reply(trickle=0.1, length=124416))
    proc = start("datasets.fetch('videos/shop.avi')", {"MFLIB_CACHE": str(cache), "MFLIB_MIRROR_URL": trickle})
    deadline = time.monotonic() + 60
    while not leftovers(cache) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.kill()
    proc.communicate()
    old = time.time() - 120                    # as if the reader came back two minutes later
    for p in leftovers(cache):
        for q in [p, *p.rglob("*")]:
            os.utime(q, (old, old))
    good = srv.files(mirror_root)
    res = outcome(start("datasets.fetch('videos/shop.avi')", {"MFLIB_CACHE": str(cache), "MFLIB_MIRROR_URL": good}),
                  60)
    results.append((name, classify(res, None), False, bool(leftovers(cache)), res))


def run_memo(work, results, only):
    name = "checksum memo: byte changed in place, mtime restored"
    if only and only not in name:
        return
    shutil.copytree(DATA / "videos", work / "memo" / "videos")
    expr = "\n".join([
        "import time",
        "path = datasets.fetch('videos/shop.avi')",
        "time.sleep(registry.RACY_SECONDS + 0.5)",
        "datasets.fetch('videos/shop.avi')            # verified, and remembered",
        "st = os.stat(path)",
        "with open(path, 'r+b') as f:",
        "    f.seek(9999)",
        "    f.write(b'Z')",
        "os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))   # as cp -p or rsync -t leave it",
        "result = datasets.fetch('videos/shop.avi')"])
    res = outcome(start(expr, {"MFLIB_DATA": str(work / "memo")}), 60)
    results.append((name, classify(res, ("DataCorruptError", "shop.avi is corrupt or has been changed")),
                    False, False, res))


def run_outputs(work, results, root_mounts, only):
    """The reader's output files: foreground masks (.npy) and animations (.gif, .avi)."""
    frames = "__import__('numpy').random.default_rng(0).random((40, 48, 64)).astype('float32')"
    masks = "__import__('mflib.video', fromlist=['x']).foreground_masks(%s, out=%r, n_sample_frames=20)"
    anim = "__import__('mflib.io', fromlist=['x']).write_animation(%r, %s)"
    ro, full = root_mounts
    cases = []
    for kind, expr in (("masks", lambda p: masks % (frames, str(p))), ("gif", lambda p: anim % (str(p), frames)),
                       ("avi", lambda p: anim % (str(p), frames))):
        ext = {"masks": ".npy", "gif": ".gif", "avi": ".avi"}[kind]
        d = work / f"out-{kind}"
        d.mkdir()
        (d / f"exists{ext}").write_bytes(b"the reader's")
        (d / f"m{ext}.part").write_bytes(b"another run's")
        cases += [(f"{kind}: new file", d, expr(d / f"new{ext}"), None),
                  (f"{kind}: target exists", d, expr(d / f"exists{ext}"), ("FileExistsError", "exists")),
                  (f"{kind}: someone's {ext}.part beside it", d, expr(d / f"m{ext}"), None),
                  (f"{kind}: folder missing", d, expr(d / "no" / f"x{ext}"), ("FileNotFoundError", "does not exist"))]
        if ro:
            cases.append((f"{kind}: read-only file system", ro, expr(ro / f"x{ext}"),
                          ("OSError|PermissionError", "was not written")))
        if full:                 # frames whose masks (768 kB) and animations do not fit in 200 kB
            big = frames.replace("(40, 48, 64)", "(40, 120, 160)")
            cases.append((f"{kind}: disk full (200 kB tmpfs)", full, expr(full / f"x{ext}").replace(frames, big),
                          ("OSError", "was not written|full")))
    for name, folder, expr, expect in cases:
        if only and only not in name:
            continue
        before = snapshot(folder)
        res = outcome(start(expr, {}), 300)
        after = snapshot(folder)
        lost = any(after.get(p) != data for p, data in before.items())
        left = [p for p in leftovers(folder) if p not in before]      # the decoy .part files were there before
        results.append((name, classify(res, expect), lost, bool(left), res))
        if folder == full:       # the next case starts with an empty disk again
            for p in full.iterdir():
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    name = "masks: two runs, same out, at once"
    if not only or only in name:
        d = work / "out-twice"
        d.mkdir()
        procs = [start(masks % (frames, str(d / "m.npy")), {}) for _ in range(2)]
        outs = [outcome(p, 300) for p in procs]
        ok = [o for o in outs if "ok" in o]
        refused = [o for o in outs if o.get("error") == "FileExistsError"]
        kind = "correct" if len(ok) == 1 and len(refused) == 1 else ("hang" if any("hang" in o for o in outs)
                                                                      else "unclear")
        results.append((name, kind, False, bool(leftovers(d)), outs))


def mounts(work):
    """A read-only and a 200 kB tmpfs when running as root; (None, None) otherwise."""
    if os.geteuid() != 0:
        return None, None
    ro, full = work / "ro", work / "full"
    for path, opts in ((ro, "ro,size=1m"), (full, "size=200k")):
        path.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)],
                          capture_output=True).returncode != 0:
            return None, None
    return ro, full


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose name holds this text")
    parser.add_argument("--groups", default="downloads,cache,concurrency,memo,outputs",
                        help="comma-separated: downloads, cache, concurrency, memo, outputs")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mflib-fuzz-"))
    srv = Servers()
    root_mounts = mounts(work)
    try:
        served = work / "served"
        served_mirror(served)
        mirror = srv.files(served)
        results = []
        groups = args.groups.split(",")
        if "downloads" in groups:
            run_downloads(work, mirror, srv, results, args.only)
        if "cache" in groups:
            run_cache_faults(work, mirror, results, root_mounts, args.only)
        if "concurrency" in groups:
            run_concurrency(work, served, srv, results, args.only)
        if "memo" in groups:
            run_memo(work, results, args.only)
        if "outputs" in groups:
            run_outputs(work, results, root_mounts, args.only)
    finally:
        srv.close()
        for m in root_mounts:
            if m:
                subprocess.run(["umount", str(m)], check=False)
        shutil.rmtree(work, ignore_errors=True)
    width = max(len(r[0]) for r in results)
    for name, kind, lost, left, res in results:
        flags = " LOST" * lost + " LEFTOVER" * left
        detail = f"  {json.dumps(res)[:400]}" if args.verbose or kind not in ("clear", "correct") or flags else ""
        print(f"{name:<{width}}  {kind}{flags}{detail}")
    counts = {k: sum(r[1] == k for r in results) for k in ("clear", "correct", "unclear", "silent", "hang")}
    print(f"\ntried {len(results)}: " + ", ".join(f"{v} {k}" for k, v in counts.items())
          + f"; lost {sum(r[2] for r in results)}, leftover {sum(r[3] for r in results)}")


if __name__ == "__main__":
    main()
