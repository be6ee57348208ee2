"""Surveys and follow-ups over the API (SPEC §10): who sees which surveys, who may open, give and
close a follow-up, and every change popping the customer's live call again."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import FollowUp, Survey, utcnow
from tests.factories import make_call, make_complaint, make_customer
from tests.support.api import assert_error
from tests.support.provider import new_call_sid
from tests.support.sockets import wait_until


def parse_time(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1])


@pytest.fixture
def alice(app_ctx):
    return make_customer("Alice Wong", phones=("+14155550100",))


def surveyed_call(customer, agent, *, score: int | None, ago=timedelta(days=1), channel="ivr") -> Survey:
    at = utcnow() - ago
    call = make_call(new_call_sid(), customer, agent, status="completed", started_at=at, connected_at=at)
    survey = Survey(call=call, customer_id=customer.id, agent_id=agent.id if agent else None, channel=channel,
                    status="answered" if score is not None else "sent", score=score, created_at=at, sent_at=at,
                    answered_at=at if score is not None else None)
    db.session.add(survey)
    db.session.commit()
    return survey


def open_follow_up(agent, customer_id: int, **body):
    body.setdefault("note", "Call back about the refund")
    response = agent.post(f"/api/v1/customers/{customer_id}/follow-ups", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


# --- surveys ------------------------------------------------------------------------------------

def test_an_agent_sees_the_surveys_of_their_own_calls_and_a_supervisor_all(api_as, alice):
    ann, bob = api_as("agent", display_name="Ann Lee"), api_as("agent", display_name="Bob Ray")
    sam = api_as("supervisor")
    anns = surveyed_call(alice, ann.user, score=9, ago=timedelta(days=2))
    bobs = surveyed_call(alice, bob.user, score=4, ago=timedelta(days=1))
    other = surveyed_call(make_customer("Cy", phones=("+14155550122",)), ann.user, score=10)

    mine = ann.get(f"/api/v1/surveys?customer_id={alice.id}")
    assert mine.status_code == 200, mine.get_data(as_text=True)
    (item,) = mine.json["items"]
    assert item["id"] == anns.id
    assert {k: item[k] for k in ("call_sid", "customer_id", "agent", "channel", "score", "status")} == {
        "call_sid": anns.call.call_sid, "customer_id": alice.id, "agent": {"id": ann.user.id, "name": "Ann Lee"},
        "channel": "ivr", "score": 9, "status": "answered"}
    assert {"comment", "sent_at", "answered_at"} <= item.keys()
    assert [i["id"] for i in sam.get(f"/api/v1/surveys?customer_id={alice.id}").json["items"]] == [bobs.id, anns.id]
    assert {i["id"] for i in sam.get("/api/v1/surveys").json["items"]} == {anns.id, bobs.id, other.id}
    assert [i["id"] for i in sam.get(f"/api/v1/surveys?agent_id={bob.user.id}").json["items"]] == [bobs.id]
    assert [i["id"] for i in bob.get("/api/v1/surveys").json["items"]] == [bobs.id]


def test_surveys_are_narrowed_by_when_they_were_sent(api_as, alice):
    sam = api_as("supervisor")
    old = surveyed_call(alice, None, score=3, ago=timedelta(days=10))
    new = surveyed_call(alice, None, score=9, ago=timedelta(days=1))
    since = (utcnow() - timedelta(days=5)).isoformat() + "Z"
    assert [i["id"] for i in sam.get(f"/api/v1/surveys?since={since}").json["items"]] == [new.id]
    assert [i["id"] for i in sam.get(f"/api/v1/surveys?until={since}").json["items"]] == [old.id]
    assert_error(sam.get("/api/v1/surveys?since=yesterday"), 422, field="since")


def test_an_unanswered_survey_past_its_reply_window_shows_expired(app, api_as, alice):
    sam = api_as("supervisor")
    surveyed_call(alice, None, score=None, ago=timedelta(hours=app.config["SURVEY_REPLY_HOURS"] + 1), channel="sms")
    assert sam.get("/api/v1/surveys").json["items"][0]["status"] == "expired"


def test_a_call_carries_its_survey(api_as, alice):
    ann = api_as("agent")
    survey = surveyed_call(alice, ann.user, score=6)
    shown = ann.get(f"/api/v1/calls/{survey.call.call_sid}").json
    assert (shown["survey"]["id"], shown["survey"]["score"]) == (survey.id, 6)


# --- follow-ups by hand -------------------------------------------------------------------------

def test_an_agent_opens_a_follow_up_for_themselves_due_follow_up_hours_later(app, api_as, alice):
    ann = api_as("agent", display_name="Ann Lee")
    before = utcnow().replace(microsecond=0)
    made = open_follow_up(ann, alice.id, note="Send the invoice again")
    assert {k: made[k] for k in ("customer_id", "reason", "owner", "status", "note", "outcome", "overdue")} == {
        "customer_id": alice.id, "reason": "manual", "owner": {"id": ann.user.id, "name": "Ann Lee"},
        "status": "open", "note": "Send the invoice again", "outcome": None, "overdue": False}
    due = parse_time(made["due_at"])
    hours = timedelta(hours=app.config["FOLLOW_UP_HOURS"])
    assert before + hours <= due <= utcnow() + hours


def test_a_follow_up_may_say_when_it_is_due_and_from_which_call(api_as, alice):
    ann = api_as("agent")
    call = make_call(new_call_sid(), alice, ann.user, status="completed")
    made = open_follow_up(ann, alice.id, due_at="2030-01-02T09:00:00Z", call_sid=call.call_sid)
    assert (made["due_at"], made["call_sid"]) == ("2030-01-02T09:00:00Z", call.call_sid)


def test_a_follow_up_needs_a_note(api_as, alice):
    ann = api_as("agent")
    for body in ({}, {"note": ""}, {"note": "   "}, {"note": None}):
        assert_error(ann.post(f"/api/v1/customers/{alice.id}/follow-ups", json=body), 422, field="note")
    assert db.session.scalar(select(FollowUp.id)) is None


def test_a_follow_up_for_a_customer_who_does_not_exist_is_not_found(api_as):
    assert_error(api_as("agent").post("/api/v1/customers/999/follow-ups", json={"note": "x"}), 404)


def test_an_agent_may_not_give_a_new_follow_up_to_someone_else_a_supervisor_may(api_as, alice):
    ann, bob, sam = api_as("agent"), api_as("agent", display_name="Bob Ray"), api_as("supervisor")
    assert_error(ann.post(f"/api/v1/customers/{alice.id}/follow-ups",
                          json={"note": "x", "owner_id": bob.user.id}), 403)
    assert db.session.scalar(select(FollowUp.id)) is None
    assert open_follow_up(ann, alice.id, owner_id=ann.user.id)["owner"]["id"] == ann.user.id
    assert open_follow_up(sam, alice.id, owner_id=bob.user.id)["owner"] == {"id": bob.user.id, "name": "Bob Ray"}
    assert_error(sam.post(f"/api/v1/customers/{alice.id}/follow-ups", json={"note": "x", "owner_id": 999}), 422,
                 field="owner_id")


# --- closing and giving -------------------------------------------------------------------------

def test_done_needs_an_outcome_and_records_when(api_as, alice):
    ann = api_as("agent")
    made = open_follow_up(ann, alice.id)
    for body in ({"status": "done"}, {"status": "done", "outcome": ""}, {"status": "done", "outcome": None}):
        assert_error(ann.patch(f"/api/v1/follow-ups/{made['id']}", json=body), 422, field="outcome")
    assert db.session.get(FollowUp, made["id"]).status == "open"

    before = utcnow().replace(microsecond=0)
    done = ann.patch(f"/api/v1/follow-ups/{made['id']}", json={"status": "done", "outcome": "Refund sent"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert (done.json["status"], done.json["outcome"]) == ("done", "Refund sent")
    assert before <= parse_time(done.json["done_at"]) <= utcnow()
    db.session.rollback()
    follow_up = db.session.get(FollowUp, made["id"])
    assert (follow_up.status, follow_up.done_by_id, follow_up.done_at is not None) == ("done", ann.user.id, True)


def test_another_agents_follow_up_is_theirs_to_close(api_as, alice):
    ann, bob, sam = api_as("agent"), api_as("agent"), api_as("supervisor")
    made = open_follow_up(ann, alice.id)
    assert_error(bob.patch(f"/api/v1/follow-ups/{made['id']}", json={"status": "done", "outcome": "did it"}), 403)
    assert_error(bob.patch(f"/api/v1/follow-ups/{made['id']}", json={"note": "mine now"}), 403)
    db.session.rollback()
    follow_up = db.session.get(FollowUp, made["id"])
    assert (follow_up.status, follow_up.outcome, follow_up.note) == ("open", None, "Call back about the refund")
    closed = sam.patch(f"/api/v1/follow-ups/{made['id']}", json={"status": "done", "outcome": "Supervisor called"})
    assert closed.status_code == 200 and closed.json["status"] == "done"


def test_a_supervisor_gives_a_follow_up_to_anyone_an_agent_only_to_themselves(api_as, alice):
    ann, bob, sam = api_as("agent"), api_as("agent"), api_as("supervisor")
    made = open_follow_up(ann, alice.id)
    assert_error(ann.patch(f"/api/v1/follow-ups/{made['id']}", json={"owner_id": bob.user.id}), 403)
    given = sam.patch(f"/api/v1/follow-ups/{made['id']}", json={"owner_id": bob.user.id})
    assert given.status_code == 200 and given.json["owner"]["id"] == bob.user.id


def test_listing_my_open_follow_ups(api_as, alice):
    ann, bob = api_as("agent"), api_as("agent")
    mine = open_follow_up(ann, alice.id, note="mine", due_at="2030-01-02T09:00:00Z")
    sooner = open_follow_up(ann, alice.id, note="mine, sooner", due_at="2030-01-01T09:00:00Z")
    done = open_follow_up(ann, alice.id, note="done already")
    ann.patch(f"/api/v1/follow-ups/{done['id']}", json={"status": "done", "outcome": "ok"})
    bobs = open_follow_up(bob, alice.id, note="bob's")

    listed = ann.get("/api/v1/follow-ups?status=open&owner=me")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json["items"]] == [sooner["id"], mine["id"]]
    assert [i["id"] for i in ann.get(f"/api/v1/follow-ups?status=open&owner={bob.user.id}").json["items"]] == [
        bobs["id"]]
    assert [i["id"] for i in ann.get("/api/v1/follow-ups?status=done").json["items"]] == [done["id"]]
    assert_error(ann.get("/api/v1/follow-ups?status=closed"), 422, field="status")
    assert_error(ann.get("/api/v1/follow-ups?owner=you"), 422, field="owner")


def test_an_overdue_follow_up_says_so(api_as, alice):
    ann = api_as("agent")
    made = open_follow_up(ann, alice.id)
    follow_up = db.session.get(FollowUp, made["id"])
    follow_up.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert ann.get("/api/v1/follow-ups?owner=me").json["items"][0]["overdue"] is True


# --- a complaint reopened -----------------------------------------------------------------------

def test_reopening_a_resolved_complaint_opens_a_follow_up(app, api_as, alice):
    ann = api_as("agent", display_name="Ann Lee")
    complaint = make_complaint(alice, "Late delivery", status="resolved")
    reopened = ann.patch(f"/api/v1/complaints/{complaint.id}", json={"status": "open"})
    assert reopened.status_code == 200, reopened.get_data(as_text=True)
    db.session.rollback()
    (follow_up,) = db.session.scalars(select(FollowUp).where(FollowUp.customer_id == alice.id))
    assert (follow_up.reason, follow_up.status, follow_up.owner_id, follow_up.complaint_id) == (
        "complaint_reopened", "open", ann.user.id, complaint.id)
    assert "Late delivery" in follow_up.note
    assert follow_up.due_at - follow_up.created_at == timedelta(hours=app.config["FOLLOW_UP_HOURS"])
    # Moving an open complaint along opens none.
    assert ann.patch(f"/api/v1/complaints/{complaint.id}", json={"status": "in-progress"}).status_code == 200
    assert len(list(db.session.scalars(select(FollowUp.id)))) == 1


# --- every change pops the live call again ------------------------------------------------------

def test_opening_and_closing_a_follow_up_pops_the_customers_live_call_again(live_server, socket_factory, api_as):
    ann = api_as("agent", display_name="Ann Lee", base_url=live_server.base_url)
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    desktop = socket_factory(token=ann.token)
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    first = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert first["customer"]["follow_ups"] == []

    made = ann.post(f"/api/v1/customers/{alice.id}/follow-ups", json={"note": "Ring back with the tracking number"})
    assert made.status_code == 201, made.text
    repop = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid and p["customer"]["follow_ups"])
    (shown,) = repop["customer"]["follow_ups"]
    assert (shown["id"], shown["note"], shown["owner"]["name"]) == (made.json()["id"],
                                                                     "Ring back with the tracking number", "Ann Lee")

    ann.patch(f"/api/v1/follow-ups/{made.json()['id']}", json={"status": "done", "outcome": "Told them"})
    pops = lambda: [p for p in desktop.events("screen_pop") if p["call_sid"] == call_sid]  # noqa: E731
    assert wait_until(lambda: len(pops()) >= 3)
    assert pops()[-1]["customer"]["follow_ups"] == []


def test_reopening_a_complaint_pops_the_customers_live_call_with_it_and_its_follow_up(live_server, socket_factory,
                                                                                     api_as):
    ann = api_as("agent", display_name="Ann Lee", base_url=live_server.base_url)
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    complaint = make_complaint(alice, "Late delivery", status="resolved")
    desktop = socket_factory(token=ann.token)
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    first = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert (first["customer"]["open_complaints"], first["customer"]["follow_ups"]) == ([], [])

    assert ann.patch(f"/api/v1/complaints/{complaint.id}", json={"status": "open"}).status_code == 200
    repop = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid and p["customer"]["follow_ups"])
    assert [c["subject"] for c in repop["customer"]["open_complaints"]] == ["Late delivery"]
    assert [f["reason"] for f in repop["customer"]["follow_ups"]] == ["complaint_reopened"]


def test_follow_ups_are_listed_by_customer(api_as, alice):
    ann = api_as("agent")
    bo = make_customer("Bo Chan", phones=("+14155550111",))
    alices = open_follow_up(ann, alice.id)
    open_follow_up(ann, bo.id)
    assert [i["id"] for i in ann.get(f"/api/v1/follow-ups?customer_id={alice.id}").json["items"]] == [alices["id"]]
    assert_error(ann.get("/api/v1/follow-ups?customer_id=abc"), 422, field="customer_id")


def test_any_agent_closes_a_follow_up_nobody_owns_and_then_it_is_theirs(api_as, alice):
    ann = api_as("agent", display_name="Ann Lee")
    voicemail = make_call(new_call_sid(), alice, None, status="completed")
    follow_up = FollowUp(customer_id=alice.id, call_id=voicemail.id, reason="voicemail", owner_id=None,
                         due_at=utcnow() + timedelta(hours=24), status="open", created_at=utcnow())
    db.session.add(follow_up)
    db.session.commit()
    done = ann.patch(f"/api/v1/follow-ups/{follow_up.id}", json={"status": "done", "outcome": "Called back"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert (done.json["owner"], done.json["call_sid"], done.json["reason"]) == (
        {"id": ann.user.id, "name": "Ann Lee"}, voicemail.call_sid, "voicemail")


def test_a_survey_shows_only_the_statuses_the_api_promises(api_as, alice):
    from app.models import SURVEY_STATUSES

    sam = api_as("supervisor")
    survey = surveyed_call(alice, None, score=None, channel="sms")
    survey.status = "sending"  # the job has taken it and is handing it to the provider
    db.session.commit()
    (shown,) = sam.get("/api/v1/surveys").json["items"]
    assert shown["status"] == "pending" and shown["status"] in SURVEY_STATUSES
