"""Who receives a call's pop and updates, what each of them sees, and the audit of who saw whom.

Every pop takes this one path: a new call from the webhook (after routing has decided), the re-pop
when an agent links a call, the replay to a desktop that (re)connects, the spool replay after an
outage, and the "lookup unavailable" pop while the database is down. Each function is called
after the call's own commit; it hands `app.realtime.push` one emit per room, then records one
audit row per recipient and customer shown.

A call's audience (SPEC §11) is the agents it was offered to, its holder, every supervisor and
admin, and the users who watch every call; a call offered to nobody (queued, or the fallback) goes
to everyone. Each event is one emit naming the rooms (`rooms_of`), never a loop over
users; `view_for` gives each kind of viewer its payload (masked numbers, §13).

With MASK_NUMBERS on, a pop is built once and masked once (`app.services.privacy`): the whole
payload is one emit to the staff's room (staff are in every call's audience), the masked one is
one emit to the masked users' rooms of the same audience (`masked_rooms_of`); a user's sockets are
in the staff's rooms or in the masked ones, never both. With it off, one emit as before. Call
updates carry no number, so they stay one emit to `rooms_of` either way.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import LIVE_STATUSES, Call, Customer
from app.realtime import push
from app.services import privacy
from app.services.calls.lifecycle import customers_for
from app.services.calls.screen_pop import build_call_update, build_screen_pop, build_unavailable_pop
from app.services.people import audit, presence
from app.services.people.presence import STAFF_ROLES, ConnectedUser
from app.settings import settings

log = logging.getLogger(__name__)

FULL = "full"  # everything the pop carries
MASKED = "masked"  # numbers masked, for agents while MASK_NUMBERS is on (SPEC §13)


@dataclass(frozen=True)
class Audience:
    """Who a call's events go to: the rooms of one emit, and the connected users in them (audited)."""

    recipients: tuple[ConnectedUser, ...]
    rooms: tuple[str, ...]


def offered_to_nobody(call: Call) -> bool:
    """A call offered to no agent goes to everyone, and keeps going to everyone once someone takes
    it (everyone saw it, and must hear who took it and how it ended); so does one that waited in
    line. Offered to no agent: routed to the fallback (or before routing kept its reason)."""
    if call.queued_at is not None:
        return True
    return not call.offered_ids and call.routing_reason in (None, "fallback", "queued")


def audience_test(call: Call) -> Callable[[object], bool]:
    """`in_audience` for one call, its facts read once: `audience` asks it of every connected user
    on every call (reading the call's offer again per user cost more than the rest of the webhook
    with 1,000 agents connected)."""
    if offered_to_nobody(call):
        return lambda user: True
    people = {*call.offered_ids, *([call.agent_id] if call.agent_id is not None else [])}
    return lambda user: user.role in STAFF_ROLES or user.watch_all or user.id in people


def in_audience(call: Call, user) -> bool:
    """Whether `user` (a ConnectedUser, or a User) is in `call`'s audience (SPEC §11)."""
    return audience_test(call)(user)


def rooms_of(call: Call) -> tuple[str, ...]:
    """The rooms `call`'s events go to: everyone's when it is offered to nobody, else the staff's,
    the watchers' and each offered agent's and its holder's own."""
    if offered_to_nobody(call):
        return (push.EVERYONE,)
    people = dict.fromkeys([*call.offered_ids, *([call.agent_id] if call.agent_id is not None else [])])
    return (push.STAFF, push.WATCHERS, *(push.user_room(user_id) for user_id in people))


def masked_rooms_of(call: Call) -> tuple[str, ...]:
    """`rooms_of`, for the masked users only: with MASK_NUMBERS on they get the masked payload
    there, while the staff's room gets the whole one."""
    if offered_to_nobody(call):
        return (push.MASKED,)
    people = dict.fromkeys([*call.offered_ids, *([call.agent_id] if call.agent_id is not None else [])])
    return (push.MASKED_WATCHERS, *(push.masked_room(user_id) for user_id in people))


def masked_rooms_joined(user) -> list[str]:
    """The masked rooms a socket of `user` joins on connect: none unless they see numbers masked."""
    if not privacy.sees_masked(user):
        return []
    return [push.MASKED, push.masked_room(user.id), *([push.MASKED_WATCHERS] if user.watch_all else [])]


