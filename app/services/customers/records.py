"""Customers and what we know about them: created, changed and found here, for every way in.

Called by the JSON API today and by the CSV import and the desktop pages next. Each function takes
plain values, checks them itself (so a caller without marshmallow in front gets the same rules),
raises a domain error when it must refuse, and commits once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import (
    TIERS,
    Call,
    Customer,
    PhoneNumber,
    Preference,
    utcnow,
)
from app.services import phone_numbers, validation
from app.services.customers import search_box
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.validation import FieldErrors

CUSTOMER_FIELDS = frozenset({"name", "phones", "email", "tier", "external_id", "do_not_survey"})


@dataclass
class CustomerPage:
    items: list[Customer]
    page: int
    per_page: int
    total: int


def normalize_phones(raws: Iterable[Any] | None, region: str, errors: FieldErrors | None = None) -> list[str]:
    """Every number in E.164, duplicates collapsed in order; unreadable ones are named in the error."""
    own = errors is None
    errors = errors or FieldErrors()
    if raws is None:
        raws = []
    if isinstance(raws, (str, bytes)) or not isinstance(raws, Iterable):
        errors.add("phones", "must be a list of phone numbers")
        raws = []
    seen: list[str] = []
    for raw in raws:
        try:
            e164 = phone_numbers.normalize_or_raise(raw, region, field="phones")
        except InvalidInput as exc:
            for message in (exc.fields or {}).get("phones", [exc.message]):
                errors.add("phones", message)
            continue
        if e164 not in seen:
            seen.append(e164)
    if own:
        errors.raise_if_any()
    return seen


def _preferences(errors: FieldErrors, entries: Iterable[Any] | None) -> list[tuple[str, str]]:
    """`(key, value)` pairs or `{"key", "value"}` mappings, checked; errors are named by position."""
    cleaned = []
    for index, entry in enumerate(entries or []):
        if isinstance(entry, Mapping):
            key, value = entry.get("key"), entry.get("value")
        elif isinstance(entry, (tuple, list)) and len(entry) == 2:
            key, value = entry
        else:
            errors.add(f"preferences.{index}", "must be a key and a value")
            continue
        key = validation.text(errors, f"preferences.{index}.key", key, required=True, column="key")
        value = validation.text(errors, f"preferences.{index}.value", value, required=True, column="value")
        if key is not None and value is not None:
            cleaned.append((key, value))
    return cleaned


def _check_external_id_free(external_id: str | None, customer_id: int | None = None) -> None:
    if external_id is None:
        return
    stmt = select(Customer.id).where(Customer.external_id == external_id)
    if customer_id is not None:
        stmt = stmt.where(Customer.id != customer_id)
    if db.session.scalar(stmt) is not None:
        raise Conflict(f"external_id {external_id!r} already belongs to another customer",
                       {"external_id": ["already in use"]})


def _commit(external_id: str | None) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # Another request took the same external_id between our check and this commit.
        db.session.rollback()
        raise Conflict(f"external_id {external_id!r} already belongs to another customer",
                       {"external_id": ["already in use"]}) from None


def _loaded(stmt):
    """What a customer's JSON shows, loaded in a few round trips instead of one per customer."""
    return stmt.options(
        selectinload(Customer.phones), selectinload(Customer.preferences), selectinload(Customer.complaints)
    )


def get_customer(customer_id: int) -> Customer:
    customer = None
    if validation.is_id(customer_id):
        customer = db.session.scalar(_loaded(select(Customer).where(Customer.id == customer_id)))
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return customer


def get_by_external_id(external_id: str) -> Customer | None:
    return db.session.scalar(_loaded(select(Customer).where(Customer.external_id == external_id)))


def create_customer(
    name: str,
    phones: Iterable[str] = (),
    *,
    region: str,
    email: str | None = None,
    tier: str | None = None,
    external_id: str | None = None,
    preferences: Iterable[Any] = (),
    recorded_by_id: int | None = None,
    do_not_survey: bool = False,
) -> Customer:
    """A new customer; phones may be in any format `region` can read, and may be none at all."""
    errors = FieldErrors()
    name = validation.text(errors, "name", name, required=True)
    e164s = normalize_phones(phones, region, errors)
    email = validation.email(errors, email)
    tier = validation.choice(errors, "tier", tier, TIERS) if tier is not None else "standard"
    external_id = validation.text(errors, "external_id", external_id, required=False)
    pairs = _preferences(errors, preferences)
    errors.raise_if_any()
    _check_external_id_free(external_id)

    customer = Customer(name=name, email=email, tier=tier, external_id=external_id, do_not_survey=bool(do_not_survey))
    customer.phones = [PhoneNumber(e164=e164) for e164 in e164s]
    customer.preferences = [Preference(key=k, value=v, recorded_by_id=recorded_by_id) for k, v in pairs]
    db.session.add(customer)
    _commit(external_id)
    return customer


