"""People who use KnownCaller (agents, supervisors, admins) and their API tokens."""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import utcnow

ROLES = ("agent", "supervisor", "admin")
# How the telephony provider reaches a user's phone when a call is routed to them.
REACH_KINDS = ("client", "phone", "sip")
# What a user says of themselves (SPEC §11); on a call, wrap-up and offline are derived, not chosen.
CHOSEN_STATUSES = ("available", "away")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    reach_kind: Mapped[str] = mapped_column(String(10), default="client")
    reach_address: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Available or away, as they last chose; None: never chose (agents start available, the rest away).
    status: Mapped[str | None] = mapped_column(String(10))
    status_at: Mapped[datetime | None]
    # Their pops show every call, not only those offered to them (a setting for small teams).
    watch_all: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def chosen_status(self) -> str:
        """Available or away: as they chose, else an agent is available and anyone else away."""
        if self.status in CHOSEN_STATUSES:
            return self.status
        return "available" if self.role == "agent" else "away"

    @property
    def reach_target(self) -> str:
        """Where the provider dials this user; a Twilio Client identity defaults to the username."""
        return self.reach_address or self.username


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak does not leak tokens."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class AgentPresence(db.Model):
    """One row per connected desktop socket; shared by every server process, unlike memory."""

    __tablename__ = "agent_presence"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The login this socket stands on: a browser session (LoginSession.id) or an API token
    # (ApiToken.token_hash). When it ends, the socket is closed (people/presence.expired_sockets).
    login_id: Mapped[str | None] = mapped_column(String(64), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64))
