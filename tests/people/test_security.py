"""Sessions, login throttling, socket cut-off, audit and what the logs never contain."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
import socketio as socketio_client
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditEvent, LoginSession, User, utcnow
from tests.factories import PASSWORD, make_customer, make_token, make_user
from tests.support.login import login
from tests.support.sockets import wait_until


def test_passwords_are_hashed_with_a_modern_kdf(app_ctx):
    user = make_user("kdf")
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


def test_logout_kills_the_session_even_for_a_copied_cookie(app, client):
    with app.app_context():
        make_user("ann")
    assert login(client, "ann").status_code == 302
    copied = client.get_cookie("session").value
    assert client.get("/").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_idle_session_expires(app, client):
    with app.app_context():
        make_user("ann")
    login(client, "ann")
    with app.app_context():
        db.session.execute(update(LoginSession).values(
            last_seen_at=utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)))
        db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deactivated_user_loses_the_browser_session_at_once(app, client):
    with app.app_context():
        make_user("ann")
    login(client, "ann")
    with app.app_context():
        db.session.execute(update(User).values(active=False))
        db.session.commit()
    assert client.get("/").status_code == 302


def test_failed_logins_are_throttled_per_user_across_processes(app, app_with, tmp_path):
    with app.app_context():
        make_user("ann")
    other_process = app_with(SPOOL_DIR=str(tmp_path / "s2"))
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER"]
    for attempt in range(limit):
        target = app if attempt % 2 else other_process
        assert login(target.test_client(), "ann", "wrong password").status_code == 401
    blocked = login(app.test_client(), "ann")  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert b"Too many failed logins" in blocked.data


@pytest.mark.app_config(LOGIN_MAX_FAILURES_PER_IP=3)
def test_failed_logins_are_throttled_per_address(app):
    with app.app_context():
        make_user("ann")
    for name in ("x1", "x2", "x3"):
        assert login(app.test_client(), name, "nope").status_code == 401
    assert login(app.test_client(), "ann").status_code == 429
    other_address = app.test_client()
    assert login(other_address, "ann", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 302


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_login_form_requires_csrf_token(app):
    with app.app_context():
        make_user("ann")
    assert login(app.test_client(), "ann").status_code == 400


def test_production_cookies_are_secure_httponly_lax(app_with):
    app = app_with("production", SECRET_KEY="s" * 32, TWILIO_AUTH_TOKEN="t" * 32, WTF_CSRF_ENABLED=False)
    with app.app_context():
        make_user("ann")
    response = login(app.test_client(), "ann", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_disconnects_the_users_sockets(live_server, socket_factory):
    with live_server.app.app_context():
        make_user("ann")
    browser = login(live_server.base_url, "ann")
    cookie = browser.cookie
    agent = socket_factory(cookie=cookie)
    assert agent.sio.connected
    browser.post(f"{live_server.base_url}/logout", timeout=5)
    assert wait_until(lambda: not agent.sio.connected), "socket still connected after logout"
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        socket_factory(cookie=cookie)  # the old cookie no longer opens a socket


def test_heartbeat_cuts_off_a_deactivated_token_user(live_server, socket_factory):
    with live_server.app.app_context():
        token = make_token(make_user("ann"))
    agent = socket_factory(token=token)
    assert agent.sio.call("heartbeat", {}, timeout=5) == {"ok": True}
    with live_server.app.app_context():
        db.session.execute(update(User).values(active=False))
        db.session.commit()
    agent.sio.emit("heartbeat", {})
    assert wait_until(lambda: not agent.sio.connected), "deactivated user still connected"


def test_pops_are_audited_per_user_who_received_them(live_server, socket_factory):
    with live_server.app.app_context():
        customer_id = make_customer("Alice Wong", phones=("+14155550100",)).id
        ann, bob = make_user("ann"), make_user("bob")
        ids = {ann.id, bob.id}
        tokens = [make_token(ann), make_token(bob)]
    agents = [socket_factory(token=t) for t in tokens]
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    for agent in agents:
        agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    late = socket_factory(cookie=login(live_server.base_url, "ann").cookie)
    late.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    with live_server.app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.call_sid == call_sid)).all()
        assert {(r.user_id, r.action, r.customer_id) for r in rows} == {
            (uid, "pop_delivered", customer_id) for uid in ids}
        assert sorted(r.user_id for r in rows).count(min(ids)) == 2  # ann again, on her replay


def test_call_handling_never_logs_numbers_or_names_at_info(app, provider, caplog):
    with app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",))
    caplog.set_level(logging.INFO)
    call_sid, _ = provider.call(from_="+14155550100")
    provider.status(call_sid, "completed", sequence=1, duration=3)
    provider.status("CA-unknown", "completed")
    for record in caplog.records:
        text = record.getMessage() + " " + " ".join(str(v) for v in vars(record).values())
        for secret in ("4155550100", "Alice Wong", "Alice"):
            assert secret not in text, f"{record.levelname} {record.name}: {record.getMessage()}"


def test_a_strangers_wrong_passwords_do_not_lock_the_agent_out_from_their_own_desk(app):
    """Failures for ann from one address hold back that address's attempts for ann, not ann's
    own login from her desk; across addresses she is only slowed down."""
    from app.models import LoginAttempt
    from app.services.people import sessions

    with app.app_context():
        make_user("ann")
        limit = app.config["LOGIN_MAX_FAILURES_PER_USER"]
        earlier = utcnow() - timedelta(seconds=45)
        for _ in range(limit):
            sessions.record_failure("ann", "203.0.113.9", now=earlier)
        assert db.session.query(LoginAttempt).count() == 3 * limit
    stranger = login(app.test_client(), "ann", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert stranger.status_code == 429
    assert int(stranger.headers["Retry-After"]) > 60  # that pair waits out the window
    assert login(app.test_client(), "ann", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302


def test_failures_from_everywhere_only_slow_a_username_down_never_lock_it(app):
    from app.services.people import sessions

    with app.app_context():
        make_user("ann")
        throttle = sessions.Throttle(per_user=5, per_ip=20, window=timedelta(minutes=15), max_backoff_seconds=30)
        now = utcnow()
        for n in range(40):  # a spray from forty addresses
            sessions.record_failure("ann", f"198.51.100.{n}", now=now)
        wait = sessions.retry_after("ann", "10.1.2.3", throttle, now=now)
        assert wait is not None and wait <= 31
        assert sessions.retry_after("ann", "10.1.2.3", throttle, now=now + timedelta(seconds=31)) is None


def test_public_base_url_without_trusted_proxies_warns_at_start_up(app_with, caplog):
    with caplog.at_level(logging.WARNING, logger="app"):
        app_with(PUBLIC_BASE_URL="https://cc.example.com", TRUSTED_PROXIES=0)
    assert any("TRUSTED_PROXIES is 0" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="app"):
        app_with(PUBLIC_BASE_URL="https://cc.example.com", TRUSTED_PROXIES=1)
    assert not any("TRUSTED_PROXIES is 0" in r.getMessage() for r in caplog.records)


@pytest.mark.app_config(SOCKET_RECHECK_SECONDS=1)
def test_a_token_socket_that_never_heartbeats_is_closed_once_its_token_expires(live_server, socket_factory):
    from app.models import ApiToken

    with live_server.app.app_context():
        token = make_token(make_user("ann"))
    agent = socket_factory(token=token)
    assert agent.sio.connected
    with live_server.app.app_context():
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert wait_until(lambda: not agent.sio.connected, timeout=10), "socket outlived its token"


@pytest.mark.app_config(SOCKET_RECHECK_SECONDS=1)
def test_a_password_reset_closes_the_users_sockets(live_server, socket_factory):
    import requests

    from tests.support.api import bearer

    with live_server.app.app_context():
        ann_token = make_token(make_user("ann"))
        admin_token = make_token(make_user("root", role="admin"))
        ann_id = db.session.scalar(select(User.id).where(User.username == "ann"))
    browser = socket_factory(cookie=login(live_server.base_url, "ann").cookie)
    client = socket_factory(token=ann_token)
    reset = requests.patch(f"{live_server.base_url}/api/v1/users/{ann_id}", json={"password": "a brand new secret"},
                           headers=bearer(admin_token), timeout=5)
    assert reset.status_code == 200, reset.text
    assert wait_until(lambda: not browser.sio.connected and not client.sio.connected, timeout=10)


def test_logging_out_closes_only_that_logins_sockets(live_server, socket_factory):
    with live_server.app.app_context():
        make_user("ann")
    desk = login(live_server.base_url, "ann")
    laptop = login(live_server.base_url, "ann")
    desk_socket = socket_factory(cookie=desk.cookie)
    laptop_socket = socket_factory(cookie=laptop.cookie)
    desk.post(f"{live_server.base_url}/logout", timeout=5)
    assert wait_until(lambda: not desk_socket.sio.connected), "the logged-out desk is still connected"
    time.sleep(0.5)
    assert laptop_socket.sio.connected, "logging out at one desk knocked the other offline"


def test_each_role_lands_where_its_work_is(app, client):
    with app.app_context():
        make_user("ann")
        make_user("sue", role="supervisor")
        make_user("ada", role="admin")
    for username, home in (("ann", "/"), ("sue", "/dashboard"), ("ada", "/dashboard")):
        landed = login(client, username)
        assert (landed.status_code, landed.headers["Location"]) == (302, home), username
        assert client.get("/login").headers["Location"] == home  # already logged in
        client.post("/logout")
    # A link followed before logging in still wins.
    assert login(client, "sue", query_string={"next": "/customers"}).headers["Location"] == "/customers"
