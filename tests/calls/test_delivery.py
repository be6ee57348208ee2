"""One delivery path for every pop: routing decides, TwiML renders the decision, and the pop goes to
its audience with one audit row per recipient and customer shown."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy import select

from app import twiml
from app.extensions import db
from app.models import AgentPresence, AuditEvent, utcnow
from app.services.calls import routing
from app.services.people.presence import ConnectedUser
from tests.factories import make_customer, make_user
from tests.support.provider import dialled

URLS = twiml.RoutingUrls(status="https://cc.example.com/twilio/status",
                         dial_result="https://cc.example.com/twilio/dial-result",
                         voicemail="https://cc.example.com/twilio/voicemail")
FALLBACK = twiml.FallbackOptions(number=None, greeting="Please leave a message.", max_seconds=60)


def _agent(user_id: int, kind: str, target: str, **state) -> ConnectedUser:
    return ConnectedUser(user_id, state.pop("role", "agent"), kind, target, online=state.pop("online", True),
                         name=target, **state)


def test_nobody_online_is_a_fallback_decision_rendered_as_voicemail():
    decision = routing.decide((), limit=10, call_sid="CA1")
    assert decision == routing.RoutingDecision("fallback", ())
    root = ET.fromstring(twiml.routing(decision, URLS, timeout=20, fallback_options=FALLBACK))
    assert [el.tag for el in root] == ["Say", "Record"]
    assert root[1].get("action") == URLS.voicemail


def test_a_floor_decision_rings_its_offerable_agents_only():
    online = (_agent(1, "client", "ann"), _agent(2, "phone", "+14155550123", live_call_sid="CA0"),
              _agent(3, "client", "cy"), _agent(4, "client", "dee", chosen="away"),
              _agent(5, "client", "eve", wrap_call_sid="CA9"), _agent(6, "client", "sue", role="supervisor"))
    decision = routing.decide(online, limit=10, call_sid="CA1")
    assert decision.reason == "floor"
    assert [agent[0] for agent in decision.agents] == [1, 3]
    (dial,) = ET.fromstring(twiml.routing(decision, URLS, timeout=15, fallback_options=FALLBACK))
    assert dial.get("action") == URLS.dial_result and dial.get("timeout") == "15"
    assert [(noun.tag, dialled(noun), noun.get("statusCallback")) for noun in dial] == [
        ("Client", "ann", URLS.status + "?agent=1"), ("Client", "cy", URLS.status + "?agent=3")]


def _socket(user_id: int, sid: str, seen_seconds_ago: int) -> None:
    seen = utcnow() - timedelta(seconds=seen_seconds_ago)
    db.session.add(AgentPresence(sid=sid, user_id=user_id, connected_at=seen, last_seen_at=seen))


def _pop_audit(customer_id: int) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(AuditEvent.user_id, AuditEvent.call_sid)
        .where(AuditEvent.action == "pop_delivered", AuditEvent.customer_id == customer_id)
        .order_by(AuditEvent.user_id, AuditEvent.id))
    return [tuple(row) for row in rows]


def test_pop_is_audited_for_the_offered_agent_only_once_however_many_desktops(app, provider):
    """Ann is offered the call (on two desktops: audited once); Bob's heartbeat is late, so he is
    not offered it and is not in its audience; Cy has no desktop."""
    with app.app_context():
        customer_id = make_customer("Alice Wong", phones=("+14155550100",)).id
        fresh, quiet, _cy = make_user("ann"), make_user("bob"), make_user("cy")
        _socket(fresh.id, "s-ann-1", 5)
        _socket(fresh.id, "s-ann-2", 10)
        _socket(quiet.id, "s-bob", app.config["PRESENCE_TTL_SECONDS"] + 60)
        db.session.commit()
        ann = fresh.id
    call_sid, response = provider.call(from_="+14155550100")
    assert response.status_code == 200
    with app.app_context():
        assert _pop_audit(customer_id) == [(ann, call_sid)]


def test_a_call_offered_to_nobody_is_audited_for_every_connected_user_even_with_a_quiet_heartbeat(app, provider):
    """Everyone is away: the call waits in line and goes to every socket, a late one too; the
    audit names each user once however many desktops they have."""
    with app.app_context():
        customer_id = make_customer("Alice Wong", phones=("+14155550100",)).id
        fresh, quiet, away = make_user("ann"), make_user("bob"), make_user("cy")
        for user in (fresh, quiet, away):
            user.status = "away"
        _socket(fresh.id, "s-ann-1", 5)
        _socket(fresh.id, "s-ann-2", 10)
        _socket(quiet.id, "s-bob", app.config["PRESENCE_TTL_SECONDS"] + 60)
        db.session.commit()
        ids = (fresh.id, quiet.id, away.id)
    call_sid, response = provider.call(from_="+14155550100")
    assert response.status_code == 200
    with app.app_context():
        assert _pop_audit(customer_id) == [(ids[0], call_sid), (ids[1], call_sid)]


def test_an_unknown_caller_pops_without_an_audit_row(app, provider):
    with app.app_context():
        _socket(make_user("ann").id, "s-ann", 5)
        db.session.commit()
    _call_sid, response = provider.call(from_="+14155550999")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pop_delivered")).all() == []


def test_linking_a_call_pops_it_again_and_audits_each_recipient(app, api_as, provider):
    ann, bob = api_as("agent"), api_as("agent")
    with app.app_context():
        customer_id = make_customer("New Caller", phones=()).id
        _socket(ann.user.id, "s-ann", 5)
        _socket(bob.user.id, "s-bob", 5)
        db.session.commit()
        ids = (ann.user.id, bob.user.id)
    call_sid, _ = provider.call(from_="+14155550999")
    linked = ann.patch(f"/api/v1/calls/{call_sid}", json={"customer_id": customer_id})
    assert linked.status_code == 200
    assert linked.get_json()["pop"]["customer"]["id"] == customer_id
    with app.app_context():
        assert _pop_audit(customer_id) == [(ids[0], call_sid), (ids[1], call_sid)]


def _dialled(response) -> list[str]:
    root = ET.fromstring(response.data)
    return [dialled(noun) for dial in root.iter("Dial") for noun in dial]


def test_only_agents_are_rung_though_supervisors_and_admins_are_online(app, provider):
    with app.app_context():
        for username, role in (("sue", "supervisor"), ("adam", "admin"), ("ann", "agent")):
            _socket(make_user(username, role=role).id, f"s-{username}", 5)
        db.session.commit()
    _sid, response = provider.call(from_="+14155550999")
    assert _dialled(response) == ["ann"]


def test_with_only_supervisors_online_the_caller_goes_to_the_fallback_not_to_them(app, provider):
    with app.app_context():
        _socket(make_user("sue", role="supervisor").id, "s-sue", 5)
        db.session.commit()
    _sid, response = provider.call(from_="+14155550999")
    root = ET.fromstring(response.data)
    assert [el.tag for el in root] == ["Say", "Record"]


def test_a_browser_phone_hears_which_call_rings_it_and_a_phone_does_not_need_to():
    """SPEC §13: the ringing goes on that call's card. The <Dial> is cached per set of agents; each
    call's sid is put in its own copy, escaped."""
    online = (_agent(1, "client", "ann"), _agent(2, "phone", "+14155550123"))
    decision = routing.decide(online, limit=10, call_sid="CA1")
    for sid in ("CAfirst", 'CA"<odd>&'):
        (dial,) = ET.fromstring(twiml.routing(decision, URLS, timeout=15, fallback_options=FALLBACK, call_sid=sid))
        client, number = dial
        assert dialled(client) == "ann"
        assert [(p.get("name"), p.get("value")) for p in client.iter("Parameter")] == [("call_sid", sid)]
        assert number.find("Parameter") is None and dialled(number) == "+14155550123"
