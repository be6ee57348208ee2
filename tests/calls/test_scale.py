"""Several server processes serve one contact center: PostgreSQL holds the calls, Redis carries pops."""
from __future__ import annotations

import uuid

import pytest

from app.extensions import db
from tests.factories import make_customer, make_token, make_user
from tests.support.provider import Provider
from tests.support.servers import two_processes
from tests.support.sockets import connect_socket, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.multiprocess]

AUTH_TOKEN = "scale-test-token-" + uuid.uuid4().hex
PUBLIC_URL = "https://cc.example.com"


def provider_via(server) -> Provider:
    """The provider reaching one process through the load balancer at PUBLIC_URL."""
    return Provider(AUTH_TOKEN, base_url=server.base_url, public_url=PUBLIC_URL)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two gunicorn processes sharing a fresh PostgreSQL database and a Redis channel."""
    with two_processes(tmp_path_factory.mktemp("servers"), auth_token=AUTH_TOKEN, public_url=PUBLIC_URL,
                       SOCKET_RECHECK_SECONDS="1") as (servers, app):
        with app.app_context():
            token = make_token(make_user("agent1", display_name="Ann Lee"))
            make_customer("Alice Wong", phones=("+14155550100",), preferences={"milk": "high-calcium"})
        yield list(servers), token, app


def test_webhook_on_one_process_pops_on_an_agent_of_the_other(cluster):
    (a, b), token, _app = cluster
    on_a, on_b = connect_socket(a.base_url, token=token), connect_socket(b.base_url, token=token)
    try:
        call_sid, response = provider_via(a).call(from_="+1 415 555 0100")
        assert response.status_code == 200
        for agent in (on_a, on_b):
            pop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
            assert pop["match"] == "single"
            assert pop["customer"]["name"] == "Alice Wong"

        # The provider's status callback lands on the other process: both agents still hear of it.
        provider_via(b).status(call_sid, "completed", sequence=2, duration=12)
        for agent in (on_a, on_b):
            update = agent.wait_for("call_update", lambda u: u["call_sid"] == call_sid)
            assert (update["status"], update["duration"]) == ("completed", 12)
    finally:
        on_a.sio.disconnect()
        on_b.sio.disconnect()


def test_retry_delivered_to_the_other_process_does_not_pop_twice(cluster):
    (a, b), token, _app = cluster
    agent = connect_socket(b.base_url, token=token)
    try:
        call_sid, first = provider_via(a).call(from_="+14155550100")
        _, second = provider_via(b).call(from_="+14155550100", call_sid=call_sid)
        assert first.status_code == second.status_code == 200
        assert first.text == second.text
        agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
        assert len([p for p in agent.events("screen_pop") if p["call_sid"] == call_sid]) == 1
    finally:
        agent.sio.disconnect()


def test_an_agent_connected_to_one_process_is_rung_by_the_other(cluster):
    (a, b), token, _app = cluster
    agent = connect_socket(a.base_url, token=token)
    try:
        _, response = provider_via(b).call(from_="+14155550100")
        assert "<Client" in response.text and "<Identity>agent1</Identity>" in response.text
    finally:
        agent.sio.disconnect()


def test_a_socket_on_one_process_closes_when_its_token_ends_with_no_heartbeat(cluster):
    """Nobody tells process b that a token expired; its own re-check (or a's, through the queue)
    closes the socket all the same."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.models import ApiToken, utcnow

    (_a, b), _token, app = cluster
    with app.app_context():
        short_lived = make_token(make_user("agent-" + uuid.uuid4().hex[:8]))
    agent = connect_socket(b.base_url, token=short_lived)
    assert agent.sio.connected
    with app.app_context():
        db.session.execute(update(ApiToken).where(ApiToken.token_hash == ApiToken.hash(short_lived))
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert wait_until(lambda: not agent.sio.connected, timeout=10), "socket on b outlived its token"


def test_logging_out_on_one_process_closes_that_logins_socket_on_the_other_only(cluster):
    from tests.support.login import login, logout

    (a, b), _token, app = cluster
    with app.app_context():
        username = "agent-" + uuid.uuid4().hex[:8]
        make_user(username)
    desk, laptop = login(a.base_url, username, csrf=True), login(a.base_url, username, csrf=True)
    desk_socket = connect_socket(b.base_url, cookie=desk.cookie)
    laptop_socket = connect_socket(b.base_url, cookie=laptop.cookie)
    try:
        assert logout(desk, a.base_url).status_code == 302
        assert wait_until(lambda: not desk_socket.sio.connected, timeout=10), "the logged-out login's socket is open"
        # A wrong disconnect of the other login would travel the same way: give it the same time.
        assert not wait_until(lambda: not laptop_socket.sio.connected, timeout=1.0), "logging out one login closed another"
    finally:
        for recorder in (desk_socket, laptop_socket):
            if recorder.sio.connected:
                recorder.sio.disconnect()
