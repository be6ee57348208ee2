"""What an open desktop's own HTTP reads cost the app: each read's CPU and time, in one process.

A desktop reads, by itself, its active calls every 30 s and its follow-ups, its figures and its
care list every minute (`scripts/bench_agents.py` DESKTOP_POLLS, as desktop.js does). At 1,000
agents that is about 80 requests a second before a single call arrives, so what each one costs
is a capacity figure. This posts each read with a bearer token, as an API client does, through
Flask's test client into the real app on a fresh database (PostgreSQL by default, dropped at the
end) holding `--agents` agents online, `--customers` customers, `--calls` calls already taken
(voice webhook and status callbacks, signed) and `--care-items` overdue complaints nobody was
given (on every agent's care list), and prints per read the median of this process's
CPU (`time.process_time`: the app's Python and the driver's, not the database server's), the
median wall time, and the statements sent.

    .venv/bin/python scripts/bench_desktop_reads.py                    # 200 agents, 2,000 customers
    .venv/bin/python scripts/bench_desktop_reads.py --customers 20000 --reads 100
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import Complaint, Customer, User, utcnow  # noqa: E402
from app.services.people import accounts  # noqa: E402
from scripts.bench_webhooks import fresh_app, seed  # noqa: E402
from scripts.bench_webhooks import run as take_calls  # noqa: E402

READS = ("/api/v1/calls?active=true", "/api/v1/follow-ups?status=open&owner=me", "/api/v1/me/figures",
         "/api/v1/care-list?mine=true", "/api/v1/care-list?mine=true&limit=3", "/api/v1/me")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=300, help="calls taken before the reads (default 300)")
    parser.add_argument("--reads", type=int, default=60, help="reads of each kind, after 10 to warm up (default 60)")
    parser.add_argument("--care-items", type=int, default=150,
                        help="overdue complaints nobody was given, on every agent's care list (default 150)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    random.seed(7)

    results = []
    with fresh_app(args.database, "kc-bench-reads-") as app:
        numbers = seed(app, args.agents, args.customers)
        take_calls(app, numbers, args.calls, None, [None])
        with app.app_context():
            overdue = utcnow() - timedelta(days=1)
            customers = db.session.scalars(select(Customer.id).order_by(Customer.id).limit(args.care_items)).all()
            db.session.add_all(Complaint(customer_id=customer, subject=f"Parcel {customer}", status="open",
                                         due_at=overdue, opened_at=overdue - timedelta(days=3))
                               for customer in customers)
            db.session.commit()
            agents = db.session.scalars(select(User).where(User.role == "agent").order_by(User.id).limit(20)).all()
            tokens = [accounts.issue_token(agent, 4)[0] for agent in agents]
            statements = [0]

            @event.listens_for(db.engine, "before_cursor_execute")
            def _count(*_args):
                statements[0] += 1

        client = app.test_client()
        for path in READS:
            cpu, wall = [], []
            statements[0] = 0
            for i in range(10 + args.reads):
                if i == 10:
                    statements[0] = 0
                headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(path, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
                if i >= 10:
                    cpu.append((time.process_time() - cpu_started) * 1000)
                    wall.append((time.perf_counter() - started) * 1000)
            results.append((path, statistics.median(cpu), statistics.median(wall), statements[0] / args.reads))

    print(f"{args.agents} agents online, {args.customers} customers, {args.calls} calls taken, {args.database}; "
          f"{args.reads} reads each (medians)")
    print(f"{'read':<44} {'cpu ms':>8} {'wall ms':>8} {'statements':>11}")
    for path, cpu_ms, wall_ms, count in results:
        print(f"{path:<44} {cpu_ms:8.2f} {wall_ms:8.2f} {count:11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
