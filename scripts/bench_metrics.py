#!/usr/bin/env python
"""`make bench-metrics`: the supervisor's figures (SPEC §12) over a year of 1,000,000 calls on PostgreSQL.

Issue 12 asks that one range over 1,000,000 calls answers within a second, computed in SQL. This
script measures it with the app's own functions, not hand-written SQL:

1. Makes a fresh database kc_bench_metrics_<random> (dropped at the end, also on Ctrl-C or an
   error, unless --keep) and builds the schema with the app's migrations (`flask_migrate.upgrade`)
   up to 0014.
2. Seeds a realistic year by COPY (plain indexes dropped first and rebuilt after, FK triggers off
   for the load), from a seeded RNG so every run seeds the same rows relative to now:
   - 200 agents, 2 supervisors; 200,000 customers (80 % standard, 12 % silver, 6 % gold, 2 % VIP)
     created over the past 2 years, each with a number (a quarter with a second one);
   - 1,000,000 inbound calls over the last 365 days, weekdays and business hours heavier; 20 % from
     callers no customer has (a pool of numbers, some withheld); about 12 % of the known callers'
     calls follow one of theirs from a few minutes to a few hours before (repeat calls); 88 %
     answered (a wait of 0-120 s, mostly short; 1-15 min of talk; a wrap-up of 10-90 s for 90 %,
     none saved for the rest), 7 % abandoned, 3 % voicemail, 2 % callback requests; 15 live calls
     in the last few minutes; 10,000 outbound calls (callbacks);
   - answered surveys for 30 % of the answered calls (scores 0-10 skewed to promoters, a few
     minutes after the call), and unanswered ones for another 10 %;
   - a few thousand promises, follow-ups (detractor, voicemail, callback, manual) and complaints,
     most closed within the year, some overdue;
   then ANALYZE.
3. Times, inside an app context bound to that database, each after one warm-up and with a fresh
   session each time as a request would have: `metrics.figures` over today, the last 30 days and
   the last 366 days (every call); `metrics.series` hourly for today, daily for 30 and 366 days;
   `scorecards.scorecards` for 30 days and the year; `care_list.care_list` for a supervisor and for
   an agent (limit 100). Prints min / median / max in ms, the rows seeded and the machine.
4. Captures the statements `metrics.figures` runs over the year (a `before_cursor_execute`
   listener) and writes EXPLAIN (ANALYZE, BUFFERS) of its main one (the calls, each with its
   caller's previous and next call stored on it) to bench-results/metrics-explain-<timestamp>.txt,
   with the plan's costliest nodes by their own time.

The schema is built and seeded at migration 0014; migration 0015 then runs over the seeded calls
(timed and printed: it stores each call's previous and next call from the same caller, as on an
upgraded installation), and the table is compacted, since the app writes those with each call and
leaves no dead rows behind.

    .venv/bin/python scripts/bench_metrics.py                  # 1,000,000 calls (~3 min on 2 cores)
    .venv/bin/python scripts/bench_metrics.py --calls 100000 --customers 20000 --runs 3
    .venv/bin/python scripts/bench_metrics.py --keep           # leave the database for psql

Needs PostgreSQL (`TEST_POSTGRES_URL`, default postgres@127.0.0.1:5432).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services.insight import care_list, metrics, ranges, scorecards  # noqa: E402
from app.services.insight.ranges import TimeRange  # noqa: E402
from app.settings import settings  # noqa: E402
from tests.support import services  # noqa: E402

SECRET = "bench-" + uuid.uuid4().hex
SEEDED_AT = "0014"  # the schema the rows are seeded into; the migrations after it then run over them
OUR_NUMBER = "+14155550100"
TABLES = ("users", "customers", "phone_numbers", "calls", "surveys", "follow_ups", "promises", "complaints")
DAY = 86400
# Arrivals by hour of the day (UTC) and by weekday: business hours and weekdays heavier.
HOUR_WEIGHTS = (0.08, 0.05, 0.05, 0.05, 0.08, 0.15, 0.35, 0.7, 1.2, 1.6, 1.7, 1.6, 1.3, 1.4, 1.6, 1.5, 1.3, 1.0,
                0.7, 0.5, 0.35, 0.25, 0.15, 0.1)
WEEKDAY_WEIGHTS = (1.0, 1.0, 0.95, 0.95, 0.9, 0.45, 0.25)  # Monday .. Sunday
SCORE_WEIGHTS = (2, 1, 1, 1.5, 2, 3, 4, 8, 14, 25, 38.5)  # 0..10: ~14 % detractors, ~63 % promoters
TIER_WEIGHTS = (("standard", 80), ("silver", 12), ("gold", 6), ("vip", 2))
DISPOSITIONS = ("resolved", "resolved", "resolved", "information", "escalated", "sale", "callback")


# --- the database -------------------------------------------------------------------------------

def create_database() -> str:
    name = f"kc_bench_metrics_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(services.POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return services.POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def make_app(url: str):
    return create_app("production", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET, TWILIO_AUTH_TOKEN=SECRET,
                      SOCKETIO_MESSAGE_QUEUE=None, LOG_LEVEL="WARNING",
                      SPOOL_DIR=os.path.join(tempfile.gettempdir(), "kc-bench-metrics-spool"))


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --- seeding ------------------------------------------------------------------------------------

class Clock:
    """Timestamps as whole seconds after `origin`, written the way COPY reads them."""

    def __init__(self, origin: datetime) -> None:
        self.origin = origin

    def __call__(self, seconds: float | None) -> str:
        if seconds is None:
            return "\\N"
        return (self.origin + timedelta(seconds=int(seconds))).isoformat(sep=" ")


def _row(*values) -> str:
    return "\t".join("\\N" if v is None else str(v) for v in values) + "\n"


class Writer:
    """Rows for one COPY, sent in chunks."""

    def __init__(self, copy, chunk: int = 20_000) -> None:
        self.copy, self.chunk, self.rows, self.count = copy, chunk, [], 0

    def add(self, line: str) -> None:
        self.rows.append(line)
        if len(self.rows) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.copy.write("".join(self.rows))
            self.count += len(self.rows)
            self.rows = []


def _arrivals(rng: random.Random, count: int, span_s: int, origin: datetime) -> list[int]:
    """`count` arrival times (seconds after `origin`, within `span_s`), weighted by weekday and
    hour (rejection sampling), in order."""
    top = max(HOUR_WEIGHTS) * max(WEEKDAY_WEIGHTS)
    weekday0 = origin.weekday()
    hour0 = origin.hour + origin.minute / 60
    out = []
    random_ = rng.random
    while len(out) < count:
        t = random_() * span_s
        hours = hour0 + t / 3600
        weight = HOUR_WEIGHTS[int(hours) % 24] * WEEKDAY_WEIGHTS[(weekday0 + int(hours // 24)) % 7]
        if random_() * top < weight:
            out.append(int(t))
    out.sort()
    return out


def seed(url: str, *, calls: int, customers: int, agents: int, outbound: int, now: datetime, rng_seed: int) -> dict:
    """Users, customers, numbers, a year of calls, surveys and the care records, by COPY."""
    import psycopg
    from werkzeug.security import generate_password_hash

    rng = random.Random(rng_seed)
    started = time.perf_counter()
    year_s = 365 * DAY
    origin = now - timedelta(seconds=2 * year_s)  # t = 0: two years ago (the oldest customer)
    ts = Clock(origin)
    now_t = 2 * year_s
    rows: dict[str, int] = {}
    with psycopg.connect(_libpq(url)) as conn:
        cur = conn.cursor()
        # Plain indexes go before the load and are built after it (much faster than row by row);
        # TRUNCATE in this transaction lets COPY write frozen, all-visible rows; FK triggers are off.
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)", (list(TABLES),))
        indexes = cur.fetchall()
        cur.execute("TRUNCATE " + ", ".join(TABLES) + " CASCADE")
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SET session_replication_role = replica")

        # Users: agents 1..agents, then two supervisors. Nobody logs in: one hash serves all.
        password_hash = generate_password_hash(uuid.uuid4().hex)
        agent_ids = list(range(1, agents + 1))
        supervisor_ids = [agents + 1, agents + 2]
        with cur.copy("COPY users (id, username, display_name, password_hash, role, reach_kind, active, "
                      "created_at, watch_all) FROM STDIN WITH (FREEZE)") as copy:
            w = Writer(copy)
            for uid in agent_ids:
                w.add(_row(uid, f"agent-{uid}", f"Agent {uid:03d}", password_hash, "agent", "client", "t",
                           ts(0), "f"))
            for i, uid in enumerate(supervisor_ids):
                w.add(_row(uid, f"supervisor-{i}", f"Supervisor {i}", password_hash, "supervisor", "client", "t",
                           ts(0), "f"))
            w.flush()
            rows["users"] = w.count

        # Customers: id order is creation order, spread over the two years.
        tiers = [t for t, _ in TIER_WEIGHTS]
        tier_weights = [w for _, w in TIER_WEIGHTS]
        customer_tier = [None] + rng.choices(tiers, tier_weights, k=customers)
        created = [None] + [int((cid - 1) * (now_t - DAY) / customers) for cid in range(1, customers + 1)]
        with cur.copy("COPY customers (id, name, name_search, email, tier, external_id, created_at, updated_at, "
                      "version, do_not_survey) FROM STDIN WITH (FREEZE)") as copy:
            w = Writer(copy)
            for cid in range(1, customers + 1):
                stamp = ts(created[cid])
                w.add(_row(cid, f"Customer {cid}", f"customer {cid}", f"customer{cid}@example.com",
                           customer_tier[cid], f"CRM-{cid:08d}", stamp, stamp, 1, "f"))
            w.flush()
            rows["customers"] = w.count

        def phone(cid: int) -> str:
            return f"+1212{cid:07d}"

        with cur.copy("COPY phone_numbers (customer_id, e164, label, created_at) FROM STDIN WITH (FREEZE)") as copy:
            w = Writer(copy)
            for cid in range(1, customers + 1):
                stamp = ts(created[cid])
                w.add(_row(cid, phone(cid), "mobile", stamp))
                if cid % 4 == 0:
                    w.add(_row(cid, f"+1332{cid:07d}", "work", stamp))
            w.flush()
            rows["phone_numbers"] = w.count

        # Calls: inbound arrivals over the last 365 days, outbound ones mixed in, ids in time order.
        year_start = now_t - year_s
        inbound_at = _arrivals(rng, calls - 15, year_s - 600, origin + timedelta(seconds=year_start))
        timeline = [(year_start + t, "in") for t in inbound_at]
        timeline += [(year_start + int(rng.random() * (year_s - 3600)), "out") for _ in range(outbound)]
        timeline.sort()
        timeline += [(now_t - 300 + 20 * i, "live") for i in range(15)]  # live now: answered or waiting
        unknown_pool = max(1000, calls // 7)
        survey_candidates = []  # (call id, customer, agent, ended)
        voicemails, callbacks_asked, care_sources = [], [], []
        recent_known: list[int] = []  # the customers of the last known callers, for repeat calls
        counts = dict.fromkeys(("inbound", "outbound", "live", "answered", "abandoned", "voicemail", "callback",
                                "unknown_caller", "withheld", "repeat_seeded", "wrapped"), 0)
        with cur.copy("COPY calls (id, call_sid, direction, from_raw, from_e164, to_raw, to_e164, match_kind, "
                      "customer_id, status, status_sequence, started_at, answered_at, ended_at, duration, agent_id, "
                      "connected_at, lookup_failed, disposition, recording_url, news_at, unsettled, queued_at, "
                      "queue_state, queue_tier, queue_attempts, wrapped_at, routing_reason) "
                      "FROM STDIN WITH (FREEZE)") as copy:
            w = Writer(copy, chunk=50_000)
            random_ = rng.random
            for call_id, (t, kind) in enumerate(timeline, start=1):
                sid = f"CA{call_id:032x}"
                if kind == "out":
                    counts["outbound"] += 1
                    cid = 1 + int(random_() * customers * t / now_t)
                    agent = agent_ids[int(random_() * agents)]
                    answered = random_() < 0.7
                    connected = t + 5 + int(random_() * 20) if answered else None
                    ended = (connected + 60 + int(random_() * 600)) if answered else t + 30
                    w.add(_row(call_id, sid, "outbound", OUR_NUMBER, OUR_NUMBER, phone(cid), phone(cid), "single",
                               cid, "completed" if answered else "no-answer", 4, ts(t), ts(connected), ts(ended),
                               ended - t, agent, ts(connected), "f", "callback" if answered else None, None,
                               ts(ended), "f", None, None, None, 0, ts(ended + 30) if answered else None, "callback"))
                    continue
                counts["inbound"] += 1
                # Who calls: a known customer (80 %), or a number no customer has (20 %, a few withheld).
                r = random_()
                if r < 0.185:
                    counts["unknown_caller"] += 1
                    cid, match = None, "none"
                    number = f"+1646{int(unknown_pool * random_() ** 2):07d}"  # some unknown numbers call often
                elif r < 0.20:
                    counts["unknown_caller"] += 1
                    counts["withheld"] += 1
                    cid, match, number = None, "withheld", None
                else:
                    if recent_known and random_() < 0.12:  # calls back soon after an earlier call
                        cid = recent_known[-1 - int(random_() * min(len(recent_known), 400))]
                        counts["repeat_seeded"] += 1
                    else:
                        cid = 1 + int(random_() * (customers * t / now_t))
                    match, number = "single", phone(cid)
                    recent_known.append(cid)
                    if len(recent_known) > 2000:
                        del recent_known[:1000]
                tier = {"vip": 0, "gold": 1, "silver": 2}.get(customer_tier[cid], 3) if cid else 3
                agent = connected = ended = wrapped = recording = queue_state = queued = disposition = None
                status, sequence = "completed", 4
                if kind == "live":
                    counts["live"] += 1
                    if call_id % 2:
                        agent, connected, status, sequence = agent_ids[call_id % agents], t + 8, "in-progress", 3
                    else:
                        queued, queue_state, status, sequence = t, "waiting", "ringing", 2
                else:
                    r = random_()
                    if r < 0.88:
                        counts["answered"] += 1
                        wait = min(120, int(rng.expovariate(1 / 13)))
                        connected = t + wait
                        ended = connected + 60 + int(840 * random_() ** 1.6)
                        agent = agent_ids[int(random_() * agents)]
                        if wait > 5:
                            queued, queue_state = t, "moved"
                        if random_() < 0.9:
                            wrapped = ended + 10 + int(random_() * 80)
                            disposition = DISPOSITIONS[int(random_() * len(DISPOSITIONS))]
                            counts["wrapped"] += 1
                        if ended < now_t - 3600:
                            survey_candidates.append((call_id, cid, agent, ended, number))
                    elif r < 0.95:
                        counts["abandoned"] += 1
                        ended = t + 5 + int(random_() * 175)
                        if random_() < 0.6:
                            queued, queue_state = t, "left"
                    elif r < 0.98:
                        counts["voicemail"] += 1
                        ended = t + 30 + int(random_() * 90)
                        queued, queue_state = t, "voicemail"
                        recording = f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE{call_id:032x}"
                        voicemails.append((call_id, cid, ended))
                    else:
                        counts["callback"] += 1
                        ended = t + 20 + int(random_() * 70)
                        queued, queue_state = t, "callback"
                        callbacks_asked.append((call_id, cid, ended))
                    if connected is not None and cid is not None and random_() < 0.02:
                        care_sources.append((call_id, cid, agent, ended))
                w.add(_row(call_id, sid, "inbound", number or "anonymous", number, OUR_NUMBER, OUR_NUMBER, match,
                           cid, status, sequence, ts(t), ts(connected), ts(ended),
                           None if ended is None else ended - t, agent, ts(connected), "f", disposition, recording,
                           ts(ended if ended is not None else t), "f", ts(queued), queue_state,
                           tier if queued is not None else None, 0, ts(wrapped),
                           "available" if agent is not None else None))
            w.flush()
            rows["calls"] = w.count
        call_count = len(timeline)

        # Surveys: 30 % of answered calls answered one (IVR right after, SMS within half an hour),
        # another 10 % were asked and did not answer.
        scores = list(range(11))
        with cur.copy("COPY surveys (call_id, customer_id, agent_id, channel, language, to_e164, status, score, "
                      "created_at, sent_at, answered_at) FROM STDIN WITH (FREEZE)") as copy:
            w = Writer(copy, chunk=50_000)
            answered_surveys = 0
            detractors = []
            for call_id, cid, agent, ended, number in survey_candidates:
                r = random_()
                if r >= 0.40:
                    continue
                ivr = random_() < 0.6 or number is None
                sent = ended + (5 if ivr else 60 + int(random_() * 240))
                if r < 0.30:
                    score = rng.choices(scores, SCORE_WEIGHTS)[0]
                    answered_at = sent + (20 + int(random_() * 60) if ivr else 60 + int(random_() * 1500))
                    status = "answered"
                    answered_surveys += 1
                    if score <= 6 and cid is not None:
                        detractors.append((call_id, cid, agent, answered_at, score))
                else:
                    score, answered_at, status = None, None, "sent" if ivr else "expired"
                w.add(_row(call_id, cid, agent, "ivr" if ivr else "sms", "en", None if ivr else number, status,
                           score, ts(sent), ts(sent), ts(answered_at)))
            w.flush()
            rows["surveys"] = w.count
            rows["surveys_answered"] = answered_surveys

        # Follow-ups: voicemails, callback requests and detractors called back, and manual ones;
        # closed within a day or two mostly, a few never (overdue), the last few days' still open.
        def closes(created_t: int, hours: float) -> tuple[str, int | None]:
            if created_t < now_t - 3 * DAY:
                return ("done", created_t + int(random_() * hours * 3600)) if random_() < 0.95 else ("open", None)
            done_at = created_t + int(random_() * hours * 3600)
            return ("done", done_at) if done_at < now_t and random_() < 0.5 else ("open", None)

        def owner() -> int | None:
            return agent_ids[int(random_() * agents)] if random_() < 0.7 else None

        follow_up_rows = 0
        with cur.copy("COPY follow_ups (customer_id, call_id, reason, owner_id, due_at, status, note, created_at, "
                      "done_at, done_by_id, outcome) FROM STDIN WITH (FREEZE)") as copy:
            w = Writer(copy)
            plans = (("voicemail", voicemails, 2000, 4), ("callback_requested", callbacks_asked, 1500, 2),
                     ("detractor", detractors, 1500, 24))
            for reason, sources, wanted, hours in plans:
                for source in rng.sample(sources, min(wanted, len(sources))):
                    call_id, cid, created_t = source[0], source[1], source[-2] if reason == "detractor" else source[2]
                    status, done_at = closes(created_t, hours * 2)
                    who = owner()
                    note = f"Scored us {source[4]}" if reason == "detractor" else None
                    w.add(_row(cid, call_id, reason, who, ts(created_t + hours * 3600), status, note, ts(created_t),
                               ts(done_at), (who or agent_ids[int(random_() * agents)]) if done_at else None,
                               "called back" if done_at else None))
            for _ in range(1000):
                cid = 1 + int(random_() * customers)
                created_t = year_start + int(random_() * (year_s - 600))
                status, done_at = closes(created_t, 72)
                who = owner()
                w.add(_row(cid, None, "manual", who, ts(created_t + 48 * 3600), status, "Check the delivery arrived",
                           ts(created_t), ts(done_at), (who or agent_ids[0]) if done_at else None,
                           "done" if done_at else None))
            w.flush()
            follow_up_rows = w.count
        rows["follow_ups"] = follow_up_rows

        # Promises and complaints, made on answered calls from known customers.
        rng.shuffle(care_sources)
        split = min(4000, len(care_sources) * 4 // 7)
        promise_sources, complaint_sources = care_sources[:split], care_sources[split:split + 3000]
        with cur.copy("COPY promises (customer_id, call_id, text, due_at, status, made_by_id, made_at, "
                      "closed_by_id, closed_at) FROM STDIN WITH (FREEZE)") as copy:
            w = Writer(copy)
            for call_id, cid, agent, ended in promise_sources:
                due = ended + DAY * (1 + int(random_() * 9))
                status, closed_at = "open", None
                if due < now_t - 2 * DAY:
                    r = random_()
                    if r < 0.85:
                        status, closed_at = "kept", due - int(random_() * DAY * 2)
                    elif r < 0.95:
                        status, closed_at = "broken", due + int(random_() * DAY * 2)
                w.add(_row(cid, call_id, "Refund the delivery charge", ts(due), status, agent, ts(ended),
                           agent if closed_at else None, ts(closed_at)))
            w.flush()
            rows["promises"] = w.count
        with cur.copy("COPY complaints (customer_id, call_id, subject, severity, status, opened_at, due_at, "
                      "resolved_at, resolution, opened_by_id, assigned_to_id) FROM STDIN WITH (FREEZE)") as copy:
            w = Writer(copy)
            for call_id, cid, agent, ended in complaint_sources:
                due = ended + DAY * (3 + int(random_() * 5))
                status, resolved_at = ("open" if random_() < 0.5 else "in-progress"), None
                if ended < now_t - 10 * DAY and random_() < 0.92:
                    status, resolved_at = "resolved", ended + int(random_() * DAY * 10)
                w.add(_row(cid, call_id, "Late delivery", ("low", "medium", "high")[int(random_() * 3)], status,
                           ts(ended), ts(due), ts(resolved_at), "refunded" if resolved_at else None, agent,
                           agent_ids[int(random_() * agents)] if random_() < 0.6 else None))
            w.flush()
            rows["complaints"] = w.count
        load_s = time.perf_counter() - started

        cur.execute("SET session_replication_role = origin")
        index_started = time.perf_counter()
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cur.execute(definition)
        for table in TABLES:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        index_s = time.perf_counter() - index_started
        conn.autocommit = True
        analyze_started = time.perf_counter()
        cur.execute("ANALYZE")
        analyze_s = time.perf_counter() - analyze_started
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('calls')), pg_size_pretty(pg_relation_size('calls'))")
        total_size, heap_size = cur.fetchone()
    assert call_count == rows["calls"]
    return {"rows": rows, "calls": counts, "agent_ids": agent_ids, "supervisor_ids": supervisor_ids,
            "calls_size": total_size, "calls_heap": heap_size,
            "seconds": {"copy": round(load_s, 1), "indexes": round(index_s, 1), "analyze": round(analyze_s, 1)}}


def migrate_to_head(app, url: str) -> float:
    """Run migration 0015 over the seeded calls (the database was built and seeded at 0014): it
    stores each inbound call's previous and next call, as an upgraded installation would. Then
    compact the table: the app writes the links with each call and leaves no dead rows behind."""
    import psycopg

    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    took = time.perf_counter() - started
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM FULL ANALYZE calls")
    return took


# --- timing -------------------------------------------------------------------------------------

def timed(fn, runs: int) -> tuple[list[float], object]:
    """One warm-up, then `runs` timed calls of `fn`, each in a fresh session (as a request has)."""
    result = fn()
    db.session.remove()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return samples, result


def cases(now: datetime, agent_id: int, supervisor_id: int):
    """(function, range or viewer, callable, what to show of the result) for every timing."""
    config = settings().insight
    d = config.definitions
    today = ranges.today(now)
    month = TimeRange(now - timedelta(days=30), now)
    year = TimeRange(now - timedelta(days=ranges.MAX_RANGE_DAYS), now)

    def calls_of(f):
        return f"{f.calls:,} calls"

    def buckets(items):
        return f"{len(items)} buckets, {sum(f.calls for _, f in items):,} calls"

    def agents_of(rows):
        return f"{len(rows)} agents, {sum(r['calls'] for r in rows):,} calls"

    def care(result):
        items, counts = result
        return f"{len(items)} items of {sum(counts.values()):,}"

    return [
        ("metrics.figures", "today", lambda: metrics.figures(today, d, now), calls_of),
        ("metrics.figures", "last 30 days", lambda: metrics.figures(month, d, now), calls_of),
        ("metrics.figures", "last 366 days (every call)", lambda: metrics.figures(year, d, now), calls_of),
        ("metrics.series", "today, hourly", lambda: metrics.series(today, "hour", d, now), buckets),
        ("metrics.series", "last 30 days, daily", lambda: metrics.series(month, "day", d, now), buckets),
        ("metrics.series", "last 366 days, daily", lambda: metrics.series(year, "day", d, now), buckets),
        ("scorecards.scorecards", "last 30 days", lambda: scorecards.scorecards(month, d), agents_of),
        ("scorecards.scorecards", "last 366 days", lambda: scorecards.scorecards(year, d), agents_of),
        ("care_list.care_list", "supervisor (everything), limit 100",
         lambda: care_list.care_list(care_list.Viewer(supervisor_id, everything=True), now=now,
                                     silence_days=config.care_silence_days, limit=100), care),
        ("care_list.care_list", f"agent {agent_id}, limit 100",
         lambda: care_list.care_list(care_list.Viewer(agent_id, everything=False), now=now,
                                     silence_days=config.care_silence_days, limit=100), care),
    ]


def capture(fn) -> list[tuple[str, dict]]:
    """The statements `fn` sends to the database, with their parameters."""
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
        db.session.remove()
    return statements


def explain(statement: str, parameters, json_format: bool = False):
    """EXPLAIN (ANALYZE, BUFFERS) of one captured statement, with the server's settings as the app has them."""
    try:
        options = "ANALYZE, BUFFERS" + (", FORMAT JSON" if json_format else "")
        rows = db.session.connection().exec_driver_sql(f"EXPLAIN ({options}) {statement}", parameters).all()
    finally:
        db.session.remove()
    if json_format:
        plan = rows[0][0]
        return plan if isinstance(plan, list) else json.loads(plan)
    return "\n".join(row[0] for row in rows)


