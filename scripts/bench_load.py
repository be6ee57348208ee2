#!/usr/bin/env python
"""`make bench`: webhook-to-pop latency at scale, against the floor, as customers and call rates grow.

What it does, in one run:
  1. seeds two PostgreSQL databases (schema from the app's migrations, data by COPY): a small one
     (1,000 customers) and a big one (default 1,000,000), each customer with one or two E.164
     numbers, preferences and complaints; prints the seeding time;
  2. times the lookup alone (`recognition.recognize` on 2,000 random known numbers) on both;
  3. starts 2 gunicorn processes (one worker, --threads, threading mode) sharing PostgreSQL and
     Redis, plus THE FLOOR (scripts/bench_floor_app.py, one process, no validation, database or
     Redis), and connects M agent sockets (default 200) to each, from 2 asyncio client processes;
  4. at each call rate (default 10, 50, 200/s, then doubling until saturation) fires signed
     inbound-call webhooks for T seconds, alternating between the processes, each followed by
     `in-progress` and `completed` status callbacks, first at the floor and then at the app;
  5. repeats the app at 50/s on the small database, to show the cost does not grow with N;
  6. prints a table, writes bench-results/bench-<timestamp>.json and .png.

    .venv/bin/python scripts/bench.py                  # the full run (~15 min)
    .venv/bin/python scripts/bench.py --quick          # 1-minute smoke run
    .venv/bin/python scripts/bench.py --customers 100000 --agents 100 --rates 10,50 --seconds 10
    .venv/bin/python scripts/bench.py --publish        # also copy the JSON and plot to docs/

Server capacity: every websocket holds one of gunicorn's gthread threads for as long as it is open,
so `--threads` is set to the agents connected to that process plus 60 for webhooks and API calls
(200 agents over 2 processes: --threads 160; the floor, with all 200: --threads 260).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp
import requests

from app.devtools.simulator import sign, status_params, voice_params
from tests.support import services
from tests.support.servers import ServerProcess

BIN = Path(sys.executable).parent
AUTH_TOKEN = "bench-" + uuid.uuid4().hex
SECRET_KEY = "bench-" + uuid.uuid4().hex
THREAD_HEADROOM = 60  # gthread threads beyond one per websocket, for webhooks and API calls
STATUS_DELAY_S = 1.0  # in-progress this long after the call rang, completed as long again after
DRAIN_TIMEOUT_S = 10.0  # a pop not received this long after the last webhook answer counts as lost
P99_LIMIT_MS = 100.0  # "holds the rate": p99 under this, nothing lost, no webhook failure
# The caller mix: mostly known customers, some unknown numbers, a few withheld.
SHARE_UNKNOWN, SHARE_WITHHELD = 0.08, 0.02


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


@dataclass
class Seeded:
    url: str
    customers: int
    seconds: float
    rows: dict
    tokens: list[str]
    known: list[str]  # callers' numbers to use: each customer's first number
    unknown_base: int  # numbers from here on belong to nobody


def _copy_text(rows) -> bytes:
    return "".join(rows).encode()


def _customer_rows(start: int, stop: int, now: str):
    for cid in range(start, stop):
        yield (f"{cid}\tCustomer {cid}\tcustomer{cid}@example.com\t{TIERS[cid % len(TIERS)]}\t"
               f"CRM-{cid:08d}\t{now}\t{now}\n")


def seed_database(url: str, customers: int, agents: int, numbers: Numbers) -> Seeded:
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
    tokens = create_agents(url, agents)
    seconds = time.perf_counter() - started
    print(f"  seeded {customers:,} customers ({', '.join(f'{n:,} {t}' for t, n in rows.items())}) "
          f"in {seconds:.1f} s: schema {schema_s:.1f} s, COPY {load_s:.1f} s, indexes {index_s:.1f} s", flush=True)
    known = [numbers(i) for i in range(customers)]
    return Seeded(url, customers, round(seconds, 2),
                  {**rows, "schema_s": round(schema_s, 2), "copy_s": round(load_s, 2), "index_s": round(index_s, 2)},
                  tokens, known, unknown_base=2 * customers + 10)


def _app(url: str):
    from app import create_app

    return create_app("production", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET_KEY,
                      TWILIO_AUTH_TOKEN=AUTH_TOKEN, SOCKETIO_MESSAGE_QUEUE=None,
                      SPOOL_DIR=os.path.join(tempfile.gettempdir(), "kc-bench-spool"))  # stays empty


def create_agents(url: str, agents: int) -> list[str]:
    """Agent users and their API tokens, through the accounts service.

    The password KDF is slow on purpose, so one user is created by the service and the others
    reuse its hash (nobody logs in with a password here).
    """
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import User
    from app.services.people import accounts
    from app.services.people import users as users_service

    app = _app(url)
    with app.app_context():
        first = users_service.create_user("bench-agent-0", uuid.uuid4().hex, region="US", role="agent",
                                          display_name="Bench Agent 0")
        if agents > 1:
            db.session.execute(insert(User), [
                {"username": f"bench-agent-{i}", "display_name": f"Bench Agent {i}", "role": "agent",
                 "reach_kind": "client", "password_hash": first.password_hash, "active": True}
                for i in range(1, agents)])
            db.session.commit()
        users = db.session.scalars(db.select(User).where(User.username.like("bench-agent-%")).order_by(User.id)).all()
        tokens = [accounts.issue_token(user, 4)[0] for user in users]
        db.engine.dispose()
    return tokens


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
    apps = {name: _app(seeded.url) for name, seeded in databases.items()}
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
        out[name]["ms"] = {"mean": statistics.fmean(timings), **_percentiles(timings)}
    return out


# --- server processes ---------------------------------------------------------------------------

@dataclass
class Server(ServerProcess):
    """A test-suite server process (stop, log) that also knows its name and its worker's pid."""

    name: str = ""

    def worker_pid(self) -> int | None:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            return int(children[0]) if children else None
        except OSError:
            return None


