"""The floor for `make bench`: the least a Flask-SocketIO server can do for a webhook-to-pop.

Same server stack as KnownCaller (gunicorn gthread, one worker, Socket.IO in threading mode over
simple-websocket), but no signature validation, no database, no Redis hop: a webhook's form is
parsed and a fixed payload, shaped and sized like a real screen pop, is emitted to every connected
socket. Status callbacks emit a fixed `call_update`, so the floor carries the same fan-out traffic
as the app. Run it in ONE process with every agent connected to it:

    gunicorn -w 1 --threads 260 --pythonpath scripts bench_floor_app:app
"""
from __future__ import annotations

from flask import Flask, Response, request
from flask_socketio import SocketIO, join_room

ROOM = "agents"
TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true" timeout="20">'
         "<Client>agent</Client></Dial></Response>")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
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
socketio = SocketIO(app, async_mode="threading", transports=["websocket", "polling"])


@socketio.on("connect")
def on_connect(auth=None):
    join_room(ROOM)


@socketio.on("heartbeat")
def on_heartbeat(_data=None):
    return {"ok": True}


@app.post("/twilio/voice")
def voice():
    socketio.emit("screen_pop", {"call_sid": request.form.get("CallSid"), **FIXED_POP}, to=ROOM)
    return Response(TWIML, mimetype="text/xml")


@app.post("/twilio/status")
def status():
    socketio.emit("call_update", {"call_sid": request.form.get("CallSid"), "status": request.form.get("CallStatus"),
                                  "agent": None, "duration": None, "at": "2026-11-23T07:00:00Z"}, to=ROOM)
    return Response(EMPTY_TWIML, mimetype="text/xml")


@app.get("/login")
def ready():
    return "ok"
