"""Private numbers (SPEC §13): with MASK_NUMBERS on, agents never receive a caller's full number —
not in pops, not in the queue, not in any call or customer answer — while supervisors and admins
see every number whole. Numbers still go in: searching by a whole number, adding one, calling back."""
from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.models import PhoneNumber
from app.services import privacy
from tests.factories import make_call, make_customer, make_token, make_user
from tests.routing.support import dialled, xml
from tests.support.api import assert_error
from tests.support.provider import ACCOUNT_SID
from tests.support.sockets import wait_until
from tests.support.twilio_api import RunningStandIn

ALICE = "+14155550100"
MASKED_ALICE = "(415) •••-••00"
WHOLE = ("+14155550100", "415) 555-0100", "4155550100", "5550100", "555-0100")

masked_numbers = pytest.mark.app_config(MASK_NUMBERS=True)


def _carries_no_number(answer) -> bool:
    """Nothing in `answer` (any JSON) shows Alice's number whole, in any of its forms."""
    text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
    return not any(form in text for form in WHOLE)


# --- the mask --------------------------------------------------------------------------------

@pytest.mark.parametrize(("e164", "region", "masked"), [
    ("+14155550100", "US", "(415) •••-••00"),
    ("+18005550199", "US", "(•••) •••-••99"),  # toll-free: no area code to keep
    ("+442079460958", "GB", "020 •••• ••58"),
    ("+442079460958", "US", "+44 20 •••• ••58"),  # abroad: international, the country code kept
    ("+447400123456", "GB", "0•••• ••••56"),  # a mobile: only the last two
    ("+33142685300", "FR", "01 •• •• •• 00"),
    ("+61291234567", "AU", "(02) •••• ••67"),
    ("+4930123456", "DE", "030 ••••56"),
])
def test_a_masked_number_keeps_its_punctuation_area_code_and_last_two_digits(e164, region, masked):
    assert privacy.mask(e164, region) == masked


def test_no_number_masks_to_none():
    assert privacy.mask(None, "US") is None and privacy.mask("", "US") is None


# --- pops ------------------------------------------------------------------------------------

def _team(socket_factory):
    """Ann (an agent, offered calls), Bob (an agent who is away), Wes (an agent watching every
    call, away), Sue (a supervisor) and Ada (an admin), each with a desktop socket."""
    ann = make_user("ann", display_name="Ann Lee")
    bob = make_user("bob", display_name="Bob Ray", status="away")
    wes = make_user("wes", display_name="Wes Tan", status="away", watch_all=True)
    sue = make_user("sue", display_name="Sue Park", role="supervisor")
    ada = make_user("ada", display_name="Ada King", role="admin")
    people = (ann, bob, wes, sue, ada)
    tokens = {user.username: make_token(user) for user in people}
    return people, tokens, {name: socket_factory(token=token) for name, token in tokens.items()}


def _pops(socket, call_sid: str) -> list[dict]:
    return [p for p in socket.events("screen_pop") if p["call_sid"] == call_sid]


def _assert_masked_pop(pop: dict) -> None:
    assert (pop["from"], pop["from_raw"], pop["from_display"]) == (None, None, MASKED_ALICE)
    assert _carries_no_number(pop)


def _assert_whole_pop(pop: dict) -> None:
    assert (pop["from"], pop["from_raw"], pop["from_display"]) == (ALICE, ALICE, "(415) 555-0100")


@masked_numbers
def test_a_pop_is_masked_for_agents_and_whole_for_supervisors_and_admins_once_each(app, live_server,
                                                                                  socket_factory):
    with app.app_context():
        customer_id = make_customer("Alice Wong", phones=(ALICE,)).id
        _people, _tokens, sockets = _team(socket_factory)
    call_sid, response = live_server.provider.call(from_=ALICE)
    assert dialled(xml(response)) == ["ann"]
    for name in ("ann", "wes"):
        pop = sockets[name].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
        _assert_masked_pop(pop)
        assert pop["customer"]["id"] == customer_id  # who it is still pops: only the number is hidden
    for name in ("sue", "ada"):
        _assert_whole_pop(sockets[name].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid))
    live_server.provider.status(call_sid, "in-progress", sequence=1)
    for name in ("ann", "wes", "sue", "ada"):
        sockets[name].wait_for("call_update", lambda u: u["call_sid"] == call_sid)
    for socket in sockets.values():
        socket.drain()
    # Nobody gets the other view as well, and Bob (not offered, not watching) gets nothing.
    assert {name: len(_pops(s, call_sid)) for name, s in sockets.items()} == {
        "ann": 1, "bob": 0, "wes": 1, "sue": 1, "ada": 1}


