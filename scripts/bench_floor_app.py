"""The floor for `make bench`: the least a Flask-SocketIO server can do for a webhook-to-pop.

Same server stack as KnownCaller (gunicorn gthread, one worker, Socket.IO in threading mode over
simple-websocket), but no signature validation, no database, no Redis hop: a webhook's form is
parsed and a fixed payload, shaped and sized like a real screen pop, is emitted to the call's
audience. Status callbacks emit a fixed `call_update` to the same audience, so the floor carries
the same fan-out traffic as the app. Run it in ONE process with every agent connected to it:

    gunicorn -w 1 --threads 260 --pythonpath scripts bench_floor_app:app

Who a call goes to mirrors SPEC §11, with every agent available and none ever answering:
- `FLOOR_AUDIENCE=targeted` (the default): the call rings up to 10 connected agents, taken in a
  rotation that starts at a different agent per call (as `app.services.calls.routing` does), and
  its events go to those agents and to every connected supervisor; with no agent connected it is
  queued (`<Enqueue>`) and goes to everyone.
- `FLOOR_AUDIENCE=everyone`: the same `<Dial>`, but every event to every socket, as before §11.

A socket's `auth={"token": …}` is its Client identity; identities containing `-supervisor-` are
supervisors. `WEBSOCKET_COMPRESSION` (default false) is the app's setting of the same name: unless
true, the client's `Sec-WebSocket-Extensions` offer is dropped and sockets open uncompressed.
`FLOOR_ASYNC_MODE=gevent` runs it on gevent instead of threads (with `gunicorn -k gevent`; gevent
is not one of the project's requirements: the bench's `--floor-gevent` measures it).
"""
from __future__ import annotations

import os
import threading
import zlib

from flask import Flask, Response, request
from flask_socketio import SocketIO, join_room

EVERYONE = "agents"
STAFF = "staff"
DIAL_MAX_AGENTS = 10
TARGETED = os.environ.get("FLOOR_AUDIENCE", "targeted") != "everyone"
COMPRESSION = os.environ.get("WEBSOCKET_COMPRESSION", "").strip().lower() in ("1", "true", "yes", "on")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
QUEUED_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue>support</Enqueue></Response>'
# A typical pop: one customer, two preferences, one open complaint (see SPEC §5).
FIXED_POP = {
    "status": "ringing", "received_at": "2026-11-23T07:00:00Z",
    "from": "+14155550100", "from_raw": "+14155550100", "from_display": "(415) 555-0100",
    "to": "+18005550199", "match": "single",
    "customer": {
        "id": 42, "name": "Customer 42", "tier": "gold",
        "preferences": [{"id": 7, "key": "language", "value": "en"},
                        {"id": 8, "key": "contact", "value": "email"}],
        "open_complaints": [{"id": 3, "subject": "Late delivery", "status": "open", "severity": "high",
                             "opened_at": "2026-11-20T07:00:00Z", "due_at": "2026-11-21T07:00:00Z",
                             "overdue": True}],
    },
    "candidates": [], "agent": None, "lookup": "ok",
}

app = Flask(__name__)
socketio = SocketIO(app, async_mode=os.environ.get("FLOOR_ASYNC_MODE", "threading"), transports=["websocket", "polling"])

lock = threading.Lock()
online: dict[str, int] = {}  # agent identity -> sockets open
sockets: dict[str, str] = {}  # socket sid -> identity
audiences: dict[str, list[str]] = {}  # call sid -> rooms its events go to, until it completes


class WithoutCompression:
    """WSGI middleware, as the app's: drop the client's websocket extension offer."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)


if not COMPRESSION:
    app.wsgi_app = WithoutCompression(app.wsgi_app)


def user_room(identity: str) -> str:
    return f"user:{identity}"


@socketio.on("connect")
def on_connect(auth=None):
    identity = str((auth or {}).get("token") or "anonymous")
    join_room(EVERYONE)
    join_room(user_room(identity))
    if "-supervisor-" in identity:
        join_room(STAFF)
        return
    with lock:
        sockets[request.sid] = identity
        online[identity] = online.get(identity, 0) + 1


@socketio.on("disconnect")
def on_disconnect(*_args):
    with lock:
        identity = sockets.pop(request.sid, None)
        if identity is not None:
            online[identity] -= 1
            if not online[identity]:
                del online[identity]


@socketio.on("heartbeat")
def on_heartbeat(_data=None):
    return {"ok": True}


def ring(call_sid: str) -> list[str]:
    """Up to DIAL_MAX_AGENTS connected agents, in a rotation that starts at a different one per call."""
    with lock:
        agents = sorted(online)
    if len(agents) <= DIAL_MAX_AGENTS:
        return agents
    start = zlib.crc32(call_sid.encode()) % len(agents)
    return sorted((agents[start:] + agents[:start])[:DIAL_MAX_AGENTS])


def dial_twiml(identities: list[str]) -> str:
    nouns = "".join(f"<Client>{identity}</Client>" for identity in identities)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true" timeout="20">{nouns}</Dial></Response>'


@app.post("/twilio/voice")
def voice():
    call_sid = request.form.get("CallSid")
    rung = ring(call_sid)
    if not rung:
        rooms, twiml, reason = [EVERYONE], QUEUED_TWIML, "queued"
    else:
        rooms = [*(user_room(identity) for identity in rung), STAFF] if TARGETED else [EVERYONE]
        twiml, reason = dial_twiml(rung), "floor"
    pop = {"call_sid": call_sid, **FIXED_POP}
    if TARGETED:
        pop["routing"] = {"reason": reason, "agents": [{"id": i, "name": identity} for i, identity in enumerate(rung)]}
    with lock:
        audiences[call_sid] = rooms
    socketio.emit("screen_pop", pop, to=rooms)
    return Response(twiml, mimetype="text/xml")


@app.post("/twilio/status")
def status():
    call_sid, call_status = request.form.get("CallSid"), request.form.get("CallStatus")
    with lock:
        rooms = audiences.pop(call_sid, None) if call_status == "completed" else audiences.get(call_sid)
    socketio.emit("call_update", {"call_sid": call_sid, "status": call_status, "agent": None, "duration": None,
                                  "at": "2026-11-23T07:00:00Z"}, to=rooms or [EVERYONE])
    return Response(EMPTY_TWIML, mimetype="text/xml")


@app.get("/login")
def ready():
    return "ok"
