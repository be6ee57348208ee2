"""Promises (SPEC §10): promise only what you will do, then do it.

An agent records a commitment from the card ("refund by Friday", due Friday). It sits at the top
of every pop of that customer until someone marks it kept or broken; past its due time it is
overdue, and the pop says so in red.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from app.extensions import db
from app.models import PROMISE_STATUSES, Promise, User
from app.services import validation
from app.services.calls.named import call_named
from app.services.errors import Forbidden, NotFound
from app.services.people import roles
from app.services.validation import FieldErrors

PROMISE_FIELDS = frozenset({"status", "text", "due_at"})
# A promise recorded a little after its time (the agent typed it after the call) is still taken;
# one due further back than this is a typo.
PAST_DUE_GRACE = timedelta(days=1)


def _due(errors: FieldErrors, value: Any, now: datetime) -> datetime | None:
    due_at = validation.naive_utc(errors, "due_at", value)
    if value is None:
        errors.add("due_at", "required: when it will be done")
    elif due_at is not None and due_at < now - PAST_DUE_GRACE:
        errors.add("due_at", "is in the past: a promise is due when it will be done")
        return None
    return due_at


def make_promise(customer_id: int, changes: Mapping[str, Any], *, acting: User, now: datetime) -> Promise:
    """Record a promise to a customer: `text` and `due_at` required, `call_sid` the call it was made on."""
    from app.services.customers.records import get_customer

    customer = get_customer(customer_id)
    validation.refuse_unknown(changes, frozenset({"text", "due_at", "call_sid"}))
    errors = FieldErrors()
    text = validation.text(errors, "text", changes.get("text"), required=True)
    if text is not None and len(text) > 500:
        errors.add("text", "at most 500 characters")
    due_at = _due(errors, changes.get("due_at"), now)
    call = call_named(errors, changes.get("call_sid"))
    errors.raise_if_any()
    promise = Promise(customer_id=customer.id, call_id=call.id if call else None, text=text, due_at=due_at,
                      status="open", made_by_id=acting.id, made_at=now)
    db.session.add(promise)
    db.session.commit()
    return promise


def get_promise(promise_id: int) -> Promise:
    promise = db.session.get(Promise, promise_id) if validation.is_id(promise_id) else None
    if promise is None:
        raise NotFound(f"promise {promise_id} does not exist")
    return promise


def update_promise(promise_id: int, changes: Mapping[str, Any], *, acting: User, now: datetime) -> Promise:
    """Mark a promise kept or broken (any agent: whoever saw it done), or reword it or move its
    date (the agent who made it, a supervisor or an admin)."""
    validation.refuse_unknown(changes, PROMISE_FIELDS)
    promise = get_promise(promise_id)
    errors = FieldErrors()
    status = validation.choice(errors, "status", changes["status"], PROMISE_STATUSES) if "status" in changes else None
    text = validation.text(errors, "text", changes["text"], required=True) if "text" in changes else None
    if text is not None and len(text) > 500:
        errors.add("text", "at most 500 characters")
    due_at = _due(errors, changes["due_at"], now) if "due_at" in changes else None
    errors.raise_if_any()
    if (("text" in changes or "due_at" in changes) and promise.made_by_id != acting.id
            and not roles.has_role(acting, "supervisor")):
        raise Forbidden("only the agent who made a promise, or a supervisor, can change what it says")
    if text is not None:
        promise.text = text
    if due_at is not None:
        promise.due_at = due_at
    if status is not None and status != promise.status:
        promise.status = status
        promise.closed_at, promise.closed_by_id = (None, None) if status == "open" else (now, acting.id)
    db.session.commit()
    return promise
