"""The provider's webhooks: signed or refused, idempotent, monotonic, and always answered."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import AgentPresence, Call, utcnow
from app.services.calls import spool
from tests.factories import make_customer, make_user
from tests.support.provider import (
    ACCOUNT_SID,
    Provider,
    dialled,
    new_call_sid,
    status_params,
    twiml_of,
    voice_params,
)


def call_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Call.id)))


def get_call(app, call_sid) -> Call:
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
        db.session.expunge_all()
        return call


def test_signed_inbound_call_is_recorded_and_routed(app, provider):
    with app.app_context():
        customer_id = make_customer("Alice Wong", phones=("+14155550100",)).id
    call_sid, response = provider.call(from_="+1 (415) 555-0100")
    twiml_of(response)
    call = get_call(app, call_sid)
    assert (call.match_kind, call.customer_id, call.from_e164, call.from_raw, call.status) == (
        "single", customer_id, "+14155550100", "+1 (415) 555-0100", "ringing")
    assert call.to_e164 == "+18005550199"
    assert call.account_sid == ACCOUNT_SID


def test_missing_signature_is_refused_and_nothing_stored(app, provider):
    response = provider.post("/twilio/voice", voice_params(), signature="")
    assert response.status_code == 403
    assert call_count(app) == 0


def test_signature_made_with_another_token_is_refused(app, client):
    forger = Provider("not-our-token", client=client)
    _, response = forger.call()
    assert response.status_code == 403
    assert call_count(app) == 0


def test_tampered_field_breaks_the_signature(app, provider):
    params = voice_params(from_="+14155550100")
    signature = provider.sign("http://localhost/twilio/voice", params)
    tampered = dict(params, From="+14155550199")
    assert provider.post("/twilio/voice", tampered, signature=signature).status_code == 403
    assert call_count(app) == 0


def test_dropping_a_blank_field_breaks_the_signature(app, provider):
    params = voice_params()
    signature = provider.sign("http://localhost/twilio/voice", params)
    without_blank = {k: v for k, v in params.items() if k != "CallerName"}
    assert provider.post("/twilio/voice", without_blank, signature=signature).status_code == 403


def test_signature_for_another_url_is_refused(app, provider):
    response = provider.post("/twilio/voice", voice_params(), sign_url="http://localhost/twilio/other")
    assert response.status_code == 403


def test_status_callback_needs_a_signature_too(app, provider):
    call_sid, _ = provider.call()
    response = provider.post("/twilio/status", status_params(call_sid, "completed"), signature="bogus")
    assert response.status_code == 403
    assert get_call(app, call_sid).status == "ringing"


@pytest.mark.app_config(TWILIO_ACCOUNT_SID="AC" + "1" * 32)
def test_foreign_account_is_refused(app, provider):
    _, response = provider.call()
    assert response.status_code == 403
    assert call_count(app) == 0
    _, response = provider.call(AccountSid="AC" + "1" * 32)
    twiml_of(response)
    assert call_count(app) == 1


def test_retried_call_gets_the_same_answer_and_one_record(app, provider):
    call_sid, first = provider.call()
    _, second = provider.call(call_sid=call_sid)
    assert first.get_data() == second.get_data()
    assert call_count(app) == 1


@pytest.mark.parametrize("sequence", [
    [("in-progress", 1), ("completed", 2), ("in-progress", 1), ("ringing", 0)],
    [("completed", 3), ("in-progress", 2), ("ringing", 1)],
    [("in-progress", None), ("completed", None), ("in-progress", None), ("ringing", None)],
    [("completed", None), ("completed", None), ("busy", None)],
])
def test_finished_call_never_moves_back(app, provider, sequence):
    call_sid, _ = provider.call()
    for status, seq in sequence:
        assert provider.status(call_sid, status, sequence=seq, duration=30).status_code == 200
    call = get_call(app, call_sid)
    assert call.status == "completed"
    assert call.ended_at is not None
    assert call.duration == 30


def test_late_ringing_does_not_undo_an_answer(app, provider):
    call_sid, _ = provider.call()
    provider.status(call_sid, "in-progress", sequence=2)
    provider.status(call_sid, "ringing", sequence=1)
    call = get_call(app, call_sid)
    assert call.status == "in-progress"
    assert call.answered_at is not None


def test_status_for_unknown_call_is_acknowledged_and_creates_no_call(app, provider):
    response = provider.status(new_call_sid(), "completed", sequence=1)
    assert list(twiml_of(response)) == []
    assert call_count(app) == 0


def test_unknown_status_value_is_acknowledged_and_changes_nothing(app, provider):
    call_sid, _ = provider.call()
    assert provider.status(call_sid, "exploded").status_code == 200
    assert get_call(app, call_sid).status == "ringing"


@pytest.mark.app_config(PUBLIC_BASE_URL="https://cc.example.com")
def test_signature_checked_against_public_base_url_behind_a_proxy(app, provider):
    params = voice_params()
    signed_for_public = provider.sign("https://cc.example.com/twilio/voice", params)
    assert provider.post("/twilio/voice", params, signature=signed_for_public).status_code == 200
    signed_for_local = provider.sign("http://localhost/twilio/voice", voice_params())
    assert provider.post("/twilio/voice", voice_params(), signature=signed_for_local).status_code == 403


@pytest.mark.app_config(PUBLIC_BASE_URL="https://cc.example.com")
def test_signature_for_the_url_with_its_default_port_is_accepted(app, provider):
    # Twilio's signing is not consistent about the default port: the URL with ":443" counts, as the
    # library's validator allows; a wrong port does not.
    params = voice_params()
    signed_with_port = provider.sign("https://cc.example.com:443/twilio/voice", params)
    assert provider.post("/twilio/voice", params, signature=signed_with_port).status_code == 200
    other = voice_params()
    wrong_port = provider.sign("https://cc.example.com:8443/twilio/voice", other)
    assert provider.post("/twilio/voice", other, signature=wrong_port).status_code == 403


def test_forwarded_headers_are_trusted_only_when_configured(app_with):
    params = voice_params()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cc.example.com"}
    for hops, expected in ((1, 200), (0, 403)):
        provider = Provider.of(app_with(TRUSTED_PROXIES=hops))
        signature = provider.sign("https://cc.example.com/twilio/voice", params)
        response = provider.post("/twilio/voice", dict(params, CallSid=new_call_sid()) if hops == 0 else params,
                                  signature=signature, headers=headers)
        assert response.status_code == expected


@pytest.mark.app_config(PUBLIC_BASE_URL="https://cc.example.com")
def test_callback_urls_use_the_public_base_url(app, provider):
    params = voice_params()
    response = provider.post("/twilio/voice", params, sign_url="https://cc.example.com/twilio/voice")
    record = twiml_of(response).find("Record")
    assert record.get("action") == "https://cc.example.com/twilio/voicemail"


def test_nobody_online_goes_to_voicemail(app, provider):
    _, response = provider.call()
    root = twiml_of(response)
    assert [el.tag for el in root] == ["Say", "Record"]
    assert root.find("Record").get("action") == "http://localhost/twilio/voicemail"


@pytest.mark.app_config(FALLBACK_NUMBER="+18005550000")
def test_nobody_online_goes_to_the_fallback_number_when_configured(app, provider):
    _, response = provider.call()
    dial = twiml_of(response).find("Dial")
    assert dial.text == "+18005550000"


def test_online_agents_are_rung_at_once_by_their_reach(app, provider):
    with app.app_context():
        ann = make_user("ann", reach_kind="client")
        bob = make_user("bob", reach_kind="phone", reach_address="+14155550123")
        gone = make_user("gone", reach_kind="sip", reach_address="sip:gone@pbx.example.com")
        db.session.add_all([
            AgentPresence(sid="s1", user_id=ann.id),
            AgentPresence(sid="s2", user_id=bob.id),
            AgentPresence(sid="s3", user_id=gone.id, last_seen_at=utcnow() - timedelta(minutes=10)),
        ])
        db.session.commit()
        ids = (ann.id, bob.id)
    _, response = provider.call()
    dial = twiml_of(response).find("Dial")
    assert dial.get("action") == "http://localhost/twilio/dial-result"
    assert dial.get("timeout") == str(app.config["DIAL_TIMEOUT_SECONDS"])
    assert [(n.tag, dialled(n)) for n in dial] == [("Client", "ann"), ("Number", "+14155550123")]
    assert [n.get("statusCallback") for n in dial] == [
        f"http://localhost/twilio/status?agent={ids[0]}", f"http://localhost/twilio/status?agent={ids[1]}"]


def test_answered_agent_leg_assigns_the_call(app, provider):
    with app.app_context():
        ann_id = make_user("ann", display_name="Ann Lee").id
    call_sid, _ = provider.call()
    leg = status_params(new_call_sid(), "in-progress", ParentCallSid=call_sid)
    assert provider.post(f"/twilio/status?agent={ann_id}", leg).status_code == 200
    call = get_call(app, call_sid)
    assert (call.agent_id, call.status) == (ann_id, "in-progress")


@pytest.mark.app_config(SURVEY_MODE="off")
def test_dial_result_thanks_and_hangs_up_after_a_conversation_else_voicemail(app, provider):
    call_sid, _ = provider.call()
    answered = twiml_of(provider.post("/twilio/dial-result", dict(status_params(call_sid, "in-progress"),
                                                                   DialCallStatus="completed")))
    assert [el.tag for el in answered] == ["Say", "Hangup"]
    assert answered.find("Say").text == "Thank you for calling. Goodbye."
    gone = twiml_of(provider.post("/twilio/dial-result", dict(status_params(call_sid, "completed"),
                                                               DialCallStatus="completed")))
    assert [el.tag for el in gone] == ["Hangup"]  # the caller hung up first: nobody to speak to
    missed = twiml_of(provider.post("/twilio/dial-result", dict(status_params(call_sid, "in-progress"),
                                                                 DialCallStatus="no-answer")))
    assert [el.tag for el in missed] == ["Say", "Record"]


def test_voicemail_link_is_kept_on_the_call(app, provider):
    call_sid, _ = provider.call()
    url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE123"
    root = twiml_of(provider.post("/twilio/voicemail", dict(status_params(call_sid, "in-progress"),
                                                            RecordingUrl=url)))
    assert root.find("Hangup") is not None
    assert get_call(app, call_sid).recording_url == url


def test_voice_webhook_without_call_sid_is_still_answered(app, provider):
    params = voice_params()
    del params["CallSid"]
    twiml_of(provider.post("/twilio/voice", params))
    assert call_count(app) == 0


@pytest.mark.parametrize("raw", ["x" * 5000, "client:agent_7", "sip:+14155550100@pbx.example.com", "☎️📞",
                                 "+1 415 555 0100; DROP TABLE calls"])
def test_strange_caller_ids_are_recorded_as_none(app, provider, raw):
    call_sid, response = provider.call(from_=raw)
    twiml_of(response)
    call = get_call(app, call_sid)
    assert (call.match_kind, call.from_e164) == ("none", None)


@pytest.mark.parametrize("unreachable", [
    "postgresql+psycopg://postgres@127.0.0.1:1/knowncaller",
    "sqlite:////nonexistent-directory/knowncaller.db",
])
def test_database_unavailable_still_routes_the_call(unreachable, caplog, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=unreachable, SPOOL_DIR=str(tmp_path / "spool"))
    provider = Provider.of(app)
    call_sid, response = provider.call()
    root = twiml_of(response)
    assert [el.tag for el in root] == ["Say", "Record"]
    assert any(r.levelname == "ERROR" and getattr(r, "call_sid", None) == call_sid for r in caplog.records)
    assert provider.status(call_sid, "completed", sequence=1).status_code == 200
    spooled = [json.loads(p.read_text()) for p in spool.pending(tmp_path / "spool")]
    assert [(e["kind"], e["params"]["CallSid"]) for e in spooled] == [("voice", call_sid), ("status", call_sid)]
    for path in spool.pending(tmp_path / "spool"):  # this database never returns: let the replay stop
        path.unlink()


def test_a_large_floor_rings_ten_free_agents(app, provider):
    with app.app_context():
        agents = [make_user(f"agent{i:02d}") for i in range(12)]
        db.session.add_all([AgentPresence(sid=f"s{a.id}", user_id=a.id) for a in agents])
        busy = agents[0]
        db.session.add(Call(call_sid=new_call_sid(), match_kind="none", status="in-progress", agent_id=busy.id))
        db.session.commit()
        busy_name = busy.username
    _, response = provider.call()
    nouns = [n.text for n in twiml_of(response).find("Dial")]
    assert len(nouns) == 10
    assert busy_name not in nouns
