"""Real server processes (gunicorn, as in production) for multi-process tests and benchmarks."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

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


@contextmanager
def two_processes(log_dir: Path, *, auth_token: str, public_url: str, **settings: str
                  ) -> Iterator[tuple[tuple[ServerProcess, ServerProcess], object]]:
    """Two gunicorn processes ("a", "b") sharing a fresh PostgreSQL database and a Redis channel of
    their own, as several hosts serve one contact center; yields them and an app on the same
    database (to set up rows and read what the servers stored). `settings`: more of their
    environment. The database is dropped afterwards."""
    from app import create_app
    from app.extensions import db
    from tests.support import services

    services.require(services.postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    services.require(services.redis_available(), "Redis is not reachable on 127.0.0.1:6379")
    database_url = services.create_postgres_database()
    env = {
        "KNOWNCALLER_ENV": "development",
        "DATABASE_URL": database_url,
        "SOCKETIO_MESSAGE_QUEUE": services.REDIS_URL,
        "SOCKETIO_CHANNEL": "kc-test-" + uuid.uuid4().hex,
        "SECRET_KEY": uuid.uuid4().hex,
        "TWILIO_AUTH_TOKEN": auth_token,
        "PUBLIC_BASE_URL": public_url,
        "TRUSTED_PROXIES": "0",
        **settings,
    }
    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url, TWILIO_AUTH_TOKEN=auth_token)
    with app.app_context():
        db.create_all()
    servers = []
    try:
        servers = [start_server(env, log_dir, name=name) for name in ("a", "b")]
        yield (servers[0], servers[1]), app
    finally:
        for server in servers:
            server.stop()
        with app.app_context():
            db.engine.dispose()
        services.drop_postgres_database(database_url)
