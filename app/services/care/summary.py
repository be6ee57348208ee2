"""What the service loop adds to a customer wherever an agent sees them (SPEC §10): open promises
and follow-ups, the last survey, the stage, and the flags. The pop's card and the customer's API
shape both take it from here, so the two never disagree.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from app.models import Customer
from app.schemas.care import POP_FOLLOW_UP_FIELDS, FollowUpSchema, PromiseSchema
from app.schemas.common import as_of, isoformat
from app.services.care import stage
from app.settings import CareSettings

_PROMISES = PromiseSchema(many=True, exclude=("customer_id", "closed_at"))
_FOLLOW_UPS = FollowUpSchema(many=True, only=POP_FOLLOW_UP_FIELDS)
ATTRIBUTE = "_care_summary"


def summarize(customer: Customer, history: stage.History, config: CareSettings, now: datetime) -> dict:
    """`promises`, `follow_ups` (open ones, soonest due first), `last_survey`, `stage`, `flags`."""
    open_promises = sorted((p for p in customer.promises if p.status == "open"), key=lambda p: (p.due_at, p.id))
    open_follow_ups = sorted((f for f in customer.follow_ups if f.status == "open"), key=lambda f: (f.due_at, f.id))
    with as_of(now):
        promises, follow_ups = _PROMISES.dump(open_promises), _FOLLOW_UPS.dump(open_follow_ups)
    last_survey = ({"score": history.last_score, "at": isoformat(history.last_scored_at)}
                   if history.last_scored_at is not None else None)
    return {
        "promises": promises,
        "follow_ups": follow_ups,
        "last_survey": last_survey,
        "stage": stage.stage_of(customer, history, config, now),
        "flags": stage.flags_of(customer, history, open_promises=open_promises, open_follow_ups=open_follow_ups,
                                config=config, now=now),
    }


def attach(customers: Iterable[Customer], config: CareSettings, now: datetime, *, call_id: int | None = None,
           at: datetime | None = None) -> None:
    """Summarize each customer (one statement for all their histories) and keep it on them, for
    `of` and the schemas to read. `call_id`/`at`: as the pop of that call sees them."""
    customers = list(customers)
    found = stage.histories((c.id for c in customers), config, at=at or now, call_id=call_id)
    for customer in customers:
        setattr(customer, ATTRIBUTE, summarize(customer, found.get(customer.id, stage.History()), config, now))


def of(customer: Customer, config: CareSettings, now: datetime) -> dict:
    """The customer's summary: the one `attach` kept, else made now."""
    if getattr(customer, ATTRIBUTE, None) is None:
        attach([customer], config, now)
    return getattr(customer, ATTRIBUTE)
