"""The one place that defines what a screen pop and a call update look like (SPEC §5)."""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from sqlalchemy import select

from app.extensions import db
from app.models import Call, Customer, User, isoformat
from app.schemas.common import as_of
from app.schemas.customers import CustomerCardSchema
from app.schemas.people import person
from app.services import phone_numbers
from app.services.care import summary
from app.settings import settings

_CARD = CustomerCardSchema()


def customer_card(customer: Customer, now: datetime, call: Call | None = None, history=None) -> dict:
    """What the agent sees of a customer while the phone rings: only open complaints, overdue as of
    `now`, and what the service loop knows (SPEC §10): open promises and follow-ups, the last
    survey, the stage and the flags, with the history as `call` (when given) sees it: without it.
    `history`: theirs, when already read with them."""
    # Not kept on the customer: as this call sees them is not as their own page does.
    care = summary.summaries([customer], settings().care, now, call_id=call.id if call is not None else None,
                             at=call.started_at if call is not None else None,
                             known={customer.id: history} if history is not None else None)[customer.id]
    with as_of(now):
        card = _CARD.dump(customer)
    card.update(care)
    return card


def routing_of(call: Call, names: Mapping[int, str] | None = None) -> dict:
    """Why the call went where it went, and who it was offered to (SPEC §11). `names`: the offered
    agents' names when known already (the webhook has them); else they are read."""
    ids = call.offered_ids
    if names is None or any(i not in names for i in ids):
        names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    agents = [{"id": i, "name": names[i]} for i in ids if i in names]
    known = None
    if call.known_because and ids and ids[0] in names:
        known = {"agent": agents[0], "because": call.known_because, "at": isoformat(call.known_at)}
    return {"reason": call.routing_reason or "fallback", "agents": agents, "known": known}


def build_screen_pop(call: Call, customers: list[Customer], region: str, now: datetime, *,
                     histories: Mapping | None = None, names: Mapping[int, str] | None = None) -> dict:
    """The pop of `call` showing `customers` (its match), with complaints overdue as of `now`;
    `histories`: the customers' histories when already read; `names`: the offered agents'."""
    single = call.match_kind == "single" and len(customers) == 1
    return {
        "call_sid": call.call_sid,
        "status": call.status,
        "received_at": isoformat(call.started_at),
        "from": call.from_e164,
        "from_raw": call.from_raw,
        # What an agent reads: never the provider's raw "anonymous" once a withheld call is linked.
        "direction": call.direction,
        # The other party's number as an agent reads it: the caller's, or the one a callback rings.
        "from_display": phone_numbers.display(call.to_e164 if call.direction == "outbound" else call.from_e164, region)
        or ("Number withheld" if phone_numbers.is_withheld(call.from_raw) else None),
        "to": call.to_e164 or call.to_raw,
        "match": call.match_kind,
        "customer": customer_card(customers[0], now, call, (histories or {}).get(customers[0].id)) if single else None,
        "candidates": (
            [{"id": c.id, "name": c.name} for c in customers] if call.match_kind == "multiple" else []
        ),
        "agent": person(call.agent),
        # The last word from the provider; unsettled: a ghost it could not settle (SPEC §3).
        "news_at": isoformat(call.news_at),
        "unsettled": call.unsettled,
        # A stored call was looked up, if only when it was replayed from the spool after an outage;
        # "unavailable" is the pop sent while the database was down (`build_unavailable_pop`).
        "lookup": "ok",
        "routing": routing_of(call, names),
    }


def build_unavailable_pop(params: Mapping[str, str], region: str, received_at: datetime) -> dict:
    """The pop for a call we could not look up (database down): who we can tell, and that we can't."""
    raw_from = params.get("From")
    withheld = phone_numbers.is_withheld(raw_from)
    from_e164 = None if withheld else phone_numbers.normalize(raw_from, region)
    return {
        "call_sid": params.get("CallSid"),
        "status": "ringing",
        "received_at": isoformat(received_at),
        "from": from_e164,
        "from_raw": raw_from,
        "from_display": phone_numbers.display(from_e164, region),
        "to": phone_numbers.normalize(params.get("To"), region) or params.get("To"),
        "match": "withheld" if withheld else "none",
        "customer": None,
        "candidates": [],
        "agent": None,
        "lookup": "unavailable",
        "routing": {"reason": "fallback", "agents": [], "known": None},
    }


def build_call_update(call: Call, now: datetime) -> dict:
    return {
        "call_sid": call.call_sid,
        "direction": call.direction,
        "status": call.status,
        "agent": person(call.agent),
        "duration": call.duration,
        "recording_url": call.recording_url,
        "news_at": isoformat(call.news_at),
        "unsettled": call.unsettled,
        "at": isoformat(now),
    }
