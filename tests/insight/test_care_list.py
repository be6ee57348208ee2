"""The proactive-care worklist (SPEC §12): each reason, most urgent first with a line saying why,
who sees what, and assigning."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Complaint, FollowUp, utcnow
from tests.factories import make_call, make_customer, make_follow_up, make_promise
from tests.support.api import assert_error


@pytest.fixture
def floor(api_as):
    """Ann and Ben (agents), Sue (a supervisor), and what is owed to whom, as of now."""
    now = utcnow()
    ann, ben, sue = api_as("agent", display_name="Ann Lee"), api_as("agent", display_name="Ben Okafor"), \
        api_as("supervisor", display_name="Sue Park")
    mei = make_customer("Mei Huang", phones=("+14155550188",), tier="gold", now=now - timedelta(days=400))
    kenji = make_customer("Kenji Tanaka", phones=("+14155550141",), now=now - timedelta(days=400))
    items = {
        "detractor": make_follow_up(mei, "detractor", due_at=now - timedelta(hours=3), owner=ann.user,
                                    note="Scored us 3/10", created_at=now - timedelta(hours=27)),
        "callback": make_follow_up(kenji, "callback_requested", due_at=now + timedelta(hours=3),
                                   created_at=now - timedelta(hours=1)),
        "voicemail": make_follow_up(None, "voicemail", due_at=now + timedelta(hours=20), owner=ben.user),
        "manual_late": make_follow_up(kenji, "manual", due_at=now - timedelta(days=2), owner=ben.user,
                                      note="Send the form"),
        "manual_not_yet": make_follow_up(kenji, "manual", due_at=now + timedelta(days=2), owner=ann.user),
        "promise": make_promise(kenji, "Refund by Friday", due_at=now - timedelta(hours=5), made_by=ann.user),
    }
    complaint = Complaint(customer_id=kenji.id, subject="Damaged parcel", status="open", due_at=now - timedelta(days=1),
                          opened_at=now - timedelta(days=4))
    db.session.add(complaint)
    db.session.commit()
    items["complaint"] = complaint
    return {"ann": ann, "ben": ben, "sue": sue, "mei": mei, "kenji": kenji, "items": items, "now": now}


def test_a_supervisor_sees_every_item_soonest_due_first_each_saying_why(floor):
    body = floor["sue"].get("/api/v1/care-list").json
    items = floor["items"]
    assert [(i["id"], i["reason"]) for i in body["items"]] == [
        (f"follow_up:{items['manual_late'].id}", "overdue_follow_up"),  # due 2 days ago
        (f"complaint:{items['complaint'].id}", "overdue_complaint"),  # a day ago
        (f"promise:{items['promise'].id}", "overdue_promise"),  # 5 hours ago
        (f"follow_up:{items['detractor'].id}", "detractor"),  # 3 hours ago
        (f"follow_up:{items['callback'].id}", "callback_requested"),  # in 3 hours
        (f"follow_up:{items['voicemail'].id}", "voicemail"),  # in 20 hours
    ]
    texts = {i["reason"]: i["text"] for i in body["items"]}
    assert texts["detractor"].startswith("Scored us 3/10 on ") and "not called back yet; overdue since" in texts["detractor"]
    assert texts["overdue_promise"].startswith("Promised \u201cRefund by Friday\u201d by ")
    assert texts["overdue_complaint"].startswith("Complaint \u201cDamaged parcel\u201d was due ")
    assert texts["callback_requested"].startswith("Asked to be called back from the line on ")
    assert texts["overdue_follow_up"].endswith(": Send the form")
    detractor = body["items"][3]
    assert detractor["customer"] == {"id": floor["mei"].id, "name": "Mei Huang", "tier": "gold"}
    assert detractor["owner"]["name"] == "Ann Lee" and detractor["overdue"] is True
    assert detractor["follow_up_id"] == items["detractor"].id
    assert body["counts"] == {"detractor": 1, "overdue_promise": 1, "overdue_follow_up": 1, "overdue_complaint": 1,
                              "callback_requested": 1, "voicemail": 1, "not_contacted": 0}
    assert body["callbacks"]["available"] is False  # this app has no TWILIO_CALLER_ID


def test_counts_cover_every_item_whatever_is_listed(floor):
    # Two more overdue promises and a silent VIP: counted in full with one item listed, and with a
    # reason asked for that lists none of them.
    now, kenji = floor["now"], floor["kenji"]
    for days in (3, 4):
        make_promise(kenji, f"Call back in {days} days", due_at=now - timedelta(days=days), made_by=floor["ann"].user)
    make_customer("Vip Silent", phones=("+14155550177",), tier="vip", now=now - timedelta(days=400))
    db.session.commit()
    expected = {"detractor": 1, "overdue_promise": 3, "overdue_follow_up": 1, "overdue_complaint": 1,
                "callback_requested": 1, "voicemail": 1, "not_contacted": 1}
    one = floor["sue"].get("/api/v1/care-list?limit=1").json
    assert [i["reason"] for i in one["items"]] == ["overdue_promise"] and one["counts"] == expected
    complaints_only = floor["sue"].get("/api/v1/care-list?reason=overdue_complaint").json
    assert [i["reason"] for i in complaints_only["items"]] == ["overdue_complaint"]
    assert complaints_only["counts"] == expected
    mine = floor["ben"].get("/api/v1/care-list?owner=me").json
    assert mine["counts"]["overdue_promise"] == 0 and mine["counts"]["not_contacted"] == 0


def test_an_agent_sees_their_own_items_and_unowned_ones(floor):
    items = floor["items"]
    ann_sees = [i["id"] for i in floor["ann"].get("/api/v1/care-list").json["items"]]
    assert ann_sees == [f"complaint:{items['complaint'].id}", f"promise:{items['promise'].id}",
                        f"follow_up:{items['detractor'].id}", f"follow_up:{items['callback'].id}"]
    mine = floor["ann"].get("/api/v1/care-list", query_string={"owner": "me"}).json
    assert [i["reason"] for i in mine["items"]] == ["overdue_promise", "detractor"]
    assert mine["counts"]["callback_requested"] == 0
    assert [i["reason"] for i in floor["ann"].get("/api/v1/care-list", query_string={"owner": "none"}).json["items"]] == [
        "overdue_complaint", "callback_requested"]
    assert [i["reason"] for i in floor["ben"].get("/api/v1/care-list", query_string={"reason": "voicemail"})
            .json["items"]] == ["voicemail"]
    # On a supervisor's own desktop (My day), the list is theirs and nobody's, like an agent's.
    sue_mine = floor["sue"].get("/api/v1/care-list", query_string={"mine": "true"}).json["items"]
    assert [i["reason"] for i in sue_mine] == ["overdue_complaint", "callback_requested"]
    assert_error(floor["ann"].get("/api/v1/care-list", query_string={"reason": "bored"}), 422, field="reason")
    assert_error(floor["ann"].get("/api/v1/care-list", query_string={"owner": "everyone"}), 422, field="owner")


def test_valued_customers_nobody_has_spoken_to_join_the_list(api_as, app_ctx):
    sue, now = api_as("supervisor"), utcnow()
    joined = now - timedelta(days=365)
    gold = make_customer("Gold Silent", phones=("+14155550301",), tier="gold", now=joined)
    make_call("CA-old", gold, status="completed", started_at=now - timedelta(days=120))
    vip = make_customer("Vip Never", phones=("+14155550302",), tier="vip", now=joined)
    recent = make_customer("Gold Recent", phones=("+14155550303",), tier="gold", now=joined)
    make_call("CA-recent", recent, status="completed", started_at=now - timedelta(days=10), direction="outbound")
    make_customer("Standard Silent", phones=("+14155550304",), now=joined)
    make_customer("Gold New", phones=("+14155550305",), tier="gold", now=now - timedelta(days=30))
    busy = make_customer("Gold Owed", phones=("+14155550306",), tier="gold", now=joined)
    make_follow_up(busy, due_at=now + timedelta(days=1))
    items = sue.get("/api/v1/care-list", query_string={"reason": "not_contacted"}).json["items"]
    assert [(i["customer"]["name"], i["id"]) for i in items] == [("Vip Never", f"customer:{vip.id}"),
                                                                 ("Gold Silent", f"customer:{gold.id}")]
    assert items[0]["text"].startswith("VIP customer since ") and items[0]["text"].endswith(": never called")
    assert items[1]["text"].startswith("Gold customer: no call for 120 days")
    assert items[1]["owner"] is None and items[1]["since"] is not None

    # Given to Ben, Gold Silent gets a follow-up on Ben's desktop and leaves the list.
    ben = api_as("agent", display_name="Ben Okafor")
    given = sue.post("/api/v1/care-list/assign", json={"item": f"customer:{gold.id}", "owner_id": ben.user.id})
    assert given.status_code == 200, given.json
    assert given.json["owner"] == {"id": ben.user.id, "name": "Ben Okafor"}
    follow_up = db.session.get(FollowUp, given.json["follow_up_id"])
    assert (follow_up.customer_id, follow_up.owner_id, follow_up.status) == (gold.id, ben.user.id, "open")
    left = sue.get("/api/v1/care-list", query_string={"reason": "not_contacted"}).json
    assert [i["customer"]["name"] for i in left["items"]] == ["Vip Never"] and left["counts"]["not_contacted"] == 1


def test_assigning_follows_the_assignment_rule(floor):
    items, ann, ben, sue = floor["items"], floor["ann"], floor["ben"], floor["sue"]
    callback = f"follow_up:{items['callback'].id}"
    # An agent may take an unowned item for themselves, not give one to someone else.
    assert_error(ann.post("/api/v1/care-list/assign", json={"item": callback, "owner_id": ben.user.id}), 403)
    taken = ann.post("/api/v1/care-list/assign", json={"item": callback, "owner_id": ann.user.id})
    assert taken.status_code == 200 and taken.json["owner"]["name"] == "Ann Lee"
    # Nor take one a colleague owns: that is the supervisor's call.
    late = f"follow_up:{items['manual_late'].id}"
    assert_error(ann.post("/api/v1/care-list/assign", json={"item": late, "owner_id": ann.user.id}), 403, field="item")
    assert db.session.get(FollowUp, items["manual_late"].id).owner_id == ben.user.id
    # A supervisor gives anything to anyone: a complaint changes hands too.
    complaint = f"complaint:{items['complaint'].id}"
    assert sue.post("/api/v1/care-list/assign", json={"item": complaint, "owner_id": ben.user.id}).status_code == 200
    assert db.session.get(Complaint, items["complaint"].id).assigned_to_id == ben.user.id
    listed = {i["id"]: i for i in sue.get("/api/v1/care-list").json["items"]}
    assert listed[complaint]["owner"]["name"] == "Ben Okafor" and listed[callback]["owner"]["name"] == "Ann Lee"
    # A promise stays with who made it; a made-up item is refused naming it.
    assert_error(sue.post("/api/v1/care-list/assign", json={"item": f"promise:{items['promise'].id}",
                                                            "owner_id": ben.user.id}), 409, field="item")
    assert_error(sue.post("/api/v1/care-list/assign", json={"item": "survey:1", "owner_id": ben.user.id}), 422,
                 field="item")
    assert_error(sue.post("/api/v1/care-list/assign", json={"item": "follow_up:99999", "owner_id": ben.user.id}), 404)


def test_an_id_written_in_other_digits_is_a_422_not_a_crash(floor):
    """"²" and "٣" are digits to str.isdigit() but not to int(): the fuzz test found a 500 here."""
    sue = floor["sue"]
    for path in ("/api/v1/follow-ups", "/api/v1/care-list"):
        assert_error(sue.get(path, query_string={"owner": "²"}), 422, field="owner")
    assert_error(sue.post("/api/v1/care-list/assign", json={"item": "follow_up:٣", "owner_id": sue.user.id}), 422,
                 field="item")
