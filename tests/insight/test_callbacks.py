"""Calling a customer back from the care list (SPEC §12), against a local stand-in of Twilio's
REST API (real HTTP, the real twilio client): the agent rings first, then the customer; the
outbound call is stored, pops on the agent's desktop, and closes its follow-up when wrapped up."""
from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Call, FollowUp, utcnow
from tests.factories import make_call, make_customer, make_follow_up
from tests.support.api import assert_error
from tests.support.provider import ACCOUNT_SID, status_params
from tests.support.twilio_api import RunningStandIn

AUTH_TOKEN = "callback-test-token-0123456789abcd"
CALLER_ID = "+18005550199"
GARBLED = "garbled"  # TWILIO_API_BASE_URL=GARBLED: a provider whose answers are not JSON


@pytest.fixture
def rest_api():
    with RunningStandIn(ACCOUNT_SID, AUTH_TOKEN) as stand_in:
        yield stand_in


class _GarbledAnswers(BaseHTTPRequestHandler):
    """A provider behind a broken proxy: every request is answered 201 with an HTML page."""

    def log_message(self, *_args):
        return None

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<html><body>502 Bad Gateway</body></html>"
        self.send_response(201)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def garbled_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GarbledAnswers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def app(app_with, rest_api, request):
    """An app that places calls through the stand-in, from CALLER_ID (`app_config` overrides)."""
    marker = request.node.get_closest_marker("app_config")
    config = dict(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_API_BASE_URL=rest_api.base_url,
                  TWILIO_CALLER_ID=CALLER_ID)
    config.update(marker.kwargs if marker else {})
    if config["TWILIO_API_BASE_URL"] == GARBLED:
        config["TWILIO_API_BASE_URL"] = request.getfixturevalue("garbled_api")
    return app_with(**config)


@pytest.fixture
def mei(app_ctx):
    """Mei Huang, who scored us 3 and is owed a call back."""
    customer = make_customer("Mei Huang", phones=("+14155550188", "+14155550189"))
    return customer


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _bridge(provider, rest_api, call_sid: str, **extra) -> ET.Element:
    """The agent answers the last callback placed: the TwiML the bridge URL the provider was given answers."""
    answer = provider.post(_path_and_query(rest_api.created_calls[-1].value("Url")),
                           {"CallSid": call_sid, "AccountSid": ACCOUNT_SID, "CallStatus": "in-progress", **extra})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/xml")
    return ET.fromstring(answer.data)


def _outbound_count() -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(Call).where(Call.direction == "outbound"))


def test_the_agent_rings_first_then_the_customer_and_the_wrap_up_closes_the_follow_up(
        live_server, api_as, rest_api, socket_factory, mei):
    ann = api_as("agent", display_name="Ann Lee", base_url=live_server.base_url)
    follow_up = make_follow_up(mei, "detractor", due_at=utcnow() + timedelta(hours=2), owner=ann.user,
                               note="Scored us 3/10")
    desktop = socket_factory(token=ann.token)

    answer = ann.post("/api/v1/callbacks", json={"customer_id": mei.id, "follow_up_id": follow_up.id})
    assert answer.status_code == 201, answer.text
    call = answer.json()
    placed = rest_api.created_calls[-1]
    assert call["call_sid"] == next(iter(rest_api.calls)) and call["direction"] == "outbound"
    assert call["customer_id"] == mei.id and call["agent"]["name"] == "Ann Lee"
    # The provider rings Ann's browser client first, from our number, and asks us what to do next.
    assert (placed.value("To"), placed.value("From")) == ("client:" + ann.user.username, CALLER_ID)
    assert urlsplit(placed.value("StatusCallback")).path == "/twilio/status"
    pop = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call["call_sid"])
    assert pop["direction"] == "outbound" and pop["customer"]["name"] == "Mei Huang"
    assert pop["from_display"] == "(415) 555-0188" and pop["routing"]["reason"] == "callback"

    # Ann answers: the TwiML dials Mei from our number and reports her leg.
    provider = live_server.provider
    bridge = provider.post(_path_and_query(placed.value("Url")), {
        "CallSid": call["call_sid"], "AccountSid": ACCOUNT_SID, "CallStatus": "in-progress",
        "From": CALLER_ID, "To": "client:" + ann.user.username, "Direction": "outbound-api"})
    assert bridge.status_code == 200 and bridge.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(bridge.text)
    assert root.find("Say").text == "Calling Mei Huang now."
    dial = root.find("Dial")
    assert dial.get("callerId") == CALLER_ID and urlsplit(dial.get("action")).path == "/twilio/callback-result"
    number = dial.find("Number")
    assert number.text == "+14155550188"
    assert urlsplit(number.get("statusCallback")).path == "/twilio/callback-leg"

    provider.status(call["call_sid"], "in-progress", sequence=1)
    leg = provider.post(_path_and_query(number.get("statusCallback")),
                        {**status_params("CA" + "c" * 32, "in-progress"), "ParentCallSid": call["call_sid"]})
    assert leg.status_code == 200
    provider.status(call["call_sid"], "completed", sequence=2, duration=95)
    update = desktop.wait_for("call_update", lambda p: p["call_sid"] == call["call_sid"] and p["status"] == "completed")
    assert update["direction"] == "outbound"

    wrapped = ann.patch(f"/api/v1/calls/{call['call_sid']}", json={"disposition": "resolved", "notes": "Refund sent"})
    assert wrapped.status_code == 200, wrapped.text
    db.session.remove()
    closed = db.session.get(FollowUp, follow_up.id)
    assert (closed.status, closed.outcome) == ("done", "Called back: resolved — Refund sent")
    stored = db.session.scalar(select(Call).where(Call.call_sid == call["call_sid"]))
    assert stored.connected_at is not None and stored.wrapped_at is not None


