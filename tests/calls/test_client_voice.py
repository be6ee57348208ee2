"""Calls placed from an agent's browser (SPEC §13): the TwiML App's Voice URL, /twilio/client-voice,
dials the number from TWILIO_CALLER_ID, stores the call as the agent's outbound call and pops it on
their desktop; anything it cannot place is explained and hung up, and nothing is stored."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app import create_app, twiml
from app.extensions import db
from app.models import Call, User
from app.services.calls import browser_phone
from tests.factories import make_customer
from tests.support.provider import ACCOUNT_SID, Provider, new_call_sid, status_params, twiml_of

CALLER_ID = "+18005550199"
APP_SID = "AP" + "7" * 32

pytestmark = pytest.mark.app_config(TWILIO_CALLER_ID=CALLER_ID)


def browser_params(identity: str, to: str, call_sid: str | None = None, **extra) -> dict[str, str]:
    """The fields of the TwiML App's Voice URL request for a call placed with the Voice SDK's
    `device.connect({params: {To}})`, as Twilio sends them."""
    return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "ApplicationSid": APP_SID,
            "CallSid": call_sid or new_call_sid(), "CallStatus": "ringing", "Called": "",
            "Caller": f"client:{identity}", "Direction": "inbound", "From": f"client:{identity}", "To": to, **extra}


def stored_calls() -> list[Call]:
    db.session.rollback()  # end this test's transaction: read what the webhooks committed
    return list(db.session.scalars(select(Call).order_by(Call.id)))


def assert_refused(response, *words: str) -> None:
    """A <Say> that explains (naming `words`), then <Hangup/>; nothing stored."""
    root = twiml_of(response)
    assert [el.tag for el in root] == ["Say", "Hangup"]
    for word in words:
        assert word in root[0].text
    assert stored_calls() == []


@pytest.fixture
def ann(app_ctx):
    from tests.factories import make_user

    return make_user("ann", display_name="Ann Lee")


@pytest.fixture
def mei(app_ctx):
    return make_customer("Mei Huang", phones=("+14155550188",))


# --- the TwiML ------------------------------------------------------------------------------------

def test_the_builder_dials_the_number_from_the_caller_id_and_hears_of_the_customers_leg():
    root = ET.fromstring(twiml.dial_from_browser(
        number="+14155550188", caller_id=CALLER_ID, timeout=25,
        action_url="https://cc.example.com/twilio/client-voice-result",
        leg_status_url="https://cc.example.com/twilio/status?agent=4"))
    (dial,) = root
    assert dial.tag == "Dial"
    assert (dial.get("callerId"), dial.get("timeout"), dial.get("answerOnBridge")) == (CALLER_ID, "25", "true")
    assert (dial.get("action"), dial.get("method")) == ("https://cc.example.com/twilio/client-voice-result", "POST")
    (number,) = dial
    assert (number.tag, number.text) == ("Number", "+14155550188")
    assert number.get("statusCallback") == "https://cc.example.com/twilio/status?agent=4"
    assert (number.get("statusCallbackEvent"), number.get("statusCallbackMethod")) == ("answered", "POST")


# --- placing the call -----------------------------------------------------------------------------

def test_a_call_from_the_browser_dials_the_number_in_e164_and_is_stored_as_the_agents(provider, ann, mei):
    params = browser_params("ann", "(415) 555-0188")
    root = twiml_of(provider.post("/twilio/client-voice", params))
    (dial,) = root
    assert dial.get("callerId") == CALLER_ID
    assert [(n.tag, n.text) for n in dial] == [("Number", "+14155550188")]
    leg = urlsplit(dial[0].get("statusCallback"))
    assert (leg.path, parse_qs(leg.query)) == ("/twilio/status", {"agent": [str(ann.id)]})
    assert urlsplit(dial.get("action")).path == "/twilio/client-voice-result"

    (call,) = stored_calls()
    assert (call.call_sid, call.direction, call.status) == (params["CallSid"], "outbound", "ringing")
    assert (call.from_e164, call.to_e164, call.to_raw) == (CALLER_ID, "+14155550188", "(415) 555-0188")
    assert (call.agent_id, call.customer_id, call.match_kind) == (ann.id, mei.id, "single")
    assert call.claimed_at == call.started_at and call.routing_reason == "browser"


def test_the_call_api_shows_it_as_the_agents_outbound_call(provider, api_as, mei):
    bea = api_as("agent", username="bea", reach_address="bea_desk")
    params = browser_params("bea_desk", "+1 415 555 0188")
    twiml_of(provider.post("/twilio/client-voice", params))
    shown = bea.get(f"/api/v1/calls/{params['CallSid']}").json
    assert (shown["direction"], shown["from"], shown["to"], shown["customer_id"]) == (
        "outbound", CALLER_ID, "+14155550188", mei.id)
    assert shown["agent"] == {"id": bea.user.id, "name": "Bea"}


def test_a_number_nobody_or_several_customers_have_is_called_with_no_customer(provider, ann):
    make_customer("Sam Roe", phones=("+14155550177",))
    make_customer("Kim Roe", phones=("+14155550177",))
    twiml_of(provider.post("/twilio/client-voice", browser_params("ann", "+14155550177")))
    twiml_of(provider.post("/twilio/client-voice", browser_params("ann", "+14155550166")))
    assert [(c.to_e164, c.customer_id, c.match_kind) for c in stored_calls()] == [
        ("+14155550177", None, "none"), ("+14155550166", None, "none")]


def test_a_retried_call_sid_answers_the_same_and_stores_one_call(provider, ann, mei):
    params = browser_params("ann", "415-555-0188")
    first = provider.post("/twilio/client-voice", params).get_data(as_text=True)
    again = provider.post("/twilio/client-voice", params)
    assert again.get_data(as_text=True) == first
    assert len(stored_calls()) == 1


def test_the_pop_reaches_the_agents_desktop_with_the_customers_card(live_server, api_as, socket_factory, mei):
    ann = api_as("agent", username="ann", display_name="Ann Lee", base_url=live_server.base_url)
    desktop = socket_factory(token=ann.token)
    params = browser_params("ann", "(415) 555-0188")
    response = live_server.provider.post("/twilio/client-voice", params)
    assert response.status_code == 200 and "<Number" in response.text
    pop = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == params["CallSid"])
    assert (pop["direction"], pop["match"], pop["from_display"]) == ("outbound", "single", "(415) 555-0188")
    assert pop["customer"]["name"] == "Mei Huang" and pop["agent"] == {"id": ann.user.id, "name": "Ann Lee"}
    assert pop["routing"]["reason"] == "browser"


# --- what the provider says afterwards ------------------------------------------------------------

def test_the_customers_answer_the_dials_end_and_status_callbacks_update_the_call(provider, ann, mei):
    params = browser_params("ann", "+14155550188")
    dial = twiml_of(provider.post("/twilio/client-voice", params))[0]
    call_sid = params["CallSid"]

    leg = urlsplit(dial[0].get("statusCallback"))
    answered = provider.post(f"{leg.path}?{leg.query}", {
        **status_params(new_call_sid(), "in-progress"), "ParentCallSid": call_sid, "Direction": "outbound-dial",
        "From": CALLER_ID, "To": "+14155550188"})
    assert answered.status_code == 200
    (call,) = stored_calls()
    assert (call.status, call.agent_id) == ("in-progress", ann.id)
    assert call.connected_at is not None and call.answered_at is not None

    ended = provider.post(urlsplit(dial.get("action")).path, {
        "AccountSid": ACCOUNT_SID, "CallSid": call_sid, "CallStatus": "in-progress",
        "DialCallStatus": "completed", "DialCallSid": new_call_sid(), "DialCallDuration": "42"})
    assert [el.tag for el in twiml_of(ended)] == ["Hangup"]
    (call,) = stored_calls()
    assert call.status == "completed" and call.ended_at is not None and call.duration is not None

    # The TwiML App's own status callback comes after: a finished call stays as it ended.
    assert provider.status(call_sid, "completed", sequence=3, duration=50).status_code == 200
    assert stored_calls()[0].status == "completed"


def test_the_providers_status_callbacks_alone_update_the_call(provider, ann):
    params = browser_params("ann", "+14155550188")
    twiml_of(provider.post("/twilio/client-voice", params))
    assert provider.status(params["CallSid"], "in-progress", sequence=1).status_code == 200
    assert stored_calls()[0].status == "in-progress"
    assert provider.status(params["CallSid"], "completed", sequence=2, duration=31).status_code == 200
    (call,) = stored_calls()
    assert (call.status, call.duration) == ("completed", 31)


def test_nobody_answering_is_said_to_the_agent_and_ends_the_call(provider, ann):
    params = browser_params("ann", "+14155550188")
    dial = twiml_of(provider.post("/twilio/client-voice", params))[0]
    ended = provider.post(urlsplit(dial.get("action")).path, {
        "AccountSid": ACCOUNT_SID, "CallSid": params["CallSid"], "CallStatus": "in-progress",
        "DialCallStatus": "busy"})
    root = twiml_of(ended)
    assert [el.tag for el in root] == ["Say", "Hangup"] and "busy" in root[0].text
    (call,) = stored_calls()
    assert call.status == "completed" and call.connected_at is None


def test_the_dials_end_leaves_calls_not_placed_from_a_browser_alone(provider, ann):
    call_sid, _ = provider.call(from_="+14155550100")
    ended = provider.post("/twilio/client-voice-result", {"AccountSid": ACCOUNT_SID, "CallSid": call_sid,
                                                          "DialCallStatus": "completed"})
    twiml_of(ended)
    assert stored_calls()[0].status == "ringing"


# --- refused: said politely, nothing stored -------------------------------------------------------

@pytest.mark.parametrize("to", ["", "not a number", "12", "client:bob", "sip:bob@pbx.example.com", "+1 415 555"])
def test_an_unreadable_number_is_explained_and_hung_up(provider, ann, to):
    assert_refused(provider.post("/twilio/client-voice", browser_params("ann", to)), "not a phone number")


@pytest.mark.parametrize("caller", ["client:nobody", "client:", "+14155550100", "", "sip:ann@pbx.example.com"])
def test_an_identity_that_is_no_user_is_explained_and_hung_up(provider, ann, caller):
    params = {**browser_params("ann", "+14155550188"), "From": caller, "Caller": caller}
    assert_refused(provider.post("/twilio/client-voice", params), "active account")


def test_a_deactivated_agents_browser_places_no_call(provider, ann):
    ann.active = False
    db.session.commit()
    assert_refused(provider.post("/twilio/client-voice", browser_params("ann", "+14155550188")), "active account")


def test_a_user_reached_by_phone_has_no_browser_identity(provider, api_as):
    api_as("agent", username="bob", reach_kind="phone", reach_address="+14155550123")
    assert_refused(provider.post("/twilio/client-voice", browser_params("bob", "+14155550188")), "active account")


def test_two_users_sharing_an_identity_place_no_call(provider, api_as):
    api_as("agent", username="cat")
    api_as("agent", username="dan", reach_address="cat")
    assert_refused(provider.post("/twilio/client-voice", browser_params("cat", "+14155550188")), "active account")


@pytest.mark.app_config(TWILIO_CALLER_ID=None)
def test_without_a_caller_id_the_agent_hears_it_is_not_set_up(provider, ann):
    assert_refused(provider.post("/twilio/client-voice", browser_params("ann", "+14155550188")), "not set up")


def test_an_unsigned_or_forged_request_is_403_and_stores_nothing(app, client, ann):
    params = browser_params("ann", "+14155550188")
    assert client.post("/twilio/client-voice", data=params).status_code == 403
    forged = Provider("another-auth-token", client=client)
    assert forged.post("/twilio/client-voice", params).status_code == 403
    assert forged.post("/twilio/client-voice-result", {"CallSid": params["CallSid"]}).status_code == 403
    assert stored_calls() == []


@pytest.mark.parametrize("unreachable", [
    "postgresql+psycopg://postgres@127.0.0.1:1/knowncaller",
    "sqlite:////nonexistent-directory/knowncaller.db",
])
def test_database_unavailable_still_answers_politely(unreachable, caplog, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=unreachable, SPOOL_DIR=str(tmp_path / "spool"),
                     TWILIO_CALLER_ID=CALLER_ID)
    provider = Provider.of(app)
    params = browser_params("ann", "+14155550188")
    root = twiml_of(provider.post("/twilio/client-voice", params))
    assert [el.tag for el in root] == ["Say", "Hangup"] and root[0].text == browser_phone.UNAVAILABLE
    assert any(r.levelname == "ERROR" and getattr(r, "call_sid", None) == params["CallSid"] for r in caplog.records)
    root = twiml_of(provider.post("/twilio/client-voice-result", {"AccountSid": ACCOUNT_SID, "CallSid": params["CallSid"],
                                                               "DialCallStatus": "completed"}))
    assert [el.tag for el in root] == ["Hangup"]


@given(from_=st.one_of(st.text(max_size=80), st.sampled_from(["client:ann", "client:", "client:ANN", "CLIENT:ann"])),
       to=st.one_of(st.text(max_size=80), st.sampled_from(["+14155550188", "", "\x00", "client:ann"])),
       extra=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=40), max_size=4))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_arrives_the_answer_is_twiml(app, ann, from_, to, extra):
    provider = Provider.of(app)
    params = {**extra, **browser_params("ann", to), "From": from_}
    root = twiml_of(provider.post("/twilio/client-voice", params))
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Call).where(Call.call_sid == params["CallSid"]))
        assert stored == (1 if root[0].tag == "Dial" else 0)
        assert db.session.get(User, ann.id).active
