"""Where a customer stands on the ladder (new, customer, loyal, advocate, or at risk), and the
flags an agent must read before saying hello (SPEC §10).

Read on every pop, so it costs one statement however long the history: `histories` asks the
database for each customer's counts and latest events in a single query (correlated aggregates
over indexed columns), and `stage_of` / `flags_of` are pure rules over what it returns and what
the pop already loaded (open promises, follow-ups and complaints).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import DETRACTOR_SCORES, PROMOTER_SCORES, Call, Customer, FollowUp, Promise, Survey
from app.settings import CareSettings

AT_RISK_DAYS = 90  # a detractor's score counts this long
ADVOCATE_DAYS = 365  # a promoter's score, this long
STAGES = ("at_risk", "advocate", "loyal", "new", "customer")
FLAG_KINDS = ("overdue_promise", "awaiting_recovery", "overdue_follow_up", "overdue_complaint", "repeat_caller",
              "first_call")
# How a desktop shows each flag: alert (red: something we owe is late), warn, info.
FLAG_LEVELS = {"overdue_promise": "alert", "awaiting_recovery": "alert", "overdue_follow_up": "alert",
               "overdue_complaint": "alert", "repeat_caller": "warn", "first_call": "info"}
REASON_WORDS = {"detractor": "a low score", "voicemail": "a voicemail", "callback_requested": "a callback request",
                "complaint_reopened": "a reopened complaint", "manual": "a note"}


@dataclass(frozen=True)
class History:
    """What a customer's past says, as of one moment (a call's arrival, or now)."""

    answered_calls: int = 0  # calls an agent took
    first_answered_at: datetime | None = None
    last_answered_at: datetime | None = None
    earlier_calls: int = 0  # calls before this one (the one popping is not counted)
    recent_calls: int = 0  # of those, within REPEAT_CALL_HOURS
    last_score: int | None = None
    last_scored_at: datetime | None = None
    last_recovery_at: datetime | None = None  # a follow-up last closed as done
    open_promises: int = 0  # how many to load for the card (none, most often: no statement then)
    open_follow_ups: int = 0
    # Routing's "agent who knows them" (SPEC §11): who took their latest answered call, and when,
    # and who owes them the open follow-up due first.
    last_agent_id: int | None = None
    last_agent_at: datetime | None = None
    follow_up_owner_id: int | None = None


def history_columns() -> list:
    """A customer's history as correlated columns of any SELECT of customers, with the moment
    (`at`), the call left out (`call_id`, -1 for none) and the repeat window's start
    (`repeat_since`) as parameters (`history_params`); read back with `History(*values)`."""
    calls = aliased(Call)
    mine = calls.customer_id == Customer.id
    earlier = and_(mine, calls.started_at <= bindparam("at"), calls.id != bindparam("call_id"))
    # Answered calls are earlier ones too: the call popping is left out even once an agent took it.
    answered = and_(earlier, calls.connected_at.is_not(None))

    def scalar(stmt):
        return stmt.correlate(Customer).scalar_subquery()

    last_taken = (select(calls).where(answered, calls.agent_id.is_not(None))
                  .order_by(calls.connected_at.desc(), calls.id.desc()).limit(1))
    latest_survey = (select(Survey).where(Survey.customer_id == Customer.id, Survey.status == "answered")
                     .order_by(Survey.answered_at.desc(), Survey.id.desc()).limit(1))
    return [
        scalar(select(func.count(calls.id)).where(answered)),
        scalar(select(func.min(calls.connected_at)).where(answered)),
        scalar(select(func.max(calls.connected_at)).where(answered)),
        scalar(select(func.count(calls.id)).where(earlier)),
        # Repeat calls are the customer calling us again: our callbacks to them are not.
        scalar(select(func.count(calls.id)).where(earlier, calls.direction == "inbound",
                                                  calls.started_at >= bindparam("repeat_since"))),
        scalar(latest_survey.with_only_columns(Survey.score)),
        scalar(latest_survey.with_only_columns(Survey.answered_at)),
        scalar(select(func.max(FollowUp.done_at)).where(FollowUp.customer_id == Customer.id,
                                                         FollowUp.status == "done")),
        scalar(select(func.count(Promise.id)).where(Promise.customer_id == Customer.id, Promise.status == "open")),
        scalar(select(func.count(FollowUp.id)).where(FollowUp.customer_id == Customer.id,
                                                      FollowUp.status == "open")),
        scalar(last_taken.with_only_columns(calls.agent_id)),
        scalar(last_taken.with_only_columns(calls.connected_at)),
        scalar(select(FollowUp.owner_id).where(FollowUp.customer_id == Customer.id, FollowUp.status == "open",
                                               FollowUp.owner_id.is_not(None))
               .order_by(FollowUp.due_at, FollowUp.id).limit(1)),
    ]


def history_params(config: CareSettings, *, at: datetime, call_id: int | None) -> dict:
    return {"at": at, "call_id": -1 if call_id is None else call_id,
            "repeat_since": at - timedelta(hours=config.repeat_call_hours)}


# Built once, with the customers (`ids`) a parameter too: building it cost more than running it.
_HISTORY = select(Customer.id, *history_columns()).where(Customer.id.in_(bindparam("ids", expanding=True)))


def histories(customer_ids: Iterable[int], config: CareSettings, *, at: datetime,
              call_id: int | None = None) -> dict[int, History]:
    """Each customer's History as of `at`, leaving out the call `call_id` (the one popping); one
    statement for all of them."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    rows = db.session.execute(_HISTORY, {"ids": ids, **history_params(config, at=at, call_id=call_id)})
    found = {row[0]: History(*row[1:]) for row in rows}
    if call_id is None:
        # No call in view (the customer's own page): their latest call is "this one", so a single
        # call within REPEAT_CALL_HOURS is no repeat, and three are the "3rd call", as their pop said.
        found = {i: replace(h, recent_calls=max(h.recent_calls - 1, 0)) for i, h in found.items()}
    return found


