"""Asking every caller, while the call is fresh, how likely they are to recommend us (SPEC §10).

Two channels. On the line (`ivr`): when the agent hangs up and the caller is still there, the
dial-result webhook asks (`start_on_the_line`), and the survey webhook stores the digits
(`answer_on_the_line`). By SMS: when the caller hung up first, or `SURVEY_MODE=sms`, the call's
end queues a text (`after_call_ended`), which a background job hands to the provider's REST API
(`send_pending`), never the webhook's thread; replies arrive on the SMS webhook (`receive_sms`).

Nobody is surveyed to death: not with `SURVEY_MODE=off`, not a customer who asked not to be
(`do_not_survey`, or a STOP by text), and not anyone asked within `SURVEY_MIN_DAYS`.

Every function takes values and commits once; the webhook views translate their answers to TwiML.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import DETRACTOR_SCORES, Call, Customer, PhoneNumber, Survey, SurveyOptOut, utcnow
from app.services import phone_numbers
from app.services.calls.lifecycle import CallNotStored, get_call
from app.services.care import follow_ups, wording
from app.settings import CareSettings

log = logging.getLogger(__name__)

# A reply that opts out of texts, as carriers and Twilio's Advanced Opt-Out read it, and one that opts
# back in.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"})
START_WORDS = frozenset({"start", "unstop", "yes"})
# An SMS handed to the provider but with no word back for this many timeouts is given up as failed
# (the process sending it died mid-request).
SENDING_GRACE_TIMEOUTS = 3
SEND_BATCH = 20
_LONG_NUMBER = re.compile(r"\+?\d[\d\s().-]{5,}\d")
MAX_ASKS = 2  # the question is asked at most twice on the line


def read_score(text: str | None) -> int | None:
    """The score in what the caller pressed or typed: a whole number 0-10 ("7", "07", "10#",
    " 9 "), else None ("", "#", "*", "11", "7*", "seven")."""
    if text is None:
        return None
    cleaned = text.strip().rstrip("#").strip()
    if not cleaned or not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 2:
        return None
    score = int(cleaned)
    return score if 0 <= score <= 10 else None


@dataclass(frozen=True)
class Asked:
    """What the survey webhook needs: the survey, and the words to say it in."""

    survey: Survey
    words: wording.Wording


def _language(call: Call) -> str:
    return wording.language_for(call.customer.preferences) if call.customer is not None else wording.DEFAULT


def why_not_surveyed(call: Call, config: CareSettings, now: datetime) -> str | None:
    """Why this call's caller is not to be asked, or None when they may be."""
    if config.survey_mode == "off":
        return "SURVEY_MODE is off"
    customer = call.customer
    if customer is not None and customer.do_not_survey:
        return "the customer asked not to be surveyed"
    if customer is None and call.from_e164 and db.session.scalar(
            select(Customer.id).join(PhoneNumber, PhoneNumber.customer_id == Customer.id)
            .where(PhoneNumber.e164 == call.from_e164, Customer.do_not_survey.is_(True)).limit(1)):
        return "a customer with this number asked not to be surveyed"
    if call.from_e164 and db.session.get(SurveyOptOut, call.from_e164) is not None:
        return "this number texted STOP"
    since = now - timedelta(days=config.survey_min_days)
    recent = select(Survey.id).where(Survey.created_at >= since, Survey.status != "failed")
    if customer is not None:
        recent = recent.where(Survey.customer_id == customer.id)
    elif call.from_e164:
        recent = recent.where(Survey.to_e164 == call.from_e164)
    else:
        recent = None  # a withheld caller: nothing to tell them apart by
    if recent is not None and db.session.scalar(recent.limit(1)) is not None:
        return f"surveyed within SURVEY_MIN_DAYS ({config.survey_min_days})"
    return None


def _new_survey(call: Call, channel: str, status: str, now: datetime) -> Survey:
    survey = Survey(call=call, customer_id=call.customer_id, agent_id=call.agent_id, channel=channel,
                    language=_language(call), to_e164=call.from_e164, status=status, created_at=now,
                    sent_at=now if status == "sent" else None)
    db.session.add(survey)
    # Flushed, so its call_id is set: the detractor's follow-up is found and opened by call_id.
    db.session.flush()
    return survey


