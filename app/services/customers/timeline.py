"""A customer's timeline: every touchpoint on one list, newest first (SPEC §9, §10).

Called by `GET /api/v1/customers/<id>/timeline` for the customer page. Calls (with their notes),
complaints opened and resolved, preferences recorded, surveys, follow-ups and promises are read
from their own tables, each bounded by `limit`, then merged; nothing is stored twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Call, Complaint, FollowUp, Preference, Promise, Survey, User, isoformat, utcnow
from app.services.customers.records import get_customer
from app.settings import settings

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000

# Entries at the same instant, newest first: a call's note after the call is listed above it.
_KIND_ORDER = {"survey": 0, "note": 1, "call": 2, "complaint": 3, "preference": 4, "follow_up": 5, "promise": 6}


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


def _survey_entries(customer_id: int, limit: int) -> list[tuple[datetime, dict]]:
    """A survey is on the timeline when it was asked (or, never sent, queued)."""
    stmt = (
        select(Survey)
        .where(Survey.customer_id == customer_id)
        .options(selectinload(Survey.call), selectinload(Survey.agent))
        .order_by(Survey.created_at.desc(), Survey.id.desc())
        .limit(limit)
    )
    entries = []
    for survey in db.session.scalars(stmt):
        at = survey.answered_at or survey.sent_at or survey.created_at
        entries.append((at, {
            "kind": "survey", "at": isoformat(at), "survey_id": survey.id, "call_sid": survey.call_sid,
            "channel": survey.channel, "score": survey.score, "comment": survey.comment,
            "status": survey.shown_status(utcnow(), settings().care.survey_reply_hours),
            "agent": survey.agent,
        }))
    return entries


def _follow_up_entries(customer_id: int, limit: int) -> list[tuple[datetime, dict]]:
    stmt = (
        select(FollowUp)
        .where(FollowUp.customer_id == customer_id)
        .options(selectinload(FollowUp.owner), selectinload(FollowUp.call))
        .order_by(FollowUp.created_at.desc(), FollowUp.id.desc())
        .limit(limit)
    )
    return [
        (follow_up.created_at, {
            "kind": "follow_up", "at": isoformat(follow_up.created_at), "follow_up_id": follow_up.id,
            "call_sid": follow_up.call.call_sid if follow_up.call is not None else None,
            "reason": follow_up.reason, "status": follow_up.status, "outcome": follow_up.outcome,
            "note": follow_up.note, "owner": follow_up.owner, "due_at": isoformat(follow_up.due_at),
            "done_at": isoformat(follow_up.done_at) if follow_up.done_at else None,
        })
        for follow_up in db.session.scalars(stmt)
    ]


def _promise_entries(customer_id: int, limit: int) -> list[tuple[datetime, dict]]:
    stmt = (
        select(Promise)
        .where(Promise.customer_id == customer_id)
        .options(selectinload(Promise.made_by), selectinload(Promise.call))
        .order_by(Promise.made_at.desc(), Promise.id.desc())
        .limit(limit)
    )
    return [
        (promise.made_at, {
            "kind": "promise", "at": isoformat(promise.made_at), "promise_id": promise.id,
            "call_sid": promise.call_sid, "text": promise.text, "due_at": isoformat(promise.due_at),
            "status": promise.status, "made_by": promise.made_by,
            "closed_at": isoformat(promise.closed_at) if promise.closed_at else None,
        })
        for promise in db.session.scalars(stmt)
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
        + _survey_entries(customer.id, limit + 1)
        + _follow_up_entries(customer.id, limit + 1)
        + _promise_entries(customer.id, limit + 1)
    )
    entries.sort(key=lambda entry: (entry[0], -_KIND_ORDER[entry[1]["kind"]]), reverse=True)
    return Timeline([entry for _, entry in entries[:limit]], limit, has_more=len(entries) > limit)
