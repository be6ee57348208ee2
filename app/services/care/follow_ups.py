"""Follow-ups (SPEC §10): what someone owes a customer, until it is done.

Service recovery opens them by itself: a detractor's score (0-6), a voicemail, a complaint
reopened (and, with the queue, a callback request). Agents add their own by hand. Each has an
owner and a due time; it sits on the owner's desktop and on the customer's next pop until it is
closed with what was done (`outcome`). An open one past its due time is overdue.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import FOLLOW_UP_STATUSES, Call, Complaint, FollowUp, Survey, User
from app.services import validation
from app.services.calls.named import call_named
from app.services.errors import Forbidden, NotFound
from app.services.people import roles, users
from app.services.validation import FieldErrors

# A list page of follow-ups, at most; an agent's own open ones are far fewer.
MAX_LISTED = 500
FOLLOW_UP_FIELDS = frozenset({"status", "outcome", "owner_id", "note", "due_at"})


def _open(reason: str, *, customer_id: int | None, call_id: int | None, owner_id: int | None, due_at: datetime,
          now: datetime, note: str | None = None, complaint_id: int | None = None) -> FollowUp:
    follow_up = FollowUp(customer_id=customer_id, call_id=call_id, reason=reason, owner_id=owner_id, due_at=due_at,
                         status="open", created_at=now, note=note, complaint_id=complaint_id)
    db.session.add(follow_up)
    return follow_up


def _existing(call_id: int, reason: str) -> FollowUp | None:
    return db.session.scalar(select(FollowUp).where(FollowUp.call_id == call_id, FollowUp.reason == reason))


def open_for_voicemail(call: Call, *, hours: int, now: datetime) -> FollowUp:
    """The call back a voicemail asks for, due `hours` after `now`, owned by whoever held the call
    (usually nobody: nobody answered). A repeated recording callback opens no second one. Added
    to the session; the caller commits."""
    return _existing(call.id, "voicemail") or _open(
        "voicemail", customer_id=call.customer_id, call_id=call.id, owner_id=call.agent_id,
        due_at=now + timedelta(hours=hours), now=now)


def open_for_detractor(survey: Survey, *, hours: int, now: datetime) -> FollowUp:
    """A caller scored us 0-6: the agent who took the call owes them a call back within `hours`.
    One per call. Added to the session; the caller commits."""
    return _existing(survey.call_id, "detractor") or _open(
        "detractor", customer_id=survey.customer_id, call_id=survey.call_id, owner_id=survey.agent_id,
        due_at=now + timedelta(hours=hours), now=now, note=f"Scored us {survey.score}/10")


def open_for_callback(call: Call, *, hours: int, now: datetime, owner_id: int | None = None) -> FollowUp:
    """A caller waiting in line asked to be called back (SPEC §11): due `hours` after `now`, owned
    by `owner_id` (the agent who knows them), else by nobody (anyone may take it). One per call.
    Added to the session; the caller commits."""
    return _existing(call.id, "callback_requested") or _open(
        "callback_requested", customer_id=call.customer_id, call_id=call.id, owner_id=owner_id,
        due_at=now + timedelta(hours=hours), now=now, note="Asked to be called back while waiting in line")


def open_for_reopened_complaint(complaint: Complaint, *, owner_id: int | None, hours: int, now: datetime) -> FollowUp:
    """A complaint marked resolved is open again: someone must get back to the customer."""
    return _open("complaint_reopened", customer_id=complaint.customer_id, call_id=complaint.call_id,
                 owner_id=owner_id, due_at=now + timedelta(hours=hours), now=now,
                 note=f"Complaint reopened: {complaint.subject}"[:1000], complaint_id=complaint.id)


def _check_may_own(acting: User, owner_id: int | None, current_id: int | None) -> None:
    if not roles.may_assign(acting, owner_id, current_id):
        raise Forbidden("only a supervisor can give a follow-up to someone else")


def add_follow_up(customer_id: int, changes: Mapping[str, Any], *, acting: User, hours: int, now: datetime) -> FollowUp:
    """An agent notes that someone must get back to this customer: `note` (required), `due_at`
    (default `hours` from now), `owner_id` (default the agent), `call_sid` (the call it came from)."""
    from app.services.customers.records import get_customer

    customer = get_customer(customer_id)
    validation.refuse_unknown(changes, frozenset({"note", "due_at", "owner_id", "call_sid"}))
    errors = FieldErrors()
    note = validation.text(errors, "note", changes.get("note"), required=True)
    due_at = validation.naive_utc(errors, "due_at", changes.get("due_at"))
    owner = users.active_user(errors, "owner_id", changes["owner_id"]) if "owner_id" in changes else acting
    call = call_named(errors, changes.get("call_sid"))
    errors.raise_if_any()
    _check_may_own(acting, owner.id if owner else None, None)
    follow_up = _open("manual", customer_id=customer.id, call_id=call.id if call else None,
                      owner_id=owner.id if owner else None, due_at=due_at or now + timedelta(hours=hours), now=now,
                      note=note)
    db.session.commit()
    return follow_up


def get_follow_up(follow_up_id: int) -> FollowUp:
    follow_up = db.session.get(FollowUp, follow_up_id) if validation.is_id(follow_up_id) else None
    if follow_up is None:
        raise NotFound(f"follow-up {follow_up_id} does not exist")
    return follow_up


def update_follow_up(follow_up_id: int, changes: Mapping[str, Any], *, acting: User, now: datetime) -> FollowUp:
    """Close a follow-up with what was done (`status: done` needs an `outcome`), reopen it, or
    give it to someone (`owner_id`). Its owner closes it, and so may any agent when nobody owns it;
    a supervisor or admin may do anything."""
    validation.refuse_unknown(changes, FOLLOW_UP_FIELDS)
    follow_up = get_follow_up(follow_up_id)
    errors = FieldErrors()
    status = validation.choice(errors, "status", changes["status"], FOLLOW_UP_STATUSES) if "status" in changes else None
    outcome = validation.text(errors, "outcome", changes.get("outcome"), required=False)
    note = validation.text(errors, "note", changes.get("note"), required=False)
    due_at = validation.naive_utc(errors, "due_at", changes.get("due_at"))
    if "due_at" in changes and due_at is None and "due_at" not in errors.fields:
        errors.add("due_at", "required")
    owner = users.active_user(errors, "owner_id", changes.get("owner_id"))
    if status == "done" and not (outcome or (follow_up.outcome and "outcome" not in changes)):
        errors.add("outcome", "required: say what was done")
    errors.raise_if_any()
    supervisor = roles.has_role(acting, "supervisor")
    if "owner_id" in changes:
        _check_may_own(acting, owner.id if owner else None, follow_up.owner_id)
    if not supervisor and follow_up.owner_id not in (None, acting.id) and (changes.keys() - {"owner_id"}):
        holder = follow_up.owner.display_name if follow_up.owner else "someone else"
        raise Forbidden(f"this follow-up is {holder}'s: only they or a supervisor can change it")
    if "owner_id" in changes:
        follow_up.owner_id = owner.id if owner else None
    if "outcome" in changes:
        follow_up.outcome = outcome
    if "note" in changes:
        follow_up.note = note
    if "due_at" in changes:
        follow_up.due_at = due_at
    if status is not None and status != follow_up.status:
        follow_up.status = status
        follow_up.done_at, follow_up.done_by_id = (now, acting.id) if status == "done" else (None, None)
        if status == "done" and follow_up.owner_id is None:
            follow_up.owner_id = acting.id  # whoever did it owned it
    db.session.commit()
    return follow_up


def list_follow_ups(*, status: str | None, owner_id: int | None, customer_id: int | None = None) -> list[FollowUp]:
    """Follow-ups, soonest due first; `owner_id` narrows to one owner's, `customer_id` to one customer's."""
    errors = FieldErrors()
    if status is not None:
        validation.choice(errors, "status", status, FOLLOW_UP_STATUSES)
    errors.raise_if_any()
    stmt = select(FollowUp).options(selectinload(FollowUp.owner), selectinload(FollowUp.call),
                                    selectinload(FollowUp.customer))
    if status is not None:
        stmt = stmt.where(FollowUp.status == status)
    if owner_id is not None:
        stmt = stmt.where(FollowUp.owner_id == owner_id)
    if customer_id is not None:
        stmt = stmt.where(FollowUp.customer_id == customer_id)
    return list(db.session.scalars(stmt.order_by(FollowUp.due_at, FollowUp.id).limit(MAX_LISTED)))
