"""Real server processes (gunicorn, as in production) for multi-process tests and benchmarks."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


@dataclass
class ServerProcess:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_server(env: dict[str, str], log_dir: Path, threads: int = 32, name: str = "server") -> ServerProcess:
    """One gunicorn process with one worker (Flask-SocketIO's rule), like each production process."""
    port = free_port()
    log_path = log_dir / f"{name}-{port}.log"
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    # The production settings (gunicorn.conf.py), so every multi-process test exercises them.
    full_env.update(BIND=f"127.0.0.1:{port}", THREADS=str(threads))
    process = subprocess.Popen(
        [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), "--graceful-timeout", "2", "wsgi:app"],
        cwd=ROOT, env=full_env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log()}")
        try:
            requests.get(server.base_url + "/login", timeout=5)
            return server
        except requests.RequestException:  # not listening yet, or still importing under load
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not start within 60 s:\n{server.log()}")
