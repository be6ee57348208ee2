#!/usr/bin/env python
"""How fast is the search box (`q`, SPEC §6) at 1,000,000 customers on PostgreSQL, and is every kind
of query index-served?

1. Makes a fresh database (kc_bench_search_…, dropped at the end unless --keep) and migrates it
   to the revision before 0010, as a production database that predates the search key.
2. Loads --customers customers by COPY (plain indexes dropped first, rebuilt after): names from
   a mix of common first names and surnames (a third of them accented: María, García, Müller…)
   and a long tail of made-up surnames, 1.3 numbers each (+1 NPA NXX XXXX over 20 real area
   codes), an email and an external id (CRM-00000042, or digits only for every fifth).
3. Runs migration 0010 on that data, timed: the backfill of `name_search` and the trigram
   index build. Then VACUUM ANALYZE.
4. Times `records.search()` — the function behind `GET /api/v1/customers?q=` (count, page of 25
   ordered by name, numbers/preferences/complaints loaded) — in a fresh session per query, for
   each kind of query over --queries different queries drawn from the data, after a warm-up
   round; prints p50/p95/max per kind and the mean number found.
5. Prints EXPLAIN (ANALYZE, BUFFERS) of the exact statements one query of each kind ran, as
   captured from the engine, and checks that no plan scans customers or phone_numbers whole.

    .venv/bin/python scripts/bench_search.py                     # 1,000,000 customers (7-9 min)
    .venv/bin/python scripts/bench_search.py --customers 100000 --queries 20
    .venv/bin/python scripts/bench_search.py --keep              # leave the database for psql

Needs PostgreSQL (`TEST_POSTGRES_URL`, default postgres@127.0.0.1:5432).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models.customer import search_key  # noqa: E402
from app.services.customers import records  # noqa: E402
from tests.support import services  # noqa: E402

FIRST = ("María", "José", "Zoë", "Renée", "Björn", "Łucja", "Søren", "François", "Ana", "Chloé", "Alice", "Bob",
         "Wei", "Mei", "Priya", "Ahmed", "Olga", "Kenji", "Fatima", "Liam", "Noah", "Emma", "Olivia", "Sofia",
         "Lucas", "Mateo", "Amara", "Ivan", "Hana", "Yusuf", "Grace", "Daniel", "Sara", "Tomás", "Inés", "Jürgen",
         "Ngozi", "Ravi", "Elena", "Marco")
COMMON = ("García", "Müller", "Núñez", "López", "Wong", "Huang", "Smith", "Johnson", "Kowalski", "Ivanova",
          "Nguyễn", "Pérez", "Öztürk", "Dubois", "Lefèvre", "Rossi", "Kim", "Patel", "Hassan", "O'Brien",
          "Fischer", "Gupta", "Sánchez", "Jørgensen", "Šimić", "Brown", "Martin", "Silva", "Costa", "Ahmed")
SYLLABLES = ("ba", "ko", "mi", "ran", "tel", "dor", "vi", "sha", "lum", "que", "ner", "pa", "zu", "ith", "mo",
             "gan", "lia", "ros", "tak", "wen", "el", "fo", "hul", "jin", "kar", "ost", "rud", "sel", "tor", "ya")
TIERS = ("standard",) * 6 + ("silver", "gold", "vip")
REGION = "US"
SECRET = "bench-" + uuid.uuid4().hex


def plain(text: str) -> str:
    """What an agent types: no accents, lower case ("Jørgensen" -> "jorgensen")."""
    return search_key(text)


def name_of(cid: int) -> str:
    rng = random.Random(cid)
    first = rng.choice(FIRST)
    if rng.random() < 0.3:
        last = rng.choice(COMMON)
    else:  # a long tail of surnames: 27,000 made-up ones
        last = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
    return f"{first} {last}"


def prefixes(area_codes: int = 20) -> list[str]:
    """`+1 NPA NXX` prefixes that phonenumbers reads as valid US numbers, over real area codes."""
    import phonenumbers

    from app.services.phone_numbers import normalize

    found = []
    for npa in range(201, 1000):
        if phonenumbers.region_code_for_number(phonenumbers.parse(f"+1{npa}2345678")) != "US":
            continue
        valid = [f"+1{npa}{nxx}" for nxx in range(200, 1000) if normalize(f"+1{npa}{nxx}4567") == f"+1{npa}{nxx}4567"]
        if len(valid) > 700:
            found.extend(valid)
            area_codes -= 1
            if not area_codes:
                return found
    return found


class Numbers:
    """The i-th distinct number: spread over every prefix, and within a prefix over every line
    (k -> 7919 k + 13 r is one-to-one modulo 10,000, and shifted per prefix, so last digits vary)."""

    def __init__(self) -> None:
        self.prefixes = prefixes()

    def __call__(self, i: int) -> str:
        r, k = i % len(self.prefixes), i // len(self.prefixes)
        return f"{self.prefixes[r]}{(k * 7919 + r * 13) % 10000:04d}"


def external_id(cid: int) -> str:
    return f"{40000000 + cid}" if cid % 5 == 0 else f"CRM-{cid:08d}"


def email_of(cid: int) -> str:
    first, last = plain(name_of(cid)).replace("'", "").split(" ", 1)
    return f"{first}.{last}{cid}@example.com"


# --- the database -------------------------------------------------------------------------------

def make_app(url: str):
    return create_app("production", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET, TWILIO_AUTH_TOKEN=SECRET,
                      SOCKETIO_MESSAGE_QUEUE=None, LOG_LEVEL="WARNING",
                      SPOOL_DIR=os.path.join(tempfile.gettempdir(), "kc-bench-search-spool"))


def create_database() -> str:
    name = f"kc_bench_search_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(services.POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return services.POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def load(url: str, customers: int, numbers: Numbers) -> dict:
    """COPY the customers and their numbers into the pre-0010 schema; plain indexes rebuilt after."""
    import psycopg

    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    started = time.perf_counter()
    phones = 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        cur = conn.cursor()
        tables = ["customers", "phone_numbers"]
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)", (tables,))
        indexes = cur.fetchall()
        cur.execute("TRUNCATE customers, phone_numbers CASCADE")
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SET session_replication_role = replica")
        with cur.copy("COPY customers (id, name, email, tier, external_id, created_at, updated_at, version) "
                      "FROM STDIN WITH (FREEZE)") as copy:
            for start in range(1, customers + 1, 50_000):
                copy.write("".join(
                    f"{cid}\t{name_of(cid)}\t{email_of(cid)}\t{TIERS[cid % len(TIERS)]}\t{external_id(cid)}\t"
                    f"{stamp}\t{stamp}\t1\n" for cid in range(start, min(customers + 1, start + 50_000))).encode())
        with cur.copy("COPY phone_numbers (customer_id, e164, label, created_at) FROM STDIN WITH (FREEZE)") as copy:
            chunk = []
            for cid in range(1, customers + 1):
                chunk.append(f"{cid}\t{numbers(cid - 1)}\tmobile\t{stamp}\n")
                if cid % 10 < 3:  # 30% have a second number
                    chunk.append(f"{cid}\t{numbers(customers + cid - 1)}\twork\t{stamp}\n")
                if len(chunk) >= 50_000:
                    phones += len(chunk)
                    copy.write("".join(chunk).encode())
                    chunk = []
            phones += len(chunk)
            copy.write("".join(chunk).encode())
        copied = time.perf_counter() - started
        cur.execute("SET session_replication_role = origin")
        cur.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("SELECT setval(pg_get_serial_sequence('customers', 'id'), %s)", (customers,))
        conn.commit()
    return {"copy_s": copied, "indexes_s": time.perf_counter() - started - copied, "phone_numbers": phones}


def vacuum(url: str) -> float:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE customers")
        conn.execute("VACUUM ANALYZE phone_numbers")
    return time.perf_counter() - started


# --- the queries --------------------------------------------------------------------------------

def queries(customers: int, count: int, numbers: Numbers, seed: int = 11) -> dict[str, list[str]]:
    """`count` different queries of each kind, each aimed at a real customer."""
    rng = random.Random(seed)
    picks = [rng.randrange(1, customers + 1) for _ in range(count)]
    accented = []
    cid = 1
    while len(accented) < count:  # customers whose whole name carries an accent, typed plain
        cid = rng.randrange(1, customers + 1)
        if plain(name_of(cid)) != name_of(cid).lower():
            accented.append(cid)

    def part(cid: int) -> str:
        last = plain(name_of(cid).split(" ", 1)[1]).replace("'", "")
        start = rng.randrange(0, max(1, len(last) - 4))
        return last[start:start + rng.choice((4, 5, 6))]

    def line(cid: int) -> str:
        e164 = numbers(cid - 1)
        return f"{e164[5:8]}-{e164[8:]}"  # "555-0130"

    return {
        "name part (4-6 letters of a surname)": [part(c) for c in picks],
        "first + last name, typed without accents": [plain(name_of(c)) for c in accented],
        "2 letters (start of the name)": [plain(name_of(c))[:2] for c in picks],
        "partial number, 7 digits (555-0130)": [line(c) for c in picks],
        "partial number, last 4 digits": [numbers(c - 1)[-4:] for c in picks],
        "partial number, +1 area code + exchange": [f"+1 {numbers(c - 1)[2:5]}-{numbers(c - 1)[5:8]}" for c in picks],
        "whole number, national format": [f"({numbers(c - 1)[2:5]}) {numbers(c - 1)[5:8]}-{numbers(c - 1)[8:]}"
                                          for c in picks],
        "email": [email_of(c).upper() if c % 2 else email_of(c) for c in picks],
        "external id (CRM-…)": [f"CRM-{c:08d}" for c in (c if c % 5 else c + 1 for c in picks)],
        "external id (digits only)": [external_id(c - c % 5 or 5) for c in picks],
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def time_searches(app, kinds: dict[str, list[str]], rounds: int) -> dict[str, dict]:
    results = {}
    with app.app_context():
        for kind, qs in kinds.items():
            for q in qs:  # warm-up: the first read of an index's pages is the disk's, not the query's
                records.search(region=REGION, q=q)
                db.session.remove()
            timings, found = [], []
            for _ in range(rounds):
                for q in qs:
                    started = time.perf_counter()
                    page = records.search(region=REGION, q=q)
                    timings.append((time.perf_counter() - started) * 1000)
                    found.append(page.total)
                    db.session.remove()
            results[kind] = {"n": len(timings), "p50": percentile(timings, 50), "p95": percentile(timings, 95),
                             "max": max(timings), "found": statistics.mean(found), "example": qs[0],
                             "zero": sum(1 for f in found if f == 0)}
    return results


def explain(app, q: str) -> list[str]:
    """EXPLAIN ANALYZE of each statement `records.search(q=…)` runs, as the engine sent them."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            records.search(region=REGION, q=q)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
            db.session.remove()
        plans = []
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            for statement, parameters in statements[:2]:  # the count and the page; the rest load by id
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
                plans.append("\n".join(row[0] for row in cur.fetchall()))
            raw.rollback()
        finally:
            raw.close()
    return plans


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40, help="different queries per kind")
    parser.add_argument("--rounds", type=int, default=3, help="times each query is timed")
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    args = parser.parse_args(argv)
    if not services.postgres_available():
        print("PostgreSQL is not reachable: set TEST_POSTGRES_URL", file=sys.stderr)
        return 2

    url = create_database()
    print(f"database {url.rsplit('/', 1)[1]}", flush=True)
    try:
        app = make_app(url)
        numbers = Numbers()
        started = time.perf_counter()
        with app.app_context():
            upgrade(revision="0010-1")
        schema_s = time.perf_counter() - started
        loaded = load(url, args.customers, numbers)
        print(f"loaded {args.customers:,} customers, {loaded['phone_numbers']:,} numbers by COPY in "
              f"{loaded['copy_s']:.1f} s, indexes {loaded['indexes_s']:.1f} s (schema {schema_s:.1f} s)", flush=True)
        started = time.perf_counter()
        with app.app_context():
            upgrade()  # 0010: backfill name_search, build its trigram index
            db.engine.dispose()
        migrate_s = time.perf_counter() - started
        vacuum_s = vacuum(url)
        print(f"migration 0010 on {args.customers:,} customers: {migrate_s:.1f} s; VACUUM ANALYZE {vacuum_s:.1f} s",
              flush=True)

        kinds = queries(args.customers, args.queries, numbers)
        results = time_searches(app, kinds, args.rounds)
        print(f"\nrecords.search(q=…) at {args.customers:,} customers, {args.queries} queries x {args.rounds} "
              "rounds per kind, a fresh session each; ms")
        print("| query kind | example | p50 | p95 | max | found (mean) |")
        print("|---|---|---:|---:|---:|---:|")
        for kind, r in results.items():
            print(f"| {kind} | `{r['example']}` | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | "
                  f"{r['found']:,.1f} |")
        missed = {kind: r["zero"] for kind, r in results.items() if r["zero"]}
        if missed:
            print(f"\nqueries that found nobody (each is aimed at a real customer): {missed}")

        scans = 0
        for kind, qs in kinds.items():
            plans = explain(app, qs[0])
            print(f"\n--- EXPLAIN {kind}: q={qs[0]!r}")
            for label, plan in zip(("count", "page"), plans):
                print(f"[{label}]\n{plan}")
                scans += any(f"Seq Scan on {table}" in plan for table in ("customers", "phone_numbers"))
        print(f"\nplans with a sequential scan of customers or phone_numbers: {scans}")
        with app.app_context():
            db.engine.dispose()
        return 1 if scans or missed else 0
    finally:
        if args.keep:
            print(f"kept: {url}")
        else:
            services.drop_postgres_database(url)
            print(f"dropped {url.rsplit('/', 1)[1]}")


if __name__ == "__main__":
    sys.exit(main())
