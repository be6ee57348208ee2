"""The suite's fixtures, in one plugin (registered by tests/conftest.py): an app on a real database,
apps configured otherwise on that same database, API clients speaking as a user of a role, the
provider that signs webhooks, and a live server with real Socket.IO clients.

The database is SQLite by default; `KC_TEST_DB=postgresql` runs the same suite on PostgreSQL
(`make test` does both).

Settings are read once, when an app is created: a test that needs other settings asks for them
up front, with `@pytest.mark.app_config(NAME=value)` (the `app` fixture, and so `client`,
`provider` and `live_server`, are created so) or with `app_with(NAME=value)` (another app beside
`app`, on the same database). Never assign to `app.config` after creation.
"""
from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from app import create_app, jobs
from app.extensions import db
from tests.factories import make_token, make_user
from tests.support import services
from tests.support.api import Api
from tests.support.browser import browser  # noqa: F401  (one Chromium per module, for the browser tests)
from tests.support.provider import Provider
from tests.support.sockets import SocketRecorder, connect_socket

TEST_DB = os.environ.get("KC_TEST_DB", "sqlite")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "app_config(**settings): create the test's `app` with these settings overrides")


@pytest.fixture(autouse=True)
def _no_jobs_outlive_their_test():
    """Repeating jobs (ghost checks, kept-event sweeps, socket re-checks) of every app a test made,
    by a fixture or by hand, stop when it ends: they would poll databases that are gone."""
    yield
    jobs.stop()


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


def _create_test_app(config_name: str, database_url: str, tmp_path, **settings):
    settings.setdefault("SPOOL_DIR", str(tmp_path / "spool"))
    app = create_app(config_name, SQLALCHEMY_DATABASE_URI=database_url, **settings)
    with app.app_context():
        db.create_all()
    return app


def _clear_test_app(app) -> None:
    jobs.stop(app)  # its repeating jobs would go on polling a database about to be emptied
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def app(request, database_url, tmp_path):
    """The app under test (config "testing") on a fresh database, emptied afterwards.

    `@pytest.mark.app_config(NAME=value, ...)` on a test, class or module creates it with those
    settings (the closest marker wins, names merged outward in)."""
    settings = {}
    for marker in reversed(list(request.node.iter_markers("app_config"))):
        settings.update(marker.kwargs)
    app = _create_test_app("testing", database_url, tmp_path, **settings)
    yield app
    _clear_test_app(app)


@pytest.fixture
def app_with(database_url, tmp_path):
    """A factory: `app_with(NAME=value, ...)` is another app created with those settings, on the same
    test database as `app` (so rows made through one are seen by the other), emptied afterwards.
    A positional first argument picks another configuration: `app_with("production", ...)`."""
    made = []

    def factory(config_name: str = "testing", /, **settings):
        app = _create_test_app(config_name, database_url, tmp_path, **settings)
        made.append(app)
        return app

    yield factory
    for app in made:
        _clear_test_app(app)


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


@pytest.fixture
def api_as(app_ctx, client):
    """A factory: `api_as(role)` makes a fresh user of that role and returns an `Api` speaking as them
    (`.user`, `.token`, `.headers`, `.get/.post/.patch/.put/.delete(path, json=...)`).

    Usernames are `<role><n>` (agent1, agent2, ...) unless `username=` is given; other keywords
    (`display_name=`, `reach_kind=`...) go to `make_user`. `base_url=` talks real HTTP to a live
    server instead of the test client; `app=` uses that app's test client (e.g. one of `app_with`'s,
    on the same database). The test runs inside the app context, as the user is made in it."""
    counters: dict[str, itertools.count] = {}

    def factory(role: str = "agent", *, username: str | None = None, base_url: str | None = None,
                app=None, **fields) -> Api:
        if username is None:
            username = f"{role}{next(counters.setdefault(role, itertools.count(1)))}"
        user = make_user(username, role=role, **fields)
        token = make_token(user)
        if base_url is not None:
            return Api(user, token, base_url=base_url)
        return Api(user, token, client=client if app is None else app.test_client())

    return factory


@pytest.fixture
def ann(api_as) -> Api:
    """Ann Lee, an agent, speaking to the API: the persona of the call-work and timeline tests."""
    return api_as("agent", username="ann", display_name="Ann Lee")


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
