"""Checking values from any way in (API, CSV import, pages): every problem named, field by field.

Services collect problems in a `FieldErrors` and raise them together, so a person fixing a form or
a CSV row hears about all of them at once.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from app.services.errors import InvalidInput

# The widths of the columns these values land in; PostgreSQL refuses anything longer.
MAX_LENGTHS = {
    "name": 200, "email": 254, "external_id": 100, "key": 100, "value": 500, "subject": 200,
    "username": 80, "display_name": 200, "reach_address": 255,
    "notes": 5000,  # wrap-up notes are a few paragraphs, not a transcript
}
# Database integer ids are 32-bit; a bigger one cannot exist and must not reach the query. URLs
# (app/converters.py), API schemas (app/schemas/common.py) and services all take it from here.
MAX_ID = 2**31 - 1


def is_id(value: Any) -> bool:
    """A whole number that can be a row's id (not a bool, in the database's range)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def is_id_text(text: str) -> bool:
    """Text that reads as a row's id: ASCII digits only ("²" and "٣" are digits to str.isdigit,
    but not to int), in the database's range."""
    return text.isascii() and text.isdigit() and is_id(int(text))


class FieldErrors:
    """Collects every problem with one input, so the caller hears about all of them at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            summary = "; ".join(f"{field}: {messages[0]}" for field, messages in self.fields.items())
            raise InvalidInput(summary, dict(self.fields))


def refuse_unknown(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """A change naming a field that cannot be changed is refused whole, naming those fields."""
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}", {f: ["unknown field"] for f in unknown})


def text(errors: FieldErrors, field: str, value: Any, *, required: bool, column: str | None = None) -> str | None:
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


def choice(errors: FieldErrors, field: str, value: Any, choices: tuple[str, ...]) -> str | None:
    if value not in choices:
        errors.add(field, f"{value!r} is not one of {', '.join(choices)}")
        return None
    return value


def email_problem(address: str) -> str | None:
    """What is wrong with an email address, or None: the one rule for the API, the pages and the
    CSV import (a name, one @, and a domain with a dot in it, no spaces)."""
    local, at, domain = address.partition("@")
    if (not at or not local or "@" in domain or any(c.isspace() for c in address)
            or "." not in domain or domain.startswith(".") or domain.endswith(".") or ".." in domain):
        return f"{address!r} is not an email address (name@example.com)"
    return None


def email(errors: FieldErrors, value: Any) -> str | None:
    address = text(errors, "email", value, required=False)
    problem = email_problem(address) if address is not None else None
    if problem:
        errors.add("email", problem)
        return None
    return address


def naive_utc_or_none(value: datetime | None) -> datetime | None:
    """A parsed query time as the database holds it: naive UTC (an aware one converted)."""
    if value is not None and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def naive_utc(errors: FieldErrors, field: str, value: Any) -> datetime | None:
    """The database holds naive UTC; an aware time is converted, a naive one is taken as UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        errors.add(field, "must be a date and time")
        return None
    return naive_utc_or_none(value)
