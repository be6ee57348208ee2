"""The audit trail: who saw which customer's details, and when.

A pop's rows name the users it was delivered to, as `app.services.calls.delivery` decided them:
the recipients themselves, not whoever happened to be online.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AUDIT_ACTIONS, AuditEvent, Customer, User, isoformat
from app.models.customer import search_key
from app.services import validation
from app.services.errors import InvalidInput


def record(user_id: int | None, action: str, customer_id: int | None = None, call_sid: str | None = None,
           detail: str | None = None, commit: bool = True) -> None:
    db.session.add(AuditEvent(user_id=user_id, action=action, customer_id=customer_id, call_sid=call_sid,
                              detail=(detail or None) and detail[:255]))
    if commit:
        db.session.commit()


def _record_many(action: str, rows: Iterable[tuple[int, int, str | None]], now: datetime, detail: str | None,
                 *, commit: bool = True) -> None:
    """One row per `(user_id, customer_id, call_sid)`, duplicates dropped, in one statement
    (executemany) whatever the count; committed unless `commit` is False."""
    values = [{"at": now, "user_id": user_id, "action": action, "customer_id": customer_id, "call_sid": call_sid,
               "detail": detail} for user_id, customer_id, call_sid in dict.fromkeys(rows)]
    if values:
        db.session.execute(AuditEvent.__table__.insert(), values)
    if commit:
        db.session.commit()


def record_pops(deliveries: Iterable[tuple[str, int, int]], now: datetime, detail: str | None = None, *,
                commit: bool = True) -> None:
    """Pops were delivered: one row per `(call_sid, user_id, customer_id)` shown. `commit=False`:
    written in the caller's transaction (a new call's, which commits it with the call)."""
    _record_many("pop_delivered", ((user_id, customer_id, call_sid) for call_sid, user_id, customer_id in deliveries),
                 now, detail, commit=commit)


def record_reads(user_id: int, shown: Iterable[tuple[int, str | None]], detail: str, now: datetime) -> None:
    """One API answer showed these customers (`(customer_id, call_sid or None)` each, e.g. a
    search's results, or the pops of a call list) to `user_id`: one row apiece."""
    _record_many("customer_read", ((user_id, customer_id, call_sid) for customer_id, call_sid in shown), now, detail)


REPLAYED = "replayed on connect"


@dataclass(frozen=True)
class Filters:
    """What a supervisor narrows the trail to. `user` and `customer` are what they type: part of a
    name or username (case-insensitive), or an id; `replays=False` leaves out the pops replayed to
    a desktop that (re)connected, which are most of the rows on a busy floor."""

    customer_id: int | None = None
    user_id: int | None = None
    action: str | None = None
    user: str | None = None
    customer: str | None = None
    replays: bool = True
    since: datetime | None = None
    until: datetime | None = None


def _contains(column, text: str):
    """Case-insensitive "contains", with % and _ taken literally."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def _filtered(stmt, filters: Filters):
    if filters.customer_id is not None:
        stmt = stmt.where(AuditEvent.customer_id == filters.customer_id)
    if filters.user_id is not None:
        stmt = stmt.where(AuditEvent.user_id == filters.user_id)
    if filters.action is not None:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.user and filters.user.strip():
        text = filters.user.strip()
        who = select(User.id).where(or_(_contains(User.username, text),
                                        _contains(User.display_name, text)))
        if validation.is_id_text(text):
            who = who.union(select(User.id).where(User.id == int(text)))
        stmt = stmt.where(AuditEvent.user_id.in_(who))
    if filters.customer and filters.customer.strip():
        text = filters.customer.strip()
        # As the search box reads names: "maria" finds María (customers.name_search).
        whom = select(Customer.id).where(Customer.name_search.contains(search_key(text), autoescape=True))
        if text.lstrip("#").isdigit():  # an id: also a customer since deleted
            stmt = stmt.where(or_(AuditEvent.customer_id.in_(whom), AuditEvent.customer_id == int(text.lstrip("#"))))
        else:
            stmt = stmt.where(AuditEvent.customer_id.in_(whom))
    if not filters.replays:
        stmt = stmt.where(or_(AuditEvent.detail.is_(None), AuditEvent.detail != REPLAYED))
    if filters.since is not None:
        stmt = stmt.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEvent.at < filters.until)
    return stmt


@dataclass(frozen=True)
class Entry:
    """One row of the trail as a supervisor reads it: the event, and the customer's name now
    (None once the record is deleted: the trail outlives it)."""

    event: AuditEvent
    customer_name: str | None

    def __getattr__(self, name):
        return getattr(self.event, name)

    @property
    def customer(self) -> dict | None:
        if self.event.customer_id is None:
            return None
        return {"id": self.event.customer_id, "name": self.customer_name}


def events(filters: Filters | None = None, *, limit: int = 100, offset: int = 0) -> list[Entry]:
    """The trail, newest first, with each customer's name (one query)."""
    filters = filters or Filters()
    if filters.action is not None and filters.action not in AUDIT_ACTIONS:
        raise InvalidInput(f"action must be one of: {', '.join(AUDIT_ACTIONS)}; got {filters.action!r}",
                           {"action": [f"not one of: {', '.join(AUDIT_ACTIONS)}"]})
    stmt = (select(AuditEvent, Customer.name)
            .outerjoin(Customer, Customer.id == AuditEvent.customer_id)
            .options(selectinload(AuditEvent.user))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    rows = db.session.execute(_filtered(stmt, filters).limit(limit).offset(offset))
    return [Entry(event, name) for event, name in rows]


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
