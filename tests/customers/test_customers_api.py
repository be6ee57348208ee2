"""The JSON API (`/api/v1`, SPEC §6): tokens, customers, preferences, complaints, calls, errors."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Call, Complaint, Customer, Preference
from tests.factories import PASSWORD, make_customer, make_token, make_user
from tests.support.api import assert_error, bearer
from tests.support.login import login, page_csrf_token


def create(agent, **body):
    body.setdefault("name", "Alice Wong")
    response = agent.post("/api/v1/customers", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


# --- tokens and authentication -------------------------------------------------------------------

def test_token_is_issued_for_good_credentials_and_opens_the_api(client, app_ctx):
    make_user("agent1")
    response = client.post("/api/v1/auth/token", json={"username": "agent1", "password": PASSWORD})
    assert response.status_code == 201
    assert response.json["expires_at"].endswith("Z")
    listing = client.get("/api/v1/customers", headers=bearer(response.json["token"]))
    assert listing.status_code == 200


@pytest.mark.parametrize("body", [{"username": "agent1", "password": "wrong password"},
                                  {"username": "nobody", "password": PASSWORD}])
def test_token_is_refused_for_wrong_credentials(client, app_ctx, body):
    make_user("agent1")
    assert_error(client.post("/api/v1/auth/token", json=body), 401, "unauthorized")


def test_token_request_without_password_is_invalid(client, app_ctx):
    make_user("agent1")
    error = assert_error(client.post("/api/v1/auth/token", json={"username": "agent1"}), 422, "invalid")
    assert "password" in error["fields"]


@pytest.mark.parametrize("header", [None, "Bearer not-a-real-token", "Bearer ", "Basic YWdlbnQxOnBhc3M="])
def test_api_refuses_missing_or_garbage_credentials(client, app_ctx, header):
    make_user("agent1")
    headers = {"Authorization": header} if header is not None else {}
    error = assert_error(client.get("/api/v1/customers", headers=headers), 401, "unauthorized")
    assert "token" in error["message"].lower()


def test_api_refuses_an_expired_token(client, app_ctx):
    expired = make_token(make_user("agent1"), ttl_hours=-1)
    assert_error(client.get("/api/v1/customers", headers=bearer(expired)), 401)


def test_every_route_but_the_token_needs_credentials(client, app):
    """The guard sits on the blueprints, so no view can forget it."""
    open_rules = {"/api/v1/auth/token", "/api/v1/openapi.json"}
    urls = app.url_map.bind("localhost")
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in open_rules:
            continue
        path = urls.build(rule.endpoint, {name: 1 for name in rule.arguments})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert_error(client.open(path, method=method, json={}), 401)
            checked += 1
    assert checked >= 9


# --- creating customers --------------------------------------------------------------------------

def test_create_customer_stores_phones_in_e164_without_duplicates(api_as):
    agent = api_as("agent")
    response = agent.post("/api/v1/customers", json={
        "name": "Alice Wong", "phones": ["(415) 555-0100", "+1 415 555 0100", "+44 20 7946 0000"],
        "email": "alice@example.com", "tier": "vip", "external_id": "crm-42",
        "preferences": [{"key": "milk", "value": "high-calcium"}],
    })
    assert response.status_code == 201
    body = response.json
    assert body["phones"] == ["+14155550100", "+442079460000"]
    assert [p["e164"] for p in body["phone_numbers"]] == body["phones"]
    assert (body["name"], body["email"], body["tier"], body["external_id"]) == (
        "Alice Wong", "alice@example.com", "vip", "crm-42")
    assert [(p["key"], p["value"]) for p in body["preferences"]] == [("milk", "high-calcium")]
    assert body["open_complaints"] == []
    assert response.headers["Location"].endswith(f"/api/v1/customers/{body['id']}")
    assert agent.get(f"/api/v1/customers/{body['id']}").json == body


def test_customer_without_phones_is_allowed_and_defaults_to_standard_tier(api_as):
    agent = api_as("agent")
    body = create(agent, name="Walk-in")
    assert (body["phones"], body["tier"], body["email"]) == ([], "standard", None)


def test_unreadable_phone_is_refused_naming_the_number(api_as):
    agent = api_as("agent")
    response = agent.post("/api/v1/customers",
                           json={"name": "Alice", "phones": ["+1 415 555 0100", "call me maybe"]})
    error = assert_error(response, 422, "invalid")
    assert "call me maybe" in error["message"]
    assert any("call me maybe" in m for m in error["fields"]["phones"])
    assert db.session.query(Customer).count() == 0


@pytest.mark.parametrize("body, field", [
    ({"phones": []}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "Alice", "tier": "platinum"}, "tier"),
    ({"name": "Alice", "phones": "+14155550100"}, "phones"),
    ({"name": "Alice", "phones": [4155550100]}, "phones.0"),
    ({"name": 42}, "name"),
    ({"name": "Alice", "email": "not an email"}, "email"),
    ({"name": "Alice", "preferences": [{"key": "milk"}]}, "preferences.0.value"),
    ({"name": "Alice", "nickname": "Al"}, "nickname"),
    ({"name": "Alice\x00"}, "name"),
    ({"name": "A" * 201}, "name"),
])
def test_invalid_customer_is_refused_naming_the_field(api_as, body, field):
    agent = api_as("agent")
    error = assert_error(agent.post("/api/v1/customers", json=body), 422, "invalid")
    assert field in error["fields"]
    assert field in error["message"]


def test_duplicate_external_id_is_a_conflict(api_as):
    agent = api_as("agent")
    create(agent, external_id="crm-1")
    response = agent.post("/api/v1/customers", json={"name": "Other", "external_id": "crm-1"})
    error = assert_error(response, 409, "conflict")
    assert "crm-1" in error["message"]


def test_malformed_json_is_a_bad_request(api_as):
    agent = api_as("agent")
    response = agent.post("/api/v1/customers", data='{"name": "Alice",',
                           content_type="application/json")
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize("body", ["[]", '"Alice"', "null"])
def test_json_that_is_not_an_object_is_refused(api_as, body):
    agent = api_as("agent")
    response = agent.post("/api/v1/customers", data=body, content_type="application/json")
    assert_error(response, 422, "invalid")


def test_form_body_is_refused_as_unsupported_media_type(api_as):
    agent = api_as("agent")
    response = agent.post("/api/v1/customers", data={"name": "Alice"})
    assert_error(response, 415, "unsupported_media_type")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
_fields = st.sampled_from(["name", "phones", "email", "tier", "external_id", "preferences", "subject", "severity",
                           "due_at", "status", "resolution", "key", "value"])


_bodies = st.dictionaries(_fields, _json, max_size=4) | _json
_targets = st.sampled_from(["POST /customers", "PATCH /customers/1", "POST /customers/1/preferences",
                            "POST /customers/1/complaints", "PATCH /complaints/1"])


def test_no_json_body_makes_the_api_fail(api_as):
    agent = api_as("agent")

    @settings(max_examples=60, deadline=None)
    @given(body=_bodies, target=_targets)
    def check(body, target):
        if db.session.get(Customer, 1) is None:
            make_customer("Seed", complaints=[{"subject": "Seed"}])
        method, path = target.split()
        response = agent.open("/api/v1" + path, method=method, json=body)
        assert response.status_code < 500 and response.is_json, response.get_data(as_text=True)

    check()


# --- finding, changing and deleting customers ----------------------------------------------------

@pytest.mark.parametrize("phone", ["+1 415 555 0100", "(415) 555-0100", "415.555.0100", "+14155550100"])
def test_search_by_phone_accepts_any_format(api_as, phone):
    agent = api_as("agent")
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    make_customer("Bob Stone", phones=("+14155550199",))
    response = agent.get("/api/v1/customers", query_string={"phone": phone})
    assert response.status_code == 200
    assert [c["id"] for c in response.json["items"]] == [alice.id]
    assert response.json["total"] == 1


def test_search_by_shared_number_finds_everyone_holding_it(api_as):
    agent = api_as("agent")
    make_customer("Wei Huang", phones=("+14155550111",))
    make_customer("Mei Huang", phones=("+14155550111", "+14155550112"))
    response = agent.get("/api/v1/customers?phone=4155550111")
    assert sorted(c["name"] for c in response.json["items"]) == ["Mei Huang", "Wei Huang"]


def test_find_by_phone_serves_callers_without_http(app_ctx):
    """The CSV import and the pages use the service directly, with the same reading of numbers."""
    from app.services.customers import records as customers
    from app.services.errors import InvalidInput

    alice = make_customer("Alice Wong", phones=("+14155550100",))
    assert customers.find_by_phone("415 555 0100", "US") == [alice]
    assert customers.find_by_phone("+14155550111", "US") == []
    with pytest.raises(InvalidInput, match="banana"):
        customers.find_by_phone("banana", "US")


def test_search_by_unreadable_phone_is_refused_naming_it(api_as):
    agent = api_as("agent")
    error = assert_error(agent.get("/api/v1/customers?phone=banana"), 422, "invalid")
    assert "banana" in error["message"]


def test_search_by_name_is_case_insensitive_and_literal(api_as):
    agent = api_as("agent")
    make_customer("Alice Wong", phones=())
    make_customer("Bob Stone", phones=())
    make_customer("100% Cotton Ltd", phones=())
    names = lambda q: [c["name"] for c in agent.get("/api/v1/customers",  # noqa: E731
                                                      query_string={"q": q}).json["items"]]
    assert names("WONG") == ["Alice Wong"]
    assert names("0% c") == ["100% Cotton Ltd"]
    assert names("%") == []  # a literal %: no name starts with it (one or two letters match a name's start)
    assert names("10") == ["100% Cotton Ltd"]
    assert names("nobody") == []


def test_customer_list_is_paged(api_as):
    agent = api_as("agent")
    for i in range(5):
        make_customer(f"Customer {i}", phones=())
    response = agent.get("/api/v1/customers?page=2&per_page=2")
    assert response.status_code == 200
    assert (response.json["page"], response.json["per_page"], response.json["total"]) == (2, 2, 5)
    assert [c["name"] for c in response.json["items"]] == ["Customer 2", "Customer 3"]


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "page=two"])
def test_paging_out_of_bounds_is_refused(api_as, query):
    agent = api_as("agent")
    assert_error(agent.get(f"/api/v1/customers?{query}"), 422, "invalid")


def test_unknown_customer_is_not_found(api_as):
    agent = api_as("agent")
    supervisor = api_as("supervisor")
    assert_error(agent.get("/api/v1/customers/999"), 404, "not_found")
    assert_error(agent.patch("/api/v1/customers/999", json={"name": "X"}), 404)
    assert_error(supervisor.delete("/api/v1/customers/999"), 404)
    assert_error(agent.get("/api/v1/customers/99999999999999999999"), 404)


def test_patch_replaces_phones_and_changes_only_what_is_sent(api_as):
    agent = api_as("agent")
    created = create(agent, phones=["+14155550100", "+14155550101"], email="a@example.com",
                     external_id="crm-7")
    response = agent.patch(f"/api/v1/customers/{created['id']}",
                            json={"phones": ["415-555-0101", "(415) 555-0102"], "tier": "gold"})
    assert response.status_code == 200
    body = response.json
    assert body["phones"] == ["+14155550101", "+14155550102"]
    assert (body["name"], body["email"], body["tier"], body["external_id"]) == (
        "Alice Wong", "a@example.com", "gold", "crm-7")
    cleared = agent.patch(f"/api/v1/customers/{created['id']}",
                           json={"email": None, "external_id": None}).json
    assert (cleared["email"], cleared["external_id"]) == (None, None)


def test_patch_refuses_bad_values(api_as):
    agent = api_as("agent")
    created = create(agent, external_id="crm-1")
    other = create(agent, name="Other")
    url = f"/api/v1/customers/{other['id']}"
    assert_error(agent.patch(url, json={"external_id": "crm-1"}), 409, "conflict")
    error = assert_error(agent.patch(url, json={"phones": ["12"]}), 422)
    assert "'12'" in error["message"]
    assert_error(agent.patch(url, json={"tier": "diamond"}), 422)
    assert_error(agent.patch(url, json={"name": None}), 422)
    # Keeping one's own external_id is no conflict.
    own = agent.patch(f"/api/v1/customers/{created['id']}", json={"external_id": "crm-1"})
    assert own.status_code == 200


def test_delete_keeps_the_customers_calls_unlinked(api_as, provider):
    agent = api_as("agent")
    supervisor = api_as("supervisor")
    customer = make_customer("Alice Wong", phones=("+14155550100",))
    customer_id = customer.id
    call_sid, _ = provider.call(from_="+14155550100")
    assert db.session.query(Call).filter_by(call_sid=call_sid).one().customer_id == customer_id
    provider.status(call_sid, "completed")  # history (a call still going on keeps its caller's number)

    response = supervisor.delete(f"/api/v1/customers/{customer_id}")
    assert response.status_code == 204
    assert response.get_data() == b""
    db.session.expire_all()
    assert db.session.get(Customer, customer_id) is None
    assert db.session.query(Call).filter_by(call_sid=call_sid).one().customer_id is None
    kept = agent.get(f"/api/v1/calls/{call_sid}").json
    assert kept["customer_id"] is None
    # The history keeps the call, not the person: no number, no notes.
    assert (kept["from"], kept["from_raw"], kept["notes"], kept["status"]) == (None, None, None, "completed")


# --- preferences and complaints ------------------------------------------------------------------

def test_preference_is_added_and_recorded_by_the_caller(api_as):
    agent = api_as("agent")
    customer = create(agent)
    response = agent.post(f"/api/v1/customers/{customer['id']}/preferences",
                           json={"key": "language", "value": "Cantonese"})
    assert response.status_code == 201
    assert set(response.json) == {"id", "key", "value"}
    assert (response.json["key"], response.json["value"]) == ("language", "Cantonese")
    assert db.session.get(Preference, response.json["id"]).recorded_by_id == agent.user.id
    shown = agent.get(f"/api/v1/customers/{customer['id']}").json["preferences"]
    assert [(p["key"], p["value"]) for p in shown] == [("language", "Cantonese")]


def test_preference_needs_a_known_customer_and_a_value(api_as):
    agent = api_as("agent")
    assert_error(agent.post("/api/v1/customers/999/preferences",
                             json={"key": "a", "value": "b"}), 404)
    customer = create(agent)
    error = assert_error(agent.post(f"/api/v1/customers/{customer['id']}/preferences",
                                     json={"key": "language"}), 422)
    assert "value" in error["fields"]


def test_only_open_complaints_are_listed_on_the_customer(api_as):
    agent = api_as("agent")
    customer = make_customer("Alice Wong", complaints=[
        {"subject": "Damaged parcel", "severity": "high"},
        {"subject": "Slow refund", "status": "in-progress"},
        {"subject": "Old billing issue", "status": "resolved"},
    ])
    body = agent.get(f"/api/v1/customers/{customer.id}").json
    assert [c["subject"] for c in body["open_complaints"]] == ["Damaged parcel", "Slow refund"]


def test_complaint_is_opened_and_resolved(api_as):
    agent = api_as("agent")
    customer = create(agent)
    response = agent.post(f"/api/v1/customers/{customer['id']}/complaints", json={
        "subject": "Late delivery", "description": "Two weeks late", "severity": "high",
        "due_at": "2020-01-02T03:04:05+01:00",
    })
    assert response.status_code == 201
    complaint = response.json
    assert (complaint["status"], complaint["severity"], complaint["due_at"]) == ("open", "high", "2020-01-02T02:04:05Z")
    assert complaint["overdue"] is True
    assert db.session.get(Complaint, complaint["id"]).opened_by_id == agent.user.id

    moved = agent.patch(f"/api/v1/complaints/{complaint['id']}", json={"status": "in-progress"})
    assert (moved.status_code, moved.json["status"], moved.json["resolved_at"]) == (200, "in-progress", None)

    resolved = agent.patch(f"/api/v1/complaints/{complaint['id']}",
                            json={"status": "resolved", "resolution": "Refunded the shipping"})
    assert resolved.status_code == 200
    assert resolved.json["status"] == "resolved"
    assert resolved.json["resolution"] == "Refunded the shipping"
    assert resolved.json["resolved_at"].endswith("Z")
    assert resolved.json["overdue"] is False
    assert agent.get(f"/api/v1/customers/{customer['id']}").json["open_complaints"] == []


def test_complaint_defaults_to_medium_severity_due_after_its_service_level(api_as):
    agent = api_as("agent")
    customer = create(agent)
    response = agent.post(f"/api/v1/customers/{customer['id']}/complaints",
                           json={"subject": "Rude driver"})
    assert (response.status_code, response.json["severity"]) == (201, "medium")
    opened, due = (datetime.fromisoformat(response.json[k].replace("Z", "+00:00")) for k in ("opened_at", "due_at"))
    assert due - opened == timedelta(hours=72)  # COMPLAINT_SLA_HOURS: medium=72


def test_invalid_complaints_are_refused(api_as):
    agent = api_as("agent")
    customer = create(agent)
    url = f"/api/v1/customers/{customer['id']}/complaints"
    assert "subject" in assert_error(agent.post(url, json={}), 422)["fields"]
    assert "severity" in assert_error(agent.post(url, json={"subject": "x", "severity": "meh"}),
                                      422)["fields"]
    assert "due_at" in assert_error(agent.post(url, json={"subject": "x", "due_at": "soon"}),
                                    422)["fields"]
    assert_error(agent.post("/api/v1/customers/999/complaints", json={"subject": "x"}), 404)
    complaint = agent.post(url, json={"subject": "x"}).json
    assert "status" in assert_error(agent.patch(f"/api/v1/complaints/{complaint['id']}",
                                                 json={"status": "closed"}), 422)["fields"]
    assert_error(agent.patch("/api/v1/complaints/999", json={"status": "resolved"}), 404)


# --- calls ---------------------------------------------------------------------------------------

def test_active_calls_carry_their_pop_newest_first_and_leave_out_ended_ones(api_as, provider):
    agent = api_as("agent")
    supervisor = api_as("supervisor")
    customer = make_customer("Alice Wong", phones=("+14155550100",), preferences={"milk": "oat"},
                             complaints=[{"subject": "Damaged parcel"}])
    first, _ = provider.call(from_="(415) 555-0100")
    ended, _ = provider.call(from_="+442079460000")
    latest, _ = provider.call(from_="anonymous")
    provider.status(ended, "completed", duration=12)

    response = agent.get("/api/v1/calls?active=true")
    assert response.status_code == 200
    items = response.json["items"]
    assert [c["call_sid"] for c in items] == [latest, first]
    assert response.json["total"] == 2
    alice = items[1]
    assert (alice["match"], alice["from"], alice["from_raw"], alice["customer_id"]) == (
        "single", "+14155550100", "(415) 555-0100", customer.id)
    assert alice["pop"]["call_sid"] == first
    assert alice["pop"]["customer"]["name"] == "Alice Wong"
    assert [p["key"] for p in alice["pop"]["customer"]["preferences"]] == ["milk"]
    assert [c["subject"] for c in alice["pop"]["customer"]["open_complaints"]] == ["Damaged parcel"]
    assert items[0]["pop"]["match"] == "withheld"

    everything = supervisor.get("/api/v1/calls").json
    assert [c["call_sid"] for c in everything["items"]] == [latest, ended, first]
    assert everything["items"][1]["status"] == "completed"
    assert everything["items"][1]["duration"] == 12


def test_call_by_sid_is_the_stored_call_plus_its_pop(api_as, provider):
    agent = api_as("agent")
    customer = make_customer("Alice Wong", phones=("+14155550100",))
    call_sid, _ = provider.call(from_="+14155550100")
    response = agent.get(f"/api/v1/calls/{call_sid}")
    assert response.status_code == 200
    call = db.session.query(Call).filter_by(call_sid=call_sid).one()
    expected = {
        "call_sid": call_sid, "status": "ringing", "from": "+14155550100", "from_raw": "+14155550100",
        "to": call.to_e164, "match": "single", "customer_id": customer.id, "agent": None,
        "started_at": call.started_at.isoformat(timespec="seconds") + "Z", "answered_at": None,
        "ended_at": None, "duration": None, "notes": None, "disposition": None, "recording_url": None,
        "direction": "inbound", "queue_seconds": None, "unsettled": False, "survey": None,
        "news_at": call.news_at.isoformat(timespec="seconds") + "Z",
    }
    assert set(response.json) == set(expected) | {"pop"}
    assert {k: response.json[k] for k in expected} == expected
    assert response.json["pop"]["customer"]["name"] == "Alice Wong"


def test_unknown_call_is_not_found(api_as):
    agent = api_as("agent")
    assert_error(agent.get("/api/v1/calls/CAnothere"), 404, "not_found")
    assert_error(agent.get("/api/v1/calls?active=maybe"), 422)


# --- the spec, errors, browser sessions ----------------------------------------------------------

def test_openapi_spec_is_public_and_lists_every_path(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["info"]["title"] == "KnownCaller API"
    assert set(spec["paths"]) >= {
        "/api/v1/auth/token", "/api/v1/customers", "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/preferences", "/api/v1/customers/{customer_id}/complaints",
        "/api/v1/complaints/{complaint_id}", "/api/v1/calls", "/api/v1/calls/{call_sid}",
    }
    assert set(spec["paths"]["/api/v1/customers/{customer_id}"]) >= {"get", "patch", "delete"}
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    assert spec["paths"]["/api/v1/auth/token"]["post"]["security"] == []
    # Documented errors are ours, not flask-smorest's {"code", "status", "errors"}.
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {"error"}


def test_unknown_api_url_and_wrong_method_answer_json(api_as):
    agent = api_as("agent")
    assert_error(agent.get("/api/v1/nothing-here"), 404, "not_found")
    response = agent.put("/api/v1/customers", json={})
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_browser_session_can_read_active_calls(client, app_ctx):
    assert login(client, make_user("agent1")).status_code == 302
    response = client.get("/api/v1/calls?active=true")
    assert response.status_code == 200
    assert response.json["items"] == []


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_browser_session_needs_a_csrf_token_to_change_anything(app, client):
    # No app context held around the requests: each request gets its own, as in production.
    with app.app_context():
        make_user("agent1")
    assert login(client, "agent1", csrf=True).status_code == 302
    csrf_token = page_csrf_token(client)
    assert client.get("/api/v1/customers").status_code == 200

    error = assert_error(client.post("/api/v1/customers", json={"name": "Forged"}), 403, "csrf_failed")
    assert "csrf" in error["message"].lower()
    assert_error(client.post("/api/v1/customers", json={"name": "Forged"}, headers={"X-CSRFToken": "nope"}), 403)

    made = client.post("/api/v1/customers", json={"name": "Genuine"}, headers={"X-CSRFToken": csrf_token})
    assert made.status_code == 201
    assert client.delete(f"/api/v1/customers/{made.json['id']}").status_code == 403


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_bearer_requests_need_no_csrf_token(client, app_ctx):
    make_user("agent1")
    token = client.post("/api/v1/auth/token", json={"username": "agent1", "password": PASSWORD}).json["token"]
    response = client.post("/api/v1/customers", json={"name": "Alice"}, headers=bearer(token))
    assert response.status_code == 201


def test_search_box_finds_by_name_part_email_external_id_or_number(api_as):
    searcher = api_as("agent", username="searcher")
    alice = make_customer("Alice Wong", phones=("+14155550100",), email="Alice@Example.com", external_id="CRM-7")
    make_customer("Bob Stone", phones=("+14155550101",), email="bob@example.com", external_id="CRM-8")
    for q in ("wong", "ALICE W", "alice@example.com", "CRM-7", "(415) 555-0100", "+1 415 555 0100", "al"):
        found = searcher.get("/api/v1/customers", query_string={"q": q}).get_json()
        assert [c["id"] for c in found["items"]] == [alice.id], q
        assert found["total"] == 1
    none = searcher.get("/api/v1/customers", query_string={"q": "100%_"}).get_json()
    assert none["items"] == [] and none["total"] == 0


def test_search_box_finds_an_all_digit_account_id_and_part_of_a_number(api_as):
    """What an agent asks a withheld caller for: their account number (digits only), or the last
    digits of the number they usually call from."""
    searcher = api_as("agent", username="searcher")
    alice = make_customer("Alice Wong", phones=("+14155550130",), external_id="48213907")
    make_customer("Bob Stone", phones=("+14155550101",), external_id="48213999")
    for q in ("48213907", "555-0130", "5550130", "(415) 555-013", "0130"):
        found = searcher.get("/api/v1/customers", query_string={"q": q}).get_json()
        assert [c["id"] for c in found["items"]] == [alice.id], q
    both = searcher.get("/api/v1/customers", query_string={"q": "555-01"}).get_json()
    assert both["total"] == 2
    assert searcher.get("/api/v1/customers", query_string={"q": "013"}).get_json()["total"] == 0


def test_a_save_from_a_stale_copy_is_refused_and_a_colleagues_number_survives(api_as):
    me, colleague = api_as("agent"), api_as("agent")
    created = me.post("/api/v1/customers", json={"name": "Alice Wong", "phones": ["+14155550100"]}).json
    assert created["version"] == 1
    added = colleague.patch(f"/api/v1/customers/{created['id']}",
                            json={"phones": ["+14155550100", "+14155550177"], "version": 1})
    assert added.status_code == 200 and added.json["version"] == 2

    stale = me.patch(f"/api/v1/customers/{created['id']}", json={"name": "Alice W.", "version": 1})
    assert_error(stale, 409, "conflict")
    assert "now 2" in stale.json["error"]["message"]
    current = me.get(f"/api/v1/customers/{created['id']}").json
    assert (current["name"], current["phones"], current["version"]) == (
        "Alice Wong", ["+14155550100", "+14155550177"], 2)

    # A PATCH changes only what it names: the new number stays.
    renamed = me.patch(f"/api/v1/customers/{created['id']}", json={"name": "Alice W.", "version": 2})
    assert (renamed.json["name"], renamed.json["phones"], renamed.json["version"]) == (
        "Alice W.", ["+14155550100", "+14155550177"], 3)


def test_merging_a_duplicate_moves_everything_to_the_kept_customer(api_as, provider):
    from app.models import AuditEvent, FollowUp, Promise, Survey

    supervisor = api_as("supervisor")
    kept = make_customer("Alice Wong", phones=("+14155550100",), preferences={"milk": "oat"})
    duplicate = make_customer("A. Wong", phones=("+14155550100", "+14155550199"), tier="gold",
                              email="alice@example.com", external_id="CRM-9", preferences={"callbacks": "evenings"},
                              complaints=[{"subject": "Late delivery"}])
    call_sid, _ = provider.call(from_="+14155550199")
    call = db.session.query(Call).filter_by(call_sid=call_sid).one()
    call.notes = "Asked about the refund"
    db.session.add(FollowUp(customer_id=duplicate.id, call_id=call.id, reason="manual", due_at=call.started_at))
    duplicate.do_not_survey = True  # they texted STOP: the kept customer is not surveyed either
    db.session.add(Promise(customer_id=duplicate.id, text="Refund the fee", due_at=call.started_at + timedelta(days=2)))
    db.session.add(Survey(call_id=call.id, customer_id=duplicate.id, channel="sms", status="answered", score=4,
                          sent_at=call.started_at, answered_at=call.started_at))
    db.session.commit()
    kept_id, duplicate_id = kept.id, duplicate.id

    merged = supervisor.post(f"/api/v1/customers/{kept_id}/merge", json={"duplicate_id": duplicate_id})
    assert merged.status_code == 200, merged.get_data(as_text=True)
    body = merged.json
    assert body["id"] == kept_id and body["name"] == "Alice Wong"
    assert body["phones"] == ["+14155550100", "+14155550199"]
    assert sorted((p["key"], p["value"]) for p in body["preferences"]) == [("callbacks", "evenings"), ("milk", "oat")]
    assert [c["subject"] for c in body["open_complaints"]] == ["Late delivery"]
    assert (body["tier"], body["email"], body["external_id"]) == ("gold", "alice@example.com", "CRM-9")
    db.session.expire_all()
    call = db.session.query(Call).filter_by(call_sid=call_sid).one()
    assert (call.customer_id, call.notes) == (kept_id, "Asked about the refund")
    assert db.session.query(FollowUp).one().customer_id == kept_id
    assert (db.session.query(Promise).one().customer_id, db.session.query(Survey).one().customer_id) == (kept_id,
                                                                                                         kept_id)
    assert body["do_not_survey"] is True
    assert [p["text"] for p in body["promises"]] == ["Refund the fee"]
    assert body["last_survey"]["score"] == 4
    assert supervisor.get(f"/api/v1/customers/{duplicate_id}").status_code == 404
    actions = {(e.action, e.customer_id) for e in db.session.query(AuditEvent).filter(AuditEvent.detail.like("merged%"))}
    assert actions == {("customer_changed", kept_id), ("customer_deleted", duplicate_id)}


def test_a_merge_is_for_supervisors_and_refuses_a_customer_into_themselves(api_as):
    agent, supervisor = api_as("agent"), api_as("supervisor")
    one, two = make_customer("One", phones=()), make_customer("Two", phones=())
    assert_error(agent.post(f"/api/v1/customers/{one.id}/merge", json={"duplicate_id": two.id}), 403)
    assert_error(supervisor.post(f"/api/v1/customers/{one.id}/merge", json={"duplicate_id": one.id}), 422)
    assert_error(supervisor.post(f"/api/v1/customers/{one.id}/merge", json={"duplicate_id": 999999}), 404)
    assert supervisor.get(f"/api/v1/customers/{two.id}").status_code == 200


def test_adding_a_number_someone_else_holds_says_it_is_now_shared(api_as):
    agent = api_as("agent")
    wei = make_customer("Wei Huang", phones=("+14155550111",))
    created = agent.post("/api/v1/customers", json={"name": "Mei Huang", "phones": ["(415) 555-0111", "+14155550122"]})
    assert created.status_code == 201
    assert created.json["shared_numbers"] == [{"e164": "+14155550111", "customers": [{"id": wei.id, "name": "Wei Huang"}]}]
    assert [p["display"] for p in created.json["phone_numbers"]] == ["(415) 555-0111", "(415) 555-0122"]
    shown = agent.get(f"/api/v1/customers/{wei.id}").json
    assert shown["shared_numbers"] == [{"e164": "+14155550111",
                                        "customers": [{"id": created.json["id"], "name": "Mei Huang"}]}]
    alone = agent.patch(f"/api/v1/customers/{created.json['id']}", json={"phones": ["+14155550122"]}).json
    assert alone["shared_numbers"] == []
    assert "shared_numbers" not in agent.get("/api/v1/customers?q=huang").json["items"][0]  # only on one's own


def test_a_blank_name_is_required_and_named_with_every_other_problem(api_as):
    agent = api_as("agent")
    error = assert_error(agent.post("/api/v1/customers", json={
        "name": "  ", "phones": ["not a number"], "email": "bob@example"}), 422)
    assert set(error["fields"]) == {"name", "phones", "email"}
    assert error["fields"]["name"] == ["required"]
    alice = make_customer("Alice Wong")
    error = assert_error(agent.patch(f"/api/v1/customers/{alice.id}", json={"name": "", "email": "bob@example"}), 422)
    assert error["fields"]["name"] == ["required"] and "email" in error["fields"]
