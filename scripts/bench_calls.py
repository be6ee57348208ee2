"""The provider's side of `make bench`: signed inbound-call webhooks and their status callbacks at a
fixed rate, and one measured run (what the agents received, how fast, at what CPU cost).
"""
from __future__ import annotations

import asyncio
import os
import random
import time
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
    return percentiles(lags)["p99"]


# --- one measured run ---------------------------------------------------------------------------

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
    profilers = [] if profile is None else [profile_worker(s, *profile, seconds=seconds) for s in servers]
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
        "pop_ms": percentiles(latencies),
        "webhook_ms": percentiles(answered),
        "status_callback_ms": percentiles(status_ms),
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
