"""Customers and what we know about them: numbers, preferences, complaints."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:
    from app.models.call import Call
    from app.models.user import User

TIERS = ("standard", "silver", "gold", "vip")
SEVERITIES = ("low", "medium", "high", "critical")
COMPLAINT_STATUSES = ("open", "in-progress", "resolved")


class Customer(db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    tier: Mapped[str] = mapped_column(String(20), default="standard")
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped by every UPDATE of the row, which SQLAlchemy makes conditional on the version it read
    # (version_id_col): of two saves made from the same version, the second changes nothing.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    phones: Mapped[list["PhoneNumber"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="PhoneNumber.id"
    )
    preferences: Mapped[list["Preference"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Preference.id"
    )
    complaints: Mapped[list["Complaint"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Complaint.opened_at"
    )

    @property
    def open_complaints(self) -> list["Complaint"]:
        return [c for c in self.complaints if c.status != "resolved"]


class PhoneNumber(db.Model):
    """A number in E.164; indexed but not unique, since households and switchboards share."""

    __tablename__ = "phone_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20), index=True)
    label: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="phones")


class Preference(db.Model):
    __tablename__ = "preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="preferences")


class Complaint(db.Model):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10), default="medium")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who is working on it (supervisors reassign), and the call it was raised on, if any.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="complaints")
    assigned_to: Mapped["User | None"] = relationship(foreign_keys=[assigned_to_id])
    call: Mapped["Call | None"] = relationship(foreign_keys=[call_id])

    def is_overdue(self, now: datetime) -> bool:
        """Open and past its due time at `now`."""
        return self.status != "resolved" and self.due_at is not None and self.due_at < now

    @property
    def overdue(self) -> bool:
        return self.is_overdue(utcnow())
