"""Calling a customer back from the care list (SPEC §12): the provider rings the agent who asked
first (their phone, browser client or SIP address), and when they answer, connects the customer
from TWILIO_CALLER_ID (`twiml.callback_bridge`, served at /twilio/callback-connect).

The call is stored before the provider is asked, under a placeholder sid, so the provider's
first request about it always finds it; when the provider refuses (or answers nonsense), it is
deleted again: nothing is stored as called. Its pop goes to the agent (and the staff) like any
call's; wrapping it up closes the follow-up it answers, once the customer was reached
(`lifecycle.update_call`). It stays the agent's: it is neither given back nor taken
(`lifecycle.claim_call`, `release_call`).

The provider's requests about it name the row (`?call=<id>`) and carry its `token`, an HMAC of the
row's id and start with SECRET_KEY: a guessed id, or one SQLite gave again to a later row, finds
nothing to bridge.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, not_, select
from twilio.base.exceptions import TwilioException

from app.extensions import db
from app.models import LIVE_STATUSES, Call, Customer, FollowUp, User
from app.services import phone_numbers, provider_api, validation
from app.services.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from app.services.people import roles
from app.services.validation import FieldErrors

log = logging.getLogger(__name__)

PENDING_PREFIX = "pending-"
CALLBACK = "callback"  # the routing reason its pop carries


class CallbackNotSetUp(DomainError):
    status = 503
    code = "not_set_up"


class ProviderRefused(DomainError):
    status = 502
    code = "provider_refused"


def setup_problem(caller_id: str | None, account_sid: str | None) -> str | None:
    """Why calling back cannot work here, naming the settings missing; None when it can."""
    missing = [name for name, value in (("TWILIO_CALLER_ID", caller_id), ("TWILIO_ACCOUNT_SID", account_sid))
               if not value]
    if not missing:
        return None
    return f"Calling back is not set up: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set"


@dataclass(frozen=True)
class Urls:
    """Where the provider reports on the callback (absolute URLs it can reach), per call row id
    and its token (`bridge_token`)."""

    bridge: Callable[[int, str], str]  # answered by the agent: the TwiML that dials the customer
    status: str  # the call's status callbacks


def bridge_token(call: Call, secret_key: str) -> str:
    """The secret the provider's requests about `call` carry: only we and the provider know it,
    and a row that reuses the id (SQLite) has another start, so another token."""
    message = f"callback:{call.id}:{call.started_at.isoformat()}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def _check_may_call_back(acting: User, follow_up: FollowUp) -> None:
    """The rule of `follow_ups.update_follow_up`: an agent acts on their own follow-ups and unowned
    ones, a supervisor or admin on anyone's (wrapping the callback up closes it)."""
    if roles.has_role(acting, "supervisor") or follow_up.owner_id in (None, acting.id):
        return
    holder = follow_up.owner.display_name if follow_up.owner else "someone else"
    raise Forbidden(f"follow-up {follow_up.id} is {holder}'s: only they or a supervisor can call it back",
                    {"follow_up_id": [f"owned by {holder}"]})


def _target(acting: User, customer_id: int | None, follow_up_id: int | None, phone: str | None, region: str):
    """The customer, the follow-up, and the number to dial, or InvalidInput/NotFound/Forbidden
    naming why not."""
    errors = FieldErrors()
    follow_up = None
    if follow_up_id is not None:
        follow_up = db.session.get(FollowUp, follow_up_id)
        if follow_up is None:
            raise NotFound(f"follow-up {follow_up_id} does not exist")
        _check_may_call_back(acting, follow_up)
        if follow_up.status != "open":
            errors.add("follow_up_id", f"follow-up {follow_up_id} is done already")
        elif customer_id is not None and follow_up.customer_id not in (None, customer_id):
            errors.add("follow_up_id", f"follow-up {follow_up_id} is about another customer")
    if customer_id is None and follow_up is None:
        errors.add("customer_id", "required: the customer to call (or the follow_up_id of a voicemail)")
    errors.raise_if_any()
    customer = None
    wanted = customer_id if customer_id is not None else follow_up.customer_id
    if wanted is not None:
        customer = db.session.get(Customer, wanted) if validation.is_id(wanted) else None
        if customer is None:
            raise NotFound(f"customer {wanted} does not exist")
    theirs = [p.e164 for p in customer.phones] if customer is not None else []
    if phone is not None:
        number = phone_numbers.normalize(phone, region)
        if number is None:
            errors.add("phone", f"{phone!r} is not a phone number")
        elif number not in theirs:
            errors.add("phone", "not one of the customer's numbers")
        errors.raise_if_any()
        return customer, follow_up, number
    called = follow_up.call.from_e164 if follow_up is not None and follow_up.call is not None else None
    number = called if called and (customer is None or called in theirs) else (theirs[0] if theirs else None)
    if number is None:
        raise InvalidInput("there is no number to call: the customer has no phone number",
                           {"customer_id": ["no phone number"]})
    return customer, follow_up, number


def _on_a_call(agent: User, *, pending_since: datetime) -> bool:
    """The agent holds a live call (any direction, queued to in-progress: a callback still ringing
    counts, so a second click is refused). A placeholder older than `pending_since` does not: the
    process that stored it died before the provider answered, and it must not block them forever."""
    crashed = and_(Call.call_sid.startswith(PENDING_PREFIX, autoescape=True), Call.started_at < pending_since)
    return db.session.scalar(select(Call.id).where(Call.agent_id == agent.id, Call.status.in_(LIVE_STATUSES),
                                                   not_(crashed)).limit(1)) is not None


