"""The server processes `make bench` measures: gunicorn as in production (one worker, gthread),
the app's processes sharing PostgreSQL and Redis, and the floor (scripts/bench_floor_app.py).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests

from scripts.bench_load import AUTH_TOKEN, BIN, ROOT, SECRET_KEY, Seeded
from tests.support import services
from tests.support.servers import ServerProcess

THREAD_HEADROOM = 60  # gthread threads beyond one per websocket, for webhooks and API calls


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
    """One gunicorn process, one worker, gthread: the production shape (see README).

    gthread accepts at most `--worker-connections` (default 1,000) sockets at once; every
    websocket is one, so that limit is raised with the threads."""
    port = services.free_port()
    log_path = workdir / f"{name}.log"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "1", "--threads", str(threads), "-b", f"127.0.0.1:{port}",
         "--worker-connections", str(max(1000, threads + THREAD_HEADROOM)),
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


def threads_for(sockets: int, processes: int = 1) -> int:
    """gthread threads per process: one per websocket it holds, and room for webhooks and API calls."""
    return -(-sockets // processes) + THREAD_HEADROOM


def start_app_servers(seeded: Seeded, processes: int, sockets: int, workdir: Path, tag: str, *,
                      compression: bool = False) -> list[Server]:
    """The app's processes, sharing PostgreSQL and Redis; `sockets`: how many they hold in all.
    `compression`: the app's WEBSOCKET_COMPRESSION (accept the browsers' permessage-deflate)."""
    channel = f"kc-bench-{uuid.uuid4().hex[:10]}"
    env = {"DATABASE_URL": seeded.url, "SECRET_KEY": SECRET_KEY, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "KNOWNCALLER_ENV": "production", "LOG_LEVEL": "WARNING",
           "SOCKETIO_MESSAGE_QUEUE": services.REDIS_URL, "SOCKETIO_CHANNEL": channel,
           "SPOOL_DIR": str(workdir / f"spool-{tag}"), "WEBSOCKET_COMPRESSION": str(compression).lower()}
    threads = threads_for(sockets, processes)
    return [start_gunicorn(f"app-{tag}-{i + 1}", "wsgi:app", env, threads, workdir) for i in range(processes)]


FLOOR_AUDIENCES = ("targeted", "everyone")


def start_floor(sockets: int, workdir: Path, tag: str = "floor", *, compression: bool = False,
                audience: str = "targeted", gevent_path: str | None = None) -> Server:
    """The floor (scripts/bench_floor_app.py), one process holding every socket; `audience`:
    `targeted` (a call's events to the agents it rings and the supervisors, SPEC §11) or
    `everyone` (every event to every socket, as before §11). With `gevent_path` (where gevent can
    be imported from, "" for the venv itself) it runs on gunicorn's gevent worker instead of threads."""
    env = {"LOG_LEVEL": "WARNING", "WEBSOCKET_COMPRESSION": str(compression).lower(), "FLOOR_AUDIENCE": audience}
    extra: tuple[str, ...] = ("--pythonpath", str(ROOT / "scripts"))
    if gevent_path is not None:
        env["FLOOR_ASYNC_MODE"] = "gevent"
        extra += ("-k", "gevent")
        if gevent_path:
            env["PYTHONPATH"] = os.pathsep.join([str(ROOT), gevent_path])
    return start_gunicorn(tag, "bench_floor_app:app", env, threads_for(sockets), workdir, extra=extra)


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


PROFILE_FORMATS = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}


def profile_worker(server: Server, folder: Path, fmt: str, seconds: float) -> subprocess.Popen:
    """py-spy on a server worker for one run (`pip install py-spy`): a flame graph per process of
    the thread holding the interpreter lock, i.e. where the Python CPU time goes."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{server.name}-{time.strftime('%H%M%S')}.{PROFILE_FORMATS[fmt]}"
    print(f"  profiling {server.name} into {out}", flush=True)
    py_spy = shutil.which("py-spy") or str(BIN / "py-spy")  # on PATH, or in the venv
    return subprocess.Popen([py_spy, "record", "--pid", str(server.worker_pid()), "--duration",
                             str(int(seconds) + 1), "--rate", "100", "--nonblocking", "--gil", "--format", fmt,
                             "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
