"""Moving waiting callers to agents as agents become offerable (SPEC §11): the background half of
`queue`, run on this process's job threads, never on a webhook's.

It runs when the line changes (a caller joined it), when an agent may have become offerable (they
chose available, wrapped up, gave a call back, a desktop connected), and then every
QUEUE_RETRY_SECONDS while anyone waits: that is what retries a move the provider refused, and what
notices an agent whose wrap-up time ran out. Every process may run it; the claims in `queue` make
that safe.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app

from app import jobs, twiml
from app.models import isoformat, utcnow
from app.realtime import push
from app.services import provider_api
from app.services.calls import delivery, queue
from app.services.calls.lifecycle import customers_for
from app.services.people import presence, status
from app.settings import settings

log = logging.getLogger(__name__)


def announce_line() -> None:
    """Everyone hears the line as it is now."""
    now, config = utcnow(), settings()
    masking = config.privacy.mask_numbers
    views = queue.views(now, config.calls.region, masked=masking)
    if not masking:
        push.queue_update({"items": views[False], "at": isoformat(now)})
        return
    # With MASK_NUMBERS on (SPEC §13) the staff hear the line whole and the agents masked.
    push.queue_update({"items": views[False], "at": isoformat(now)}, to=push.STAFF)
    push.queue_update({"items": views[True], "at": isoformat(now)}, to=push.MASKED)


def line_changed(app: Flask) -> None:
    announce_line()
    _keep_dispatching(app)


def agent_freed(app: Flask | None = None) -> None:
    """An agent may have become offerable: move a waiting caller to them now (in the background),
    if anyone waits."""
    app = app or current_app._get_current_object()
    jobs.run(app, "queue-dispatch-now", dispatch_once)
    _keep_dispatching(app)


def _keep_dispatching(app: Flask) -> None:
    jobs.keep_retrying(app, "queue-dispatch", dispatch_once, interval=settings(app).routing.queue_retry_seconds)


def move_twiml(move: queue.Move) -> str:
    """What the moved caller's call does next: ring the agent; if they do not answer, back in line."""
    from app.webhooks.views import external_url

    config = settings()
    app = current_app._get_current_object()
    with app.test_request_context(base_url=move.base_url or config.provider.public_base_url or "http://localhost"):
        agent_id, kind, address = move.agent
        target = twiml.DialTarget(kind, address, external_url("webhooks.status", agent=agent_id))
        return twiml.ring_agents([target], timeout=config.routing.dial_timeout_seconds,
                                 action_url=external_url("webhooks.dial_result", stage="queue"), call_sid=move.call_sid)


def send_move(move: queue.Move) -> None:
    """Ask the provider to take the caller out of line to the agent (its REST API, real HTTP)."""
    client = provider_api.rest_client(settings().provider.account)
    client.calls(move.call_sid).update(twiml=move_twiml(move))


_said: set[str] = set()


def _say_once(message: str) -> None:
    if message not in _said:
        _said.add(message)
        log.error(message)


def dispatch_once() -> int:
    """Move the first callers in line to the agents offerable now; returns how many still wait."""
    config = settings()
    now = utcnow()
    if not queue.waiting_count(now):
        return 0
    if not config.provider.account_sid:
        _say_once("callers wait in line but cannot be moved to agents: the provider's REST API needs "
                  "TWILIO_ACCOUNT_SID (and TWILIO_AUTH_TOKEN)")
        return queue.waiting_count(now)
    connected = presence.connected_users(config.calls.presence_ttl_seconds, now, work=status.work_of(config))
    offerable = [u.dial_target for u in connected if u.offerable]
    moved = queue.dispatch(offerable, send_move) if offerable else []
    for call in moved:
        if not call.ended:
            log.info("moved a waiting caller to an agent", extra={"call_sid": call.call_sid,
                                                                   "agent_id": call.queue_agent_id})
            delivery.pop_call(call, customers_for(call), delivery.audience(call, connected),
                              region=config.calls.region, now=utcnow())
    if moved:
        announce_line()
    return queue.waiting_count(utcnow())