@masked_numbers
def test_a_call_offered_to_nobody_and_its_queue_are_masked_for_every_agent_only(app, live_server, socket_factory):
    with app.app_context():
        make_customer("Alice Wong", phones=(ALICE,))
        (ann, *_others), _tokens, sockets = _team(socket_factory)
        ann.status = "away"
        db.session.commit()
    call_sid, response = live_server.provider.call(from_=ALICE)
    assert [el.tag for el in xml(response)] == ["Enqueue"]
    for name in ("ann", "bob", "wes"):
        _assert_masked_pop(sockets[name].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid))
        line = sockets[name].wait_for("queue_update", lambda u: [i for i in u["items"] if i["call_sid"] == call_sid])
        assert line["items"][0]["from_display"] == MASKED_ALICE and _carries_no_number(line)
    for name in ("sue", "ada"):
        _assert_whole_pop(sockets[name].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid))
        line = sockets[name].wait_for("queue_update", lambda u: [i for i in u["items"] if i["call_sid"] == call_sid])
        assert line["items"][0]["from_display"] == "(415) 555-0100"
    for socket in sockets.values():
        socket.drain()
    assert {name: len(_pops(s, call_sid)) for name, s in sockets.items()} == dict.fromkeys(sockets, 1)


@masked_numbers
def test_replay_on_connect_gives_each_user_their_own_view(app, live_server, socket_factory):
    with app.app_context():
        make_customer("Alice Wong", phones=(ALICE,))
        _people, tokens, sockets = _team(socket_factory)
    call_sid, _ = live_server.provider.call(from_=ALICE)
    sockets["ann"].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    for name, masked in (("ann", True), ("wes", True), ("sue", False), ("ada", False)):
        again = socket_factory(token=tokens[name])
        pop = again.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
        (_assert_masked_pop if masked else _assert_whole_pop)(pop)
        again.drain()
        assert len(_pops(again, call_sid)) == 1, name


@masked_numbers
def test_an_agent_who_starts_watching_every_call_gets_it_masked_at_once(app, live_server, socket_factory, api_as):
    make_customer("Alice Wong", phones=(ALICE,))
    ann = api_as("agent", username="ann")
    bob = api_as("agent", username="bob", status="away")
    offered, watching = socket_factory(token=ann.token), socket_factory(token=bob.token)
    assert bob.patch("/api/v1/me", json={"watch_all": True}).status_code == 200
    call_sid, response = live_server.provider.call(from_=ALICE)
    assert dialled(xml(response)) == ["ann"]
    _assert_masked_pop(watching.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid))
    _assert_masked_pop(offered.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid))
    watching.drain()
    assert len(_pops(watching, call_sid)) == 1


@masked_numbers
def test_the_pop_sent_while_the_database_is_down_is_masked_for_agents_too(app, live_server, socket_factory):
    from app.models import utcnow
    from app.services.calls import delivery

    with app.app_context():
        _people, _tokens, sockets = _team(socket_factory)
    with app.app_context():
        delivery.pop_unavailable({"CallSid": "CA" + "6" * 32, "From": ALICE, "To": "+18005550199"}, region="US",
                                 now=utcnow())
    for name in ("ann", "bob", "wes"):
        pop = sockets[name].wait_for("screen_pop", lambda p: p["call_sid"] == "CA" + "6" * 32)
        assert pop["lookup"] == "unavailable"
        _assert_masked_pop(pop)
    for name in ("sue", "ada"):
        _assert_whole_pop(sockets[name].wait_for("screen_pop", lambda p: p["call_sid"] == "CA" + "6" * 32))
    for socket in sockets.values():
        socket.drain()
    assert {name: len(_pops(s, "CA" + "6" * 32)) for name, s in sockets.items()} == dict.fromkeys(sockets, 1)


def test_with_masking_off_agents_see_the_number_whole(app, live_server, socket_factory):
    with app.app_context():
        make_customer("Alice Wong", phones=(ALICE,))
        _people, _tokens, sockets = _team(socket_factory)
    call_sid, _ = live_server.provider.call(from_=ALICE)
    for name in ("ann", "wes", "sue", "ada"):
        _assert_whole_pop(sockets[name].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid))
    assert not wait_until(lambda: _pops(sockets["bob"], call_sid), timeout=0.5)


