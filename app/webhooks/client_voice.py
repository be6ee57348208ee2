"""The provider's requests about a call placed from an agent's browser (SPEC §13): the TwiML App's
Voice URL (/twilio/client-voice) asks what to do with it, and its <Dial>'s action says when it
ended. The customer's leg reports to /twilio/status as an agent leg (`?agent=<id>`): answered, the
agent is talking to them.

Each answers TwiML whatever happens: with the database down the agent hears that the call cannot
be placed now, and the failure is logged.
"""
from __future__ import annotations

import logging

from flask import request
from sqlalchemy.exc import SQLAlchemyError

from app import twiml
from app.extensions import db
from app.models import utcnow
from app.services.calls import browser_phone, delivery
from app.services.calls.lifecycle import customers_for
from app.services.people import presence, status
from app.settings import settings
from app.webhooks import bp
from app.webhooks.callbacks import NOT_ANSWERED
from app.webhooks.views import external_url, twiml_response

log = logging.getLogger(__name__)


def _pop(placed: browser_phone.BrowserCall) -> None:
    """Pop the new call on the agent's desktop (and the staff's) with the customer's card. The
    call is stored and about to be dialled: a failure here is logged, and the call goes on."""
    config, now = settings(), utcnow()
    call = placed.call
    try:
        connected = presence.connected_users(config.calls.presence_ttl_seconds, now)
        delivery.pop_call(call, placed.customers or customers_for(call), delivery.audience(call, connected),
                          region=config.calls.region, now=now)
        status.announce([call.agent_id], config, now)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("a browser call was not popped: the database failed", extra={"call_sid": call.call_sid})


@bp.post("/client-voice")
def client_voice():
    """An agent placed a call from their browser: dial the number from TWILIO_CALLER_ID, or tell
    them why not and hang up."""
    config = settings()
    try:
        placed = browser_phone.place_from_browser(request.form, caller_id=config.provider.caller_id,
                                                  region=config.calls.region, now=utcnow())
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("a browser call was not placed: the database is unavailable",
                      extra={"call_sid": request.form.get("CallSid")})
        return twiml_response(twiml.goodbye(browser_phone.UNAVAILABLE))
    if placed.refusal is not None:
        return twiml_response(twiml.goodbye(placed.refusal))
    if placed.created:
        _pop(placed)
    return twiml_response(twiml.dial_from_browser(
        number=placed.number, caller_id=config.provider.caller_id or placed.call.from_e164,
        timeout=config.routing.dial_timeout_seconds, action_url=external_url("webhooks.client_voice_result"),
        leg_status_url=external_url("webhooks.status", agent=placed.call.agent_id)))


@bp.post("/client-voice-result")
def client_voice_result():
    """The browser call's <Dial> ended: so does the call. The agent hears why when nobody answered."""
    form = request.form
    try:
        call = browser_phone.dial_ended(form.get("CallSid", ""), at=utcnow())
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("the end of a browser call was not stored", extra={"call_sid": form.get("CallSid")})
        call = None
    if call is not None:
        delivery.update_call(call, now=utcnow())
        try:
            status.announce([call.agent_id], settings(), utcnow())
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("an agent's status after a browser call was not announced", extra={"call_sid": call.call_sid})
    return twiml_response(twiml.goodbye(NOT_ANSWERED.get(form.get("DialCallStatus", ""))))
