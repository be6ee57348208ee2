"""The survey on the line (SPEC §10): the agent hangs up, the caller is asked 0 to 10 by keypad,
the score is kept on the call, a detractor opens a follow-up, and nobody is surveyed to death."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Call, FollowUp, Survey, utcnow
from app.services.care import wording
from tests.care.support import (
    all_surveys,
    answered_call,
    dial_result,
    follow_ups_of,
    press,
    survey_of,
    tags,
    twiml_of,
)
from tests.factories import make_call, make_customer, make_user
from tests.support.provider import Provider, new_call_sid

ENGLISH = wording.WORDINGS["en"]


@pytest.fixture
def ann(app_ctx):
    return make_user("ann", display_name="Ann Lee")


@pytest.fixture
def alice(app_ctx):
    return make_customer("Alice Wong", phones=("+14155550100",))


def asked(provider, ann, from_="+14155550100") -> tuple[str, object]:
    """A call Ann answered and then hung up on, the caller still there: (its sid, the TwiML root)."""
    call_sid = answered_call(provider, ann.id, from_=from_)
    return call_sid, twiml_of(dial_result(provider, call_sid))


def gather_of(root):
    assert tags(root) == ["Gather", "Redirect"], tags(root)
    return root.find("Gather")


# --- asking -------------------------------------------------------------------------------------

def test_the_caller_left_on_the_line_is_asked_0_to_10_by_keypad(provider, ann, alice):
    call_sid, root = asked(provider, ann)
    gather = gather_of(root)
    assert gather.get("input") == "dtmf"
    action = urlsplit(gather.get("action"))
    assert (action.path, parse_qs(action.query)) == ("/twilio/survey", {"attempt": ["1"]})
    (say,) = gather.findall("Say")
    assert "0 to 10" in say.text and "recommend" in say.text
    assert say.get("language") == "en-US"
    # Silence is answered at the same place (the <Redirect>), never a dead line.
    assert urlsplit(root.find("Redirect").text).path == "/twilio/survey"
    survey = survey_of(call_sid)
    assert (survey.channel, survey.status, survey.score, survey.agent_id, survey.customer_id) == (
        "ivr", "sent", None, ann.id, alice.id)


def test_a_repeated_dial_result_asks_the_same_survey(provider, ann, alice):
    call_sid, _ = asked(provider, ann)
    again = twiml_of(dial_result(provider, call_sid))
    assert gather_of(again) is not None
    assert len(all_surveys()) == 1


def test_a_caller_who_hung_up_first_is_not_asked_on_the_line(provider, ann, alice):
    call_sid = answered_call(provider, ann.id)
    root = twiml_of(dial_result(provider, call_sid, call_status="completed"))
    assert tags(root) == ["Hangup"]
    assert survey_of(call_sid) is None


def test_nobody_answered_goes_to_voicemail_not_the_survey(provider, alice):
    for dial_status in ("no-answer", "busy", "failed"):
        call_sid, _ = provider.call()
        root = twiml_of(dial_result(provider, call_sid, dial_status=dial_status))
        assert tags(root) == ["Say", "Record"], dial_status
        assert survey_of(call_sid) is None


@pytest.mark.app_config(SURVEY_MODE="off")
def test_survey_mode_off_asks_nobody(provider, ann, alice):
    call_sid, root = asked(provider, ann)
    assert "Gather" not in tags(root) and tags(root)[-1] == "Hangup"
    assert survey_of(call_sid) is None


@pytest.mark.app_config(SURVEY_MODE="sms")
def test_survey_mode_sms_does_not_ask_on_the_line(provider, ann, alice):
    call_sid, root = asked(provider, ann)
    assert "Gather" not in tags(root) and tags(root)[-1] == "Hangup"
    assert survey_of(call_sid) is None


def test_a_customer_who_asked_not_to_be_surveyed_is_not_asked(provider, ann, alice):
    alice.do_not_survey = True
    db.session.commit()
    call_sid, root = asked(provider, ann)
    assert "Gather" not in tags(root) and tags(root)[-1] == "Hangup"
    assert survey_of(call_sid) is None


def test_a_customer_surveyed_within_survey_min_days_is_not_asked_again(provider, ann):
    for n, (days_ago, asked_again) in enumerate([(3, False), (8, True)]):
        customer = make_customer(f"Caller {n}", phones=(caller(n),))
        earlier = make_call(new_call_sid(), customer, ann, status="completed",
                            started_at=utcnow() - timedelta(days=days_ago))
        db.session.add(Survey(call=earlier, customer_id=customer.id, agent_id=ann.id, channel="ivr",
                              status="answered", score=9, created_at=earlier.started_at, sent_at=earlier.started_at,
                              answered_at=earlier.started_at))
        db.session.commit()
        call_sid, root = asked(provider, ann, from_=caller(n))
        assert ("Gather" in tags(root)) is asked_again, days_ago
        assert (survey_of(call_sid) is not None) is asked_again


@pytest.mark.app_config(SURVEY_MIN_DAYS=30)
def test_survey_min_days_is_read_from_the_settings(provider, ann, alice):
    earlier = make_call(new_call_sid(), alice, ann, status="completed", started_at=utcnow() - timedelta(days=20))
    db.session.add(Survey(call=earlier, customer_id=alice.id, channel="ivr", status="expired",
                          created_at=earlier.started_at, sent_at=earlier.started_at))
    db.session.commit()
    call_sid, root = asked(provider, ann)
    assert "Gather" not in tags(root)


def test_an_unknown_call_sid_gets_valid_twiml_that_ends_politely(app_ctx, provider):
    root = twiml_of(dial_result(provider, new_call_sid()))
    assert tags(root) == ["Say", "Hangup"]
    assert root.find("Say").text == ENGLISH.goodbye
    assert all_surveys() == []


# --- answering ----------------------------------------------------------------------------------

def caller(n: int) -> str:
    """The nth of a set of callers nobody has surveyed (unknown numbers are told apart by number)."""
    return f"+1415555{200 + n:04d}"


def test_a_score_0_to_10_is_stored_and_the_caller_thanked(provider, ann):
    for n, (digits, score) in enumerate([("0", 0), ("7", 7), ("10", 10), ("7#", 7), ("07", 7), (" 9 ", 9)]):
        call_sid, _ = asked(provider, ann, from_=caller(n))
        root = twiml_of(press(provider, call_sid, digits))
        assert tags(root) == ["Say", "Hangup"], digits
        assert root.find("Say").text == ENGLISH.thanks
        survey = survey_of(call_sid)
        assert (survey.status, survey.score) == ("answered", score), digits
        assert abs((survey.answered_at - utcnow()).total_seconds()) < 30


def test_the_first_answer_stands_when_the_provider_repeats_the_action(provider, ann, alice):
    call_sid, _ = asked(provider, ann)
    press(provider, call_sid, "8")
    press(provider, call_sid, "2")
    assert survey_of(call_sid).score == 8
    assert follow_ups_of(call_sid) == []


def test_anything_else_is_asked_once_more_then_the_call_ends_politely(provider, ann):
    for n, digits in enumerate(["", "#", "*", "11", "abc", "7*", "100"]):
        call_sid, _ = asked(provider, ann, from_=caller(n))
        again = twiml_of(press(provider, call_sid, digits, attempt=1))
        gather = gather_of(again)
        assert parse_qs(urlsplit(gather.get("action")).query) == {"attempt": ["2"]}, digits
        assert [say.text for say in gather.findall("Say")] == [ENGLISH.again, ENGLISH.question]
        assert survey_of(call_sid).status == "sent"

        ended = twiml_of(press(provider, call_sid, digits, attempt=2))
        assert tags(ended) == ["Say", "Hangup"], digits
        assert ended.find("Say").text == ENGLISH.goodbye
        survey = survey_of(call_sid)
        assert (survey.status, survey.score, survey.answered_at) == ("expired", None, None), digits
        assert follow_ups_of(call_sid) == []


def test_silence_without_digits_is_asked_again(provider, ann, alice):
    call_sid, _ = asked(provider, ann)
    from tests.support.provider import ACCOUNT_SID

    root = twiml_of(provider.post("/twilio/survey?attempt=1", {"CallSid": call_sid, "AccountSid": ACCOUNT_SID}))
    assert parse_qs(urlsplit(gather_of(root).get("action")).query) == {"attempt": ["2"]}


def test_an_unanswered_survey_expires_when_the_caller_hangs_up(provider, ann, alice):
    call_sid, _ = asked(provider, ann)
    provider.status(call_sid, "completed", sequence=5, duration=80)
    survey = survey_of(call_sid)
    assert (survey.status, survey.score) == ("expired", None)


def test_an_answered_survey_stays_answered_when_the_call_ends(provider, ann, alice):
    call_sid, _ = asked(provider, ann)
    press(provider, call_sid, "9")
    provider.status(call_sid, "completed", sequence=5, duration=80)
    survey = survey_of(call_sid)
    assert (survey.status, survey.score) == ("answered", 9)


def test_a_score_for_a_call_whose_survey_row_is_missing_is_kept_with_its_own_follow_up(provider, ann, alice):
    # A detractor's follow-up whose call has since gone (calls.id is SET NULL on delete).
    db.session.add(FollowUp(customer_id=alice.id, call_id=None, reason="detractor", owner_id=ann.id,
                            due_at=utcnow() - timedelta(days=30), status="open", created_at=utcnow()))
    db.session.commit()
    call_sid = answered_call(provider, ann.id)  # asked, but the survey's row is not there
    twiml_of(press(provider, call_sid, "4"))
    survey = survey_of(call_sid)
    assert (survey.channel, survey.status, survey.score, survey.agent_id) == ("ivr", "answered", 4, ann.id)
    (follow_up,) = follow_ups_of(call_sid, "detractor")
    assert (follow_up.owner_id, follow_up.customer_id, follow_up.status) == (ann.id, alice.id, "open")


def test_a_score_for_a_call_not_stored_is_thanked_and_nothing_kept(app_ctx, provider):
    root = twiml_of(press(provider, new_call_sid(), "9"))
    assert tags(root) == ["Say", "Hangup"]
    assert all_surveys() == []


# --- service recovery ---------------------------------------------------------------------------

def test_a_detractor_opens_one_follow_up_for_the_agent_who_took_the_call(app, provider, ann):
    for n, digits in enumerate(["0", "3", "6"]):
        customer = make_customer(f"Detractor {n}", phones=(caller(n),))
        call_sid, _ = asked(provider, ann, from_=caller(n))
        press(provider, call_sid, digits)
        press(provider, call_sid, digits)  # the provider repeating itself opens no second one
        (follow_up,) = follow_ups_of(call_sid)
        survey = survey_of(call_sid)
        assert (follow_up.reason, follow_up.owner_id, follow_up.customer_id, follow_up.status) == (
            "detractor", ann.id, customer.id, "open"), digits
        assert follow_up.due_at == survey.answered_at + timedelta(hours=app.config["FOLLOW_UP_HOURS"])


@pytest.mark.app_config(FOLLOW_UP_HOURS=4)
def test_the_detractors_follow_up_is_due_follow_up_hours_later(provider, ann, alice):
    call_sid, _ = asked(provider, ann)
    press(provider, call_sid, "2")
    (follow_up,) = follow_ups_of(call_sid, "detractor")
    assert follow_up.due_at - survey_of(call_sid).answered_at == timedelta(hours=4)


def test_a_passive_or_promoter_opens_no_follow_up(provider, ann):
    for n, digits in enumerate(["7", "8", "10"]):
        call_sid, _ = asked(provider, ann, from_=caller(n))
        press(provider, call_sid, digits)
        assert survey_of(call_sid).score == int(digits)
    assert db.session.scalar(select(func.count(FollowUp.id))) == 0


# --- the caller's language ----------------------------------------------------------------------

def test_the_caller_is_asked_in_their_language(provider, ann):
    for n, (value, language, words) in enumerate([
            ("Mandarin", "zh-CN", "zh"), ("中文", "zh-CN", "zh"), ("zh-CN", "zh-CN", "zh"),
            ("Spanish", "es-MX", "es"), ("español", "es-MX", "es"), ("French", "en-US", "en"),
            ("English", "en-US", "en")]):
        make_customer(f"Caller {n}", phones=(caller(n),), preferences={"language": value})
        call_sid, root = asked(provider, ann, from_=caller(n))
        (say,) = gather_of(root).findall("Say")
        assert (say.get("language"), say.text) == (language, wording.WORDINGS[words].question), value
        thanked = twiml_of(press(provider, call_sid, "10")).find("Say")
        assert (thanked.get("language"), thanked.text) == (language, wording.WORDINGS[words].thanks), value


def test_a_mandarin_speaker_is_asked_again_and_let_go_in_chinese(provider, ann):
    make_customer("Li Wei", phones=("+14155550123",), preferences={"Language": "中文"})
    call_sid, root = asked(provider, ann, from_="+14155550123")
    assert "0到10" in gather_of(root).find("Say").text
    again = gather_of(twiml_of(press(provider, call_sid, "", attempt=1)))
    assert [say.text for say in again.findall("Say")] == [wording.WORDINGS["zh"].again, wording.WORDINGS["zh"].question]
    assert {say.get("language") for say in again.findall("Say")} == {"zh-CN"}
    ended = twiml_of(press(provider, call_sid, "", attempt=2))
    assert (ended.find("Say").get("language"), ended.find("Say").text) == ("zh-CN", wording.WORDINGS["zh"].goodbye)


# --- forged webhooks ----------------------------------------------------------------------------

def test_forged_service_loop_webhooks_are_refused_and_nothing_stored(app, provider, client, ann, alice):
    call_sid, _ = asked(provider, ann)
    forger = Provider("not-our-token", client=client)
    for path, params in [("/twilio/dial-result", {"DialCallStatus": "completed", "CallStatus": "in-progress"}),
                         ("/twilio/survey?attempt=1", {"Digits": "2"}),
                         ("/twilio/sms", {"From": "+14155550100", "Body": "STOP"})]:
        forged = dict(params, CallSid=call_sid, AccountSid="AC" + "0" * 32)
        assert forger.post(path, forged).status_code == 403, path
        assert provider.post(path, forged, signature="").status_code == 403, path
    survey = survey_of(call_sid)
    assert (survey.status, survey.score) == ("sent", None)
    assert db.session.scalar(select(func.count(FollowUp.id))) == 0
    db.session.refresh(alice)
    assert alice.do_not_survey is False
    assert db.session.scalar(select(func.count(Call.id))) == 1
