"""The provider's requests about a callback placed from the care list (SPEC §12): the agent
answered (dial the customer), the customer's leg changed, the <Dial> ended. Each names the
stored call by its row id (`?call=`), which the signed URL carries, so the first request finds
the call even before the provider's CallSid is stored on it."""
from __future__ import annotations

import logging

from flask import request
from sqlalchemy.exc import SQLAlchemyError

from app import twiml
from app.extensions import db
from app.models import utcnow
from app.services.calls import callbacks, delivery
from app.settings import settings
from app.webhooks import bp
from app.webhooks.views import _twiml, external_url

log = logging.getLogger(__name__)

NOT_ANSWERED = {"busy": "The line was busy.", "no-answer": "There was no answer.",
                "failed": "The call could not be connected.", "canceled": "The call was cancelled."}


def _call_id() -> int:
    return request.args.get("call", type=int) or 0


@bp.post("/callback-connect")
def callback_connect():
    """The agent picked up the callback: connect the customer."""
    try:
        call = callbacks.bridge_call(_call_id())
        name = call.customer.name if call is not None and call.customer is not None else None
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("callback not bridged: the database is unavailable", extra={"call_sid": request.form.get("CallSid")})
        return _twiml(twiml.goodbye("Sorry, the callback cannot be connected right now. Please try again."))
    if call is None or not call.to_e164:
        return _twiml(twiml.goodbye("This callback is no longer available. Goodbye."))
    config = settings()
    return _twiml(twiml.callback_bridge(
        say=f"Calling {name} now." if name else "Calling the customer now.", number=call.to_e164,
        caller_id=config.provider.caller_id or call.from_e164 or "", timeout=config.routing.dial_timeout_seconds,
        action_url=external_url("webhooks.callback_result", call=call.id),
        leg_status_url=external_url("webhooks.callback_leg", call=call.id)))


@bp.post("/callback-leg")
def callback_leg():
    """The customer's leg of a callback: answered starts the talk time."""
    try:
        call = callbacks.customer_reached(_call_id(), request.form.get("CallStatus", ""), utcnow())
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("callback leg not stored", extra={"call_sid": request.form.get("ParentCallSid")})
        call = None
    if call is not None:
        delivery.update_call(call, now=utcnow())
    return _twiml(twiml.empty())


@bp.post("/callback-result")
def callback_result():
    """The customer's <Dial> ended: tell the agent when nobody answered, then end the call."""
    return _twiml(twiml.goodbye(NOT_ANSWERED.get(request.form.get("DialCallStatus", ""))))
