"""What the provider's events do, whether they arrive live or are replayed from the spool.

Each function commits once and then pushes, so a desktop never hears of something that is not
stored. The webhook views call these; so does the spool replay when the database comes back.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import text

from app.extensions import db
from app.models import Call, utcnow
from app.services.calls import delivery, routing, spool
from app.services.calls import lifecycle as calls
from app.services.errors import InvalidInput
from app.services.people import presence
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


def receive_call(params: Mapping[str, str], *, replayed: bool = False) -> RoutedCall:
    """An inbound call: store it, decide where it goes, then pop it to its audience.

    A replayed call (from the spool) was answered with the fallback while the database was down:
    that is its routing, and it is marked as one whose lookup failed.
    """
    config = settings()
    region = config.calls.region
    limit_lookup_time()
    inbound = calls.receive_inbound(params, region)
    if replayed and inbound.created:
        inbound.call.lookup_failed = True
        db.session.commit()
    now = utcnow()
    connected = presence.connected_users(config.calls.presence_ttl_seconds, now,
                                         busy_stale_hours=config.calls.stale_call_hours)
    if replayed:
        decision = routing.RoutingDecision(routing.FALLBACK)
    else:
        # Only agents are offered calls: a supervisor or admin watching a page is not on the phones.
        online = [u for u in connected if u.online and u.role == "agent"]
        decision = routing.decide([u.dial_target for u in online], {u.id for u in online if u.busy},
                                  config.routing.dial_max_agents, inbound.call.call_sid)
    if inbound.created and not inbound.call.ended:
        delivery.pop_call(inbound.call, inbound.customers, delivery.audience(inbound.call, decision, connected),
                          region=region, now=now)
    return RoutedCall(inbound, decision)


def record_status(params: Mapping[str, str], query: Mapping[str, str]) -> Call | None:
    """Apply a status callback: the call's own, or an agent leg we dialled (`?agent=<id>`)."""
    agent = query.get("agent")
    if agent and params.get("ParentCallSid"):
        try:
            agent_id = int(agent)
        except ValueError:
            raise InvalidInput(f"agent must be a number, got {agent!r}", {"agent": ["not a number"]})
        call = calls.apply_agent_leg(params["ParentCallSid"], agent_id, params.get("CallStatus", ""))
    else:
        call = calls.apply_status(params.get("CallSid", ""), params.get("CallStatus", ""),
                                  params.get("SequenceNumber"), params.get("CallDuration"))
    if call is not None:
        delivery.update_call(call, now=utcnow())
    return call


def spool_folder() -> str:
    return settings().calls.spool_dir


def replay_spool() -> tuple[int, int]:
    """Replay what was spooled while the database was down; returns (replayed, still waiting)."""

    def apply(kind: str, params: dict, query: dict) -> None:
        try:
            if kind == "voice":
                receive_call(params, replayed=True)
            else:
                record_status(params, query)
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
