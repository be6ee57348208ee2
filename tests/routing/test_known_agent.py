"""The agent who knows them (SPEC §11): a returning caller rings the agent who took their latest
answered call (within KNOWN_AGENT_DAYS), or who owns their open follow-up or complaint, alone for
KNOWN_AGENT_RING_SECONDS; the <Dial>'s action leads on to the floor."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from app.extensions import db
from app.models import Complaint, FollowUp, utcnow
from tests.factories import make_call, make_customer, make_token, make_user
from tests.routing.support import call_row, dialled, online, xml
from tests.support.provider import new_call_sid, status_params


def _mei(**fields):
    return make_customer("Mei Huang", phones=("+14155550112",), **fields)


def _helped(customer, agent, days_ago: float):
    at = utcnow() - timedelta(days=days_ago)
    return make_call(new_call_sid(), customer, agent, status="completed", started_at=at, connected_at=at,
                     answered_at=at, ended_at=at + timedelta(minutes=4), disposition="resolved")


def _dial(root):
    (dial,) = [el for el in root if el.tag == "Dial"]
    return dial


def _not_answered(provider, call_sid: str, action: str):
    path = urlsplit(action)
    return provider.post(f"{path.path}?{path.query}", dict(status_params(call_sid, "in-progress"),
                                                          DialCallStatus="no-answer"))


def test_the_agent_who_took_the_latest_call_rings_alone_first_then_the_floor(app, provider, live_server,
                                                                               socket_factory):
    with app.app_context():
        ann, bob = make_user("ann", display_name="Ann Lee"), make_user("bob", display_name="Bob Ray")
        mei = _mei()
        _helped(mei, bob, days_ago=20)
        helped = _helped(mei, ann, days_ago=3)
        ann_id, bob_id, helped_at = ann.id, bob.id, helped.connected_at
        desktops = {"ann": socket_factory(token=make_token(ann)), "bob": socket_factory(token=make_token(bob))}
    call_sid, response = live_server.provider.call(from_="+14155550112")
    root = xml(response)
    dial = _dial(root)
    assert dialled(root) == ["ann"]
    assert dial.get("timeout") == str(app.config["KNOWN_AGENT_RING_SECONDS"])
    assert parse_qs(urlsplit(dial.get("action")).query) == {"stage": ["known"]}
    pop = desktops["ann"].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert pop["routing"]["reason"] == "known_agent"
    assert pop["routing"]["known"]["agent"] == {"id": ann_id, "name": "Ann Lee"}
    assert pop["routing"]["known"]["because"] == "last_call"
    assert pop["routing"]["known"]["at"].startswith(helped_at.isoformat()[:19])
    assert not [p for p in desktops["bob"].events("screen_pop") if p["call_sid"] == call_sid]

    floor = xml(_not_answered(live_server.provider, call_sid, dial.get("action")))
    assert dialled(floor) == ["bob"]  # Ann already had her turn
    assert _dial(floor).get("timeout") == str(app.config["DIAL_TIMEOUT_SECONDS"])
    pop = desktops["bob"].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert pop["routing"]["reason"] == "floor" and [a["id"] for a in pop["routing"]["agents"]] == [ann_id, bob_id]
    with app.app_context():
        assert call_row(call_sid).offered_ids == (ann_id, bob_id)


def test_a_known_agent_who_is_not_offerable_leaves_the_call_to_the_floor(app, provider):
    with app.app_context():
        ann, bob = make_user("ann", status="away"), make_user("bob")
        online(ann, bob)
        _helped(_mei(), ann, days_ago=3)
    _sid, response = provider.call(from_="+14155550112")
    assert dialled(xml(response)) == ["bob"]


def test_a_call_older_than_known_agent_days_does_not_count(app, provider):
    with app.app_context():
        ann, bob = make_user("ann"), make_user("bob")
        online(ann, bob)
        _helped(_mei(), ann, days_ago=app.config["KNOWN_AGENT_DAYS"] + 1)
    _sid, response = provider.call(from_="+14155550112")
    assert dialled(xml(response)) == ["ann", "bob"]


def test_the_owner_of_an_open_follow_up_or_complaint_is_an_agent_who_knows_them(app, provider):
    with app.app_context():
        ann, bob, cy = make_user("ann"), make_user("bob"), make_user("cy")
        online(ann, bob, cy)
        mei = _mei()
        db.session.add(FollowUp(customer_id=mei.id, reason="manual", owner_id=bob.id, status="open",
                                due_at=utcnow() + timedelta(hours=4), created_at=utcnow()))
        priya = make_customer("Priya Natarajan", phones=("+14155550132",))
        db.session.add(Complaint(customer_id=priya.id, subject="Damaged parcel", severity="high", status="open",
                                 assigned_to_id=cy.id, opened_at=utcnow()))
        db.session.commit()
    mei_call, response = provider.call(from_="+14155550112")
    assert dialled(xml(response)) == ["bob"]
    priya_call, response = provider.call(from_="+14155550132")
    assert dialled(xml(response)) == ["cy"]
    with app.app_context():
        assert (call_row(mei_call).known_because, call_row(priya_call).known_because) == ("follow_up", "complaint")


def test_a_provider_retry_of_a_known_agent_call_gets_the_same_answer(app, provider):
    with app.app_context():
        ann, bob = make_user("ann"), make_user("bob")
        online(ann, bob)
        _helped(_mei(), ann, days_ago=1)
    call_sid, first = provider.call(from_="+14155550112")
    _same, again = provider.call(from_="+14155550112", call_sid=call_sid)
    assert first.get_data(as_text=True) == again.get_data(as_text=True)


def test_a_dial_result_for_an_unknown_or_ended_call_ends_politely(app, provider):
    answer = xml(provider.post("/twilio/dial-result?stage=known", dict(status_params(new_call_sid(), "in-progress"),
                                                                        DialCallStatus="no-answer")))
    assert [el.tag for el in answer] == ["Say", "Hangup"]
    with app.app_context():
        ended = make_call(new_call_sid(), None, None, status="completed").call_sid
    answer = xml(provider.post("/twilio/dial-result", dict(status_params(ended, "in-progress"),
                                                            DialCallStatus="no-answer")))
    assert [el.tag for el in answer] == ["Say", "Hangup"]


def test_a_caller_who_hung_up_while_the_known_agent_rang_is_not_routed_on(app, provider, live_server,
                                                                             socket_factory):
    with app.app_context():
        ann, bob = make_user("ann"), make_user("bob")
        _helped(_mei(), ann, days_ago=1)
        bob_desktop = socket_factory(token=make_token(bob))
        socket_factory(token=make_token(ann))
    call_sid, response = live_server.provider.call(from_="+14155550112")
    action = _dial(xml(response)).get("action")
    path = urlsplit(action)
    gone = xml(live_server.provider.post(f"{path.path}?{path.query}", dict(status_params(call_sid, "completed"),
                                                                          DialCallStatus="canceled")))
    assert list(gone) == []
    with app.app_context():
        assert call_row(call_sid).routing_reason == "known_agent"
    assert not [p for p in bob_desktop.events("screen_pop") if p["call_sid"] == call_sid]
