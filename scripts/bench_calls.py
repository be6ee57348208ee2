"""The provider's side of `make bench`: signed inbound-call webhooks and their status callbacks at a
fixed rate, and one measured run (what the agents received, how fast, at what CPU cost).

Who should receive a call is read from the webhook's answer, as the provider would: the `<Client>`
identities the `<Dial>` rings are the bench's agents' usernames, and with the supervisors the
bench connected (who see every call) they are the call's audience (SPEC §11). A call that rings
nobody (`<Enqueue>`: nobody offerable; the fallback; no answer at all) goes to every connected
agent. A server from before §11 sends every pop to every socket: then only the audience counts
for latency and loss, and the others' copies are reported as strays, for information.
"""
from __future__ import annotations

import asyncio
import os
import random
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from app.devtools.simulator import sign, status_params, voice_params
from scripts.bench_agents import Agents
from scripts.bench_load import AUTH_TOKEN, Numbers, Seeded
from scripts.bench_report import P99_LIMIT_MS, percentiles, table_row
from scripts.bench_servers import Server, cpu_seconds, profile_worker

STATUS_DELAY_S = 1.0  # in-progress this long after the call rang, completed as long again after
DRAIN_TIMEOUT_S = 10.0  # a pop not received this long after the last webhook answer counts as lost
# The caller mix: mostly known customers, some unknown numbers, a few withheld.
SHARE_UNKNOWN, SHARE_WITHHELD = 0.08, 0.02


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
    answer: str = "none"  # what the TwiML does: dial (rings agents), enqueue, other (fallback), none
    dialed: tuple[str, ...] = ()  # the <Client> identities its <Dial> rings
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


def read_answer(twiml: str) -> tuple[str, tuple[str, ...]]:
    """What a voice webhook's TwiML does with the call, and the Client identities it rings (a
    `<Client>`'s text, or its `<Identity>` when it carries parameters)."""
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return "none", ()
    dial = root.find("Dial")
    if dial is not None:
        identities = tuple((client.findtext("Identity") or client.text or "").strip() for client in dial.iter("Client"))
        if identities:
            return "dial", identities
    if root.find("Enqueue") is not None:
        return "enqueue", ()
    return "other", ()


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
        if not call.failed:
            call.answer, call.dialed = read_answer(text)
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
    return percentiles(lags)["p99"]


# --- one measured run ---------------------------------------------------------------------------

@dataclass
class Target:
    """A server under load (the app's processes, or the floor) and the sockets connected to it,
    by who they are: the bench's agents by Client identity, and the supervisors."""

    kind: str  # "app" or "floor"
    servers: list[Server]
    agents: dict[str, int]  # Client identity (username) -> socket id in the agent pool
    staff: frozenset[int]  # supervisors' sockets: in every call's audience
    seeded: Seeded | None = None
    compression: bool = False  # the server's WEBSOCKET_COMPRESSION
    deflated: int = 0  # sockets the server agreed to compress
    audience: str = "targeted"  # the floor's FLOOR_AUDIENCE
    connect_s: float = 0.0  # how long connecting every socket took
    worker: str = "gthread"  # gunicorn's worker class: gthread (threading mode), or gevent (the floor only)

    @property
    def everyone(self) -> frozenset[int]:
        return frozenset(self.agents.values()) | self.staff

    @property
    def socket_ids(self) -> list[int]:
        return sorted(self.everyone)

    def expected(self, call: Call) -> frozenset[int]:
        """The call's audience among these sockets (SPEC §11): the agents its <Dial> rings and the
        supervisors; when it rings nobody (queued, fallback, no answer), every connected agent."""
        if call.answer == "dial":
            return frozenset(self.agents[i] for i in call.dialed if i in self.agents) | self.staff
        return self.everyone


def desktop_polls(polls: list[tuple[str, float, bool]], wall: float) -> dict:
    """What the agents read over HTTP as desktops do (bench_agents.DESKTOP_POLLS), by kind: how
    many requests, per second of the step, how many failed, and how long they took."""
    by_kind: dict[str, list] = {}
    for kind, ms, ok in polls:
        by_kind.setdefault(kind, []).append((ms, ok))
    return {kind: {"requests": len(made), "per_s": round(len(made) / wall, 1) if wall else None,
                   "failures": sum(not ok for _, ok in made), "ms": percentiles([ms for ms, _ in made])}
            for kind, made in sorted(by_kind.items())}