def start_on_the_line(call_sid: str, config: CareSettings, now: datetime) -> Asked | None:
    """The agent hung up and the caller is still on the line: the survey to ask now, or None when
    this caller is not to be asked. A repeated dial-result asks the same survey again rather
    than opening a second. Raises CallNotStored for a call we do not hold."""
    call = get_call(call_sid)
    if call is None:
        raise CallNotStored(call_sid)
    if call.survey is not None:
        existing = call.survey
        if existing.channel == "ivr" and existing.status == "sent":
            return Asked(existing, wording.wording(existing.language))
        return None
    if config.survey_mode != "ivr" or call.direction != "inbound":
        return None
    reason = why_not_surveyed(call, config, now)
    if reason is not None:
        log.info("caller not surveyed: %s", reason, extra={"call_sid": call_sid})
        return None
    survey = _new_survey(call, "ivr", "sent", now)
    db.session.commit()
    return Asked(survey, wording.wording(survey.language))


def words_for_call(call_sid: str) -> wording.Wording:
    """The language this call's caller is spoken to in: their survey's, else their preferences'."""
    survey = db.session.scalar(select(Survey).join(Call).where(Call.call_sid == call_sid))
    if survey is not None:
        return wording.wording(survey.language)
    call = get_call(call_sid)
    return wording.wording(_language(call) if call is not None else None)


def _answered(survey: Survey, score: int, config: CareSettings, now: datetime) -> None:
    survey.score = score
    survey.status = "answered"
    survey.answered_at = now
    if score in DETRACTOR_SCORES:
        follow_ups.open_for_detractor(survey, hours=config.follow_up_hours, now=now)


def answer_on_the_line(call_sid: str, digits: str | None, config: CareSettings, now: datetime) -> Survey | None:
    """Store what the caller pressed as this call's score: the survey when it was a score 0-10,
    None when it was not (nothing is stored). Raises CallNotStored for a call we do not hold.

    A score for a call asked on the line but whose survey row is missing (the database failed
    between question and answer, and the question was asked from the spool's replay) is kept on
    a survey made for it, so no answer is lost.
    """
    score = read_score(digits)
    if score is None:
        return None
    call = get_call(call_sid)
    if call is None:
        raise CallNotStored(call_sid)
    survey = call.survey or _new_survey(call, "ivr", "sent", now)
    if survey.status == "answered":
        return survey  # the provider repeated the action: the first answer stands
    _answered(survey, score, config, now)
    db.session.commit()
    return survey


def give_up_on_the_line(call_sid: str) -> None:
    """The caller pressed nothing usable twice: the survey is left unanswered (expired)."""
    db.session.execute(
        update(Survey).where(Survey.call_id == select(Call.id).where(Call.call_sid == call_sid).scalar_subquery(),
                             Survey.status == "sent", Survey.channel == "ivr")
        .values(status="expired").execution_options(synchronize_session=False))
    db.session.commit()


def after_call_ended(call: Call, config: CareSettings, *, caller_id: str | None, now: datetime) -> Survey | None:
    """A call just ended. A survey asked on the line and not answered has expired. A caller an
    agent spoke to, not asked on the line, is texted instead when they can be: returns the queued
    SMS survey (status `pending`; `send_pending` sends it), or None."""
    survey = call.survey
    if survey is not None:
        if survey.channel == "ivr" and survey.status == "sent":
            survey.status = "expired"
            db.session.commit()
        return None
    if call.connected_at is None or call.direction != "inbound" or config.survey_mode == "off":
        return None  # nobody spoke to them: there is no service to ask about
    if not caller_id or not phone_numbers.can_take_sms(call.from_e164):
        return None
    reason = why_not_surveyed(call, config, now)
    if reason is not None:
        log.info("caller not surveyed by SMS: %s", reason, extra={"call_sid": call.call_sid})
        return None
    survey = _new_survey(call, "sms", "pending", now)
    db.session.commit()
    return survey


# --- sending SMS surveys (a background job, never a webhook's thread) -----------------------------

