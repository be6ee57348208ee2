"""Call lifecycle: an inbound call is recorded once per CallSid, and its status only moves forward."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Mapping

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import LIVE_STATUSES, STATUS_RANK, TERMINAL_STATUSES, Call, Customer, FollowUp, User, utcnow
from app.services import phone_numbers, validation
from app.services.calls.recognition import customers_with_number, recognize
from app.services.care import follow_ups
from app.services.errors import Conflict, InvalidInput, NotFound, NotYourCall
from app.services.people import roles
from app.services.validation import FieldErrors

log = logging.getLogger(__name__)


class CallNotStored(Exception):
    """A provider event for a CallSid we do not hold (yet): the caller keeps it for later."""

    def __init__(self, call_sid: str):
        super().__init__(f"no call {call_sid} is stored")
        self.call_sid = call_sid


@dataclass
class InboundCall:
    call: Call
    customers: list[Customer]
    created: bool  # False for a provider retry of a CallSid we already hold
    histories: dict = field(default_factory=dict)  # the customers' histories as the call arrived
    decision: object = None  # where routing sent it (a RoutingDecision), for a call stored just now


# Every provider event reads its call by CallSid: built once, not per event.
_BY_SID = select(Call).where(Call.call_sid == bindparam("call_sid"))
_BY_SID_LOCKED = _BY_SID.with_for_update()
# A call's end asks about its survey (`surveys.after_call_ended`): read with the call, in the same
# round trip, with the call's row alone locked (a lazy load after the commit was one more).
_BY_SID_LOCKED_WITH_SURVEY = _BY_SID.options(joinedload(Call.survey)).with_for_update(of=Call)


def get_call(call_sid: str) -> Call | None:
    return db.session.scalar(_BY_SID, {"call_sid": call_sid})


def _locked_call(call_sid: str, *, with_survey: bool = False) -> Call | None:
    """The call, its row locked until this transaction ends (two events for it apply one by one);
    `with_survey`: its survey loaded too."""
    return db.session.scalar(_BY_SID_LOCKED_WITH_SURVEY if with_survey else _BY_SID_LOCKED, {"call_sid": call_sid})


def customers_for(call: Call) -> list[Customer]:
    """The customers a call's pop shows: the linked one, or every candidate for a shared number."""
    if call.customer is not None:
        return [call.customer]
    if call.match_kind == "multiple" and call.from_e164:
        return customers_with_number(call.from_e164)
    return []


def clip(value: str | None, length: int) -> str | None:
    """Provider fields are kept as sent, but a caller ID longer than any real one is cut to fit."""
    return value[:length] if value else value


def first_status(status: str | None) -> str:
    """The status a call is stored with from its first request: the provider's, unless that is
    unknown or already an end (a call is stored live; its end comes as a status callback)."""
    return status if status in STATUS_RANK and status not in TERMINAL_STATUSES else "ringing"


def receive_inbound(params: Mapping[str, str], region: str, *, arrived_at: datetime | None = None,
                    care=None, route: Callable | None = None, callback_base_url: str | None = None,
                    before_commit: Callable | None = None) -> InboundCall:
    """Record an inbound call from the provider's parameters; a repeated CallSid changes nothing.

    `arrived_at`: when the provider sent it, for a call stored late (replayed from the spool).
    `care` (the CareSettings): read the customers' histories with them, for the pop's stage and flags.
    `route(recognition, started_at)`: where the call goes (a RoutingDecision), kept on the call in
    the same commit. `callback_base_url`: where the provider reached us, for moves made later.
    `before_commit(call, customers)`: what else is stored with the new call, in its transaction
    (undone with it when the CallSid turns out to be a retry).
    """
    call_sid = (params.get("CallSid") or "").strip()
    if not call_sid:
        raise InvalidInput("CallSid is missing", fields={"CallSid": ["required"]})
    if len(call_sid) > 64:
        raise InvalidInput("CallSid is longer than 64 characters", fields={"CallSid": ["too long"]})
    # No read first to see whether the CallSid is known: a provider retry is rare, and the unique
    # CallSid turns it into an IntegrityError below, so a new call pays no extra round trip.
    started_at = arrived_at or utcnow()
    recognition = recognize(params.get("From"), region, care=care, at=started_at)
    call = Call(
        call_sid=call_sid,
        account_sid=clip(params.get("AccountSid"), 64),
        from_raw=clip(params.get("From"), 255),
        from_e164=recognition.from_e164,
        to_raw=clip(params.get("To"), 255),
        to_e164=phone_numbers.normalize(params.get("To"), region),
        match_kind=recognition.match_kind,
        customer=recognition.customer,
        status=first_status(params.get("CallStatus")),
        started_at=started_at,
    )
    call.news_at = call.started_at
    call.callback_base_url = clip(callback_base_url, 255)
    decision = route(recognition, started_at) if route is not None else None
    if decision is not None:
        apply_decision(call, decision, started_at)
    db.session.add(call)
    try:
        if before_commit is not None:
            before_commit(call, recognition.customers)  # may flush the call: inside the try
        _commit_keeping_loaded()
    except IntegrityError:
        # A provider retry, or the same CallSid arriving twice at once (two processes): the
        # call stored first stands.
        db.session.rollback()
        existing = get_call(call_sid)
        if existing is None:
            raise
        return InboundCall(existing, customers_for(existing), created=False)
    return InboundCall(call, recognition.customers, created=True, histories=recognition.histories,
                       decision=decision)


