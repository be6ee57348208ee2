"""Each inbound call remembers when the same caller called before and after it
(`calls.previous_call_at`, `calls.next_call_at`), so the supervisor's figures (repeat calls,
first-contact resolution, SPEC §12) read them off the call instead of sorting every call of the
range by caller: over a year of 1,000,000 calls that sort was most of 3.3 s (docs/BENCHMARK.md).

The caller is the customer, or for an unknown caller the number: the same partition the figures
used to compute with window functions. A withheld unknown caller's calls can't be linked and keep
neither. Outbound calls (callbacks) are nobody's neighbours.

The links are kept by one session hook, so no code path that stores a call can forget them: after
every flush that adds, deletes or re-attributes an inbound call, the calls around it in its
caller's history (old and new, when an agent links an unknown caller to a customer) are read and
corrected, in the same transaction. A new call costs one read and one write. Bulk statements that
move calls between callers (merging customers) call `restitch` for the caller they move to.

Two calls from the same caller stored at the same instant by two processes can't see each other
before they commit, so each may miss the other as its neighbour; `relink_all` (`flask
relink-calls`) recomputes every link, as migration 0015 first computed them.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    case,
    cast,
    event,
    exists,
    func,
    insert,
    null,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, attributes
from sqlalchemy.orm.util import identity_key

from app.models import Call

calls = Call.__table__
_WATCHED = ("customer_id", "from_e164", "started_at", "direction")


class Caller(NamedTuple):
    """Whose calls a call is among: a customer, or (customer_id None) an unknown caller's number."""

    customer_id: int | None
    number: str | None


def caller_of(customer_id: int | None, number: str | None, direction: str | None) -> Caller | None:
    """The caller whose history an inbound call belongs to; None when it can't be linked."""
    if direction not in (None, "inbound"):
        return None
    if customer_id is not None:
        return Caller(customer_id, None)
    return Caller(None, number) if number else None


def _of_caller(by_customer: bool):
    """One caller's inbound calls: by the parameter `customer_id`, or by `number` for calls linked
    to no customer."""
    who = (calls.c.customer_id == bindparam("customer_id") if by_customer
           else and_(calls.c.customer_id.is_(None), calls.c.from_e164 == bindparam("number")))
    return and_(who, calls.c.direction == "inbound")


def _calls_statement(by_customer: bool, around: bool):
    """A caller's calls, all of them, or (`around`) from the last before `low` to the first after
    `high`: built once per kind, as every new inbound call reads one and building it cost more than
    running it."""
    of_caller = _of_caller(by_customer)
    stmt = (select(calls.c.id, calls.c.started_at, calls.c.previous_call_at, calls.c.next_call_at)
            .where(of_caller).order_by(calls.c.started_at, calls.c.id))
    if around:
        low, high = bindparam("low", type_=DateTime()), bindparam("high", type_=DateTime())
        before = select(func.max(calls.c.started_at)).where(of_caller, calls.c.started_at < low).scalar_subquery()
        after = select(func.min(calls.c.started_at)).where(of_caller, calls.c.started_at > high).scalar_subquery()
        stmt = stmt.where(calls.c.started_at >= func.coalesce(before, low),
                          calls.c.started_at <= func.coalesce(after, high))
    return stmt


_CALLS = {(by_customer, around): _calls_statement(by_customer, around)
          for by_customer in (True, False) for around in (True, False)}


def restitch(connection: Connection, caller: Caller, around: list[datetime] | None = None) -> dict[int, tuple]:
    """Correct the links of `caller`'s calls around the times in `around` (the calls at those
    times and their nearest neighbours), or of all their calls when `around` is None. Returns the
    corrected links by call id."""
    by_customer = caller.customer_id is not None
    stmt = _CALLS[by_customer, bool(around)]
    params = {"customer_id": caller.customer_id} if by_customer else {"number": caller.number}
    if around:
        params.update(low=min(around), high=max(around))
    rows = connection.execute(stmt, params).all()
    corrected = {}
    for i, row in enumerate(rows):
        # The first and last rows read may be the untouched neighbours: what lies beyond them
        # wasn't read, and didn't change.
        if i > 0:
            previous = rows[i - 1].started_at
        else:
            previous = row.previous_call_at if around and row.started_at < min(around) else None
        if i < len(rows) - 1:
            following = rows[i + 1].started_at
        else:
            following = row.next_call_at if around and row.started_at > max(around) else None
        if (previous, following) != (row.previous_call_at, row.next_call_at):
            corrected[row.id] = (previous, following)
    if corrected:
        connection.execute(
            update(calls).where(calls.c.id.in_(corrected))
            .values(previous_call_at=_by_id({i: p for i, (p, _) in corrected.items()}),
                    next_call_at=_by_id({i: n for i, (_, n) in corrected.items()})))
    return corrected


def _by_id(values: dict[int, datetime | None]):
    # A CASE of bare NULLs is text to PostgreSQL: cast them (a cast of the whole CASE would turn
    # SQLite's text timestamps into numbers).
    return case({i: cast(null(), DateTime()) if at is None else at for i, at in values.items()}, value=calls.c.id)