def start_gunicorn(name: str, app_spec: str, env: dict, threads: int, workdir: Path,
                   extra: tuple[str, ...] = ()) -> Server:
    """One gunicorn process, one worker, gthread: the production shape (see README)."""
    port = services.free_port()
    log_path = workdir / f"{name}.log"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "1", "--threads", str(threads), "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "2", *extra, app_spec],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log_path, name=name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            requests.get(server.base_url + "/login", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not start within 60 s")


def start_app_servers(seeded: Seeded, processes: int, agents: int, workdir: Path, tag: str) -> list[Server]:
    channel = f"kc-bench-{uuid.uuid4().hex[:10]}"
    env = {"DATABASE_URL": seeded.url, "SECRET_KEY": SECRET_KEY, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "KNOWNCALLER_ENV": "production", "LOG_LEVEL": "WARNING",
           "SOCKETIO_MESSAGE_QUEUE": services.REDIS_URL, "SOCKETIO_CHANNEL": channel,
           "SPOOL_DIR": str(workdir / f"spool-{tag}")}
    threads = -(-agents // processes) + THREAD_HEADROOM
    return [start_gunicorn(f"app-{tag}-{i + 1}", "wsgi:app", env, threads, workdir) for i in range(processes)]


def start_floor(agents: int, workdir: Path) -> Server:
    return start_gunicorn("floor", "bench_floor_app:app", {"LOG_LEVEL": "WARNING"}, agents + THREAD_HEADROOM,
                          workdir, extra=("--pythonpath", str(ROOT / "scripts")))


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


# --- agents: a lean Socket.IO client --------------------------------------------------------------
#
# Each agent speaks Engine.IO 4 / Socket.IO 5 over one websocket, as the browser does, but reads
# only what it must: the receipt time is taken when the frame arrives, and only the CallSid is
# pulled out of a pop, so one asyncio process can hold hundreds of agents without becoming the
# thing being measured.

CALL_SID = re.compile(r'"call_sid":\s*"([^"]+)"')
HEARTBEAT_S = 30.0  # as the desktop: presence lapses after PRESENCE_TTL_SECONDS without one


class AgentPool:
    """Runs in a child process: connects agents on command and records every pop they receive."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.pops: list[tuple[int, str, float]] = []
        self.updates = 0
        self.resyncs = 0
        self.dropped = 0
        self.keys: dict[int, str] = {}
        self.tasks: dict[int, asyncio.Task] = {}
        self.closing: set[int] = set()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        done = asyncio.Event()

        def commands() -> None:
            while True:
                command, arg = self.conn.recv()
                future = asyncio.run_coroutine_threadsafe(self._handle(command, arg), self.loop)
                try:
                    self.conn.send(("ok", future.result()))
                except Exception as exc:  # noqa: BLE001  (reported to the parent, which stops the run)
                    self.conn.send(("error", repr(exc)))
                if command == "quit":
                    self.loop.call_soon_threadsafe(done.set)
                    return

        threading.Thread(target=commands, daemon=True).start()
        await done.wait()
        await self.session.close()

    async def _handle(self, command: str, arg):
        if command == "connect":  # arg: [(agent_id, base_url, token)]
            semaphore = asyncio.Semaphore(10)  # connect handlers use the database: not all at once

            async def one(agent_id, base_url, token):
                async with semaphore:
                    ready = self.loop.create_future()
                    self.tasks[agent_id] = asyncio.create_task(self._agent(agent_id, base_url, token, ready))
                    await ready

            await asyncio.gather(*(one(*spec) for spec in arg))
            return len(arg)
        if command == "disconnect":  # arg: [agent_id]
            for agent_id in arg:
                self.closing.add(agent_id)
                task = self.tasks.pop(agent_id, None)
                if task:
                    task.cancel()
            await asyncio.sleep(0.2)
            return True
        if command == "count":
            return len(self.pops), self.updates
        if command == "collect":
            pops, self.pops = self.pops, []
            counts = {"updates": self.updates, "resyncs": self.resyncs, "dropped": self.dropped}
            self.updates = self.resyncs = 0
            return pops, counts
        if command == "quit":
            for task in self.tasks.values():
                task.cancel()
            return True
        raise ValueError(command)

    async def _agent(self, agent_id: int, base_url: str, token: str, ready: asyncio.Future) -> None:
        url = base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        heartbeat = None
        try:
            ws = await self.session.ws_connect(url, autoping=False, max_msg_size=0)
            opened = await ws.receive_str(timeout=30)
            if not opened.startswith("0"):
                raise RuntimeError(f"unexpected Engine.IO open: {opened[:80]}")
            await ws.send_str("40" + json.dumps({"token": token}))
            while True:
                reply = await ws.receive_str(timeout=30)
                if reply.startswith("40"):
                    break
                if reply.startswith("44"):
                    raise RuntimeError(f"connection refused: {reply[:120]}")
                if reply == "2":
                    await ws.send_str("3")
            ready.set_result(True)
        except Exception as exc:  # noqa: BLE001  (a refused or failed connect fails the whole connect step)
            if not ready.done():
                ready.set_exception(exc)
            return

        async def beat():
            while True:
                await asyncio.sleep(HEARTBEAT_S)
                await ws.send_str('42["heartbeat"]')

        heartbeat = asyncio.create_task(beat())
        try:
            async for message in ws:
                received = time.monotonic()
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                data = message.data
                if data.startswith('42["screen_pop"'):
                    found = CALL_SID.search(data, 14)
                    self.pops.append((agent_id, found.group(1) if found else "?", received))
                elif data.startswith('42["call_update"'):
                    self.updates += 1
                elif data == "2":
                    await ws.send_str("3")
                elif data.startswith('42["resync"'):
                    self.resyncs += 1
                elif data.startswith("41"):
                    break
        finally:
            heartbeat.cancel()
            if agent_id not in self.closing:
                self.dropped += 1
            await ws.close()


def _pool_main(conn) -> None:
    AgentPool(conn).run()


class Agents:
    """The parent's handle on the agent client processes (default 2, whatever the agent count)."""

    def __init__(self, processes: int) -> None:
        ctx = mp.get_context("spawn")
        self.pipes, self.procs = [], []
        for _ in range(processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_pool_main, args=(child,), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)
        self.next_id = 0

    def _all(self, command: str, args: list | None = None) -> list:
        for i, pipe in enumerate(self.pipes):
            pipe.send((command, args[i] if args is not None else None))
        results = []
        for pipe in self.pipes:
            status, value = pipe.recv()
            if status != "ok":
                raise RuntimeError(f"agent client {command} failed: {value}")
            results.append(value)
        return results

    def connect(self, servers: list[Server], tokens: list[str]) -> list[int]:
        """Agent i on server i mod len(servers), client process i mod len(pools); returns agent ids."""
        ids = list(range(self.next_id, self.next_id + len(tokens)))
        self.next_id += len(tokens)
        shares: list[list] = [[] for _ in self.pipes]
        for n, (agent_id, token) in enumerate(zip(ids, tokens)):
            shares[n % len(self.pipes)].append((agent_id, servers[n % len(servers)].base_url, token))
        self._all("connect", shares)
        return ids

    def disconnect(self, ids: list[int]) -> None:
        self._all("disconnect", [ids] * len(self.pipes))

    def count(self) -> int:
        return sum(pops for pops, _ in self._all("count"))

    def counts(self) -> tuple[int, int]:
        """Pops and call updates received so far (both grow while the servers still send)."""
        both = self._all("count")
        return sum(p for p, _ in both), sum(u for _, u in both)

    def collect(self) -> tuple[list, dict]:
        pops, counts = [], {"updates": 0, "resyncs": 0, "dropped": 0}
        for part, part_counts in self._all("collect"):
            pops.extend(part)
            for key in counts:
                counts[key] += part_counts[key]
        return pops, counts

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)

    def close(self) -> None:
        try:
            self._all("quit")
        except (OSError, EOFError, RuntimeError):
            pass
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