# --- the API ---------------------------------------------------------------------------------

ROLES_MASKED = [("agent", True), ("supervisor", False), ("admin", False)]


@masked_numbers
@pytest.mark.parametrize(("role", "masked"), ROLES_MASKED)
def test_call_answers_are_masked_for_agents_only(api_as, role, masked):
    viewer = api_as(role)
    customer = make_customer("Alice Wong", phones=(ALICE,))
    make_call("CA" + "1" * 32, customer, from_e164=ALICE)
    answers = [viewer.get("/api/v1/calls/CA" + "1" * 32).json,
               *viewer.get("/api/v1/calls?active=true").json["items"],
               *viewer.get("/api/v1/calls").json["items"]]
    for call in answers:
        assert call["to"] == "+18005550199"  # the company's own line is no caller's number
        if masked:
            assert (call["from"], call["from_raw"]) == (None, None)
            assert call["pop"]["from_display"] == MASKED_ALICE and _carries_no_number(call)
        else:
            assert (call["from"], call["pop"]["from"], call["pop"]["from_display"]) == (ALICE, ALICE, "(415) 555-0100")


@masked_numbers
@pytest.mark.parametrize(("role", "masked"), ROLES_MASKED)
def test_customer_answers_are_masked_for_agents_only(api_as, role, masked):
    viewer = api_as(role)
    alice = make_customer("Alice Wong", phones=(ALICE, "+442079460958"))
    make_customer("Wei Wong", phones=(ALICE,))  # shares Alice's number
    answers = [viewer.get(f"/api/v1/customers/{alice.id}").json,
               *viewer.get("/api/v1/customers?q=alice").json["items"]]
    created = viewer.post("/api/v1/customers", json={"name": "Carl Ito", "phones": ["+1 415 555 0177"]})
    assert created.status_code == 201, created.json
    for customer in answers:
        if masked:
            assert customer["phones"] == [MASKED_ALICE, "+44 20 •••• ••58"]
            assert [(p["e164"], p["display"]) for p in customer["phone_numbers"]] == [
                (None, MASKED_ALICE), (None, "+44 20 •••• ••58")]
            assert _carries_no_number(customer) and "7946" not in json.dumps(customer)
        else:
            assert customer["phones"] == [ALICE, "+442079460958"]
            assert customer["phone_numbers"][0]["display"] == "(415) 555-0100"
    shared = answers[0]["shared_numbers"]
    assert [s["customers"][0]["name"] for s in shared] == ["Wei Wong"]
    assert shared[0]["e164"] == (None if masked else ALICE)
    assert shared[0].get("display") == (MASKED_ALICE if masked else None)
    assert created.json["phones"] == (["(415) •••-••77"] if masked else ["+14155550177"])
    with db.session.no_autoflush:
        assert db.session.query(PhoneNumber).filter_by(e164="+14155550177").count() == 1  # stored whole


@masked_numbers
@pytest.mark.parametrize(("role", "masked"), ROLES_MASKED)
def test_searching_by_a_whole_number_finds_the_customer_without_echoing_it(api_as, role, masked):
    viewer = api_as(role)
    alice = make_customer("Alice Wong", phones=(ALICE,))
    for path in ("/api/v1/customers?phone=(415)%20555-0100", "/api/v1/customers?q=%2B1%20415%20555%200100"):
        answer = viewer.get(path)
        assert answer.status_code == 200, answer.json
        assert [c["id"] for c in answer.json["items"]] == [alice.id]
        assert _carries_no_number(answer.json) is masked


@masked_numbers
@pytest.mark.parametrize(("role", "masked"), ROLES_MASKED)
def test_a_masked_agent_cannot_read_a_number_back_a_few_digits_at_a_time(api_as, role, masked):
    viewer = api_as(role)
    alice = make_customer("Alice Wong", phones=(ALICE,))
    found = viewer.get("/api/v1/customers?q=555-0100")
    assert found.status_code == 200
    assert [c["id"] for c in found.json["items"]] == ([] if masked else [alice.id])


