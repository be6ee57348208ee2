"""A small, fixed day of calls whose figures are worked out by hand in the tests (SPEC §12).

The day D is 10 March 2025 (UTC): far enough back that every answered call is older than the 7
days first-contact resolution waits. SERVICE_LEVEL_SECONDS 20, WRAPUP_SECONDS 60,
REPEAT_CALL_HOURS 24 (the defaults).

| call | caller | arrived  | answered after | talk  | wrap-up          | how it ended            | agent |
|------|--------|----------|----------------|-------|------------------|-------------------------|-------|
| c0   | Bo     | D-1 10:00| 5 s            | 60 s  | 10 s             | answered (before range) | ann   |
| c1   | Ann W. | D 09:00  | 10 s           | 300 s | 30 s             | answered                | ann   |
| c3   | Bo     | D 09:30  | 45 s           | 120 s | 180 s → cap 60 s | answered                | ann   |
| c4   | Bo     | D 10:00  | —              | —     | —                | hung up: abandoned      |       |
| c5   | unknown| D 11:00  | —              | —     | —                | left a voicemail        |       |
| c6   | Cy     | D 12:00  | —              | —     | —                | asked for a callback    |       |
| c2   | Ann W. | D 15:00  | 20 s (the edge)| 600 s | none → 60 s      | answered                | ben   |
| co1  | Bo     | D 16:00  | outbound callback                                    |       | ann   |
| co2  | Bo     | D 17:00  | outbound, dialled from ann's browser phone (no callback) |   | ann   |
| c7   | Cy     | D 23:59:59 | still ringing                                        |       |       |
| c8   | Ann W. | D+8 09:00| 5 s            | 60 s  | 0 s              | answered (after range)  | ben   |

Surveys answered: c0 scored 0 (D-1), c1 10 (D 09:06), c3 3 (D 09:33), c2 9 (D 15:11).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.extensions import db
from app.models import Complaint, User
from tests.factories import make_call, make_customer, make_follow_up, make_promise, make_survey, make_user

D = datetime(2025, 3, 10)


@dataclass
class Day:
    ann: User
    ben: User
    calls: dict


def _answered(sid, customer, agent, arrived, wait, talk, wrap=None, **fields):
    connected = arrived + timedelta(seconds=wait)
    ended = connected + timedelta(seconds=talk)
    return make_call(sid, customer, agent, status="completed", started_at=arrived, answered_at=arrived,
                     connected_at=connected, ended_at=ended, duration=wait + talk,
                     wrapped_at=ended + timedelta(seconds=wrap) if wrap is not None else None,
                     disposition="resolved" if wrap is not None else None, **fields)


def _unanswered(sid, customer, arrived, **fields):
    return make_call(sid, customer, status=fields.pop("status", "completed"), started_at=arrived,
                     answered_at=arrived, ended_at=arrived + timedelta(seconds=60), **fields)


def seed_day() -> Day:
    """The calls of the table above, with their surveys, and what ann and ben kept or closed on D."""
    ann = make_user("ann", display_name="Ann Lee")
    ben = make_user("ben", display_name="Ben Okafor")
    wong = make_customer("Ann Wong", phones=("+14155550101",), now=D - timedelta(days=400))
    bo = make_customer("Bo Chen", phones=("+14155550102",), now=D - timedelta(days=400))
    cy = make_customer("Cy Diaz", phones=("+14155550103",), now=D - timedelta(days=400))
    calls = {
        "c0": _answered("CA-c0", bo, ann, D - timedelta(hours=14), 5, 60, 10, from_e164="+14155550102"),
        "c1": _answered("CA-c1", wong, ann, D + timedelta(hours=9), 10, 300, 30, from_e164="+14155550101"),
        "c3": _answered("CA-c3", bo, ann, D + timedelta(hours=9, minutes=30), 45, 120, 180,
                        from_e164="+14155550102"),
        "c4": _unanswered("CA-c4", bo, D + timedelta(hours=10), from_e164="+14155550102"),
        "c5": _unanswered("CA-c5", None, D + timedelta(hours=11), from_e164="+14155550999",
                          recording_url="https://api.twilio.com/recordings/RE1"),
        "c6": _unanswered("CA-c6", cy, D + timedelta(hours=12), from_e164="+14155550103", queue_state="callback"),
        "c2": _answered("CA-c2", wong, ben, D + timedelta(hours=15), 20, 600, from_e164="+14155550101"),
        "co1": make_call("CA-co1", bo, ann, status="completed", direction="outbound", routing_reason="callback",
                         started_at=D + timedelta(hours=16), from_e164="+14155550102"),
        "co2": make_call("CA-co2", bo, ann, status="completed", direction="outbound", routing_reason="browser",
                         started_at=D + timedelta(hours=17), from_e164="+14155550102"),
        "c7": make_call("CA-c7", cy, status="ringing", started_at=D + timedelta(hours=23, minutes=59, seconds=59),
                        from_e164="+14155550103"),
        "c8": _answered("CA-c8", wong, ben, D + timedelta(days=8, hours=9), 5, 60, 0, from_e164="+14155550101"),
    }
    make_survey(calls["c0"], score=0, answered_at=D - timedelta(hours=13))
    make_survey(calls["c1"], score=10, answered_at=D + timedelta(hours=9, minutes=6))
    make_survey(calls["c3"], score=3, answered_at=D + timedelta(hours=9, minutes=33))
    make_survey(calls["c2"], score=9, answered_at=D + timedelta(hours=15, minutes=11))
    make_survey(calls["c4"])  # asked, never answered: not counted

    # ann: one promise kept and one broken on D (one kept the day before does not count);
    # follow-ups closed on D: one on time, one late; ben: one on time.
    at = D + timedelta(hours=12)
    make_promise(bo, "Refund the fee", due_at=at, made_by=ann, status="kept", closed_at=at)
    make_promise(bo, "Call back at 5", due_at=at, made_by=ann, status="broken", closed_at=at + timedelta(hours=1))
    make_promise(wong, "Old one", due_at=D, made_by=ann, status="kept", closed_at=D - timedelta(hours=2))
    make_follow_up(bo, due_at=D + timedelta(hours=18), owner=ann, status="done", done_at=D + timedelta(hours=17),
                   done_by_id=ann.id)
    make_follow_up(bo, due_at=D + timedelta(hours=8), owner=ann, status="done", done_at=D + timedelta(hours=10),
                   done_by_id=ann.id)
    make_follow_up(cy, due_at=D + timedelta(days=1), owner=ben, status="done", done_at=at, done_by_id=ben.id)
    # ben's complaints resolved on D: one by its due time, one late; ann's had no due time.
    for subject, due, resolved, who in (("Late parcel", D + timedelta(hours=20), D + timedelta(hours=19), ben),
                                        ("Broken lid", D + timedelta(hours=6), D + timedelta(hours=7), ben),
                                        ("Wrong colour", None, D + timedelta(hours=10), ann)):
        db.session.add(Complaint(customer_id=bo.id, subject=subject, status="resolved", opened_at=D - timedelta(days=2),
                                 due_at=due, resolved_at=resolved, assigned_to_id=who.id))
    db.session.commit()
    return Day(ann, ben, calls)