def test_a_callback_nobody_answered_leaves_the_follow_up_open(api_as, rest_api, mei, provider):
    ann = api_as("agent")
    follow_up = make_follow_up(mei, "voicemail", due_at=utcnow() + timedelta(hours=2), owner=ann.user)
    call = ann.post("/api/v1/callbacks", json={"follow_up_id": follow_up.id}).json
    provider.status(call["call_sid"], "in-progress", sequence=1)
    dial = _bridge(provider, rest_api, call["call_sid"]).find("Dial")
    result = provider.post(_path_and_query(dial.get("action")), {
        "CallSid": call["call_sid"], "DialCallStatus": "no-answer", "DialCallDuration": "0",
        "AccountSid": ACCOUNT_SID})
    assert ET.fromstring(result.data).find("Say").text == "There was no answer."
    provider.status(call["call_sid"], "completed", sequence=2)
    assert ann.patch(f"/api/v1/calls/{call['call_sid']}", json={"disposition": "no action"}).status_code == 200
    assert db.session.get(FollowUp, follow_up.id).status == "open"


def test_a_voicemail_from_an_unknown_caller_is_called_back_on_its_number(api_as, rest_api, app_ctx, provider):
    ann = api_as("agent", reach_kind="phone", reach_address="+14155550123")
    voicemail = make_call("CA" + "v" * 32, None, status="completed", from_e164="+14155550777")
    follow_up = make_follow_up(None, "voicemail", due_at=utcnow() + timedelta(hours=1), call_id=voicemail.id)
    answer = ann.post("/api/v1/callbacks", json={"follow_up_id": follow_up.id})
    assert answer.status_code == 201, answer.json
    assert rest_api.created_calls[-1].value("To") == "+14155550123"  # Ann's own phone first
    bridge = provider.post(_path_and_query(rest_api.created_calls[-1].value("Url")),
                           {"CallSid": answer.json["call_sid"], "AccountSid": ACCOUNT_SID})
    assert ET.fromstring(bridge.data).find("Dial/Number").text == "+14155550777"


def test_a_refused_callback_is_a_502_with_the_providers_message_and_nothing_is_stored(api_as, rest_api, mei):
    ann = api_as("agent")
    rest_api.refuse_call_creation(400, 21215, "Account not authorized to call +14155550188.")
    answer = ann.post("/api/v1/callbacks", json={"customer_id": mei.id})
    assert_error(answer, 502, "provider_refused")
    assert "Account not authorized to call +14155550188." in answer.json["error"]["message"]
    assert _outbound_count() == 0


@pytest.mark.app_config(TWILIO_CALLER_ID="")
def test_without_a_caller_id_callbacks_are_503_and_the_care_list_says_why(api_as, rest_api, mei):
    ann = api_as("agent")
    answer = ann.post("/api/v1/callbacks", json={"customer_id": mei.id})
    assert_error(answer, 503, "not_set_up")
    assert "TWILIO_CALLER_ID is not set" in answer.json["error"]["message"]
    assert ann.get("/api/v1/care-list").json["callbacks"] == {
        "available": False, "reason": "Calling back is not set up: TWILIO_CALLER_ID is not set"}
    assert rest_api.created_calls == [] and _outbound_count() == 0


