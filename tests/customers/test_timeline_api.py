"""`GET /api/v1/customers/<id>/timeline`: every touchpoint of a customer, newest first (SPEC §9)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.factories import (
    make_call,
    make_complaint,
    make_customer,
    make_follow_up,
    make_preference,
    make_promise,
    make_survey,
)
from tests.support.api import assert_error

# The timeline orders by the stamps alone: fixed times, so no test depends on the clock.
NOW = datetime(2031, 3, 14, 9, 26, 53)


def test_timeline_lists_every_kind_of_touchpoint_newest_first(ann):
    now = NOW
    customer = make_customer("Alice Wong", phones=("+14155550100",), now=now - timedelta(days=30))
    other = make_customer("Bob Stone", phones=("+14155550199",), now=now - timedelta(days=30))
    make_preference(customer, "milk", "oat", recorded_by_id=ann.user.id, recorded_at=now - timedelta(days=5))
    make_complaint(customer, "Late delivery", severity="high", status="resolved", opened_at=now - timedelta(days=4),
                   resolved_at=now - timedelta(days=2), resolution="Refunded the shipping")
    make_complaint(customer, "Rude driver", severity="low", opened_at=now - timedelta(hours=1))
    make_call("CAold", customer, ann.user, status="completed", started_at=now - timedelta(days=3), duration=125,
              ended_at=now - timedelta(days=3) + timedelta(seconds=125), notes="Parcel never came",
              disposition="complaint opened")
    make_call("CAnew", customer, None, status="no-answer", started_at=now - timedelta(minutes=5),
              ended_at=now - timedelta(minutes=4))
    make_call("CAother", other, ann.user, started_at=now)

    response = ann.get(f"/api/v1/customers/{customer.id}/timeline")
    assert response.status_code == 200
    items = response.json["items"]
    assert [(i["kind"], i.get("call_sid") or i.get("subject") or i.get("key"), i.get("event")) for i in items] == [
        ("call", "CAnew", None),
        ("complaint", "Rude driver", "opened"),
        ("complaint", "Late delivery", "resolved"),
        ("note", "CAold", None),
        ("call", "CAold", None),
        ("complaint", "Late delivery", "opened"),
        ("preference", "milk", None),
    ]
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)
    assert all(i["at"].endswith("Z") for i in items)
    assert (response.json["limit"], response.json["has_more"]) == (200, False)

    new_call, resolved, note, old_call, preference = items[0], items[2], items[3], items[4], items[6]
    assert new_call == {"kind": "call", "at": new_call["at"], "call_sid": "CAnew", "status": "no-answer",
                        "duration": None, "agent": None, "disposition": None}
    assert old_call["agent"] == {"id": ann.user.id, "name": "Ann Lee"}
    assert (old_call["duration"], old_call["disposition"], old_call["status"]) == (125, "complaint opened",
                                                                                   "completed")
    assert (note["text"], note["agent"]) == ("Parcel never came", {"id": ann.user.id, "name": "Ann Lee"})
    assert (resolved["resolution"], resolved["severity"], resolved["status"]) == ("Refunded the shipping", "high",
                                                                                  "resolved")
    assert "resolution" not in items[5]
    assert (preference["key"], preference["value"], preference["recorded_by"]) == ("milk", "oat",
                                                                                   {"id": ann.user.id, "name": "Ann Lee"})
    assert isinstance(preference["preference_id"], int)


def test_timeline_of_a_customer_with_no_history_is_empty(ann):
    customer = make_customer("Quiet Customer", phones=())
    assert ann.get(f"/api/v1/customers/{customer.id}/timeline").json == {
        "items": [], "limit": 200, "has_more": False}


def test_timeline_is_capped_at_the_limit_and_says_so(ann):
    customer = make_customer("Busy Caller", now=NOW - timedelta(days=1))
    for n in range(4):
        make_call(f"CAbusy{n}", customer, started_at=NOW - timedelta(minutes=n))
    body = ann.get(f"/api/v1/customers/{customer.id}/timeline?limit=3").json
    assert [i["call_sid"] for i in body["items"]] == ["CAbusy0", "CAbusy1", "CAbusy2"]
    assert (body["limit"], body["has_more"]) == (3, True)
    body = ann.get(f"/api/v1/customers/{customer.id}/timeline?limit=4").json
    assert (len(body["items"]), body["has_more"]) == (4, False)


def test_timeline_of_an_unknown_customer_is_not_found(ann):
    assert_error(ann.get("/api/v1/customers/999/timeline"), 404, "not_found")


@pytest.mark.parametrize("limit", ["0", "1001", "many"])
def test_timeline_limit_out_of_bounds_is_refused(ann, limit):
    customer = make_customer("Alice Wong")
    error = assert_error(ann.get(f"/api/v1/customers/{customer.id}/timeline?limit={limit}"), 422)
    assert "limit" in error["fields"]


def test_a_whole_call_handled_from_the_card_shows_on_the_timeline(provider, ann):
    """Take the call, note a preference, open and resolve a complaint, wrap up: all of it is there."""
    customer = make_customer("Alice Wong", phones=("+14155550100",))
    call_sid, _ = provider.call(from_="+14155550100")
    assert ann.post(f"/api/v1/calls/{call_sid}/claim").status_code == 200
    ann.post(f"/api/v1/customers/{customer.id}/preferences",
                json={"key": "callbacks", "value": "evenings"})
    complaint = ann.post(f"/api/v1/customers/{customer.id}/complaints",
                            json={"subject": "Billed twice", "call_sid": call_sid}).json
    ann.patch(f"/api/v1/complaints/{complaint['id']}",
                 json={"status": "resolved", "resolution": "Refunded"})
    provider.status(call_sid, "completed", duration=200)
    ann.patch(f"/api/v1/calls/{call_sid}", json={"notes": "Refund issued", "disposition": "resolved"})

    items = ann.get(f"/api/v1/customers/{customer.id}/timeline").json["items"]
    kinds = {(i["kind"], i.get("event")) for i in items}
    assert kinds == {("call", None), ("note", None), ("preference", None), ("complaint", "opened"),
                     ("complaint", "resolved")}
    call = next(i for i in items if i["kind"] == "call")
    assert (call["call_sid"], call["duration"], call["disposition"], call["agent"]["name"]) == (
        call_sid, 200, "resolved", "Ann Lee")
    assert next(i for i in items if i["kind"] == "note")["text"] == "Refund issued"
    assert next(i for i in items if i["kind"] == "preference")["recorded_by"]["name"] == "Ann Lee"
    # The call came first, the wrap-up note last of all.
    assert items[-1]["kind"] == "call" and items[0]["kind"] == "note"


def test_surveys_follow_ups_and_promises_join_the_timeline(ann):
    now = NOW
    customer = make_customer("Alice Wong", phones=("+14155550100",), now=now - timedelta(days=30))
    call = make_call("CAscored", customer, ann.user, status="completed", started_at=now - timedelta(days=2),
                     ended_at=now - timedelta(days=2) + timedelta(minutes=3))
    make_survey(call, score=4, sent_at=now - timedelta(days=2) + timedelta(minutes=4), comment="Too slow")
    make_follow_up(customer, "detractor", due_at=now - timedelta(days=1), owner=ann.user, call=call,
                   created_at=now - timedelta(days=1, hours=12), note="Scored us 4/10")
    make_promise(customer, "Refund the delivery fee", due_at=now + timedelta(days=2), made_by=ann.user,
                 made_at=now - timedelta(hours=2), call=call)

    items = ann.get(f"/api/v1/customers/{customer.id}/timeline").json["items"]
    assert [i["kind"] for i in items] == ["promise", "follow_up", "survey", "call"]
    promise, follow_up, survey = items[0], items[1], items[2]
    assert (promise["text"], promise["status"], promise["made_by"], promise["call_sid"]) == (
        "Refund the delivery fee", "open", {"id": ann.user.id, "name": "Ann Lee"}, "CAscored")
    assert promise["due_at"] == (now + timedelta(days=2)).isoformat() + "Z"
    assert (follow_up["reason"], follow_up["status"], follow_up["owner"]["id"], follow_up["note"]) == (
        "detractor", "open", ann.user.id, "Scored us 4/10")
    assert (survey["score"], survey["comment"], survey["channel"], survey["status"], survey["call_sid"]) == (
        4, "Too slow", "ivr", "answered", "CAscored")
