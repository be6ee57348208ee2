"""Follow-ups (SPEC §10): what someone owes a customer, until it is done.

So far one kind opens by itself: every voicemail, which someone must call back (issue 8). The
service loop adds detractors, callback requests and reopened complaints, and agents add their own.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import FOLLOW_UP_STATUSES, Call, FollowUp
from app.services import validation
from app.services.validation import FieldErrors

# A list page of follow-ups, at most; an agent's own open ones are far fewer.
MAX_LISTED = 500


def open_for_voicemail(call: Call, *, hours: int, now: datetime) -> FollowUp:
    """The call back a voicemail asks for, due `hours` after `now`, owned by whoever held the call
    (usually nobody: nobody answered). A repeated recording callback opens no second one. Added
    to the session; the caller commits."""
    existing = db.session.scalar(
        select(FollowUp).where(FollowUp.call_id == call.id, FollowUp.reason == "voicemail"))
    if existing is not None:
        return existing
    follow_up = FollowUp(customer_id=call.customer_id, call_id=call.id, reason="voicemail",
                         owner_id=call.agent_id, due_at=now + timedelta(hours=hours), status="open",
                         created_at=now)
    db.session.add(follow_up)
    return follow_up


def list_follow_ups(*, status: str | None, owner_id: int | None) -> list[FollowUp]:
    """Follow-ups, soonest due first; `owner_id` narrows to one owner's."""
    errors = FieldErrors()
    if status is not None:
        validation.choice(errors, "status", status, FOLLOW_UP_STATUSES)
    errors.raise_if_any()
    stmt = select(FollowUp).options(selectinload(FollowUp.owner), selectinload(FollowUp.call))
    if status is not None:
        stmt = stmt.where(FollowUp.status == status)
    if owner_id is not None:
        stmt = stmt.where(FollowUp.owner_id == owner_id)
    return list(db.session.scalars(stmt.order_by(FollowUp.due_at, FollowUp.id).limit(MAX_LISTED)))
