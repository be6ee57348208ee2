"""Shared fixtures: an app on a real database, the provider that signs its webhooks, a live server
with real Socket.IO clients.

The database is SQLite by default; `KC_TEST_DB=postgresql` runs the same suite on PostgreSQL
(`make test` does both).
"""
from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests
import socketio as socketio_client
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.support import provider as provider_support
from tests.support import services
from tests.support.browser import browser  # noqa: F401  (one Chromium per module, for the browser tests)

TEST_DB = os.environ.get("KC_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def postgres_database():
    services.require(services.postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    url = services.create_postgres_database()
    yield url
    services.drop_postgres_database(url)


@pytest.fixture
def database_url(request, tmp_path):
    if TEST_DB == "postgresql":
        return request.getfixturevalue("postgres_database")
    return f"sqlite:///{tmp_path / 'knowncaller.db'}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, SPOOL_DIR=str(tmp_path / "spool"))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Provider:
    """Sends webhooks as Twilio does: form-encoded and signed for the exact URL."""

    def __init__(self, auth_token: str, client=None, base_url: str = "http://localhost",
                 public_url: str | None = None):
        self.auth_token = auth_token
        self.client = client
        self.base_url = base_url
        # Behind a load balancer the provider signs the public URL, not the process's own.
        self.public_url = public_url

    def sign(self, url: str, params: dict) -> str:
        return provider_support.sign(self.auth_token, url, params)

    def post(self, path: str, params: dict, *, signature: str | None = None, sign_url: str | None = None,
             headers: dict | None = None):
        url = self.base_url + path
        all_headers = {"X-Twilio-Signature": signature if signature is not None
                       else self.sign(sign_url or (self.public_url or self.base_url) + path, params)}
        all_headers.update(headers or {})
        if self.client is not None:
            return self.client.post(path, data=params, headers=all_headers, base_url=self.base_url)
        return requests.post(url, data=params, headers=all_headers, timeout=10)

    def call(self, from_: str = "+14155550100", call_sid: str | None = None, **extra):
        params = provider_support.voice_params(call_sid=call_sid, from_=from_, **extra)
        return params["CallSid"], self.post("/twilio/voice", params)

    def status(self, call_sid: str, status: str, sequence: int | None = None, duration: int | None = None,
               **extra):
        return self.post("/twilio/status", provider_support.status_params(call_sid, status, sequence, duration,
                                                                          **extra))


@pytest.fixture
def provider(app, client):
    return Provider(app.config["TWILIO_AUTH_TOKEN"], client=client)


@dataclass
class LiveServer:
    app: object
    base_url: str
    provider: Provider


@pytest.fixture
def live_server(app):
    """The app served over real HTTP and websockets by Werkzeug on a free port, in this process."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, base_url, Provider(app.config["TWILIO_AUTH_TOKEN"], base_url=base_url))
    server.shutdown()
    thread.join(timeout=5)


@dataclass
class SocketRecorder:
    """A real python-socketio client that records every event it receives."""

    sio: socketio_client.Client
    received: "queue.Queue[tuple[str, dict]]" = field(default_factory=queue.Queue)
    seen: list = field(default_factory=list)

    def wait_for(self, event: str, predicate=lambda data: True, timeout: float = 5.0) -> dict:
        for name, data in self.seen:
            if name == event and predicate(data):
                return data
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {event!r} event matching within {timeout}s; got {self.seen!r}")
            try:
                name, data = self.received.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append((name, data))
            if name == event and predicate(data):
                return data

    def drain(self, settle: float = 0.3) -> list:
        """Everything received until nothing new has arrived for `settle` seconds."""
        while True:
            try:
                self.seen.append(self.received.get(timeout=settle))
            except queue.Empty:
                return list(self.seen)

    def events(self, event: str) -> list[dict]:
        self.drain()
        return [data for name, data in self.seen if name == event]


def connect_socket(base_url: str, *, token: str | None = None, cookie: str | None = None,
                   headers: dict | None = None, transports=("websocket",)) -> SocketRecorder:
    sio = socketio_client.Client(reconnection=False)
    recorder = SocketRecorder(sio)
    for event in ("screen_pop", "call_update"):
        sio.on(event, lambda data, event=event: recorder.received.put((event, data)))
    sio.connect(
        base_url,
        auth={"token": token} if token else None,
        headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})},
        transports=list(transports),
        wait_timeout=5,
    )
    ws = getattr(sio.eio, "ws", None)
    if ws is not None:
        # Werkzeug's dev server never answers the websocket close frame, so websocket-client would
        # wait its full 3 s on every disconnect; the test server is torn down right after anyway.
        close = ws.close
        ws.close = lambda *args, **kwargs: close(*args, **{**kwargs, "timeout": 0.1})
    return recorder


@pytest.fixture
def socket_factory(live_server):
    clients: list[SocketRecorder] = []

    def factory(**kwargs) -> SocketRecorder:
        recorder = connect_socket(live_server.base_url, **kwargs)
        clients.append(recorder)
        return recorder

    yield factory
    for recorder in clients:
        if recorder.sio.connected:
            recorder.sio.disconnect()


def login_cookie(base_url: str, username: str, password: str) -> str:
    """Log in through the real form and return the session cookie as a Cookie header."""
    session = requests.Session()
    response = session.post(f"{base_url}/login", data={"username": username, "password": password},
                            allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)
