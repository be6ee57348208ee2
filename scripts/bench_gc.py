"""What a full garbage collection costs a server worker, with and without `gc.freeze`.

gunicorn.conf.py's `post_worker_init` freezes what the worker built while loading the app: a full
collection holds the interpreter lock, so every thread of the worker (webhooks, sockets) waits
for it. This loads the app as gunicorn does (`wsgi`), adds a working set of live objects like a
busy worker's, and times full collections, once as loaded and once after `gc.freeze`, each in a
fresh interpreter.

    .venv/bin/python scripts/bench_gc.py                 # 15 collections each, 20,000 live objects
    .venv/bin/python scripts/bench_gc.py --live 100000
"""
from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(freeze: bool, live: int, rounds: int) -> None:
    sys.path.insert(0, str(ROOT))
    import wsgi  # noqa: F401  (the app, loaded as gunicorn loads it)

    gc.collect()
    if freeze:
        gc.freeze()
    startup = gc.get_freeze_count() if freeze else len(gc.get_objects())
    working_set = [{"n": i, "items": [i]} for i in range(live)]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - started) * 1000)
    print(f"{'frozen' if freeze else 'as loaded':>9}: {startup:>7,} startup objects, {len(working_set):,} live; "
          f"full collection median {statistics.median(times):6.1f} ms (min {min(times):.1f}, max {max(times):.1f})",
          flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", type=int, default=20_000, help="live objects besides the app's (default 20,000)")
    parser.add_argument("--rounds", type=int, default=15, help="collections timed (default 15)")
    parser.add_argument("--only", choices=("loaded", "frozen"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.only:
        measure(args.only == "frozen", args.live, args.rounds)
        return
    for only in ("loaded", "frozen"):
        subprocess.run([sys.executable, __file__, "--only", only, "--live", str(args.live),
                        "--rounds", str(args.rounds)], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
