"""The load `make bench` puts on the servers' database: the numbers callers call from, the customers
seeded behind them (PostgreSQL, by COPY), the agent users, and the lookup timed alone.

Run by scripts/bench.py; see its docstring for the whole run.
"""
from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.bench_report import percentiles  # noqa: E402
from tests.support import services  # noqa: E402

BIN = Path(sys.executable).parent
AUTH_TOKEN = "bench-" + uuid.uuid4().hex
SECRET_KEY = "bench-" + uuid.uuid4().hex


# --- numbers ------------------------------------------------------------------------------------

def prefixes(area_codes: int = 20) -> list[str]:
    """`+1 NPA NXX` prefixes that phonenumbers reads as valid US numbers, over real area codes."""
    import phonenumbers

    from app.services.phone_numbers import normalize

    prefixes = []
    for npa in range(201, 1000):
        if phonenumbers.region_code_for_number(phonenumbers.parse(f"+1{npa}2345678")) != "US":
            continue
        valid = [f"+1{npa}{nxx}" for nxx in range(200, 1000) if normalize(f"+1{npa}{nxx}4567") == f"+1{npa}{nxx}4567"]
        if len(valid) > 700:  # an area code in full use, not a special one
            prefixes.extend(valid)
            area_codes -= 1
            if not area_codes:
                break
    return prefixes