@masked_numbers
def test_an_agent_resending_masked_numbers_keeps_them_and_may_add_or_drop_one(api_as):
    ann, sue = api_as("agent"), api_as("supervisor")
    alice = make_customer("Alice Wong", phones=(ALICE, "+14155550111"))
    shown = ann.get(f"/api/v1/customers/{alice.id}").json["phones"]
    assert shown == [MASKED_ALICE, "(415) •••-••11"]

    kept = ann.patch(f"/api/v1/customers/{alice.id}", json={"phones": [*shown, "415-555-0122"]})
    assert kept.status_code == 200, kept.json
    assert kept.json["phones"] == [MASKED_ALICE, "(415) •••-••11", "(415) •••-••22"]
    assert sue.get(f"/api/v1/customers/{alice.id}").json["phones"] == [ALICE, "+14155550111", "+14155550122"]

    dropped = ann.patch(f"/api/v1/customers/{alice.id}", json={"phones": [MASKED_ALICE, "(415) •••-••22"]})
    assert dropped.status_code == 200, dropped.json
    assert sue.get(f"/api/v1/customers/{alice.id}").json["phones"] == [ALICE, "+14155550122"]

    refused = ann.patch(f"/api/v1/customers/{alice.id}", json={"phones": ["(415) •••-••99"]})
    assert_error(refused, 422, field="phones")
    assert sue.get(f"/api/v1/customers/{alice.id}").json["phones"] == [ALICE, "+14155550122"]


@masked_numbers
def test_an_agent_keeps_an_unknown_callers_number_on_the_customer_they_create_without_reading_it(api_as):
    ann, sue = api_as("agent"), api_as("supervisor")
    make_call("CA" + "4" * 32, None, from_e164=ALICE)
    created = ann.post("/api/v1/customers", json={"name": "Alice Wong", "phones": [], "call_sid": "CA" + "4" * 32})
    assert created.status_code == 201, created.json
    assert created.json["phones"] == [MASKED_ALICE]
    assert sue.get(f"/api/v1/customers/{created.json['id']}").json["phones"] == [ALICE]
    unknown = ann.post("/api/v1/customers", json={"name": "Nobody", "call_sid": "CA" + "5" * 32})
    assert_error(unknown, 422, field="call_sid")


@masked_numbers
def test_a_supervisor_sending_a_masked_value_is_refused_naming_phones(api_as):
    sue = api_as("supervisor")
    alice = make_customer("Alice Wong", phones=(ALICE,))
    assert_error(sue.patch(f"/api/v1/customers/{alice.id}", json={"phones": [MASKED_ALICE]}), 422, field="phones")
    assert sue.get(f"/api/v1/customers/{alice.id}").json["phones"] == [ALICE]


@masked_numbers
@pytest.mark.parametrize(("role", "masked"), ROLES_MASKED)
def test_the_queue_is_masked_for_agents_only(api_as, role, masked):
    from app.models import utcnow

    viewer = api_as(role)
    make_call("CA" + "2" * 32, None, from_e164=ALICE, status="queued", queued_at=utcnow(), queue_state="waiting")
    items = viewer.get("/api/v1/queue").json["items"]
    assert [i["from_display"] for i in items] == [MASKED_ALICE if masked else "(415) 555-0100"]


@masked_numbers
@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_what_else_an_agent_reads_carries_no_number(api_as, role):
    viewer = api_as(role)
    alice = make_customer("Alice Wong", phones=(ALICE,))
    make_call("CA" + "3" * 32, alice, agent=viewer.user, from_e164=ALICE, status="completed")
    for path in (f"/api/v1/customers/{alice.id}/timeline", "/api/v1/care-list", "/api/v1/follow-ups",
                 "/api/v1/scorecards.csv"):
        answer = viewer.get(path)
        assert answer.status_code == 200, (path, answer.get_data(as_text=True))
        assert _carries_no_number(answer.get_data(as_text=True)), path


@masked_numbers
@pytest.mark.parametrize(("role", "masked"), ROLES_MASKED)
def test_a_failed_sms_surveys_provider_message_quotes_the_number_masked_for_agents(api_as, role, masked):
    from tests.factories import make_survey

    viewer = api_as(role)
    alice = make_customer("Alice Wong", phones=(ALICE,))
    call = make_call("CA" + "7" * 32, alice, agent=viewer.user, from_e164=ALICE, status="completed")
    make_survey(call, channel="sms", status="failed", error="The 'To' number +14155550100 is not a mobile number")
    (survey,) = viewer.get("/api/v1/surveys").json["items"]
    assert survey["error"] == ("The 'To' number (415) •••-••00 is not a mobile number" if masked
                               else "The 'To' number +14155550100 is not a mobile number")