# --- the provider: signed webhooks at a fixed rate ----------------------------------------------

@dataclass
class Call:
    sid: str
    voice: tuple[str, bytes, dict]  # url, body, headers
    statuses: list[tuple[str, bytes, dict]]
    sent_at: float = 0.0
    answered_ms: float | None = None
    routed: bool = False
    failed: bool = False
    status_ms: list[float] = field(default_factory=list)
    status_failed: int = 0


def _signed(url: str, params: dict) -> tuple[str, bytes, dict]:
    return url, urlencode(params).encode(), {"X-Twilio-Signature": sign(AUTH_TOKEN, url, params),
                                             "Content-Type": "application/x-www-form-urlencoded"}


def plan_calls(count: int, servers: list[Server], callers: list[str], rng: random.Random) -> list[Call]:
    """Signed in advance, so sending costs the sender nothing but the POST."""
    calls = []
    for i in range(count):
        server = servers[i % len(servers)]
        other = servers[(i + 1) % len(servers)]  # callbacks reach whichever process the balancer picks
        params = voice_params(from_=callers[i % len(callers)])
        sid = params["CallSid"]
        statuses = [_signed(other.base_url + "/twilio/status", status_params(sid, "in-progress", 1)),
                    _signed(server.base_url + "/twilio/status", status_params(sid, "completed", 2, 2))]
        calls.append(Call(sid, _signed(server.base_url + "/twilio/voice", params), statuses))
    return calls


