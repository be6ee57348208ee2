"""Promises over the API (SPEC §10): what an agent commits to, until someone marks it kept or broken;
only its maker or a supervisor rewords it; every change pops the customer's live call again."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.models import Promise, utcnow
from tests.factories import make_call, make_customer
from tests.support.api import assert_error
from tests.support.provider import new_call_sid
from tests.support.sockets import wait_until

FRIDAY = "2030-03-01T17:00:00Z"


def parse_time(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1])


@pytest.fixture
def alice(app_ctx):
    return make_customer("Alice Wong", phones=("+14155550100",))


def promise(agent, customer_id: int, **body) -> dict:
    body.setdefault("text", "Refund the delivery fee")
    body.setdefault("due_at", FRIDAY)
    response = agent.post(f"/api/v1/customers/{customer_id}/promises", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def test_an_agent_records_a_promise(api_as, alice):
    ann = api_as("agent", display_name="Ann Lee")
    call = make_call(new_call_sid(), alice, ann.user, status="in-progress")
    before = utcnow().replace(microsecond=0)
    made = promise(ann, alice.id, call_sid=call.call_sid)
    assert {k: made[k] for k in ("text", "due_at", "overdue", "status", "made_by", "call_sid", "closed_at")} == {
        "text": "Refund the delivery fee", "due_at": FRIDAY, "overdue": False, "status": "open",
        "made_by": {"id": ann.user.id, "name": "Ann Lee"}, "call_sid": call.call_sid, "closed_at": None}
    assert before <= parse_time(made["made_at"]) <= utcnow()
    assert db.session.get(Promise, made["id"]).customer_id == alice.id


def test_a_promise_needs_its_words_and_a_time_not_long_past(api_as, alice):
    ann = api_as("agent")
    for body, field in [
            ({"due_at": FRIDAY}, "text"), ({"text": "", "due_at": FRIDAY}, "text"),
            ({"text": "  ", "due_at": FRIDAY}, "text"), ({"text": "x" * 501, "due_at": FRIDAY}, "text"),
            ({"text": "Refund"}, "due_at"), ({"text": "Refund", "due_at": None}, "due_at"),
            ({"text": "Refund", "due_at": "friday"}, "due_at"),
            ({"text": "Refund", "due_at": "2020-01-01T00:00:00Z"}, "due_at")]:
        assert_error(ann.post(f"/api/v1/customers/{alice.id}/promises", json=body), 422, field=field)
    assert db.session.query(Promise).count() == 0


def test_a_promise_written_down_just_after_its_time_is_taken_and_overdue(api_as, alice):
    ann = api_as("agent")
    an_hour_ago = (utcnow() - timedelta(hours=1)).replace(microsecond=0).isoformat() + "Z"
    assert promise(ann, alice.id, due_at=an_hour_ago)["overdue"] is True


def test_a_promise_to_a_customer_who_does_not_exist_is_not_found(api_as):
    assert_error(api_as("agent").post("/api/v1/customers/999/promises", json={"text": "x", "due_at": FRIDAY}), 404)


def test_any_agent_marks_a_promise_kept_or_broken_and_when_is_recorded(api_as, alice):
    ann, bob = api_as("agent"), api_as("agent")
    for status in ("kept", "broken"):
        made = promise(ann, alice.id)
        before = utcnow().replace(microsecond=0)
        closed = bob.patch(f"/api/v1/promises/{made['id']}", json={"status": status})
        assert closed.status_code == 200, closed.get_data(as_text=True)
        assert closed.json["status"] == status
        assert before <= parse_time(closed.json["closed_at"]) <= utcnow()
        db.session.rollback()
        stored = db.session.get(Promise, made["id"])
        assert (stored.status, stored.closed_by_id) == (status, bob.user.id)
    assert_error(bob.patch(f"/api/v1/promises/{made['id']}", json={"status": "forgotten"}), 422, field="status")


def test_only_the_maker_or_a_supervisor_rewords_a_promise(api_as, alice):
    ann, bob, sam = api_as("agent"), api_as("agent"), api_as("supervisor")
    made = promise(ann, alice.id)
    assert_error(bob.patch(f"/api/v1/promises/{made['id']}", json={"text": "Refund half"}), 403)
    assert_error(bob.patch(f"/api/v1/promises/{made['id']}", json={"due_at": "2031-01-01T00:00:00Z"}), 403)
    db.session.rollback()
    assert (db.session.get(Promise, made["id"]).text, db.session.get(Promise, made["id"]).due_at) == (
        "Refund the delivery fee", parse_time(FRIDAY))
    reworded = ann.patch(f"/api/v1/promises/{made['id']}", json={"text": "Refund the fee and postage"})
    assert reworded.status_code == 200 and reworded.json["text"] == "Refund the fee and postage"
    moved = sam.patch(f"/api/v1/promises/{made['id']}", json={"due_at": "2031-01-01T00:00:00Z"})
    assert moved.status_code == 200 and moved.json["due_at"] == "2031-01-01T00:00:00Z"
    assert_error(ann.patch(f"/api/v1/promises/{made['id']}", json={"due_at": "2020-01-01T00:00:00Z"}), 422,
                 field="due_at")
    assert_error(ann.patch("/api/v1/promises/999", json={"status": "kept"}), 404)


def test_making_and_keeping_a_promise_pops_the_customers_live_call_again(live_server, socket_factory, api_as):
    ann = api_as("agent", display_name="Ann Lee", base_url=live_server.base_url)
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    desktop = socket_factory(token=ann.token)
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    assert desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)["customer"]["promises"] == []

    made = ann.post(f"/api/v1/customers/{alice.id}/promises", json={"text": "Refund by Friday", "due_at": FRIDAY})
    assert made.status_code == 201, made.text
    repop = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid and p["customer"]["promises"])
    (shown,) = repop["customer"]["promises"]
    assert (shown["id"], shown["text"], shown["made_by"]["name"], shown["overdue"]) == (
        made.json()["id"], "Refund by Friday", "Ann Lee", False)

    assert ann.patch(f"/api/v1/promises/{made.json()['id']}", json={"status": "kept"}).status_code == 200
    pops = lambda: [p for p in desktop.events("screen_pop") if p["call_sid"] == call_sid]  # noqa: E731
    assert wait_until(lambda: len(pops()) >= 3)
    assert pops()[-1]["customer"]["promises"] == []
