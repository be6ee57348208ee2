"""The only module that emits. Event names and rooms live here; every emit happens after the commit.

Which rooms a call's events go to, and with what payload, is decided in
`app.services.calls.delivery`; this module only sends.

With a message queue configured, emits travel through it to every server process, which is why
they are made with `socketio.emit` (works outside a request) rather than a request-bound emit.
"""
from __future__ import annotations

import logging

from app.extensions import socketio

SCREEN_POP = "screen_pop"
CALL_UPDATE = "call_update"

# Every connected socket joins this room; a call whose audience is everyone is one emit to it.
EVERYONE = "agents"

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


def screen_pop(payload: dict, *, to: str) -> bool:
    """Pop a call in one room (EVERYONE, a user's room), or on one socket (`to` a sid) when replaying."""
    return _emit(SCREEN_POP, payload, to)


def call_update(payload: dict, *, to: str) -> bool:
    return _emit(CALL_UPDATE, payload, to)


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
    socketio.emit(RESYNC, {"reason": reason}, to=EVERYONE, ignore_queue=True)