def _execution_ms(plan: str) -> float:
    line = next(line for line in plan.splitlines() if "Execution Time" in line)
    return float(line.split(":")[1].split("ms")[0])


def costliest(plan_json, top: int = 6) -> list[dict]:
    """The plan's nodes by their own (exclusive) time: a node's total minus its children's."""
    nodes = []

    def walk(node):
        loops = node.get("Actual Loops", 1) or 1
        total = node.get("Actual Total Time", 0.0) * loops
        children = node.get("Plans", [])
        own = total - sum(c.get("Actual Total Time", 0.0) * (c.get("Actual Loops", 1) or 1) for c in children)
        label = node["Node Type"]
        if node.get("Relation Name"):
            label += f" on {node['Relation Name']}"
        if node.get("Index Name"):
            label += f" using {node['Index Name']}"
        detail = []
        if node.get("Sort Method"):
            detail.append(f"{node['Sort Method']}, {node.get('Sort Space Used')} kB {node.get('Sort Space Type')}")
        if node.get("Sort Key"):
            detail.append("key " + ", ".join(node["Sort Key"])[:120])
        if node.get("Actual Rows") is not None:
            detail.append(f"{node['Actual Rows'] * loops:,} rows")
        nodes.append({"node": label, "own_ms": round(max(own, 0.0), 1), "detail": "; ".join(detail)})
        for child in children:
            walk(child)

    walk(plan_json[0]["Plan"])
    return sorted(nodes, key=lambda n: -n["own_ms"])[:top]


