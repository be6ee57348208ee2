"""The supervisor's service figures (SPEC §12), computed in SQL over a time range: one query over
the calls (each carrying when the same caller called before and after it, so nothing is sorted
by caller), one over the surveys, and one count of callbacks. Nothing loads calls into Python.

Each figure's definition is in `Figures`, word for word as the README gives it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, literal, or_, select

from app.extensions import db
from app.models import TERMINAL_STATUSES, Call, Survey
from app.services.calls.callbacks import CALLBACK
from app.services.insight.ranges import BUCKETS, TimeRange
from app.services.insight.sql import bucket_of, seconds_between

FCR_DAYS = 7  # first-contact resolution looks this far ahead for a further call
FIGURES = ("calls", "answered", "abandoned", "service_level", "asa_seconds", "aht_seconds", "abandonment_rate",
           "nps", "surveys", "repeat_call_rate", "first_contact_resolution", "callbacks")


@dataclass(frozen=True)
class Definitions:
    """The settings the figures depend on."""

    service_level_seconds: int  # SERVICE_LEVEL_SECONDS
    wrapup_seconds: int  # WRAPUP_SECONDS
    repeat_call_hours: int  # REPEAT_CALL_HOURS


@dataclass(frozen=True)
class Figures:
    """The figures of one range (or one hour or day of it).

    - calls: inbound calls that arrived in the range (their first webhook, `started_at`).
    - answered: those an agent took (their phone answered, or they claimed the live call).
    - abandoned: those that ended unanswered, without leaving a voicemail or asking for a callback.
    - service_level: calls answered within SERVICE_LEVEL_SECONDS of arriving ÷ calls that were
      answered or abandoned (calls still ringing or waiting count in neither).
    - asa_seconds: the mean time from arriving to being answered, over answered calls.
    - aht_seconds: the mean of talk time (answered until ended) plus wrap-up time (ended until the
      disposition was saved, at most WRAPUP_SECONDS, and WRAPUP_SECONDS when none was saved), over
      answered calls that have ended.
    - abandonment_rate: abandoned ÷ calls.
    - nps: of the survey scores answered in the range, % scoring 9–10 − % scoring 0–6, rounded to
      the nearest integer (halves away from zero).
    - surveys: the survey scores answered in the range.
    - repeat_call_rate: calls from known customers with an earlier call from the same customer
      within REPEAT_CALL_HOURS ÷ calls from known customers.
    - first_contact_resolution: answered calls with no further call from the same caller (the
      customer, or for an unknown caller the number) within 7 days ÷ answered calls that arrived
      more than 7 days ago.
    - callbacks: calls back placed in the range from the care list (outbound; calls an agent dials
      from the browser phone are not callbacks; none is in the inbound figures above).

    Rates are fractions from 0 to 1, times are seconds; a figure with nothing to count is None.
    """

    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    service_level: float | None = None
    asa_seconds: float | None = None
    aht_seconds: float | None = None
    abandonment_rate: float | None = None
    nps: int | None = None
    surveys: int = 0
    repeat_call_rate: float | None = None
    first_contact_resolution: float | None = None
    callbacks: int = 0

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in FIGURES}


def _rate(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def seconds_figure(value) -> float | None:
    return None if value is None else round(float(value), 1)


def net_promoter(promoters: int, detractors: int, answers: int) -> int | None:
    if not answers:
        return None
    score = Decimal(100 * (promoters - detractors)) / Decimal(answers)
    return int(score.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def count_if(condition):
    """How many rows meet `condition` (an aggregate FILTER: cheaper per row than SUM(CASE ...))."""
    return func.count().filter(condition)


def mean_if(value, condition):
    return func.avg(value).filter(condition)


def handle_time(connected_at, ended_at, wrapped_at, wrapup_seconds: int):
    """Talk time (answered until ended) plus wrap-up time (ended until the disposition was saved,
    at most `wrapup_seconds`, and `wrapup_seconds` when none was saved), in seconds."""
    talk = seconds_between(ended_at, connected_at)
    wrap = seconds_between(wrapped_at, ended_at)
    return (case((talk > 0, talk), else_=0)
            + case((wrapped_at.is_(None), wrapup_seconds), (wrap < 0, 0), (wrap > wrapup_seconds, wrapup_seconds),
                   else_=wrap))


def _bucket(at, span: TimeRange, bucket: str | None):
    """Which hour or day of `span` `at` falls in (0 for all of it). Computed inside a subquery and
    grouped by name outside: PostgreSQL does not take two renderings of one expression with
    parameters as the same GROUP BY key."""
    return (bucket_of(at, span.since, BUCKETS[bucket]) if bucket else literal(0)).label("bucket")


def _inbound_calls(span: TimeRange, bucket: str | None):
    """The range's inbound calls, each with when the same caller called before and after it
    (stored on the call by app/services/calls/neighbours.py)."""
    return (
        select(_bucket(Call.started_at, span, bucket), Call.started_at, Call.connected_at, Call.ended_at, Call.wrapped_at,
               Call.status, Call.recording_url, Call.queue_state, Call.customer_id, Call.from_e164,
               Call.previous_call_at.label("previous_at"), Call.next_call_at.label("next_at"))
        .where(Call.direction == "inbound", Call.started_at >= span.since, Call.started_at < span.until)
        .subquery("c")
    )


def _call_figures(span: TimeRange, definitions: Definitions, now: datetime, bucket: str | None):
    c = _inbound_calls(span, bucket)
    answered = c.c.connected_at.is_not(None)
    wait = seconds_between(c.c.connected_at, c.c.started_at)
    abandoned = and_(c.c.connected_at.is_(None), c.c.status.in_(TERMINAL_STATUSES), c.c.recording_url.is_(None),
                     or_(c.c.queue_state.is_(None), c.c.queue_state != "callback"))
    handle = handle_time(c.c.connected_at, c.c.ended_at, c.c.wrapped_at, definitions.wrapup_seconds)
    known = c.c.customer_id.is_not(None)
    repeat = and_(known, c.c.previous_at.is_not(None),
                  seconds_between(c.c.started_at, c.c.previous_at) <= definitions.repeat_call_hours * 3600)
    settled = and_(answered, c.c.started_at <= now - timedelta(days=FCR_DAYS))
    identifiable = or_(known, c.c.from_e164.is_not(None))  # a withheld unknown caller's calls can't be linked
    resolved = and_(settled, or_(~identifiable, c.c.next_at.is_(None),
                                 seconds_between(c.c.next_at, c.c.started_at) > FCR_DAYS * 86400))
    stmt = (select(c.c.bucket, func.count().label("calls"), count_if(answered).label("answered"),
                   count_if(and_(answered, wait <= definitions.service_level_seconds)).label("in_time"),
                   count_if(abandoned).label("abandoned"),
                   mean_if(wait, answered).label("asa"),
                   mean_if(handle, and_(answered, c.c.ended_at.is_not(None))).label("aht"),
                   count_if(known).label("known"), count_if(repeat).label("repeats"),
                   count_if(settled).label("settled"), count_if(resolved).label("resolved"))
            .group_by(c.c.bucket))
    return {row.bucket: row for row in db.session.execute(stmt)}


def _survey_figures(span: TimeRange, bucket: str | None):
    s = (select(_bucket(Survey.answered_at, span, bucket), Survey.score)
         .where(Survey.answered_at >= span.since, Survey.answered_at < span.until, Survey.score.is_not(None))
         .subquery("s"))
    stmt = (select(s.c.bucket, func.count().label("answers"),
                   count_if(s.c.score >= 9).label("promoters"), count_if(s.c.score <= 6).label("detractors"))
            .group_by(s.c.bucket))
    return {row.bucket: row for row in db.session.execute(stmt)}


def _callback_counts(span: TimeRange, bucket: str | None):
    o = (select(_bucket(Call.started_at, span, bucket))
         .where(Call.direction == "outbound", Call.routing_reason == CALLBACK, Call.started_at >= span.since,
                Call.started_at < span.until)
         .subquery("o"))
    stmt = select(o.c.bucket, func.count().label("callbacks")).group_by(o.c.bucket)
    return {row.bucket: row.callbacks for row in db.session.execute(stmt)}


def _figures(calls, surveys, callbacks: int) -> Figures:
    answered = int(calls.answered) if calls else 0
    abandoned = int(calls.abandoned) if calls else 0
    count = int(calls.calls) if calls else 0
    return Figures(
        calls=count, answered=answered, abandoned=abandoned,
        service_level=_rate(int(calls.in_time), answered + abandoned) if calls else None,
        asa_seconds=seconds_figure(calls.asa) if calls else None,
        aht_seconds=seconds_figure(calls.aht) if calls else None,
        abandonment_rate=_rate(abandoned, count),
        nps=net_promoter(int(surveys.promoters), int(surveys.detractors), int(surveys.answers)) if surveys else None,
        surveys=int(surveys.answers) if surveys else 0,
        repeat_call_rate=_rate(int(calls.repeats), int(calls.known)) if calls else None,
        first_contact_resolution=_rate(int(calls.resolved), int(calls.settled)) if calls else None,
        callbacks=callbacks,
    )


def figures(span: TimeRange, definitions: Definitions, now: datetime) -> Figures:
    """The figures of the whole range, as of `now` (which decides what is 7 days old)."""
    calls = _call_figures(span, definitions, now, None).get(0)
    surveys = _survey_figures(span, None).get(0)
    return _figures(calls, surveys, _callback_counts(span, None).get(0, 0))


def series(span: TimeRange, bucket: str, definitions: Definitions, now: datetime) -> list[tuple[datetime, Figures]]:
    """The figures of every hour or day of `span` (widened to whole buckets), in order, each
    bucket present even when nothing happened in it."""
    span = span.aligned(bucket)
    calls = _call_figures(span, definitions, now, bucket)
    surveys = _survey_figures(span, bucket)
    callbacks = _callback_counts(span, bucket)
    return [(start, _figures(calls.get(i), surveys.get(i), callbacks.get(i, 0)))
            for i, start in enumerate(span.starts(bucket))]
