"""The agents of `make bench`: a lean Socket.IO client, many sockets per asyncio process.

Each agent speaks Engine.IO 4 / Socket.IO 5 over one websocket, as the browser does, and opens
it as a browser does: offering per-message compression (`Sec-WebSocket-Extensions:
permessage-deflate; client_max_window_bits`), which the server may take or leave. It reads only
what it must: the receipt time is taken when the frame arrives, and only the CallSid (and, on a
pop, the routing reason) is pulled out, so one asyncio process can hold hundreds of agents without
becoming the thing being measured.
"""
from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import random
import re
import threading
import time

import aiohttp

from scripts.bench_servers import Server, cpu_seconds

CALL_SID = re.compile(r'"call_sid":\s*"([^"]+)"')
ROUTING_REASON = re.compile(r'"routing":\s*\{[^{}]*?"reason":\s*"([a-z_]+)"')
# aiohttp offers exactly what browsers do with this: "permessage-deflate; client_max_window_bits".
DEFLATE_OFFER = 15
HEARTBEAT_S = 30.0  # as the desktop: presence lapses after PRESENCE_TTL_SECONDS without one
# `bench.py --synchronized-heartbeats` (set before the agent processes start): every agent beats
# HEARTBEAT_S after its own connect, so a crowd that connected within seconds beats within the
# same seconds, every period, as no floor of desktops does.
SYNCHRONIZED_HEARTBEATS = os.environ.get("KC_BENCH_SYNCHRONIZED_HEARTBEATS") == "1"
# What an open desktop reads over HTTP by itself, and how often (desktop.js RESYNC_MS,
# follow_ups.js FOLLOW_UPS_REFRESH_MS, my_day.js MY_DAY_REFRESH_MS): each agent of the app reads
# them, once on connect and then every period, at its own phase, with its API token. The floor
# serves none of them (it is the bare emit), so its agents don't. A desktop also reads its
# follow-ups and its day after a pop or update about a call it holds or a customer with something
# of its user's (concerns.js): the bench's agents never answer a call and its customers owe them
# nothing, so these periodic reads are all such a desktop makes here.
DESKTOP_POLLS = (
    ("resync", 30.0, ("/api/v1/calls?active=true",)),
    ("follow_ups", 60.0, ("/api/v1/follow-ups?status=open&owner=me",)),
    ("my_day", 60.0, ("/api/v1/me/figures", "/api/v1/care-list?mine=true&limit=3")),
)


