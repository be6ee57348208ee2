"""Roles (agent < supervisor < admin) on every API route, user administration, and cutting a user off."""
from __future__ import annotations

import time

import pytest
import requests
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import Complaint, Customer, User
from tests.factories import PASSWORD, make_call, make_customer, make_token, make_user
from tests.support.api import assert_error

ROLES = ("agent", "supervisor", "admin")

# The least role each API route needs. A route missing here is still refused to a user whose role
# is unknown (see below), but add it: this table is where the role of every route is decided.
MINIMUM_ROLE = {
    ("GET", "/api/v1/customers"): "agent",
    ("POST", "/api/v1/customers"): "agent",
    ("GET", "/api/v1/customers/<customer_id>"): "agent",
    ("PATCH", "/api/v1/customers/<customer_id>"): "agent",
    ("DELETE", "/api/v1/customers/<customer_id>"): "supervisor",
    ("POST", "/api/v1/customers/<customer_id>/preferences"): "agent",
    ("POST", "/api/v1/customers/<customer_id>/complaints"): "agent",
    ("GET", "/api/v1/customers/<customer_id>/timeline"): "agent",
    ("PATCH", "/api/v1/preferences/<preference_id>"): "agent",
    ("DELETE", "/api/v1/preferences/<preference_id>"): "agent",
    ("PATCH", "/api/v1/complaints/<complaint_id>"): "agent",
    ("GET", "/api/v1/calls"): "agent",
    ("GET", "/api/v1/calls/<call_sid>"): "agent",
    ("PATCH", "/api/v1/calls/<call_sid>"): "agent",
    ("POST", "/api/v1/calls/<call_sid>/claim"): "agent",
    ("GET", "/api/v1/dispositions"): "agent",
    ("GET", "/api/v1/me"): "agent",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("GET", "/api/v1/users/<user_id>"): "admin",
    ("PATCH", "/api/v1/users/<user_id>"): "admin",
    ("POST", "/api/v1/imports"): "admin",
    ("GET", "/api/v1/imports/<job_id>"): "admin",
    ("GET", "/api/v1/imports/<job_id>/refused.csv"): "admin",
    ("GET", "/api/v1/audit"): "supervisor",
}
OPEN_RULES = {"/api/v1/auth/token", "/api/v1/openapi.json"}


@pytest.fixture
def people(app_ctx):
    """One user of each role, with a bearer header each."""
    users = {role: make_user(f"{role}1", role=role, display_name=f"{role.title()} One") for role in ROLES}
    return {role: (user, {"Authorization": f"Bearer {make_token(user)}"}) for role, user in users.items()}


