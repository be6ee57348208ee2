"""Plays the telephony provider: builds Twilio's form fields and signs them the way Twilio does."""
from __future__ import annotations

import uuid

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 32


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def voice_params(call_sid: str | None = None, from_: str = "+14155550100", to: str = "+18005550199",
                 **extra: str) -> dict[str, str]:
    """The fields of an inbound-call webhook, blank ones included, as Twilio sends them."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid or new_call_sid(),
        "CallStatus": "ringing",
        "Called": to,
        "CalledCity": "",
        "CalledCountry": "US",
        "CalledState": "",
        "CalledZip": "",
        "Caller": from_,
        "CallerCity": "",
        "CallerCountry": "US",
        "CallerName": "",
        "CallerState": "",
        "CallerZip": "",
        "Direction": "inbound",
        "From": from_,
        "FromCity": "",
        "FromCountry": "US",
        "FromState": "",
        "FromZip": "",
        "To": to,
        "ToCity": "",
        "ToCountry": "US",
        "ToState": "",
        "ToZip": "",
    }
    params.update(extra)
    return params


def status_params(call_sid: str, status: str, sequence: int | None = None, duration: int | None = None,
                  **extra: str) -> dict[str, str]:
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
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


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    return RequestValidator(auth_token).compute_signature(url, params)
