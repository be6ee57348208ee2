"""The supervisors' headline numbers on `/dashboard`, counted in SQL."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Complaint, FollowUp, Promise, isoformat
from app.schemas.people import person

# The overdue list on the dashboard shows this many, the most overdue first; the counts are whole.
OVERDUE_LISTED = 50


def complaint_counts(now: datetime) -> dict[str, int]:
    """Open complaints are those not resolved; overdue ones are open and past their due time at `now`."""
    unresolved = Complaint.status != "resolved"
    open_count = db.session.scalar(select(func.count()).select_from(Complaint).where(unresolved)) or 0
    overdue = db.session.scalar(
        select(func.count()).select_from(Complaint).where(unresolved, Complaint.due_at < now)
    ) or 0
    return {"open": open_count, "overdue": overdue}


def overdue_owed(now: datetime) -> dict:
    """What we owe customers and is late (SPEC §10): open follow-ups and promises past their due
    time at `now`, counted, and the most overdue listed with who owes them."""
    late_follow_ups = (FollowUp.status == "open", FollowUp.due_at < now)
    late_promises = (Promise.status == "open", Promise.due_at < now)
    follow_ups = db.session.scalars(
        select(FollowUp).where(*late_follow_ups).options(joinedload(FollowUp.customer), joinedload(FollowUp.owner))
        .order_by(FollowUp.due_at, FollowUp.id).limit(OVERDUE_LISTED))
    promises = db.session.scalars(
        select(Promise).where(*late_promises).options(joinedload(Promise.customer), joinedload(Promise.made_by))
        .order_by(Promise.due_at, Promise.id).limit(OVERDUE_LISTED))
    items = [{"kind": "follow_up", "id": f.id, "reason": f.reason, "text": f.note or f.reason,
              "customer": {"id": f.customer.id, "name": f.customer.name} if f.customer else None,
              "owner": person(f.owner), "due_at": isoformat(f.due_at)} for f in follow_ups]
    items += [{"kind": "promise", "id": p.id, "text": p.text, "customer": {"id": p.customer.id, "name": p.customer.name},
               "owner": person(p.made_by), "due_at": isoformat(p.due_at)} for p in promises]
    items.sort(key=lambda item: item["due_at"])
    return {
        "follow_ups_overdue": db.session.scalar(select(func.count()).select_from(FollowUp).where(*late_follow_ups)) or 0,
        "promises_overdue": db.session.scalar(select(func.count()).select_from(Promise).where(*late_promises)) or 0,
        "overdue_items": items[:OVERDUE_LISTED],
    }