def api_routes(app):
    """(method, rule, path with ids that exist nowhere) for every protected API route."""
    urls = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in OPEN_RULES:
            continue
        path = urls.build(rule.endpoint, {name: 999 for name in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule.replace("<id:", "<").replace("<string(maxlength=64):", "<"), path


def test_every_route_refuses_the_roles_below_its_own(app, client, people):
    checked = 0
    for method, rule, path in api_routes(app):
        minimum = MINIMUM_ROLE.get((method, rule))
        assert minimum is not None, f"{method} {rule} has no role rule here: add it to MINIMUM_ROLE"
        for role, (_, headers) in people.items():
            # An empty body: whoever may not call the route hears 403 before anything is read.
            response = client.open(path, method=method, json={}, headers=headers)
            if ROLES.index(role) < ROLES.index(minimum):
                error = assert_error(response, 403, "forbidden")
                assert minimum in error["message"]
            else:
                assert response.status_code != 403, (method, path, role, response.get_data(as_text=True))
            checked += 1
    assert checked == len(MINIMUM_ROLE) * len(ROLES)


def test_a_user_with_an_unknown_role_gets_nowhere(app, client, app_ctx):
    headers = {"Authorization": f"Bearer {make_token(make_user('ghost', role='guest'))}"}
    for method, _, path in api_routes(app):
        assert_error(client.open(path, method=method, json={}, headers=headers), 403, "forbidden")


def test_me_is_the_caller_without_secrets(client, people):
    for role, (user, headers) in people.items():
        body = client.get("/api/v1/me", headers=headers).json
        assert body == {"id": user.id, "username": f"{role}1", "display_name": f"{role.title()} One", "role": role,
                        "active": True, "reach_kind": "client", "reach_address": None, "online": False}


# --- customers and calls -------------------------------------------------------------------------

def test_only_supervisors_and_admins_delete_customers(client, people):
    ids = [make_customer(f"Customer {n}", phones=()).id for n in range(3)]
    error = assert_error(client.delete(f"/api/v1/customers/{ids[0]}", headers=people["agent"][1]), 403)
    assert "supervisor" in error["message"]
    assert db.session.get(Customer, ids[0]) is not None
    assert client.delete(f"/api/v1/customers/{ids[1]}", headers=people["supervisor"][1]).status_code == 204
    assert client.delete(f"/api/v1/customers/{ids[2]}", headers=people["admin"][1]).status_code == 204


def test_agents_see_only_the_calls_they_took_supervisors_see_all(client, people):
    agent, other = people["agent"][0], make_user("agent2")
    make_call("CAmine", None, agent, status="completed")
    make_call("CAtheirs", None, other, status="completed")
    make_call("CAnobody", None, None, status="ringing")

    def history(role):
        body = client.get("/api/v1/calls", headers=people[role][1]).json
        return sorted(c["call_sid"] for c in body["items"]), body["total"]

    assert history("agent") == (["CAmine"], 1)
    assert history("supervisor") == (["CAmine", "CAnobody", "CAtheirs"], 3)
    assert history("admin") == (["CAmine", "CAnobody", "CAtheirs"], 3)
    active = client.get("/api/v1/calls?active=true", headers=people["agent"][1]).json
    assert [c["call_sid"] for c in active["items"]] == ["CAnobody"]


# --- complaint assignment ------------------------------------------------------------------------

def test_agents_assign_complaints_only_to_themselves(client, people):
    agent, headers = people["agent"]
    other = make_user("agent2")
    customer = make_customer("Alice Wong")
    url = f"/api/v1/customers/{customer.id}/complaints"
    assert_error(client.post(url, headers=headers, json={"subject": "x", "assigned_to_id": other.id}), 403)
    assert db.session.query(Complaint).count() == 0
    mine = client.post(url, headers=headers, json={"subject": "x", "assigned_to_id": agent.id})
    assert (mine.status_code, mine.json["assigned_to_id"]) == (201, agent.id)

    complaint_url = f"/api/v1/complaints/{mine.json['id']}"
    error = assert_error(client.patch(complaint_url, headers=headers, json={"assigned_to_id": other.id}), 403)
    assert "supervisor" in error["message"]
    # Giving back one's own complaint is fine; taking it back from a supervisor's choice is not.
    assert client.patch(complaint_url, headers=headers, json={"assigned_to_id": None}).json["assigned_to_id"] is None
    for role in ("supervisor", "admin"):
        moved = client.patch(complaint_url, headers=people[role][1], json={"assigned_to_id": other.id})
        assert (moved.status_code, moved.json["assigned_to"]) == (200, {"id": other.id, "name": "Agent2"})
    assert_error(client.patch(complaint_url, headers=headers, json={"assigned_to_id": None}), 403)
    assert client.patch(complaint_url, headers=headers, json={"status": "in-progress"}).status_code == 200


def test_complaints_are_not_assigned_to_deactivated_users(client, people):
    gone = make_user("gone", active=False)
    customer = make_customer("Alice Wong")
    error = assert_error(client.post(f"/api/v1/customers/{customer.id}/complaints", headers=people["supervisor"][1],
                                     json={"subject": "x", "assigned_to_id": gone.id}), 422)
    assert "assigned_to_id" in error["fields"]


# --- users admin ---------------------------------------------------------------------------------

def test_admin_creates_users_with_where_calls_reach_them(client, people):
    headers = people["admin"][1]
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "carol", "password": "a long password", "role": "supervisor", "display_name": "Carol King",
        "reach_kind": "phone", "reach_address": "(415) 555-0123"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.json
    assert body == {"id": body["id"], "username": "carol", "display_name": "Carol King", "role": "supervisor",
                    "active": True, "reach_kind": "phone", "reach_address": "+14155550123", "online": False}
    assert response.headers["Location"].endswith(f"/api/v1/users/{body['id']}")
    assert check_password_hash(db.session.get(User, body["id"]).password_hash, "a long password")
    token = client.post("/api/v1/auth/token", json={"username": "carol", "password": "a long password"})
    assert token.status_code == 201

    sip = client.post("/api/v1/users", headers=headers, json={
        "username": "dave", "password": "a long password", "role": "agent", "reach_kind": "sip",
        "reach_address": "sip:dave@pbx.example.com"}).json
    assert (sip["display_name"], sip["reach_address"]) == ("dave", "sip:dave@pbx.example.com")

    listed = client.get("/api/v1/users", headers=headers).json["items"]
    assert [u["username"] for u in listed] == ["admin1", "agent1", "carol", "dave", "supervisor1"]
    assert all("password" not in key for u in listed for key in u)


@pytest.mark.parametrize("body, field", [
    ({"reach_kind": "phone", "reach_address": "not a number"}, "reach_address"),
    ({"reach_kind": "phone"}, "reach_address"),
    ({"reach_kind": "sip", "reach_address": "dave@pbx.example.com"}, "reach_address"),
    ({"reach_kind": "pigeon"}, "reach_kind"),
    ({"role": "owner"}, "role"),
    ({"password": "short"}, "password"),
    ({"username": ""}, "username"),
    ({"username": "u" * 81}, "username"),
])
def test_invalid_users_are_refused_naming_the_field(client, people, body, field):
    full = {"username": "erin", "password": "a long password", "role": "agent", **body}
    error = assert_error(client.post("/api/v1/users", headers=people["admin"][1], json=full), 422, "invalid")
    assert field in error["fields"]
    assert db.session.query(User).filter_by(username="erin").count() == 0


def test_a_taken_username_is_a_conflict(client, people):
    error = assert_error(client.post("/api/v1/users", headers=people["admin"][1], json={
        "username": "agent1", "password": "a long password", "role": "agent"}), 409, "conflict")
    assert "agent1" in error["message"]


def test_admin_changes_role_name_reach_and_password(client, people):
    admin_headers = people["admin"][1]
    agent, agent_headers = people["agent"]
    url = f"/api/v1/users/{agent.id}"
    body = client.patch(url, headers=admin_headers, json={
        "display_name": "Agent Smith", "role": "supervisor", "reach_kind": "sip",
        "reach_address": "sip:smith@pbx.example.com"}).json
    assert (body["display_name"], body["role"], body["reach_kind"], body["reach_address"]) == (
        "Agent Smith", "supervisor", "sip", "sip:smith@pbx.example.com")
    # The new role applies to the very next request.
    assert client.get("/api/v1/calls", headers=agent_headers).status_code == 200
    back = client.patch(url, headers=admin_headers, json={"reach_kind": "client"}).json
    assert (back["reach_kind"], back["reach_address"]) == ("client", None)
    assert_error(client.patch(url, headers=admin_headers, json={"reach_kind": "phone"}), 422)

    # A reset password replaces the old one and revokes the tokens issued with it.
    reset = client.patch(url, headers=admin_headers, json={"password": "a brand new secret"})
    assert reset.status_code == 200
    assert_error(client.get("/api/v1/me", headers=agent_headers), 401)
    assert client.post("/api/v1/auth/token", json={"username": "agent1", "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/token",
                       json={"username": "agent1", "password": "a brand new secret"}).status_code == 201


def test_unknown_user_and_unknown_fields_are_refused(client, people):
    headers = people["admin"][1]
    assert_error(client.get("/api/v1/users/999", headers=headers), 404)
    assert_error(client.patch("/api/v1/users/999", headers=headers, json={"role": "agent"}), 404)
    user_id = people["agent"][0].id
    assert "password_hash" in assert_error(client.patch(f"/api/v1/users/{user_id}", headers=headers,
                                                        json={"password_hash": "x"}), 422)["fields"]
    assert "active" in assert_error(client.patch(f"/api/v1/users/{user_id}", headers=headers,
                                                 json={"active": "no"}), 422)["fields"]


def test_an_admin_cannot_deactivate_or_demote_themselves(client, people):
    admin, headers = people["admin"]
    url = f"/api/v1/users/{admin.id}"
    error = assert_error(client.patch(url, headers=headers, json={"active": False}), 409, "conflict")
    assert "deactivate" in error["message"]
    error = assert_error(client.patch(url, headers=headers, json={"role": "agent"}), 409, "conflict")
    assert "demote" in error["message"]
    db.session.expire_all()
    assert (admin.active, admin.role) == (True, "admin")
    # Their own name they may change.
    assert client.patch(url, headers=headers, json={"display_name": "The Boss"}).json["display_name"] == "The Boss"


def test_deactivating_a_user_cuts_off_their_socket_token_and_session(live_server, socket_factory):
    with live_server.app.app_context():
        admin = make_user("root", role="admin")
        agent = make_user("mallory", display_name="Mallory")
        admin_token, agent_token, agent_id = make_token(admin), make_token(agent), agent.id
    base = live_server.base_url
    admin_api = {"Authorization": f"Bearer {admin_token}"}
    agent_api = {"Authorization": f"Bearer {agent_token}"}
    browser = requests.Session()
    assert browser.post(f"{base}/login", data={"username": "mallory", "password": PASSWORD},
                        allow_redirects=False, timeout=5).status_code == 302
    assert browser.get(f"{base}/api/v1/me", timeout=5).status_code == 200

    desktop = socket_factory(token=agent_token)
    assert desktop.sio.connected
    listed = requests.get(f"{base}/api/v1/users", headers=admin_api, timeout=5).json()["items"]
    assert next(u for u in listed if u["id"] == agent_id)["online"] is True

    response = requests.patch(f"{base}/api/v1/users/{agent_id}", headers=admin_api, json={"active": False}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False

    deadline = time.monotonic() + 5
    while desktop.sio.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not desktop.sio.connected
    assert requests.get(f"{base}/api/v1/me", headers=agent_api, timeout=5).status_code == 401
    assert browser.get(f"{base}/api/v1/me", timeout=5).status_code == 401
    assert requests.post(f"{base}/api/v1/auth/token", json={"username": "mallory", "password": PASSWORD},
                         timeout=5).status_code == 401
    # Reactivated, the old token stays revoked: they log in again.
    requests.patch(f"{base}/api/v1/users/{agent_id}", headers=admin_api, json={"active": True}, timeout=5)
    assert requests.get(f"{base}/api/v1/me", headers=agent_api, timeout=5).status_code == 401
    assert requests.post(f"{base}/api/v1/auth/token", json={"username": "mallory", "password": PASSWORD},
                         timeout=5).status_code == 201


def test_user_and_customer_changes_are_on_the_audit_trail(client, people):
    from app.models import AuditEvent

    admin, admin_headers = people["admin"]
    agent, agent_headers = people["agent"]
    client.patch(f"/api/v1/users/{agent.id}", headers=admin_headers, json={"role": "supervisor",
                                                                          "password": "a brand new secret"})
    customer = client.post("/api/v1/customers", headers=admin_headers, json={"name": "Alice Wong"}).json
    client.post(f"/api/v1/customers/{customer['id']}/preferences", headers=admin_headers,
                json={"key": "milk", "value": "oat"})
    client.delete(f"/api/v1/customers/{customer['id']}", headers=admin_headers)

    events = [(e.user_id, e.action, e.customer_id, e.detail) for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert events[0] == (admin.id, "user_changed", None, f"user {agent.id} (agent1): password, role")
    assert [e[1:3] for e in events[1:]] == [("customer_changed", customer["id"]), ("customer_changed", customer["id"]),
                                            ("customer_deleted", customer["id"])]
    assert all("secret" not in (e[3] or "") for e in events)
