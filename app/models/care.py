"""The service loop's records (SPEC §10): surveys asked after a call, follow-ups someone owes a
customer, and promises an agent made them."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:
    from app.models.call import Call
    from app.models.customer import Customer
    from app.models.user import User

FOLLOW_UP_REASONS = ("detractor", "voicemail", "callback_requested", "complaint_reopened", "manual")
FOLLOW_UP_STATUSES = ("open", "done")
SURVEY_CHANNELS = ("ivr", "sms")
# pending: an SMS waiting to be handed to the provider (sending: a process has taken it to hand it
# over, shown as pending); failed: the provider refused it or could not be reached in time;
# expired: asked, never answered (SPEC §10's three, plus what SMS needs).
SURVEY_STATUSES = ("pending", "sending", "sent", "answered", "expired", "failed")
PROMISE_STATUSES = ("open", "kept", "broken")
DETRACTOR_SCORES = range(0, 7)  # 0-6: NPS's detractors
PROMOTER_SCORES = range(9, 11)  # 9-10


class FollowUp(db.Model):
    """Someone must get back to a customer (or to a caller not yet known: a voicemail)."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="open")
    outcome: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    customer: Mapped["Customer | None"] = relationship(back_populates="follow_ups")
    call: Mapped["Call | None"] = relationship()
    owner: Mapped["User | None"] = relationship(foreign_keys=[owner_id])
    done_by: Mapped["User | None"] = relationship(foreign_keys=[done_by_id])

    def is_overdue(self, now: datetime) -> bool:
        return self.status == "open" and self.due_at < now


class Survey(db.Model):
    """The question asked after one call (on the line, or by SMS), and what the caller answered."""

    __tablename__ = "surveys"
    __table_args__ = (
        # The newest open SMS survey of a number answers its reply.
        Index("ix_surveys_to_sent", "to_e164", "sent_at"),
        # A customer's latest answer (the pop's last_survey and stage), and SURVEY_MIN_DAYS.
        Index("ix_surveys_customer_sent", "customer_id", "sent_at"),
        Index("ix_surveys_status", "status"),
        # NPS over a range: the surveys answered in it.
        Index("ix_surveys_answered_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(10), default="en")
    to_e164: Mapped[str | None] = mapped_column(String(20))  # the number asked by SMS
    status: Mapped[str] = mapped_column(String(10), default="sent")
    score: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]  # asked: the question played, or the SMS accepted by the provider
    answered_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]  # when a process took the SMS to send (status sending)
    message_sid: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(500))  # why an SMS survey failed

    call: Mapped["Call"] = relationship(back_populates="survey")
    customer: Mapped["Customer | None"] = relationship()
    agent: Mapped["User | None"] = relationship()

    @property
    def call_sid(self) -> str | None:
        return self.call.call_sid if self.call is not None else None

    def shown_status(self, now: datetime, reply_hours: int) -> str:
        """`expired` once an unanswered survey is past its reply window; its stored status otherwise."""
        if self.status == "sent" and self.sent_at is not None and (now - self.sent_at).total_seconds() > reply_hours * 3600:
            return "expired"
        return self.status


class Promise(db.Model):
    """A commitment an agent made a customer ("refund by Friday"), open until kept or broken."""

    __tablename__ = "promises"
    __table_args__ = (Index("ix_promises_customer_status", "customer_id", "status"),
                      Index("ix_promises_status_due", "status", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="open")
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    made_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]

    customer: Mapped["Customer"] = relationship(back_populates="promises")
    call: Mapped["Call | None"] = relationship()
    made_by: Mapped["User | None"] = relationship(foreign_keys=[made_by_id])
    closed_by: Mapped["User | None"] = relationship(foreign_keys=[closed_by_id])

    @property
    def call_sid(self) -> str | None:
        return self.call.call_sid if self.call is not None else None

    def is_overdue(self, now: datetime) -> bool:
        return self.status == "open" and self.due_at < now


class SurveyOptOut(db.Model):
    """A number that texted STOP: never surveyed again, whoever holds it (SPEC §10), until it texts
    START. Kept by number, so a caller no customer record holds is not texted again either."""

    __tablename__ = "survey_opt_outs"

    e164: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)
