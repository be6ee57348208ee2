"""A storm of desktops (every one reconnecting at once, after a restart or a network blink) works
through DESKTOP_DB_CONNECTIONS of the database pool, a few at a time, and loses nothing: every
desktop is online, every heartbeat answered, every disconnect cleared. The rest of the pool stays
free for calls."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import AgentPresence
from tests.factories import make_token, make_user
from tests.support.sockets import connect_socket, wait_until

DESKTOPS = 30
GATE = 2
# The process's repeating jobs and the dispatcher are not desktop work: they are not counted.
NOT_DESKTOP_WORK = ("ghost-calls", "kept-events", "socket-login-recheck", "queue-dispatch", "sms-survey",
                    "spool-replay", "MainThread")


class HeldByDesktops:
    """How many pooled connections desktop work held at once, at most (pool checkout to checkin)."""

    def __init__(self, engine) -> None:
        self.lock = threading.Lock()
        self.held: set[int] = set()
        self.most = 0
        event.listen(engine, "checkout", self._out)
        event.listen(engine, "checkin", self._in)

    def _out(self, _dbapi, record, _proxy) -> None:
        if threading.current_thread().name.startswith(NOT_DESKTOP_WORK):
            return
        with self.lock:
            self.held.add(id(record))
            self.most = max(self.most, len(self.held))

    def _in(self, _dbapi, record) -> None:
        with self.lock:
            self.held.discard(id(record))


def _online() -> int:
    db.session.rollback()  # a fresh read each time
    return db.session.scalar(select(func.count()).select_from(AgentPresence))


@pytest.mark.app_config(DESKTOP_DB_CONNECTIONS=GATE)
def test_desktops_reconnecting_at_once_take_their_turn_at_the_database_and_lose_nothing(app, live_server):
    with app.app_context():
        tokens = [make_token(make_user(f"storm{i:02d}")) for i in range(DESKTOPS)]
        db.session.commit()
        held = HeldByDesktops(db.engine)

    with ThreadPoolExecutor(max_workers=DESKTOPS) as pool:
        sockets = list(pool.map(lambda token: connect_socket(live_server.base_url, token=token), tokens))
        with app.app_context():
            assert wait_until(lambda: _online() == DESKTOPS, timeout=15), "a desktop is missing from presence"
        answers = list(pool.map(lambda s: s.sio.call("heartbeat", {}, timeout=15), sockets + sockets))
        assert answers == [{"ok": True}] * (2 * DESKTOPS)
        list(pool.map(lambda s: s.sio.disconnect(), sockets))
    with app.app_context():
        assert wait_until(lambda: _online() == 0, timeout=15), "a closed desktop is still online"

    assert 1 <= held.most <= GATE, f"desktop work held {held.most} connections at once, more than {GATE}"


def test_desktops_must_be_allowed_at_least_one_database_connection(tmp_path):
    from app import create_app

    with pytest.raises(RuntimeError, match="DESKTOP_DB_CONNECTIONS must be at least 1, got 0"):
        create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db", DESKTOP_DB_CONNECTIONS=0)
