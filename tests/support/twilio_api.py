"""A local stand-in for the provider's REST API: answers as Twilio's API does, over real HTTP, and
records every request, so tests check what the app asked without reaching the internet or
patching the twilio library (the app's client is pointed here by TWILIO_API_BASE_URL).

Covered: fetch a call (`GET …/Calls/<sid>.json`), update one (`POST …/Calls/<sid>.json`, e.g. a
queued call moved with `Url`/`Twiml`), create one (`POST …/Calls.json`, a callback), and send an SMS
(`POST …/Messages.json`). Anything else is Twilio's 404; a wrong account or password its 401.

A test can make sending an SMS go wrong the ways Twilio's does: `refuse_messages(400, 21211, "…")`
answers Twilio's error JSON, `delay_messages(seconds)` answers only after a while (a slow or stuck
provider). Each request is recorded as it arrives, with when it arrived and when it was answered.
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/(?P<rest>.+)$")


@dataclass
class RecordedRequest:
    method: str
    path: str
    form: dict[str, list[str]]
    username: str | None
    received_at: float = 0.0  # time.monotonic()
    answered_at: float | None = None  # time.monotonic() once the answer was written
    status: int | None = None  # what it was answered
    answer: dict | None = None

    def value(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class TwilioApiStandIn:
    account_sid: str
    auth_token: str
    requests: list[RecordedRequest] = field(default_factory=list)
    calls: dict[str, dict] = field(default_factory=dict)  # what GET …/Calls/<sid>.json answers
    base_url: str = ""
    message_refusal: dict | None = None  # Twilio's error JSON Messages.json answers instead, and its status
    message_delay: float = 0.0  # seconds Messages.json waits before answering
    call_update_refusal: dict | None = None  # Twilio's error JSON POST …/Calls/<sid>.json answers instead
    call_create_refusal: dict | None = None  # Twilio's error JSON POST …/Calls.json answers instead

    def refuse_call_updates(self, status: int = 400, code: int = 21220,
                            message: str = "Call is not in-progress. Cannot redirect.") -> None:
        """Every change to a call (a queue move's new TwiML) from now on is refused as Twilio
        refuses one; `accept_call_updates` ends it."""
        self.call_update_refusal = _error(status, code, message)

    def accept_call_updates(self) -> None:
        self.call_update_refusal = None

    @property
    def call_updates(self) -> list[RecordedRequest]:
        """The changes to calls the app asked for (moving a queued caller), oldest first."""
        return [r for r in list(self.requests) if r.method == "POST" and re.fullmatch(
            r".*/Calls/CA\w+\.json", r.path)]

    def refuse_call_creation(self, status: int = 400, code: int = 21215,
                             message: str = "Account not authorized to call +4420. Perhaps you need to enable "
                                            "some international permissions") -> None:
        """Every new call (a callback) from now on is refused as Twilio refuses one."""
        self.call_create_refusal = _error(status, code, message)

    @property
    def created_calls(self) -> list[RecordedRequest]:
        """The calls the app asked the provider to place (callbacks), oldest first."""
        return [r for r in list(self.requests) if r.method == "POST" and r.path.endswith("/Calls.json")]

    def refuse_messages(self, status: int = 400, code: int = 21211,
                        message: str = "The 'To' number is not a valid phone number.") -> None:
        """Every SMS from now on is refused as Twilio refuses one (e.g. 21211 invalid 'To', 21610
        the recipient replied STOP)."""
        self.message_refusal = _error(status, code, message)

    def delay_messages(self, seconds: float) -> None:
        """Every SMS from now on is answered only after `seconds`."""
        self.message_delay = seconds

    @property
    def messages(self) -> list[RecordedRequest]:
        """The SMS the app asked to send, oldest first."""
        return [r for r in list(self.requests) if r.method == "POST" and r.path.endswith("/Messages.json")]

    def call_resource(self, sid: str, **fields) -> dict:
        resource = {
            "sid": sid, "account_sid": self.account_sid, "status": "queued", "direction": "outbound-api",
            "from": None, "to": None, "duration": None, "start_time": None, "end_time": None,
            "date_created": "Tue, 01 Dec 2026 12:00:00 +0000", "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
        }
        resource.update(fields)
        return resource


def _error(status: int, code: int, message: str) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def _handler(stand_in: TwilioApiStandIn, lock: threading.Lock):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args):  # quiet: tests read `requests`, not stderr
            return None

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.recorded.status, self.recorded.answer = status, body
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up waiting (its timeout): nobody to answer
                pass
            finally:
                self.recorded.answered_at = time.monotonic()

        def _username(self) -> tuple[str | None, str | None]:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return None, None
            username, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return username, password

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode()) if length else {}
            username, password = self._username()
            path = self.path.split("?", 1)[0]
            self.recorded = RecordedRequest(method, path, form, username, received_at=time.monotonic())
            with lock:
                stand_in.requests.append(self.recorded)
            match = ACCOUNT_PATH.match(path)
            if username != stand_in.account_sid or password != stand_in.auth_token:
                return self._answer(401, _error(401, 20003, "Authenticate"))
            if match is None or match["account"] != stand_in.account_sid:
                return self._answer(404, _error(404, 20404, f"The requested resource {path} was not found"))
            rest = match["rest"]
            one_call = re.fullmatch(r"Calls/(CA\w+)\.json", rest)
            if one_call and method == "GET":
                resource = stand_in.calls.get(one_call[1])
                if resource is None:
                    return self._answer(404, _error(404, 20404, f"The requested resource {path} was not found"))
                return self._answer(200, resource)
            if one_call and method == "POST":
                if stand_in.call_update_refusal is not None:
                    return self._answer(stand_in.call_update_refusal["status"], stand_in.call_update_refusal)
                resource = stand_in.calls.setdefault(one_call[1], stand_in.call_resource(one_call[1]))
                if "Status" in form:
                    resource["status"] = form["Status"][0]
                return self._answer(200, resource)
            if rest == "Calls.json" and method == "POST":
                if stand_in.call_create_refusal is not None:
                    return self._answer(stand_in.call_create_refusal["status"], stand_in.call_create_refusal)
                sid = "CA" + uuid.uuid4().hex
                resource = stand_in.calls[sid] = stand_in.call_resource(
                    sid, to=form.get("To", [None])[0], **{"from": form.get("From", [None])[0]})
                return self._answer(201, resource)
            if rest == "Messages.json" and method == "POST":
                if stand_in.message_delay:
                    time.sleep(stand_in.message_delay)
                if stand_in.message_refusal is not None:
                    return self._answer(stand_in.message_refusal["status"], stand_in.message_refusal)
                return self._answer(201, {
                    "sid": "SM" + uuid.uuid4().hex, "account_sid": stand_in.account_sid, "status": "queued",
                    "to": form.get("To", [None])[0], "from": form.get("From", [None])[0],
                    "body": form.get("Body", [None])[0], "direction": "outbound-api", "num_segments": "1",
                    "date_created": "Tue, 01 Dec 2026 12:00:00 +0000",
                })
            return self._answer(404, _error(404, 20404, f"The requested resource {path} was not found"))

        def do_GET(self):  # noqa: N802
            self._handle("GET")

        def do_POST(self):  # noqa: N802
            self._handle("POST")

    return Handler


class RunningStandIn:
    """`with RunningStandIn(account_sid, token) as api:` serves on 127.0.0.1 until the block ends."""

    def __init__(self, account_sid: str, auth_token: str):
        self.api = TwilioApiStandIn(account_sid, auth_token)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.api, threading.Lock()))
        self.api.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> TwilioApiStandIn:
        self._thread.start()
        return self.api

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
