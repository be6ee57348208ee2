"""`GET /api/v1/customers/<id>/timeline`: every touchpoint of a customer, newest first (SPEC §9)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Complaint, Preference, utcnow
from tests.factories import make_call, make_customer, make_token, make_user
from tests.support.api import assert_error


@pytest.fixture
def ann(app_ctx):
    return make_user("ann", display_name="Ann Lee")


@pytest.fixture
def auth(ann):
    return {"Authorization": f"Bearer {make_token(ann)}"}


def test_timeline_lists_every_kind_of_touchpoint_newest_first(client, auth, ann):
    now = utcnow().replace(microsecond=0)
    customer = make_customer("Alice Wong", phones=("+14155550100",))
    other = make_customer("Bob Stone", phones=("+14155550199",))
    db.session.add(Preference(customer=customer, key="milk", value="oat", recorded_by_id=ann.id,
                              recorded_at=now - timedelta(days=5)))
    db.session.add(Complaint(customer=customer, subject="Late delivery", severity="high", status="resolved",
                             opened_at=now - timedelta(days=4), resolved_at=now - timedelta(days=2),
                             resolution="Refunded the shipping"))
    db.session.add(Complaint(customer=customer, subject="Rude driver", severity="low", status="open",
                             opened_at=now - timedelta(hours=1)))
    db.session.commit()
    make_call("CAold", customer, ann, status="completed", started_at=now - timedelta(days=3), duration=125,
              ended_at=now - timedelta(days=3) + timedelta(seconds=125), notes="Parcel never came",
              disposition="complaint opened")
    make_call("CAnew", customer, None, status="no-answer", started_at=now - timedelta(minutes=5),
              ended_at=now - timedelta(minutes=4))
    make_call("CAother", other, ann, started_at=now)

    response = client.get(f"/api/v1/customers/{customer.id}/timeline", headers=auth)
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
    assert old_call["agent"] == {"id": ann.id, "name": "Ann Lee"}
    assert (old_call["duration"], old_call["disposition"], old_call["status"]) == (125, "complaint opened",
                                                                                   "completed")
    assert (note["text"], note["agent"]) == ("Parcel never came", {"id": ann.id, "name": "Ann Lee"})
    assert (resolved["resolution"], resolved["severity"], resolved["status"]) == ("Refunded the shipping", "high",
                                                                                  "resolved")
    assert "resolution" not in items[5]
    assert (preference["key"], preference["value"], preference["recorded_by"]) == ("milk", "oat",
                                                                                   {"id": ann.id, "name": "Ann Lee"})
    assert isinstance(preference["preference_id"], int)


def test_timeline_of_a_customer_with_no_history_is_empty(client, auth):
    customer = make_customer("Quiet Customer", phones=())
    assert client.get(f"/api/v1/customers/{customer.id}/timeline", headers=auth).json == {
        "items": [], "limit": 200, "has_more": False}


def test_timeline_is_capped_at_the_limit_and_says_so(client, auth):
    now = utcnow()
    customer = make_customer("Busy Caller")
    for n in range(4):
        make_call(f"CAbusy{n}", customer, started_at=now - timedelta(minutes=n))
    body = client.get(f"/api/v1/customers/{customer.id}/timeline?limit=3", headers=auth).json
    assert [i["call_sid"] for i in body["items"]] == ["CAbusy0", "CAbusy1", "CAbusy2"]
    assert (body["limit"], body["has_more"]) == (3, True)
    body = client.get(f"/api/v1/customers/{customer.id}/timeline?limit=4", headers=auth).json
    assert (len(body["items"]), body["has_more"]) == (4, False)


def test_timeline_of_an_unknown_customer_is_not_found(client, auth):
    assert_error(client.get("/api/v1/customers/999/timeline", headers=auth), 404, "not_found")


@pytest.mark.parametrize("limit", ["0", "1001", "many"])
def test_timeline_limit_out_of_bounds_is_refused(client, auth, limit):
    customer = make_customer("Alice Wong")
    error = assert_error(client.get(f"/api/v1/customers/{customer.id}/timeline?limit={limit}", headers=auth), 422)
    assert "limit" in error["fields"]


def test_a_whole_call_handled_from_the_card_shows_on_the_timeline(client, auth, provider, ann):
    """Take the call, note a preference, open and resolve a complaint, wrap up: all of it is there."""
    customer = make_customer("Alice Wong", phones=("+14155550100",))
    call_sid, _ = provider.call(from_="+14155550100")
    assert client.post(f"/api/v1/calls/{call_sid}/claim", headers=auth).status_code == 200
    client.post(f"/api/v1/customers/{customer.id}/preferences", headers=auth,
                json={"key": "callbacks", "value": "evenings"})
    complaint = client.post(f"/api/v1/customers/{customer.id}/complaints", headers=auth,
                            json={"subject": "Billed twice", "call_sid": call_sid}).json
    client.patch(f"/api/v1/complaints/{complaint['id']}", headers=auth,
                 json={"status": "resolved", "resolution": "Refunded"})
    provider.status(call_sid, "completed", duration=200)
    client.patch(f"/api/v1/calls/{call_sid}", headers=auth, json={"notes": "Refund issued", "disposition": "resolved"})

    items = client.get(f"/api/v1/customers/{customer.id}/timeline", headers=auth).json["items"]
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