def _lock(agent: User) -> None:
    """Hold the agent's row until the placeholder is committed, so two clicks at once (PostgreSQL)
    see each other's call and the second is refused."""
    db.session.scalar(select(User.id).where(User.id == agent.id).with_for_update())


def agent_leg_address(agent: User) -> str:
    """What the provider dials to ring the agent: a number, a SIP URI, or `client:<identity>`."""
    if agent.reach_kind in ("phone", "sip"):
        return agent.reach_target
    return f"client:{agent.reach_target}"


def place(agent: User, *, customer_id: int | None, follow_up_id: int | None, phone: str | None, caller_id: str | None,
          account: provider_api.ProviderAccount, region: str, urls: Urls, secret_key: str,
          dial_timeout_seconds: int, now: datetime) -> Call:
    """Ask the provider to ring `agent` (for `dial_timeout_seconds`, as routing rings agents), then
    the customer; returns the stored outbound call. An agent's phone is rung with answering-machine
    detection: their voicemail picking up is not bridged to the customer (`callback_connect`).

    CallbackNotSetUp (503) without TWILIO_CALLER_ID or an account; Forbidden (403) for a follow-up
    another agent owns (an agent's own or unowned ones only; supervisors and admins any); Conflict
    (409) when the agent is on a call (a callback still ringing included) or cannot be rung by
    phone; ProviderRefused (502) with the provider's message, or when its answer is unreadable."""
    problem = setup_problem(caller_id, account.account_sid)
    if problem:
        raise CallbackNotSetUp(problem)
    customer, follow_up, number = _target(agent, customer_id, follow_up_id, phone, region)
    if agent.reach_kind == "phone" and not agent.reach_address:
        raise Conflict("your account has no phone number to ring: ask an admin to set your reach address")
    _lock(agent)
    if _on_a_call(agent, pending_since=now - timedelta(seconds=2 * dial_timeout_seconds)):
        db.session.rollback()
        raise Conflict("you are on a call: finish it before calling someone back")
    call = Call(call_sid=f"{PENDING_PREFIX}{uuid.uuid4().hex}", direction="outbound", from_raw=caller_id,
                from_e164=caller_id, to_raw=number, to_e164=number, match_kind="single" if customer else "none",
                customer_id=customer.id if customer else None, agent_id=agent.id, claimed_at=now, status="queued",
                started_at=now, news_at=now, routing_reason=CALLBACK, offered_to=str(agent.id),
                callback_follow_up_id=follow_up.id if follow_up else None)
    db.session.add(call)
    db.session.commit()
    detection = {"machine_detection": "Enable"} if agent.reach_kind == "phone" else {}
    try:
        created = provider_api.rest_client(account).calls.create(
            to=agent_leg_address(agent), from_=caller_id, url=urls.bridge(call.id, bridge_token(call, secret_key)),
            method="POST", timeout=dial_timeout_seconds, status_callback=urls.status, status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"], **detection)
        if not created.sid:
            raise ValueError("the provider's answer has no call sid")
    except Exception as exc:  # noqa: BLE001 — whatever went wrong, the placeholder must not stay stored
        db.session.rollback()
        db.session.delete(call)
        db.session.commit()
        if isinstance(exc, (TwilioException, OSError)):
            message = getattr(exc, "msg", None) or str(exc)
            log.warning("the provider refused a callback", extra={"agent_id": agent.id, "error": message[:200]})
        else:  # not the provider's word: an answer we could not read, or a bug of ours
            message = "its answer could not be read"
            log.exception("callback not placed: the provider's answer could not be used",
                          extra={"agent_id": agent.id})
        raise ProviderRefused(f"the provider refused the call: {message}") from exc
    call.call_sid = created.sid
    if created.status:
        call.status = created.status if created.status in ("queued", "initiated", "ringing") else call.status
    db.session.commit()
    log.info("callback placed", extra={"call_sid": call.call_sid, "agent_id": agent.id})
    return call


def _callback(call_id: int, token: str, secret_key: str) -> Call | None:
    """The outbound callback the provider asks about, when it is one and `token` is its own."""
    call = db.session.get(Call, call_id) if validation.is_id(call_id) else None
    if call is None or call.direction != "outbound":
        return None
    if not hmac.compare_digest(token.encode(), bridge_token(call, secret_key).encode()):
        log.warning("callback request with a wrong token", extra={"call_id": call_id})
        return None
    return call


def bridge_call(call_id: int, token: str, secret_key: str) -> Call | None:
    """The outbound callback the provider asks about, when it is one, still live, and `token` is
    its own (`bridge_token`)."""
    call = _callback(call_id, token, secret_key)
    return None if call is None or call.ended else call


def customer_reached(call_id: int, token: str, secret_key: str, leg_status: str, at: datetime) -> Call | None:
    """The customer's leg of a callback answered (`in-progress`/`answered`): talk time starts."""
    call = bridge_call(call_id, token, secret_key)
    if call is None or leg_status not in ("in-progress", "answered") or call.connected_at is not None:
        return None
    call.connected_at = at
    db.session.commit()
    return call


def dial_ended(call_id: int, token: str, secret_key: str, dial_status: str, talked_seconds: int | None,
               at: datetime) -> Call | None:
    """The customer's <Dial> ended (its action, at `at`): when they talked (`completed` with a
    DialCallDuration) and their leg's answer never reached us (the database was down, the event
    was lost), talk time started `talked_seconds` before. Returns the call when that changed it."""
    if dial_status not in ("completed", "answered") or not talked_seconds or talked_seconds < 0:
        return None
    call = _callback(call_id, token, secret_key)  # its own hang-up may have been reported first
    if call is None or call.connected_at is not None:
        return None
    call.connected_at = at - timedelta(seconds=talked_seconds)
    db.session.commit()
    return call

