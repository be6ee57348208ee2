"""The provider's requests about a callback placed from the care list (SPEC §12): the agent
answered (dial the customer), the customer's leg changed, the <Dial> ended. Each names the
stored call by its row id (`?call=`) and its `token` (`callbacks.bridge_token`), which the
signed URL carries, so the first request finds the call even before the provider's CallSid is
stored on it, and a guessed or reused id finds nothing.

Each answers TwiML whatever happens: when the database fails, the agent hears why (or the provider
is told there is nothing more to do)."""
from __future__ import annotations

import logging

from flask import current_app, request
from sqlalchemy.exc import SQLAlchemyError

from app import twiml
from app.extensions import db
from app.models import utcnow
from app.services.calls import callbacks, delivery
from app.settings import settings
from app.webhooks import bp
from app.webhooks.views import external_url, twiml_response

log = logging.getLogger(__name__)

NOT_ANSWERED = {"busy": "The line was busy.", "no-answer": "There was no answer.",
                "failed": "The call could not be connected.", "canceled": "The call was cancelled."}


def _named() -> tuple[int, str, str]:
    """The call row id and token this request's URL names, and the key that checks the token."""
    return request.args.get("call", type=int) or 0, request.args.get("token", ""), current_app.config["SECRET_KEY"]


def _answered_by_machine() -> bool:
    """Answering-machine detection (an agent's phone) says their voicemail picked up."""
    return request.form.get("AnsweredBy", "").startswith(("machine", "fax"))


@bp.post("/callback-connect")
def callback_connect():
    """The agent picked up the callback: connect the customer. Their voicemail is hung up on."""
    try:
        call = callbacks.bridge_call(*_named())
        name = call.customer.name if call is not None and call.customer is not None else None
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("callback not bridged: the database is unavailable", extra={"call_sid": request.form.get("CallSid")})
        return twiml_response(twiml.goodbye("Sorry, the callback cannot be connected right now. Please try again."))
    if call is None or not call.to_e164:
        return twiml_response(twiml.goodbye("This callback is no longer available. Goodbye."))
    if _answered_by_machine():
        log.info("callback not bridged: a machine answered the agent's phone", extra={"call_sid": call.call_sid})
        return twiml_response(twiml.goodbye())
    config = settings()
    token = request.args.get("token", "")
    return twiml_response(twiml.callback_bridge(
        say=f"Calling {name} now." if name else "Calling the customer now.", number=call.to_e164,
        caller_id=config.provider.caller_id or call.from_e164 or "", timeout=config.routing.dial_timeout_seconds,
        action_url=external_url("webhooks.callback_result", call=call.id, token=token),
        leg_status_url=external_url("webhooks.callback_leg", call=call.id, token=token)))


@bp.post("/callback-leg")
def callback_leg():
    """The customer's leg of a callback: answered starts the talk time. If the database cannot
    store it now, the <Dial>'s end (`callback_result`) still will, from DialCallDuration."""
    try:
        call = callbacks.customer_reached(*_named(), request.form.get("CallStatus", ""), utcnow())
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("callback leg not stored; the dial result will set the talk time",
                      extra={"call_sid": request.form.get("ParentCallSid")})
        call = None
    if call is not None:
        delivery.update_call(call, now=utcnow())
    return twiml_response(twiml.empty())


@bp.post("/callback-result")
def callback_result():
    """The customer's <Dial> ended: tell the agent when nobody answered, then end the call. When
    they talked and their leg's answer never reached us, talk time starts DialCallDuration ago."""
    form = request.form
    talked = form.get("DialCallDuration", type=int)
    try:
        call = callbacks.dial_ended(*_named(), form.get("DialCallStatus", ""), talked, utcnow())
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("callback result not stored", extra={"call_sid": form.get("CallSid")})
        call = None
    if call is not None:
        delivery.update_call(call, now=utcnow())
    return twiml_response(twiml.goodbye(NOT_ANSWERED.get(form.get("DialCallStatus", ""))))