def update_customer(customer_id: int, changes: Mapping[str, Any], *, region: str,
                    expected_version: int | None = None) -> Customer:
    """Change the fields present in `changes`; `phones`, when present, replaces every number.

    With `expected_version`, nothing changes unless the customer is still at that version
    (Conflict otherwise, naming both): the check is part of the UPDATE itself, so of two saves
    made from the same copy exactly one lands. Every change bumps the version.
    """
    validation.refuse_unknown(changes, CUSTOMER_FIELDS)
    customer = get_customer(customer_id)
    if expected_version is not None and expected_version != customer.version:
        raise _stale(customer, expected_version)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = validation.text(errors, "name", changes["name"], required=True)
    if "email" in changes:
        values["email"] = validation.email(errors, changes["email"])
    if "tier" in changes:
        values["tier"] = validation.choice(errors, "tier", changes["tier"], TIERS)
    if "external_id" in changes:
        values["external_id"] = validation.text(errors, "external_id", changes["external_id"], required=False)
    if "do_not_survey" in changes:
        if isinstance(changes["do_not_survey"], bool):
            values["do_not_survey"] = changes["do_not_survey"]
        else:
            errors.add("do_not_survey", "must be true or false")
    e164s = normalize_phones(changes["phones"], region, errors) if "phones" in changes else None
    errors.raise_if_any()
    if "external_id" in values:
        _check_external_id_free(values["external_id"], customer.id)

    for field, value in values.items():
        setattr(customer, field, value)
    if e164s is not None:
        # Numbers the customer keeps keep their row (and label); the rest go.
        current = {p.e164: p for p in customer.phones}
        customer.phones = [current.get(e164) or PhoneNumber(e164=e164) for e164 in e164s]
    customer.updated_at = utcnow()  # a change of numbers alone still updates (and versions) the row
    try:
        _commit(customer.external_id)
    except StaleDataError:
        db.session.rollback()
        raise _stale(get_customer(customer_id), expected_version) from None
    return customer


def _stale(customer: Customer, expected_version: int | None) -> Conflict:
    return Conflict(
        f"customer {customer.id} was changed by someone else since you read it (you had version "
        f"{expected_version}, it is now {customer.version}); read it again and redo your change",
        {"version": [f"now {customer.version}"]})


def shared_numbers(customer: Customer) -> list[dict]:
    """Each of `customer`'s numbers that other customers hold too, with who (one query): a
    household landline, or a number just added that someone else already had."""
    mine = [phone.e164 for phone in customer.phones]
    if not mine:
        return []
    rows = db.session.execute(
        select(PhoneNumber.e164, Customer.id, Customer.name)
        .join(Customer, Customer.id == PhoneNumber.customer_id)
        .where(PhoneNumber.e164.in_(mine), PhoneNumber.customer_id != customer.id)
        .order_by(PhoneNumber.e164, Customer.name, Customer.id))
    holders: dict[str, list[dict]] = {}
    for e164, other_id, name in rows:
        holders.setdefault(e164, []).append({"id": other_id, "name": name})
    return [{"e164": e164, "customers": holders[e164]} for e164 in mine if e164 in holders]


def delete_customer(customer_id: int) -> None:
    """Remove a customer with their numbers, preferences and complaints.

    Their calls stay in the history (when, how long, who took them, the disposition), unlinked and
    without the personal data: the caller's number and the agent's free-text notes are erased.
    """
    customer = get_customer(customer_id)
    db.session.execute(
        update(Call).where(Call.customer_id == customer.id)
        .values(customer_id=None, from_raw=None, from_e164=None, notes=None)
    )
    db.session.delete(customer)
    db.session.commit()


def _matching(region: str, phone: str | None, q: str | None, whole_numbers_only: bool = False):
    stmt = select(Customer)
    if phone is not None and phone.strip():
        e164 = phone_numbers.normalize_or_raise(phone, region, field="phone")
        stmt = stmt.where(Customer.id.in_(select(PhoneNumber.customer_id).where(PhoneNumber.e164 == e164)))
    if q is not None and q.strip():
        stmt = stmt.where(Customer.id.in_(search_box.ids_matching(q, region, whole_numbers_only)))
    return stmt


def find_by_phone(raw: str, region: str) -> list[Customer]:
    """Every customer holding the number `raw`, written in any format `region` can read."""
    if not isinstance(raw, str) or not raw.strip():
        phone_numbers.normalize_or_raise(raw, region, field="phone")  # refused, naming what was given
    return list(db.session.scalars(_loaded(_matching(region, raw, None)).order_by(Customer.id)))


def search(
    *, region: str, phone: str | None = None, q: str | None = None, page: int = 1, per_page: int = 25,
    whole_numbers_only: bool = False,
) -> CustomerPage:
    """Customers by exact number and/or `q` (the search box: see `search_box` for what it finds),
    ordered by name; one page of them.

    A blank `phone` or `q` is no filter (an empty search box); an unreadable phone, or a `q` the
    box cannot search (control characters, a piece of a number under 4 digits), is refused.
    `whole_numbers_only`: the box finds a number only whole, never by a piece of it (an agent with
    MASK_NUMBERS on, who could otherwise read a number back a few digits at a time).
    """
    stmt = _matching(region, phone, q, whole_numbers_only)
    page, per_page = max(page, 1), max(per_page, 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(
        _loaded(stmt).order_by(Customer.name, Customer.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return CustomerPage(list(items), page, per_page, total or 0)


__all__ = [
    "CustomerPage", "create_customer", "delete_customer", "find_by_phone", "get_by_external_id", "get_customer",
    "normalize_phones", "search", "update_customer",
]
