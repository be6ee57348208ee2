"""Plays the telephony provider: Twilio's webhook forms, signed as Twilio signs them.

`flask simulate-call` uses this to send a running server the same requests a real inbound call
would, so anyone can see a screen pop without a phone line; the test suite's provider builds its
requests here too, so the simulator and the tests cannot drift apart.
"""
from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Callable
from urllib.parse import urlsplit

import phonenumbers
import requests
from twilio.request_validator import RequestValidator

from app.models import STATUS_RANK, TERMINAL_STATUSES

# A well-formed AccountSid that belongs to nobody; used unless TWILIO_ACCOUNT_SID is configured.
ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_TO = "+18005550199"
API_VERSION = "2010-04-01"


class SimulationError(Exception):
    """The server could not be reached, or did not answer a webhook with 200."""


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def _country(number: str, default: str = "US") -> str:
    """The ISO region Twilio reports for a number ("FromCountry"), or `default` when unreadable."""
    if not number.startswith("+"):
        return default
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None)) or default
    except phonenumbers.NumberParseException:
        return default


def voice_params(call_sid: str | None = None, from_: str = "+14155550100", to: str = DEFAULT_TO,
                 **extra: str) -> dict[str, str]:
    """The fields of an inbound-call webhook, blank ones included, as Twilio sends them."""
    from_country, to_country = _country(from_), _country(to)
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": API_VERSION,
        "CallSid": call_sid or new_call_sid(),
        "CallStatus": "ringing",
        "Called": to,
        "CalledCity": "",
        "CalledCountry": to_country,
        "CalledState": "",
        "CalledZip": "",
        "Caller": from_,
        "CallerCity": "",
        "CallerCountry": from_country,
        "CallerName": "",
        "CallerState": "",
        "CallerZip": "",
        "Direction": "inbound",
        "From": from_,
        "FromCity": "",
        "FromCountry": from_country,
        "FromState": "",
        "FromZip": "",
        "To": to,
        "ToCity": "",
        "ToCountry": to_country,
        "ToState": "",
        "ToZip": "",
    }
    params.update(extra)
    return params


def status_params(call_sid: str, status: str, sequence: int | None = None, duration: int | None = None,
                  **extra: str) -> dict[str, str]:
    """The fields of a call status callback; `CallDuration` only when the call has ended."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": API_VERSION,
        "CallSid": call_sid,
        "CallStatus": status,
        "Direction": "inbound",
        "Timestamp": "Mon, 23 Nov 2026 07:00:00 +0000",
        "CallbackSource": "call-progress-events",
    }
    if sequence is not None:
        params["SequenceNumber"] = str(sequence)
    if duration is not None:
        params["CallDuration"] = str(duration)
    params.update(extra)
    return params


def gather_action(twiml: str) -> str | None:
    """The action URL of the first <Gather> in a TwiML answer, or None when it asks nothing."""
    try:
        gather = ET.fromstring(twiml).find("Gather")
    except ET.ParseError:
        return None
    return gather.get("action") if gather is not None else None


def wait_url(twiml: str) -> str | None:
    """The wait URL of an <Enqueue> answer (the caller was put in line), or None."""
    try:
        enqueue = ET.fromstring(twiml).find("Enqueue")
    except ET.ParseError:
        return None
    return enqueue.get("waitUrl") if enqueue is not None else None


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The X-Twilio-Signature for a POST of `params` to exactly `url`."""
    return RequestValidator(auth_token).compute_signature(url, params)


def parse_statuses(text: str | None) -> list[str]:
    """`in-progress,completed` → the statuses to send after the call rings; refuses unknown ones."""
    statuses = [s.strip() for s in (text or "").split(",") if s.strip()]
    unknown = [s for s in statuses if s not in STATUS_RANK]
    if unknown:
        raise ValueError(f"unknown call status {', '.join(unknown)} (one of {', '.join(STATUS_RANK)})")
    return statuses


@dataclass
class Exchange:
    """One webhook the simulator sent and what the server answered."""

    path: str
    call_status: str
    status_code: int
    body: str


