"""The service loop's records (SPEC §10): follow-ups someone owes a customer."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:
    from app.models.call import Call
    from app.models.customer import Customer
    from app.models.user import User

FOLLOW_UP_REASONS = ("detractor", "voicemail", "callback_requested", "complaint_reopened", "manual")
FOLLOW_UP_STATUSES = ("open", "done")


class FollowUp(db.Model):
    """Someone must get back to a customer (or to a caller not yet known: a voicemail)."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="open")
    outcome: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]

    customer: Mapped["Customer | None"] = relationship()
    call: Mapped["Call | None"] = relationship()
    owner: Mapped["User | None"] = relationship()

    def is_overdue(self, now: datetime) -> bool:
        return self.status == "open" and self.due_at < now
