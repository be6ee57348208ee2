"""The survey by SMS (SPEC §10): a caller an agent spoke to, not asked on the line, is texted the
question through the provider's REST API (a local stand-in answering as Twilio does), off the
webhook's thread; their reply is their score or comment, and STOP means never again."""
from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, FollowUp, Survey, utcnow
from app.services.care import wording
from tests.care.support import (
    all_surveys,
    answered_call,
    dial_result,
    follow_ups_of,
    press,
    sms_params,
    survey_of,
    tags,
    twiml_of,
)
from tests.factories import make_call, make_customer, make_user
from tests.support.provider import ACCOUNT_SID, Provider, new_call_sid
from tests.support.services import free_port
from tests.support.sockets import wait_until
from tests.support.twilio_api import RunningStandIn

AUTH_TOKEN = "sms-survey-test-token-0123456789"
CALLER_ID = "+18005550199"
ENGLISH = wording.WORDINGS["en"]
# The job that texts runs every SPOOL_RETRY_SECONDS; short here, so the tests wait little.
FAST_JOBS = {"SPOOL_RETRY_SECONDS": 0.2}


@pytest.fixture
def rest_api():
    with RunningStandIn(ACCOUNT_SID, AUTH_TOKEN) as stand_in:
        yield stand_in


def sms_app(app_with, rest_api, **settings):
    config = dict(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_API_BASE_URL=rest_api.base_url,
                  TWILIO_CALLER_ID=CALLER_ID, **FAST_JOBS)
    config.update(settings)
    return app_with(**config)


@pytest.fixture
def app(app_with, rest_api, request):
    """An app that texts through the stand-in, from CALLER_ID (`app_config` adds or overrides)."""
    marker = request.node.get_closest_marker("app_config")
    return sms_app(app_with, rest_api, **(marker.kwargs if marker else {}))


@pytest.fixture
def ann(app_ctx):
    return make_user("ann", display_name="Ann Lee")


@pytest.fixture
def alice(app_ctx):
    return make_customer("Alice Wong", phones=("+14155550100",))


def hung_up_after_talking(provider, agent_id: int, from_: str = "+14155550100") -> str:
    """A call the agent answered, where the caller hung up first: no survey on the line."""
    call_sid = answered_call(provider, agent_id, from_=from_)
    assert tags(twiml_of(dial_result(provider, call_sid, call_status="completed"))) == ["Hangup"]
    response = provider.status(call_sid, "completed", sequence=5, duration=95)
    assert response.status_code == 200
    return call_sid


def settled(call_sid: str, timeout: float = 10.0) -> Survey:
    """The call's SMS survey once the job has handed it to the provider, or given up on it."""
    assert wait_until(lambda: (s := survey_of(call_sid)) is not None and s.status in ("sent", "failed"),
                      timeout=timeout), survey_of(call_sid) and survey_of(call_sid).status
    return survey_of(call_sid)


def sms_survey(customer: Customer | None, agent=None, *, to: str = "+14155550100", sent_ago=timedelta(minutes=5),
               status: str = "sent", language: str = "en") -> Survey:
    """An SMS survey as the job leaves it once the provider took it, `sent_ago`."""
    sent_at = utcnow() - sent_ago
    call = make_call(new_call_sid(), customer, agent, status="completed", from_e164=to, started_at=sent_at,
                     connected_at=sent_at)
    survey = Survey(call=call, customer_id=customer.id if customer else None, agent_id=agent.id if agent else None,
                    channel="sms", language=language, to_e164=to, status=status, created_at=sent_at, sent_at=sent_at,
                    message_sid="SM" + new_call_sid()[2:])
    db.session.add(survey)
    db.session.commit()
    return survey


def reply(provider, from_: str, body: str) -> ET.Element:
    return twiml_of(provider.post("/twilio/sms", sms_params(from_, body)))


def reload(survey: Survey) -> Survey:
    db.session.rollback()
    return db.session.get(Survey, survey.id)


# --- sending ------------------------------------------------------------------------------------

def test_a_caller_who_hung_up_on_an_agent_is_texted_the_question(provider, rest_api, ann, alice):
    call_sid = hung_up_after_talking(provider, ann.id)
    survey = settled(call_sid)
    (message,) = rest_api.messages
    assert (message.value("To"), message.value("From"), message.value("Body")) == (
        "+14155550100", CALLER_ID, ENGLISH.sms_question)
    assert message.username == ACCOUNT_SID
    assert (survey.channel, survey.status, survey.to_e164, survey.agent_id, survey.customer_id) == (
        "sms", "sent", "+14155550100", ann.id, alice.id)
    assert survey.message_sid == message.answer["sid"] and survey.sent_at is not None


