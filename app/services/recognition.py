"""Who is calling: the caller ID read as E.164 and matched exactly against customers' numbers."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Customer, PhoneNumber
from app.services import phone_numbers


@dataclass
class Recognition:
    match_kind: str  # single | multiple | none | withheld
    from_e164: str | None
    customers: list[Customer] = field(default_factory=list)

    @property
    def customer(self) -> Customer | None:
        return self.customers[0] if self.match_kind == "single" else None


def customers_with_number(e164: str) -> list[Customer]:
    """Every customer holding this E.164 number, with what a pop shows loaded in one round trip."""
    stmt = (
        select(Customer)
        .join(PhoneNumber, PhoneNumber.customer_id == Customer.id)
        .where(PhoneNumber.e164 == e164)
        .options(selectinload(Customer.preferences), selectinload(Customer.complaints))
        .order_by(Customer.id)
        .distinct()
    )
    return list(db.session.scalars(stmt))


def recognize(raw_from: str | None, region: str) -> Recognition:
    """Classify an incoming caller ID; withheld and unreadable numbers never reach the database."""
    if phone_numbers.is_withheld(raw_from):
        return Recognition("withheld", None)
    e164 = phone_numbers.normalize(raw_from, region)
    if e164 is None:
        return Recognition("none", None)
    customers = customers_with_number(e164)
    if not customers:
        return Recognition("none", e164)
    return Recognition("single" if len(customers) == 1 else "multiple", e164, customers)


__all__ = ["Recognition", "recognize", "customers_with_number"]