def test_bad_callback_requests_name_the_problem(api_as, rest_api, mei, app_ctx):
    ann = api_as("agent")
    assert_error(ann.post("/api/v1/callbacks", json={}), 422, field="customer_id")
    assert_error(ann.post("/api/v1/callbacks", json={"customer_id": 99999}), 404)
    assert_error(ann.post("/api/v1/callbacks", json={"customer_id": mei.id, "phone": "+14155550100"}), 422,
                 field="phone")
    other = make_customer("Kenji Tanaka", phones=("+14155550141",))
    theirs = make_follow_up(other, "manual", due_at=utcnow())
    assert_error(ann.post("/api/v1/callbacks", json={"customer_id": mei.id, "follow_up_id": theirs.id}), 422,
                 field="follow_up_id")
    make_call("CA" + "l" * 32, mei, ann.user, status="in-progress")
    assert_error(ann.post("/api/v1/callbacks", json={"customer_id": mei.id}), 409)
    assert rest_api.created_calls == []


def test_the_callback_webhooks_are_signed_and_end_politely_for_an_unknown_call(provider, app_ctx):
    forged = provider.post("/twilio/callback-connect?call=1", {"CallSid": "CA1"}, signature="bad")
    assert forged.status_code == 403
    gone = provider.post("/twilio/callback-connect?call=424242", {"CallSid": "CA1", "AccountSid": ACCOUNT_SID})
    root = ET.fromstring(gone.data)
    assert root.find("Hangup") is not None and "no longer available" in root.find("Say").text


def test_another_agents_follow_up_is_not_called_back_under_their_name(api_as, rest_api, mei):
    ann, bob, sue = api_as("agent"), api_as("agent"), api_as("supervisor")
    bobs = make_follow_up(mei, "detractor", due_at=utcnow() + timedelta(hours=2), owner=bob.user)
    answer = ann.post("/api/v1/callbacks", json={"customer_id": mei.id, "follow_up_id": bobs.id})
    assert_error(answer, 403, "forbidden", field="follow_up_id")
    assert rest_api.created_calls == [] and _outbound_count() == 0
    unowned = make_follow_up(mei, "voicemail", due_at=utcnow() + timedelta(hours=2))
    assert ann.post("/api/v1/callbacks", json={"follow_up_id": unowned.id}).status_code == 201
    assert sue.post("/api/v1/callbacks", json={"follow_up_id": bobs.id}).status_code == 201


def test_a_callback_is_neither_given_back_nor_taken_so_nothing_fakes_the_customer_answering(api_as, rest_api, mei):
    ann, bob, sue = api_as("agent"), api_as("agent"), api_as("supervisor")
    follow_up = make_follow_up(mei, "detractor", due_at=utcnow() + timedelta(hours=2), owner=ann.user)
    sid = ann.post("/api/v1/callbacks", json={"customer_id": mei.id, "follow_up_id": follow_up.id}).json["call_sid"]
    for api in (ann, sue):
        answer = api.post(f"/api/v1/calls/{sid}/release")
        assert_error(answer, 409, "conflict", field="call_sid")
        assert sid in answer.json["error"]["message"]
    taken = bob.post(f"/api/v1/calls/{sid}/claim")
    assert_error(taken, 409, "conflict", field="call_sid")
    assert sid in taken.json["error"]["message"]
    assert ann.post(f"/api/v1/calls/{sid}/claim").status_code == 200  # her own: nothing changes
    db.session.remove()
    stored = db.session.scalar(select(Call).where(Call.call_sid == sid))
    assert (stored.agent_id, stored.connected_at) == (ann.user.id, None)


@pytest.mark.app_config(DIAL_TIMEOUT_SECONDS=17)
def test_the_agent_leg_rings_for_the_dial_timeout_and_an_answering_machine_is_not_bridged(api_as, rest_api, mei,
                                                                                          provider):
    ann = api_as("agent", reach_kind="phone", reach_address="+14155550123")
    sid = ann.post("/api/v1/callbacks", json={"customer_id": mei.id}).json["call_sid"]
    placed = rest_api.created_calls[-1]
    assert placed.value("Timeout") == "17" and placed.value("MachineDetection") == "Enable"
    root = _bridge(provider, rest_api, sid, AnsweredBy="machine_start")
    assert root.find("Dial") is None and root.find("Hangup") is not None
    assert _bridge(provider, rest_api, sid, AnsweredBy="human").find("Dial/Number").text == "+14155550188"
    browser = api_as("agent")
    browser.post("/api/v1/callbacks", json={"customer_id": mei.id})
    assert rest_api.created_calls[-1].value("Timeout") == "17"
    assert rest_api.created_calls[-1].value("MachineDetection") is None  # a browser has no voicemail


