"""The server processes `make bench` measures: gunicorn as in production (one worker, gthread),
the app's processes sharing PostgreSQL and Redis, and the floor (scripts/bench_floor_app.py).
"""
from __future__ import annotations

import os
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


PROFILE_FORMATS = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}


def profile_worker(server: Server, folder: Path, fmt: str, seconds: float) -> subprocess.Popen:
    """py-spy on a server worker for one run (`pip install py-spy`): a flame graph per process of
    the thread holding the interpreter lock, i.e. where the Python CPU time goes."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{server.name}-{time.strftime('%H%M%S')}.{PROFILE_FORMATS[fmt]}"
    print(f"  profiling {server.name} into {out}", flush=True)
    return subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(server.worker_pid()), "--duration",
                             str(int(seconds) + 1), "--rate", "100", "--nonblocking", "--gil", "--format", fmt,
                             "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
