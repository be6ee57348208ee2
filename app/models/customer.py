"""Customers and what we know about them: numbers, preferences, complaints."""
from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DDL, ForeignKey, Index, String, Text, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.base import utcnow

if TYPE_CHECKING:
    from app.models.call import Call
    from app.models.care import FollowUp, Promise
    from app.models.user import User

TIERS = ("standard", "silver", "gold", "vip")
SEVERITIES = ("low", "medium", "high", "critical")
COMPLAINT_STATUSES = ("open", "in-progress", "resolved")

# Letters that keep their stroke through NFKD, typed without it on most keyboards (Łódź, Søren,
# Đorđe); apostrophes of every kind left out (O’Brien by "obrien" or "o'brien"); typographic
# hyphens typed plain (Jean‑Luc).
_PLAIN_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ŀ": "l",
                                "æ": "ae", "œ": "oe", "þ": "th", "'": None, "\u2019": None, "\u2018": None,
                                "\u02bc": None, "\u2010": "-", "\u2011": "-"})


def search_key(text: str) -> str:
    """`text` as the search box compares it: "  María GARCÍA " -> "maria garcia".

    Compatibility-decomposed (NFKD) and stripped of combining marks and invisible format
    characters, case-folded, the few stroked letters spelt plain, apostrophes left out, runs of
    whitespace made one space. Names are stored with this key (`Customer.name_search`) and `q` goes through the same
    function, so the two always agree. Migration 0010 holds a copy for its backfill: change both.
    """
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    kept = "".join(ch for ch in folded if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf")
    return " ".join(kept.translate(_PLAIN_LETTERS).split())


def _name_search_default(context) -> str | None:
    """The key for rows inserted without one: bulk inserts (import, demo data) name only `name`."""
    name = context.get_current_parameters().get("name")
    return None if name is None else search_key(name)


class Customer(db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # search_key(name), kept by the app: set with every name (the validator below for the ORM, the
    # column default for bulk inserts, importing.py for bulk updates). The search box matches it,
    # so no database needs unaccent or Unicode case rules. NULL only for rows written outside the
    # app (raw SQL, COPY); those are not found by name.
    name_search: Mapped[str | None] = mapped_column(Text, default=_name_search_default)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    tier: Mapped[str] = mapped_column(String(20), default="standard")
    # Asked not to be surveyed (said so to an agent, or texted STOP): never asked again (SPEC §10).
    do_not_survey: Mapped[bool] = mapped_column(default=False, server_default=false())
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped by every UPDATE of the row, which SQLAlchemy makes conditional on the version it read
    # (version_id_col): of two saves made from the same version, the second changes nothing.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # On PostgreSQL, any part of a name (LIKE '%garcia%') through trigrams, and the start of a
        # name (LIKE 'al%', a query too short for trigrams) through a pattern B-tree. The models
        # describe both, so the migration test compares them; SQLite gets two plain indexes.
        Index("ix_customers_name_search", "name_search",
              postgresql_using="gin", postgresql_ops={"name_search": "gin_trgm_ops"}),
        Index("ix_customers_name_search_prefix", "name_search", postgresql_ops={"name_search": "text_pattern_ops"}),
        # The care list's valued customers (gold, VIP) with us long enough to have gone silent.
        Index("ix_customers_tier_created", "tier", "created_at"),
    )

    phones: Mapped[list["PhoneNumber"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="PhoneNumber.id"
    )
    preferences: Mapped[list["Preference"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Preference.id"
    )
    complaints: Mapped[list["Complaint"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Complaint.opened_at"
    )

    # What someone promised them, and what someone owes them (SPEC §10); the pop shows the open ones.
    promises: Mapped[list["Promise"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Promise.due_at"
    )
    follow_ups: Mapped[list["FollowUp"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="FollowUp.due_at"
    )

    @validates("name")
    def _keep_name_search(self, _key: str, name: str | None) -> str | None:
        self.name_search = None if name is None else search_key(name)
        return name

    @property
    def open_complaints(self) -> list["Complaint"]:
        return [c for c in self.complaints if c.status != "resolved"]


# The trigram operator class must exist before the index does; migrations 0002/0004 create the
# extension on a migrated database, this covers `create_all` (the tests).
event.listen(Customer.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


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