@pytest.mark.app_config(TWILIO_API_BASE_URL=GARBLED)
def test_a_garbled_provider_answer_is_a_502_and_nothing_is_stored(api_as, mei):
    ann, mei_id = api_as("agent"), mei.id
    answer = ann.post("/api/v1/callbacks", json={"customer_id": mei_id})
    assert "could not be read" in assert_error(answer, 502, "provider_refused")["message"]
    assert _outbound_count() == 0
    assert_error(ann.post("/api/v1/callbacks", json={"customer_id": mei_id}), 502)  # not 409: she is on no call


def test_a_placeholder_left_by_a_crash_does_not_keep_the_agent_on_a_call(api_as, rest_api, mei, app_ctx):
    ann = api_as("agent")
    make_call("pending-" + "0" * 32, None, ann.user, status="queued", direction="outbound",
              started_at=utcnow() - timedelta(minutes=5))
    assert ann.post("/api/v1/callbacks", json={"customer_id": mei.id}).status_code == 201


def test_a_second_click_while_the_first_callback_rings_is_a_409(api_as, rest_api, mei, provider):
    ann = api_as("agent")
    first = ann.post("/api/v1/callbacks", json={"customer_id": mei.id})
    assert first.status_code == 201
    assert_error(ann.post("/api/v1/callbacks", json={"customer_id": mei.id}), 409)
    provider.status(first.json["call_sid"], "ringing", sequence=1)
    assert_error(ann.post("/api/v1/callbacks", json={"customer_id": mei.id}), 409)
    assert len(rest_api.created_calls) == 1


def test_the_bridge_answers_only_the_url_it_gave_the_provider(api_as, rest_api, mei, provider):
    ann = api_as("agent")
    call = ann.post("/api/v1/callbacks", json={"customer_id": mei.id}).json
    url = urlsplit(rest_api.created_calls[-1].value("Url"))
    query = parse_qs(url.query)
    assert query["call"] and query["token"]
    for guessed in (f"{url.path}?call={query['call'][0]}",
                    f"{url.path}?call={query['call'][0]}&token={'0' * len(query['token'][0])}"):
        root = ET.fromstring(provider.post(guessed, {"CallSid": call["call_sid"], "AccountSid": ACCOUNT_SID}).data)
        assert root.find("Dial") is None and "no longer available" in root.find("Say").text
    dial = _bridge(provider, rest_api, call["call_sid"]).find("Dial")
    for url in (dial.get("action"), dial.find("Number").get("statusCallback")):
        assert parse_qs(urlsplit(url).query)["token"] == query["token"]


def test_the_dial_result_starts_the_talk_time_when_the_customers_answer_was_lost(api_as, rest_api, mei, provider):
    ann = api_as("agent")
    follow_up_id = make_follow_up(mei, "detractor", due_at=utcnow() + timedelta(hours=2), owner=ann.user).id
    sid = ann.post("/api/v1/callbacks", json={"customer_id": mei.id, "follow_up_id": follow_up_id}).json["call_sid"]
    provider.status(sid, "in-progress", sequence=1)
    dial = _bridge(provider, rest_api, sid).find("Dial")
    # The customer's leg reported answering while the database was down: that event is gone.
    result = provider.post(_path_and_query(dial.get("action")), {
        "CallSid": sid, "AccountSid": ACCOUNT_SID, "CallStatus": "in-progress", "DialCallStatus": "completed",
        "DialCallDuration": "90", "DialCallSid": "CA" + "d" * 32})
    assert ET.fromstring(result.data).find("Hangup") is not None
    db.session.remove()
    stored = db.session.scalar(select(Call).where(Call.call_sid == sid))
    assert stored.connected_at is not None
    assert abs((utcnow() - timedelta(seconds=90) - stored.connected_at).total_seconds()) < 10
    provider.status(sid, "completed", sequence=2, duration=95)
    assert ann.patch(f"/api/v1/calls/{sid}", json={"disposition": "resolved"}).status_code == 200
    assert db.session.get(FollowUp, follow_up_id).status == "done"