def apply_decision(call: Call, decision, now: datetime) -> None:
    """Keep where routing sent the call (SPEC §11): its reason, who it is offered to (they join its
    audience), who knows the caller; a queued caller joins the line. The caller commits."""
    from app.services.calls import queue

    call.routing_reason = decision.reason
    call.offer_to(decision.agent_ids)
    if decision.known is not None:
        call.known_because = decision.known.because
        call.known_at = decision.known.at
    if decision.reason == "queued":
        queue.enqueue(call, now)


def _commit_keeping_loaded() -> None:
    """Commit without expiring what this transaction loaded and wrote.

    The pop (or call update) is built from the call and its customers right after the commit; with
    them expired, building it reloaded each one, a round trip apiece before any agent saw the call.
    They are exactly what was committed, so keeping them is safe.
    """
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _advance(call: Call, status: str, sequence: int | None, duration: int | None, at: datetime) -> bool:
    """Move `call` to `status` as of `at` (when the provider sent it) if that is forward; True when
    anything an agent sees changed."""
    if sequence is not None:
        if sequence <= call.status_sequence:
            return False
        call.status_sequence = sequence
    if call.ended or STATUS_RANK[status] <= STATUS_RANK[call.status]:
        return False
    call.status = status
    if status == "in-progress" and call.answered_at is None:
        call.answered_at = at
    if status in TERMINAL_STATUSES:
        call.ended_at = at
        if duration is not None:
            call.duration = duration
        elif call.answered_at is not None:
            call.duration = max(0, int((at - call.answered_at).total_seconds()))
    return True


def _heard_of(call: Call, at: datetime) -> None:
    """The provider said something about `call` at `at`: it is not a ghost (SPEC §3)."""
    if call.news_at is None or at > call.news_at:
        call.news_at = at
    call.unsettled = False


def _parse_int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, got {value!r}", {name: ["not a number"]})


def apply_status(call_sid: str, status: str, sequence: str | None, duration: str | None, *,
                 at: datetime) -> Call | None:
    """Apply a status callback sent at `at`; returns the call when it changed, None when there is
    nothing to say; raises CallNotStored when there is no such call (yet).

    Late, repeated and out-of-order callbacks (lower SequenceNumber, or an earlier state than the
    call already reached) are ignored, so a finished call never comes back to life.
    """
    if status not in STATUS_RANK:
        raise InvalidInput(f"unknown CallStatus {status!r}", {"CallStatus": ["unknown status"]})
    seq = _parse_int(sequence, "SequenceNumber")
    dur = _parse_int(duration, "CallDuration")
    call = _locked_call(call_sid, with_survey=status in TERMINAL_STATUSES)
    if call is None:
        db.session.rollback()
        raise CallNotStored(call_sid)
    _heard_of(call, at)
    changed = _advance(call, status, seq, dur, at)
    _commit_keeping_loaded()
    return call if changed else None


