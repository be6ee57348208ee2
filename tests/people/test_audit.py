"""The audit trail: reads of customer details are recorded, supervisors read them, admins export them."""
from __future__ import annotations

import csv

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from tests.factories import PASSWORD, make_customer, make_user
from tests.support.api import assert_error
from tests.support.login import login


def test_reading_a_customer_is_audited_and_supervisors_can_see_it(api_as):
    customer_id = make_customer("Alice Wong").id
    agent, supervisor = api_as("agent", username="ann"), api_as("supervisor", username="sue")
    agent_id = agent.user.id
    assert agent.get(f"/api/v1/customers/{customer_id}").status_code == 200
    assert agent.get(f"/api/v1/customers/{customer_id}/timeline").status_code == 200

    assert agent.get("/api/v1/audit").status_code == 403
    trail = supervisor.get(f"/api/v1/audit?customer_id={customer_id}").get_json()
    assert [(e["action"], e["user"]["id"], e["detail"]) for e in trail["items"]] == [
        ("customer_read", agent_id, "timeline"), ("customer_read", agent_id, None)]


def test_audit_export_writes_every_event(app, runner, tmp_path):
    with app.app_context():
        customer_id = make_customer("Alice Wong").id
        user = make_user("ann")
        db.session.add_all([AuditEvent(user_id=user.id, action="customer_read", customer_id=customer_id)
                            for _ in range(3)])
        db.session.commit()
    out = tmp_path / "audit.csv"
    result = runner.invoke(args=["export-audit", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 3 audit events" in result.output
    rows = list(csv.DictReader(out.open()))
    assert [(r["username"], r["action"], r["customer_id"]) for r in rows] == [("ann", "customer_read", str(customer_id))] * 3


def test_token_endpoint_is_throttled_like_the_login_form(app, client):
    with app.app_context():
        make_user("ann")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_USER"]):
        assert client.post("/api/v1/auth/token", json={"username": "ann", "password": "nope"}).status_code == 401
    refused = client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0


def test_replay_spool_command_stores_spooled_events(app, runner, provider):
    from app.services.calls import spool
    from tests.support.provider import voice_params

    params = voice_params()
    spool.spool_event(app.config["SPOOL_DIR"], "voice", params, {})
    result = runner.invoke(args=["replay-spool"])
    assert result.exit_code == 0, result.output
    assert "replayed 1, still waiting 0" in result.output
    with app.app_context():
        from app.models import Call

        call = db.session.scalar(select(Call).where(Call.call_sid == params["CallSid"]))
        assert call is not None and call.lookup_failed


def test_supervisors_read_the_trail_in_the_browser_and_agents_cannot(app, client):
    with app.app_context():
        customer_id = make_customer("Alice Wong").id
        agent = make_user("ann", display_name="Ann <b>Lee</b>")
        make_user("sue", role="supervisor")
        db.session.add(AuditEvent(user_id=agent.id, action="customer_read", customer_id=customer_id))
        db.session.commit()
    login(client, "ann")
    assert client.get("/audit").status_code == 403
    client.post("/logout")
    login(client, "sue")
    page = client.get(f"/audit?customer_id={customer_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "customer shown" in html and "Alice Wong" in html and f">#{customer_id}<" not in html
    assert "Ann &lt;b&gt;Lee&lt;/b&gt;" in html and "<b>Lee</b>" not in html
    assert client.get("/audit?day=yesterday").status_code == 400
    assert client.get("/audit?action=peeked").status_code == 400


def test_a_supervisor_finds_who_saw_a_customer_by_name_without_the_replay_noise(app, client, api_as):
    alice = make_customer("Alice Wong")
    bob = make_customer("Bob Ray")
    ann = make_user("ann", display_name="Ann Lee")
    lin = make_user("lin", display_name="Lin Chen")
    for user, customer, action, detail in [
            (ann, alice, "customer_read", "search"), (lin, alice, "pop_delivered", "replayed on connect"),
            (lin, bob, "customer_changed", "updated tier"), (ann, alice, "pop_delivered", None)]:
        db.session.add(AuditEvent(user_id=user.id, action=action, customer_id=customer.id, detail=detail))
    db.session.commit()
    supervisor = api_as("supervisor")

    def trail(query: str) -> list[tuple]:
        response = supervisor.get(f"/api/v1/audit?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [(e["user"]["name"], e["customer"]["name"], e["action"]) for e in response.json["items"]]

    assert trail("customer=alice&replays=false") == [("Ann Lee", "Alice Wong", "pop_delivered"),
                                                    ("Ann Lee", "Alice Wong", "customer_read")]
    assert trail("user=LIN") == [("Lin Chen", "Bob Ray", "customer_changed"),
                                 ("Lin Chen", "Alice Wong", "pop_delivered")]
    assert trail("action=customer_changed") == [("Lin Chen", "Bob Ray", "customer_changed")]
    assert trail(f"customer={bob.id}") == [("Lin Chen", "Bob Ray", "customer_changed")]
    assert_error(supervisor.get("/api/v1/audit?action=peeked"), 422)
    # A deleted customer stays on the trail, by id, with no name.
    db.session.delete(bob)
    db.session.commit()
    assert supervisor.get(f"/api/v1/audit?customer_id={bob.id}").json["items"][0]["customer"] == {
        "id": bob.id, "name": None}

    # The page says the same in words: names, readable times, replays left out unless asked for.
    login(client, supervisor.user.username)
    html = client.get("/audit?customer=alice").get_data(as_text=True)
    assert html.count("<tr>") == 1 + 2  # the header, and Ann's two rows
    assert "replayed on connect" not in html
    assert "replayed on connect" in client.get("/audit?customer=alice&replays=1").get_data(as_text=True)
    assert " UTC</time>" in html


def _trail(user_id):
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.customer_id, AuditEvent.call_sid,
                                     AuditEvent.detail).where(AuditEvent.user_id == user_id).order_by(AuditEvent.id))
    return [tuple(row) for row in rows]


def test_a_search_records_every_customer_it_showed_in_one_write(app, api_as):
    agent = api_as("agent")
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    alan = make_customer("Alan Wong", phones=("+14155550101",))
    make_customer("Bob Stone", phones=("+14155550102",))
    statements = []
    from sqlalchemy import event

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert agent.get("/api/v1/customers?q=wong").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert sorted(_trail(agent.user.id)) == sorted([
        ("customer_read", alice.id, None, "search"), ("customer_read", alan.id, None, "search")])


def test_call_reads_claims_and_wrap_ups_are_on_the_trail(app, api_as, provider):
    agent = api_as("agent")
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    call_sid, _ = provider.call(from_="+14155550100")
    agent.get("/api/v1/calls?active=true")
    agent.get(f"/api/v1/calls/{call_sid}")
    agent.post(f"/api/v1/calls/{call_sid}/claim")
    agent.patch(f"/api/v1/calls/{call_sid}", json={"notes": "Refund", "disposition": "resolved"})
    trail = _trail(agent.user.id)
    assert ("customer_read", alice.id, call_sid, "active calls") in trail
    assert ("customer_read", alice.id, call_sid, "call") in trail
    assert ("call_changed", alice.id, call_sid, "claimed") in trail
    assert ("call_changed", alice.id, call_sid, "changed disposition, notes") in trail


def test_an_edit_is_audited_with_the_fields_that_actually_changed(api_as):
    agent = api_as("agent")
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    saved = agent.patch(f"/api/v1/customers/{alice.id}", json={
        "name": "Alice Wong", "email": None, "tier": "vip", "phones": ["(415) 555-0100"]})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    again = agent.patch(f"/api/v1/customers/{alice.id}", json={"name": "Alice Wong"})
    assert again.status_code == 200
    details = list(db.session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == "customer_changed").order_by(AuditEvent.id)))
    assert details == ["updated tier", "saved, nothing changed"]


def test_the_trail_finds_a_customer_typed_without_accents(api_as):
    maria = make_customer("María García")
    ann = make_user("ann", display_name="Ann Lee")
    db.session.add(AuditEvent(user_id=ann.id, action="customer_read", customer_id=maria.id))
    db.session.commit()
    items = api_as("supervisor").get("/api/v1/audit?customer=maria%20garcia").json["items"]
    assert [e["customer"] for e in items] == [{"id": maria.id, "name": "María García"}]
