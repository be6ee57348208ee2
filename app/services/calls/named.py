"""A call named in a form by its CallSid (a complaint, a promise, a follow-up made on it)."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Call
from app.services.validation import FieldErrors


def call_named(errors: FieldErrors, call_sid, field: str = "call_sid") -> Call | None:
    """The call `call_sid` names, or None when it names none; a CallSid we do not hold is added to
    `errors` under `field`."""
    if call_sid is None:
        return None
    call = db.session.scalar(select(Call).where(Call.call_sid == call_sid)) if isinstance(call_sid, str) else None
    if call is None:
        errors.add(field, f"call {call_sid!r} does not exist")
    return call
