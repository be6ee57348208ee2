"""Agents' status (SPEC §11): available or away as chosen, on a call and wrapping up as their calls
say, offline without a desktop; `PUT /api/v1/me/status`, `GET /api/v1/agents`, live to supervisors."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import utcnow
from tests.factories import make_call, make_token, make_user
from tests.routing.support import online
from tests.support.api import assert_error


def _agents(supervisor) -> dict[str, dict]:
    response = supervisor.get("/api/v1/agents")
    assert response.status_code == 200, response.get_json()
    return {item["name"]: item for item in response.get_json()["items"]}


def test_an_agent_who_never_chose_is_available_and_a_chosen_status_is_kept(api_as):
    ann = api_as("agent", display_name="Ann Lee")
    online(ann.user)
    me = ann.get("/api/v1/me").get_json()
    assert (me["status"], me["state"], me["watch_all"]) == ("available", "available", False)
    answer = ann.put("/api/v1/me/status", json={"status": "away"})
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "away", "state": "away", "call_sid": None}
    assert ann.get("/api/v1/me").get_json()["state"] == "away"


def test_an_unknown_status_is_a_422_naming_the_field(api_as):
    ann = api_as("agent")
    for wrong in ({"status": "on_call"}, {"status": "busy"}, {"status": None}, {}):
        assert_error(ann.put("/api/v1/me/status", json=wrong), 422, field="status")
    assert ann.get("/api/v1/me").get_json()["status"] == "available"


def test_a_supervisor_starts_away_and_may_make_themselves_available(api_as):
    sue = api_as("supervisor", display_name="Sue Park")
    online(sue.user)
    assert sue.get("/api/v1/me").get_json()["status"] == "away"
    assert "Sue Park" not in _agents(sue)  # not an agent until she says so
    sue.put("/api/v1/me/status", json={"status": "available"})
    assert _agents(sue)["Sue Park"]["status"] == "available"


def test_the_list_of_agents_derives_on_call_wrap_up_and_offline(api_as, app):
    sue = api_as("supervisor")
    on_call, wrapping, wrapped, idle, gone = (make_user(n, display_name=n.title()) for n in
                                              ("oscar", "wendy", "walt", "ida", "olga"))
    online(on_call, wrapping, wrapped, idle)
    now = utcnow()
    live = make_call("CA" + "1" * 32, None, on_call, status="in-progress", connected_at=now)
    ended = make_call("CA" + "2" * 32, None, wrapping, status="completed", ended_at=now - timedelta(seconds=10))
    make_call("CA" + "3" * 32, None, wrapped, status="completed", ended_at=now - timedelta(seconds=10),
              disposition="resolved")
    make_call("CA" + "4" * 32, None, idle, status="completed",
              ended_at=now - timedelta(seconds=app.config["WRAPUP_SECONDS"] + 5))
    agents = _agents(sue)
    assert {name: item["status"] for name, item in agents.items()} == {
        "Oscar": "on_call", "Wendy": "wrap_up", "Walt": "available", "Ida": "available", "Olga": "offline"}
    assert agents["Oscar"]["call_sid"] == live.call_sid
    assert agents["Wendy"]["call_sid"] == ended.call_sid and agents["Wendy"]["until"]
    assert agents["Ida"]["call_sid"] is None


def test_agents_may_not_list_agents(api_as):
    assert_error(api_as("agent").get("/api/v1/agents"), 403)


def test_a_status_change_reaches_supervisors_live_and_the_agents_own_desktops(app, api_as, socket_factory):
    ann = api_as("agent", display_name="Ann Lee")
    sue = make_user("sue", role="supervisor")
    other = make_user("bob")
    supervisor = socket_factory(token=make_token(sue))
    own = socket_factory(token=ann.token)
    colleague = socket_factory(token=make_token(other))
    assert ann.put("/api/v1/me/status", json={"status": "away"}).status_code == 200
    seen = supervisor.wait_for("agent_status", lambda e: e["id"] == ann.user.id and e["status"] == "away")
    assert seen["name"] == "Ann Lee" and seen["chosen"] == "away"
    own.wait_for("agent_status", lambda e: e["status"] == "away")
    assert not [e for e in colleague.events("agent_status") if e["id"] == ann.user.id]


def test_watch_all_is_a_setting_of_ones_own(api_as):
    ann = api_as("agent")
    answer = ann.patch("/api/v1/me", json={"watch_all": True})
    assert answer.status_code == 200 and answer.get_json()["watch_all"] is True
    db.session.rollback()
    assert ann.get("/api/v1/me").get_json()["watch_all"] is True
    assert_error(ann.patch("/api/v1/me", json={"watch_all": "yes please"}), 422, field="watch_all")
    assert_error(ann.patch("/api/v1/me", json={"role": "admin"}), 422)
