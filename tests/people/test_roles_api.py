"""Roles (agent < supervisor < admin) on every API route, user administration, and cutting a user off."""
from __future__ import annotations

import time

import pytest
import requests
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import Complaint, Customer, User
from tests.factories import PASSWORD, make_call, make_customer, make_user
from tests.support.api import assert_error
from tests.support.login import login

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
    ("POST", "/api/v1/calls/<call_sid>/release"): "agent",
    ("POST", "/api/v1/calls/<call_sid>/close"): "supervisor",
    ("GET", "/api/v1/dispositions"): "agent",
    ("GET", "/api/v1/me"): "agent",
    ("PATCH", "/api/v1/me"): "agent",
    ("PUT", "/api/v1/me/status"): "agent",
    ("GET", "/api/v1/agents"): "supervisor",
    ("GET", "/api/v1/queue"): "agent",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("GET", "/api/v1/users/<user_id>"): "admin",
    ("PATCH", "/api/v1/users/<user_id>"): "admin",
    ("POST", "/api/v1/imports"): "admin",
    ("GET", "/api/v1/imports/<job_id>"): "admin",
    ("GET", "/api/v1/imports/<job_id>/refused.csv"): "admin",
    ("GET", "/api/v1/audit"): "supervisor",
    ("GET", "/api/v1/follow-ups"): "agent",
    ("PATCH", "/api/v1/follow-ups/<follow_up_id>"): "agent",
    ("POST", "/api/v1/customers/<customer_id>/follow-ups"): "agent",
    ("POST", "/api/v1/customers/<customer_id>/promises"): "agent",
    ("PATCH", "/api/v1/promises/<promise_id>"): "agent",
    ("GET", "/api/v1/surveys"): "agent",
    ("POST", "/api/v1/customers/<customer_id>/merge"): "supervisor",
    ("GET", "/api/v1/metrics"): "supervisor",
    ("GET", "/api/v1/metrics/series"): "supervisor",
    ("GET", "/api/v1/metrics.csv"): "supervisor",
    ("GET", "/api/v1/scorecards"): "agent",  # an agent gets their own row only (tests/insight)
    ("GET", "/api/v1/scorecards.csv"): "agent",
    ("GET", "/api/v1/me/figures"): "agent",
    ("GET", "/api/v1/care-list"): "agent",  # an agent gets their own and unowned items
    ("POST", "/api/v1/care-list/assign"): "agent",  # an agent takes an unowned item for themselves
    ("POST", "/api/v1/callbacks"): "agent",
    ("GET", "/api/v1/voice/token"): "agent",  # a browser phone's token: anyone reached as a client
}
OPEN_RULES = {"/api/v1/auth/token", "/api/v1/openapi.json"}


@pytest.fixture
def people(api_as):
    """One user of each role (agent1, supervisor1, admin1), each speaking to the API."""
    return {role: api_as(role, display_name=f"{role.title()} One") for role in ROLES}


