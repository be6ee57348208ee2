"""A customer's timeline: every touchpoint on one list, newest first (SPEC §9).

Called by `GET /api/v1/customers/<id>/timeline` for the customer page. Calls (with their notes),
complaints opened and resolved, and preferences recorded are read from their own tables, each
bounded by `limit`, then merged; nothing is stored twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Call, Complaint, Preference, User, isoformat
from app.services.customers.records import get_customer

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000

# Entries at the same instant, newest first: a call's note after the call is listed above it.
_KIND_ORDER = {"note": 0, "call": 1, "complaint": 2, "preference": 3}


@dataclass
class Timeline:
    items: list[dict]
    limit: int
    has_more: bool  # entries older than the last one listed exist


def _call_entries(customer_id: int, limit: int) -> list[tuple[datetime, dict]]:
    stmt = (
        select(Call)
        .where(Call.customer_id == customer_id)
        .options(selectinload(Call.agent))
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(limit)
    )
    entries = []
    for call in db.session.scalars(stmt):
        agent = call.agent  # shaped {id, name} by the timeline's schema
        entries.append((call.started_at, {
            "kind": "call", "at": isoformat(call.started_at), "call_sid": call.call_sid, "status": call.status,
            "duration": call.duration, "agent": agent, "disposition": call.disposition,
        }))
        if call.notes:
            # Notes are written at wrap-up, which is when the call ended (or, still going, now-ish).
            at = call.ended_at or call.claimed_at or call.started_at
            entries.append((at, {
                "kind": "note", "at": isoformat(at), "call_sid": call.call_sid, "text": call.notes, "agent": agent,
            }))
    return entries


def _complaint_entries(customer_id: int, limit: int) -> list[tuple[datetime, dict]]:
    stmt = (
        select(Complaint)
        .where(Complaint.customer_id == customer_id)
        .order_by(Complaint.opened_at.desc(), Complaint.id.desc())
        .limit(limit)
    )
    entries = []
    for complaint in db.session.scalars(stmt):
        common = {
            "kind": "complaint", "complaint_id": complaint.id, "subject": complaint.subject,
            "severity": complaint.severity, "status": complaint.status,
        }
        entries.append((complaint.opened_at, {**common, "at": isoformat(complaint.opened_at), "event": "opened"}))
        if complaint.status == "resolved" and complaint.resolved_at is not None:
            entries.append((complaint.resolved_at, {
                **common, "at": isoformat(complaint.resolved_at), "event": "resolved",
                "resolution": complaint.resolution,
            }))
    return entries


def _preference_entries(customer_id: int, limit: int) -> list[tuple[datetime, dict]]:
    stmt = (
        select(Preference, User)
        .outerjoin(User, User.id == Preference.recorded_by_id)
        .where(Preference.customer_id == customer_id)
        .order_by(Preference.recorded_at.desc(), Preference.id.desc())
        .limit(limit)
    )
    return [
        (preference.recorded_at, {
            "kind": "preference", "at": isoformat(preference.recorded_at), "preference_id": preference.id,
            "key": preference.key, "value": preference.value, "recorded_by": recorded_by,
        })
        for preference, recorded_by in db.session.execute(stmt)
    ]


def customer_timeline(customer_id: int, limit: int = DEFAULT_LIMIT) -> Timeline:
    """The newest `limit` touchpoints of a customer; NotFound for a customer that does not exist."""
    customer = get_customer(customer_id)
    limit = max(1, min(limit, MAX_LIMIT))
    # One more than asked of each kind tells whether anything older was left out.
    entries = (
        _call_entries(customer.id, limit + 1)
        + _complaint_entries(customer.id, limit + 1)
        + _preference_entries(customer.id, limit + 1)
    )
    entries.sort(key=lambda entry: (entry[0], -_KIND_ORDER[entry[1]["kind"]]), reverse=True)
    return Timeline([entry for _, entry in entries[:limit]], limit, has_more=len(entries) > limit)
