"""The queue (SPEC §11): nobody offerable, the caller waits in line and hears their place; 1 asks
for a callback; past QUEUE_MAX_WAIT_SECONDS, voicemail. When an agent becomes offerable the first in
line (tier, then wait) is moved to them through the provider's REST API (a local stand-in answering
as Twilio does: real HTTP, the real twilio client)."""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.models import FollowUp
from tests.factories import make_customer, make_token, make_user
from tests.routing.support import call_row, online, xml
from tests.support.provider import ACCOUNT_SID, dialled, new_call_sid, status_params
from tests.support.sockets import wait_until
from tests.support.twilio_api import RunningStandIn

AUTH_TOKEN = "queue-test-token-0123456789abcdef"


def _wait(provider, call_sid: str, waited: int = 5, position: int = 1):
    return provider.post("/twilio/queue-wait", dict(status_params(call_sid, "queued"), QueueTime=str(waited),
                                                    QueuePosition=str(position), QueueSid="QU" + "0" * 32,
                                                    CurrentQueueSize="1", AvgQueueTime="0"))


def _said(root: ET.Element) -> str:
    return " ".join(el.text or "" for el in root.iter("Say"))


@pytest.fixture
def floor_away(app):
    """Ann is signed in but away: nobody is offerable, callers wait in line."""
    with app.app_context():
        ann = make_user("ann", display_name="Ann Lee", status="away")
        online(ann)
        return ann.id


def test_nobody_offerable_puts_the_caller_in_line_not_voicemail(app, provider, floor_away):
    call_sid, response = provider.call(from_="+14155550100")
    (enqueue,) = xml(response)
    assert enqueue.tag == "Enqueue" and enqueue.text == app.config["QUEUE_NAME"]
    assert urlsplit(enqueue.get("waitUrl")).path == "/twilio/queue-wait"
    assert urlsplit(enqueue.get("action")).path == "/twilio/queue-result"
    with app.app_context():
        call = call_row(call_sid)
        assert (call.routing_reason, call.queue_state) == ("queued", "waiting")


def test_a_new_caller_does_not_jump_a_line_that_is_waiting(app, provider, floor_away):
    first, _ = provider.call(from_="+14155550100")
    with app.app_context():
        bob = make_user("bob")  # free now; the line's first caller is his, not the next one to ring
        online(bob)
    second, response = provider.call(from_="+14155550199")
    assert [el.tag for el in xml(response)] == ["Enqueue"]
    with app.app_context():
        assert call_row(second).queue_state == "waiting"


def test_a_claim_taken_by_an_answered_agent_is_never_taken_back(app):
    from datetime import timedelta

    from app.models import utcnow
    from app.services.calls import queue
    from tests.factories import make_call

    with app.app_context():
        ann = make_user("ann")
        old = utcnow() - timedelta(seconds=queue.STALE_CLAIM_SECONDS + 5)
        make_call(new_call_sid(), None, ann, status="in-progress", queued_at=old, queue_state="moving",
                  queue_claimed_at=old, queue_agent_id=ann.id, queue_tier=3)
        make_call(new_call_sid(), None, None, status="in-progress", queued_at=old, queue_state="moving",
                  queue_claimed_at=old, queue_agent_id=ann.id, queue_tier=3)
        assert queue.waiting_count(utcnow()) == 1  # the unanswered one a stopped process left behind


def test_nobody_signed_in_at_all_is_still_voicemail(app, provider):
    _sid, response = provider.call(from_="+14155550100")
    assert [el.tag for el in xml(response)] == ["Say", "Record"]


def test_the_line_is_ordered_by_tier_then_wait_and_callers_hear_their_place(app, provider, floor_away, api_as):
    with app.app_context():
        make_customer("Vera Vip", phones=("+14155550161",), tier="vip")
        make_customer("Gary Gold", phones=("+14155550162",), tier="gold")
    unknown, _ = provider.call(from_="+14155550199")
    gold, _ = provider.call(from_="+14155550162")
    vip, _ = provider.call(from_="+14155550161")
    line = api_as("agent").get("/api/v1/queue").get_json()["items"]
    assert [(item["call_sid"], item["position"]) for item in line] == [(vip, 1), (gold, 2), (unknown, 3)]
    assert line[0]["customer"]["tier"] == "vip" and line[2]["customer"] is None
    assert line[2]["from_display"] == "(415) 555-0199"
    root = xml(_wait(provider, unknown, position=1))  # the provider's own count is FIFO: ours wins
    (gather,) = root
    assert gather.tag == "Gather" and gather.get("numDigits") == "1"
    assert urlsplit(gather.get("action")).path == "/twilio/queue-key"
    assert "number 3 in line" in _said(root) and "press 1" in _said(root)


