"""The browser phone (SPEC §13): an agent reached as a Twilio Client gets an access token for their
browser, and the calls they place from it are stored and popped like callbacks.

The token's identity is the one `<Dial><Client>` rings for them (`User.reach_target`), so the
browser that holds it both takes their calls and places new ones. A call placed from it reaches
the TwiML App's Voice URL, /twilio/client-voice, as `From=client:<identity>` and `To=<the number
the agent typed>`: the view asks `place_from_browser`, which answers either the number to dial
(the call stored as the agent's, outbound, from TWILIO_CALLER_ID) or the words that explain why
not (nothing stored).
"""
from __future__ import annotations

import logging
from calendar import timegm
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from app.extensions import db
from app.models import Call, Customer, User
from app.services import phone_numbers
from app.services.calls import lifecycle
from app.services.calls.recognition import customers_with_number
from app.services.errors import Conflict, DomainError
from app.settings import VoiceSettings

log = logging.getLogger(__name__)

CLIENT_PREFIX = "client:"
BROWSER = "browser"  # the routing reason a browser call's pop carries

# What the agent hears when a call from the browser cannot be placed (a <Say>, then <Hangup/>).
UNKNOWN_AGENT = ("Sorry, this browser phone does not belong to an active account, so it cannot place calls. "
                 "Please sign in again. Goodbye.")
NO_CALLER_ID = ("Sorry, calls from the browser are not set up yet: there is no number to call from. "
                "Please ask an administrator to set the caller I D. Goodbye.")
UNREADABLE_NUMBER = "Sorry, that is not a phone number we can call. Please check the number and try again. Goodbye."
UNAVAILABLE = "Sorry, the call cannot be placed right now. Please try again in a moment. Goodbye."


class VoiceNotSetUp(DomainError):
    status = 503
    code = "not_set_up"


# --- the access token -----------------------------------------------------------------------------

@dataclass(frozen=True)
class VoiceToken:
    token: str  # the JWT the browser's Twilio Device is given
    identity: str  # the Client identity it registers as (what <Dial><Client> rings)
    expires_at: datetime  # naive UTC, whole seconds: the token's `exp`


def setup_problem(voice: VoiceSettings, account_sid: str | None) -> str | None:
    """Why the browser phone cannot work here, naming the settings missing; None when it can."""
    missing = voice.missing(account_sid)
    if not missing:
        return None
    verb = "is" if len(missing) == 1 else "are"
    return f"The browser phone is not set up: {', '.join(missing)} {verb} not set"


def client_identity(user: User) -> str | None:
    """The Twilio Client identity `user` is rung at, or None when calls reach them by phone or SIP."""
    return user.reach_target if user.reach_kind == "client" else None


def issue_token(user: User, voice: VoiceSettings, account_sid: str | None, *, now: datetime) -> VoiceToken:
    """An access token for `user`'s browser phone, valid from `now` for VOICE_TOKEN_TTL_SECONDS:
    it takes their calls (incoming) and places calls through the TwiML App (outgoing).

    Conflict (409) for a user reached by phone or SIP (their browser is not their phone);
    VoiceNotSetUp (503) naming the settings missing. Called by GET /api/v1/voice/token."""
    identity = client_identity(user)
    if identity is None:
        raise Conflict(f"calls reach you by {user.reach_kind}, not in the browser: there is no browser phone "
                       "to give a token to (an admin can set your reach kind to client)",
                       {"reach_kind": [f"{user.reach_kind}, not client"]})
    problem = setup_problem(voice, account_sid)
    if problem:
        raise VoiceNotSetUp(problem)
    start = now.replace(microsecond=0)
    not_before = timegm(start.timetuple())
    # nbf and exp from one clock reading, ours: `expires_at` is exactly the token's exp.
    token = AccessToken(account_sid, voice.api_key, voice.api_secret, identity=identity, nbf=not_before,
                        valid_until=not_before + voice.token_ttl_seconds,
                        grants=[VoiceGrant(incoming_allow=True, outgoing_application_sid=voice.twiml_app_sid)])
    return VoiceToken(token.to_jwt(), identity, start + timedelta(seconds=voice.token_ttl_seconds))


# --- a call placed from the browser ---------------------------------------------------------------

@dataclass
class BrowserCall:
    """What /twilio/client-voice answers: dial `number`, or say `refusal` and hang up."""

    call: Call | None = None
    number: str | None = None  # E.164
    refusal: str | None = None
    created: bool = False  # False for a provider retry of a CallSid already stored: no second pop
    customers: list[Customer] = field(default_factory=list)