@dataclass
class SimulatedCall:
    """An inbound call played against a server at `base_url`, signed with `auth_token`."""

    base_url: str
    auth_token: str
    from_: str
    to: str = DEFAULT_TO
    account_sid: str = ACCOUNT_SID
    call_sid: str = field(default_factory=new_call_sid)
    timeout: float = 10.0
    exchanges: list[Exchange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._sequence = 0
        self._answered_at: float | None = None
        self._started_at = time.monotonic()

    def _post(self, path: str, params: dict[str, str]) -> Exchange:
        url = self.base_url + path
        headers = {"X-Twilio-Signature": sign(self.auth_token, url, params)}
        try:
            response = requests.post(url, data=params, headers=headers, timeout=self.timeout)
        except requests.ConnectionError as exc:
            raise SimulationError(
                f"cannot reach {self.base_url}: is the server running? start it with make run"
            ) from exc
        except requests.Timeout as exc:
            raise SimulationError(f"{url} did not answer within {self.timeout:g} s") from exc
        exchange = Exchange(path, params["CallStatus"], response.status_code, response.text)
        self.exchanges.append(exchange)
        return exchange

    def _leg_params(self, call_status: str) -> dict[str, str]:
        return status_params(self._leg_sid, call_status, AccountSid=self.account_sid, ParentCallSid=self.call_sid,
                             Direction="outbound-dial", From=self.from_, To=self.to)

    def answer_as(self, agent_id: int) -> Exchange:
        """The agent leg we were told to dial answered: that agent's phone picked up (SPEC §9a)."""
        self._leg_sid = new_call_sid()
        return self._post(f"/twilio/status?agent={agent_id}", self._leg_params("in-progress"))

    def agent_hangs_up(self) -> Exchange:
        """The agent's <Dial> ended after a conversation with the caller still on the line: the
        provider asks the dial's action what next (the survey, SPEC §10)."""
        params = status_params(self.call_sid, "in-progress", AccountSid=self.account_sid, From=self.from_,
                               To=self.to, DialCallStatus="completed", DialCallDuration="60")
        return self._post("/twilio/dial-result", params)

    def press(self, action_url: str, digits: str) -> Exchange:
        """The caller presses `digits` at a <Gather>: posted to its action, as the provider would."""
        parts = urlsplit(action_url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        params = status_params(self.call_sid, "in-progress", AccountSid=self.account_sid, From=self.from_,
                               To=self.to, Digits=digits, FinishedOnKey="")
        return self._post(path, params)

    def wait_in_line(self, url: str, waited_seconds: int = 5) -> Exchange:
        """The provider asks the <Enqueue>'s wait URL what the waiting caller hears (SPEC §11)."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        params = status_params(self.call_sid, "queued", AccountSid=self.account_sid, From=self.from_, To=self.to,
                               QueueSid="QU" + self.call_sid[2:], QueueTime=str(waited_seconds), QueuePosition="1",
                               CurrentQueueSize="1", AvgQueueTime="0")
        return self._post(path, params)

    def answer_survey(self, digits: str, on_exchange: Callable[[Exchange], None] = lambda exchange: None) -> None:
        """Hang up the agent, then press `digits` at each survey question the server asks (it asks
        at most twice)."""
        exchange = self.agent_hangs_up()
        on_exchange(exchange)
        for _ in range(3):
            action = gather_action(exchange.body)
            if exchange.status_code != 200 or action is None:
                return
            exchange = self.press(action, digits)
            on_exchange(exchange)

    def ring(self) -> Exchange:
        """The inbound-call webhook: the server records the call, pops it and answers TwiML."""
        params = voice_params(self.call_sid, from_=self.from_, to=self.to, AccountSid=self.account_sid)
        return self._post("/twilio/voice", params)

    def status(self, call_status: str) -> Exchange:
        """One status callback; SequenceNumber counts up from 0, CallDuration once the call ended."""
        now = time.monotonic()
        if call_status == "in-progress" and self._answered_at is None:
            self._answered_at = now
        duration = None
        if call_status in TERMINAL_STATUSES:
            duration = round(now - self._answered_at) if self._answered_at is not None else 0
        params = status_params(
            self.call_sid, call_status, self._sequence, duration,
            AccountSid=self.account_sid, From=self.from_, To=self.to, Caller=self.from_, Called=self.to,
            Timestamp=formatdate(usegmt=True).replace("GMT", "+0000"),
        )
        self._sequence += 1
        return self._post("/twilio/status", params)

    def play(self, statuses: list[str], delay: float = 2.0,
             on_exchange: Callable[[Exchange], None] = lambda exchange: None) -> None:
        """Ring, then send each status `delay` seconds apart; stops at the first non-200 answer."""
        for step, call_status in enumerate([None, *statuses]):
            if step:
                time.sleep(delay)
            exchange = self.ring() if call_status is None else self.status(call_status)
            on_exchange(exchange)
            if exchange.status_code != 200:
                raise SimulationError(
                    f"POST {exchange.path} ({exchange.call_status}) answered {exchange.status_code}: "
                    f"{exchange.body.strip()[:200]}"
                )
