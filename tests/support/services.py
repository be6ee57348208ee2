"""Where the optional real services are, and how a test asks for one.

Locally a missing PostgreSQL, Redis or Chromium skips the tests that need it, with the reason.
With CI=true nothing may be skipped: the same check fails the test instead.
"""
from __future__ import annotations

import os
import shutil
import socket
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _port_open(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def postgres_available() -> bool:
    return _port_open(POSTGRES_ADMIN_URL, 5432)


def redis_available() -> bool:
    return _port_open(REDIS_URL, 6379)


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


def require(available: bool, reason: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: nothing may be skipped)")
    pytest.skip(reason)


def create_postgres_database() -> str:
    """A fresh, uniquely named database; returns its URL. Drop it with `drop_postgres_database`."""
    import sqlalchemy as sa

    name = f"kc_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    import sqlalchemy as sa

    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_behind_proxy(spool_dir, **config):
    """A test app on a fresh PostgreSQL database reached through a relay the test can cut (the
    database "goes down" with `proxy.cut()`): yields (app, proxy). Dropped afterwards."""
    from app import create_app
    from app.extensions import db
    from tests.support.tcp_proxy import TcpProxy

    require(postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    direct_url = create_postgres_database()
    proxy = TcpProxy("127.0.0.1", 5432).start()
    proxied_url = direct_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=proxied_url, SPOOL_DIR=str(spool_dir), **config)
    with app.app_context():
        db.create_all()
    try:
        yield app, proxy
    finally:
        proxy.cut()
        with app.app_context():
            db.engine.dispose()
        drop_postgres_database(direct_url)
