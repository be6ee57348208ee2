"""Who receives a call's pop and updates, what each of them sees, and the audit of who saw whom.

Every pop takes this one path: a new call from the webhook (after routing has decided), the re-pop
when an agent links a call, the replay to a desktop that (re)connects, the spool replay after an
outage, and the "lookup unavailable" pop while the database is down. Each function is called
after the call's own commit; it hands `app.realtime.push` one emit per room, then records one
audit row per recipient and customer shown.

The audience is SPEC §5's "every connected user" until routing's audiences (§11) exist: then
`audience` narrows it, and `view_for` gives each kind of viewer its payload (masked numbers, §13).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import LIVE_STATUSES, Call, Customer
from app.realtime import push
from app.services.calls.lifecycle import customers_for
from app.services.calls.routing import RoutingDecision
from app.services.calls.screen_pop import build_call_update, build_screen_pop, build_unavailable_pop
from app.services.people import audit, presence
from app.services.people.presence import ConnectedUser

log = logging.getLogger(__name__)

FULL = "full"  # the one view there is so far: everything the pop carries


@dataclass(frozen=True)
class Audience:
    """Who a call's events go to. `everyone`: every socket connected, which is one room."""

    recipients: tuple[ConnectedUser, ...]
    everyone: bool


def audience(call: Call, decision: RoutingDecision | None, connected: Iterable[ConnectedUser]) -> Audience:
    """Of the `connected` users, those who receive `call`'s events: all of them, for now (SPEC §5);
    the call and its routing `decision` are what SPEC §11 narrows it by."""
    return Audience(tuple(connected), everyone=True)


def view_for(recipient: ConnectedUser) -> str:
    """Which payload a recipient gets: one view until numbers are masked for agents (SPEC §13)."""
    return FULL


def _rooms(who: Audience) -> list[tuple[str, str]]:
    """(room, view) pairs: the broadcast room when everyone gets the same view, else each user's room."""
    views = {view_for(recipient) for recipient in who.recipients}
    if who.everyone and len(views) <= 1:
        return [(push.EVERYONE, views.pop() if views else FULL)]
    return [(push.user_room(recipient.id), view_for(recipient)) for recipient in who.recipients]


def _audit(deliveries: list[tuple[str, int, int]], now: datetime, detail: str | None) -> None:
    # The call is stored and popped already: a failing audit write must not undo either.
    try:
        audit.record_pops(deliveries, now, detail)
    except SQLAlchemyError:
        db.session.rollback()
        log.error("pop delivery not audited", exc_info=True,
                  extra={"call_sid": deliveries[0][0] if deliveries else None})


def pop_call(call: Call, customers: list[Customer], who: Audience, *, region: str, now: datetime,
             notice: Mapping[str, object] | None = None, histories: Mapping | None = None) -> dict:
    """Send the call's pop to its audience and audit it; returns the full payload. `notice`: what
    this one pop has to say besides (e.g. `customer_removed`), not kept on the call. `histories`:
    the customers' histories when already read (with them, as the call arrived)."""
    payloads = {FULL: {**build_screen_pop(call, customers, region, now, histories=histories), **(notice or {})}}
    for room, view in _rooms(who):
        push.screen_pop(payloads[view], to=room)
    if customers:
        _audit([(call.call_sid, r.id, c.id) for r in who.recipients for c in customers], now, None)
    return payloads[FULL]


def repop(call: Call, *, region: str, presence_ttl_seconds: int, now: datetime,
          notice: Mapping[str, object] | None = None) -> dict:
    """The call's pop again, for its audience as it is now: after an agent linked the call to a
    customer, so every desktop shows who it is."""
    return repop_all([call], region=region, presence_ttl_seconds=presence_ttl_seconds, now=now, notice=notice)[0]


def repop_all(calls: Iterable[Call], *, region: str, presence_ttl_seconds: int, now: datetime,
              notice: Mapping[str, object] | None = None) -> list[dict]:
    """Each call's pop again, with who is connected read once: after the customer they show was
    deleted or merged away."""
    calls = list(calls)
    if not calls:
        return []
    connected = presence.connected_users(presence_ttl_seconds, now)
    return [pop_call(call, customers_for(call), audience(call, None, connected), region=region, now=now,
                     notice=notice) for call in calls]


def repop_customer(customer_id: int | None, *, region: str, presence_ttl_seconds: int, now: datetime) -> list[dict]:
    """The pops of a customer's live calls again: what their card shows changed (a promise, a
    follow-up, a complaint). One query when they are on no call."""
    if customer_id is None:
        return []
    live = db.session.scalars(select(Call).where(Call.customer_id == customer_id, Call.status.in_(LIVE_STATUSES)))
    return repop_all(live, region=region, presence_ttl_seconds=presence_ttl_seconds, now=now)


def pop_unavailable(params: Mapping[str, str], *, region: str, now: datetime) -> None:
    """The database is down: every desktop hears of the call, without a lookup and unaudited
    (there is no customer shown, and no database to read the audience from)."""
    push.screen_pop(build_unavailable_pop(params, region, now), to=push.EVERYONE)


def update_call(call: Call, *, now: datetime) -> None:
    """A change of the call's state (status, holder) for its audience. Updates show no customer
    and are not audited, so while the audience is everyone nobody's presence needs reading."""
    payload = build_call_update(call, now)
    for room, _view in _rooms(audience(call, None, ())):
        push.call_update(payload, to=room)


def replay_for(user: ConnectedUser, active: list[tuple[Call, list[Customer]]], *, region: str,
               now: datetime) -> list[dict]:
    """The pops of the active calls whose audience holds `user`, for a socket of theirs that
    (re)connected, audited for that user in one write. The caller sends them (`send_replay`) once
    the connection is accepted."""
    pops, deliveries = [], []
    for call, customers in active:
        if user not in audience(call, None, [user]).recipients:
            continue
        pops.append(build_screen_pop(call, customers, region, now))
        deliveries += [(call.call_sid, user.id, c.id) for c in customers]
    if deliveries:
        _audit(deliveries, now, "replayed on connect")
    return pops


def send_replay(sid: str, pops: list[dict]) -> None:
    for pop in pops:
        push.screen_pop(pop, to=sid)
