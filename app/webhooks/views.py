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
from app.models import TERMINAL_STATUSES, utcnow
from app.services.calls import delivery, ghosts, provider_events, queue, routing, spool
from app.services.calls.lifecycle import CallNotStored
from app.services.care import surveys, wording
from app.services.errors import InvalidInput
from app.settings import settings
from app.webhooks import bp

log = logging.getLogger(__name__)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL the provider can call back, under PUBLIC_BASE_URL when one is set."""
    base = settings().provider.public_base_url
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _base_url() -> str:
    """Where the provider reaches us: PUBLIC_BASE_URL, or this request's own scheme, host and root."""
    return settings().provider.public_base_url or (request.host_url.rstrip("/") + request.script_root)


def twiml_response(xml: str) -> Response:
    """A webhook's answer: TwiML, always 200 (a voice webhook never answers 5xx)."""
    return Response(xml, status=200, mimetype="text/xml")


def _routing_options() -> tuple[twiml.RoutingUrls, dict]:
    config = settings().routing
    urls = twiml.RoutingUrls(status=external_url("webhooks.status"), dial_result=external_url("webhooks.dial_result"),
                             voicemail=external_url("webhooks.voicemail"),
                             known_result=external_url("webhooks.dial_result", stage="known"),
                             queue_wait=external_url("webhooks.queue_wait"),
                             queue_result=external_url("webhooks.queue_result"), queue_name=config.queue_name)
    options = {
        "timeout": config.dial_timeout_seconds,
        "known_timeout": config.known_agent_ring_seconds,
        "fallback_options": twiml.FallbackOptions(number=config.fallback_number, greeting=config.voicemail_greeting,
                                                  max_seconds=config.voicemail_max_seconds),
    }
    return urls, options


def _routing_twiml(decision: routing.RoutingDecision) -> str:
    urls, options = _routing_options()
    return twiml.routing(decision, urls, call_sid=request.form.get("CallSid"), **options)


def _fallback_twiml() -> str:
    return _routing_twiml(routing.RoutingDecision(routing.FALLBACK))


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
    """An inbound call: record it, decide where it goes, pop it to its audience, and route it.

    If the database fails, the call is still routed (to the fallback, as nobody's presence can be
    read), the desktops get a pop that says the lookup was unavailable, and the call is spooled.
    """
    call_sid = request.form.get("CallSid")
    app = current_app._get_current_object()
    ghosts.keep_checking(app)
    provider_events.keep_sweeping(app)
    surveys.keep_sweeping(app)  # SMS surveys a stopped process left waiting  # events kept for this call, if any, are applied by the sweep
    try:
        routed = provider_events.receive_call(request.form, kept_events_later=True,
                                              callback_base_url=_base_url())
        return twiml_response(_routing_twiml(routed.decision))
    except InvalidInput as exc:
        log.warning("voice webhook without a usable call: %s", exc.message)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("database unavailable for an inbound call; routed to fallback",
                      extra={"call_sid": call_sid})
        if _spool("voice"):
            delivery.pop_unavailable(request.form, region=settings().calls.region, now=utcnow())
    return twiml_response(_fallback_twiml())


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
    return twiml_response(twiml.empty())


@bp.post("/dial-result")
def dial_result():
    """The agents' <Dial> finished. After a conversation: when the caller is still on the line
    (the agent hung up first), ask the survey (SPEC §10), or thank them when they are not to be
    asked; else hang up. Nobody answered: the fallback.

    The survey is skipped, and the caller thanked, when the database cannot say whether they may
    be asked, or the call is not ours: a call always gets a valid answer, and a polite one.
    """
    form = request.form
    if form.get("DialCallStatus") not in ("completed", "answered"):
        if form.get("CallStatus") in TERMINAL_STATUSES:
            return twiml_response(twiml.empty())  # the caller hung up while it rang: nobody to route on
        return twiml_response(_not_answered(form.get("CallSid", ""), request.args.get("stage", "floor")))
    if form.get("CallStatus") == "in-progress":
        try:
            asked = surveys.start_on_the_line(form.get("CallSid", ""), settings().care, utcnow())
        except (CallNotStored, SQLAlchemyError) as exc:
            db.session.rollback()
            if isinstance(exc, CallNotStored):
                log.warning("dial result for a call not stored; the caller is thanked",
                            extra={"call_sid": form.get("CallSid")})
            else:
                log.exception("could not start the survey; the caller is thanked instead",
                              extra={"call_sid": form.get("CallSid")})
            words = wording.wording(None)
            return twiml_response(twiml.say_goodbye(words.goodbye, words))
        if asked is not None:
            return twiml_response(twiml.survey_question(asked.words, action_url=external_url("webhooks.survey", attempt=1)))
        words = _survey_words(form.get("CallSid", ""))  # not asked: thanked, in their language
        return twiml_response(twiml.say_goodbye(words.goodbye, words))
    return twiml_response(twiml.goodbye())  # the caller hung up first: there is nobody to speak to


def _not_answered(call_sid: str, stage: str) -> str:
    """Nobody took the call at this stage (SPEC §11): after the agent who knows them, the floor;
    after the floor or a move from the line, the line. An unknown or ended call is ended politely;
    with the database down, the fallback (voicemail) keeps the caller's message."""
    try:
        decision = provider_events.reroute(call_sid, stage)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not route an unanswered call on; fallback", extra={"call_sid": call_sid})
        return _fallback_twiml()
    if decision is None:
        log.warning("dial result for a call not stored or ended; ended politely", extra={"call_sid": call_sid})
        return twiml.goodbye(wording.wording(None).goodbye)
    return _routing_twiml(decision)


