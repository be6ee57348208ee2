"""Pure TwiML builders: values in, XML text out. Tested by parsing what they return."""
from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml.voice_response import Dial, VoiceResponse

AGENT_LEG_EVENTS = "initiated ringing answered completed"


@dataclass(frozen=True)
class DialTarget:
    """One agent's phone: a Twilio Client identity, a phone number (E.164) or a SIP URI."""

    kind: str
    address: str
    status_callback: str


def ring_agents(targets: list[DialTarget], *, timeout: int, action_url: str) -> str:
    """Ring every target at once; the first to answer gets the call, the others stop ringing.

    When nobody answers within `timeout`, the provider posts to `action_url`, which decides
    what happens next (see `fallback`).
    """
    response = VoiceResponse()
    dial = Dial(timeout=timeout, action=action_url, method="POST", answer_on_bridge=True)
    for target in targets:
        options = {
            "status_callback": target.status_callback,
            "status_callback_event": AGENT_LEG_EVENTS,
            "status_callback_method": "POST",
        }
        if target.kind == "phone":
            dial.number(target.address, **options)
        elif target.kind == "sip":
            dial.sip(target.address, **options)
        else:
            dial.client(target.address, **options)
    response.append(dial)
    return str(response)


def fallback(*, number: str | None, greeting: str, record_action_url: str, max_seconds: int,
             timeout: int) -> str:
    """Where a call goes when no agent can take it: a fallback number, else voicemail."""
    response = VoiceResponse()
    if number:
        response.dial(number, timeout=timeout)
    else:
        response.say(greeting)
        response.record(action=record_action_url, method="POST", max_length=max_seconds, play_beep=True)
    return str(response)


def goodbye(text: str | None = None) -> str:
    response = VoiceResponse()
    if text:
        response.say(text)
    response.hangup()
    return str(response)


def empty() -> str:
    """An answer that tells the provider there is nothing more to do (status callbacks)."""
    return str(VoiceResponse())
