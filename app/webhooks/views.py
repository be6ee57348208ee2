"""Webhook views: translate the provider's form into service calls, and always answer TwiML.

A voice webhook never answers with a 5xx: if the database or the queue fails, the caller is still
routed (to the fallback) and the failure is logged with the CallSid.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from urllib.parse import urlencode

from flask import Response, current_app, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from app import twiml
from app.extensions import db
from app.realtime import push
from app.models import utcnow
from app.services.calls import lifecycle as calls, provider_events, routing, spool
from app.services.people import presence
from app.services.errors import InvalidInput
from app.services.calls.screen_pop import build_unavailable_pop
from app.webhooks import bp

log = logging.getLogger(__name__)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL the provider can call back, under PUBLIC_BASE_URL when one is set."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _twiml(xml: str) -> Response:
    return Response(xml, status=200, mimetype="text/xml")


def _fallback_twiml() -> str:
    config = current_app.config
    return twiml.fallback(
        number=config["FALLBACK_NUMBER"],
        greeting=config["VOICEMAIL_GREETING"],
        record_action_url=external_url("webhooks.voicemail"),
        max_seconds=config["VOICEMAIL_MAX_SECONDS"],
        timeout=config["DIAL_TIMEOUT_SECONDS"],
    )


def _routing_twiml(call_sid: str) -> str:
    """Ring up to DIAL_MAX_AGENTS online agents at once (free ones first), or go straight to the
    fallback when nobody is online."""
    config = current_app.config
    online = presence.online_agent_targets(config["PRESENCE_TTL_SECONDS"])
    if not online:
        return _fallback_twiml()
    busy = calls.busy_agent_ids(config["STALE_CALL_HOURS"])
    agents = routing.choose_agents(online, busy, config["DIAL_MAX_AGENTS"], call_sid)
    return _ring_agents_twiml(
        agents, external_url("webhooks.status"), external_url("webhooks.dial_result"), config["DIAL_TIMEOUT_SECONDS"]
    )


@lru_cache(maxsize=64)
def _ring_agents_twiml(agents: tuple[tuple[int, str, str], ...], status_url: str, action_url: str,
                       timeout: int) -> str:
    """The <Dial> for these agents, built once per set of agents online (and per URL they are
    reached through): with hundreds online, building it took longer than the rest of the webhook.

    `status_url?agent=<id>` is what url_for builds for the status view with that argument.
    """
    targets = [
        twiml.DialTarget(kind=kind, address=address, status_callback=f"{status_url}?{urlencode({'agent': agent_id})}")
        for agent_id, kind, address in agents
    ]
    return twiml.ring_agents(targets, timeout=timeout, action_url=action_url)


def _spool(kind: str) -> bool:
    """Keep an event we could not store, to replay when the database is back. False if even that failed."""
    try:
        spool.spool_event(provider_events.spool_folder(), kind, request.form, request.args)
    except OSError:
        log.exception("provider event LOST: neither the database nor the spool could take it",
                      extra={"call_sid": request.form.get("CallSid"), "kind": kind})
        return False
    provider_events.ensure_replay_running(current_app._get_current_object())
    return True


@bp.post("/voice")
def voice():
    """An inbound call: record it, pop it on every desktop, and route it.

    If the database fails, the call is still routed (to the fallback, as nobody's presence can be
    read), the desktops get a pop that says the lookup was unavailable, and the call is spooled.
    """
    call_sid = request.form.get("CallSid")
    try:
        inbound = provider_events.record_inbound(request.form)
        return _twiml(_routing_twiml(inbound.call.call_sid))
    except InvalidInput as exc:
        log.warning("voice webhook without a usable call: %s", exc.message)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("database unavailable for an inbound call; routed to fallback",
                      extra={"call_sid": call_sid})
        if _spool("voice"):
            push.screen_pop(build_unavailable_pop(request.form, current_app.config["DEFAULT_REGION"], utcnow()))
    return _twiml(_fallback_twiml())


@bp.post("/status")
def status():
    """Status callbacks for the call itself, and for the agent legs we dialled (`?agent=<id>`)."""
    try:
        provider_events.record_status(request.form, request.args)
    except InvalidInput as exc:
        log.warning("status callback ignored: %s", exc.message, extra={"call_sid": request.form.get("CallSid")})
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("status callback not stored; spooled for replay", extra={"call_sid": request.form.get("CallSid")})
        if not _spool("status"):
            return Response("status not stored, please retry\n", status=503, mimetype="text/plain")
    return _twiml(twiml.empty())


@bp.post("/dial-result")
def dial_result():
    """The agents' <Dial> finished: hang up after a conversation, else take the fallback."""
    if request.form.get("DialCallStatus") in ("completed", "answered"):
        return _twiml(twiml.goodbye())
    return _twiml(_fallback_twiml())


@bp.post("/voicemail")
def voicemail():
    try:
        calls.record_voicemail(request.form.get("CallSid", ""), request.form.get("RecordingUrl"))
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("voicemail link not stored", extra={"call_sid": request.form.get("CallSid"),
                                                          "recording_url": request.form.get("RecordingUrl")})
    return _twiml(twiml.goodbye("Thank you. We will call you back. Goodbye."))