def _claim(survey_id: int, now: datetime) -> bool:
    """Take one pending survey to send; of two processes trying at once exactly one gets it."""
    taken = db.session.execute(
        update(Survey).where(Survey.id == survey_id, Survey.status == "pending")
        .values(status="sending", claimed_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(taken)


def _give_up_on_stuck(config: CareSettings, now: datetime) -> None:
    """Surveys a process took to send and never reported on (it died mid-request) are failed."""
    grace = timedelta(seconds=config.survey_send_timeout_seconds * SENDING_GRACE_TIMEOUTS)
    stuck = list(db.session.scalars(select(Survey).where(Survey.status == "sending", Survey.claimed_at < now - grace)
                                    .options(selectinload(Survey.call))))
    for survey in stuck:
        survey.status, survey.error = "failed", "no word from the provider's REST API"
        log.warning("SMS survey failed: no word from the provider", extra={"call_sid": survey.call_sid})
    if stuck:
        db.session.commit()


def send_pending(send, config: CareSettings, *, caller_id: str | None, now: datetime | None = None) -> int:
    """Send the queued SMS surveys with `send(to, from_, body) -> message sid`, which raises on
    the provider's refusal or silence; each is marked sent, or failed with why (and logged with
    its CallSid). Returns how many are still waiting."""
    now = now or utcnow()
    _give_up_on_stuck(config, now)
    pending = list(db.session.scalars(select(Survey.id).where(Survey.status == "pending")
                                      .order_by(Survey.id).limit(SEND_BATCH)))
    for survey_id in pending:
        if not _claim(survey_id, utcnow()):
            continue
        survey = db.session.get(Survey, survey_id)
        words = wording.wording(survey.language)
        try:
            if not caller_id:
                raise RuntimeError("TWILIO_CALLER_ID is not set")
            sid = send(survey.to_e164, caller_id, words.sms_question)
        except Exception as exc:  # the provider refused, timed out, or could not be reached
            survey.status, survey.error = "failed", _reason(exc)[:500]
            # The provider's message may quote the number ("The 'To' number +1… is not valid"): not in logs.
            log.warning("SMS survey failed: %s", _LONG_NUMBER.sub("<number>", survey.error),
                        extra={"call_sid": survey.call_sid})
        else:
            survey.status, survey.sent_at, survey.message_sid = "sent", utcnow(), sid
        db.session.commit()
    return db.session.scalar(select(func.count(Survey.id)).where(Survey.status == "pending")) or 0


def _reason(exc: Exception) -> str:
    message = getattr(exc, "msg", None) or str(exc) or exc.__class__.__name__
    code = getattr(exc, "code", None)
    return f"{message} (provider error {code})" if code else message


# --- SMS replies ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmsReply:
    """What an incoming SMS did: `text` is what we answer (None: nothing)."""

    text: str | None
    survey: Survey | None = None


def receive_sms(raw_from: str | None, body: str | None, config: CareSettings, *, region: str,
                now: datetime) -> SmsReply:
    """A text from a caller: a score 0-10 answers their newest open survey (open for
    SURVEY_REPLY_HOURS), other text becomes its comment, STOP means never survey them again.
    From an unknown number, or with no open survey, nothing is stored and the answer is polite."""
    number = phone_numbers.normalize(raw_from, region)
    text = (body or "").strip()
    if number is None:
        return SmsReply(wording.wording(None).sms_no_survey)
    if text.casefold() in START_WORDS and db.session.get(SurveyOptOut, number) is not None:
        # Texts may reach them again; a customer marked "Don't survey" stays so until an agent says.
        db.session.delete(db.session.get(SurveyOptOut, number))
        db.session.commit()
        return SmsReply(None)
    if text.casefold() in STOP_WORDS:
        holders = list(db.session.scalars(
            select(Customer).join(PhoneNumber, PhoneNumber.customer_id == Customer.id).where(PhoneNumber.e164 == number)))
        for customer in holders:
            customer.do_not_survey = True
        # Kept by number too: a caller no customer record holds is not texted again either.
        if db.session.get(SurveyOptOut, number) is None:
            db.session.add(SurveyOptOut(e164=number, opted_out_at=now))
        try:
            db.session.commit()
        except IntegrityError:  # the same STOP delivered twice at once: it is recorded
            db.session.rollback()
        if holders:
            log.info("a caller texted STOP: %d customer(s) not to be surveyed again", len(holders))
        return SmsReply(None)  # the carrier (or Twilio) confirms an opt-out itself
    since = now - timedelta(hours=config.survey_reply_hours)
    surveys = list(db.session.scalars(
        select(Survey).where(Survey.to_e164 == number, Survey.channel == "sms", Survey.sent_at >= since,
                             Survey.status.in_(("sent", "answered")))
        .order_by(Survey.sent_at.desc(), Survey.id.desc()).limit(5)))
    if not surveys:
        return SmsReply(wording.wording(None).sms_no_survey)
    newest = surveys[0]
    words = wording.wording(newest.language)
    score = read_score(text)
    if score is not None and newest.status == "sent":
        _answered(newest, score, config, now)
        db.session.commit()
        return SmsReply(words.sms_thanks, newest)
    if not text:
        return SmsReply(None, newest)
    newest.comment = f"{newest.comment}\n{text}" if newest.comment else text
    newest.comment = newest.comment[:4000]
    db.session.commit()
    return SmsReply(words.sms_comment_thanks, newest)


# A page of surveys, at most: a range for reports is what the metrics are for.
MAX_LISTED = 500


def list_surveys(*, customer_id: int | None = None, agent_id: int | None = None, since: datetime | None = None,
                 until: datetime | None = None, only_agent_id: int | None = None) -> list[Survey]:
    """Surveys newest first; `only_agent_id`: just the surveys of that agent's calls (what an agent may see)."""
    from app.services import validation
    from app.services.validation import FieldErrors

    errors = FieldErrors()
    since, until = validation.naive_utc(errors, "since", since), validation.naive_utc(errors, "until", until)
    if since is not None and until is not None and until < since:
        errors.add("until", "is before since")
    errors.raise_if_any()
    stmt = select(Survey).options(selectinload(Survey.call), selectinload(Survey.agent))
    if customer_id is not None:
        stmt = stmt.where(Survey.customer_id == customer_id)
    if agent_id is not None:
        stmt = stmt.where(Survey.agent_id == agent_id)
    if only_agent_id is not None:
        stmt = stmt.where(Survey.agent_id == only_agent_id)
    if since is not None:
        stmt = stmt.where(Survey.created_at >= since)
    if until is not None:
        stmt = stmt.where(Survey.created_at < until)
    return list(db.session.scalars(stmt.order_by(Survey.created_at.desc(), Survey.id.desc()).limit(MAX_LISTED)))


# --- the job that texts (one per process; the claim keeps two processes from sending one twice) ---

def provider_sender(app):
    """`send(to, from_, body)` through the provider's REST API (`TWILIO_API_BASE_URL`), each
    request bounded by SURVEY_SEND_TIMEOUT_SECONDS."""
    from app.services.provider_api import ProviderAccount, rest_client
    from app.settings import settings

    config = settings(app)
    account = ProviderAccount(config.provider.account_sid, config.provider.auth_token, config.provider.api_base_url,
                              timeout_seconds=float(config.care.survey_send_timeout_seconds))

    def send(to: str, from_: str, body: str) -> str:
        return rest_client(account).messages.create(to=to, from_=from_, body=body).sid

    return send


def send_now(app) -> int:
    """Send what is queued, as this app's settings say; returns how many still wait."""
    from app.settings import settings

    config = settings(app)
    return send_pending(provider_sender(app), config.care, caller_id=config.provider.caller_id)


# How often each process looks for SMS surveys still waiting (queued by a process that stopped
# before sending them); new ones are sent at once.
SWEEP_SECONDS = 60


def keep_sending(app) -> None:
    """Text a survey just queued, off the webhook's thread, now (`app.jobs`); and keep this
    process's sweep of any left waiting running."""
    from app import jobs

    jobs.run(app, "sms-survey", send_now, app)
    keep_sweeping(app)


def keep_sweeping(app) -> None:
    """Start this process's sweep for SMS surveys left waiting (once), every SWEEP_SECONDS."""
    from app import jobs

    def sweep() -> None:
        if db.session.scalar(select(Survey.id).where(Survey.status.in_(("pending", "sending"))).limit(1)):
            send_now(app)

    jobs.every(app, "sms-survey-sweep", sweep, interval=SWEEP_SECONDS)
