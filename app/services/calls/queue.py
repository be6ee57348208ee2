"""The line of waiting callers (SPEC §11): who waits, in what order, and moving the first of them
to an agent who became offerable, through the provider's REST API.

The line's order is the customer's tier (vip, gold, silver, standard; unknown callers as
standard), then how long they have waited. It lives in the database (`calls.queue_*`), so every
server process sees the same line, and a move is claimed there first: of two processes moving at
once, exactly one moves a given caller, and each agent gets one caller at a time.

A move the provider refuses (or does not answer) leaves the caller waiting where they were; it is
logged and tried again after QUEUE_RETRY_SECONDS. A caller is never dropped from the line by us:
they leave it by being moved, by asking for a callback, by reaching QUEUE_MAX_WAIT_SECONDS (then
voicemail) or by hanging up.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import aliased, selectinload

from app.extensions import db
from app.models import LIVE_STATUSES, Call, FollowUp, User, isoformat, utcnow
from app.services import phone_numbers, privacy
from app.services.calls.routing import TIER_RANK, UNKNOWN_TIER_RANK

log = logging.getLogger(__name__)

WAITING, MOVING, MOVED, CALLBACK, VOICEMAIL, LEFT = "waiting", "moving", "moved", "callback", "voicemail", "left"
# How a caller left the line (the <Enqueue>'s QueueResult) when they are to leave a voicemail: out of
# time (we said <Leave/>), or the provider's queue failed them.
TO_VOICEMAIL = ("leave", "error", "system-error", "queue-full")
# A claim older than this was left by a process that stopped mid-move: the line takes it back (a
# move that did reach the provider has rung its agent out, DIAL_TIMEOUT_SECONDS, by then).
STALE_CLAIM_SECONDS = 60
# The line as listed, at most (a queue longer than this is a supervisor's emergency, not a list).
MAX_LISTED = 200


def tier_rank(customer) -> int:
    return TIER_RANK.get(customer.tier, UNKNOWN_TIER_RANK) if customer is not None else UNKNOWN_TIER_RANK


def enqueue(call: Call, now: datetime) -> None:
    """Put the caller in line (again: a caller back from an agent who did not answer keeps their
    place). Added to the session; the caller commits."""
    if call.queued_at is None:
        call.queued_at = now
    call.queue_tier = tier_rank(call.customer)
    call.queue_state = WAITING
    call.queue_agent_id = None
    call.queue_claimed_at = None


def _in_line(now: datetime):
    """Waiting calls, and calls a stopped process claimed and never moved (nobody answered them:
    a call an agent answered is never taken back)."""
    return _in_line_claimed_before(_stale_before(now))


def _stale_before(now: datetime) -> datetime:
    """A claim made before this was made by a process that stopped."""
    return now - timedelta(seconds=STALE_CLAIM_SECONDS)


def _in_line_claimed_before(stale_before):
    """`_in_line`, a claim older than `stale_before` (a time, or a bind parameter) counting as stale."""
    return and_(Call.status.in_(LIVE_STATUSES), or_(
        Call.queue_state == WAITING,
        and_(Call.queue_state == MOVING, Call.agent_id.is_(None), Call.queue_claimed_at < stale_before)))


def line(now: datetime, limit: int = MAX_LISTED) -> list[Call]:
    """The waiting calls in the line's order."""
    stmt = (select(Call).where(_in_line(now)).options(selectinload(Call.customer))
            .order_by(Call.queue_tier, Call.queued_at, Call.id).limit(limit))
    return list(db.session.scalars(stmt))


# Every inbound call asks (a new caller does not jump the line): built once, as building it cost
# more than the count itself. The webhook reads it as a column of its floor read (`IN_LINE_COUNT`).
_WAITING_COUNT = select(func.count(Call.id)).where(_in_line_claimed_before(bindparam("stale_before")))
IN_LINE_COUNT = _WAITING_COUNT.scalar_subquery()