def _attempt() -> int:
    """Which time the survey question was asked (its action URL says), 1 when it does not say."""
    raw = request.args.get("attempt", "1")
    return int(raw) if raw.isdigit() and len(raw) < 3 else 1


def _survey_words(call_sid: str) -> wording.Wording:
    try:
        return surveys.words_for_call(call_sid)
    except SQLAlchemyError:
        db.session.rollback()
        return wording.wording(None)


@bp.post("/survey")
def survey():
    """What the caller pressed after the survey question: a score 0-10 is stored and they are
    thanked; anything else (nothing, #, *, 11) is asked once more, then the call ends politely.
    With the database down, a score is spooled like any provider event, never lost."""
    call_sid = request.form.get("CallSid", "")
    digits = request.form.get("Digits")
    if surveys.read_score(digits) is None:
        words = _survey_words(call_sid)
        attempt = _attempt()
        if attempt < surveys.MAX_ASKS:
            return twiml_response(twiml.survey_question(words, action_url=external_url("webhooks.survey", attempt=attempt + 1),
                                                again=True))
        try:
            surveys.give_up_on_the_line(call_sid)
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("could not mark an unanswered survey", extra={"call_sid": call_sid})
        return twiml_response(twiml.say_goodbye(words.goodbye, words))
    words = wording.wording(None)
    try:
        answered = provider_events.record_survey_answer(request.form)
        words = wording.wording(answered.language)
    except CallNotStored:
        log.warning("survey answer for a call not stored; nothing to keep it on", extra={"call_sid": call_sid})
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("survey answer not stored; spooled for replay", extra={"call_sid": call_sid})
        _spool("survey")
    return twiml_response(twiml.say_goodbye(words.thanks, words))


@bp.post("/sms")
def sms():
    """A text from a caller (SPEC §10): a score or a comment for their newest open survey, or
    STOP. Answers TwiML: a thank-you <Message>, or nothing. With the database down the text is
    spooled and applied when it is back."""
    try:
        reply = provider_events.record_sms(request.form)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("SMS not stored; spooled for replay", extra={"message_sid": request.form.get("MessageSid")})
        _spool("sms")
        return twiml_response(twiml.sms_reply(None))
    return twiml_response(twiml.sms_reply(reply.text))


@bp.post("/voicemail")
def voicemail():
    """A voicemail was recorded: keep it on the call, open its call-back follow-up, tell desktops.
    With the database down it is spooled like any provider event, and with its call not stored
    yet it is kept until the call is (SPEC §9a)."""
    try:
        provider_events.record_voicemail(request.form)
    except InvalidInput as exc:
        log.warning("voicemail callback ignored: %s", exc.message, extra={"call_sid": request.form.get("CallSid")})
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("voicemail not stored; spooled for replay", extra={"call_sid": request.form.get("CallSid")})
        # This is the <Record> action: the caller hears the answer, and the provider does not retry
        # it, so they hear goodbye either way (a spool that fails too is logged as a loss).
        _spool("voicemail")
    return twiml_response(twiml.goodbye("Thank you. We will call you back. Goodbye."))


# --- the line (SPEC §11) ---------------------------------------------------------------------------

@bp.post("/queue-wait")
def queue_wait():
    """The provider asks, again and again while the caller waits, what they hear: their place in
    line and the callback offer; past QUEUE_MAX_WAIT_SECONDS, out of line (to voicemail)."""
    form = request.form
    waited = form.get("QueueTime", "0")
    try:
        waiting = provider_events.still_waiting(form.get("CallSid", ""), int(waited) if waited.isdigit() else 0)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not read the line; the caller hears the provider's count",
                      extra={"call_sid": form.get("CallSid")})
        place = form.get("QueuePosition", "")
        waiting = provider_events.Waiting(int(place) if place.isdigit() else None, leave=False, known=True)
    if not waiting.known:
        return twiml_response(twiml.goodbye(wording.wording(None).goodbye))
    if waiting.leave:
        return twiml_response(twiml.leave_queue())
    return twiml_response(twiml.queue_wait(wording.queue_place(waiting.position), key_url=external_url("webhooks.queue_key")))


@bp.post("/queue-key")
def queue_key():
    """What the caller in line pressed: 1 asks for a callback (the call ends, a follow-up opens);
    anything else, back to waiting. With the database down the request is spooled, never lost."""
    form = request.form
    call_sid = form.get("CallSid", "")
    hours = settings().care.follow_up_hours
    if form.get("Digits") != "1":
        return twiml_response(twiml.queue_wait(wording.queue_place(None), key_url=external_url("webhooks.queue_key")))
    try:
        requested = provider_events.record_callback_request(form)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("callback request not stored; spooled for replay", extra={"call_sid": call_sid})
        requested = _spool("callback")
    if not requested:
        return twiml_response(twiml.goodbye(wording.wording(None).goodbye))
    return twiml_response(twiml.goodbye(wording.callback_promise(hours)))


@bp.post("/queue-result")
def queue_result():
    """The caller left the line (the <Enqueue>'s action): out of time, voicemail; hung up, noted."""
    form = request.form
    result = form.get("QueueResult", "")
    try:
        provider_events.left_line(form.get("CallSid", ""), result)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not note how a caller left the line", extra={"call_sid": form.get("CallSid")})
    if result in queue.TO_VOICEMAIL:
        config = settings().routing
        return twiml_response(twiml.fallback(number=None, greeting=config.voicemail_greeting,
                                     record_action_url=external_url("webhooks.voicemail"),
                                     max_seconds=config.voicemail_max_seconds, timeout=config.dial_timeout_seconds))
    return twiml_response(twiml.empty())