def _awaiting_recovery(history: History, now: datetime) -> bool:
    """A detractor's score within AT_RISK_DAYS, and no follow-up done since."""
    return (history.last_score in DETRACTOR_SCORES and history.last_scored_at is not None
            and history.last_scored_at >= now - timedelta(days=AT_RISK_DAYS)
            and (history.last_recovery_at is None or history.last_recovery_at < history.last_scored_at))


def stage_of(customer: Customer, history: History, config: CareSettings, now: datetime) -> str:
    """The first rule that holds: at_risk, advocate, loyal, new, else customer (SPEC §10)."""
    if _awaiting_recovery(history, now) or any(c.is_overdue(now) for c in customer.open_complaints):
        return "at_risk"
    if (history.last_score in PROMOTER_SCORES and history.last_scored_at is not None
            and history.last_scored_at >= now - timedelta(days=ADVOCATE_DAYS)):
        return "advocate"
    if (history.answered_calls >= config.loyal_min_calls and history.first_answered_at is not None
            and history.last_answered_at - history.first_answered_at >= timedelta(days=config.loyal_min_days)):
        return "loyal"
    if history.earlier_calls == 0:
        return "new"
    return "customer"


def day(at: datetime, now: datetime) -> str:
    """"3 Dec" (this year), "3 Dec 2025" (another)."""
    return f"{at.day} {at:%b}" + ("" if at.year == now.year else f" {at.year}")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _flag(kind: str, text: str) -> dict:
    return {"kind": kind, "text": text, "level": FLAG_LEVELS[kind]}


def flags_of(customer: Customer, history: History, *, open_promises: list, open_follow_ups: list,
             config: CareSettings, now: datetime) -> list[dict]:
    """One short line per thing to know, most urgent first: what we owe and is late (promises,
    a detractor nobody called back, follow-ups, complaints), then a repeat call, then a first one."""
    flags = [_flag("overdue_promise", f"Promised “{p.text}” by {day(p.due_at, now)} — overdue")
             for p in sorted(open_promises, key=lambda p: p.due_at) if p.is_overdue(now)]
    if _awaiting_recovery(history, now):
        flags.append(_flag("awaiting_recovery", f"Scored us {history.last_score}/10 on "
                                                f"{day(history.last_scored_at, now)} — nobody has called back"))
    flags += [_flag("overdue_follow_up", f"Owed a call back for {REASON_WORDS.get(f.reason, f.reason)} since "
                                         f"{day(f.due_at, now)} — overdue")
              for f in sorted(open_follow_ups, key=lambda f: f.due_at) if f.is_overdue(now)]
    flags += [_flag("overdue_complaint", f"Complaint “{c.subject}” overdue since {day(c.due_at, now)}")
              for c in sorted(customer.open_complaints, key=lambda c: c.due_at or now) if c.is_overdue(now)]
    if history.recent_calls:
        flags.append(_flag("repeat_caller", f"{ordinal(history.recent_calls + 1)} call in {config.repeat_call_hours} h"))
    if history.earlier_calls == 0:
        flags.append(_flag("first_call", "First call"))
    return flags
