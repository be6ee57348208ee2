"""Who is calling: the caller ID read as E.164 and matched exactly against customers' numbers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Complaint, Customer, PhoneNumber
from app.services import phone_numbers
from app.services.care import stage
from app.settings import CareSettings


@dataclass
class Recognition:
    match_kind: str  # single | multiple | none | withheld
    from_e164: str | None
    customers: list[Customer] = field(default_factory=list)
    # Each customer's history as of the ringing, read with them (the pop's stage and flags).
    histories: dict[int, stage.History] = field(default_factory=dict)

    @property
    def customer(self) -> Customer | None:
        return self.customers[0] if self.match_kind == "single" else None


# Built once, with the number as a parameter: constructing this select (and its eager loads) on
# every call cost more than running it.
_HOLDERS_OF_NUMBER = (
    select(Customer)
    .where(Customer.id.in_(select(PhoneNumber.customer_id).where(PhoneNumber.e164 == bindparam("e164"))))
    .options(
        joinedload(Customer.preferences),
        joinedload(Customer.complaints.and_(Complaint.status != "resolved")),
    )
    .order_by(Customer.id)
)


def customers_with_number(e164: str) -> list[Customer]:
    """Every customer holding this E.164 number, with what a pop shows loaded in one round trip
    (the service loop's part of the card is read by `care.summary`).

    One statement (the customers, their preferences and open complaints joined in) rather than
    one per relationship: this runs while the phone rings, and on a busy server every round trip
    is paid again in waiting for the interpreter lock. Only open complaints are loaded (a pop
    shows no others), so `customer.complaints` holds just those here, and a long history of
    resolved ones neither multiplies the joined rows nor slows the pop.
    """
    return list(db.session.scalars(_HOLDERS_OF_NUMBER, {"e164": e164}).unique())


# The same, with each customer's history (SPEC §10) as correlated columns: the pop's stage and
# flags cost no round trip of their own.
_HOLDERS_WITH_HISTORY = _HOLDERS_OF_NUMBER.add_columns(*stage.history_columns())


def customers_and_histories(e164: str, care: CareSettings, at: datetime) -> tuple[list[Customer], dict]:
    """`customers_with_number`, and each one's history as of `at` (the call is not stored yet, so
    all their calls are earlier ones), in the same single statement."""
    rows = db.session.execute(_HOLDERS_WITH_HISTORY,
                              {"e164": e164, **stage.history_params(care, at=at, call_id=None)}).unique().all()
    return [row[0] for row in rows], {row[0].id: stage.History(*row[1:]) for row in rows}


def recognize(raw_from: str | None, region: str, *, care: CareSettings | None = None,
              at: datetime | None = None) -> Recognition:
    """Classify an incoming caller ID; withheld and unreadable numbers never reach the database.
    With `care` (and `at`, the moment the call arrived), the customers' histories come along."""
    if phone_numbers.is_withheld(raw_from):
        return Recognition("withheld", None)
    e164 = phone_numbers.normalize(raw_from, region)
    if e164 is None:
        return Recognition("none", None)
    if care is not None and at is not None:
        customers, histories = customers_and_histories(e164, care, at)
    else:
        customers, histories = customers_with_number(e164), {}
    if not customers:
        return Recognition("none", e164)
    return Recognition("single" if len(customers) == 1 else "multiple", e164, customers, histories)


__all__ = ["Recognition", "recognize", "customers_with_number"]
