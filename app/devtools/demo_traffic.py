"""A month of made-up traffic for `flask seed-demo`, so the supervisor's dashboard (SPEC §12) has
figures, charts and scorecards on the first run: calls from the generated demo customers (never
the story customers, whose histories the README walks through) and from unknown numbers, answered
by three demo colleagues (and the demo agent, once `ensure-demo-agent` adopts the rest), with
surveys, follow-ups and promises. Reproducible: a seeded `random.Random`, like the customers.
"""
from __future__ import annotations

import random
import secrets
from datetime import datetime, time, timedelta

from sqlalchemy import delete, insert, select, update

from app.extensions import db
from app.models import Call, Customer, FollowUp, Promise, Survey, User

TRAFFIC_CALL_PREFIX = "CAtraffic"  # not "CAdemo": the story customers' past calls keep their own prefix
DAYS = 30
COLLEAGUES = (("demo-ann", "Ann Lee"), ("demo-ben", "Ben Okafor"), ("demo-carla", "Carla Diaz"))
# Calls per hour of a weekday (UTC), the lunch dip and the after-work peak; weekends a third of it.
HOURLY = {8: 3, 9: 5, 10: 7, 11: 6, 12: 4, 13: 5, 14: 7, 15: 6, 16: 5, 17: 4, 18: 3, 19: 2}
SCORES = list(range(11))
SCORE_WEIGHTS = [2, 1, 1, 2, 2, 3, 4, 6, 10, 22, 28]


def colleagues() -> list[int]:
    """The demo's other agents (made once, with passwords nobody knows: they never log in)."""
    ids = []
    for username, name in COLLEAGUES:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=name, role="agent", reach_kind="client")
            user.set_password(secrets.token_urlsafe(24))
            db.session.add(user)
            db.session.flush()
        ids.append(user.id)
    return ids


def remove() -> None:
    traffic = select(Call.id).where(Call.call_sid.like(f"{TRAFFIC_CALL_PREFIX}%"))
    db.session.execute(delete(Survey).where(Survey.call_id.in_(traffic)))
    db.session.execute(delete(FollowUp).where(FollowUp.call_id.in_(traffic)))
    db.session.execute(delete(Call).where(Call.call_sid.like(f"{TRAFFIC_CALL_PREFIX}%")))


def _wait(rnd: random.Random, busy: bool) -> float:
    return min(rnd.expovariate(1 / (24 if busy else 9)), 170)