def machine(url: str) -> dict:
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        shown = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                 for name in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit")}
    return {"cores": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(), "postgresql": version, **shown,
            "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def ms_row(label: str, what: str, samples: list[float], result: str = "") -> str:
    return (f"| {label} | {what} | {min(samples):,.1f} | {statistics.median(samples):,.1f} | "
            f"{max(samples):,.1f} | {result} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="inbound calls over the last 365 days")
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--outbound", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each, after one warm-up")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", default=str(ROOT / "bench-results"))
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not services.postgres_available():
        print("PostgreSQL is not reachable: set TEST_POSTGRES_URL", file=sys.stderr)
        return 2

    began = time.perf_counter()
    url = create_database()
    print(f"database {url.rsplit('/', 1)[1]}", flush=True)
    app = None
    try:
        app = make_app(url)
        started = time.perf_counter()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision=SEEDED_AT)
            db.engine.dispose()
        schema_s = time.perf_counter() - started
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        seeded = seed(url, calls=args.calls, customers=args.customers, agents=args.agents, outbound=args.outbound,
                      now=now, rng_seed=args.seed)
        rows, counts = seeded["rows"], seeded["calls"]
        links_s = migrate_to_head(app, url)
        print(f"schema {schema_s:.1f} s; COPY {seeded['seconds']['copy']} s, indexes {seeded['seconds']['indexes']} s, "
              f"ANALYZE {seeded['seconds']['analyze']} s; calls table {seeded['calls_size']} "
              f"({seeded['calls_heap']} heap)", flush=True)
        print(f"migration 0015 over these calls (each call's previous and next call from the same caller, in "
              f"committed batches): {links_s:.1f} s; then VACUUM FULL ANALYZE calls", flush=True)
        print("rows: " + ", ".join(f"{n:,} {t}" for t, n in rows.items()))
        inbound = counts["inbound"]
        print("calls: " + ", ".join(f"{n:,} {k}" for k, n in counts.items())
              + f" ({100 * counts['answered'] / inbound:.1f} % answered, {100 * counts['abandoned'] / inbound:.1f} % "
                f"abandoned, {100 * counts['unknown_caller'] / inbound:.1f} % unknown callers)")
        box = machine(url)
        print("machine: " + ", ".join(f"{k} {v}" for k, v in box.items()), flush=True)

        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        results = []
        with app.app_context():
            now = datetime.now(UTC).replace(tzinfo=None)
            print(f"\ntimings, ms: one warm-up, then {args.runs} runs each, a fresh session per run")
            header = "| function | range / viewer | min | median | max | result |\n|---|---|---:|---:|---:|---|"
            print(header, flush=True)
            lines = []
            for label, what, fn, show in cases(now, seeded["agent_ids"][0], seeded["supervisor_ids"][0]):
                samples, result = timed(fn, args.runs)
                line = ms_row(f"`{label}`", what, samples, show(result))
                lines.append(line)
                results.append({"function": label, "range": what, "ms": samples, "result": show(result)})
                print(line, flush=True)

            year = TimeRange(now - timedelta(days=ranges.MAX_RANGE_DAYS), now)
            definitions = settings().insight.definitions
            figures = metrics.figures(year, definitions, now)
            db.session.remove()
            print("\nthe year's figures: " + json.dumps(figures.as_dict()))

            statements = capture(lambda: metrics.figures(year, definitions, now))
            queries = [(sql, params) for sql, params in statements if sql.lstrip().upper().startswith("SELECT")]
            main_sql, main_params = next((sql, params) for sql, params in queries if "previous_call_at" in sql)
            plan = explain(main_sql, main_params)
            plan_json = explain(main_sql, main_params, json_format=True)
            top = costliest(plan_json)
            others = []  # the survey and callback statements: their plans and times
            for sql, params in queries:
                if sql is not main_sql:
                    other = explain(sql, params)
                    others.append((sql, params, other, _execution_ms(other)))
            explain_path = out_dir / f"metrics-explain-{stamp}.txt"
            explain_path.write_text(
                f"-- metrics.figures over {year.since:%Y-%m-%d %H:%M} .. {year.until:%Y-%m-%d %H:%M} UTC, "
                f"{counts['inbound']:,} inbound calls seeded\n-- the main statement, as captured:\n{main_sql}\n-- parameters: {main_params!r}\n\n"
                f"-- EXPLAIN (ANALYZE, BUFFERS):\n{plan}\n\n-- nodes by their own time:\n"
                + "\n".join(f"{n['own_ms']:>10,.1f} ms  {n['node']}  ({n['detail']})" for n in top) + "\n"
                + "".join(f"\n-- the other statement metrics.figures ran:\n{sql}\n-- parameters: {params!r}\n"
                          f"-- EXPLAIN (ANALYZE, BUFFERS):\n{other}\n" for sql, params, other, _ in others))
            print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the year's statements: {explain_path.relative_to(ROOT)}")
            print(f"the main one (calls and their neighbours): {_execution_ms(plan):,.1f} ms; costliest nodes (own time):")
            for n in top:
                print(f"  {n['own_ms']:>9,.1f} ms  {n['node']}  ({n['detail']})")
            for sql, _, other, ms in others:
                what = "surveys" if "surveys" in sql else "callbacks (outbound calls)"
                scan = ", ".join(line.strip().split("  (")[0].lstrip("-> ") for line in other.splitlines()
                                 if " Scan " in line or line.strip().startswith(("Seq Scan", "Index", "Bitmap")))
                print(f"the {what} statement: {ms:,.1f} ms ({scan})")

            db.engine.dispose()

        box["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        json_path = out_dir / f"metrics-{stamp}.json"
        json_path.write_text(json.dumps({"rows": rows, "calls": counts, "machine": box, "seeding_s": seeded["seconds"],
                                         "timings": results, "year_figures": figures.as_dict(),
                                         "costliest": top, "links_s": links_s}, indent=2, default=str))
        year_median = statistics.median(next(r["ms"] for r in results if r["range"].startswith("last 366")
                                             and r["function"] == "metrics.figures"))
        verdict = "met" if year_median < 1000 else "MISSED"
        print(f"\ntarget: metrics.figures over every call (366 days) under 1 s: median {year_median:,.0f} ms, {verdict}")
        print(f"results: {json_path.relative_to(ROOT)}; load average at the end {box['load_average_end']}; "
              f"whole run {time.perf_counter() - began:.0f} s")
        return 0
    finally:
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        if args.keep:
            print(f"kept: {url}")
        else:
            services.drop_postgres_database(url)
            print(f"dropped {url.rsplit('/', 1)[1]}")


if __name__ == "__main__":
    sys.exit(main())