def callers_for(seeded: Seeded | None, numbers: Numbers, count: int, rng: random.Random) -> list[str]:
    if seeded is None:
        return ["+14155550100"] * count
    out = []
    for _ in range(count):
        draw = rng.random()
        if draw < SHARE_WITHHELD:
            out.append("anonymous")
        elif draw < SHARE_WITHHELD + SHARE_UNKNOWN:
            out.append(numbers(seeded.unknown_base + rng.randrange(1_000_000)))
        else:
            out.append(rng.choice(seeded.known))
    return out


async def _post(session, request) -> tuple[float, int, str]:
    url, body, headers = request
    started = time.monotonic()
    async with session.post(url, data=body, headers=headers) as response:
        text = await response.text()
    return (time.monotonic() - started) * 1000, response.status, text


async def _play(session, call: Call) -> None:
    call.sent_at = time.monotonic()
    try:
        call.answered_ms, status, text = await _post(session, call.voice)
        call.failed = status != 200 or "<Response" not in text
        call.routed = "<Dial" in text and ("<Client" in text or "<Number" in text or "<Sip" in text)
    except (TimeoutError, aiohttp.ClientError):
        call.failed = True
    for request in call.statuses:
        await asyncio.sleep(STATUS_DELAY_S)
        try:
            ms, status, _ = await _post(session, request)
            call.status_ms.append(ms)
            call.status_failed += status != 200
        except (TimeoutError, aiohttp.ClientError):
            call.status_failed += 1


async def _fire(calls: list[Call], rate: float) -> float:
    """Start call i at t0 + i/rate whatever happened to the ones before; returns the send lag p99 (ms)."""
    timeout = aiohttp.ClientTimeout(total=15)  # Twilio's own webhook timeout
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        tasks, lags = [], []
        t0 = time.monotonic() + 0.1
        for i, call in enumerate(calls):
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            lags.append(max(0.0, time.monotonic() - due) * 1000)
            tasks.append(asyncio.create_task(_play(session, call)))
        await asyncio.gather(*tasks)
    return _percentiles(lags)["p99"]


# --- one measured run ---------------------------------------------------------------------------

def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(p):
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    return {"p50": at(50), "p95": at(95), "p99": at(99), "max": ordered[-1]}


