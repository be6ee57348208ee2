"""The production shape, end to end: deploy/nginx.conf in front of two gunicorn processes
(gunicorn.conf.py) sharing PostgreSQL and Redis, with TLS, sticky sessions and websocket upgrade."""
from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid

import pytest
import requests
import socketio as socketio_client

from app import create_app
from app.extensions import db
from tests.factories import make_customer, make_token, make_user
from tests.support import services
from tests.support.provider import Provider, voice_params
from tests.support.servers import ROOT, start_server
from tests.support.sockets import SocketRecorder

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.multiprocess]
AUTH_TOKEN = "deploy-test-" + uuid.uuid4().hex


def nginx_config(tmp_path, https_port: int, http_port: int, upstreams: list[str]) -> str:
    """deploy/nginx.conf with only what must differ here: ports, upstreams, a throwaway certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=cc.example.com"], check=True, capture_output=True)
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/cc.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/cc.example.com/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/knowncaller.access.log", str(tmp_path / "site-access.log"))
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl").replace(
        "listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("server 127.0.0.1:8001;\n    server 127.0.0.1:8002;",
                        "\n".join(f"server {u};" for u in upstreams))
    assert all(u in site for u in upstreams)
    (tmp_path / "site.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    return str(main)


@pytest.fixture
def behind_nginx(tmp_path):
    services.require(shutil.which("nginx") is not None, "nginx is not installed (apt-get install nginx-light)")
    services.require(services.postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    services.require(services.redis_available(), "Redis is not reachable on 127.0.0.1:6379")
    database_url = services.create_postgres_database()
    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    with app.app_context():
        db.create_all()
        token = make_token(make_user("agent1"))
        make_customer("Alice Wong", phones=("+14155550100",))
    env = {"KNOWNCALLER_ENV": "development", "DATABASE_URL": database_url, "SECRET_KEY": uuid.uuid4().hex,
           "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SOCKETIO_MESSAGE_QUEUE": services.REDIS_URL,
           "SOCKETIO_CHANNEL": "kc-deploy-" + uuid.uuid4().hex, "TRUSTED_PROXIES": "1",
           "SPOOL_DIR": str(tmp_path / "spool")}
    servers, nginx = [], None
    try:
        servers = [start_server(env, tmp_path, name=n) for n in ("a", "b")]
        https_port, http_port = services.free_port(), services.free_port()
        config = nginx_config(tmp_path, https_port, http_port, [s.base_url.split("//")[1] for s in servers])
        nginx = subprocess.Popen(["nginx", "-c", config, "-g", "daemon off;"], stderr=subprocess.PIPE)
        base_url = f"https://127.0.0.1:{https_port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                insecure_session().get(base_url + "/login", timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
                time.sleep(0.1)
        yield base_url, token
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        for server in servers:
            server.stop()
        with app.app_context():
            db.engine.dispose()
        services.drop_postgres_database(database_url)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_pops_reach_desktops_through_nginx(behind_nginx, transport):
    base_url, token = behind_nginx
    agent = connect_socket_insecure(base_url, token, transport)
    try:
        # TRUSTED_PROXIES=1: the app rebuilds the public URL from nginx's X-Forwarded-* headers.
        provider = Provider(AUTH_TOKEN, base_url=base_url)
        session = insecure_session()
        call_sid = "CA" + uuid.uuid4().hex
        params = voice_params(call_sid=call_sid)
        response = session.post(base_url + "/twilio/voice", data=params,
                                headers={"X-Twilio-Signature": provider.sign(base_url + "/twilio/voice", params)})
        assert response.status_code == 200, response.text
        pop = agent.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid, timeout=10)
        assert pop["customer"]["name"] == "Alice Wong"
        assert agent.sio.transport() == transport
    finally:
        agent.sio.disconnect()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_access_logs_name_paths_without_their_query_strings(behind_nginx, tmp_path):
    """A search or a new-customer link puts a name or a number in the URL; neither nginx's log
    nor gunicorn's may keep them."""
    base_url, _token = behind_nginx
    session = insecure_session()
    for path in ("/customers?q=Alice+Wong", "/customers/new?phone=%2B14155550100&call_sid=CA123"):
        session.get(base_url + path, headers={"Referer": base_url + "/customers?q=Alice+Wong"}, timeout=5)
    logs = {"nginx": (tmp_path / "site-access.log").read_text()}
    logs.update({path.name: path.read_text() for path in tmp_path.glob("[ab]-*.log")})
    assert "/customers/new" in logs["nginx"] and "/customers/new" in "".join(logs.values())
    for name, text in logs.items():
        for secret in ("Alice", "14155550100", "q=", "phone="):
            assert secret not in text, f"{secret!r} in the {name} log"


def test_each_worker_sets_its_startup_objects_aside_from_the_collector(behind_nginx, tmp_path):
    """gunicorn.conf.py freezes what a worker built while loading the app, so a full garbage
    collection (every thread stopped meanwhile) walks only what calls and sockets made since."""
    logs = sorted(tmp_path.glob("[ab]-*.log"))
    assert len(logs) == 2, logs
    for log in logs:
        frozen = re.search(r"(\d+) startup objects set aside from the garbage collector", log.read_text())
        assert frozen, f"{log.name} does not say the startup objects were frozen"
        assert int(frozen.group(1)) > 50_000, f"{log.name}: only {frozen.group(1)} objects frozen"


def insecure_session() -> requests.Session:
    """Trusts the test's self-signed certificate (and ignores a CA bundle set in the environment)."""
    session = requests.Session()
    session.verify = False
    session.trust_env = False
    return session


def connect_socket_insecure(base_url: str, token: str, transport: str):
    """connect_socket, trusting the test's self-signed certificate."""
    sio = socketio_client.Client(reconnection=False, ssl_verify=False, http_session=insecure_session())
    recorder = SocketRecorder(sio)
    sio.on("screen_pop", lambda data: recorder.received.put(("screen_pop", data)))
    sio.connect(base_url, auth={"token": token}, transports=[transport], wait_timeout=10)
    return recorder