class Numbers:
    """The i-th distinct US number, +1 NPA NXX XXXX, spread over 20 real area codes."""

    def __init__(self) -> None:
        self.prefixes = prefixes()
        self.capacity = len(self.prefixes) * 10000

    def __call__(self, i: int) -> str:
        if i >= self.capacity:
            raise ValueError(f"only {self.capacity:,} distinct numbers")
        line = (i // len(self.prefixes)) * 7919 % 10000  # 7919 is prime to 10000: still distinct
        return f"{self.prefixes[i % len(self.prefixes)]}{line:04d}"


# --- seeding ------------------------------------------------------------------------------------

SEED_TABLES = ("customers", "phone_numbers", "preferences", "complaints")
PREFERENCES = (("language", "en"), ("language", "es"), ("contact", "email"), ("contact", "sms"),
               ("callback", "evenings"), ("milk", "high-calcium"), ("delivery", "leave at the door"))
COMPLAINTS = ("Late delivery", "Wrong item", "Billing error", "Damaged parcel", "Refund not received")
TIERS = ("standard",) * 6 + ("silver", "gold", "vip")


@dataclass(frozen=True)
class BenchUser:
    """A user the benchmark created: their username is their Twilio Client identity (no reach
    address), which is how a webhook's <Dial> names them."""

    username: str
    token: str


@dataclass
class Seeded:
    url: str
    customers: int
    seconds: float
    rows: dict
    agents: list[BenchUser]
    supervisors: list[BenchUser]
    known: list[str]  # callers' numbers to use: each customer's first number
    unknown_base: int  # numbers from here on belong to nobody


def _copy_text(rows) -> bytes:
    return "".join(rows).encode()


def _customer_rows(start: int, stop: int, now: str):
    for cid in range(start, stop):
        yield (f"{cid}\tCustomer {cid}\tcustomer{cid}@example.com\t{TIERS[cid % len(TIERS)]}\t"
               f"CRM-{cid:08d}\t{now}\t{now}\n")


def seed_database(url: str, customers: int, agents: int, supervisors: int, numbers: Numbers) -> Seeded:
    """Schema by `flask db upgrade`, then customers by COPY with the indexes built afterwards."""
    import psycopg

    started = time.perf_counter()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "KNOWNCALLER_ENV": "production", "LOG_LEVEL": "WARNING", "FLASK_APP": "wsgi"}
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    schema_s = time.perf_counter() - started
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = now.isoformat(sep=" ", timespec="seconds")
    due_soon = (now + timedelta(hours=24)).isoformat(sep=" ", timespec="seconds")
    overdue = (now - timedelta(hours=2)).isoformat(sep=" ", timespec="seconds")
    rows = dict.fromkeys(SEED_TABLES, 0)
    batch = 50_000
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        cur = conn.cursor()
        # Plain indexes are dropped and rebuilt after the load (much faster than maintaining them
        # row by row); TRUNCATE in this transaction lets COPY write frozen rows, so the first reads
        # do not pay for setting hint bits, and FK triggers are off for the load only.
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)", (list(SEED_TABLES),))
        indexes = cur.fetchall()
        cur.execute("TRUNCATE " + ", ".join(SEED_TABLES) + " CASCADE")
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SET session_replication_role = replica")
        load_started = time.perf_counter()
        with cur.copy("COPY customers (id, name, email, tier, external_id, created_at, updated_at) "
                      "FROM STDIN WITH (FREEZE)") as copy:
            for start in range(1, customers + 1, batch):
                stop = min(customers + 1, start + batch)
                copy.write(_copy_text(_customer_rows(start, stop, stamp)))
        rows["customers"] = customers
        with cur.copy("COPY phone_numbers (customer_id, e164, label, created_at) FROM STDIN WITH (FREEZE)") as copy:
            chunk = []
            for cid in range(1, customers + 1):
                chunk.append(f"{cid}\t{numbers(cid - 1)}\tmobile\t{stamp}\n")
                if cid % 10 < 3:  # 30% have a second, own number
                    chunk.append(f"{cid}\t{numbers(customers + cid - 1)}\twork\t{stamp}\n")
                elif cid % 100 == 55:  # 1% share a household number with the customer before them
                    chunk.append(f"{cid}\t{numbers(cid - 2)}\thome\t{stamp}\n")
                if len(chunk) >= batch:
                    rows["phone_numbers"] += len(chunk)
                    copy.write(_copy_text(chunk))
                    chunk = []
            rows["phone_numbers"] += len(chunk)
            copy.write(_copy_text(chunk))
        with cur.copy("COPY preferences (customer_id, key, value, recorded_at) FROM STDIN WITH (FREEZE)") as copy:
            chunk = []
            for cid in range(1, customers + 1):
                for k in range(1 + cid % 2):  # one or two preferences each
                    key, value = PREFERENCES[(cid + 3 * k) % len(PREFERENCES)]
                    chunk.append(f"{cid}\t{key}\t{value}\t{stamp}\n")
                if len(chunk) >= batch:
                    rows["preferences"] += len(chunk)
                    copy.write(_copy_text(chunk))
                    chunk = []
            rows["preferences"] += len(chunk)
            copy.write(_copy_text(chunk))
        with cur.copy("COPY complaints (customer_id, subject, severity, status, opened_at, due_at) "
                      "FROM STDIN WITH (FREEZE)") as copy:
            chunk = []
            for cid in range(1, customers + 1):
                if cid % 5 == 0:  # 20% have an open complaint, some of them overdue
                    due = overdue if cid % 15 == 0 else due_soon
                    chunk.append(f"{cid}\t{COMPLAINTS[cid % len(COMPLAINTS)]}\thigh\topen\t{stamp}\t{due}\n")
                if cid % 7 == 0:  # and some a resolved one, which a pop must not show
                    chunk.append(f"{cid}\tOld issue\tlow\tresolved\t{stamp}\t{stamp}\n")
                if len(chunk) >= batch:
                    rows["complaints"] += len(chunk)
                    copy.write(_copy_text(chunk))
                    chunk = []
            rows["complaints"] += len(chunk)
            copy.write(_copy_text(chunk))
        load_s = time.perf_counter() - load_started
        cur.execute("SET session_replication_role = origin")
        index_started = time.perf_counter()
        cur.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("SELECT setval(pg_get_serial_sequence('customers', 'id'), %s)", (customers,))
        conn.commit()
        index_s = time.perf_counter() - index_started
        conn.autocommit = True
        cur.execute("ANALYZE")
    agent_users, supervisor_users = create_users(url, agents, supervisors)
    seconds = time.perf_counter() - started
    print(f"  seeded {customers:,} customers ({', '.join(f'{n:,} {t}' for t, n in rows.items())}) "
          f"in {seconds:.1f} s: schema {schema_s:.1f} s, COPY {load_s:.1f} s, indexes {index_s:.1f} s", flush=True)
    known = [numbers(i) for i in range(customers)]
    return Seeded(url, customers, round(seconds, 2),
                  {**rows, "schema_s": round(schema_s, 2), "copy_s": round(load_s, 2), "index_s": round(index_s, 2)},
                  agent_users, supervisor_users, known, unknown_base=2 * customers + 10)


