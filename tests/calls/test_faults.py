"""Faults: the caller is always routed, nothing is lost, and desktops catch up by themselves."""
from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Call, FollowUp, OrphanEvent
from tests.factories import make_customer, make_token, make_user
from tests.support import services
from tests.support.api import bearer
from tests.support.provider import ACCOUNT_SID, Provider
from tests.support.servers import start_server
from tests.support.sockets import connect_socket, wait_until
from tests.support.tcp_proxy import TcpProxy

AUTH_TOKEN = "fault-test-token-" + uuid.uuid4().hex


@pytest.fixture
def postgres_behind_proxy(tmp_path):
    """A fresh PostgreSQL database reached through a relay the test can cut."""
    with services.postgres_behind_proxy(tmp_path / "spool", SPOOL_RETRY_SECONDS=1) as (app, proxy):
        yield app, proxy


@pytest.mark.postgres
def test_postgres_down_routes_pops_unavailable_and_replays_when_back(postgres_behind_proxy, socket_factory_for):
    app, proxy = postgres_behind_proxy
    with app.app_context():
        customer_id = make_customer("Alice Wong", phones=("+14155550100",)).id
        token = make_token(make_user("agent1"))
    server, agent = socket_factory_for(app, token)
    provider = server.provider

    proxy.cut()
    started = time.monotonic()
    call_sid, response = provider.call(from_="+14155550100")
    answered_in = time.monotonic() - started
    assert response.status_code == 200 and "<Record" in response.text  # routed to the fallback
    assert answered_in < 10, f"the provider waited {answered_in:.1f}s"
    pop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert (pop["lookup"], pop["match"], pop["from"], pop["customer"]) == ("unavailable", "none", "+14155550100", None)
    assert provider.status(call_sid, "in-progress", sequence=1).status_code == 200

    proxy.restore()
    # Once the database is back the spool is replayed: the call is stored, recognised, and re-popped.
    repop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid and p["customer"] is not None,
                           timeout=15)
    assert repop["customer"]["id"] == customer_id
    update = agent.wait_for("call_update", lambda u: u["call_sid"] == call_sid, timeout=15)
    assert update["status"] == "in-progress"
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
        assert (call.status, call.lookup_failed, call.customer_id) == ("in-progress", True, customer_id)


@pytest.mark.postgres
def test_exhausted_connection_pool_still_routes_the_call(tmp_path):
    services.require(services.postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    url = services.create_postgres_database()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SPOOL_DIR=str(tmp_path / "spool"),
                     SPOOL_RETRY_SECONDS=1,
                     SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 1})
    try:
        with app.app_context():
            db.create_all()
            held = db.engine.connect()  # the only connection in the pool
            try:
                provider = Provider(app.config["TWILIO_AUTH_TOKEN"], client=app.test_client())
                call_sid, response = provider.call()
                assert response.status_code == 200 and "<Record" in response.text
            finally:
                held.close()
            # With a connection free again, the background replay stores the call by itself.
            deadline = time.monotonic() + 15
            while db.session.scalar(select(Call).where(Call.call_sid == call_sid)) is None:
                assert time.monotonic() < deadline, "the spooled call was never replayed"
                db.session.rollback()
                time.sleep(0.2)
            assert list((tmp_path / "spool").glob("*.json")) == []
    finally:
        with app.app_context():
            db.engine.dispose()
        services.drop_postgres_database(url)


@pytest.mark.postgres
def test_a_voicemail_left_during_an_outage_reaches_its_call_when_the_database_returns(postgres_behind_proxy):
    app, proxy = postgres_behind_proxy
    provider = Provider(app.config["TWILIO_AUTH_TOKEN"], client=app.test_client())
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE77"

    proxy.cut()
    call_sid, response = provider.call(from_="+14155550100")
    assert "<Record" in response.text  # everyone is sent to voicemail while the database is down
    answer = provider.post("/twilio/voicemail", {"CallSid": call_sid, "RecordingUrl": recording,
                                                 "AccountSid": ACCOUNT_SID})
    assert answer.status_code == 200 and "<Hangup" in answer.text
    provider.status(call_sid, "completed", sequence=3, duration=48)
    proxy.restore()

    with app.app_context():
        deadline = time.monotonic() + 15
        while (call := db.session.scalar(select(Call).where(Call.call_sid == call_sid))) is None \
                or call.recording_url is None or not call.ended:  # replayed in order: voice, voicemail, status
            assert time.monotonic() < deadline, "the spooled voicemail never reached its call"
            db.session.rollback()
            time.sleep(0.2)
        assert (call.status, call.duration, call.recording_url) == ("completed", 48, recording)
        follow_up = db.session.scalar(select(FollowUp).where(FollowUp.call_id == call.id))
        assert (follow_up.reason, follow_up.status) == ("voicemail", "open")


