#!/usr/bin/env python
"""Webhook-to-pop latency: how long after the provider posts a call does each agent see the pop?

Starts the app as `make run` does (one gunicorn process, SQLite by default), seeds customers,
connects agent sockets, fires correctly signed inbound-call webhooks at a fixed rate, and measures
for every pop the time from sending the webhook to each agent's receipt, plus the webhook response
time the provider sees. Prints a table and writes JSON to bench-results/.

    .venv/bin/python scripts/bench_pop.py                      # 200 calls, 20/s, 5 agents, SQLite
    .venv/bin/python scripts/bench_pop.py --calls 500 --rate 50 --agents 20
    .venv/bin/python scripts/bench_pop.py --database postgresql --queue redis
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Customer, PhoneNumber, Preference, User  # noqa: E402
from app.services.people import accounts  # noqa: E402
from tests.support import services  # noqa: E402
from tests.support.provider import sign, voice_params  # noqa: E402
from tests.support.servers import start_server  # noqa: E402

AUTH_TOKEN = "bench-" + uuid.uuid4().hex


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def seed(database_url: str, customers: int, agents: int) -> tuple[list[str], list[str]]:
    """Customers with one number each (bulk inserts), plus agent users; returns numbers and tokens."""
    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                     SECRET_KEY="bench")
    with app.app_context():
        db.create_all()
        numbers = [f"+1415{2000000 + i:07d}" for i in range(customers)]
        batch = 5000
        for start in range(0, customers, batch):
            rows = [{"id": start + i + 1, "name": f"Customer {start + i + 1}", "tier": "standard"}
                    for i in range(min(batch, customers - start))]
            db.session.execute(Customer.__table__.insert(), rows)
            db.session.execute(PhoneNumber.__table__.insert(),
                               [{"customer_id": r["id"], "e164": numbers[r["id"] - 1], "label": "mobile"}
                                for r in rows])
            db.session.execute(Preference.__table__.insert(),
                               [{"customer_id": r["id"], "key": "callback", "value": "evenings"} for r in rows])
        db.session.commit()
        tokens = []
        for i in range(agents):
            user = User(username=f"bench{i}", display_name=f"Bench Agent {i}", role="agent")
            user.set_password(uuid.uuid4().hex)
            db.session.add(user)
            db.session.commit()
            tokens.append(accounts.issue_token(user, 2)[0])
        db.engine.dispose()
    return numbers, tokens


def run(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="kc-bench-"))
    if args.database == "postgresql":
        database_url = services.create_postgres_database()
    else:
        database_url = f"sqlite:///{workdir / 'bench.db'}"
    started = time.perf_counter()
    numbers, tokens = seed(database_url, args.customers, args.agents)
    seed_seconds = time.perf_counter() - started

    env = {"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SECRET_KEY": "bench",
           "LOG_LEVEL": "WARNING", "KNOWNCALLER_ENV": "development"}
    if args.queue == "redis":
        env.update(SOCKETIO_MESSAGE_QUEUE=services.REDIS_URL, SOCKETIO_CHANNEL="kc-bench-" + uuid.uuid4().hex)
    server = start_server(env, workdir, threads=max(32, args.agents * 2), name="bench")
    sent: dict[str, float] = {}
    received: dict[str, list[float]] = {}
    lock = threading.Lock()
    clients = []
    try:
        for token in tokens:
            client = socketio.Client(reconnection=False)

            @client.on("screen_pop")
            def on_pop(data, _client=client):
                now = time.perf_counter()
                with lock:
                    received.setdefault(data["call_sid"], []).append(now)

            client.connect(server.base_url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
            clients.append(client)

        session = requests.Session()
        url = server.base_url + "/twilio/voice"
        response_times: list[float] = []
        failures = 0
        interval = 1.0 / args.rate
        next_at = time.perf_counter()
        for i in range(args.calls):
            params = voice_params(from_=numbers[(i * 7919) % len(numbers)])
            headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, params)}
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            next_at += interval
            t0 = time.perf_counter()
            with lock:
                sent[params["CallSid"]] = t0
            reply = session.post(url, data=params, headers=headers, timeout=10)
            response_times.append(time.perf_counter() - t0)
            if reply.status_code != 200:
                failures += 1
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            with lock:
                if all(len(received.get(sid, [])) >= len(clients) for sid in sent):
                    break
            time.sleep(0.05)
    finally:
        for client in clients:
            client.disconnect()
        server.stop()
        if args.database == "postgresql":
            services.drop_postgres_database(database_url)

    latencies = [(t - sent[sid]) * 1000 for sid, times in received.items() if sid in sent for t in times[:len(clients)]]
    expected = len(sent) * len(clients)
    lost = sum(max(0, len(clients) - len(received.get(sid, []))) for sid in sent)
    duplicates = sum(max(0, len(times) - len(clients)) for times in received.values())
    webhook_ms = [t * 1000 for t in response_times]
    return {
        "database": args.database, "queue": args.queue, "customers": args.customers, "agents": args.agents,
        "calls": args.calls, "rate_per_s": args.rate, "seed_seconds": round(seed_seconds, 2),
        "pops_expected": expected, "pops_received": len(latencies), "lost": lost, "duplicates": duplicates,
        "webhook_failures": failures,
        "pop_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                   "p99": percentile(latencies, 99), "max": max(latencies, default=float("nan")),
                   "mean": statistics.fmean(latencies) if latencies else float("nan")},
        "webhook_ms": {"p50": percentile(webhook_ms, 50), "p95": percentile(webhook_ms, 95),
                       "p99": percentile(webhook_ms, 99), "max": max(webhook_ms, default=float("nan"))},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20, help="calls per second")
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--queue", choices=["none", "redis"], default="none")
    parser.add_argument("--out", default=str(ROOT / "bench-results"))
    args = parser.parse_args()
    result = run(args)
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    path = out / f"pop-{args.database}-{args.queue}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"{'':<22}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for label, key in (("webhook -> pop (ms)", "pop_ms"), ("webhook answer (ms)", "webhook_ms")):
        row = result[key]
        print(f"{label:<22}{row['p50']:>9.1f}{row['p95']:>9.1f}{row['p99']:>9.1f}{row['max']:>9.1f}")
    print(f"{result['calls']} calls at {result['rate_per_s']}/s to {result['agents']} agents, "
          f"{result['customers']} customers on {result['database']} (queue: {result['queue']}): "
          f"{result['pops_received']}/{result['pops_expected']} pops, lost {result['lost']}, "
          f"duplicates {result['duplicates']}, webhook failures {result['webhook_failures']}")
    print(f"written to {path}")
    return 0 if result["lost"] == 0 and result["webhook_failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