def waiting_params(now: datetime) -> dict:
    """The bind parameters of `IN_LINE_COUNT` (and `waiting_count`) at `now`."""
    return {"stale_before": _stale_before(now)}


def waiting_count(now: datetime) -> int:
    """The callers in line (`_in_line`) at `now`."""
    return db.session.scalar(_WAITING_COUNT, waiting_params(now)) or 0


def position(call: Call, now: datetime) -> int:
    """The caller's place in line, 1 for the next one to be moved."""
    ahead = db.session.scalar(select(func.count(Call.id)).where(
        _in_line(now), Call.id != call.id,
        or_(Call.queue_tier < call.queue_tier,
            and_(Call.queue_tier == call.queue_tier,
                 or_(Call.queued_at < call.queued_at, and_(Call.queued_at == call.queued_at, Call.id < call.id))))))
    return (ahead or 0) + 1


def items(now: datetime, region: str, *, masked: bool = False) -> list[dict]:
    """The line as GET /api/v1/queue and the `queue_update` event show it; `masked`: as an agent
    sees it with MASK_NUMBERS on (SPEC §13)."""
    return views(now, region, masked=masked)[masked]


def views(now: datetime, region: str, *, masked: bool) -> dict[bool, list[dict]]:
    """The line read once, shown whole (`False`) and, when `masked`, masked too (`True`)."""
    whole, hidden = [], []
    for place, call in enumerate(line(now), start=1):
        customer = call.customer
        item = {
            "call_sid": call.call_sid,
            "position": place,
            "waiting_seconds": max(0, int((now - call.queued_at).total_seconds())),
            "queued_at": isoformat(call.queued_at),
            "customer": {"id": customer.id, "name": customer.name, "tier": customer.tier} if customer else None,
            "from_display": phone_numbers.display(call.from_e164, region) if call.from_e164 else None,
        }
        whole.append(item)
        if masked:
            hidden.append({**item, "from_display": privacy.mask(call.from_e164, region)})
    return {False: whole, True: hidden}


def leave(call: Call, state: str) -> None:
    """The caller left the line (a callback, voicemail, or they hung up). The caller commits."""
    if call.queue_state in (WAITING, MOVING, MOVED):
        call.queue_state = state
        call.queue_claimed_at = None


def request_callback(call: Call, *, hours: int, now: datetime, care=None, known_agent_days: int = 30) -> FollowUp:
    """The caller pressed 1 in line: the call ends, and someone owes them a call back within
    `hours` (a `callback_requested` follow-up, one per call), owned by the agent who knows them
    when there is one (`care`: the CareSettings to read their history with). Commits."""
    from app.services.calls.routing import known_agents
    from app.services.care import follow_ups, stage

    leave(call, CALLBACK)
    owner_id = None
    if call.customer is not None and care is not None:
        history = stage.histories([call.customer_id], care, at=now, call_id=call.id).get(call.customer_id)
        open_complaints = [c for c in call.customer.complaints if c.status != "resolved"]
        known = known_agents(history, open_complaints, days=known_agent_days, now=now)
        owner_id = known[0].agent_id if known else None
    follow_up = follow_ups.open_for_callback(call, hours=hours, now=now, owner_id=owner_id)
    db.session.commit()
    return follow_up


# --- moving callers to agents ---------------------------------------------------------------------

@dataclass(frozen=True)
class Move:
    """A caller claimed for an agent: the call's id and sid, and the agent's id and dial target."""

    call_id: int
    call_sid: str
    agent: tuple[int, str, str]
    base_url: str | None


def _busy(agent_id: int):
    """The agent holds a live call, or a caller is on the way to them from the line: an EXISTS
    over another alias of calls, so it can sit inside an UPDATE of calls and be decided with it."""
    other = aliased(Call)
    return select(other.id).where(other.status.in_(LIVE_STATUSES), or_(
        other.agent_id == agent_id,
        and_(other.queue_agent_id == agent_id, other.queue_state.in_((MOVING, MOVED)), other.agent_id.is_(None)),
    )).exists()


