"""Time a cold build of the whole book, and (optionally) the whole test suite.

    python benchmarks/bench_book.py            # cold book build
    python benchmarks/bench_book.py --tests    # and `python -m pytest`

"Cold" means a fresh output folder: no execution cache, every chapter executed.
Needs MFLIB_DATA (or network access) like the build itself.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd, **kwargs):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return elapsed, proc.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", action="store_true", help="also time the whole test suite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        seconds, _ = timed([shutil.which("jupyter-book"), "build", str(ROOT), "--path-output", out,
                            "-W", "--keep-going"])
        html = Path(out) / "_build" / "html"
        print(f"cold book build: {seconds:.1f} s")
        for page in sorted((html / "notebooks").glob("*.html")):
            print(f"  {page.name}: {page.stat().st_size / 1e6:.2f} MB")
    if args.tests:
        seconds, stdout = timed([sys.executable, "-m", "pytest", "-q"])
        print(f"test suite: {seconds:.1f} s ({stdout.strip().splitlines()[-1]})")


if __name__ == "__main__":
    main()