def test_the_question_is_texted_in_the_callers_language(provider, rest_api, ann):
    make_customer("Li Wei", phones=("+14155550123",), preferences={"language": "Mandarin"})
    call_sid = hung_up_after_talking(provider, ann.id, from_="+14155550123")
    assert settled(call_sid).status == "sent"
    assert rest_api.messages[0].value("Body") == wording.WORDINGS["zh"].sms_question


@pytest.mark.app_config(SURVEY_MODE="sms")
def test_survey_mode_sms_texts_even_a_caller_left_on_the_line(provider, rest_api, ann, alice):
    call_sid = answered_call(provider, ann.id)
    assert "Gather" not in tags(twiml_of(dial_result(provider, call_sid)))
    provider.status(call_sid, "completed", sequence=5, duration=95)
    assert settled(call_sid).status == "sent"
    assert [m.value("To") for m in rest_api.messages] == ["+14155550100"]


def test_a_caller_asked_on_the_line_is_not_texted_too(provider, rest_api, ann, alice):
    call_sid = answered_call(provider, ann.id)
    assert "Gather" in tags(twiml_of(dial_result(provider, call_sid)))
    provider.status(call_sid, "completed", sequence=5, duration=95)  # hung up on the question
    survey = survey_of(call_sid)
    assert (survey.channel, survey.status) == ("ivr", "expired")
    time.sleep(FAST_JOBS["SPOOL_RETRY_SECONDS"] * 3)  # the job would have run by now
    assert rest_api.messages == []


def test_a_call_nobody_answered_is_not_texted(provider, rest_api, alice):
    call_sid, _ = provider.call()
    provider.status(call_sid, "no-answer", sequence=3)
    assert survey_of(call_sid) is None and all_surveys() == []


def test_a_landline_is_not_texted(provider, rest_api, ann):
    make_customer("Lloyd Banks", phones=("+442071838750",))  # a London fixed line
    call_sid = hung_up_after_talking(provider, ann.id, from_="+442071838750")
    assert survey_of(call_sid) is None
    assert rest_api.messages == []


def test_without_a_caller_id_nobody_is_texted(app_with, rest_api):
    app = sms_app(app_with, rest_api, TWILIO_CALLER_ID=None)
    provider = Provider.of(app)
    with app.app_context():
        ann = make_user("ann")
        make_customer("Alice Wong", phones=("+14155550100",))
        call_sid = hung_up_after_talking(provider, ann.id)
        assert survey_of(call_sid) is None
    assert rest_api.messages == []


def test_a_customer_who_texted_stop_is_not_texted_again(provider, rest_api, ann, alice):
    reply(provider, "+14155550100", "STOP")
    call_sid = hung_up_after_talking(provider, ann.id)
    assert survey_of(call_sid) is None
    assert rest_api.messages == []


@pytest.mark.app_config(SURVEY_SEND_TIMEOUT_SECONDS=1)
def test_a_slow_provider_neither_holds_the_webhook_nor_the_survey_for_long(provider, rest_api, ann, alice):
    rest_api.delay_messages(3)
    call_sid = answered_call(provider, ann.id)
    started = time.monotonic()
    assert provider.status(call_sid, "completed", sequence=5, duration=95).status_code == 200
    returned = time.monotonic()
    assert returned - started < 3, "the status webhook waited for the provider's REST API"

    survey = settled(call_sid)
    failed_at = time.monotonic()
    (message,) = rest_api.messages
    assert message.answered_at is None or message.answered_at > returned  # the webhook did not wait for it
    assert survey.status == "failed" and "timed out" in survey.error.lower(), survey.error
    # Given up after SURVEY_SEND_TIMEOUT_SECONDS, not after the provider's three seconds.
    assert failed_at - message.received_at < 2.8
    assert message.answered_at is None or message.answered_at > failed_at


