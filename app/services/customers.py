"""Customers and what we know about them: created, changed and found here, for every way in.

Called by the JSON API today and by the CSV import and the desktop pages next. Each function takes
plain values, checks them itself (so a caller without marshmallow in front gets the same rules),
raises a domain error when it must refuse, and commits once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    COMPLAINT_STATUSES,
    SEVERITIES,
    TIERS,
    Call,
    Complaint,
    Customer,
    PhoneNumber,
    Preference,
    User,
    utcnow,
)
from app.services import accounts, phone_numbers
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound

# The widths of the columns these values land in; PostgreSQL refuses anything longer.
MAX_LENGTHS = {
    "name": 200, "email": 254, "external_id": 100, "key": 100, "value": 500, "subject": 200,
}
# Database integer ids are 32-bit; a bigger one cannot exist and must not reach the query.
MAX_ID = 2**31 - 1

CUSTOMER_FIELDS = frozenset({"name", "phones", "email", "tier", "external_id"})
COMPLAINT_FIELDS = frozenset(
    {"status", "resolution", "subject", "description", "severity", "due_at", "assigned_to_id"}
)
PREFERENCE_FIELDS = frozenset({"key", "value"})


@dataclass
class CustomerPage:
    items: list[Customer]
    page: int
    per_page: int
    total: int


class _Errors:
    """Collects every problem with one input, so the caller hears about all of them at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            summary = "; ".join(f"{field}: {messages[0]}" for field, messages in self.fields.items())
            raise InvalidInput(summary, dict(self.fields))


def _text(errors: _Errors, field: str, value: Any, *, required: bool, column: str | None = None) -> str | None:
    """A trimmed string that fits its column; blank becomes None (CSV cells are often empty)."""
    if value is None:
        if required:
            errors.add(field, "required")
        return None
    if not isinstance(value, str):
        errors.add(field, "must be text")
        return None
    value = value.strip()
    if not value:
        if required:
            errors.add(field, "required")
        return None
    if "\x00" in value:
        errors.add(field, "must not contain NUL characters")
        return None
    limit = MAX_LENGTHS.get(column or field)
    if limit and len(value) > limit:
        errors.add(field, f"at most {limit} characters")
        return None
    return value


def _choice(errors: _Errors, field: str, value: Any, choices: tuple[str, ...]) -> str | None:
    if value not in choices:
        errors.add(field, f"{value!r} is not one of {', '.join(choices)}")
        return None
    return value


def _email(errors: _Errors, value: Any) -> str | None:
    email = _text(errors, "email", value, required=False)
    if email is not None and (email.count("@") != 1 or " " in email or email.startswith("@") or email.endswith("@")):
        errors.add("email", f"{email!r} is not an email address")
        return None
    return email


