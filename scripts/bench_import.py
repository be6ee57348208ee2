#!/usr/bin/env python
"""How long does `flask import-customers` take on a big, realistic file? (The issue: 100,000 rows
in under a minute on SQLite.)

Generates a CSV of --rows customers (mixed number formats, `00` prefixes, second numbers,
preferences, external ids, about 1% bad rows), makes an empty database with `flask db upgrade`,
then times, each as the real command in a fresh process:
  1. the first import (every row creates a customer),
  2. the same file again (every row with an external_id updates),
  3. a dry run, and
  4. `flask export-customers`.

    .venv/bin/python scripts/bench_import.py                  # 100,000 rows, SQLite
    .venv/bin/python scripts/bench_import.py --rows 20000
    .venv/bin/python scripts/bench_import.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_SECONDS = 60
PREFERENCES = ("milk=high-calcium", "callback=evening", "language=Mandarin;channel=sms", "pays=every two months", "")


def bench_app():
    """The app with the CSV commands, whether or not app/cli.py registers them yet."""
    sys.path.insert(0, str(ROOT))
    from app import cli_customers, create_app

    app = create_app()
    if "import-customers" not in app.cli.commands:
        cli_customers.register(app)
    return app


def phone(i: int, rng: random.Random) -> str:
    digits = f"{2000000 + i:07d}"
    style = rng.randrange(5)
    if style == 0:
        return f"(415) {digits[:3]}-{digits[3:]}"
    if style == 1:
        return f"+1 415 {digits[:3]} {digits[3:]}"
    if style == 2:
        return f"415.{digits[:3]}.{digits[3:]}"
    if style == 3:
        return f"001415{digits}"
    return f"415{digits}"


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """Write the file; returns how many rows are deliberately bad."""
    rng = random.Random(seed)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "phone", "phone2", "email", "tier", "external_id", "preferences", "notes"])
        for i in range(rows):
            first = phone(i, rng)
            if rng.random() < 0.01:
                first, bad = "12345", bad + 1
            second = f"+44 20 7{i % 1000:03d} {i % 10000:04d}" if rng.random() < 0.3 else ""
            writer.writerow([
                f"Customer {i}", first, second, f"customer{i}@example.com" if i % 3 else "",
                rng.choice(("standard", "silver", "gold", "vip", "")), f"EXT-{i:07d}" if i % 10 else "",
                rng.choice(PREFERENCES), "imported from the old CRM",
            ])
    return bad


def flask(env: dict, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "scripts.bench_import:bench_app()", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, (done.stdout.strip().splitlines() or [""])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="an EMPTY database to use (default: a new SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kc-bench-import-") as tmp:
        tmp_path = Path(tmp)
        env = {**os.environ, "KNOWNCALLER_ENV": "development", "SECRET_KEY": "bench",
               "TWILIO_AUTH_TOKEN": "bench-token", "DATABASE_URL": args.database_url or f"sqlite:///{tmp_path / 'bench.db'}"}
        source = tmp_path / "customers.csv"
        started = time.perf_counter()
        bad = generate(source, args.rows)
        print(f"generated {args.rows:,} rows ({source.stat().st_size / 1e6:.1f} MB, {bad} bad) "
              f"in {time.perf_counter() - started:.1f}s")
        flask(env, "db", "upgrade")
        database = "SQLite" if env["DATABASE_URL"].startswith("sqlite") else env["DATABASE_URL"].split(":")[0]

        results = []
        for label, command in (
            ("first import (creates)", ("import-customers", str(source))),
            ("second import (updates)", ("import-customers", str(source))),
            ("dry run", ("import-customers", str(source), "--dry-run")),
            ("export", ("export-customers", str(tmp_path / "export.csv"))),
        ):
            elapsed, last = flask(env, *command)
            results.append((label, elapsed, last))
            print(f"{label:<24} {elapsed:6.1f}s  {args.rows / elapsed:8,.0f} rows/s   {last}")

        first = results[0][1]
        verdict = "OK" if first < LIMIT_SECONDS * args.rows / 100_000 else "TOO SLOW"
        print(f"\n{database}: {args.rows:,} rows imported in {first:.1f}s wall time, whole command included "
              f"(target: 100,000 rows in under {LIMIT_SECONDS}s) -> {verdict}")


if __name__ == "__main__":
    main()
