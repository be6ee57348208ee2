"""Agents judged by what their customers said and what they kept (SPEC §12): one row per agent
over a time range, each column one grouped query.

- calls: inbound calls that arrived in the range and that the agent took.
- aht_seconds: the mean handle time of those calls (talk plus wrap-up, as in `metrics`).
- nps, surveys: over the survey scores answered in the range about the agent's calls.
- promises_kept, promises_broken: promises the agent made, marked kept or broken in the range.
- follow_ups_done, follow_ups_done_on_time: follow-ups the agent closed in the range, and those
  of them closed by their due time.
- complaints_resolved, complaints_resolved_in_sla: complaints assigned to the agent (else opened
  by them) resolved in the range, and those of them resolved by their due time (or with none).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models import Call, Complaint, FollowUp, Promise, Survey, User
from app.services.insight.metrics import (
    Definitions,
    count_if,
    handle_time,
    mean_if,
    net_promoter,
    seconds_figure,
)
from app.services.insight.ranges import TimeRange, today

COLUMNS = ("calls", "aht_seconds", "nps", "surveys", "promises_kept", "promises_broken", "follow_ups_done_on_time",
           "follow_ups_done", "complaints_resolved_in_sla", "complaints_resolved")


def _handled(span: TimeRange, definitions: Definitions, agent_ids):
    handle = handle_time(Call.connected_at, Call.ended_at, Call.wrapped_at, definitions.wrapup_seconds)
    stmt = (select(Call.agent_id, func.count().label("calls"),
                   mean_if(handle, Call.ended_at.is_not(None)).label("aht"))
            .where(Call.direction == "inbound", Call.started_at >= span.since, Call.started_at < span.until,
                   Call.connected_at.is_not(None), Call.agent_id.is_not(None))
            .group_by(Call.agent_id))
    return {row.agent_id: row for row in db.session.execute(_only(stmt, Call.agent_id, agent_ids))}


def _surveys(span: TimeRange, agent_ids):
    stmt = (select(Survey.agent_id, func.count().label("answers"), count_if(Survey.score >= 9).label("promoters"),
                   count_if(Survey.score <= 6).label("detractors"))
            .where(Survey.answered_at >= span.since, Survey.answered_at < span.until, Survey.score.is_not(None),
                   Survey.agent_id.is_not(None))
            .group_by(Survey.agent_id))
    return {row.agent_id: row for row in db.session.execute(_only(stmt, Survey.agent_id, agent_ids))}


def _promises(span: TimeRange, agent_ids):
    stmt = (select(Promise.made_by_id, count_if(Promise.status == "kept").label("kept"),
                   count_if(Promise.status == "broken").label("broken"))
            .where(Promise.closed_at >= span.since, Promise.closed_at < span.until, Promise.made_by_id.is_not(None))
            .group_by(Promise.made_by_id))
    return {row.made_by_id: row for row in db.session.execute(_only(stmt, Promise.made_by_id, agent_ids))}


def _follow_ups(span: TimeRange, agent_ids):
    stmt = (select(FollowUp.done_by_id, func.count().label("done"),
                   count_if(FollowUp.done_at <= FollowUp.due_at).label("on_time"))
            .where(FollowUp.status == "done", FollowUp.done_at >= span.since, FollowUp.done_at < span.until,
                   FollowUp.done_by_id.is_not(None))
            .group_by(FollowUp.done_by_id))
    return {row.done_by_id: row for row in db.session.execute(_only(stmt, FollowUp.done_by_id, agent_ids))}


def _complaints(span: TimeRange, agent_ids):
    who = func.coalesce(Complaint.assigned_to_id, Complaint.opened_by_id)
    resolved = (select(who.label("agent_id"), Complaint.due_at, Complaint.resolved_at)
                .where(Complaint.status == "resolved", Complaint.resolved_at >= span.since,
                       Complaint.resolved_at < span.until)
                .subquery("r"))
    in_sla = or_(resolved.c.due_at.is_(None), resolved.c.resolved_at <= resolved.c.due_at)
    stmt = (select(resolved.c.agent_id, func.count().label("resolved"), count_if(in_sla).label("in_sla"))
            .where(resolved.c.agent_id.is_not(None)).group_by(resolved.c.agent_id))
    return {row.agent_id: row for row in db.session.execute(_only(stmt, resolved.c.agent_id, agent_ids))}


def _only(stmt, column, agent_ids):
    return stmt if agent_ids is None else stmt.where(column.in_(agent_ids))


def scorecards(span: TimeRange, definitions: Definitions, agent_ids: list[int] | None = None) -> list[dict]:
    """One row per agent (active users with the agent role, and anyone else with figures in the
    range), by name; `agent_ids` narrows to those users."""
    handled, surveys = _handled(span, definitions, agent_ids), _surveys(span, agent_ids)
    promises, follow_ups, complaints = (_promises(span, agent_ids), _follow_ups(span, agent_ids),
                                        _complaints(span, agent_ids))
    with_figures = set(handled) | set(surveys) | set(promises) | set(follow_ups) | set(complaints)
    who = or_(and_(User.role == "agent", User.active.is_(True)), User.id.in_(with_figures))
    people = db.session.scalars(_only(select(User).where(who), User.id, agent_ids)
                                .order_by(func.lower(User.display_name), User.id))
    rows = []
    for user in people:
        h, s, p, f, c = (part.get(user.id) for part in (handled, surveys, promises, follow_ups, complaints))
        rows.append({
            "agent": {"id": user.id, "name": user.display_name},
            "calls": int(h.calls) if h else 0,
            "aht_seconds": seconds_figure(h.aht) if h else None,
            "nps": net_promoter(int(s.promoters), int(s.detractors), int(s.answers)) if s else None,
            "surveys": int(s.answers) if s else 0,
            "promises_kept": int(p.kept) if p else 0,
            "promises_broken": int(p.broken) if p else 0,
            "follow_ups_done_on_time": int(f.on_time) if f else 0,
            "follow_ups_done": int(f.done) if f else 0,
            "complaints_resolved_in_sla": int(c.in_sla) if c else 0,
            "complaints_resolved": int(c.resolved) if c else 0,
        })
    return rows


def my_day(user_id: int, definitions: Definitions, now: datetime) -> dict:
    """A user's own figures for today (UTC): their scorecard's calls, handle time, NPS and surveys,
    and their open follow-ups due by tonight (and those overdue now), in one read each.

    Only the scorecard's parts it shows are read (three statements, not the whole card's seven):
    every open desktop asks each minute."""
    span = today(now)
    handled, surveys = _handled(span, definitions, [user_id]).get(user_id), _surveys(span, [user_id]).get(user_id)
    due, overdue = db.session.execute(
        select(count_if(FollowUp.due_at < span.until), count_if(FollowUp.due_at < now))
        .where(FollowUp.status == "open", FollowUp.owner_id == user_id)).one()
    return {"since": span.since, "until": span.until,
            "calls": int(handled.calls) if handled else 0,
            "aht_seconds": seconds_figure(handled.aht) if handled else None,
            "nps": net_promoter(int(surveys.promoters), int(surveys.detractors), int(surveys.answers)) if surveys else None,
            "surveys": int(surveys.answers) if surveys else 0,
            "follow_ups_due": int(due), "follow_ups_overdue": int(overdue)}
