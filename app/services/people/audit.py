"""The audit trail: who saw which customer's details, and when.

A pop's rows name the users it was delivered to, as `app.services.calls.delivery` decided them:
the recipients themselves, not whoever happened to be online.
"""
from __future__ import annotations

import csv
from datetime import datetime
from typing import IO, Iterable

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User, isoformat


def record(user_id: int | None, action: str, customer_id: int | None = None, call_sid: str | None = None,
           detail: str | None = None, commit: bool = True) -> None:
    db.session.add(AuditEvent(user_id=user_id, action=action, customer_id=customer_id, call_sid=call_sid,
                              detail=(detail or None) and detail[:255]))
    if commit:
        db.session.commit()


def _record_many(action: str, rows: Iterable[tuple[int, int, str | None]], now: datetime, detail: str | None) -> None:
    """One row per `(user_id, customer_id, call_sid)`, duplicates dropped, in one statement
    (executemany) whatever the count; committed."""
    values = [{"at": now, "user_id": user_id, "action": action, "customer_id": customer_id, "call_sid": call_sid,
               "detail": detail} for user_id, customer_id, call_sid in dict.fromkeys(rows)]
    if values:
        db.session.execute(AuditEvent.__table__.insert(), values)
    db.session.commit()


def record_pops(deliveries: Iterable[tuple[str, int, int]], now: datetime, detail: str | None = None) -> None:
    """Pops were delivered: one row per `(call_sid, user_id, customer_id)` shown."""
    _record_many("pop_delivered", ((user_id, customer_id, call_sid) for call_sid, user_id, customer_id in deliveries),
                 now, detail)


def record_reads(user_id: int, shown: Iterable[tuple[int, str | None]], detail: str, now: datetime) -> None:
    """One API answer showed these customers (`(customer_id, call_sid or None)` each, e.g. a
    search's results, or the pops of a call list) to `user_id`: one row apiece."""
    _record_many("customer_read", ((user_id, customer_id, call_sid) for customer_id, call_sid in shown), now, detail)


def events(*, customer_id: int | None = None, user_id: int | None = None, since: datetime | None = None,
           until: datetime | None = None, limit: int = 100, offset: int = 0) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if customer_id is not None:
        stmt = stmt.where(AuditEvent.customer_id == customer_id)
    if user_id is not None:
        stmt = stmt.where(AuditEvent.user_id == user_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    return list(db.session.scalars(stmt.limit(limit).offset(offset)))


def export_csv(out: IO[str], *, since: datetime | None = None, until: datetime | None = None,
               batch: int = 5000) -> int:
    """Write the trail, oldest first, in batches; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(["at", "user_id", "username", "action", "customer_id", "call_sid", "detail"])
    stmt = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.user_id).order_by(AuditEvent.id)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    count = 0
    for event, username in db.session.execute(stmt.execution_options(yield_per=batch)):
        writer.writerow([isoformat(event.at), event.user_id, username, event.action, event.customer_id,
                         event.call_sid, event.detail])
        count += 1
    return count