def agent_for_identity(raw_from: str | None) -> User | None:
    """The active user whose browser phone `raw_from` (`client:<identity>`) is; None for anything
    else, and when two users would share that identity (nobody can say whose call it is)."""
    if not raw_from or not raw_from[:len(CLIENT_PREFIX)].lower() == CLIENT_PREFIX:
        return None
    identity = raw_from[len(CLIENT_PREFIX):]
    if not identity:
        return None
    users = list(db.session.scalars(select(User).where(
        User.reach_kind == "client", func.coalesce(User.reach_address, User.username) == identity).limit(2)))
    if len(users) != 1:
        if users:
            log.warning("two users share a browser phone identity; the call is refused",
                        extra={"user_ids": [u.id for u in users]})
        return None
    return users[0] if users[0].active else None


def _same_call(call: Call, agent: User) -> BrowserCall:
    """A retry of a CallSid already stored: the same number again, if it is this agent's call."""
    if call.direction != "outbound" or call.agent_id != agent.id or not call.to_e164:
        log.warning("a browser call's CallSid names another call; refused", extra={"call_sid": call.call_sid})
        return BrowserCall(refusal=UNAVAILABLE)
    return BrowserCall(call, call.to_e164)


def place_from_browser(params: Mapping[str, str], *, caller_id: str | None, region: str,
                       now: datetime) -> BrowserCall:
    """The call an agent places from their browser (the provider's form: `From=client:<identity>`,
    `To` in any format, read in `region`): stored as theirs, outbound from `caller_id`, with the
    customer when the number is exactly one customer's; the same CallSid again changes nothing.

    Refused, with the words to say and nothing stored: an identity that is no active user, no
    TWILIO_CALLER_ID, or a number that cannot be read. Raises SQLAlchemyError when the database
    fails (the view still answers TwiML)."""
    call_sid = (params.get("CallSid") or "").strip()
    agent = agent_for_identity(params.get("From"))
    if agent is None:
        log.warning("a browser call from no active user; refused", extra={"call_sid": call_sid})
        return BrowserCall(refusal=UNKNOWN_AGENT)
    if not call_sid or len(call_sid) > 64:
        log.warning("a browser call without a usable CallSid; refused", extra={"agent_id": agent.id})
        return BrowserCall(refusal=UNAVAILABLE)
    existing = lifecycle.get_call(call_sid)
    if existing is not None:
        return _same_call(existing, agent)
    if not caller_id:
        log.warning("a browser call, but TWILIO_CALLER_ID is not set; refused", extra={"call_sid": call_sid})
        return BrowserCall(refusal=NO_CALLER_ID)
    number = phone_numbers.normalize(params.get("To"), region)
    if number is None:
        log.info("a browser call to an unreadable number; refused", extra={"call_sid": call_sid})
        return BrowserCall(refusal=UNREADABLE_NUMBER)
    customers = customers_with_number(number)
    customer = customers[0] if len(customers) == 1 else None
    call = Call(call_sid=call_sid, direction="outbound", account_sid=lifecycle.clip(params.get("AccountSid"), 64),
                from_raw=caller_id, from_e164=caller_id, to_raw=lifecycle.clip(params.get("To"), 255), to_e164=number,
                match_kind="single" if customer else "none", customer=customer, agent_id=agent.id, claimed_at=now,
                status=lifecycle.first_status(params.get("CallStatus")),
                started_at=now, news_at=now, routing_reason=BROWSER, offered_to=str(agent.id))
    db.session.add(call)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same CallSid delivered twice at once: the one stored first stands
        existing = lifecycle.get_call(call_sid)
        if existing is None:
            raise
        return _same_call(existing, agent)
    log.info("call placed from the browser", extra={"call_sid": call_sid, "agent_id": agent.id})
    return BrowserCall(call, number, created=True, customers=[customer] if customer else [])


def dial_ended(call_sid: str, *, at: datetime) -> Call | None:
    """The <Dial> of a browser call ended (its action, at `at`): so does the call, as the agent's
    browser hangs up next. Its talk time counts from when the customer answered (their leg's
    status, `lifecycle.apply_agent_leg`); unanswered, it ends with no talk time. Returns the call
    when that changed it; None for a call not stored, ended already, or not placed from a browser."""
    call = lifecycle.get_call(call_sid)
    if call is None or call.routing_reason != BROWSER:
        return None
    return lifecycle.apply_status(call_sid, "completed", None, None, at=at)