def claim_for(agent: tuple[int, str, str], now: datetime, skip: set[int] | frozenset = frozenset()) -> Move | None:
    """Claim the first caller in line for `agent` (who was offerable when the floor was read), or
    None: nobody waits, they chose away since, or they hold a call or have a caller on the way.
    `skip`: calls not to claim in this pass (the provider just refused to move them). Commits.

    The agent's row is locked first, so two processes cannot each send them a caller; the call is
    claimed by one conditional UPDATE that also says the agent is still free (SQLite locks no row,
    so the statement itself must decide), so two processes cannot move the same caller. A claim
    that loses the race to another process tries the next caller, so nobody is skipped.
    """
    agent_id = agent[0]
    chosen = db.session.scalar(select(User.status).where(User.id == agent_id).with_for_update())
    if chosen == "away" or db.session.scalar(select(_busy(agent_id))):
        db.session.rollback()
        return None
    for _ in range(5):
        stmt = select(Call.id, Call.call_sid, Call.queue_state, Call.callback_base_url).where(_in_line(now))
        if skip:
            stmt = stmt.where(Call.id.not_in(skip))
        first = db.session.execute(stmt.order_by(Call.queue_tier, Call.queued_at, Call.id).limit(1)).first()
        if first is None:
            db.session.rollback()
            return None
        taken = db.session.execute(
            update(Call).where(Call.id == first.id, Call.queue_state == first.queue_state, _in_line(now),
                               ~_busy(agent_id))
            .values(queue_state=MOVING, queue_claimed_at=now, queue_agent_id=agent_id,
                    queue_attempts=Call.queue_attempts + 1)
            .execution_options(synchronize_session=False)).rowcount
        if taken:
            db.session.commit()
            return Move(first.id, first.call_sid, agent, first.callback_base_url)
    db.session.rollback()
    return None


def moved(move: Move) -> Call | None:
    """The provider took the move: the caller is ringing the agent, who is now in the call's
    audience. Commits; the call, or None if it ended meanwhile."""
    call = db.session.get(Call, move.call_id, populate_existing=True)
    if call is None:
        return None
    if call.queue_state == MOVING and call.queue_agent_id == move.agent[0]:
        call.queue_state = MOVED
        call.queue_claimed_at = None
        call.queue_error = None
        call.offer_to([move.agent[0]])
    db.session.commit()
    return call


def move_failed(move: Move, error: str) -> None:
    """The provider refused the move, or did not answer: the caller waits where they were (their
    `queued_at` is untouched) and the next attempt tries again. Commits."""
    db.session.execute(
        update(Call).where(Call.id == move.call_id, Call.queue_state == MOVING, Call.queue_agent_id == move.agent[0])
        .values(queue_state=WAITING, queue_claimed_at=None, queue_agent_id=None, queue_error=error[:500])
        .execution_options(synchronize_session=False))
    db.session.commit()


def dispatch(offerable: list[tuple[int, str, str]], send: Callable[[Move], None]) -> list[Call]:
    """Move the first callers in line to these offerable agents (in the order given), one each,
    with `send` (which asks the provider to move the call, raising on refusal); each move the
    provider took is marked at once. Returns the calls moved. A caller the provider refused to
    move keeps their place but is not tried again in this pass, so they hold up nobody behind them."""
    done, refused = [], set()
    for agent in offerable:
        move = claim_for(agent, utcnow(), skip=refused)
        if move is None:
            if not waiting_count(utcnow()):
                break
            continue
        try:
            send(move)
        except Exception as exc:  # the provider's refusal, or no answer: the caller stays in line
            log.warning("could not move a waiting caller to an agent; will retry: %s", exc,
                        extra={"call_sid": move.call_sid, "agent_id": agent[0]})
            move_failed(move, str(exc) or type(exc).__name__)
            refused.add(move.call_id)
            continue
        call = moved(move)
        if call is not None:
            done.append(call)
    return done
