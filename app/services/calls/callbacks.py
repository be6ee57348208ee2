"""Calling a customer back from the care list (SPEC §12): the provider rings the agent who asked
first (their phone, browser client or SIP address), and when they answer, connects the customer
from TWILIO_CALLER_ID (`twiml.callback_bridge`, served at /twilio/callback-connect).

The call is stored before the provider is asked, under a placeholder sid, so the provider's
first request about it always finds it; when the provider refuses, it is deleted again: nothing
is stored as called. Its pop goes to the agent (and the staff) like any call's; wrapping it up
closes the follow-up it answers, once the customer was reached (`lifecycle.update_call`).
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from twilio.base.exceptions import TwilioException, TwilioRestException

from app.extensions import db
from app.models import LIVE_STATUSES, Call, Customer, FollowUp, User
from app.services import phone_numbers, provider_api, validation
from app.services.errors import Conflict, DomainError, InvalidInput, NotFound
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
    """Where the provider reports on the callback (absolute URLs it can reach), per call row id."""

    bridge: Callable[[int], str]  # answered by the agent: the TwiML that dials the customer
    status: str  # the call's status callbacks


def _target(customer_id: int | None, follow_up_id: int | None, phone: str | None, region: str):
    """The customer, the follow-up, and the number to dial, or InvalidInput/NotFound naming why not."""
    errors = FieldErrors()
    follow_up = None
    if follow_up_id is not None:
        follow_up = db.session.get(FollowUp, follow_up_id)
        if follow_up is None:
            raise NotFound(f"follow-up {follow_up_id} does not exist")
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


def _on_a_call(agent: User) -> bool:
    return db.session.scalar(select(Call.id).where(Call.agent_id == agent.id, Call.status.in_(LIVE_STATUSES))
                             .limit(1)) is not None


def agent_leg_address(agent: User) -> str:
    """What the provider dials to ring the agent: a number, a SIP URI, or `client:<identity>`."""
    if agent.reach_kind in ("phone", "sip"):
        return agent.reach_target
    return f"client:{agent.reach_target}"


def place(agent: User, *, customer_id: int | None, follow_up_id: int | None, phone: str | None, caller_id: str | None,
          account: provider_api.ProviderAccount, region: str, urls: Urls, now: datetime) -> Call:
    """Ask the provider to ring `agent`, then the customer; returns the stored outbound call.

    CallbackNotSetUp (503) without TWILIO_CALLER_ID or an account; Conflict (409) when the agent
    is on a call or cannot be rung by phone; ProviderRefused (502) with the provider's message."""
    problem = setup_problem(caller_id, account.account_sid)
    if problem:
        raise CallbackNotSetUp(problem)
    customer, follow_up, number = _target(customer_id, follow_up_id, phone, region)
    if agent.reach_kind == "phone" and not agent.reach_address:
        raise Conflict("your account has no phone number to ring: ask an admin to set your reach address")
    if _on_a_call(agent):
        raise Conflict("you are on a call: finish it before calling someone back")
    call = Call(call_sid=f"{PENDING_PREFIX}{uuid.uuid4().hex}", direction="outbound", from_raw=caller_id,
                from_e164=caller_id, to_raw=number, to_e164=number, match_kind="single" if customer else "none",
                customer_id=customer.id if customer else None, agent_id=agent.id, claimed_at=now, status="queued",
                started_at=now, news_at=now, routing_reason=CALLBACK, offered_to=str(agent.id),
                callback_follow_up_id=follow_up.id if follow_up else None)
    db.session.add(call)
    db.session.commit()
    try:
        created = provider_api.rest_client(account).calls.create(
            to=agent_leg_address(agent), from_=caller_id, url=urls.bridge(call.id), method="POST",
            status_callback=urls.status, status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"])
    except (TwilioRestException, TwilioException, OSError) as exc:
        db.session.delete(call)
        db.session.commit()
        message = getattr(exc, "msg", None) or str(exc)
        log.warning("the provider refused a callback", extra={"agent_id": agent.id, "error": message[:200]})
        raise ProviderRefused(f"the provider refused the call: {message}") from exc
    call.call_sid = created.sid
    if created.status:
        call.status = created.status if created.status in ("queued", "initiated", "ringing") else call.status
    db.session.commit()
    log.info("callback placed", extra={"call_sid": call.call_sid, "agent_id": agent.id})
    return call


def bridge_call(call_id: int) -> Call | None:
    """The outbound callback the provider asks about, when it is one and still live."""
    call = db.session.get(Call, call_id) if validation.is_id(call_id) else None
    if call is None or call.direction != "outbound" or call.ended:
        return None
    return call


def customer_reached(call_id: int, leg_status: str, at: datetime) -> Call | None:
    """The customer's leg of a callback answered (`in-progress`/`answered`): talk time starts."""
    call = bridge_call(call_id)
    if call is None or leg_status not in ("in-progress", "answered") or call.connected_at is not None:
        return None
    call.connected_at = at
    db.session.commit()
    return call