def measure(label: str, target: str, servers: list[Server], agents: Agents, agent_ids: list[int],
            seeded: Seeded | None, numbers: Numbers, rate: float, seconds: float,
            profile: tuple[Path, str] | None = None) -> dict:
    rng = random.Random(f"{label}-{rate}")
    count = max(1, int(rate * seconds))
    calls = plan_calls(count, servers, callers_for(seeded, numbers, count, rng), rng)
    agents.collect()  # forget anything from before (late call_updates of the previous run)
    cpu_before = {s.name: cpu_seconds(s.worker_pid()) for s in servers}
    client_cpu_before = agents.cpu_seconds() + time.process_time()
    load_before = os.getloadavg()[0]
    profilers = [] if profile is None else [_profile(s, *profile, seconds=seconds) for s in servers]
    started = time.monotonic()
    send_lag_p99 = asyncio.run(_fire(calls, rate))
    expected = count * len(agent_ids)
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline and agents.count() < expected:
        time.sleep(0.1)
    wall = time.monotonic() - started
    for profiler in profilers:
        profiler.wait(timeout=60)
    pops, counts = agents.collect()
    cpu = {name: round(cpu_seconds(s.worker_pid()) - before, 2) for s, (name, before) in
           zip(servers, cpu_before.items())}
    client_cpu = round(agents.cpu_seconds() + time.process_time() - client_cpu_before, 2)

    sent = {call.sid: call.sent_at for call in calls}
    wanted = set(agent_ids)
    first: dict[tuple[int, str], float] = {}
    duplicates = 0
    for agent_id, sid, at in pops:
        if sid not in sent or agent_id not in wanted:
            continue
        if (agent_id, sid) in first:
            duplicates += 1
        else:
            first[(agent_id, sid)] = at
    latencies = [(at - sent[sid]) * 1000 for (_, sid), at in first.items()]
    answered = [c.answered_ms for c in calls if c.answered_ms is not None]
    status_ms = [ms for c in calls for ms in c.status_ms]
    result = {
        "label": label, "target": target, "customers": seeded.customers if seeded else 0,
        "agents": len(agent_ids), "processes": len(servers), "rate_per_s": rate, "seconds": seconds,
        "calls": count, "pops_expected": expected, "pops_received": len(first),
        "lost": expected - len(first), "duplicates": duplicates,
        "pop_ms": _percentiles(latencies),
        "webhook_ms": _percentiles(answered),
        "status_callback_ms": _percentiles(status_ms),
        "webhook_failures": sum(c.failed for c in calls),
        "status_failures": sum(c.status_failed for c in calls),
        "routed_to_agents": sum(c.routed for c in calls),
        "call_updates_received": counts["updates"], "resyncs": counts["resyncs"], "sockets_dropped": counts["dropped"],
        "send_lag_p99_ms": round(send_lag_p99, 1),
        "server_cpu_s": cpu, "client_cpu_s": client_cpu, "wall_s": round(wall, 1),
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    result["holds"] = bool(result["lost"] == 0 and result["webhook_failures"] == 0 and result["pop_ms"]["p99"] is not None
                           and result["pop_ms"]["p99"] < P99_LIMIT_MS)
    print("  " + _row(result), flush=True)
    _settle(agents)
    return result


def _settle(agents: Agents, limit_s: float = 90.0) -> None:
    """Wait until the agents stop receiving: a saturated run leaves a backlog in the servers'
    socket queues, which must not spill into the next run's measurement."""
    deadline = time.monotonic() + limit_s
    last = None
    while time.monotonic() < deadline:
        now = agents.counts()
        if now == last:
            return
        last = now
        time.sleep(1.0)
    print(f"  (servers still sending after {limit_s:.0f} s; going on)", flush=True)


PROFILE_FORMATS = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}


