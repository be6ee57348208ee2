"""Pure TwiML builders: values in, XML text out. Tested by parsing what they return."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode
from xml.sax.saxutils import quoteattr

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, Enqueue, Gather, VoiceResponse

from app.services.calls.routing import FALLBACK, KNOWN_AGENT, QUEUED, RoutingDecision

AGENT_LEG_EVENTS = "initiated ringing answered completed"
# The browser phone hears which call rings it (SPEC §13): the parameter's name, and the slot the
# cached <Dial> holds for the sid until a call's is put in.
CALL_SID_PARAMETER = "call_sid"
_CALL_SID_SLOT = "KC-CALL-SID-SLOT"


@dataclass(frozen=True)
class DialTarget:
    """One agent's phone: a Twilio Client identity, a phone number (E.164) or a SIP URI."""

    kind: str
    address: str
    status_callback: str


def ring_agents(targets: list[DialTarget], *, timeout: int, action_url: str, call_sid: str | None = None) -> str:
    """Ring every target at once; the first to answer gets the call, the others stop ringing.

    When nobody answers within `timeout`, the provider posts to `action_url`, which decides
    what happens next (see `fallback`). A browser phone (`<Client>`) is also told which call it is
    (`<Parameter name="call_sid">`, SPEC §13): its ringing goes on that call's card, not a guess.
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
            client = dial.client(**options)
            client.identity(target.address)
            if call_sid:
                client.parameter(name=CALL_SID_PARAMETER, value=call_sid)
    response.append(dial)
    return str(response)


@dataclass(frozen=True)
class RoutingUrls:
    """Where the provider reports back on a routed call (absolute URLs it can reach)."""

    status: str  # agent legs' status callbacks; `?agent=<id>` is added for each
    dial_result: str  # the floor's <Dial> finished
    voicemail: str  # a recording was made
    known_result: str = ""  # the known agent's <Dial> finished: on to the floor
    queue_wait: str = ""  # the caller waits in line: their place, and 1 for a callback
    queue_result: str = ""  # the caller left the line (<Enqueue action>)
    queue_name: str = "support"


@dataclass(frozen=True)
class FallbackOptions:
    number: str | None
    greeting: str
    max_seconds: int


def routing(decision: RoutingDecision, urls: RoutingUrls, *, timeout: int, fallback_options: FallbackOptions,
            known_timeout: int | None = None, call_sid: str | None = None) -> str:
    """The TwiML for a routing decision (SPEC §11): ring the agent who knows the caller alone
    (for `known_timeout`; the <Dial>'s action leads on to the floor), ring the floor, put the
    caller in line, or take the fallback."""
    if decision.reason == QUEUED:
        return enqueue(urls)
    if decision.reason == FALLBACK or not decision.agents:
        return fallback(number=fallback_options.number, greeting=fallback_options.greeting,
                        record_action_url=urls.voicemail, max_seconds=fallback_options.max_seconds, timeout=timeout)
    if decision.reason == KNOWN_AGENT:
        return _for_call(_ring_agents_cached(decision.agents[:1], urls.status, urls.known_result or urls.dial_result,
                                             known_timeout or timeout), call_sid)
    return _for_call(_ring_agents_cached(decision.agents, urls.status, urls.dial_result, timeout), call_sid)


def enqueue(urls: RoutingUrls) -> str:
    """Put the caller in line: the wait URL tells them their place; the action hears how they left."""
    response = VoiceResponse()
    response.append(Enqueue(urls.queue_name, action=urls.queue_result, method="POST", wait_url=urls.queue_wait,
                            wait_url_method="POST"))
    return str(response)


def queue_wait(text: str, *, key_url: str, pause_seconds: int = 10) -> str:
    """What a caller in line hears, again each time it ends: their place, and press 1 for a
    callback (the <Gather>'s pause is the wait between two announcements)."""
    response = VoiceResponse()
    gather = Gather(input="dtmf", num_digits=1, action=key_url, method="POST", timeout=pause_seconds)
    gather.say(text)
    response.append(gather)
    return str(response)


def leave_queue() -> str:
    """Take the caller out of line: the <Enqueue>'s action decides what comes next."""
    response = VoiceResponse()
    response.leave()
    return str(response)


def _for_call(cached: str, call_sid: str | None) -> str:
    """The cached <Dial> with this call's sid in its browser phones' parameter."""
    return cached.replace(f'value="{_CALL_SID_SLOT}"', "value=" + quoteattr(call_sid or ""))


@lru_cache(maxsize=64)
def _ring_agents_cached(agents: tuple[tuple[int, str, str], ...], status_url: str, action_url: str,
                        timeout: int) -> str:
    """The <Dial> for these agents, built once per set of agents (and per URL they are reached
    through): with hundreds online, building it took longer than the rest of the webhook.

    `status_url?agent=<id>` is what url_for builds for the status view with that argument.
    """
    targets = [
        DialTarget(kind=kind, address=address, status_callback=f"{status_url}?{urlencode({'agent': agent_id})}")
        for agent_id, kind, address in agents
    ]
    return ring_agents(targets, timeout=timeout, action_url=action_url, call_sid=_CALL_SID_SLOT)


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
    return _EMPTY


_EMPTY = str(VoiceResponse())  # built once: every status callback answers it


# --- the survey after the call (SPEC §10) ---------------------------------------------------------

def survey_question(words, *, action_url: str, again: bool = False) -> str:
    """Ask how likely the caller is to recommend us, 0 to 10, in `words` (a `Wording`).

    The caller presses one or two digits (10 is two), then # or waits: `numDigits` 2 ends at once
    on "10", `finishOnKey` on "7#", the timeout on a lone "7". Whatever they pressed, or nothing
    (`actionOnEmptyResult`), goes to `action_url`; the <Redirect> is for a provider that ignores
    that attribute, so silence is still answered there.
    """
    response = VoiceResponse()
    gather = Gather(input="dtmf", action=action_url, method="POST", num_digits=2, timeout=6, finish_on_key="#",
                    action_on_empty_result=True)
    if again:
        gather.say(words.again, voice=words.voice, language=words.language)
    gather.say(words.question, voice=words.voice, language=words.language)
    response.append(gather)
    response.redirect(action_url, method="POST")
    return str(response)


def say_goodbye(text: str, words) -> str:
    """Say `text` in the survey's voice, then hang up."""
    response = VoiceResponse()
    response.say(text, voice=words.voice, language=words.language)
    response.hangup()
    return str(response)


def sms_reply(text: str | None) -> str:
    """The answer to an incoming SMS: one message back, or nothing (an empty <Response>)."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


# --- calling a customer back (SPEC §12) -----------------------------------------------------------

CUSTOMER_LEG_EVENTS = "answered completed"


def callback_bridge(*, say: str, number: str, caller_id: str, timeout: int, action_url: str,
                    leg_status_url: str) -> str:
    """The agent answered the callback: tell them who is being rung, then dial the customer from
    `caller_id`. The customer's leg reports when it is answered (talk time starts there); the
    <Dial>'s action says how it ended."""
    response = VoiceResponse()
    response.say(say)
    dial = Dial(caller_id=caller_id, timeout=timeout, action=action_url, method="POST")
    dial.number(number, status_callback=leg_status_url, status_callback_event=CUSTOMER_LEG_EVENTS,
                status_callback_method="POST")
    response.append(dial)
    return str(response)


# --- the browser phone (SPEC §13) -----------------------------------------------------------------

def dial_from_browser(*, number: str, caller_id: str, timeout: int, action_url: str, leg_status_url: str) -> str:
    """An agent called `number` (E.164) from their browser: dial it from `caller_id`. The browser
    hears it ring (answerOnBridge); the customer's leg reports when it is answered (talk time
    starts there), and the <Dial>'s action when it ended."""
    response = VoiceResponse()
    dial = Dial(caller_id=caller_id, timeout=timeout, answer_on_bridge=True, action=action_url, method="POST")
    dial.number(number, status_callback=leg_status_url, status_callback_event="answered",
                status_callback_method="POST")
    response.append(dial)
    return str(response)
