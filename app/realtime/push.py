"""The only module that emits. Event names live here; every emit happens after the commit.

With a message queue configured, emits travel through it to every server process, which is why
they are made with `socketio.emit` (works outside a request) rather than a request-bound emit.
"""
from __future__ import annotations

import logging

from socketio import PubSubManager

from app.extensions import socketio

SCREEN_POP = "screen_pop"
CALL_UPDATE = "call_update"

AGENTS_ROOM = "agents"

log = logging.getLogger(__name__)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def _emit(event: str, payload: dict, to: str) -> bool:
    try:
        manager = socketio.server.manager
        if isinstance(manager, PubSubManager):
            _publish_then_deliver(manager, event, payload, to)
        else:
            socketio.emit(event, payload, to=to)
    except Exception:  # the queue can be down; the call record is safe in the database
        log.warning("could not publish %s", event, extra={"call_sid": payload.get("call_sid")}, exc_info=True)
        return False
    return True


def _publish_then_deliver(manager: PubSubManager, event: str, payload: dict, to: str) -> None:
    """Hand the event to the other processes first, then deliver it to this process's sockets.

    The queue manager's own emit does it the other way round: it writes to every local socket
    (hundreds of agents: a thread to wake for each) before publishing, so every other process
    started its own delivery only once this one had finished. Published first, all processes
    deliver at once. The message is the one `PubSubManager.emit` publishes (python-socketio 5.x;
    our ResilientRedisManager already builds on that class); this process ignores its own.
    """
    manager._publish({
        "method": "emit", "event": event, "data": [payload], "binary": False, "namespace": "/",
        "room": to, "skip_sid": None, "callback": None, "host_id": manager.host_id,
    })
    socketio.emit(event, payload, to=to, ignore_queue=True)


def screen_pop(payload: dict, to: str | None = None) -> bool:
    """Pop a call on every agent's desktop, or on one socket (`to`) when replaying."""
    return _emit(SCREEN_POP, payload, to or AGENTS_ROOM)


def call_update(payload: dict) -> bool:
    return _emit(CALL_UPDATE, payload, AGENTS_ROOM)


def disconnect_sockets(sids: list[str]) -> None:
    """Cut these sockets off, wherever they are connected (the queue carries it to other processes)."""
    for sid in sids:
        try:
            socketio.server.disconnect(sid, namespace="/")
        except Exception:
            log.warning("could not disconnect a socket", exc_info=True)


RESYNC = "resync"


def resync_local_desktops(reason: str) -> None:
    """Tell the desktops connected to THIS process to re-read active calls over HTTP.

    Used when the message queue may have lost pops; it bypasses the queue on purpose.
    """
    socketio.emit(RESYNC, {"reason": reason}, to=AGENTS_ROOM, ignore_queue=True)
