"""What the provider's events do, whether they arrive live or are replayed from the spool.

Each function commits once and then pushes, so a desktop never hears of something that is not
stored. The webhook views call these; so does the spool replay when the database comes back.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import Call, OrphanEvent, User, utcnow
from app.services.calls import delivery, orphans, queue, routing, spool
from app.services.calls import lifecycle as calls
from app.services.errors import InvalidInput
from app.services.people import presence, status
from app.settings import settings

log = logging.getLogger(__name__)


def limit_lookup_time() -> None:
    """Bound the caller lookup on PostgreSQL, so the provider gets its answer even when the
    database is slow; SQLite has no statement timeout and needs none (it is local)."""
    if db.engine.dialect.name == "postgresql":
        milliseconds = int(settings().calls.lookup_timeout_ms)
        db.session.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))


@dataclass
class RoutedCall:
    inbound: calls.InboundCall
    decision: routing.RoutingDecision


def _router(connected: list[presence.ConnectedUser], config, call_sid: str, waiting: int):
    """Where a call goes, once its caller is known: `routing.decide` over who is connected, with
    the agents who know a single-match caller first (SPEC §11); `waiting`: the callers in line."""
    def route(recognition, at: datetime) -> routing.RoutingDecision:
        if waiting:  # callers wait already: a new one does not jump the line
            return routing.decide(connected, limit=0, call_sid=call_sid, line_waiting=True)
        known = []
        if recognition.match_kind == "single":
            customer = recognition.customer
            known = routing.known_agents(recognition.histories.get(customer.id), customer.complaints,
                                         days=config.routing.known_agent_days, now=at)
        return routing.decide(connected, limit=config.routing.dial_max_agents, call_sid=call_sid, known=known)
    return route


def decision_of(call: Call, connected: list[presence.ConnectedUser]) -> routing.RoutingDecision:
    """The routing a stored call was given, for a provider retry of its webhook: the same answer."""
    reason = call.routing_reason or routing.FALLBACK
    if reason in (routing.QUEUED, routing.FALLBACK):
        return routing.RoutingDecision(reason)
    by_id = {u.id: u for u in connected}
    offered = [by_id[i] for i in call.offered_ids if i in by_id]
    if not offered:
        return routing.RoutingDecision(routing.FALLBACK)
    known = routing.KnownAgent(offered[0].id, call.known_because, call.known_at) if reason == routing.KNOWN_AGENT else None
    return routing.RoutingDecision(reason, tuple(u.dial_target for u in offered), tuple(u.name for u in offered), known)


def receive_call(params: Mapping[str, str], *, replayed_from: datetime | None = None,
                 kept_events_later: bool = False, callback_base_url: str | None = None) -> RoutedCall:
    """An inbound call: read who is connected, store the call with where it goes, then pop it to
    its audience; then apply any status or voicemail that reached us before the call was stored.

    A replayed call (from the spool, `replayed_from` the time the provider sent it) was answered
    with the fallback while the database was down: that is its routing. It keeps the time it
    first arrived, and is looked up now, so its pop no longer says the lookup was unavailable.

    `kept_events_later`: leave the events kept for this call to the sweep (`keep_sweeping`), so a
    live webhook's answer and pop pay no extra read: a callback that beats its own voice webhook
    is rare, and waits at most SPOOL_RETRY_SECONDS. The spool replay, where they are common,
    applies them at once.
    """
    config = settings()
    region = config.calls.region
    limit_lookup_time()
    now = utcnow()
    # Who is on the floor and how many wait in line, in one round trip (nobody connected: the
    # fallback, whoever waits).
    connected, waiting = presence.connected_users_and(queue.IN_LINE_COUNT, queue.waiting_params(now),
                                                      config.calls.presence_ttl_seconds, now,
                                                      work=status.work_of(config))
    if replayed_from is not None:
        route = lambda _recognition, _at: routing.RoutingDecision(routing.FALLBACK)  # noqa: E731
    else:
        route = _router(connected, config, (params.get("CallSid") or "").strip(), waiting or 0)
    audience = []

    def audit_the_pop(call: Call, customers: list) -> None:  # stored with the call: one transaction
        audience.append(delivery.audience(call, connected))
        delivery.audit_with_call(call, customers, audience[0], now=now)

    inbound = calls.receive_inbound(params, region, arrived_at=replayed_from, care=config.care, route=route,
                                    callback_base_url=callback_base_url, before_commit=audit_the_pop)
    if replayed_from is not None and inbound.created:
        inbound.call.lookup_failed = True
        db.session.commit()
    decision = inbound.decision if inbound.created else decision_of(inbound.call, connected)
    if inbound.created and not inbound.call.ended:
        delivery.pop_call(inbound.call, inbound.customers, audience[0], region=region, now=now,
                          histories=inbound.histories, audited=True)
        if decision.reason == routing.QUEUED:
            queue_changed()
    if inbound.created and not kept_events_later:
        apply_orphans(inbound.call.call_sid)
    return RoutedCall(inbound, decision)


def queue_changed() -> None:
    """The line changed: everyone hears it, and this process keeps moving callers to agents."""
    from app.services.calls import dispatcher

    dispatcher.line_changed(current_app._get_current_object())


def _apply(kind: str, params: Mapping[str, str], query: Mapping[str, str], at: datetime) -> Call | None:
    """Apply one status or voicemail event sent at `at`: the call when it changed, else None.
    Raises CallNotStored when its call is not stored (yet), InvalidInput when it makes no sense."""
    if kind == "voicemail":
        return calls.record_voicemail(params.get("CallSid", ""), params.get("RecordingUrl"),
                                      follow_up_hours=settings().calls.follow_up_hours, now=at)
    agent = query.get("agent")
    if agent and params.get("ParentCallSid"):
        try:
            agent_id = int(agent)
        except ValueError:
            raise InvalidInput(f"agent must be a number, got {agent!r}", {"agent": ["not a number"]})
        return calls.apply_agent_leg(params["ParentCallSid"], agent_id, params.get("CallStatus", ""), at=at)
    return calls.apply_status(params.get("CallSid", ""), params.get("CallStatus", ""),
                              params.get("SequenceNumber"), params.get("CallDuration"), at=at)


def _record(kind: str, params: Mapping[str, str], query: Mapping[str, str], received_at: datetime | None) -> Call | None:
    at = received_at or utcnow()
    try:
        call = _apply(kind, params, query, at)
    except calls.CallNotStored as missing:
        _keep_orphan(kind, missing.call_sid, params, query, at)
        return None
    if call is not None:
        _changed(call)
    return call


def _changed(call: Call) -> None:
    """Tell desktops what changed, and supervisors what it makes of its agent (on a call, wrapping
    up); a caller who hung up in line leaves it; a call that just ended is asked about, by SMS when
    not on the line."""
    delivery.update_call(call, now=utcnow())
    if call.agent_id is not None:
        status.announce([call.agent_id], settings(), utcnow())
    if call.ended and call.queue_state in (queue.WAITING, queue.MOVING, queue.MOVED):
        queue.leave(call, queue.LEFT)
        db.session.commit()
        queue_changed()
    if call.ended:
        survey_after_call(call)


# --- after the <Dial>, and in line (SPEC §11) ------------------------------------------------------

def reroute(call_sid: str, stage: str) -> routing.RoutingDecision | None:
    """Nobody answered at `stage`: "known" (the agent who knows them) goes on to the floor, or the
    line; "floor", or "queue" (a caller moved from the line to an agent), goes back in line. None
    for a call not stored or ended. Commits, then pops the call to whoever it is newly offered to."""
    config = settings()
    call = calls.get_call(call_sid)
    if call is None or call.ended:
        return None
    now = utcnow()
    connected = presence.connected_users(config.calls.presence_ttl_seconds, now, work=status.work_of(config))
    if stage == "known":
        decision = routing.decide(connected, limit=config.routing.dial_max_agents, call_sid=call_sid,
                                  excluded=call.offered_ids)
    elif stage == "queue" or routing.signed_in(connected):
        decision = routing.RoutingDecision(routing.QUEUED)
        if stage == "queue" and call.queue_agent_id is not None:
            _not_ready(call.queue_agent_id, now)
    else:
        decision = routing.RoutingDecision(routing.FALLBACK)
    offered_before = set(call.offered_ids)
    calls.apply_decision(call, decision, now)
    db.session.commit()
    if decision.reason == routing.QUEUED:
        queue_changed()
    if decision.reason == routing.QUEUED or set(call.offered_ids) - offered_before:
        delivery.pop_call(call, calls.customers_for(call), delivery.audience(call, connected),
                          region=config.calls.region, now=now)
    return decision


def _not_ready(agent_id: int, now: datetime) -> None:
    """An agent let a caller moved to them from the line ring out: they are set away (a contact
    center's "not ready after no answer"), or the line would send the same caller back to them
    again and again while other agents are free. Supervisors see it at once."""
    agent = db.session.get(User, agent_id)
    if agent is not None and agent.status != "away":
        status.choose(agent, "away", now)
        log.warning("an agent let a caller from the line ring out; set away", extra={"agent_id": agent_id})
        status.announce([agent_id], settings(), now)


@dataclass(frozen=True)
class Waiting:
    position: int | None  # their place in line, when known
    leave: bool  # waited QUEUE_MAX_WAIT_SECONDS: out of line, to voicemail
    known: bool = True  # False: a call not stored, or ended: nothing to wait for


def still_waiting(call_sid: str, waited_seconds: int) -> Waiting:
    """What a caller in line hears next (the wait URL asks again and again)."""
    call = calls.get_call(call_sid)
    if call is None or call.ended:
        return Waiting(None, leave=False, known=False)
    config = settings().routing
    if call.queued_at is not None:
        waited_seconds = max(waited_seconds, int((utcnow() - call.queued_at).total_seconds()))
    if waited_seconds >= config.queue_max_wait_seconds:
        return Waiting(None, leave=True)
    if call.queue_state != queue.WAITING:
        return Waiting(None, leave=False)
    return Waiting(queue.position(call, utcnow()), leave=False)


def record_callback_request(params: Mapping[str, str], *, received_at: datetime | None = None) -> bool:
    """The caller in line pressed 1: a callback follow-up; False for a call not stored or ended."""
    call = calls.get_call(params.get("CallSid", ""))
    if call is None:
        return False
    config = settings()
    queue.request_callback(call, hours=config.care.follow_up_hours, now=received_at or utcnow(), care=config.care,
                           known_agent_days=config.routing.known_agent_days)
    queue_changed()
    return True


def left_line(call_sid: str, result: str) -> None:
    """How the caller left the line, as the <Enqueue>'s action reports it."""
    call = calls.get_call(call_sid)
    if call is None:
        return
    if result in queue.TO_VOICEMAIL:
        queue.leave(call, queue.VOICEMAIL)
    elif result == "hangup":
        queue.leave(call, queue.LEFT)
    db.session.commit()
    queue_changed()


def survey_after_call(call: Call) -> None:
    """The service loop's part in a call's end (SPEC §10). Whatever fails here is logged and
    leaves the call's own update, already stored, as it is."""
    from app.services.care import surveys

    config = settings()
    try:
        queued = surveys.after_call_ended(call, config.care, caller_id=config.provider.caller_id, now=utcnow())
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not queue the survey after a call", extra={"call_sid": call.call_sid})
        return
    if queued is not None:
        surveys.keep_sending(current_app._get_current_object())


def record_survey_answer(params: Mapping[str, str], *, received_at: datetime | None = None):
    """What the caller pressed after the survey question, stored as their score (SPEC §10)."""
    from app.services.care import surveys

    return surveys.answer_on_the_line(params.get("CallSid", ""), params.get("Digits"), settings().care,
                                      received_at or utcnow())


def record_sms(params: Mapping[str, str], *, received_at: datetime | None = None):
    """A text from a caller: a survey's score or comment, or STOP (SPEC §10)."""
    from app.services.care import surveys

    return surveys.receive_sms(params.get("From"), params.get("Body"), settings().care,
                               region=settings().calls.region, now=received_at or utcnow())


def record_status(params: Mapping[str, str], query: Mapping[str, str], *,
                  received_at: datetime | None = None) -> Call | None:
    """Apply a status callback: the call's own, or an agent leg we dialled (`?agent=<id>`).
    For a call not stored yet, the callback is kept and applied when the call is stored."""
    return _record("status", params, query, received_at)


def record_voicemail(params: Mapping[str, str], *, received_at: datetime | None = None) -> Call | None:
    """Keep a voicemail on its call and open its call-back follow-up; kept for later, like a
    status, when the call is not stored yet."""
    return _record("voicemail", params, {}, received_at)


def _keep_orphan(kind: str, call_sid: str, params: Mapping[str, str], query: Mapping[str, str],
                 at: datetime) -> None:
    orphans.keep(kind, call_sid, params, query, received_at=at, now=utcnow(),
                 keep_minutes=settings().calls.orphan_event_minutes)
    log.info("%s event for a call not stored yet kept until it is", kind, extra={"call_sid": call_sid})
    # The call may have been stored between our lookup and this commit (another host replaying its
    # spool): that process looked for kept events before this one existed, so apply it here.
    if calls.get_call(call_sid) is not None:
        apply_orphans(call_sid)


def apply_orphans(call_sid: str) -> int:
    """Apply the events kept for `call_sid`, oldest first, now that its call is stored; each is
    removed in the transaction that applies it. Returns how many were applied."""
    applied, changed = 0, None
    for event in orphans.waiting_for(call_sid):
        if not orphans.take(event):
            db.session.rollback()
            continue
        params, query = orphans.decoded(event)
        try:
            changed = _apply(event.kind, params, query, event.received_at) or changed
        except calls.CallNotStored:  # cannot happen once the call is stored; keep it if it does
            db.session.rollback()
            continue
        except InvalidInput as exc:
            db.session.commit()  # removed: it can never apply
            log.warning("kept %s event dropped: %s", event.kind, exc.message, extra={"call_sid": call_sid})
            continue
        db.session.commit()  # an event that changed nothing is removed too
        applied += 1
    if changed is not None:
        _changed(changed)
    return applied


# Calls whose kept events one sweep applies, at most.
SWEEP_BATCH = 100


def apply_orphans_of_stored_calls() -> int:
    """Apply the events kept for calls that have been stored since (one query when there are
    none); returns how many were applied."""
    stmt = (select(OrphanEvent.call_sid).join(Call, Call.call_sid == OrphanEvent.call_sid)
            .distinct().limit(SWEEP_BATCH))
    call_sids = list(db.session.scalars(stmt))
    return sum(apply_orphans(call_sid) for call_sid in call_sids)


def keep_sweeping(app) -> None:
    """Start this process's sweep of kept events (once; `app.jobs`), every SPOOL_RETRY_SECONDS."""
    from app import jobs

    jobs.every(app, "kept-events", apply_orphans_of_stored_calls, interval=settings(app).calls.spool_retry_seconds)


def spool_folder() -> str:
    return settings().calls.spool_dir


def replay_spool() -> tuple[int, int]:
    """Replay what was spooled while the database was down; returns (replayed, still waiting)."""

    def apply(kind: str, params: dict, query: dict, received_at: datetime) -> None:
        try:
            if kind == "voice":
                receive_call(params, replayed_from=received_at)
            elif kind == "survey":
                record_survey_answer(params, received_at=received_at)
            elif kind == "sms":
                record_sms(params, received_at=received_at)
            elif kind == "callback":
                record_callback_request(params, received_at=received_at)
            else:
                _record(kind, params, query, received_at)
        except calls.CallNotStored:  # a survey answer for a call nobody holds: nothing to keep it on
            log.warning("spooled %s event dropped: its call is not stored", kind,
                        extra={"call_sid": params.get("CallSid")})
        except InvalidInput as exc:  # nothing to store; keeping it would block the rest
            log.warning("spooled %s event dropped: %s", kind, exc.message, extra={"call_sid": params.get("CallSid")})
        except Exception:
            db.session.rollback()
            raise

    replayed, left = spool.replay(spool_folder(), apply)
    if replayed:
        log.warning("replayed %d spooled provider events", replayed)
    return replayed, left


def ensure_replay_running(app) -> None:
    """Replay the spool in the background (`app.jobs`) until it is empty, once per process."""
    from app import jobs

    def run_once() -> int:
        return replay_spool()[1]

    jobs.keep_retrying(app, "spool-replay", run_once, interval=settings(app).calls.spool_retry_seconds)
