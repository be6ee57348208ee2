"""A call's audience (SPEC §11): its pop and updates go to the agents it is offered to, its holder,
supervisors and admins, and those who watch every call; to everyone when it is offered to nobody.
Re-sync, over the socket or over HTTP, shows a user only the calls whose audience holds them."""
from __future__ import annotations

from app.extensions import db
from tests.factories import make_customer, make_token, make_user
from tests.routing.support import call_row, dialled, online, xml
from tests.support.sockets import wait_until


def _people(socket_factory):
    """Ann and Bob (agents), Wes (an agent watching every call), Sue (a supervisor), each with a
    desktop socket; Bob is away, so a call is offered to Ann alone."""
    ann, bob = make_user("ann", display_name="Ann Lee"), make_user("bob", display_name="Bob Ray", status="away")
    wes = make_user("wes", display_name="Wes Tan", status="away", watch_all=True)
    sue = make_user("sue", display_name="Sue Park", role="supervisor")
    sockets = {user.username: socket_factory(token=make_token(user)) for user in (ann, bob, wes, sue)}
    return (ann, bob, wes, sue), sockets


def test_a_pop_goes_to_the_offered_agent_supervisors_and_watchers_only(app, live_server, socket_factory):
    with app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",))
        (ann, bob, _wes, _sue), sockets = _people(socket_factory)
        ann_id = ann.id
    call_sid, response = live_server.provider.call(from_="+14155550100")
    assert dialled(xml(response)) == ["ann"]
    for name in ("ann", "wes", "sue"):
        pop = sockets[name].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
        assert pop["routing"] == {"reason": "floor", "agents": [{"id": ann_id, "name": "Ann Lee"}], "known": None}
    live_server.provider.status(call_sid, "in-progress", sequence=1)
    for name in ("ann", "wes", "sue"):
        sockets[name].wait_for("call_update", lambda u: u["call_sid"] == call_sid and u["status"] == "in-progress")
    assert [e for e in sockets["bob"].events("screen_pop") if e["call_sid"] == call_sid] == []
    assert [e for e in sockets["bob"].events("call_update") if e["call_sid"] == call_sid] == []


def test_a_call_offered_to_nobody_goes_to_everyone(app, live_server, socket_factory):
    with app.app_context():
        (ann, *_others), sockets = _people(socket_factory)
        ann.status = "away"
        db.session.commit()
    call_sid, response = live_server.provider.call(from_="+14155550199")
    assert [el.tag for el in xml(response)] == ["Enqueue"]
    for name, socket in sockets.items():
        pop = socket.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
        assert pop["routing"]["reason"] == "queued", name


def test_resync_on_connect_and_over_http_shows_only_the_calls_one_is_in_the_audience_of(app, live_server,
                                                                                       socket_factory):
    with app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",))
        (ann, bob, wes, sue), sockets = _people(socket_factory)
        tokens = {user.username: make_token(user) for user in (ann, bob, wes, sue)}
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    sockets["ann"].wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    for name, expected in (("ann", True), ("bob", False), ("wes", True), ("sue", True)):
        again = socket_factory(token=tokens[name])
        if expected:
            again.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
        else:
            assert not wait_until(lambda: again.events("screen_pop"), timeout=1.0)
        listed = app.test_client().get("/api/v1/calls?active=true",
                                       headers={"Authorization": f"Bearer {tokens[name]}"}).get_json()["items"]
        assert [c["call_sid"] for c in listed] == ([call_sid] if expected else []), name


def test_watch_all_takes_effect_on_open_desktops_at_once(app, live_server, socket_factory, api_as):
    with app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",))
        online(make_user("ann", display_name="Ann Lee"))
    bob = api_as("agent", username="bob", status="away")
    desktop = socket_factory(token=bob.token)
    assert bob.patch("/api/v1/me", json={"watch_all": True}).status_code == 200
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert bob.patch("/api/v1/me", json={"watch_all": False}).status_code == 200
    second, _ = live_server.provider.call(from_="+14155550100")
    with app.app_context():
        assert call_row(second).offered_ids  # offered to Ann: not to everyone
    assert not wait_until(lambda: [p for p in desktop.events("screen_pop") if p["call_sid"] == second], timeout=1.0)


def test_an_agent_who_gives_a_call_back_still_hears_how_it_ends(app, live_server, socket_factory, api_as):
    with app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",))
    ann = api_as("agent", username="ann")
    desktop = socket_factory(token=ann.token)
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert ann.post(f"/api/v1/calls/{call_sid}/claim").status_code == 200
    assert ann.post(f"/api/v1/calls/{call_sid}/release").status_code == 200
    live_server.provider.status(call_sid, "completed", sequence=3)
    desktop.wait_for("call_update", lambda u: u["call_sid"] == call_sid and u["status"] == "completed")


def test_a_supervisor_made_an_agent_leaves_every_calls_audience_at_once(app, live_server, socket_factory, api_as):
    admin = api_as("admin")
    sue = api_as("supervisor", username="sue")
    desktop = socket_factory(token=sue.token)
    assert admin.patch(f"/api/v1/users/{sue.user.id}", json={"role": "agent"}).status_code == 200
    assert wait_until(lambda: not desktop.sio.connected, timeout=5)  # it reconnects into an agent's rooms