def apply_agent_leg(parent_sid: str, agent_id: int, leg_status: str, *, at: datetime) -> Call | None:
    """An agent's phone answered (at `at`) the call we dialled them on: the call is now theirs,
    even if someone else clicked "I'm taking this" first; the caller is talking to this agent.
    Raises CallNotStored when the call is not stored (yet)."""
    if leg_status not in ("in-progress", "answered"):
        return None
    call = _locked_call(parent_sid)
    if call is None:
        db.session.rollback()
        raise CallNotStored(parent_sid)
    agent = db.session.get(User, agent_id)
    if agent is None or call.ended:
        db.session.commit()  # nothing changes; whatever else this transaction holds stands
        return None
    _heard_of(call, at)
    changed = False
    if call.agent_id != agent.id:
        if call.agent_id is not None:
            call.offer_to([call.agent_id])  # whoever clicked first still hears how it ends
        call.agent = agent
        changed = True
    if call.connected_at is None:
        call.connected_at = at
    changed = _advance(call, "in-progress", None, None, at) or changed
    db.session.commit()
    return call if changed else None


def record_voicemail(call_sid: str, recording_url: str | None, *, follow_up_hours: int, now: datetime) -> Call | None:
    """Keep the voicemail's recording on its call, and open the follow-up that calls the caller
    back (SPEC §9a); None when there is no recording; raises CallNotStored when the call is not
    stored (yet)."""
    if not recording_url:
        return None
    if not recording_url.startswith(("https://", "http://")):
        # Desktops link to it: only a web address, never a javascript: or data: URL.
        raise InvalidInput("RecordingUrl must be an http(s) URL", {"RecordingUrl": ["not a web address"]})
    call = get_call(call_sid)
    if call is None:
        raise CallNotStored(call_sid)
    call.recording_url = recording_url[:500]
    follow_ups.open_for_voicemail(call, hours=follow_up_hours, now=now)
    db.session.commit()
    return call


def active_calls(stale_hours: int, now: datetime) -> list[Call]:
    """Calls that have not ended, oldest first; one with no final status `stale_hours` before `now`
    is stale and left out."""
    since = now - timedelta(hours=stale_hours)
    stmt = (
        select(Call)
        .where(Call.status.not_in(TERMINAL_STATUSES), Call.started_at >= since)
        .options(selectinload(Call.agent), selectinload(Call.customer))
        .order_by(Call.started_at, Call.id)
    )
    return list(db.session.scalars(stmt))


# Past this many, an agent has a backlog for a supervisor, not a desktop list.
MAX_UNWRAPPED = 100


def unwrapped_calls(agent_id: int, window_hours: int, now: datetime) -> list[Call]:
    """The calls `agent_id` held that ended within `window_hours` before `now` with no
    disposition yet, newest first: a desktop reloaded mid-wrap-up offers them again."""
    stmt = (
        select(Call)
        .where(Call.agent_id == agent_id, Call.status.in_(TERMINAL_STATUSES), Call.disposition.is_(None),
               Call.ended_at >= now - timedelta(hours=window_hours))
        .options(selectinload(Call.agent), selectinload(Call.customer))
        .order_by(Call.ended_at.desc(), Call.id.desc())
        .limit(MAX_UNWRAPPED)
    )
    return list(db.session.scalars(stmt))


