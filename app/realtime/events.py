"""Socket.IO handlers: who may connect, which rooms they join, what they get on (re)connect."""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import disconnect, join_room
from sqlalchemy.exc import SQLAlchemyError

from app import jobs
from app.extensions import db, socketio
from app.models import ApiToken, LoginSession, utcnow
from app.realtime import push
from app.services.calls import delivery, dispatcher, ghosts, provider_events, queue
from app.services.calls import lifecycle as calls
from app.services.people import accounts, presence, status
from app.settings import settings

log = logging.getLogger(__name__)


_GATE = "knowncaller.desktop_db_gate"
_inside = threading.local()


def install_desktop_gate(app) -> None:
    """Each app's gate for the desktops' own database work (DESKTOP_DB_CONNECTIONS at once)."""
    app.extensions[_GATE] = threading.BoundedSemaphore(settings(app).people.desktop_db_connections)


@contextmanager
def desktop_db_work(app):
    """The database work of a socket event (connect, heartbeat, disconnect) or of what it sets off
    (the status it announces), a few at a time per process.

    When every desktop reconnects at once (a process restarted, the network blinked), a thread per
    socket event would otherwise take a pooled connection each, and a call's webhook would wait out
    DB_CONNECT_TIMEOUT_SECONDS behind them and be routed to the fallback. Here the desktops queue
    for DESKTOP_DB_CONNECTIONS of the pool and the rest stays for calls. The work's transaction
    ends with it (committed, or rolled back if it raised), which gives its connection back before
    the next takes its turn.

    A thread already inside goes on through: a heartbeat whose login ended disconnects its socket,
    and the disconnect's own handler runs right there, on the same thread.
    """
    if getattr(_inside, "holding", False):
        yield
        return
    with app.extensions[_GATE]:
        _inside.holding = True
        try:
            yield
        except BaseException:
            db.session.rollback()
            raise
        else:
            db.session.commit()
        finally:
            _inside.holding = False


def _authenticated_user(auth):
    """The session's user (browser cookie) or the owner of `auth["token"]` (API clients).

    The token is kept in this socket's own session (Flask-SocketIO keeps one per connection), so
    every heartbeat can check again that the login, or the token, is still good.
    """
    if current_user.is_authenticated:
        return current_user._get_current_object()
    token = auth.get("token") if isinstance(auth, dict) else None
    user = accounts.user_for_token(token, now=utcnow())
    if user is not None:
        session["socket_token"] = token
    return user


def _still_authenticated():
    token = session.get("socket_token")
    if token:
        return accounts.user_for_token(token, now=utcnow())
    return current_user._get_current_object() if current_user.is_authenticated else None


def _replay_when_connected(app, sid: str, pops: list[dict]) -> None:
    """Send the active calls once the connection is accepted, so they follow the CONNECT packet."""
    manager = socketio.server.manager
    deadline = time.monotonic() + 5
    while not manager.is_connected(sid, "/"):
        if time.monotonic() > deadline:
            return
        socketio.sleep(0.005)
    with app.app_context():
        delivery.send_replay(sid, pops)


def _login_of_this_socket() -> dict:
    """What this socket stands on: the browser's login session, or the API token it sent."""
    token = session.get("socket_token")
    if token:
        return {"token_hash": ApiToken.hash(token)}
    secret = session.get("login_secret")
    return {"login_id": LoginSession.hash(secret)} if secret else {}


def close_expired_sockets() -> list[str]:
    """Close every socket whose login or token has ended, or whose user was deactivated, on any
    process (the message queue carries the disconnect): a background job of every process that
    has sockets, so a socket that never heartbeats is cut off too."""
    people = settings().people
    sids = presence.expired_sockets(utcnow(), people.session_idle_minutes)
    if sids:
        log.warning("closing %d sockets whose login ended", len(sids))
        push.disconnect_sockets(sids)
        presence.forget(sids)
    return sids


def _keep_checking_logins(app) -> None:
    jobs.every(app, "socket-login-recheck", close_expired_sockets,
               interval=settings(app).people.socket_recheck_seconds)


@socketio.on("connect")
def on_connect(auth=None):
    app = current_app._get_current_object()
    with desktop_db_work(app):
        user = _authenticated_user(auth)
        if user is None:
            raise ConnectionRefusedError("authentication required")
        user_id = user.id
        join_room(push.EVERYONE)
        join_room(push.user_room(user_id))
        # The rooms a call's audience names (SPEC §11): read from the user as they are now.
        if user.role in presence.STAFF_ROLES:
            join_room(push.STAFF)
        if user.watch_all:
            join_room(push.WATCHERS)
        for room in delivery.masked_rooms_joined(user):
            join_room(room)
        config = settings().calls
        try:
            presence.mark_online(request.sid, user_id, **_login_of_this_socket())
            now = utcnow()
            active = [(call, calls.customers_for(call)) for call in calls.active_calls(config.stale_call_hours, now)]
            pops = delivery.replay_for(presence.ConnectedUser.of(user), active, region=config.region, now=now)
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("could not load active calls for a new connection")
            pops = []
    _status_changed(app, user_id)
    _keep_checking_logins(app)
    ghosts.keep_checking(app)
    provider_events.keep_sweeping(app)
    socketio.start_background_task(_replay_when_connected, app, request.sid, pops)
    return True


@socketio.on("heartbeat")
def on_heartbeat(_data=None):
    """Desktops say they are still there; agents silent for PRESENCE_TTL_SECONDS are offline.

    Each heartbeat also re-checks the login (it keeps the session from idling out meanwhile):
    a socket whose login ended, idled out or was deactivated is cut off here even if the
    disconnect sent at that moment was lost.
    """
    with desktop_db_work(current_app._get_current_object()):
        try:
            if _still_authenticated() is None:
                disconnect()
                return {"ok": False}
            presence.heartbeat(request.sid)
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("heartbeat not recorded", exc_info=True)
    return {"ok": True}


def _status_changed(app, user_id: int) -> None:
    """A desktop opened or closed: supervisors hear the user's status, and a caller in line may be
    moved to them (in the background: the socket's handler returns at once)."""
    def tell() -> None:
        with desktop_db_work(app):
            status.announce([user_id], settings(), utcnow())
            # Asked here, under the gate: a thousand desktops connecting must not start a thousand
            # dispatch threads for an empty line (a caller joining it starts the dispatch anyway).
            anyone_waits = bool(queue.waiting_count(utcnow()))
        if anyone_waits:
            dispatcher.agent_freed(app)

    jobs.run(app, "status-changed", tell)


@socketio.on("disconnect")
def on_disconnect(*_args):
    app = current_app._get_current_object()
    with desktop_db_work(app):
        try:
            user_id = presence.user_of(request.sid)
            presence.mark_offline(request.sid)
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("presence not cleared", exc_info=True)
            return
    if user_id is not None:
        _status_changed(app, user_id)