def _all_links():
    caller_number = case((calls.c.customer_id.is_(None), calls.c.from_e164), else_=None)
    window = {"partition_by": (calls.c.customer_id, caller_number), "order_by": (calls.c.started_at, calls.c.id)}
    return (select(calls.c.id, func.lag(calls.c.started_at).over(**window).label("previous_at"),
                   func.lead(calls.c.started_at).over(**window).label("next_at"))
            .where(calls.c.direction == "inbound", calls.c.customer_id.is_not(None) | calls.c.from_e164.is_not(None)))


def restitch_all(connection: Connection) -> int:
    """Recompute every call's links in one transaction (tests, demo data); returns the calls corrected."""
    linked = _all_links().subquery("linked")
    corrected = connection.execute(
        update(calls).where(calls.c.id == linked.c.id,
                            calls.c.previous_call_at.is_distinct_from(linked.c.previous_at)
                            | calls.c.next_call_at.is_distinct_from(linked.c.next_at))
        .values(previous_call_at=linked.c.previous_at, next_call_at=linked.c.next_at)).rowcount
    linkable = and_(calls.c.direction == "inbound", calls.c.customer_id.is_not(None) | calls.c.from_e164.is_not(None))
    corrected += connection.execute(
        update(calls).where(~linkable, calls.c.previous_call_at.is_not(None) | calls.c.next_call_at.is_not(None))
        .values(previous_call_at=None, next_call_at=None)).rowcount
    return corrected


def relink_all(engine: Engine, batch: int = 20_000) -> int:
    """Recompute every call's links without holding the calls for long (`flask relink-calls`, the
    benchmark): on PostgreSQL the links are computed once, then written `batch` calls per committed
    transaction, so the webhooks storing calls meanwhile never wait long. Returns the calls corrected."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:
            return restitch_all(connection)
    corrected = 0
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        links = Table("call_links", MetaData(), Column("id", Integer), Column("previous_at", DateTime),
                      Column("next_at", DateTime), prefixes=["TEMPORARY"])
        links.create(connection)
        try:
            connection.execute(insert(links).from_select(["id", "previous_at", "next_at"], _all_links()))
            highest = connection.scalar(select(func.max(calls.c.id))) or 0
            for low in range(0, highest + 1, batch):
                in_batch = and_(calls.c.id >= low, calls.c.id < low + batch)
                corrected += connection.execute(
                    update(calls).where(calls.c.id == links.c.id, in_batch,
                                        calls.c.previous_call_at.is_distinct_from(links.c.previous_at)
                                        | calls.c.next_call_at.is_distinct_from(links.c.next_at))
                    .values(previous_call_at=links.c.previous_at, next_call_at=links.c.next_at)).rowcount
                unlinked = ~exists().where(links.c.id == calls.c.id)
                corrected += connection.execute(
                    update(calls).where(in_batch, unlinked,
                                        calls.c.previous_call_at.is_not(None) | calls.c.next_call_at.is_not(None))
                    .values(previous_call_at=None, next_call_at=None)).rowcount
        finally:
            links.drop(connection)
    return corrected


def _before_flush(session: Session, _context, _instances) -> None:
    # Whose history a changed call was in before this flush, read from its row: the object may not
    # hold the old values (expired at the last commit, or `call.customer` set, which reaches
    # customer_id only during the flush). Only a call whose caller or time changes costs a read.
    was = session.info.setdefault("calls_before_flush", {})
    for obj in session.dirty:
        state = attributes.instance_state(obj)
        if isinstance(obj, Call) and state.key is not None:
            if any(state.attrs[name].history.has_changes() for name in (*_WATCHED, "customer")):
                row = session.connection().execute(
                    select(calls.c.customer_id, calls.c.from_e164, calls.c.direction, calls.c.started_at)
                    .where(calls.c.id == state.key[1][0])).first()
                if row is not None:
                    was[id(obj)] = (caller_of(row.customer_id, row.from_e164, row.direction), row.started_at)


def _after_flush(session: Session, _context) -> None:
    was = session.info.pop("calls_before_flush", {})
    touched: dict[Caller, list[datetime]] = {}

    def touch(caller, at):
        if caller is not None and at is not None:
            touched.setdefault(caller, []).append(at)

    for obj in session.new:
        if isinstance(obj, Call):
            touch(caller_of(obj.customer_id, obj.from_e164, obj.direction), obj.started_at)
    for obj in session.deleted:
        if isinstance(obj, Call):
            touch(caller_of(obj.customer_id, obj.from_e164, obj.direction), obj.started_at)
    for obj in session.dirty:
        if isinstance(obj, Call) and id(obj) in was:
            before = was[id(obj)]
            now = (caller_of(obj.customer_id, obj.from_e164, obj.direction), obj.started_at)
            if before != now:
                touch(*before)
                touch(*now)
    if not touched:
        return
    connection = session.connection()
    for caller, around in touched.items():
        for call_id, (previous, following) in restitch(connection, caller, around).items():
            obj = session.identity_map.get(identity_key(Call, call_id))
            if obj is not None:  # what the session holds says what the row says
                attributes.set_committed_value(obj, "previous_call_at", previous)
                attributes.set_committed_value(obj, "next_call_at", following)


def keep_linked() -> None:
    """Install the hooks on every session (create_app calls this once)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