def api_routes(app):
    """(method, rule, path with ids that exist nowhere) for every protected API route."""
    urls = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in OPEN_RULES:
            continue
        path = urls.build(rule.endpoint, {name: 999 for name in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule.replace("<id:", "<").replace("<string(maxlength=64):", "<"), path


def test_every_route_refuses_the_roles_below_its_own(app, people):
    checked = 0
    for method, rule, path in api_routes(app):
        minimum = MINIMUM_ROLE.get((method, rule))
        assert minimum is not None, f"{method} {rule} has no role rule here: add it to MINIMUM_ROLE"
        for role, api in people.items():
            # An empty body: whoever may not call the route hears 403 before anything is read.
            response = api.open(path, method=method, json={})
            if ROLES.index(role) < ROLES.index(minimum):
                error = assert_error(response, 403, "forbidden")
                assert minimum in error["message"]
            else:
                assert response.status_code != 403, (method, path, role, response.get_data(as_text=True))
            checked += 1
    assert checked == len(MINIMUM_ROLE) * len(ROLES)


def test_a_user_with_an_unknown_role_gets_nowhere(app, api_as):
    ghost = api_as("guest", username="ghost")
    for method, _, path in api_routes(app):
        assert_error(ghost.open(path, method=method, json={}), 403, "forbidden")


def test_me_is_the_caller_without_secrets(client, people):
    for role, api in people.items():
        body = api.get("/api/v1/me").json
        assert body == {"id": api.user.id, "username": f"{role}1", "display_name": f"{role.title()} One", "role": role,
                        "active": True, "reach_kind": "client", "reach_address": None, "online": False,
                        "status": "available" if role == "agent" else "away", "state": "offline", "call_sid": None,
                        "watch_all": False}


# --- customers and calls -------------------------------------------------------------------------

def test_only_supervisors_and_admins_delete_customers(people):
    ids = [make_customer(f"Customer {n}", phones=()).id for n in range(3)]
    error = assert_error(people["agent"].delete(f"/api/v1/customers/{ids[0]}"), 403)
    assert "supervisor" in error["message"]
    assert db.session.get(Customer, ids[0]) is not None
    assert people["supervisor"].delete(f"/api/v1/customers/{ids[1]}").status_code == 204
    assert people["admin"].delete(f"/api/v1/customers/{ids[2]}").status_code == 204


def test_agents_see_only_the_calls_they_took_supervisors_see_all(people):
    agent, other = people["agent"].user, make_user("agent2")
    make_call("CAmine", None, agent, status="completed")
    make_call("CAtheirs", None, other, status="completed")
    make_call("CAnobody", None, None, status="ringing")

    def history(role):
        body = people[role].get("/api/v1/calls").json
        return sorted(c["call_sid"] for c in body["items"]), body["total"]

    assert history("agent") == (["CAmine"], 1)
    assert history("supervisor") == (["CAmine", "CAnobody", "CAtheirs"], 3)
    assert history("admin") == (["CAmine", "CAnobody", "CAtheirs"], 3)
    active = people["agent"].get("/api/v1/calls?active=true").json
    assert [c["call_sid"] for c in active["items"]] == ["CAnobody"]


# --- complaint assignment ------------------------------------------------------------------------

def test_agents_assign_complaints_only_to_themselves(people):
    agent_api = people["agent"]
    agent = agent_api.user
    other = make_user("agent2")
    customer = make_customer("Alice Wong")
    url = f"/api/v1/customers/{customer.id}/complaints"
    assert_error(agent_api.post(url, json={"subject": "x", "assigned_to_id": other.id}), 403)
    assert db.session.query(Complaint).count() == 0
    mine = agent_api.post(url, json={"subject": "x", "assigned_to_id": agent.id})
    assert (mine.status_code, mine.json["assigned_to_id"]) == (201, agent.id)

    complaint_url = f"/api/v1/complaints/{mine.json['id']}"
    error = assert_error(agent_api.patch(complaint_url, json={"assigned_to_id": other.id}), 403)
    assert "supervisor" in error["message"]
    # Giving back one's own complaint is fine; taking it back from a supervisor's choice is not.
    assert agent_api.patch(complaint_url, json={"assigned_to_id": None}).json["assigned_to_id"] is None
    for role in ("supervisor", "admin"):
        moved = people[role].patch(complaint_url, json={"assigned_to_id": other.id})
        assert (moved.status_code, moved.json["assigned_to"]) == (200, {"id": other.id, "name": "Agent2"})
    assert_error(agent_api.patch(complaint_url, json={"assigned_to_id": None}), 403)
    assert agent_api.patch(complaint_url, json={"status": "in-progress"}).status_code == 200


def test_complaints_are_not_assigned_to_deactivated_users(people):
    gone = make_user("gone", active=False)
    customer = make_customer("Alice Wong")
    error = assert_error(people["supervisor"].post(f"/api/v1/customers/{customer.id}/complaints",
                                     json={"subject": "x", "assigned_to_id": gone.id}), 422)
    assert "assigned_to_id" in error["fields"]


# --- users admin ---------------------------------------------------------------------------------

def test_admin_creates_users_with_where_calls_reach_them(client, people):
    admin = people["admin"]
    response = admin.post("/api/v1/users", json={
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

    sip = admin.post("/api/v1/users", json={
        "username": "dave", "password": "a long password", "role": "agent", "reach_kind": "sip",
        "reach_address": "sip:dave@pbx.example.com"}).json
    assert (sip["display_name"], sip["reach_address"]) == ("dave", "sip:dave@pbx.example.com")

    listed = admin.get("/api/v1/users").json["items"]
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
def test_invalid_users_are_refused_naming_the_field(people, body, field):
    full = {"username": "erin", "password": "a long password", "role": "agent", **body}
    error = assert_error(people["admin"].post("/api/v1/users", json=full), 422, "invalid")
    assert field in error["fields"]
    assert db.session.query(User).filter_by(username="erin").count() == 0


def test_a_taken_username_is_a_conflict(people):
    error = assert_error(people["admin"].post("/api/v1/users", json={
        "username": "agent1", "password": "a long password", "role": "agent"}), 409, "conflict")
    assert "agent1" in error["message"]


def test_a_taken_username_is_named_with_every_other_problem_at_once(people):
    error = assert_error(people["admin"].post("/api/v1/users", json={
        "username": "agent1", "password": "short", "role": "agent", "reach_kind": "sip",
        "reach_address": "dave"}), 422, "invalid")
    assert error["fields"] == {"username": ["taken"], "password": ["between 8 and 1024 characters"],
                               "reach_address": ["'dave' is not a SIP address (sip:agent@example.com)"]}


def test_refusals_read_as_a_form_would_say_them(people):
    error = assert_error(people["admin"].post("/api/v1/users", json={"username": "", "role": "agent"}), 422)
    assert error["fields"] == {"username": ["required"], "password": ["required"]}


def test_admin_changes_role_name_reach_and_password(client, people):
    admin = people["admin"]
    agent_api = people["agent"]
    agent = agent_api.user
    url = f"/api/v1/users/{agent.id}"
    body = admin.patch(url, json={
        "display_name": "Agent Smith", "role": "supervisor", "reach_kind": "sip",
        "reach_address": "sip:smith@pbx.example.com"}).json
    assert (body["display_name"], body["role"], body["reach_kind"], body["reach_address"]) == (
        "Agent Smith", "supervisor", "sip", "sip:smith@pbx.example.com")
    # The new role applies to the very next request.
    assert agent_api.get("/api/v1/calls").status_code == 200
    back = admin.patch(url, json={"reach_kind": "client"}).json
    assert (back["reach_kind"], back["reach_address"]) == ("client", None)
    assert_error(admin.patch(url, json={"reach_kind": "phone"}), 422)

    # A reset password replaces the old one and revokes the tokens issued with it.
    reset = admin.patch(url, json={"password": "a brand new secret"})
    assert reset.status_code == 200
    assert_error(agent_api.get("/api/v1/me"), 401)
    assert client.post("/api/v1/auth/token", json={"username": "agent1", "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/token",
                       json={"username": "agent1", "password": "a brand new secret"}).status_code == 201


def test_unknown_user_and_unknown_fields_are_refused(people):
    admin = people["admin"]
    assert_error(admin.get("/api/v1/users/999"), 404)
    assert_error(admin.patch("/api/v1/users/999", json={"role": "agent"}), 404)
    user_id = people["agent"].user.id
    assert "password_hash" in assert_error(admin.patch(f"/api/v1/users/{user_id}",
                                                        json={"password_hash": "x"}), 422)["fields"]
    assert "active" in assert_error(admin.patch(f"/api/v1/users/{user_id}",
                                                 json={"active": "no"}), 422)["fields"]


def test_an_admin_cannot_deactivate_or_demote_themselves(people):
    admin_api = people["admin"]
    admin = admin_api.user
    url = f"/api/v1/users/{admin.id}"
    error = assert_error(admin_api.patch(url, json={"active": False}), 409, "conflict")
    assert "deactivate" in error["message"]
    error = assert_error(admin_api.patch(url, json={"role": "agent"}), 409, "conflict")
    assert "demote" in error["message"]
    db.session.expire_all()
    assert (admin.active, admin.role) == (True, "admin")
    # Their own name they may change.
    assert admin_api.patch(url, json={"display_name": "The Boss"}).json["display_name"] == "The Boss"


def test_deactivating_a_user_cuts_off_their_socket_token_and_session(live_server, socket_factory, api_as):
    base = live_server.base_url
    admin_api = api_as("admin", username="root", base_url=base)
    agent_api = api_as("agent", username="mallory", display_name="Mallory", base_url=base)
    agent_id = agent_api.user.id
    browser = login(base, "mallory")  # asserts the form logged her in
    assert browser.get(f"{base}/api/v1/me", timeout=5).status_code == 200

    desktop = socket_factory(token=agent_api.token)
    assert desktop.sio.connected
    listed = admin_api.get("/api/v1/users", timeout=5).json()["items"]
    assert next(u for u in listed if u["id"] == agent_id)["online"] is True

    response = admin_api.patch(f"/api/v1/users/{agent_id}", json={"active": False}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False

    deadline = time.monotonic() + 5
    while desktop.sio.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not desktop.sio.connected
    assert agent_api.get("/api/v1/me", timeout=5).status_code == 401
    assert browser.get(f"{base}/api/v1/me", timeout=5).status_code == 401
    assert requests.post(f"{base}/api/v1/auth/token", json={"username": "mallory", "password": PASSWORD},
                         timeout=5).status_code == 401
    # Reactivated, the old token stays revoked: they log in again.
    admin_api.patch(f"/api/v1/users/{agent_id}", json={"active": True}, timeout=5)
    assert agent_api.get("/api/v1/me", timeout=5).status_code == 401
    assert requests.post(f"{base}/api/v1/auth/token", json={"username": "mallory", "password": PASSWORD},
                         timeout=5).status_code == 201


def test_user_and_customer_changes_are_on_the_audit_trail(people):
    from app.models import AuditEvent

    admin_api = people["admin"]
    admin = admin_api.user
    agent = people["agent"].user
    admin_api.patch(f"/api/v1/users/{agent.id}", json={"role": "supervisor", "password": "a brand new secret"})
    customer = admin_api.post("/api/v1/customers", json={"name": "Alice Wong"}).json
    admin_api.post(f"/api/v1/customers/{customer['id']}/preferences", json={"key": "milk", "value": "oat"})
    admin_api.delete(f"/api/v1/customers/{customer['id']}")

    events = [(e.user_id, e.action, e.customer_id, e.detail) for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert events[0] == (admin.id, "user_changed", None, f"user {agent.id} (agent1): password, role")
    assert [e[1:3] for e in events[1:]] == [("customer_changed", customer["id"]), ("customer_changed", customer["id"]),
                                            ("customer_deleted", customer["id"])]
    assert all("secret" not in (e[3] or "") for e in events)