def test_a_refusal_fails_the_survey_with_the_providers_words_logged_with_the_call_sid(
        provider, rest_api, ann, alice, caplog):
    code, text = 21610, "Attempt to send to unsubscribed recipient"
    rest_api.refuse_messages(400, code, text)
    caplog.set_level(logging.WARNING, logger="app.services.care.surveys")
    call_sid = hung_up_after_talking(provider, ann.id)
    survey = settled(call_sid)
    assert survey.status == "failed" and text in survey.error and str(code) in survey.error
    assert survey.sent_at is None and survey.message_sid is None
    logged = [r for r in caplog.records if getattr(r, "call_sid", None) == call_sid and r.levelno >= logging.WARNING]
    assert logged and text in logged[0].getMessage()
    assert len(rest_api.messages) == 1  # not retried: the provider said no


def test_an_unreachable_provider_fails_the_survey_in_bounded_time(app_with, rest_api):
    app = sms_app(app_with, rest_api, TWILIO_API_BASE_URL=f"http://127.0.0.1:{free_port()}",
                  SURVEY_SEND_TIMEOUT_SECONDS=1)
    provider = Provider.of(app)
    with app.app_context():
        ann = make_user("ann")
        make_customer("Alice Wong", phones=("+14155550100",))
        started = time.monotonic()
        call_sid = hung_up_after_talking(provider, ann.id)
        survey = settled(call_sid, timeout=10)
        assert time.monotonic() - started < 10
        assert survey.status == "failed" and survey.error


# --- replies ------------------------------------------------------------------------------------

def test_a_score_answers_the_survey_then_words_become_its_comment(provider, rest_api, ann, alice):
    call_sid = hung_up_after_talking(provider, ann.id)
    assert settled(call_sid).status == "sent"
    thanked = reply(provider, "+14155550100", " 9 ")
    assert tags(thanked) == ["Message"] and thanked.find("Message").text == ENGLISH.sms_thanks
    survey = survey_of(call_sid)
    assert (survey.status, survey.score, survey.answered_at is not None) == ("answered", 9, True)
    commented = reply(provider, "+14155550100", "the agent was great")
    assert tags(commented) == ["Message"] and commented.find("Message").text == ENGLISH.sms_comment_thanks
    survey = survey_of(call_sid)
    assert (survey.score, survey.comment) == (9, "the agent was great")
    assert follow_ups_of(call_sid) == []


def test_a_low_score_by_text_opens_a_detractor_follow_up_for_the_agent(app, provider, ann, alice):
    survey = sms_survey(alice, ann)
    reply(provider, "+14155550100", "3")
    survey = reload(survey)
    assert (survey.status, survey.score) == ("answered", 3)
    (follow_up,) = follow_ups_of(survey.call.call_sid, "detractor")
    assert (follow_up.owner_id, follow_up.customer_id) == (ann.id, alice.id)
    assert follow_up.due_at == survey.answered_at + timedelta(hours=app.config["FOLLOW_UP_HOURS"])


def test_a_reply_answers_the_newest_open_survey_of_that_number(provider, ann, alice):
    older = sms_survey(alice, ann, sent_ago=timedelta(hours=20))
    newer = sms_survey(alice, ann, sent_ago=timedelta(hours=1))
    reply(provider, "+14155550100", "10")
    assert (reload(newer).score, reload(older).score) == (10, None)


def test_stop_in_any_case_opts_out_every_customer_on_that_number(provider, ann):
    for n, body in enumerate(["STOP", "stop", "Stop", " StOp "]):
        number = f"+1415555{300 + n:04d}"
        alice = make_customer("Alice Wong", phones=(number,))
        household = make_customer("Bo Wong", phones=(number, f"+1415555{400 + n:04d}"))
        other = make_customer("Cy Other", phones=(f"+1415555{500 + n:04d}",))
        survey = sms_survey(alice, ann, to=number)
        root = reply(provider, number, body)
        assert list(root) == [], body
        db.session.rollback()
        assert [db.session.get(Customer, c.id).do_not_survey for c in (alice, household, other)] == [
            True, True, False], body
        assert (reload(survey).score, reload(survey).comment) == (None, None)  # STOP is not a comment


def test_a_stopped_customer_is_not_asked_on_the_line_either(provider, ann, alice):
    reply(provider, "+14155550100", "STOP")
    call_sid = answered_call(provider, ann.id)
    assert "Gather" not in tags(twiml_of(dial_result(provider, call_sid)))
    assert survey_of(call_sid) is None


def test_a_text_from_an_unknown_number_is_answered_politely_and_nothing_stored(provider, ann, alice):
    survey = sms_survey(alice, ann)
    root = reply(provider, "+14155559999", "9")
    assert tags(root) == ["Message"] and root.find("Message").text == ENGLISH.sms_no_survey
    assert (reload(survey).status, reload(survey).score) == ("sent", None)
    assert db.session.scalar(select(func.count(FollowUp.id))) == 0