def _naive_utc(errors: _Errors, field: str, value: Any) -> datetime | None:
    """The database holds naive UTC; an aware time is converted, a naive one is taken as UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        errors.add(field, "must be a date and time")
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def normalize_phones(raws: Iterable[Any] | None, region: str, errors: _Errors | None = None) -> list[str]:
    """Every number in E.164, duplicates collapsed in order; unreadable ones are named in the error."""
    own = errors is None
    errors = errors or _Errors()
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


def _preferences(errors: _Errors, entries: Iterable[Any] | None) -> list[tuple[str, str]]:
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
        key = _text(errors, f"preferences.{index}.key", key, required=True, column="key")
        value = _text(errors, f"preferences.{index}.value", value, required=True, column="value")
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
    if isinstance(customer_id, int) and 0 < customer_id <= MAX_ID:
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
) -> Customer:
    """A new customer; phones may be in any format `region` can read, and may be none at all."""
    errors = _Errors()
    name = _text(errors, "name", name, required=True)
    e164s = normalize_phones(phones, region, errors)
    email = _email(errors, email)
    tier = _choice(errors, "tier", tier, TIERS) if tier is not None else "standard"
    external_id = _text(errors, "external_id", external_id, required=False)
    pairs = _preferences(errors, preferences)
    errors.raise_if_any()
    _check_external_id_free(external_id)

    customer = Customer(name=name, email=email, tier=tier, external_id=external_id)
    customer.phones = [PhoneNumber(e164=e164) for e164 in e164s]
    customer.preferences = [Preference(key=k, value=v, recorded_by_id=recorded_by_id) for k, v in pairs]
    db.session.add(customer)
    _commit(external_id)
    return customer


def update_customer(customer_id: int, changes: Mapping[str, Any], *, region: str) -> Customer:
    """Change the fields present in `changes`; `phones`, when present, replaces every number."""
    unknown = set(changes) - CUSTOMER_FIELDS
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}", {f: ["unknown field"] for f in unknown})
    customer = get_customer(customer_id)
    errors = _Errors()
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = _text(errors, "name", changes["name"], required=True)
    if "email" in changes:
        values["email"] = _email(errors, changes["email"])
    if "tier" in changes:
        values["tier"] = _choice(errors, "tier", changes["tier"], TIERS)
    if "external_id" in changes:
        values["external_id"] = _text(errors, "external_id", changes["external_id"], required=False)
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
    _commit(customer.external_id)
    return customer


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


def _matching(region: str, phone: str | None, q: str | None):
    stmt = select(Customer)
    if phone is not None and phone.strip():
        e164 = phone_numbers.normalize_or_raise(phone, region, field="phone")
        stmt = stmt.where(Customer.id.in_(select(PhoneNumber.customer_id).where(PhoneNumber.e164 == e164)))
    if q is not None and q.strip():
        stmt = stmt.where(Customer.id.in_(_ids_matching_text(q.strip(), region)))
    return stmt


def _ids_matching_text(q: str, region: str):
    """Ids of customers whose name contains `q`, or whose email, external id or number is `q`.

    Each branch is one indexed lookup (migration 0002 adds the name and email indexes), joined
    with UNION so PostgreSQL never scans the table for the OR.
    """
    if "\x00" in q:
        raise InvalidInput("q must not contain NUL characters", {"q": ["must not contain NUL characters"]})
    pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if len(q) >= 3:
        by_name = select(Customer.id).where(Customer.name.ilike(f"%{pattern}%", escape="\\"))
    else:  # too short for trigrams: a name that starts with it
        by_name = select(Customer.id).where(func.lower(Customer.name).like(f"{pattern.lower()}%", escape="\\"))
    branches = [
        by_name,
        select(Customer.id).where(func.lower(Customer.email) == q.lower()),
        select(Customer.id).where(Customer.external_id == q),
    ]
    e164 = phone_numbers.normalize(q, region)
    if e164 is not None:
        branches.append(select(PhoneNumber.customer_id).where(PhoneNumber.e164 == e164))
    return union(*branches)


def find_by_phone(raw: str, region: str) -> list[Customer]:
    """Every customer holding the number `raw`, written in any format `region` can read."""
    if not isinstance(raw, str) or not raw.strip():
        phone_numbers.normalize_or_raise(raw, region, field="phone")  # refused, naming what was given
    return list(db.session.scalars(_loaded(_matching(region, raw, None)).order_by(Customer.id)))


def search(
    *, region: str, phone: str | None = None, q: str | None = None, page: int = 1, per_page: int = 25
) -> CustomerPage:
    """Customers by exact number and/or `q` (part of a name, or an email, external id or number),
    ordered by name; one page of them.

    A blank `phone` or `q` is no filter (an empty search box); an unreadable phone is refused.
    """
    stmt = _matching(region, phone, q)
    page, per_page = max(page, 1), max(per_page, 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(
        _loaded(stmt).order_by(Customer.name, Customer.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return CustomerPage(list(items), page, per_page, total or 0)


def add_preference(customer_id: int, key: str, value: str, recorded_by_id: int | None = None) -> Preference:
    customer = get_customer(customer_id)
    errors = _Errors()
    key = _text(errors, "key", key, required=True)
    value = _text(errors, "value", value, required=True)
    errors.raise_if_any()
    preference = Preference(customer=customer, key=key, value=value, recorded_by_id=recorded_by_id)
    db.session.add(preference)
    db.session.commit()
    return preference


def get_preference(preference_id: int) -> Preference:
    preference = None
    if isinstance(preference_id, int) and 0 < preference_id <= MAX_ID:
        preference = db.session.get(Preference, preference_id)
    if preference is None:
        raise NotFound(f"preference {preference_id} does not exist")
    return preference


def update_preference(preference_id: int, changes: Mapping[str, Any]) -> Preference:
    """Correct what the customer prefers; only the fields sent change, and neither may become blank."""
    unknown = set(changes) - PREFERENCE_FIELDS
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}", {f: ["unknown field"] for f in unknown})
    preference = get_preference(preference_id)
    errors = _Errors()
    values = {field: _text(errors, field, changes[field], required=True) for field in PREFERENCE_FIELDS & set(changes)}
    errors.raise_if_any()
    for field, value in values.items():
        setattr(preference, field, value)
    db.session.commit()
    return preference


def delete_preference(preference_id: int) -> int:
    """Forget a preference; returns the id of the customer it belonged to."""
    preference = get_preference(preference_id)
    customer_id = preference.customer_id
    db.session.delete(preference)
    db.session.commit()
    return customer_id


def _sla_due_at(opened_at: datetime, severity: str, sla_hours: Mapping[str, int] | None) -> datetime | None:
    hours = (sla_hours or {}).get(severity)
    return opened_at + timedelta(hours=hours) if hours else None


def _assignee(errors: _Errors, value: Any) -> User | None:
    """The active user a complaint is assigned to; None (unassigned) is allowed."""
    if value is None:
        return None
    user = None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        user = db.session.get(User, value)
    if user is None or not user.active:
        errors.add("assigned_to_id", f"{value!r} is not an active user")
        return None
    return user


def _check_may_assign(acting_user: User | None, assignee_id: int | None, current_id: int | None) -> None:
    """Agents take complaints for themselves (or give back their own); only supervisors reassign."""
    if acting_user is None or accounts.has_role(acting_user, "supervisor") or assignee_id == current_id:
        return
    if assignee_id == acting_user.id or (assignee_id is None and current_id == acting_user.id):
        return
    raise Forbidden("only a supervisor can assign a complaint to someone else")


def open_complaint(
    customer_id: int,
    subject: str,
    *,
    description: str | None = None,
    severity: str | None = None,
    due_at: datetime | None = None,
    opened_by_id: int | None = None,
    call_sid: str | None = None,
    assigned_to_id: int | None = None,
    sla_hours: Mapping[str, int] | None = None,
    acting_user: User | None = None,
) -> Complaint:
    """Open a complaint, raised on `call_sid` when given; without `due_at` it is due after the
    severity's service level (`sla_hours`, e.g. the COMPLAINT_SLA_HOURS setting).

    `acting_user`, when given, is held to the assignment rule: an agent assigns only themselves.
    """
    customer = get_customer(customer_id)
    errors = _Errors()
    subject = _text(errors, "subject", subject, required=True)
    description = _text(errors, "description", description, required=False)
    severity = _choice(errors, "severity", severity, SEVERITIES) if severity is not None else "medium"
    due_at = _naive_utc(errors, "due_at", due_at)
    assignee = _assignee(errors, assigned_to_id)
    call = None
    if call_sid is not None:
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid)) if isinstance(call_sid, str) else None
        if call is None:
            errors.add("call_sid", f"call {call_sid!r} does not exist")
    errors.raise_if_any()
    _check_may_assign(acting_user, assignee.id if assignee else None, None)
    opened_at = utcnow()
    complaint = Complaint(
        customer=customer, subject=subject, description=description, severity=severity,
        due_at=due_at if due_at is not None else _sla_due_at(opened_at, severity, sla_hours),
        status="open", opened_at=opened_at, opened_by_id=opened_by_id,
        assigned_to_id=assignee.id if assignee else None, call_id=call.id if call else None,
    )
    db.session.add(complaint)
    db.session.commit()
    return complaint


def get_complaint(complaint_id: int) -> Complaint:
    complaint = None
    if isinstance(complaint_id, int) and 0 < complaint_id <= MAX_ID:
        complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} does not exist")
    return complaint


def update_complaint(complaint_id: int, changes: Mapping[str, Any], acting_user: User | None = None) -> Complaint:
    """Move a complaint along (open → in-progress → resolved, or back) and edit it.

    Resolving stamps resolved_at, reopening clears it. `acting_user`, when given, is held to the
    assignment rule: only a supervisor or an admin assigns a complaint to someone else.
    """
    unknown = set(changes) - COMPLAINT_FIELDS
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}", {f: ["unknown field"] for f in unknown})
    complaint = get_complaint(complaint_id)
    errors = _Errors()
    status = _choice(errors, "status", changes["status"], COMPLAINT_STATUSES) if "status" in changes else None
    severity = _choice(errors, "severity", changes["severity"], SEVERITIES) if "severity" in changes else None
    subject = _text(errors, "subject", changes["subject"], required=True) if "subject" in changes else None
    description = _text(errors, "description", changes.get("description"), required=False)
    resolution = _text(errors, "resolution", changes.get("resolution"), required=False)
    due_at = _naive_utc(errors, "due_at", changes.get("due_at"))
    assignee = _assignee(errors, changes.get("assigned_to_id"))
    errors.raise_if_any()
    if "assigned_to_id" in changes:
        _check_may_assign(acting_user, assignee.id if assignee else None, complaint.assigned_to_id)

    if status is not None and status != complaint.status:
        complaint.status = status
        complaint.resolved_at = utcnow() if status == "resolved" else None
    if severity is not None:
        complaint.severity = severity
    if subject is not None:
        complaint.subject = subject
    if "description" in changes:
        complaint.description = description
    if "resolution" in changes:
        complaint.resolution = resolution
    if "due_at" in changes:
        complaint.due_at = due_at
    if "assigned_to_id" in changes:
        complaint.assigned_to_id = assignee.id if assignee else None
    db.session.commit()
    return complaint


__all__ = [
    "CustomerPage", "add_preference", "create_customer", "delete_customer", "delete_preference", "find_by_phone",
    "get_by_external_id", "get_complaint", "get_customer", "get_preference", "normalize_phones", "open_complaint",
    "search", "update_complaint", "update_customer", "update_preference",
]


def complaint_counts() -> dict[str, int]:
    """Open (not resolved) and overdue complaints, for the supervisors' headline numbers."""
    unresolved = Complaint.status != "resolved"
    open_count = db.session.scalar(select(func.count()).select_from(Complaint).where(unresolved)) or 0
    overdue = db.session.scalar(
        select(func.count()).select_from(Complaint).where(unresolved, Complaint.due_at < utcnow())
    ) or 0
    return {"open": open_count, "overdue": overdue}
