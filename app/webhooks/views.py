"""Webhook views: translate the provider's form into service calls, and always answer TwiML.

A voice webhook never answers with a 5xx: if the database or the queue fails, the caller is still
routed (to the fallback) and the failure is logged with the CallSid.
"""
from __future__ import annotations

import logging

from flask import Response, current_app, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from app import twiml
from app.extensions import db
from app.realtime import push
from app.services import calls, presence
from app.services.errors import InvalidInput
from app.services.screen_pop import build_call_update, build_screen_pop
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


def _routing_twiml() -> str:
    """Ring every online agent at once, or go straight to the fallback when nobody is online."""
    config = current_app.config
    agents = presence.online_agents(config["PRESENCE_TTL_SECONDS"])
    if not agents:
        return _fallback_twiml()
    targets = [
        twiml.DialTarget(
            kind=agent.reach_kind,
            address=agent.reach_target,
            status_callback=external_url("webhooks.status", agent=agent.id),
        )
        for agent in agents
    ]
    return twiml.ring_agents(
        targets,
        timeout=config["DIAL_TIMEOUT_SECONDS"],
        action_url=external_url("webhooks.dial_result"),
    )


@bp.post("/voice")
def voice():
    """An inbound call: record it, pop it on every desktop, and route it."""
    call_sid = request.form.get("CallSid")
    try:
        inbound = calls.receive_inbound(request.form, current_app.config["DEFAULT_REGION"])
        if inbound.created:
            push.screen_pop(
                build_screen_pop(inbound.call, inbound.customers, current_app.config["DEFAULT_REGION"])
            )
        return _twiml(_routing_twiml())
    except InvalidInput as exc:
        log.warning("voice webhook without a usable call: %s", exc.message)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("database unavailable for an inbound call; routed to fallback",
                      extra={"call_sid": call_sid})
    return _twiml(_fallback_twiml())


@bp.post("/status")
def status():
    """Status callbacks for the call itself, and for the agent legs we dialled (`?agent=<id>`)."""
    form = request.form
    agent_id = request.args.get("agent", type=int)
    try:
        if agent_id is not None and form.get("ParentCallSid"):
            call = calls.apply_agent_leg(form["ParentCallSid"], agent_id, form.get("CallStatus", ""))
        else:
            call = calls.apply_status(
                form.get("CallSid", ""), form.get("CallStatus", ""),
                form.get("SequenceNumber"), form.get("CallDuration"),
            )
    except InvalidInput as exc:
        log.warning("status callback ignored: %s", exc.message, extra={"call_sid": form.get("CallSid")})
        return _twiml(twiml.empty())
    except SQLAlchemyError:
        db.session.rollback()
        # Logged with every field but the numbers, so the event can be replayed by hand.
        replay = {k: v for k, v in form.items() if k not in ("From", "To", "Caller", "Called")}
        log.exception("status callback not stored", extra={"call_sid": form.get("CallSid"), "replay": replay})
        return Response("status not stored, please retry\n", status=503, mimetype="text/plain")
    if call is not None:
        push.call_update(build_call_update(call))
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