def test_pressing_1_requests_a_callback_and_ends_the_call(app, provider, floor_away, api_as):
    call_sid, _ = provider.call(from_="+14155550100")
    root = xml(provider.post("/twilio/queue-key", dict(status_params(call_sid, "queued"), Digits="1")))
    assert [el.tag for el in root] == ["Say", "Hangup"]
    assert f"within {app.config['FOLLOW_UP_HOURS']} hours" in _said(root)
    with app.app_context():
        (follow_up,) = db.session.scalars(db.select(FollowUp).where(FollowUp.reason == "callback_requested")).all()
        assert follow_up.call_id == call_row(call_sid).id and follow_up.status == "open"
        assert call_row(call_sid).queue_state == "callback"
    assert api_as("agent").get("/api/v1/queue").get_json()["items"] == []
    other = xml(provider.post("/twilio/queue-key", dict(status_params(call_sid, "queued"), Digits="5")))
    assert [el.tag for el in other] == ["Gather"]  # not 1: back to waiting


def test_a_callback_is_owed_by_the_agent_who_knows_the_caller(app, provider, floor_away):
    from datetime import timedelta

    from app.models import utcnow
    from tests.factories import make_call

    with app.app_context():
        alice = make_customer("Alice Wong", phones=("+14155550100",))
        bob = make_user("bob", status="away")
        helped = utcnow() - timedelta(days=2)
        make_call(new_call_sid(), alice, bob, status="completed", started_at=helped, connected_at=helped)
        bob_id = bob.id
    call_sid, response = provider.call(from_="+14155550100")
    assert [el.tag for el in xml(response)] == ["Enqueue"]  # Bob is away: nobody to ring
    provider.post("/twilio/queue-key", dict(status_params(call_sid, "queued"), Digits="1"))
    with app.app_context():
        owner = db.session.scalar(db.select(FollowUp.owner_id).where(FollowUp.reason == "callback_requested"))
        assert owner == bob_id


def test_past_the_longest_wait_the_caller_leaves_the_line_for_voicemail(app, provider, floor_away):
    call_sid, _ = provider.call(from_="+14155550100")
    assert [el.tag for el in xml(_wait(provider, call_sid, waited=app.config["QUEUE_MAX_WAIT_SECONDS"]))] == ["Leave"]
    root = xml(provider.post("/twilio/queue-result", dict(status_params(call_sid, "in-progress"), QueueResult="leave",
                                                          QueueTime="300")))
    assert [el.tag for el in root] == ["Say", "Record"]
    assert urlsplit(root[1].get("action")).path == "/twilio/voicemail"
    with app.app_context():
        assert call_row(call_sid).queue_state == "voicemail"


def test_a_caller_who_hangs_up_in_line_leaves_it(app, provider, floor_away, api_as):
    call_sid, _ = provider.call(from_="+14155550100")
    provider.post("/twilio/queue-result", dict(status_params(call_sid, "completed"), QueueResult="hangup"))
    provider.status(call_sid, "completed", sequence=2)
    assert api_as("agent").get("/api/v1/queue").get_json()["items"] == []


def test_queue_webhooks_for_an_unknown_call_end_it_politely(app, provider):
    stranger = new_call_sid()
    assert [el.tag for el in xml(_wait(provider, stranger))] == ["Say", "Hangup"]
    assert [el.tag for el in xml(provider.post("/twilio/queue-key", dict(status_params(stranger, "queued"),
                                                                         Digits="1")))] == ["Say", "Hangup"]
    assert xml(provider.post("/twilio/queue-result", dict(status_params(stranger, "completed"),
                                                          QueueResult="hangup"))) is not None


def test_queue_webhooks_are_signed(app, provider, floor_away):
    call_sid, _ = provider.call(from_="+14155550100")
    forged = provider.post("/twilio/queue-key", dict(status_params(call_sid, "queued"), Digits="1"), signature="bad")
    assert forged.status_code == 403


# --- moving the first caller in line to an agent -------------------------------------------------