# --- calling back ----------------------------------------------------------------------------

CALLBACK_TOKEN = "masking-test-token-0123456789abcd"


@pytest.fixture
def callback_app(app_with):
    with RunningStandIn(ACCOUNT_SID, CALLBACK_TOKEN) as stand_in:
        yield app_with(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=CALLBACK_TOKEN,
                       TWILIO_API_BASE_URL=stand_in.base_url, TWILIO_CALLER_ID="+18005550199",
                       MASK_NUMBERS=True), stand_in


def test_a_masked_agent_calls_back_by_customer_without_ever_sending_or_reading_the_number(callback_app, api_as):
    app, stand_in = callback_app
    ann = api_as("agent", app=app)
    alice = make_customer("Alice Wong", phones=(ALICE,))
    refused = ann.post("/api/v1/callbacks", json={"customer_id": alice.id, "phone": ALICE})
    assert_error(refused, 403, field="phone")
    assert stand_in.created_calls == []

    placed = ann.post("/api/v1/callbacks", json={"customer_id": alice.id})
    assert placed.status_code == 201, placed.json
    call = placed.json
    assert (call["direction"], call["to"], call["pop"]["from_display"]) == ("outbound", None, MASKED_ALICE)
    assert _carries_no_number(call)
    assert len(stand_in.created_calls) == 1  # the server dials the stored number itself


def test_a_supervisor_may_still_name_the_number_to_call_back(callback_app, api_as):
    app, stand_in = callback_app
    sue = api_as("supervisor", app=app)
    alice = make_customer("Alice Wong", phones=("+14155550111", ALICE))
    placed = sue.post("/api/v1/callbacks", json={"customer_id": alice.id, "phone": "(415) 555-0100"})
    assert placed.status_code == 201, placed.json
    assert (placed.json["to"], placed.json["pop"]["from_display"]) == (ALICE, "(415) 555-0100")


# --- logs ------------------------------------------------------------------------------------

def test_numbers_in_text_are_masked_and_other_digits_left_alone():
    line = ("The 'To' number +14155550100 is not valid; caller (415) 555-0111 since 2026-12-02T15:01:10Z "
            "on CA0123456789abcdef0123456789abcdef, 3 calls")
    assert privacy.mask_text(line, "US") == (
        "The 'To' number (415) •••-••00 is not valid; caller (415) •••-••11 since 2026-12-02T15:01:10Z "
        "on CA0123456789abcdef0123456789abcdef, 3 calls")


def test_log_lines_carry_numbers_masked_once_masking_is_asked_for(monkeypatch):
    import logging

    from app import logs
    from app.logs import JsonFormatter, PlainFormatter

    monkeypatch.setattr(logs, "_mask_region", None)  # whatever an earlier test's app asked, undone after

    record = logging.LogRecord("app.test", logging.WARNING, __file__, 1, "could not call %s", ("+14155550100",), None)
    record.call_sid, record.to = "CA" + "1" * 32, "+14155550100"
    plain, as_json = PlainFormatter("%(asctime)s %(message)s"), JsonFormatter()
    assert "+14155550100" in plain.format(record)
    logs.mask_numbers_in_logs("US")
    line, entry = plain.format(record), json.loads(as_json.format(record))
    assert "could not call (415) •••-••00" in line and "CA" + "1" * 32 in line and "+14155550100" not in line
    assert (entry["message"], entry["to"], entry["call_sid"]) == ("could not call (415) •••-••00", MASKED_ALICE,
                                                                  "CA" + "1" * 32)
    assert record.getMessage() == "could not call +14155550100"  # other handlers get the record as it was


def test_an_app_with_masking_on_masks_its_process_log_lines(app_with, monkeypatch):
    """Every formatter of ours masks, including one made after the app started: alembic's
    fileConfig replaces the root's handlers (a `flask db upgrade`, the migration tests)."""
    import logging

    from app import logs

    monkeypatch.setattr(logs, "_mask_region", None)
    app_with(MASK_NUMBERS=False)
    assert logs.masking_region() is None
    app_with(MASK_NUMBERS=True)
    assert logs.masking_region() == "US"
    record = logging.LogRecord("app.test", logging.WARNING, __file__, 1, "could not call +14155550100", None, None)
    assert "(415) •••-••00" in logs.PlainFormatter("%(message)s").format(record)