def seed_traffic(callers: list[tuple[int, str]], quiet: list[int], now: datetime, seed: int) -> dict[str, int]:
    """Calls over the last DAYS days and today until `now`, from `callers` ((customer id, number),
    the generated customers, 15% of the calls) and unknown numbers. `quiet`: valued customers who never call, with us
    for months (the care list's "not contacted"). Returns how many calls and surveys were made."""
    rnd = random.Random(seed)
    agents = [*colleagues(), None]  # None: the demo agent's share, adopted by ensure-demo-agent
    if quiet:
        db.session.execute(update(Customer).where(Customer.id.in_(quiet))
                           .values(created_at=now - timedelta(days=200)))
    today = datetime.combine(now.date(), time())
    rows, outcomes = [], []
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        weekend = day.weekday() >= 5
        for hour, per_hour in HOURLY.items():
            for _ in range(max(1, per_hour // 3) if weekend else per_hour + rnd.randint(-1, 2)):
                arrived = day + timedelta(hours=hour, seconds=rnd.uniform(0, 3600))
                if arrived >= now - timedelta(minutes=15):
                    continue
                customer_id, number = (rnd.choice(callers) if callers and rnd.random() < 0.15
                                       else (None, f"+1212555{rnd.randint(2000, 2999)}"))
                outcome = rnd.choices(["answered", "abandoned", "voicemail", "callback"], [88, 7, 3, 2])[0]
                row = {"call_sid": f"{TRAFFIC_CALL_PREFIX}{len(rows):06d}", "direction": "inbound",
                       "from_raw": number, "from_e164": number, "to_raw": "+18005550199", "to_e164": "+18005550199",
                       "match_kind": "single" if customer_id else "none", "customer_id": customer_id,
                       "status": "completed", "status_sequence": 3, "started_at": arrived, "answered_at": arrived,
                       "news_at": arrived, "queue_attempts": 0, "lookup_failed": False, "unsettled": False}
                if outcome == "answered":
                    connected = arrived + timedelta(seconds=_wait(rnd, per_hour >= 6))
                    ended = connected + timedelta(seconds=rnd.uniform(60, 600))
                    wrapped = ended + timedelta(seconds=rnd.uniform(10, 75)) if rnd.random() < 0.8 else None
                    row.update(connected_at=connected, ended_at=ended, wrapped_at=wrapped,
                               agent_id=rnd.choice(agents), claimed_at=connected,
                               duration=int((ended - arrived).total_seconds()),
                               disposition=rnd.choice(["resolved", "information given", "follow-up needed"])
                               if wrapped else None)
                else:
                    ended = arrived + timedelta(seconds=rnd.uniform(15, 200))
                    row.update(ended_at=ended, duration=int((ended - arrived).total_seconds()),
                               recording_url="https://api.twilio.com/demo/recording.mp3" if outcome == "voicemail" else None,
                               queue_state="callback" if outcome == "callback" else None)
                rows.append(row)
                outcomes.append(outcome)
    if not rows:
        return {"traffic_calls": 0, "traffic_surveys": 0}
    ids = db.session.scalars(insert(Call).returning(Call.id, sort_by_parameter_order=True), rows).all()
    surveys, follow_ups = [], []
    for call_id, row, outcome in zip(ids, rows, outcomes):
        recent = row["started_at"] >= now - timedelta(days=2)
        reason = {"voicemail": "voicemail", "callback": "callback_requested"}.get(outcome)
        if outcome == "answered" and rnd.random() < 0.35:
            score = rnd.choices(SCORES, SCORE_WEIGHTS)[0]
            answered = row["ended_at"] + timedelta(minutes=rnd.uniform(1, 20))
            if answered >= now:
                continue
            surveys.append({"call_id": call_id, "customer_id": row["customer_id"], "agent_id": row["agent_id"],
                            "channel": "ivr", "language": "en", "to_e164": row["from_e164"], "status": "answered",
                            "score": score, "created_at": row["ended_at"], "sent_at": row["ended_at"],
                            "answered_at": answered})
            reason = "detractor" if score <= 6 else None
        if reason is None or (row["customer_id"] is None and reason == "detractor"):
            continue
        opened = row["ended_at"]
        due = opened + timedelta(hours=24)
        done = None if recent else opened + timedelta(hours=rnd.uniform(1, 40))
        follow_ups.append({"customer_id": row["customer_id"], "call_id": call_id, "reason": reason,
                           "owner_id": row.get("agent_id") if reason == "detractor" else None, "due_at": due,
                           "status": "open" if done is None else "done", "created_at": opened, "done_at": done,
                           "done_by_id": (row.get("agent_id") or rnd.choice(agents)) if done else None,
                           "outcome": "Called back" if done else None,
                           "note": {"callback_requested": "Asked to be called back while waiting in line",
                                    "detractor": f"Scored us {surveys[-1]['score']}/10" if surveys else None}.get(reason)})
    for model, batch in ((Survey, surveys), (FollowUp, follow_ups)):
        if batch:
            db.session.execute(insert(model), batch)
    _promises(rnd, agents, [c for c, _ in callers], now)
    return {"traffic_calls": len(rows), "traffic_surveys": len(surveys)}


def _promises(rnd: random.Random, agents: list[int | None], customer_ids: list[int], now: datetime) -> None:
    """Promises the colleagues made this month, most kept, some broken."""
    rows = []
    for _ in range(min(24, len(customer_ids) * 2)):
        made = now - timedelta(days=rnd.uniform(2, DAYS))
        due = made + timedelta(days=rnd.uniform(0.5, 2))
        status = rnd.choices(["kept", "broken"], [5, 1])[0]
        agent = rnd.choice(agents[:-1]) if len(agents) > 1 else None
        rows.append({"customer_id": rnd.choice(customer_ids), "text": rnd.choice(
            ["Refund the delivery fee", "Send a replacement", "Call back with the courier's answer",
             "Email the invoice"]), "due_at": due, "status": status, "made_by_id": agent, "made_at": made,
            "closed_by_id": agent, "closed_at": due - timedelta(hours=rnd.uniform(-6, 12))})
    if rows:
        db.session.execute(insert(Promise), rows)