@pytest.fixture
def rest_api():
    with RunningStandIn(ACCOUNT_SID, AUTH_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def app(app_with, rest_api):
    return app_with(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_API_BASE_URL=rest_api.base_url,
                    QUEUE_RETRY_SECONDS=0.3)


def _moves(rest_api, call_sid: str):
    return [r for r in rest_api.call_updates if r.path.endswith(f"/Calls/{call_sid}.json")]


def test_an_agent_who_becomes_available_is_moved_the_first_caller_in_line(app, live_server, rest_api, socket_factory):
    with app.app_context():
        make_customer("Vera Vip", phones=("+14155550161",), tier="vip")
        ann = make_user("ann", display_name="Ann Lee", status="away")
        token = make_token(ann)
        ann_id = ann.id
    desktop = socket_factory(token=token)
    first, _ = live_server.provider.call(from_="+14155550199")
    vip, _ = live_server.provider.call(from_="+14155550161")
    assert _moves(rest_api, first) == [] and _moves(rest_api, vip) == []
    answer = app.test_client().put("/api/v1/me/status", json={"status": "available"},
                                   headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert wait_until(lambda: _moves(rest_api, vip), timeout=5)
    (move,) = _moves(rest_api, vip)
    dial = ET.fromstring(move.value("Twiml")).find("Dial")
    assert [dialled(noun) for noun in dial] == ["ann"]
    assert urlsplit(dial.get("action")).query == "stage=queue"
    assert urlsplit(dial[0].get("statusCallback")).query == f"agent={ann_id}"
    pop = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == vip and p["routing"]["agents"])
    assert pop["routing"]["agents"] == [{"id": ann_id, "name": "Ann Lee"}]
    with app.app_context():
        assert call_row(vip).queue_state == "moved" and call_row(first).queue_state == "waiting"
    # Ann has a caller on the way: the next one waits for another agent, however often it is tried.
    wait_until(lambda: False, timeout=1.0)
    assert _moves(rest_api, first) == [] and len(_moves(rest_api, vip)) == 1


def test_a_refused_move_keeps_the_caller_in_line_and_is_retried(app, live_server, rest_api, caplog):
    rest_api.refuse_call_updates()
    with app.app_context():
        ann = make_user("ann", status="away")
        online(ann)
        token = make_token(ann)
    call_sid, _ = live_server.provider.call(from_="+14155550199")
    caplog.set_level(logging.WARNING, logger="app.services.calls.queue")
    app.test_client().put("/api/v1/me/status", json={"status": "available"}, headers={"Authorization": f"Bearer {token}"})
    assert wait_until(lambda: len(_moves(rest_api, call_sid)) >= 2, timeout=5)  # refused, and tried again

    def back_in_line() -> bool:  # between two attempts (one may be under way: the claim is then "moving")
        with app.app_context():
            call = call_row(call_sid)
            return call.queue_state == "waiting" and "Cannot redirect" in (call.queue_error or "")

    assert wait_until(back_in_line, timeout=5)
    assert any("could not move a waiting caller" in r.getMessage() and getattr(r, "call_sid", None) == call_sid
               for r in caplog.records)
    rest_api.accept_call_updates()
    assert wait_until(lambda: call_row_state(app, call_sid) == "moved", timeout=5)
    accepted = len(_moves(rest_api, call_sid))
    wait_until(lambda: False, timeout=1.0)
    assert len(_moves(rest_api, call_sid)) == accepted  # moved once: never connected twice


def call_row_state(app, call_sid: str) -> str:
    with app.app_context():
        return call_row(call_sid).queue_state


def test_an_agent_who_does_not_answer_a_moved_caller_sends_them_back_to_their_place(app, live_server, rest_api):
    with app.app_context():
        ann = make_user("ann", status="away")
        online(ann)
        token = make_token(ann)
        ann_id = ann.id
    call_sid, _ = live_server.provider.call(from_="+14155550199")
    with app.app_context():
        queued_at = call_row(call_sid).queued_at
    app.test_client().put("/api/v1/me/status", json={"status": "away"}, headers={"Authorization": f"Bearer {token}"})
    app.test_client().put("/api/v1/me/status", json={"status": "available"}, headers={"Authorization": f"Bearer {token}"})
    assert wait_until(lambda: call_row_state(app, call_sid) == "moved", timeout=5)
    back = xml(live_server.provider.post("/twilio/dial-result?stage=queue", dict(
        status_params(call_sid, "in-progress"), DialCallStatus="no-answer")))
    assert [el.tag for el in back] == ["Enqueue"]
    with app.app_context():
        call = call_row(call_sid)
        assert (call.queue_state, call.queued_at, call.queue_agent_id) == ("waiting", queued_at, None)
        # Not ready after no answer: the line must not send the caller straight back to her.
        assert db.session.get(type(ann), ann_id).status == "away"
    wait_until(lambda: False, timeout=1.0)
    assert call_row_state(app, call_sid) == "waiting"
