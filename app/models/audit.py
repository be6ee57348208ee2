"""Security records: who saw which customer, who is logged in where, and failed logins."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.user import User

AUDIT_ACTIONS = ("pop_delivered", "customer_viewed", "customer_read", "customer_changed", "customer_deleted",
                 "customers_exported", "customers_imported", "user_changed", "call_changed")


class AuditEvent(db.Model):
    """One access to customer data. No foreign key on the customer: the record outlives it."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int | None] = mapped_column(index=True)
    call_sid: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User | None] = relationship()


class LoginSession(db.Model):
    """A browser login, kept server-side so logout, idle timeout and deactivation take effect at once."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's secret
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship()

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


class LoginAttempt(db.Model):
    """A failed login, counted per username and per address across every server process."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)  # "user:<name>" or "ip:<address>"
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
