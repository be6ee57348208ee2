"""The only module that emits. Event names live here; every emit happens after the commit.

With a message queue configured, emits travel through it to every server process, which is why
they are made with `socketio.emit` (works outside a request) rather than a request-bound emit.
"""
from __future__ import annotations

import logging

from app.extensions import socketio

SCREEN_POP = "screen_pop"
CALL_UPDATE = "call_update"

AGENTS_ROOM = "agents"

log = logging.getLogger(__name__)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def _emit(event: str, payload: dict, to: str) -> bool:
    try:
        socketio.emit(event, payload, to=to)
    except Exception:  # the queue can be down; the call record is safe in the database
        log.warning("could not publish %s", event, extra={"call_sid": payload.get("call_sid")}, exc_info=True)
        return False
    return True


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