def recent_calls(page: int, per_page: int, agent_id: int | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> tuple[list[Call], int]:
    """Calls newest first, one page of them, with what their pops show loaded up front.

    With `agent_id`, only the calls that agent took (an agent's own history); `since` and `until`
    narrow them to those that started in that time.
    """
    conditions = [Call.agent_id == agent_id] if agent_id is not None else []
    conditions += [Call.started_at >= since] if since is not None else []
    conditions += [Call.started_at < until] if until is not None else []
    stmt = select(Call).where(*conditions)
    count = select(func.count(Call.id)).where(*conditions)
    total = db.session.scalar(count)
    stmt = (
        stmt.options(
            selectinload(Call.agent),
            selectinload(Call.customer).selectinload(Customer.preferences),
            selectinload(Call.customer).selectinload(Customer.complaints),
        )
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(db.session.scalars(stmt)), total or 0


# --- working the call: claim, link, wrap-up (SPEC §9) ---------------------------------------------

CALL_FIELDS = frozenset({"customer_id", "notes", "disposition"})


@dataclass
class ClaimedCall:
    call: Call
    changed: bool  # False when the agent already held the call: nothing for the others to hear


@dataclass
class CallChange:
    call: Call
    linked: bool  # True when this change linked the call to a customer: its pop must be sent again


def _reloaded(call_sid: str) -> Call | None:
    """The call as the database holds it now, not as this session last saw it."""
    return db.session.scalar(
        select(Call).where(Call.call_sid == call_sid).execution_options(populate_existing=True)
    )


def claim_call(call_sid: str, agent_id: int) -> ClaimedCall:
    """An agent takes the call ("I'm taking this"); of two agents claiming at once exactly one wins.

    The claim is one conditional UPDATE, so the database decides the race: whoever's statement runs
    second finds the call already held and changes nothing. Claiming a call one already holds is
    fine and changes nothing; claiming someone else's raises Conflict naming them, and so does
    claiming a call that has ended.

    An outbound call (a callback from the care list) is never taken: it rings the agent who placed
    it, on their own phone, and nobody else can be on it. Claiming one is a Conflict naming it, and
    it never sets `connected_at`: that says the customer was reached, which closes the follow-up
    the callback answers. Its own agent claiming it changes nothing, like any call they hold.
    """

    now = utcnow()
    taken = db.session.execute(
        update(Call)
        .where(Call.call_sid == call_sid, Call.agent_id.is_(None), Call.status.in_(LIVE_STATUSES),
               Call.direction != "outbound")
        .values(agent_id=agent_id, claimed_at=now, connected_at=func.coalesce(Call.connected_at, now))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        # Held already: by this agent (the phone they answered may have set it), stamp when it was claimed.
        db.session.execute(
            update(Call)
            .where(Call.call_sid == call_sid, Call.agent_id == agent_id, Call.claimed_at.is_(None))
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    call = _reloaded(call_sid)
    if call is None:
        raise NotFound(f"call {call_sid} does not exist")
    if call.agent_id != agent_id and call.ended:
        raise Conflict(f"call {call_sid} has ended ({call.status}); there is nothing to take",
                       {"call_sid": [f"ended: {call.status}"]})
    if call.agent_id != agent_id and call.direction == "outbound":
        placer = call.agent.display_name if call.agent is not None else "an agent"
        raise Conflict(f"call {call_sid} is a callback placed by {placer}: it rings their phone and cannot be taken",
                       {"call_sid": [f"a callback placed by {placer}"]})
    if call.agent_id != agent_id:
        holder = call.agent.display_name if call.agent is not None else "another agent"
        raise Conflict(f"call {call_sid} is already taken by {holder}", {"call_sid": [f"taken by {holder}"]})
    return ClaimedCall(call, changed=bool(taken))


def release_call(call_sid: str, user: User) -> Call:
    """Give a held call back: nobody holds it, and any agent it is offered to may take it.

    Its holder may, and so may a supervisor or admin (NotYourCall for anyone else); a call that
    has ended, or that nobody holds, is a Conflict. So is an outbound call (a callback from the
    care list): its agent is on the line from their own phone, nobody else could pick it up, and
    taking it again would fake the customer being reached (see `claim_call`).
    """
    call = _locked_call(call_sid)
    if call is None:
        db.session.rollback()
        raise NotFound(f"call {call_sid} does not exist")
    problem = None
    if call.ended:
        problem = Conflict(f"call {call_sid} has ended ({call.status}); there is nothing to give back",
                           {"call_sid": [f"ended: {call.status}"]})
    elif call.direction == "outbound":
        problem = Conflict(f"call {call_sid} is a callback placed from the care list: it cannot be given back",
                           {"call_sid": ["a callback: it stays with the agent who placed it"]})
    elif call.agent_id is None:
        problem = Conflict(f"nobody holds call {call_sid}", {"call_sid": ["not held"]})
    elif call.agent_id != user.id and not roles.has_role(user, "supervisor"):
        holder = call.agent.display_name if call.agent is not None else "another agent"
        problem = NotYourCall(f"call {call_sid} is held by {holder}: only they, a supervisor or an admin can "
                              "give it back", {"call_sid": [f"held by {holder}"]})
    if problem is not None:
        db.session.rollback()
        raise problem
    call.offer_to([call.agent_id])  # the agent who gave it back still hears how it ends
    call.agent = None
    call.claimed_at = None
    db.session.commit()
    return call


def live_call_sids_of(customer_id: int) -> list[str]:
    """The CallSids of `customer_id`'s calls still going on."""
    return list(db.session.scalars(
        select(Call.call_sid).where(Call.customer_id == customer_id, Call.status.in_(LIVE_STATUSES))))


def unlink_live_calls(customer_id: int) -> list[Call]:
    """Before a customer is deleted: their calls still going on keep the caller's number and are
    matched again without them (another holder of the number, several, or nobody), so the agent
    keeps a workable call. Commits; returns those calls."""
    live = list(db.session.scalars(
        select(Call).where(Call.customer_id == customer_id, Call.status.in_(LIVE_STATUSES)).with_for_update()))
    for call in live:
        others = [c for c in customers_with_number(call.from_e164) if c.id != customer_id] if call.from_e164 else []
        call.customer = others[0] if len(others) == 1 else None
        if others:
            call.match_kind = "single" if len(others) == 1 else "multiple"
        else:
            call.match_kind = "withheld" if phone_numbers.is_withheld(call.from_raw) else "none"
    db.session.commit()
    return live


def update_call(
    call_sid: str, changes: Mapping[str, object], *, user: User, dispositions: tuple[str, ...] | list[str]
) -> CallChange:
    """Link the call to a customer and/or record its wrap-up (notes, disposition); commits once.

    Once the call is held (claimed, or answered on an agent's phone), only its holder, a
    supervisor or an admin may change it; anyone else gets NotYourCall and nothing changes.

    `customer_id` links the call (an unknown caller just created, or one of several candidates
    chosen): the call becomes a `single` match, remembered with who linked it and when. `notes`
    and `disposition` may be null to clear them; a disposition must be one of `dispositions`.
    """

    validation.refuse_unknown(changes, CALL_FIELDS)
    call = get_call(call_sid)
    if call is None:
        raise NotFound(f"call {call_sid} does not exist")
    if call.agent_id is not None and call.agent_id != user.id and not roles.has_role(user, "supervisor"):
        holder = call.agent.display_name if call.agent is not None else "another agent"
        raise NotYourCall(f"call {call_sid} is held by {holder}: only they, a supervisor or an admin can change it",
                          {"call_sid": [f"held by {holder}"]})
    errors = FieldErrors()
    customer = None
    if "customer_id" in changes:
        customer_id = changes["customer_id"]
        if isinstance(customer_id, bool) or not isinstance(customer_id, int):
            errors.add("customer_id", "must be a customer id")
        else:
            customer = db.session.get(Customer, customer_id) if validation.is_id(customer_id) else None
            if customer is None:
                errors.add("customer_id", f"customer {customer_id} does not exist")
    notes = validation.text(errors, "notes", changes.get("notes"), required=False)
    disposition = changes.get("disposition")
    if disposition is not None and disposition not in dispositions:
        errors.add("disposition", f"{disposition!r} is not one of: {', '.join(dispositions)}")
    errors.raise_if_any()

    linked = False
    if customer is not None:
        linked = True
        call.customer = customer
        call.match_kind = "single"
        call.linked_by_id = user.id
        call.linked_at = utcnow()
    if "notes" in changes:
        call.notes = notes
    if "disposition" in changes:
        call.disposition = disposition
        if disposition is not None and call.wrapped_at is None:
            call.wrapped_at = utcnow()  # the wrap-up ends here: handle time counts up to it (SPEC §12)
            _close_called_back(call, user)
    db.session.commit()
    return CallChange(call, linked)


def _close_called_back(call: Call, user: User) -> None:
    """A callback placed from the care list is wrapped up: the follow-up it answered is done, when
    the customer was reached. A callback nobody answered leaves it open, for another try."""
    if call.callback_follow_up_id is None or call.connected_at is None:
        return
    follow_up = db.session.get(FollowUp, call.callback_follow_up_id)
    if follow_up is None or follow_up.status != "open":
        return
    follow_up.status, follow_up.done_at, follow_up.done_by_id = "done", call.wrapped_at, user.id
    follow_up.owner_id = follow_up.owner_id or user.id
    follow_up.outcome = f"Called back: {call.disposition}" + (f" — {call.notes}" if call.notes else "")