def _profile(server: Server, folder: Path, fmt: str, seconds: float) -> subprocess.Popen:
    """py-spy on a server worker for one run (`pip install py-spy`): a flame graph per process of
    the thread holding the interpreter lock, i.e. where the Python CPU time goes."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{server.name}-{time.strftime('%H%M%S')}.{PROFILE_FORMATS[fmt]}"
    print(f"  profiling {server.name} into {out}", flush=True)
    return subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(server.worker_pid()), "--duration",
                             str(int(seconds) + 1), "--rate", "100", "--nonblocking", "--gil", "--format", fmt,
                             "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# --- report -------------------------------------------------------------------------------------

HEADER = (f"{'run':<12}{'N':>10}{'rate':>6}{'agents':>7}{'pops':>10}{'lost':>9}{'dup':>7}"
          f"{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'hook p50':>9}{'hook p99':>9}{'cpu s':>7}{'load':>6}")


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _row(r: dict) -> str:
    p, w = r["pop_ms"], r["webhook_ms"]
    return (f"{r['label']:<12}{r['customers']:>10,}{r['rate_per_s']:>6g}{r['agents']:>7}{r['pops_received']:>10,}"
            f"{r['lost']:>9,}{r['duplicates']:>7,} {_fmt(p['p50']):>8} {_fmt(p['p95']):>8} {_fmt(p['p99']):>8}"
            f" {_fmt(p['max']):>8} {_fmt(w['p50']):>8} {_fmt(w['p99']):>8}{sum(r['server_cpu_s'].values()):>7.1f}"
            f"{max(r['loadavg_1m']):>6.1f}")


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.8))
    for runs, name, color in ((results["sweep"], "KnownCaller", "tab:blue"), (results["floor"], "floor", "tab:gray")):
        runs = sorted(runs, key=lambda r: r["rate_per_s"])
        rates = [r["rate_per_s"] for r in runs]
        for key, style in (("p50", ":"), ("p95", "--"), ("p99", "-")):
            ax.plot(rates, [r["pop_ms"][key] for r in runs], style, marker="o", color=color,
                    label=f"{name} {key}")
        lost = [r for r in runs if r["lost"]]
        if lost:
            ax.scatter([r["rate_per_s"] for r in lost], [r["pop_ms"]["p99"] for r in lost], s=120,
                       facecolors="none", edgecolors="red", zorder=5, label=f"{name}: pops lost" if name else None)
        bx.plot(rates, [r["webhook_ms"]["p50"] for r in runs], ":", marker="o", color=color, label=f"{name} p50")
        bx.plot(rates, [r["webhook_ms"]["p99"] for r in runs], "-", marker="o", color=color, label=f"{name} p99")
    for axis in (ax, bx):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("inbound calls per second")
        axis.grid(True, which="both", alpha=0.3)
    ax.axhline(P99_LIMIT_MS, color="red", lw=0.8, alpha=0.6)
    ax.axhline(50, color="orange", lw=0.8, alpha=0.6)
    cfg = results["config"]
    ax.set_title(f"webhook → pop, {cfg['agents']} agents, {cfg['customers']:,} customers")
    ax.set_ylabel("ms (red: 100 ms limit, orange: 50 ms target)")
    bx.set_title("webhook answer time seen by the provider")
    bx.set_ylabel("ms")
    ax.legend(fontsize=7, ncol=2)
    bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summarize(results: dict) -> dict:
    sweep = {r["rate_per_s"]: r for r in results["sweep"]}
    floor = {r["rate_per_s"]: r for r in results["floor"]}
    cfg = results["config"]
    main_rate = cfg["rate"]
    main, base = sweep.get(main_rate), floor.get(main_rate)
    small = results.get("small")
    lookups = results["lookups"]
    held = [rate for rate, r in sweep.items() if r["holds"]]
    held_floor = [rate for rate, r in floor.items() if r["holds"]]
    summary = {
        "rate": main_rate,
        "p99_ms": main and main["pop_ms"]["p99"],
        "lost": main and main["lost"],
        "p50_vs_floor": main and base and round(main["pop_ms"]["p50"] / base["pop_ms"]["p50"], 2),
        "p99_vs_floor": main and base and round(main["pop_ms"]["p99"] / base["pop_ms"]["p99"], 2),
        "lookup_ratio_p50": round(lookups["big"]["ms"]["p50"] / lookups["small"]["ms"]["p50"], 2),
        "lookup_ratio_mean": round(lookups["big"]["ms"]["mean"] / lookups["small"]["ms"]["mean"], 2),
        "pop_p50_ratio_big_vs_small": (main and small and round(main["pop_ms"]["p50"] / small["pop_ms"]["p50"], 2)),
        # The ratio means most below saturation, where neither side is just queueing.
        "p50_vs_floor_by_rate": {rate: round(r["pop_ms"]["p50"] / floor[rate]["pop_ms"]["p50"], 2)
                                 for rate, r in sorted(sweep.items()) if rate in floor and r["pop_ms"]["p50"]},
        "highest_rate_held": max(held) if held else None,
        "highest_rate_held_floor": max(held_floor) if held_floor else None,
    }
    summary["targets"] = {
        "p99 <= 50 ms at 50/s, nothing lost": bool(main and main["pop_ms"]["p99"] is not None
                                                    and main["pop_ms"]["p99"] <= 50 and main["lost"] == 0),
        "p50 within 2x of the floor": bool(summary["p50_vs_floor"] is not None and summary["p50_vs_floor"] <= 2),
        "lookup at N big within 1.2x of N small": summary["lookup_ratio_p50"] <= 1.2,
    }
    return summary


def print_report(results: dict) -> None:
    print("\n" + HEADER)
    for r in sorted(results["floor"], key=lambda r: r["rate_per_s"]):
        print(_row(r))
    for r in sorted(results["sweep"], key=lambda r: r["rate_per_s"]):
        print(_row(r))
    if results.get("small"):
        print(_row(results["small"]))
    print("(pop and webhook times in ms; cpu s = server worker CPU seconds during the run)")
    for look in results["lookups"].values():
        ms = look["ms"]
        print(f"lookup alone, {look['customers']:>10,} customers: p50 {ms['p50']:.2f} ms, p99 {ms['p99']:.2f} ms, "
              f"mean {ms['mean']:.2f} ms ({look['lookups']} lookups; plan: {look['plan'][:70]})")
    s = results["summary"]
    print(f"seeding {results['config']['customers']:,} customers: {results['seeding']['big']['seconds']:.1f} s")
    print(f"at {s['rate']}/s: p99 {_fmt(s['p99_ms'])} ms, lost {s['lost']}; p50 x{s['p50_vs_floor']} and "
          f"p99 x{s['p99_vs_floor']} the floor; lookup x{s['lookup_ratio_p50']} (p50) from "
          f"{results['lookups']['small']['customers']:,} to {results['lookups']['big']['customers']:,} customers; "
          f"highest rate held (p99 < {P99_LIMIT_MS:g} ms, nothing lost): {s['highest_rate_held']}/s "
          f"(floor: {s['highest_rate_held_floor']}/s)")
    for target, met in s["targets"].items():
        print(f"  [{'met' if met else 'MISSED'}] {target}")


# --- the whole run ------------------------------------------------------------------------------

def next_rate(done: dict, planned: list[float], max_rate: float, keep_going: bool,
              narrow: bool = True) -> float | None:
    """The planned rates in order until one does not hold (saturation); then, between the last
    rate that held and the first that did not, halve the gap until it is within 25% (or 10 calls/s).
    With every planned rate held, keep doubling up to `max_rate`.
    """
    failed = sorted(rate for rate, r in done.items() if not r["holds"])
    for rate in planned:
        if rate not in done and (keep_going or not failed or rate < failed[0]):
            return rate
    if not narrow:
        return None
    held = sorted(rate for rate, r in done.items() if r["holds"])
    if not failed:
        top = max(done) if done else None
        return top * 2 if top and top * 2 <= max_rate else None
    high = failed[0]
    low = max([rate for rate in held if rate < high], default=0)
    if low == 0:  # not even the lowest rate held: halve it, down to 5 calls/s
        return round(high / 2) if high / 2 >= 5 else None
    if high - low <= max(10, 0.25 * low):
        return None
    middle = round((low + high) / 2)
    return middle if middle not in done else None


def run(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="kc-bench-"))
    numbers = Numbers()
    sample = random.Random(1).sample(range(3 * args.customers + 1_000_000), 5000)
    from app.services.phone_numbers import normalize

    bad = [numbers(i) for i in sample if normalize(numbers(i)) != numbers(i)]
    if bad:
        raise SystemExit(f"generated numbers that phonenumbers refuses: {bad[:5]}")
    results: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"customers": args.customers, "small_customers": args.small_customers, "agents": args.agents,
                   "rate": args.rate, "rates": args.rates, "seconds": args.seconds, "processes": 2,
                   "threads_per_process": -(-args.agents // 2) + THREAD_HEADROOM,
                   "floor_threads": args.agents + THREAD_HEADROOM, "client_processes": args.client_processes,
                   "status_callbacks": ["in-progress", "completed"], "status_delay_s": STATUS_DELAY_S,
                   "caller_mix": {"known": 1 - SHARE_UNKNOWN - SHARE_WITHHELD, "unknown": SHARE_UNKNOWN,
                                  "withheld": SHARE_WITHHELD},
                   "cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "loadavg_at_start": os.getloadavg(),
        "seeding": {}, "lookups": {}, "floor": [], "sweep": [], "small": None,
    }
    databases: list[str] = []
    servers: list[Server] = []
    agents = None
    try:
        print(f"seeding PostgreSQL ({args.small_customers:,} and {args.customers:,} customers, "
              f"{args.agents} agents each)", flush=True)
        small_url = create_database()
        databases.append(small_url)
        small = seed_database(small_url, args.small_customers, args.agents, numbers)
        big_url = create_database()
        databases.append(big_url)
        big = seed_database(big_url, args.customers, args.agents, numbers)
        results["seeding"] = {name: {"customers": s.customers, "seconds": s.seconds, **s.rows}
                              for name, s in (("small", small), ("big", big))}

        print(f"timing the lookup alone ({args.lookups} random known numbers each)", flush=True)
        results["lookups"] = time_lookups({"small": small, "big": big}, args.lookups)
        for look in results["lookups"].values():
            print(f"  {look['customers']:>10,} customers: p50 {look['ms']['p50']:.2f} ms, mean {look['ms']['mean']:.2f} ms",
                  flush=True)

        print(f"starting 2 app processes ({results['config']['threads_per_process']} threads each) and the floor "
              f"({results['config']['floor_threads']} threads); connecting {args.agents} agents to each", flush=True)
        agents = Agents(args.client_processes)
        app_servers = start_app_servers(big, 2, args.agents, workdir, "big")
        floor = start_floor(args.agents, workdir)
        servers = [*app_servers, floor]
        app_agents = agents.connect(app_servers, big.tokens)
        floor_agents = agents.connect([floor], [f"floor-{i}" for i in range(args.agents)])
        time.sleep(1)

        print(HEADER, flush=True)
        # Unmeasured: pools fill, caches warm, as on a server that has been taking calls all morning.
        measure("(warm-up)", "floor", [floor], agents, floor_agents, None, numbers, 10, 3)
        measure("(warm-up)", "app", app_servers, agents, app_agents, big, numbers, 10, 3)
        done: dict[float, dict] = {}
        while (rate := next_rate(done, args.rates, args.max_rate if args.escalate else 0, args.keep_going,
                                        narrow=not args.quick)) is not None:
            results["floor"].append(measure("floor", "floor", [floor], agents, floor_agents, None, numbers,
                                            rate, args.seconds))
            profile = (Path(args.profile), args.profile_format) if args.profile and rate == args.rate else None
            done[rate] = measure("app", "app", app_servers, agents, app_agents, big, numbers,
                                 rate, args.seconds, profile)
            results["sweep"].append(done[rate])
        if args.rate not in done:
            results["floor"].append(measure("floor", "floor", [floor], agents, floor_agents, None, numbers,
                                            args.rate, args.seconds))
            done[args.rate] = measure("app", "app", app_servers, agents, app_agents, big, numbers,
                                      args.rate, args.seconds)
            results["sweep"].append(done[args.rate])

        agents.disconnect(app_agents)
        for server in app_servers:
            server.stop()
        small_servers = start_app_servers(small, 2, args.agents, workdir, "small")
        servers.extend(small_servers)
        small_agents = agents.connect(small_servers, small.tokens)
        time.sleep(1)
        measure("(warm-up)", "app", small_servers, agents, small_agents, small, numbers, 10, 3)
        results["small"] = measure("app", "app", small_servers, agents, small_agents, small, numbers,
                                   args.rate, args.seconds)
        results["loadavg_at_end"] = os.getloadavg()
        results["summary"] = summarize(results)
    except BaseException:
        for server in servers:
            print(f"--- last lines of {server.name}'s log ---\n" + server.log_path.read_text(errors="replace")[-2000:],
                  file=sys.stderr)
        raise
    finally:
        if agents is not None:
            agents.close()
        for server in servers:
            server.stop()
        for url in databases:
            services.drop_postgres_database(url)
        if args.keep_logs:
            print(f"server logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="the big database (default 1,000,000)")
    parser.add_argument("--small-customers", type=int, default=1_000, help="the small database (default 1,000)")
    parser.add_argument("--agents", type=int, default=200, help="agent sockets (default 200)")
    parser.add_argument("--rate", type=float, default=50, help="the headline rate, calls/s (default 50)")
    parser.add_argument("--rates", default="10,50,200", help="the sweep, calls/s (default 10,50,200)")
    parser.add_argument("--max-rate", type=float, default=800, help="stop doubling the rate here (default 800)")
    parser.add_argument("--no-escalate", dest="escalate", action="store_false",
                        help="only the rates listed (and the narrowing down), no doubling past them")
    parser.add_argument("--keep-going", action="store_true",
                        help="run every listed rate even past saturation (default: stop at the first rate "
                             "that does not hold, then narrow down the highest that does)")
    parser.add_argument("--seconds", type=float, default=20, help="seconds of calls per run (default 20)")
    parser.add_argument("--lookups", type=int, default=2000, help="lookups timed per database (default 2000)")
    parser.add_argument("--client-processes", type=int, default=2, help="agent client processes (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="1-minute smoke run: 10,000 customers, 50 agents, 10 and 50 calls/s, 5 s each")
    parser.add_argument("--out", default=str(ROOT / "bench-results"))
    parser.add_argument("--publish", action="store_true", help="also write docs/bench.json and docs/bench.png")
    parser.add_argument("--profile", metavar="DIR",
                        help="py-spy the app's workers during the headline-rate run, into DIR")
    parser.add_argument("--profile-format", choices=sorted(PROFILE_FORMATS), default="flamegraph")
    parser.add_argument("--keep-logs", action="store_true", help="keep the server logs")
    args = parser.parse_args(argv)
    if args.quick:
        # Just the listed rates, no narrowing down: a smoke test, not a measurement.
        args.customers, args.agents, args.rates, args.seconds, args.escalate = 10_000, 50, "10,50", 5, False
        args.keep_going = True
        args.lookups = min(args.lookups, 500)
    args.rates = [float(r) for r in str(args.rates).split(",") if r.strip()]
    args.rates = [int(r) if r.is_integer() else r for r in args.rates]
    args.rate = int(args.rate) if float(args.rate).is_integer() else args.rate
    return args


def create_database() -> str:
    """A fresh database named kc_bench_…, so a run's leftovers are recognisable as the benchmark's."""
    import sqlalchemy as sa

    name = f"kc_bench_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(services.POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return services.POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def main(argv=None) -> int:
    args = parse_args(argv)
    # Stopped with kill (or Ctrl-C): the servers are stopped and the databases dropped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not (services.postgres_available() and services.redis_available()):
        print("make bench needs PostgreSQL and Redis: set TEST_POSTGRES_URL / TEST_REDIS_URL", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"note: load average is {load:.1f} before starting; other work skews these figures", flush=True)
    started = time.monotonic()
    results = run(args)
    results["duration_s"] = round(time.monotonic() - started, 1)
    print_report(results)
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    json_path, png_path = out / f"bench-{stamp}.json", out / f"bench-{stamp}.png"
    json_path.write_text(json.dumps(results, indent=2, default=str))
    plot(results, png_path)
    print(f"wrote {json_path} and {png_path} ({results['duration_s']:.0f} s in all)")
    if args.publish:
        shutil.copyfile(json_path, ROOT / "docs" / "bench.json")
        shutil.copyfile(png_path, ROOT / "docs" / "bench.png")
        print("copied to docs/bench.json and docs/bench.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
