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
AGENT_STATUS = "agent_status"  # an agent's status changed (to supervisors, and to the agent)
QUEUE_UPDATE = "queue_update"  # the line of waiting callers changed (to everyone)

# Every connected socket joins this room; a call whose audience is everyone is one emit to it.
EVERYONE = "agents"
# Supervisors' and admins' sockets: in every call's audience.
STAFF = "staff"
# Sockets of users who chose to watch every call (`watch_all`).
WATCHERS = "watchers"
# With MASK_NUMBERS on (SPEC §13), the sockets of users who see numbers masked (everyone but the
# staff), split as above: all of them, the watchers among them, and each one's own. A call's
# masked payload goes to these and its whole one to STAFF, so nobody gets both.
MASKED = "masked"
MASKED_WATCHERS = "masked:watchers"

log = logging.getLogger(__name__)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def masked_room(user_id: int) -> str:
    """A masked user's own room (their `user_room` also holds them, for what shows no number)."""
    return f"masked:{user_id}"


def _emit(event: str, payload: dict, to: str | list[str]) -> bool:
    try:
        socketio.emit(event, payload, to=to)
    except Exception:  # the queue can be down; the call record is safe in the database
        log.warning("could not publish %s", event, extra={"call_sid": payload.get("call_sid")}, exc_info=True)
        return False
    return True


def screen_pop(payload: dict, *, to: str | list[str]) -> bool:
    """Pop a call in its audience's rooms (one emit; a socket in several gets it once), or on one
    socket (`to` a sid) when replaying."""
    return _emit(SCREEN_POP, payload, to)


def call_update(payload: dict, *, to: str | list[str]) -> bool:
    return _emit(CALL_UPDATE, payload, to)


def agent_status(payload: dict) -> bool:
    """An agent's status, to every supervisor and admin, and to the agent's own desktops."""
    return _emit(AGENT_STATUS, payload, [STAFF, user_room(payload["id"])])


def queue_update(payload: dict, *, to: str | list[str] = EVERYONE) -> bool:
    return _emit(QUEUE_UPDATE, payload, to)


def join_rooms(sids: list[str], room: str, *, joined: bool) -> None:
    """Put these sockets in `room`, or take them out, wherever they are connected (the queue
    carries it to the process that holds each)."""
    for sid in sids:
        try:
            if joined:
                socketio.server.enter_room(sid, room, namespace="/")
            else:
                socketio.server.leave_room(sid, room, namespace="/")
        except Exception:
            log.warning("could not change a socket's rooms", exc_info=True)


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