def bench_app(url: str):
    from app import create_app

    return create_app("production", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET_KEY,
                      TWILIO_AUTH_TOKEN=AUTH_TOKEN, SOCKETIO_MESSAGE_QUEUE=None,
                      SPOOL_DIR=os.path.join(tempfile.gettempdir(), "kc-bench-spool"))  # stays empty


def create_users(url: str, agents: int, supervisors: int) -> tuple[list[BenchUser], list[BenchUser]]:
    """Agent and supervisor users and their API tokens, through the accounts service.

    The password KDF is slow on purpose, so one user is created by the service and the others
    reuse its hash (nobody logs in with a password here). Nobody chooses a status: agents start
    available (SPEC §11), supervisors away, so only agents are offered calls, and supervisors are
    in every call's audience.
    """
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import User
    from app.services.people import accounts
    from app.services.people import users as users_service

    app = bench_app(url)
    with app.app_context():
        first = users_service.create_user("bench-agent-0", uuid.uuid4().hex, region="US", role="agent",
                                          display_name="Bench Agent 0")
        rows = [{"username": f"bench-agent-{i}", "display_name": f"Bench Agent {i}", "role": "agent"}
                for i in range(1, agents)]
        rows += [{"username": f"bench-supervisor-{i}", "display_name": f"Bench Supervisor {i}", "role": "supervisor"}
                 for i in range(supervisors)]
        if rows:
            db.session.execute(insert(User), [{**row, "reach_kind": "client", "password_hash": first.password_hash,
                                               "active": True} for row in rows])
            db.session.commit()
        out: dict[str, list[BenchUser]] = {"agent": [], "supervisor": []}
        for user in db.session.scalars(db.select(User).where(User.username.like("bench-%")).order_by(User.id)):
            out[user.role].append(BenchUser(user.username, accounts.issue_token(user, 4)[0]))
        db.engine.dispose()
    return out["agent"], out["supervisor"]


# --- the lookup alone ---------------------------------------------------------------------------

def time_lookups(databases: dict[str, Seeded], count: int) -> dict:
    """`recognize()` on `count` random known numbers per database, one session per lookup.

    The databases take turns, lookup by lookup, so whatever else the machine is doing weighs on
    each of them alike; a warm-up first, as a server that has been answering calls would be.
    """
    from sqlalchemy import text

    from app.extensions import db
    from app.services.calls.recognition import recognize

    rng = random.Random(7)
    apps = {name: bench_app(seeded.url) for name, seeded in databases.items()}
    out = {}
    for name, seeded in databases.items():
        with apps[name].app_context():
            plan = db.session.execute(text("EXPLAIN SELECT customer_id FROM phone_numbers WHERE e164 = :n"),
                                      {"n": seeded.known[0]}).scalars().all()
            db.session.remove()
        out[name] = {"customers": seeded.customers, "lookups": count, "match_kinds": {}, "timings": [],
                     "plan": " / ".join(line.strip() for line in plan)}
    for round_ in range(300 + count):
        for name, seeded in databases.items():
            number = rng.choice(seeded.known)
            with apps[name].app_context():
                started = time.perf_counter()
                result = recognize(number, "US")
                elapsed = (time.perf_counter() - started) * 1000
                db.session.remove()
            if round_ >= 300:
                out[name]["timings"].append(elapsed)
                kinds = out[name]["match_kinds"]
                kinds[result.match_kind] = kinds.get(result.match_kind, 0) + 1
    for name, app in apps.items():
        with app.app_context():
            db.engine.dispose()
        timings = out[name].pop("timings")
        out[name]["ms"] = {"mean": statistics.fmean(timings), **percentiles(timings)}
    return out


def create_database() -> str:
    """A fresh database named kc_bench_…, so a run's leftovers are recognisable as the benchmark's."""
    import sqlalchemy as sa

    name = f"kc_bench_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(services.POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return services.POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
