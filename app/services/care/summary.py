"""What the service loop adds to a customer wherever an agent sees them (SPEC §10): open promises
and follow-ups, the last survey, the stage, and the flags. The pop's card and the customer's API
shape both take it from here, so the two never disagree.

It costs one statement for any number of customers (their histories, `stage.histories`), plus one
each for open promises and follow-ups when any of them has some: never more, however long a
customer's history.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Customer, FollowUp, Promise
from app.schemas.care import POP_FOLLOW_UP_FIELDS, FollowUpSchema, PromiseSchema
from app.schemas.common import as_of, isoformat
from app.services.care import stage
from app.settings import CareSettings

_PROMISES = PromiseSchema(many=True, exclude=("customer_id", "closed_at"))
_FOLLOW_UPS = FollowUpSchema(many=True, only=POP_FOLLOW_UP_FIELDS)
ATTRIBUTE = "_care_summary"


# Open promises and follow-ups of some customers, with who made or owns them and the call they came
# from: built once, the customers a parameter.
_OPEN_PROMISES = (select(Promise).where(Promise.customer_id.in_(bindparam("ids", expanding=True)),
                                        Promise.status == "open")
                  .options(joinedload(Promise.made_by), joinedload(Promise.call)).order_by(Promise.due_at, Promise.id))
_OPEN_FOLLOW_UPS = (select(FollowUp).where(FollowUp.customer_id.in_(bindparam("ids", expanding=True)),
                                           FollowUp.status == "open")
                    .options(joinedload(FollowUp.owner), joinedload(FollowUp.call))
                    .order_by(FollowUp.due_at, FollowUp.id))


def _open(stmt, ids: list[int]) -> dict[int, list]:
    """The rows of `stmt` for these customers, by customer; no statement for nobody."""
    found: dict[int, list] = defaultdict(list)
    if ids:
        for row in db.session.scalars(stmt, {"ids": ids}):
            found[row.customer_id].append(row)
    return found


def summarize(customer: Customer, history: stage.History, config: CareSettings, now: datetime, *,
              open_promises: list[Promise], open_follow_ups: list[FollowUp]) -> dict:
    """`promises`, `follow_ups` (open ones, soonest due first), `last_survey`, `stage`, `flags`."""
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


def summaries(customers: Iterable[Customer], config: CareSettings, now: datetime, *, call_id: int | None = None,
              at: datetime | None = None, known: dict | None = None) -> dict[int, dict]:
    """Each customer's summary by id (one statement for all their histories, none when `known`
    has them all). `call_id`/`at`: as the pop of that call sees them (the call itself left out)."""
    customers = list(customers)
    if known is not None and all(c.id in known for c in customers):
        found = known
    else:
        found = stage.histories((c.id for c in customers), config, at=at or now, call_id=call_id)
    # Most customers owe and are owed nothing: their card costs no statement for promises or follow-ups.
    promises = _open(_OPEN_PROMISES, [i for i, h in found.items() if h.open_promises])
    follow_ups = _open(_OPEN_FOLLOW_UPS, [i for i, h in found.items() if h.open_follow_ups])
    return {customer.id: summarize(customer, found.get(customer.id, stage.History()), config, now,
                                   open_promises=promises.get(customer.id, []),
                                   open_follow_ups=follow_ups.get(customer.id, []))
            for customer in customers}


def attach(customers: Iterable[Customer], config: CareSettings, now: datetime) -> None:
    """Summarize each customer as their own page sees them (no call in view), and keep it on them
    for `of` and the schemas to read: a list page's in one statement."""
    customers = list(customers)
    found = summaries(customers, config, now)
    for customer in customers:
        setattr(customer, ATTRIBUTE, found[customer.id])


def of(customer: Customer, config: CareSettings, now: datetime) -> dict:
    """The customer's summary: the one `attach` kept, else made now."""
    if getattr(customer, ATTRIBUTE, None) is None:
        attach([customer], config, now)
    return getattr(customer, ATTRIBUTE)
