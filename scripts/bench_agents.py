"""The agents of `make bench`: a lean Socket.IO client, many sockets per asyncio process.

Each agent speaks Engine.IO 4 / Socket.IO 5 over one websocket, as the browser does, but reads
only what it must: the receipt time is taken when the frame arrives, and only the CallSid is
pulled out of a pop, so one asyncio process can hold hundreds of agents without becoming the
thing being measured.
"""
from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import re
import threading
import time

import aiohttp

from scripts.bench_servers import Server, cpu_seconds

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

