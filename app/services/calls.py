"""Call lifecycle: an inbound call is recorded once per CallSid, and its status only moves forward."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import STATUS_RANK, TERMINAL_STATUSES, Call, Customer, User, utcnow
from app.services import phone_numbers
from app.services.errors import InvalidInput
from app.services.recognition import customers_with_number, recognize

log = logging.getLogger(__name__)


@dataclass
class InboundCall:
    call: Call
    customers: list[Customer]
    created: bool  # False for a provider retry of a CallSid we already hold


def get_call(call_sid: str) -> Call | None:
    return db.session.scalar(select(Call).where(Call.call_sid == call_sid))


def customers_for(call: Call) -> list[Customer]:
    """The customers a call's pop shows: the linked one, or every candidate for a shared number."""
    if call.customer is not None:
        return [call.customer]
    if call.match_kind == "multiple" and call.from_e164:
        return customers_with_number(call.from_e164)
    return []


def _clip(value: str | None, length: int) -> str | None:
    """Provider fields are kept as sent, but a caller ID longer than any real one is cut to fit."""
    return value[:length] if value else value


def receive_inbound(params: Mapping[str, str], region: str) -> InboundCall:
    """Record an inbound call from the provider's parameters; a repeated CallSid changes nothing."""
    call_sid = (params.get("CallSid") or "").strip()
    if not call_sid:
        raise InvalidInput("CallSid is missing", fields={"CallSid": ["required"]})
    if len(call_sid) > 64:
        raise InvalidInput("CallSid is longer than 64 characters", fields={"CallSid": ["too long"]})
    existing = get_call(call_sid)
    if existing is not None:
        return InboundCall(existing, customers_for(existing), created=False)

    recognition = recognize(params.get("From"), region)
    status = params.get("CallStatus")
    call = Call(
        call_sid=call_sid,
        account_sid=_clip(params.get("AccountSid"), 64),
        from_raw=_clip(params.get("From"), 255),
        from_e164=recognition.from_e164,
        to_raw=_clip(params.get("To"), 255),
        to_e164=phone_numbers.normalize(params.get("To"), region),
        match_kind=recognition.match_kind,
        customer=recognition.customer,
        status=status if status in STATUS_RANK and status not in TERMINAL_STATUSES else "ringing",
    )
    db.session.add(call)
    try:
        db.session.commit()
    except IntegrityError:
        # The same CallSid arrived twice at once (two processes): the other insert won.
        db.session.rollback()
        existing = get_call(call_sid)
        if existing is None:
            raise
        return InboundCall(existing, customers_for(existing), created=False)
    return InboundCall(call, recognition.customers, created=True)


def _advance(call: Call, status: str, sequence: int | None, duration: int | None) -> bool:
    """Move `call` to `status` if that is forward; True when anything an agent sees changed."""
    if sequence is not None:
        if sequence <= call.status_sequence:
            return False
        call.status_sequence = sequence
    if call.ended or STATUS_RANK[status] <= STATUS_RANK[call.status]:
        return False
    now = utcnow()
    call.status = status
    if status == "in-progress" and call.answered_at is None:
        call.answered_at = now
    if status in TERMINAL_STATUSES:
        call.ended_at = now
        if duration is not None:
            call.duration = duration
        elif call.answered_at is not None:
            call.duration = int((now - call.answered_at).total_seconds())
    return True


def _parse_int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, got {value!r}", {name: ["not a number"]})


def apply_status(call_sid: str, status: str, sequence: str | None, duration: str | None) -> Call | None:
    """Apply a status callback; returns the call when it changed, None when there is nothing to say.

    Late, repeated and out-of-order callbacks (lower SequenceNumber, or an earlier state than the
    call already reached) are ignored, so a finished call never comes back to life.
    """
    if status not in STATUS_RANK:
        raise InvalidInput(f"unknown CallStatus {status!r}", {"CallStatus": ["unknown status"]})
    seq = _parse_int(sequence, "SequenceNumber")
    dur = _parse_int(duration, "CallDuration")
    call = db.session.scalar(select(Call).where(Call.call_sid == call_sid).with_for_update())
    if call is None:
        log.info("status callback for unknown call ignored", extra={"call_sid": call_sid})
        db.session.rollback()
        return None
    changed = _advance(call, status, seq, dur)
    db.session.commit()
    return call if changed else None


def apply_agent_leg(parent_sid: str, agent_id: int, leg_status: str) -> Call | None:
    """An agent's phone answered the call we dialled them on: the call is now theirs."""
    if leg_status not in ("in-progress", "answered"):
        return None
    call = db.session.scalar(select(Call).where(Call.call_sid == parent_sid).with_for_update())
    agent = db.session.get(User, agent_id)
    if call is None or agent is None or call.ended:
        db.session.rollback()
        return None
    changed = False
    if call.agent_id is None:
        call.agent = agent
        changed = True
    changed = _advance(call, "in-progress", None, None) or changed
    db.session.commit()
    return call if changed else None


def record_voicemail(call_sid: str, recording_url: str | None) -> None:
    call = get_call(call_sid)
    if call is not None and recording_url:
        call.recording_url = recording_url
        db.session.commit()


def active_calls(stale_hours: int) -> list[Call]:
    """Calls that have not ended, oldest first; very old ones without a final status are stale."""
    since = utcnow() - timedelta(hours=stale_hours)
    stmt = (
        select(Call)
        .where(Call.status.not_in(TERMINAL_STATUSES), Call.started_at >= since)
        .options(selectinload(Call.agent), selectinload(Call.customer))
        .order_by(Call.started_at, Call.id)
    )
    return list(db.session.scalars(stmt))


def recent_calls(page: int, per_page: int) -> tuple[list[Call], int]:
    """Every call, newest first, one page of them with what their pops show loaded up front."""
    total = db.session.scalar(select(func.count(Call.id)))
    stmt = (
        select(Call)
        .options(
            selectinload(Call.agent),
            selectinload(Call.customer).selectinload(Customer.preferences),
            selectinload(Call.customer).selectinload(Customer.complaints),
        )
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(db.session.scalars(stmt)), total or 0
