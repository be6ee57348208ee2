"""The app's own CPU per call: the three webhooks of one call, in one process, without sockets.

`make bench` found the app's CPU per call (~30 ms for the voice webhook and its two status
callbacks, against ~10 ms for the bare stack) to be what caps the calls per second on 2 cores.
This measures exactly that work, in about a minute, so a change to it can be judged before and
after without the 10-minute run: each call is the voice webhook and the `in-progress` and
`completed` status callbacks, signed as the provider signs them and posted through Flask's test
client into the real app, on a fresh database (PostgreSQL by default, dropped at the end).

It prints, per webhook, this process's CPU time (`time.process_time`: the app's Python, the
driver's, the test client's; not the database server's) and the SQL statements sent. The agents
are online (a presence row each, no socket), so routing and the audience are read for all of
them as in production; nobody holds a call, so every call rings `DIAL_MAX_AGENTS` of them.

    .venv/bin/python scripts/bench_webhooks.py                       # 200 agents, 400 calls, 3 rounds
    .venv/bin/python scripts/bench_webhooks.py --agents 1000 --database sqlite

CPU time on a shared 2-core machine moves 10-20 % between runs of the same code. Instructions
do not: under valgrind, `--callgrind` counts only the measured rounds (the seeding and warm-up
run uninstrumented), the same to within about 1 % run after run, so two versions of the code can
be told apart by a few percent. Divide the `totals:` line by the calls:

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/kc.cg \
        .venv/bin/python scripts/bench_webhooks.py --callgrind --calls 40 --rounds 1 --customers 100
    grep ^totals: /tmp/kc.cg                                          # instructions for 40 calls
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from app import create_app, jobs  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import AgentPresence, utcnow  # noqa: E402
from tests.factories import make_customer, make_user  # noqa: E402
from tests.support import services  # noqa: E402
from tests.support.provider import Provider  # noqa: E402

WEBHOOKS = ("voice", "in-progress", "completed")


def seed(app, agents: int, customers: int) -> list[str]:
    """`agents` agents online for the next hours, a supervisor, and `customers` customers with one
    number each (returned)."""
    with app.app_context():
        users = [make_user(f"agent{i:04d}") for i in range(agents)]
        make_user("supervisor", role="supervisor")
        db.session.flush()
        now = utcnow()
        db.session.add_all(AgentPresence(sid=f"bench-{u.id}", user_id=u.id, connected_at=now,
                                         last_seen_at=now + timedelta(hours=6)) for u in users)
        numbers = [f"+1415{5550000 + i:07d}" for i in range(customers)]
        for i, number in enumerate(numbers):
            make_customer(f"Customer {i}", phones=(number,))
        db.session.commit()
    return numbers


def run(app, numbers: list[str], calls: int, statements: dict | None, current: list) -> dict[str, float]:
    """Post `calls` calls' webhooks; returns the CPU seconds spent per webhook."""
    provider = Provider.of(app)
    cpu = defaultdict(float)
    for _ in range(calls):
        call_sid = None
        for kind in WEBHOOKS:
            current[0] = kind
            started = time.process_time()
            if kind == "voice":
                call_sid, response = provider.call(from_=random.choice(numbers))
            else:
                response = provider.status(call_sid, kind, duration=30 if kind == "completed" else None)
            cpu[kind] += time.process_time() - started
            if response.status_code != 200:
                raise SystemExit(f"{kind} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    current[0] = None
    return cpu


@contextmanager
def fresh_app(database: str, prefix: str):
    """The real app (testing config) on a fresh database with its schema: PostgreSQL (made here,
    dropped at the end, also on an error) or SQLite in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        url = services.create_postgres_database() if database == "postgresql" else f"sqlite:///{folder}/bench.db"
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SPOOL_DIR=f"{folder}/spool")
        try:
            with app.app_context():
                db.create_all()
            yield app
        finally:
            jobs.stop()
            with app.app_context():
                db.engine.dispose()
            if database == "postgresql":
                services.drop_postgres_database(url)


def instrument(under_callgrind: bool, state: str) -> None:
    """Turn callgrind's counting of this process on or off (`callgrind_control -i`)."""
    if under_callgrind:
        subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--calls", type=int, default=400, help="calls per round (default 400)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds, after one warm-up (default 3)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--callgrind", action="store_true",
                        help="under valgrind --tool=callgrind --instr-atstart=no: count the measured rounds only")
    args = parser.parse_args()
    random.seed(7)

    with fresh_app(args.database, "kc-bench-webhooks-") as app:
        numbers = seed(app, args.agents, args.customers)
        statements: dict[str, int] = defaultdict(int)
        current: list = [None]
        with app.app_context():
            @event.listens_for(db.engine, "before_cursor_execute")
            def _count(_conn, _cursor, _statement, _params, _context, _many):
                if current[0] is not None:
                    statements[current[0]] += 1

        run(app, numbers, max(20, args.calls // 10), None, current)  # warm-up: caches, the pool
        statements.clear()
        instrument(args.callgrind, "on")
        rounds = [run(app, numbers, args.calls, statements, current) for _ in range(args.rounds)]
        instrument(args.callgrind, "off")

    measured = args.calls * args.rounds
    print(f"{args.agents} agents online, {args.customers} customers, {args.database}; "
          f"{args.rounds} rounds of {args.calls} calls (CPU ms per call: median of the rounds, min-max)")
    print(f"{'webhook':<12} {'cpu ms':>8} {'min-max':>13} {'statements':>11}")
    for kind in (*WEBHOOKS, "per call"):
        per_round = [sum(r.values()) if kind == "per call" else r[kind] for r in rounds]
        per_call = [1000 * seconds / args.calls for seconds in per_round]
        count = sum(statements.values()) if kind == "per call" else statements[kind]
        print(f"{kind:<12} {statistics.median(per_call):8.2f} {min(per_call):6.2f}-{max(per_call):<6.2f} "
              f"{count / measured:11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
