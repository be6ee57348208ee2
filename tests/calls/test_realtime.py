"""Socket.IO: who may connect, what a pop carries for each match kind, replay, updates."""
from __future__ import annotations

import pytest
import socketio as socketio_client
from sqlalchemy import func, select

from app.extensions import db
from app.models import AgentPresence
from tests.factories import make_customer, make_token, make_user
from tests.support.login import login
from tests.support.sockets import wait_until


@pytest.fixture
def agent_token(api_as):
    """The API token of an agent (agent1): the way a desktop's socket signs in."""
    return api_as("agent").token


def test_connection_without_credentials_is_refused(live_server, socket_factory):
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        socket_factory()


def test_connection_with_unknown_token_is_refused(live_server, socket_factory):
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        socket_factory(token="not-a-token")


def test_single_match_pops_name_preferences_and_open_complaints_only(live_server, socket_factory, agent_token):
    with live_server.app.app_context():
        customer = make_customer(
            "Alice Wong", phones=("+14155550100",), tier="vip", preferences={"milk": "high-calcium"},
            complaints=[{"subject": "Damaged parcel", "severity": "high", "due_in_days": -1},
                        {"subject": "Old billing issue", "status": "resolved"}],
        )
        customer_id = customer.id
    agent = socket_factory(token=agent_token)
    call_sid, response = live_server.provider.call(from_="(415) 555-0100")
    assert response.status_code == 200
    pop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert pop["match"] == "single"
    assert pop["from"] == "+14155550100"
    assert pop["from_raw"] == "(415) 555-0100"
    assert pop["from_display"] == "(415) 555-0100"
    assert pop["customer"]["id"] == customer_id
    assert pop["customer"]["name"] == "Alice Wong"
    assert pop["customer"]["tier"] == "vip"
    assert [(p["key"], p["value"]) for p in pop["customer"]["preferences"]] == [("milk", "high-calcium")]
    complaints = pop["customer"]["open_complaints"]
    assert [c["subject"] for c in complaints] == ["Damaged parcel"]
    assert complaints[0]["overdue"] is True
    assert pop["candidates"] == []


def test_shared_number_pops_every_candidate(live_server, socket_factory, agent_token):
    with live_server.app.app_context():
        a = make_customer("Wei Huang", phones=("+14155550111",))
        b = make_customer("Mei Huang", phones=("+14155550111", "+14155550112"))
        expected = [{"id": a.id, "name": "Wei Huang"}, {"id": b.id, "name": "Mei Huang"}]
    agent = socket_factory(token=agent_token)
    call_sid, _ = live_server.provider.call(from_="+14155550111")
    pop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert pop["match"] == "multiple"
    assert pop["customer"] is None
    assert pop["candidates"] == expected


def test_unknown_number_pops_as_none_with_the_number(live_server, socket_factory, agent_token):
    agent = socket_factory(token=agent_token)
    call_sid, _ = live_server.provider.call(from_="+442079460000")
    pop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert (pop["match"], pop["from"], pop["customer"], pop["candidates"]) == ("none", "+442079460000", None, [])
    assert pop["from_display"] == "+44 20 7946 0000"


@pytest.mark.parametrize("raw", ["anonymous", "", "+266696687", "RESTRICTED"])
def test_withheld_caller_pops_without_lookup(live_server, socket_factory, agent_token, raw):
    agent = socket_factory(token=agent_token)
    call_sid, _ = live_server.provider.call(from_=raw)
    pop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert (pop["match"], pop["from"], pop["customer"]) == ("withheld", None, None)


def test_sip_caller_is_none_with_null_number(live_server, socket_factory, agent_token):
    agent = socket_factory(token=agent_token)
    call_sid, _ = live_server.provider.call(from_="sip:alice@example.com")
    pop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert (pop["match"], pop["from"], pop["from_raw"]) == ("none", None, "sip:alice@example.com")


def test_reconnect_replays_calls_that_have_not_ended(live_server, socket_factory, agent_token):
    ringing_sid, _ = live_server.provider.call(from_="+14155550100")
    ended_sid, _ = live_server.provider.call(from_="+14155550101")
    live_server.provider.status(ended_sid, "completed", sequence=3, duration=5)
    agent = socket_factory(token=agent_token)
    agent.wait_for("screen_pop", lambda p: p["call_sid"] == ringing_sid)
    replayed = {p["call_sid"] for p in agent.events("screen_pop")}
    assert replayed == {ringing_sid}


def test_browser_session_cookie_opens_the_socket(live_server, socket_factory):
    with live_server.app.app_context():
        make_user("carol")
    agent = socket_factory(cookie=login(live_server.base_url, "carol").cookie)
    call_sid, _ = live_server.provider.call()
    assert agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)


def test_status_changes_reach_every_agent_as_call_updates(live_server, socket_factory, agent_token):
    first, second = socket_factory(token=agent_token), socket_factory(token=agent_token)
    call_sid, _ = live_server.provider.call()
    live_server.provider.status(call_sid, "in-progress", sequence=1)
    live_server.provider.status(call_sid, "completed", sequence=2, duration=42)
    for agent in (first, second):
        done = agent.wait_for("call_update", lambda u: u["call_sid"] == call_sid and u["status"] == "completed")
        assert done["duration"] == 42
        assert [u["status"] for u in agent.events("call_update") if u["call_sid"] == call_sid] == [
            "in-progress", "completed"]


def test_retried_webhook_pops_once(live_server, socket_factory, agent_token):
    agent = socket_factory(token=agent_token)
    call_sid, first = live_server.provider.call()
    _, second = live_server.provider.call(call_sid=call_sid)
    assert first.text == second.text
    agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert len([p for p in agent.events("screen_pop") if p["call_sid"] == call_sid]) == 1


def test_cross_origin_browser_socket_is_refused(live_server, socket_factory, agent_token):
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        socket_factory(token=agent_token, headers={"Origin": "http://evil.example.com"})
    same_origin = socket_factory(token=agent_token)  # python-socketio sends its own origin
    assert same_origin.sio.connected


def test_connected_agent_is_rung_and_a_disconnected_one_is_not(live_server, socket_factory, app):
    with app.app_context():
        dana = make_user("dana", reach_kind="phone", reach_address="+14155550123")
        dana_id, token = dana.id, make_token(dana)
    agent = socket_factory(token=token)
    _, response = live_server.provider.call()
    assert "<Number" in response.text and "+14155550123" in response.text
    agent.sio.disconnect()

    def presence_gone():  # the client's disconnect returns before the server has handled it
        with app.app_context():
            db.session.remove()
            return db.session.scalar(select(func.count()).select_from(AgentPresence)
                                     .where(AgentPresence.user_id == dana_id)) == 0
    assert wait_until(presence_gone)
    _, response = live_server.provider.call()
    assert "+14155550123" not in response.text
    assert "<Record" in response.text
