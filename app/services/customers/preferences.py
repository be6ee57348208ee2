"""What a customer prefers ("high-calcium milk", "callbacks in the evening"): recorded, corrected, removed."""
from __future__ import annotations

from typing import Any, Mapping

from app.extensions import db
from app.models import Preference
from app.services import validation
from app.services.customers.records import get_customer
from app.services.errors import NotFound
from app.services.validation import FieldErrors

PREFERENCE_FIELDS = frozenset({"key", "value"})


def add_preference(customer_id: int, key: str, value: str, recorded_by_id: int | None = None) -> Preference:
    customer = get_customer(customer_id)
    errors = FieldErrors()
    key = validation.text(errors, "key", key, required=True)
    value = validation.text(errors, "value", value, required=True)
    errors.raise_if_any()
    preference = Preference(customer=customer, key=key, value=value, recorded_by_id=recorded_by_id)
    db.session.add(preference)
    db.session.commit()
    return preference


def get_preference(preference_id: int) -> Preference:
    preference = None
    if validation.is_id(preference_id):
        preference = db.session.get(Preference, preference_id)
    if preference is None:
        raise NotFound(f"preference {preference_id} does not exist")
    return preference


def update_preference(preference_id: int, changes: Mapping[str, Any]) -> Preference:
    """Correct what the customer prefers; only the fields sent change, and neither may become blank."""
    validation.refuse_unknown(changes, PREFERENCE_FIELDS)
    preference = get_preference(preference_id)
    errors = FieldErrors()
    values = {field: validation.text(errors, field, changes[field], required=True) for field in PREFERENCE_FIELDS & set(changes)}
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
