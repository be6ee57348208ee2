"""Merging a duplicate customer into the one that is kept (SPEC §9a), for supervisors and admins.

Deleting a duplicate would also erase every linked call's notes; a merge keeps everything: the
duplicate's numbers, preferences, complaints, promises, follow-ups, surveys and calls (with their notes) move to the
kept customer, then the duplicate's empty record goes, in one transaction.
"""
from __future__ import annotations

from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import (
    TIERS,
    Call,
    Complaint,
    Customer,
    FollowUp,
    PhoneNumber,
    Preference,
    Promise,
    Survey,
    utcnow,
)
from app.services.calls import neighbours
from app.services.customers.records import get_customer
from app.services.errors import InvalidInput
from app.services.people import audit


def merge_customers(kept_id: int, duplicate_id: int, *, acting_user_id: int | None) -> Customer:
    """Move everything of `duplicate_id` to `kept_id`, remove the duplicate, and record both on the
    audit trail; the kept customer's empty fields (email, external id) take the duplicate's, and
    the higher tier wins."""
    if kept_id == duplicate_id:
        raise InvalidInput("a customer cannot be merged into themselves", {"duplicate_id": ["same customer"]})
    kept, duplicate = get_customer(kept_id), get_customer(duplicate_id)
    held = set(db.session.scalars(select(PhoneNumber.e164).where(PhoneNumber.customer_id == kept.id)))
    db.session.execute(delete(PhoneNumber).where(PhoneNumber.customer_id == duplicate.id, PhoneNumber.e164.in_(held)))
    for model in (PhoneNumber, Preference, Complaint, Promise, FollowUp, Survey, Call):
        db.session.execute(update(model).where(model.customer_id == duplicate.id).values(customer_id=kept.id)
                           .execution_options(synchronize_session=False))
    email, external_id, tier = duplicate.email, duplicate.external_id, duplicate.tier
    do_not_survey = duplicate.do_not_survey
    # What the session loaded of both is stale now (their rows moved): read the kept one afresh,
    # and remove the duplicate's row, empty by now, so its external id is free to take.
    db.session.expire_all()
    db.session.execute(delete(Customer).where(Customer.id == duplicate_id))
    # The calls moved in bulk: the kept customer's history interleaves both now.
    neighbours.restitch(db.session.connection(), neighbours.Caller(kept_id, None))
    kept = get_customer(kept_id)
    kept.email = kept.email or email
    kept.external_id = kept.external_id or external_id
    kept.tier = max(kept.tier, tier, key=TIERS.index)
    kept.do_not_survey = kept.do_not_survey or do_not_survey  # a STOP is never forgotten
    kept.updated_at = utcnow()
    audit.record(acting_user_id, "customer_changed", customer_id=kept.id,
                 detail=f"merged customer {duplicate_id} into this one", commit=False)
    audit.record(acting_user_id, "customer_deleted", customer_id=duplicate_id,
                 detail=f"merged into customer {kept.id}", commit=False)
    db.session.commit()
    return kept