class AgentPool:
    """Runs in a child process: connects agents on command and records every pop and call update
    they receive: pops as (agent, CallSid, receipt time, routing reason or None: a server from
    before SPEC §11 sends none), updates as (agent, CallSid)."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.pops: list[tuple[int, str, float, str | None]] = []
        self.updates: list[tuple[int, str]] = []
        self.resyncs = 0
        self.other_events = 0  # any other server event (agent_status, queue_update…)
        self.dropped = 0
        self.deflated: set[int] = set()  # agents whose socket the server agreed to compress
        self.tasks: dict[int, asyncio.Task] = {}
        self.closing: set[int] = set()
        self.polls: list[tuple[str, float, bool]] = []  # (kind, ms, answered 200) of DESKTOP_POLLS

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
        if command == "connect":  # arg: ([(agent_id, base_url, token)], offer_deflate, polls)
            specs, offer_deflate, polls = arg
            semaphore = asyncio.Semaphore(10)  # connect handlers use the database: not all at once

            async def one(agent_id, base_url, token):
                async with semaphore:
                    ready = self.loop.create_future()
                    self.tasks[agent_id] = asyncio.create_task(
                        self._agent(agent_id, base_url, token, offer_deflate, polls, ready))
                    await ready

            await asyncio.gather(*(one(*spec) for spec in specs))
            return sum(agent_id in self.deflated for agent_id, _, _ in specs)
        if command == "disconnect":  # arg: [agent_id]
            for agent_id in arg:
                self.closing.add(agent_id)
                self.deflated.discard(agent_id)
                task = self.tasks.pop(agent_id, None)
                if task:
                    task.cancel()
            await asyncio.sleep(0.2)
            return True
        if command == "count":
            return len(self.pops), len(self.updates)
        if command == "collect":
            pops, self.pops = self.pops, []
            updates, self.updates = self.updates, []
            counts = {"resyncs": self.resyncs, "other_events": self.other_events, "dropped": self.dropped}
            self.resyncs = self.other_events = 0
            polls, self.polls = self.polls, []
            return pops, updates, counts, polls
        if command == "quit":
            for task in self.tasks.values():
                task.cancel()
            return True
        raise ValueError(command)

    async def _poll(self, agent_id: int, base_url: str, token: str, kind: str, period: float,
                    paths: tuple[str, ...]) -> None:
        """One of DESKTOP_POLLS for one agent, forever: now, then every `period` at its own phase."""
        headers = {"Authorization": f"Bearer {token}"}
        phase = random.Random(f"{agent_id}-{kind}").uniform(0, period)
        first = True
        while True:
            for path in paths:
                started = time.monotonic()
                try:
                    async with self.session.get(base_url + path, headers=headers,
                                                timeout=aiohttp.ClientTimeout(total=30)) as response:
                        await response.read()
                        ok = response.status == 200
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    ok = False
                self.polls.append((kind, (time.monotonic() - started) * 1000, ok))
            await asyncio.sleep(phase if first else period)
            first = False

    async def _agent(self, agent_id: int, base_url: str, token: str, offer_deflate: bool, polls: bool,
                     ready: asyncio.Future) -> None:
        url = base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        heartbeat = None
        try:
            ws = await self.session.ws_connect(url, autoping=False, max_msg_size=0,
                                               compress=DEFLATE_OFFER if offer_deflate else 0)
            if ws.compress:
                self.deflated.add(agent_id)
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
            # As the desktop (desktop.js): one heartbeat on connect, then one every HEARTBEAT_S on
            # the interval its page started when it loaded. Desktops load their pages at any time,
            # so across a floor those intervals fall at any phase of the period: each agent's is
            # drawn once (seeded by its id, the same every run).
            if SYNCHRONIZED_HEARTBEATS:
                await asyncio.sleep(HEARTBEAT_S)
            else:
                await ws.send_str('42["heartbeat"]')
                await asyncio.sleep(random.Random(agent_id).uniform(0, HEARTBEAT_S))
            while True:
                await ws.send_str('42["heartbeat"]')
                await asyncio.sleep(HEARTBEAT_S)

        heartbeat = asyncio.create_task(beat())
        pollers = [asyncio.create_task(self._poll(agent_id, base_url, token, kind, period, paths))
                   for kind, period, paths in (DESKTOP_POLLS if polls else ())]
        try:
            async for message in ws:
                received = time.monotonic()
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                data = message.data
                if data.startswith('42["screen_pop"'):
                    found = CALL_SID.search(data, 14)
                    reason = None
                    if '"routing"' in data:
                        routed = ROUTING_REASON.search(data)
                        reason = routed.group(1) if routed else "?"
                    self.pops.append((agent_id, found.group(1) if found else "?", received, reason))
                elif data.startswith('42["call_update"'):
                    found = CALL_SID.search(data, 15)
                    self.updates.append((agent_id, found.group(1) if found else "?"))
                elif data == "2":
                    await ws.send_str("3")
                elif data.startswith('42["resync"'):
                    self.resyncs += 1
                elif data.startswith("42"):
                    self.other_events += 1
                elif data.startswith("41"):
                    break
        finally:
            heartbeat.cancel()
            for poller in pollers:
                poller.cancel()
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

    def connect(self, servers: list[Server], tokens: list[str], offer_deflate: bool = True,
                polls: bool = False) -> tuple[list[int], int]:
        """Agent i on server i mod len(servers), client process i mod len(pools); returns the agents'
        ids and how many of their sockets the server agreed to compress. `polls`: each also reads
        what a desktop reads over HTTP by itself (DESKTOP_POLLS)."""
        ids = list(range(self.next_id, self.next_id + len(tokens)))
        self.next_id += len(tokens)
        shares: list[list] = [[] for _ in self.pipes]
        for n, (agent_id, token) in enumerate(zip(ids, tokens)):
            shares[n % len(self.pipes)].append((agent_id, servers[n % len(servers)].base_url, token))
        deflated = self._all("connect", [(share, offer_deflate, polls) for share in shares])
        return ids, sum(deflated)

    def disconnect(self, ids: list[int]) -> None:
        self._all("disconnect", [ids] * len(self.pipes))

    def counts(self) -> tuple[int, int]:
        """Pops and call updates received so far (both grow while the servers still send)."""
        both = self._all("count")
        return sum(p for p, _ in both), sum(u for _, u in both)

    def collect(self) -> tuple[list, list, dict, list]:
        """Every pop and call update received since the last collect, the sockets' counts, and the
        desktop polls made (`(kind, ms, ok)`)."""
        pops, updates, counts, polls = [], [], {"resyncs": 0, "other_events": 0, "dropped": 0}, []
        for part, part_updates, part_counts, part_polls in self._all("collect"):
            pops.extend(part)
            updates.extend(part_updates)
            polls.extend(part_polls)
            for key in counts:
                counts[key] += part_counts[key]
        return pops, updates, counts, polls

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

