"""The supervisors' headline numbers on `/dashboard`, counted in SQL."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Complaint


def complaint_counts(now: datetime) -> dict[str, int]:
    """Open complaints are those not resolved; overdue ones are open and past their due time at `now`."""
    unresolved = Complaint.status != "resolved"
    open_count = db.session.scalar(select(func.count()).select_from(Complaint).where(unresolved)) or 0
    overdue = db.session.scalar(
        select(func.count()).select_from(Complaint).where(unresolved, Complaint.due_at < now)
    ) or 0
    return {"open": open_count, "overdue": overdue}