def measure(label: str, target: Target, agents: Agents, numbers: Numbers, rate: float, seconds: float,
            profile: tuple[Path, str] | None = None) -> dict:
    seeded, servers = target.seeded, target.servers
    rng = random.Random(f"{label}-{rate}")
    count = max(1, int(rate * seconds))
    calls = plan_calls(count, servers, callers_for(seeded, numbers, count, rng), rng)
    agents.collect()  # forget anything from before (late call_updates of the previous run)
    cpu_before = {s.name: cpu_seconds(s.worker_pid()) for s in servers}
    client_cpu_before = agents.cpu_seconds() + time.process_time()
    load_before = os.getloadavg()[0]
    profilers = [] if profile is None else [profile_worker(s, *profile, seconds=seconds) for s in servers]
    started = time.monotonic()
    send_lag_p99 = asyncio.run(_fire(calls, rate))
    audience = {call.sid: target.expected(call) for call in calls}
    expected = sum(len(who) for who in audience.values())
    # Until every expected pop could have arrived, and the servers have stopped sending pops and
    # updates (a server that sends to everyone reaches the expected count before it is done).
    deadline, last = time.monotonic() + DRAIN_TIMEOUT_S, None
    while time.monotonic() < deadline:
        received = agents.counts()
        if received[0] >= expected and received == last:
            break
        last = received
        time.sleep(0.1 if received[0] < expected else 0.3)
    wall = time.monotonic() - started
    for profiler in profilers:
        profiler.wait(timeout=60)
    pops, updates, counts, polls = agents.collect()
    cpu = {name: round(cpu_seconds(s.worker_pid()) - before, 2) for s, (name, before) in
           zip(servers, cpu_before.items())}
    client_cpu = round(agents.cpu_seconds() + time.process_time() - client_cpu_before, 2)

    sent = {call.sid: call.sent_at for call in calls}
    mine = target.everyone
    first: dict[tuple[int, str], float] = {}
    duplicates = strays = 0
    reasons: Counter = Counter()
    for socket_id, sid, at, reason in pops:
        if sid not in sent or socket_id not in mine:
            continue
        if (socket_id, sid) in first:
            duplicates += 1
            continue
        first[(socket_id, sid)] = at
        reasons[reason or "none"] += 1
        strays += socket_id not in audience[sid]
    latencies = [(at - sent[sid]) * 1000 for (socket_id, sid), at in first.items() if socket_id in audience[sid]]
    my_updates = [(socket_id, sid) for socket_id, sid in updates if sid in sent and socket_id in mine]
    update_strays = sum(socket_id not in audience[sid] for socket_id, sid in my_updates)
    delivered = len(first) + duplicates + len(my_updates) + counts["other_events"]
    answered = [c.answered_ms for c in calls if c.answered_ms is not None]
    status_ms = [ms for c in calls for ms in c.status_ms]
    cpu_total = sum(cpu.values())
    result = {
        "label": label, "target": target.kind, "customers": seeded.customers if seeded else 0,
        "agents": len(target.agents), "supervisors": len(target.staff), "processes": len(servers),
        "rate_per_s": rate, "seconds": seconds, "calls": count,
        "audience_per_call": round(expected / count, 1),
        "pops_expected": expected, "pops_received": len(latencies),
        "lost": expected - len(latencies), "duplicates": duplicates, "strays": strays,
        # Pops carry "routing" from a server that targets (SPEC §11); one from before sends to everyone.
        "targeted": any(reason != "none" for reason in reasons),
        "routing_reasons": dict(reasons),
        "answers": dict(Counter(c.answer for c in calls)),
        "unknown_identities": sum(i not in target.agents for c in calls for i in c.dialed),
        "pop_ms": percentiles(latencies),
        "webhook_ms": percentiles(answered),
        "status_callback_ms": percentiles(status_ms),
        "webhook_failures": sum(c.failed for c in calls),
        "status_failures": sum(c.status_failed for c in calls),
        "routed_to_agents": sum(c.routed for c in calls),
        "call_updates_received": len(my_updates), "call_update_strays": update_strays,
        "resyncs": counts["resyncs"], "other_events_received": counts["other_events"],
        "sockets_dropped": counts["dropped"],
        "desktop_polls": desktop_polls(polls, wall),
        "messages_delivered": delivered, "messages_per_call": round(delivered / count, 1),
        "websocket_compression": target.compression, "sockets_deflated": target.deflated,
        "connect_s": target.connect_s, "worker": target.worker,
        "send_lag_p99_ms": round(send_lag_p99, 1),
        "server_cpu_s": cpu, "client_cpu_s": client_cpu, "wall_s": round(wall, 1),
        "server_cpu_ms_per_call": round(cpu_total / count * 1000, 2),
        "server_cpu_us_per_message": round(cpu_total / delivered * 1e6, 1) if delivered else None,
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    if target.kind == "floor":
        result["floor_audience"] = target.audience
    result["holds"] = bool(result["lost"] == 0 and result["webhook_failures"] == 0 and result["pop_ms"]["p99"] is not None
                           and result["pop_ms"]["p99"] < P99_LIMIT_MS)
    print("  " + table_row(result), flush=True)
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