def test_a_reply_after_survey_reply_hours_answers_nothing(app, provider, ann, alice):
    hours = app.config["SURVEY_REPLY_HOURS"]
    survey = sms_survey(alice, ann, sent_ago=timedelta(hours=hours, minutes=5))
    root = reply(provider, "+14155550100", "2")
    assert tags(root) == ["Message"] and root.find("Message").text == ENGLISH.sms_no_survey
    survey = reload(survey)
    assert (survey.score, survey.comment) == (None, None)
    assert db.session.scalar(select(func.count(FollowUp.id))) == 0


@pytest.mark.app_config(SURVEY_REPLY_HOURS=2)
def test_survey_reply_hours_is_read_from_the_settings(provider, ann, alice):
    survey = sms_survey(alice, ann, sent_ago=timedelta(hours=3))
    reply(provider, "+14155550100", "8")
    assert reload(survey).score is None


def test_a_reply_to_a_survey_that_failed_to_send_answers_nothing(provider, ann, alice):
    survey = sms_survey(alice, ann, status="failed")
    reply(provider, "+14155550100", "8")
    assert reload(survey).score is None


def test_the_thank_you_is_in_the_language_the_survey_was_asked_in(provider, ann):
    li = make_customer("Li Wei", phones=("+14155550123",), preferences={"language": "中文"})
    sms_survey(li, ann, to="+14155550123", language="zh")
    root = reply(provider, "+14155550123", "9")
    assert root.find("Message").text == wording.WORDINGS["zh"].sms_thanks


def test_a_keypad_answer_does_not_take_an_sms_reply(provider, ann, alice):
    """A score pressed on the line and a text are separate channels: the text finds no open SMS survey."""
    call_sid = answered_call(provider, ann.id)
    dial_result(provider, call_sid)
    press(provider, call_sid, "9")
    root = reply(provider, "+14155550100", "2")
    assert root.find("Message").text == ENGLISH.sms_no_survey
    assert survey_of(call_sid).score == 9


def test_a_text_from_another_account_is_refused_and_changes_nothing(provider, ann, alice):
    survey = sms_survey(alice, ann)
    foreign = dict(sms_params("+14155550100", "STOP"), AccountSid="AC" + "9" * 32)
    assert provider.post("/twilio/sms", foreign).status_code == 403
    db.session.rollback()
    assert db.session.get(Customer, alice.id).do_not_survey is False
    assert reload(survey).status == "sent"


def test_without_an_account_sid_a_queued_sms_fails_saying_why(app_with, rest_api):
    app = sms_app(app_with, rest_api, TWILIO_ACCOUNT_SID=None)
    provider = Provider.of(app)
    with app.app_context():
        ann = make_user("ann")
        make_customer("Alice Wong", phones=("+14155550100",))
        call_sid = hung_up_after_talking(provider, ann.id)
        survey = settled(call_sid)
        assert survey.status == "failed" and "TWILIO_ACCOUNT_SID" in survey.error
    assert rest_api.messages == []


def test_stop_from_a_number_no_customer_holds_keeps_it_from_being_texted_until_start(provider, rest_api, ann):
    stranger = "+14155550177"
    assert list(reply(provider, stranger, "STOP")) == []
    call_sid = hung_up_after_talking(provider, ann.id, from_=stranger)
    assert survey_of(call_sid) is None and rest_api.messages == []

    assert list(reply(provider, stranger, "START")) == []
    again = hung_up_after_talking(provider, ann.id, from_=stranger)
    assert settled(again).status == "sent"
    assert [m.value("To") for m in rest_api.messages] == [stranger]


def test_a_refusal_quoting_the_number_logs_the_words_without_it(provider, rest_api, ann, alice, caplog):
    rest_api.refuse_messages(400, 21211, "The 'To' number +14155550100 is not a valid phone number.")
    caplog.set_level(logging.WARNING, logger="app.services.care.surveys")
    call_sid = hung_up_after_talking(provider, ann.id)
    survey = settled(call_sid)
    assert "+14155550100" in survey.error  # kept on the survey, for whoever may see the number
    logged = [r.getMessage() for r in caplog.records if getattr(r, "call_sid", None) == call_sid]
    assert logged and all("4155550100" not in message for message in logged)
    assert "is not a valid phone number" in logged[0]