def _pop_by_view(full: dict, everyone: tuple[str, ...], masked_rooms: tuple[str, ...], region: str) -> dict:
    """Send a pop to its rooms: one emit with masking off; with it on, the whole payload to the
    staff and the masked one (built once) to the masked users. Returns the payloads by view."""
    if not settings().privacy.mask_numbers:
        push.screen_pop(full, to=list(everyone))
        return {FULL: full}
    masked = privacy.mask_pop(full, region)
    push.screen_pop(full, to=[push.STAFF])
    push.screen_pop(masked, to=list(masked_rooms))
    return {FULL: full, MASKED: masked}


def audience(call: Call, connected: Iterable[ConnectedUser]) -> Audience:
    """Of the `connected` users, those who receive `call`'s events, and the rooms they are in."""
    member = audience_test(call)
    return Audience(tuple(u for u in connected if member(u)), rooms_of(call))


def view_for(recipient: ConnectedUser) -> str:
    """Which payload a recipient gets: masked for agents while MASK_NUMBERS is on (SPEC §13)."""
    return MASKED if privacy.sees_masked(recipient) else FULL


def _audit(deliveries: list[tuple[str, int, int]], now: datetime, detail: str | None) -> None:
    # The call is stored and popped already: a failing audit write must not undo either.
    try:
        audit.record_pops(deliveries, now, detail)
    except SQLAlchemyError:
        db.session.rollback()
        log.error("pop delivery not audited", exc_info=True,
                  extra={"call_sid": deliveries[0][0] if deliveries else None})


def _deliveries(call: Call, customers: list[Customer], who: Audience) -> list[tuple[str, int, int]]:
    return [(call.call_sid, r.id, c.id) for r in who.recipients for c in customers]


def audit_with_call(call: Call, customers: list[Customer], who: Audience, *, now: datetime) -> None:
    """Audit the pop a new call is about to get, in the call's own transaction, before its commit:
    the rows are stored with the call, and a webhook pays no second transaction for them (then
    `pop_call(..., audited=True)`). A failure fails the call's storing with it, which the webhook
    answers with the fallback and the spool, as for any database failure."""
    if customers:
        audit.record_pops(_deliveries(call, customers, who), now, commit=False)


def pop_call(call: Call, customers: list[Customer], who: Audience, *, region: str, now: datetime,
             notice: Mapping[str, object] | None = None, histories: Mapping | None = None,
             names: Mapping[int, str] | None = None, audited: bool = False) -> dict:
    """Send the call's pop to its audience and audit it; returns the full payload. `notice`: what
    this one pop has to say besides (e.g. `customer_removed`), not kept on the call. `histories`:
    the customers' histories when already read (with them, as the call arrived); `names`: the
    offered agents' names, when known; `audited`: the rows were written with the call already
    (`audit_with_call`)."""
    if names is None:
        names = {u.id: u.name for u in who.recipients}
    full = {**build_screen_pop(call, customers, region, now, histories=histories, names=names), **(notice or {})}
    payloads = _pop_by_view(full, who.rooms, masked_rooms_of(call), region)
    if customers and not audited:
        _audit(_deliveries(call, customers, who), now, None)
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
    return [pop_call(call, customers_for(call), audience(call, connected), region=region, now=now,
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
    _pop_by_view(build_unavailable_pop(params, region, now), (push.EVERYONE,), (push.MASKED,), region)


def update_call(call: Call, *, now: datetime) -> None:
    """A change of the call's state (status, holder) for its audience. Updates show no customer
    and are not audited, so nobody's presence needs reading: the rooms say who."""
    push.call_update(build_call_update(call, now), to=list(rooms_of(call)))


def replay_for(user: ConnectedUser, active: list[tuple[Call, list[Customer]]], *, region: str,
               now: datetime) -> list[dict]:
    """The pops of the active calls whose audience holds `user`, for a socket of theirs that
    (re)connected, audited for that user in one write. The caller sends them (`send_replay`) once
    the connection is accepted."""
    pops, deliveries = [], []
    view = view_for(user)
    for call, customers in active:
        if not in_audience(call, user):
            continue
        pop = build_screen_pop(call, customers, region, now)
        pops.append(privacy.mask_pop(pop, region) if view == MASKED else pop)
        deliveries += [(call.call_sid, user.id, c.id) for c in customers]
    if deliveries:
        _audit(deliveries, now, "replayed on connect")
    return pops


def send_replay(sid: str, pops: list[dict]) -> None:
    for pop in pops:
        push.screen_pop(pop, to=sid)