@pytest.mark.postgres
@pytest.mark.multiprocess
def test_events_split_across_two_hosts_during_an_outage_all_reach_their_calls(tmp_path):
    """Host A takes the voice webhook and host B the status and voicemail callbacks, both while
    PostgreSQL is cut off; B's link comes back first, so it stores events for a call only A's
    spool holds. Nothing is dropped, and the replayed call keeps the time it first arrived."""
    services.require(services.postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    direct_url = services.create_postgres_database()
    links = {name: TcpProxy("127.0.0.1", 5432).start() for name in ("a", "b")}  # each host's own network path
    app = create_app("development", SQLALCHEMY_DATABASE_URI=direct_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    with app.app_context():
        db.create_all()
        customer_id = make_customer("Alice Wong", phones=("+14155550100",)).id
        token = make_token(make_user("agent1"))
    base_env = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SECRET_KEY": "x", "PUBLIC_BASE_URL": "https://cc.example.com",
                "KNOWNCALLER_ENV": "development", "SPOOL_RETRY_SECONDS": "1", "DB_CONNECT_TIMEOUT_SECONDS": "1"}
    servers, agent = [], None
    try:
        for name, link in links.items():
            env = dict(base_env, SPOOL_DIR=str(tmp_path / f"spool-{name}"),
                       DATABASE_URL=direct_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{link.port}/"))
            servers.append(start_server(env, tmp_path, name=name))
        a, b = servers
        agent = connect_socket(a.base_url, token=token)
        to_a = Provider(AUTH_TOKEN, base_url=a.base_url, public_url="https://cc.example.com")
        to_b = Provider(AUTH_TOKEN, base_url=b.base_url, public_url="https://cc.example.com")

        # A call already stored when the database goes away: it ends during the outage.
        earlier, _ = to_a.call(from_="+14155550177")
        agent.wait_for("screen_pop", lambda p: p["call_sid"] == earlier)
        for link in links.values():
            link.cut()
        assert to_b.status(earlier, "completed", sequence=2, duration=95).status_code == 200

        # A call that arrives during the outage: voice on A, everything after it on B.
        arrived = datetime.now(timezone.utc).replace(tzinfo=None)
        call_sid, response = to_a.call(from_="+14155550100")
        assert response.status_code == 200 and "<Record" in response.text
        recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE88"
        assert to_b.status(call_sid, "in-progress", sequence=1).status_code == 200
        assert to_b.post("/twilio/voicemail", {"CallSid": call_sid, "RecordingUrl": recording,
                                               "AccountSid": ACCOUNT_SID}).status_code == 200
        assert to_b.status(call_sid, "completed", sequence=3, duration=61).status_code == 200
        time.sleep(1.5)

        links["b"].restore()
        with app.app_context():
            def kept() -> list[str]:
                db.session.rollback()
                return list(db.session.scalars(select(OrphanEvent.kind).where(OrphanEvent.call_sid == call_sid)
                                               .order_by(OrphanEvent.received_at)))
            # B has stored what it could: the earlier call's end, and the new call's events, kept.
            assert wait_until(lambda: kept() == ["status", "voicemail", "status"], timeout=15), kept()
            assert db.session.scalar(select(Call.status).where(Call.call_sid == earlier)) == "completed"
            assert db.session.scalar(select(Call).where(Call.call_sid == call_sid)) is None

        links["a"].restore()
        repop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid and p["lookup"] == "ok",
                               timeout=15)
        ended = agent.wait_for("call_update", lambda u: u["call_sid"] == call_sid and u["status"] == "completed",
                               timeout=15)
        assert repop["customer"]["id"] == customer_id
        assert (ended["duration"], ended["recording_url"]) == (61, recording)
        with app.app_context():
            db.session.rollback()
            call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
            assert (call.status, call.duration, call.recording_url, call.customer_id) == (
                "completed", 61, recording, customer_id)
            assert abs((call.started_at - arrived).total_seconds()) < 2, (call.started_at, arrived)
            assert db.session.scalar(select(FollowUp.reason).where(FollowUp.call_id == call.id)) == "voicemail"
            assert db.session.scalar(select(func.count(OrphanEvent.id))) == 0
    finally:
        if agent is not None:
            agent.sio.disconnect()
        for server in servers:
            server.stop()
        for link in links.values():
            link.cut()
        with app.app_context():
            db.engine.dispose()
        services.drop_postgres_database(direct_url)


@pytest.fixture
def socket_factory_for(tmp_path):
    """Serve a given app on a live port and connect one agent socket to it."""
    import threading

    from werkzeug.serving import make_server

    started = []

    def factory(app, token):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base_url = f"http://127.0.0.1:{server.socket.getsockname()[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        agent = connect_socket(base_url, token=token)
        started.append((server, agent))

        class Live:
            provider = Provider(app.config["TWILIO_AUTH_TOKEN"], base_url=base_url)

        return Live, agent

    yield factory
    for server, agent in started:
        agent.sio.disconnect()
        server.shutdown()


# ---- Redis outage, with two server processes -------------------------------------------------------

class RedisServer:
    def __init__(self, port: int, log_dir):
        self.port = port
        self.log = log_dir / f"redis-{port}.log"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() == b"PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.multiprocess
def test_redis_outage_loses_no_call_and_delivery_resumes(tmp_path):
    services.require(services.postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    services.require(shutil.which("redis-server") is not None, "redis-server is not installed")
    redis = RedisServer(services.free_port(), tmp_path)
    redis.start()
    database_url = services.create_postgres_database()
    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    with app.app_context():
        db.create_all()
        token = make_token(make_user("agent1"))
    env = {"DATABASE_URL": database_url, "SOCKETIO_MESSAGE_QUEUE": f"redis://127.0.0.1:{redis.port}/0",
           "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SECRET_KEY": "x", "PUBLIC_BASE_URL": "https://cc.example.com",
           "KNOWNCALLER_ENV": "development", "SPOOL_DIR": str(tmp_path / "spool")}
    servers, agents = [], []
    try:
        servers = [start_server(env, tmp_path, name=n) for n in ("a", "b")]
        a, b = servers
        agents = [connect_socket(s.base_url, token=token) for s in servers]
        for agent in agents:
            agent.sio.on("resync", lambda data, agent=agent: agent.received.put(("resync", data)))
        provider = Provider(AUTH_TOKEN, base_url=a.base_url, public_url="https://cc.example.com")

        before, _ = provider.call()
        for agent in agents:
            agent.wait_for("screen_pop", lambda p: p["call_sid"] == before)

        redis.stop()
        during = []
        for _ in range(5):
            started = time.monotonic()
            call_sid, response = provider.call()
            assert response.status_code == 200 and "<Response>" in response.text
            assert time.monotonic() - started < 5
            during.append(call_sid)
            time.sleep(1)
        # The process that could not publish tells its own desktops to re-read the calls over HTTP.
        assert agents[0].wait_for("resync", lambda d: d["reason"] == "publish_failed")
        session = requests.Session()
        active = session.get(f"{b.base_url}/api/v1/calls?active=true",
                             headers=bearer(token), timeout=5).json()["items"]
        assert set(during) <= {item["call_sid"] for item in active}

        redis.start()
        # Each process's subscription comes back by itself, and says so to its desktops.
        for agent in agents:
            agent.wait_for("resync", lambda d: d["reason"] == "subscription_restored", timeout=15)
        after, _ = provider.call()
        for agent in agents:
            agent.wait_for("screen_pop", lambda p: p["call_sid"] == after, timeout=10)
    finally:
        for agent in agents:
            agent.sio.disconnect()
        for server in servers:
            server.stop()
        redis.stop()
        with app.app_context():
            db.engine.dispose()
        services.drop_postgres_database(database_url)
