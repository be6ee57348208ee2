"""The audit trail: who saw which customer's details, and when.

Pops are broadcast to a room, so "delivered" means "sent to every desktop online at that moment";
those rows are written with one INSERT … SELECT from the presence table, whatever the head count.
"""
from __future__ import annotations

import csv
from datetime import datetime, timedelta
from typing import IO, Iterable

from sqlalchemy import literal, select

from app.extensions import db
from app.models import AgentPresence, AuditEvent, User, isoformat, utcnow


def record(user_id: int | None, action: str, customer_id: int | None = None, call_sid: str | None = None,
           detail: str | None = None, commit: bool = True) -> None:
    db.session.add(AuditEvent(user_id=user_id, action=action, customer_id=customer_id, call_sid=call_sid,
                              detail=(detail or None) and detail[:255]))
    if commit:
        db.session.commit()


def record_pop_broadcast(call_sid: str, customer_ids: Iterable[int], presence_ttl_seconds: int) -> None:
    """A pop showing these customers went to every online desktop: one row per user and customer."""
    now = utcnow()
    since = now - timedelta(seconds=presence_ttl_seconds)
    online = select(AgentPresence.user_id).where(AgentPresence.last_seen_at >= since).distinct().subquery()
    for customer_id in customer_ids:
        rows = select(
            literal(now).label("at"), online.c.user_id, literal("pop_delivered").label("action"),
            literal(customer_id).label("customer_id"), literal(call_sid).label("call_sid"),
        )
        db.session.execute(
            AuditEvent.__table__.insert().from_select(["at", "user_id", "action", "customer_id", "call_sid"], rows)
        )
    db.session.commit()


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


def to_dict(event: AuditEvent) -> dict:
    return {
        "id": event.id, "at": isoformat(event.at), "action": event.action,
        "user": event.user.summary() if event.user else None,
        "customer_id": event.customer_id, "call_sid": event.call_sid, "detail": event.detail,
    }


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
