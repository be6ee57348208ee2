"""Working the call (SPEC §9): claim, link to a customer, wrap-up, preferences and complaints on the call."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import requests

from app.extensions import db
from app.models import Call, Complaint, Preference
from config import _dispositions, _sla_hours
from tests.factories import make_call, make_customer
from tests.support.api import assert_error


@pytest.fixture
def bob(api_as):
    """Bob Ray, another agent."""
    return api_as("agent", username="bob", display_name="Bob Ray")


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


# --- claim ---------------------------------------------------------------------------------------

def test_claim_makes_the_call_yours_and_answers_like_get(provider, ann):
    call_sid, _ = provider.call(from_="+14155550100")
    response = ann.post(f"/api/v1/calls/{call_sid}/claim")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["agent"] == {"id": ann.user.id, "name": "Ann Lee"}
    assert response.json["pop"]["agent"] == {"id": ann.user.id, "name": "Ann Lee"}
    assert response.json == ann.get(f"/api/v1/calls/{call_sid}").json
    call = db.session.query(Call).filter_by(call_sid=call_sid).one()
    assert (call.agent_id, call.claimed_at is not None) == (ann.user.id, True)


def test_claiming_a_call_you_hold_again_changes_nothing(provider, ann):
    call_sid, _ = provider.call()
    first = ann.post(f"/api/v1/calls/{call_sid}/claim")
    claimed_at = db.session.query(Call).filter_by(call_sid=call_sid).one().claimed_at
    again = ann.post(f"/api/v1/calls/{call_sid}/claim")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json["agent"]["id"] == ann.user.id
    db.session.expire_all()
    assert db.session.query(Call).filter_by(call_sid=call_sid).one().claimed_at == claimed_at


def test_claiming_someone_elses_call_is_a_conflict_naming_them(provider, ann, bob):
    call_sid, _ = provider.call()
    ann.post(f"/api/v1/calls/{call_sid}/claim")
    error = assert_error(bob.post(f"/api/v1/calls/{call_sid}/claim"), 409, "conflict")
    assert "already taken by Ann Lee" in error["message"]
    db.session.expire_all()
    assert db.session.query(Call).filter_by(call_sid=call_sid).one().agent_id == ann.user.id


def test_claiming_an_unknown_call_is_not_found(ann):
    assert_error(ann.post("/api/v1/calls/CAnothere/claim"), 404, "not_found")


def test_two_agents_claiming_at_once_exactly_one_wins(live_server, api_as):
    """Real requests on a threaded server, released together: the database decides, once."""
    agents = [api_as("agent", username=f"agent{i}", display_name=f"Agent {i}", base_url=live_server.base_url)
              for i in range(6)]
    apis = {agent.user.id: agent for agent in agents}
    names = {agent.user.id: agent.user.display_name for agent in agents}
    sids = [make_call(f"CArace{n:030d}").call_sid for n in range(4)]

    for call_sid in sids:
        barrier = threading.Barrier(len(apis))
        results: dict[int, requests.Response] = {}

        def claim(agent_id: int, api) -> None:
            barrier.wait()
            results[agent_id] = api.post(f"/api/v1/calls/{call_sid}/claim", timeout=20)

        threads = [threading.Thread(target=claim, args=item) for item in apis.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [200] + [409] * (len(apis) - 1), {a: r.text for a, r in results.items()}
        winner = next(a for a, r in results.items() if r.status_code == 200)
        for agent_id, response in results.items():
            if agent_id != winner:
                assert f"already taken by {names[winner]}" in response.json()["error"]["message"]
        with live_server.app.app_context():
            assert db.session.query(Call).filter_by(call_sid=call_sid).one().agent_id == winner


def test_claim_tells_every_other_desktop_who_took_the_call(live_server, socket_factory, api_as):
    ann = api_as("agent", username="ann", display_name="Ann Lee", base_url=live_server.base_url)
    bob = api_as("agent", username="bob", display_name="Bob Ray", base_url=live_server.base_url)
    bobs_desktop = socket_factory(token=bob.token)
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    bobs_desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)

    response = ann.post(f"/api/v1/calls/{call_sid}/claim")
    assert response.status_code == 200
    update = bobs_desktop.wait_for("call_update", lambda u: u["call_sid"] == call_sid and u["agent"])
    assert update["agent"] == {"id": ann.user.id, "name": "Ann Lee"}
    assert update["status"] == "ringing"

    # Claiming again is idempotent: nothing new to tell anyone.
    ann.post(f"/api/v1/calls/{call_sid}/claim")
    assert len([u for u in bobs_desktop.events("call_update") if u["call_sid"] == call_sid]) == 1


# --- linking a call to a customer ----------------------------------------------------------------

def test_linking_an_unknown_caller_pops_the_new_customer_everywhere(live_server, socket_factory, api_as):
    ann = api_as("agent", username="ann", display_name="Ann Lee", base_url=live_server.base_url)
    ann_id = ann.user.id
    desktop = socket_factory(token=ann.token)
    call_sid, _ = live_server.provider.call(from_="+442079460000")
    assert desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)["match"] == "none"

    customer = ann.post("/api/v1/customers", json={
        "name": "Nigel Pratt", "phones": ["+44 20 7946 0000"], "preferences": [{"key": "tea", "value": "Earl Grey"}],
    }).json()
    response = ann.patch(f"/api/v1/calls/{call_sid}", json={"customer_id": customer["id"]})
    assert response.status_code == 200, response.text
    assert (response.json()["match"], response.json()["customer_id"]) == ("single", customer["id"])

    pop = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid and p["match"] == "single")
    assert pop["customer"]["id"] == customer["id"]
    assert pop["customer"]["name"] == "Nigel Pratt"
    assert [(p["key"], p["value"]) for p in pop["customer"]["preferences"]] == [("tea", "Earl Grey")]
    assert pop["candidates"] == []
    with live_server.app.app_context():
        call = db.session.query(Call).filter_by(call_sid=call_sid).one()
        assert (call.customer_id, call.linked_by_id, call.linked_at is not None) == (customer["id"], ann_id, True)

    # The next call from that number pops with everything recorded.
    next_sid, _ = live_server.provider.call(from_="+442079460000")
    again = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == next_sid)
    assert (again["match"], again["customer"]["name"]) == ("single", "Nigel Pratt")


def test_choosing_among_candidates_is_remembered_on_the_call(provider, ann):
    wei = make_customer("Wei Huang", phones=("+14155550111",))
    mei = make_customer("Mei Huang", phones=("+14155550111",))
    call_sid, _ = provider.call(from_="+14155550111")
    before = ann.get(f"/api/v1/calls/{call_sid}").json
    assert (before["match"], len(before["pop"]["candidates"])) == ("multiple", 2)

    response = ann.patch(f"/api/v1/calls/{call_sid}", json={"customer_id": mei.id})
    assert response.status_code == 200
    after = ann.get(f"/api/v1/calls/{call_sid}").json
    assert (after["match"], after["customer_id"]) == ("single", mei.id)
    assert (after["pop"]["customer"]["name"], after["pop"]["candidates"]) == ("Mei Huang", [])
    assert wei.id != mei.id


@pytest.mark.parametrize("body, field", [
    ({"customer_id": 999}, "customer_id"),
    ({"customer_id": "7"}, "customer_id"),
    ({"customer_id": None}, "customer_id"),
    ({"notes": "x" * 5001}, "notes"),
    ({"disposition": "hung up on them"}, "disposition"),
    ({"agent_id": 1}, "agent_id"),
])
def test_bad_call_changes_are_refused_naming_the_field(provider, ann, body, field):
    call_sid, _ = provider.call()
    error = assert_error(ann.patch(f"/api/v1/calls/{call_sid}", json=body), 422, "invalid")
    assert field in error["fields"]
    db.session.expire_all()
    call = db.session.query(Call).filter_by(call_sid=call_sid).one()
    assert (call.customer_id, call.notes, call.disposition) == (None, None, None)


def test_a_refused_disposition_names_the_allowed_ones(provider, ann):
    call_sid, _ = provider.call()
    error = assert_error(ann.patch(f"/api/v1/calls/{call_sid}",
                                      json={"disposition": "nope"}), 422)
    assert "follow-up needed" in error["message"] and "wrong number" in error["message"]


def test_changing_an_unknown_call_is_not_found(ann):
    assert_error(ann.patch("/api/v1/calls/CAnothere", json={"notes": "hi"}), 404)


# --- wrap-up -------------------------------------------------------------------------------------

def test_wrap_up_saves_notes_and_disposition_and_shows_them_in_history(provider, ann):
    call_sid, _ = provider.call()
    ann.post(f"/api/v1/calls/{call_sid}/claim")
    provider.status(call_sid, "completed", duration=95)
    response = ann.patch(f"/api/v1/calls/{call_sid}", json={
        "notes": "  Wants a callback after 6pm.  ", "disposition": "follow-up needed"})
    assert response.status_code == 200
    assert (response.json["notes"], response.json["disposition"]) == ("Wants a callback after 6pm.",
                                                                      "follow-up needed")
    history = ann.get("/api/v1/calls").json["items"]
    assert [(c["call_sid"], c["notes"], c["disposition"]) for c in history] == [
        (call_sid, "Wants a callback after 6pm.", "follow-up needed")]

    cleared = ann.patch(f"/api/v1/calls/{call_sid}", json={"disposition": None})
    assert (cleared.json["notes"], cleared.json["disposition"]) == ("Wants a callback after 6pm.", None)


def test_wrap_up_alone_does_not_pop_again(live_server, socket_factory, api_as):
    ann = api_as("agent", username="ann", base_url=live_server.base_url)
    desktop = socket_factory(token=ann.token)
    call_sid, _ = live_server.provider.call()
    desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    response = ann.patch(f"/api/v1/calls/{call_sid}", json={"notes": "Just asking"})
    assert response.status_code == 200
    assert len([p for p in desktop.events("screen_pop") if p["call_sid"] == call_sid]) == 1


def test_dispositions_are_listed_in_their_configured_order(ann):
    response = ann.get("/api/v1/dispositions")
    assert response.status_code == 200
    assert response.json["items"] == ["resolved", "follow-up needed", "complaint opened", "information given",
                                      "transferred", "wrong number", "no action"]


@pytest.mark.app_config(DISPOSITIONS=_dispositions(" sold , refund,,sold"))
def test_configured_dispositions_are_the_only_ones_accepted(api_as):
    ann = api_as("agent", username="ann")
    call_sid = make_call("CAconfigured").call_sid
    assert ann.get("/api/v1/dispositions").json["items"] == ["sold", "refund"]
    assert ann.patch(f"/api/v1/calls/{call_sid}", json={"disposition": "refund"}).status_code == 200
    assert_error(ann.patch(f"/api/v1/calls/{call_sid}", json={"disposition": "resolved"}), 422)


def test_settings_for_dispositions_and_service_levels_are_read_strictly():
    assert _dispositions(None)[0] == "resolved"
    assert _sla_hours(None) == {"low": 168, "medium": 72, "high": 24, "critical": 4}
    assert _sla_hours("critical=2, high=12") == {"low": 168, "medium": 72, "high": 12, "critical": 2}
    for bad in ("urgent=3", "high", "high=soon", "high=0"):
        with pytest.raises(RuntimeError, match="COMPLAINT_SLA_HOURS"):
            _sla_hours(bad)
    with pytest.raises(RuntimeError, match="DISPOSITIONS"):
        _dispositions("x" * 51)


# --- preferences from the card -------------------------------------------------------------------

def test_a_preference_is_corrected_then_forgotten(ann):
    customer = make_customer("Alice Wong", preferences={"milk": "whole"})
    preference_id = customer.preferences[0].id
    response = ann.patch(f"/api/v1/preferences/{preference_id}", json={"value": "oat"})
    assert response.status_code == 200
    assert response.json == {"id": preference_id, "key": "milk", "value": "oat"}
    assert db.session.get(Preference, preference_id).updated_at is not None

    renamed = ann.patch(f"/api/v1/preferences/{preference_id}",
                           json={"key": "milk type", "value": "high-calcium"})
    assert renamed.json == {"id": preference_id, "key": "milk type", "value": "high-calcium"}

    deleted = ann.delete(f"/api/v1/preferences/{preference_id}")
    assert (deleted.status_code, deleted.get_data()) == (204, b"")
    assert ann.get(f"/api/v1/customers/{customer.id}").json["preferences"] == []
    assert_error(ann.delete(f"/api/v1/preferences/{preference_id}"), 404)


@pytest.mark.parametrize("body, field", [({"value": ""}, "value"), ({"key": "   "}, "key"),
                                         ({"value": "v" * 501}, "value"), ({"customer_id": 2}, "customer_id")])
def test_bad_preference_changes_are_refused(ann, body, field):
    customer = make_customer("Alice Wong", preferences={"milk": "whole"})
    preference_id = customer.preferences[0].id
    error = assert_error(ann.patch(f"/api/v1/preferences/{preference_id}", json=body), 422)
    assert field in error["fields"]
    db.session.expire_all()
    assert db.session.get(Preference, preference_id).value == "whole"


def test_unknown_preference_is_not_found(ann):
    assert_error(ann.patch("/api/v1/preferences/999", json={"value": "x"}), 404)


# --- complaints on the call ----------------------------------------------------------------------

@pytest.mark.parametrize("severity, hours", [("low", 168), ("medium", 72), ("high", 24), ("critical", 4)])
def test_a_complaint_without_due_date_is_due_after_its_severitys_service_level(ann, severity, hours):
    customer = make_customer("Alice Wong")
    response = ann.post(f"/api/v1/customers/{customer.id}/complaints",
                           json={"subject": "Late delivery", "severity": severity})
    assert response.status_code == 201
    assert parse(response.json["due_at"]) - parse(response.json["opened_at"]) == timedelta(hours=hours)


@pytest.mark.app_config(COMPLAINT_SLA_HOURS=_sla_hours("high=2"))
def test_service_levels_come_from_the_configuration(api_as):
    ann = api_as("agent", username="ann")
    customer_id = make_customer("Alice Wong").id
    body = ann.post(f"/api/v1/customers/{customer_id}/complaints", json={"subject": "Outage", "severity": "high"}).json
    assert parse(body["due_at"]) - parse(body["opened_at"]) == timedelta(hours=2)


def test_a_complaint_opened_on_a_call_remembers_the_call_and_its_assignee(provider, ann):
    customer = make_customer("Alice Wong")
    call_sid, _ = provider.call()
    response = ann.post(f"/api/v1/customers/{customer.id}/complaints", json={
        "subject": "Damaged parcel", "call_sid": call_sid, "assigned_to_id": ann.user.id,
        "due_at": "2031-01-01T00:00:00Z"})
    assert response.status_code == 201
    body = response.json
    assert (body["call_sid"], body["assigned_to_id"], body["assigned_to"]) == (call_sid, ann.user.id,
                                                                                {"id": ann.user.id, "name": "Ann Lee"})
    assert body["due_at"] == "2031-01-01T00:00:00Z"
    complaint = db.session.get(Complaint, body["id"])
    assert complaint.call_id == db.session.query(Call).filter_by(call_sid=call_sid).one().id


@pytest.mark.parametrize("extra, field", [({"call_sid": "CAnothere"}, "call_sid"), ({"assigned_to_id": 999},
                                                                                     "assigned_to_id")])
def test_a_complaint_on_an_unknown_call_or_user_is_refused(ann, extra, field):
    customer = make_customer("Alice Wong")
    error = assert_error(ann.post(f"/api/v1/customers/{customer.id}/complaints",
                                     json={"subject": "x", **extra}), 422)
    assert field in error["fields"]
    assert db.session.query(Complaint).count() == 0


def test_a_complaint_is_edited_resolved_and_reopened(ann):
    customer = make_customer("Alice Wong")
    complaint = ann.post(f"/api/v1/customers/{customer.id}/complaints",
                            json={"subject": "Late", "severity": "low"}).json
    url = f"/api/v1/complaints/{complaint['id']}"
    edited = ann.patch(url, json={
        "subject": "Late delivery", "description": "Two weeks", "severity": "high", "assigned_to_id": ann.user.id}).json
    assert (edited["subject"], edited["description"], edited["severity"], edited["assigned_to_id"]) == (
        "Late delivery", "Two weeks", "high", ann.user.id)
    assert edited["updated_at"] is not None

    resolved = ann.patch(url, json={"status": "resolved", "resolution": "Refunded"}).json
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "Refunded")
    assert resolved["resolved_at"] is not None
    reopened = ann.patch(url, json={"status": "open"}).json
    assert (reopened["status"], reopened["resolved_at"]) == ("open", None)
    assert_error(ann.patch(url, json={"subject": ""}), 422)


# --- who may change a call (SPEC §9a) ------------------------------------------------------------

def test_a_held_call_is_changed_only_by_its_holder_or_a_supervisor(provider, ann, bob, api_as):
    customer = make_customer("Alice Wong", phones=())
    call_sid, _ = provider.call(from_="+14155550999")
    assert ann.post(f"/api/v1/calls/{call_sid}/claim").status_code == 200
    for change in ({"notes": "mine now"}, {"disposition": "resolved"}, {"customer_id": customer.id}):
        assert_error(bob.patch(f"/api/v1/calls/{call_sid}", json=change), 403, "not_your_call")
    call = db.session.query(Call).filter_by(call_sid=call_sid).one()
    db.session.refresh(call)
    assert (call.notes, call.disposition, call.customer_id) == (None, None, None)
    assert ann.patch(f"/api/v1/calls/{call_sid}", json={"notes": "Refund issued"}).status_code == 200
    supervisor = api_as("supervisor")
    assert supervisor.patch(f"/api/v1/calls/{call_sid}", json={"disposition": "resolved"}).status_code == 200


def test_before_anyone_holds_it_any_agent_may_link_the_call(provider, bob):
    customer = make_customer("New Caller", phones=())
    call_sid, _ = provider.call(from_="+14155550999")
    linked = bob.patch(f"/api/v1/calls/{call_sid}", json={"customer_id": customer.id})
    assert linked.status_code == 200 and linked.json["customer_id"] == customer.id


def test_claiming_a_call_that_has_ended_is_a_conflict(provider, ann):
    call_sid, _ = provider.call(from_="+14155550100")
    provider.status(call_sid, "no-answer")
    assert_error(ann.post(f"/api/v1/calls/{call_sid}/claim"), 409, "conflict")
    assert db.session.query(Call).filter_by(call_sid=call_sid).one().agent_id is None


def test_the_agent_whose_phone_answered_holds_the_call_though_another_clicked_first(app, provider, ann, bob):
    call_sid, _ = provider.call(from_="+14155550100")
    assert bob.post(f"/api/v1/calls/{call_sid}/claim").status_code == 200
    leg = provider.post(f"/twilio/status?agent={ann.user.id}", {
        "CallSid": "CA" + "7" * 32, "ParentCallSid": call_sid, "CallStatus": "in-progress",
        "AccountSid": "AC" + "0" * 32})
    assert leg.status_code == 200
    held = ann.get(f"/api/v1/calls/{call_sid}").json
    assert held["agent"] == {"id": ann.user.id, "name": "Ann Lee"}
    assert_error(bob.patch(f"/api/v1/calls/{call_sid}", json={"notes": "mine"}), 403, "not_your_call")


def test_a_call_says_its_direction_and_how_long_the_caller_waited_for_an_agent(provider, ann):
    from datetime import timedelta

    call_sid, _ = provider.call(from_="+14155550100")
    waiting = ann.get(f"/api/v1/calls/{call_sid}").json
    assert (waiting["direction"], waiting["queue_seconds"], waiting["recording_url"]) == ("inbound", None, None)
    call = db.session.query(Call).filter_by(call_sid=call_sid).one()
    call.started_at -= timedelta(seconds=42)  # the caller has waited 42 s when Ann takes the call
    db.session.commit()
    ann.post(f"/api/v1/calls/{call_sid}/claim")
    provider.status(call_sid, "completed", duration=30)
    assert ann.get(f"/api/v1/calls/{call_sid}").json["queue_seconds"] in (42, 43)
    # Claiming again, or the call ending, does not restart the wait.
    assert ann.get("/api/v1/calls").json["items"][0]["queue_seconds"] in (42, 43)


# --- wrap-ups that outlive a reload (SPEC §9a) ---------------------------------------------------

def test_unwrapped_lists_my_ended_calls_without_a_disposition_newest_first(app, provider, ann, bob):
    from datetime import timedelta

    from app.models import utcnow

    sids = []
    for _ in range(3):
        call_sid, _ = provider.call(from_="+14155550100")
        ann.post(f"/api/v1/calls/{call_sid}/claim")
        provider.status(call_sid, "completed", duration=10)
        sids.append(call_sid)
    ann.patch(f"/api/v1/calls/{sids[0]}", json={"disposition": "resolved"})  # wrapped up
    live_sid, _ = provider.call(from_="+14155550100")
    ann.post(f"/api/v1/calls/{live_sid}/claim")  # still going: not a wrap-up yet
    bobs_sid, _ = provider.call(from_="+14155550100")
    bob.post(f"/api/v1/calls/{bobs_sid}/claim")
    provider.status(bobs_sid, "completed")
    old = db.session.query(Call).filter_by(call_sid=sids[1]).one()
    old.ended_at = utcnow() - timedelta(hours=app.config["WRAPUP_WINDOW_HOURS"], minutes=1)
    db.session.commit()

    listed = ann.get("/api/v1/calls?unwrapped=true")
    assert listed.status_code == 200
    assert [item["call_sid"] for item in listed.json["items"]] == [sids[2]]
    assert listed.json["items"][0]["pop"]["call_sid"] == sids[2]
    assert [item["call_sid"] for item in bob.get("/api/v1/calls?unwrapped=true").json["items"]] == [bobs_sid]


# --- voicemails nobody may miss (SPEC §9a, §10) --------------------------------------------------

def test_a_voicemail_shows_on_its_call_and_opens_a_call_back_follow_up(app, provider, ann):
    from datetime import timedelta

    customer = make_customer("Alice Wong", phones=("+14155550100",))
    call_sid, _ = provider.call(from_="+14155550100")
    provider.status(call_sid, "no-answer")
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"
    for _ in range(2):  # the provider retries its callback: still one follow-up
        answer = provider.post("/twilio/voicemail", {"CallSid": call_sid, "RecordingUrl": recording,
                                                     "AccountSid": "AC" + "0" * 32})
        assert answer.status_code == 200

    assert ann.get(f"/api/v1/calls/{call_sid}").json["recording_url"] == recording
    listed = ann.get("/api/v1/follow-ups?status=open").json["items"]
    assert [(f["reason"], f["call_sid"], f["customer_id"], f["status"], f["owner"]) for f in listed] == [
        ("voicemail", call_sid, customer.id, "open", None)]
    stored = db.session.query(Call).filter_by(call_sid=call_sid).one()
    assert parse(listed[0]["due_at"]) - parse(stored.ended_at.isoformat() + "Z") <= timedelta(
        hours=app.config["FOLLOW_UP_HOURS"], minutes=1)
    assert listed[0]["overdue"] is False
    assert ann.get("/api/v1/follow-ups?owner=me").json["items"] == []
    assert_error(ann.get("/api/v1/follow-ups?status=maybe"), 422)


# --- giving a call back, and a customer deleted mid-call (issue 9) -------------------------------

def test_a_held_call_is_given_back_by_its_holder_and_anyone_may_take_it_then(provider, ann, bob, api_as):
    call_sid, _ = provider.call(from_="+14155550100")
    assert_error(ann.post(f"/api/v1/calls/{call_sid}/release"), 409, "conflict")  # nobody holds it yet
    ann.post(f"/api/v1/calls/{call_sid}/claim")
    assert_error(bob.post(f"/api/v1/calls/{call_sid}/release"), 403, "not_your_call")
    released = ann.post(f"/api/v1/calls/{call_sid}/release")
    assert released.status_code == 200, released.get_data(as_text=True)
    assert (released.json["agent"], released.json["pop"]["agent"]) == (None, None)
    assert bob.post(f"/api/v1/calls/{call_sid}/claim").json["agent"]["name"] == "Bob Ray"
    supervisor = api_as("supervisor")
    assert supervisor.post(f"/api/v1/calls/{call_sid}/release").json["agent"] is None  # anyone's
    provider.status(call_sid, "completed")
    assert_error(ann.post(f"/api/v1/calls/{call_sid}/release"), 409, "conflict")  # ended


def test_giving_a_call_back_tells_every_desktop(live_server, socket_factory, api_as):
    ann = api_as("agent", username="ann", base_url=live_server.base_url)
    watcher = socket_factory(token=api_as("agent").token)
    call_sid, _ = live_server.provider.call()
    ann.post(f"/api/v1/calls/{call_sid}/claim")
    watcher.wait_for("call_update", lambda u: u["call_sid"] == call_sid and u["agent"] is not None)
    ann.post(f"/api/v1/calls/{call_sid}/release")
    watcher.wait_for("call_update", lambda u: u["call_sid"] == call_sid and u["agent"] is None)


def test_deleting_a_customer_mid_call_keeps_the_call_and_says_whose_record_went(live_server, socket_factory, api_as):
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    make_customer("Wei Huang", phones=("+14155550111",))
    make_customer("Mei Huang", phones=("+14155550111",))
    ann = api_as("agent", username="ann", base_url=live_server.base_url)
    supervisor = api_as("supervisor", base_url=live_server.base_url)
    desk = socket_factory(token=ann.token)
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    desk.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    ann.patch(f"/api/v1/calls/{call_sid}", json={"notes": "parcel arrived wet"})

    assert supervisor.delete(f"/api/v1/customers/{alice.id}").status_code == 204
    pop = desk.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid and "customer_removed" in p)
    assert pop["customer_removed"] == {"id": alice.id, "name": "Alice Wong"}
    assert (pop["match"], pop["customer"], pop["from"]) == ("none", None, "+14155550100")
    kept = ann.get(f"/api/v1/calls/{call_sid}").json()
    assert (kept["status"], kept["from"], kept["notes"], kept["customer_id"]) == (
        "ringing", "+14155550100", "parcel arrived wet", None)
    # The call is workable again: the agent links it to a new record.
    again = ann.post("/api/v1/customers", json={"name": "Alice Wong", "phones": ["+14155550100"]}).json()
    assert ann.patch(f"/api/v1/calls/{call_sid}", json={"customer_id": again["id"]}).status_code == 200


def test_a_deleted_customer_on_a_shared_number_leaves_the_other_holder_on_the_call(provider, ann, api_as):
    wei = make_customer("Wei Huang", phones=("+14155550111",))
    mei = make_customer("Mei Huang", phones=("+14155550111",))
    call_sid, _ = provider.call(from_="+14155550111")
    ann.patch(f"/api/v1/calls/{call_sid}", json={"customer_id": wei.id})
    assert api_as("supervisor").delete(f"/api/v1/customers/{wei.id}").status_code == 204
    kept = ann.get(f"/api/v1/calls/{call_sid}").json
    assert (kept["match"], kept["customer_id"]) == ("single", mei.id)


def test_a_withheld_call_linked_to_a_customer_still_reads_number_withheld(provider, ann):
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    call_sid, _ = provider.call(from_="anonymous")
    linked = ann.patch(f"/api/v1/calls/{call_sid}", json={"customer_id": alice.id}).json
    assert (linked["pop"]["match"], linked["pop"]["from_display"]) == ("single", "Number withheld")


def test_a_merge_pops_a_live_call_of_the_duplicate_again_as_the_kept_customer(live_server, socket_factory, api_as):
    kept = make_customer("Alice Wong", phones=("+14155550100",))
    duplicate = make_customer("A. Wong", phones=("+14155550199",))
    ann = api_as("agent", username="ann", base_url=live_server.base_url)
    supervisor = api_as("supervisor", base_url=live_server.base_url)
    desk = socket_factory(token=ann.token)
    call_sid, _ = live_server.provider.call(from_="+14155550199")
    desk.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid and p["customer"]["name"] == "A. Wong")
    merged = supervisor.post(f"/api/v1/customers/{kept.id}/merge", json={"duplicate_id": duplicate.id})
    assert merged.status_code == 200, merged.text
    pop = desk.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid and p["customer"]["name"] == "Alice Wong")
    assert pop["customer"]["id"] == kept.id
