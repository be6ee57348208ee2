"""Routing across server processes (SPEC §11): two gunicorn processes share one PostgreSQL line of
waiting callers and one Redis channel; the provider's REST API is a local stand-in.

Each process moves callers from the line on its own job threads, so these tests look for what
only a second process can break: a caller moved twice, an agent sent two callers, a caller
skipped, a refused move that loses the caller's place, and a pop reaching outside its audience.
"""
from __future__ import annotations

import itertools
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from tests.factories import make_customer, make_token, make_user
from tests.support.api import Api
from tests.support.provider import ACCOUNT_SID, Provider, new_call_sid, status_params
from tests.support.provider import dialled as dialled_by
from tests.support.servers import ServerProcess, two_processes
from tests.support.sockets import SocketRecorder, connect_socket, wait_until
from tests.support.twilio_api import RunningStandIn, TwilioApiStandIn

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.multiprocess]

AUTH_TOKEN = "routing-scale-token-" + uuid.uuid4().hex
PUBLIC_URL = "https://cc.example.com"
QUEUE_RETRY_SECONDS = 1
# Every caller of the module has a number of their own (a shared one would match several customers).
_line_numbers = itertools.count(1000)


def fresh_number() -> str:
    return f"+1415555{next(_line_numbers):04d}"


@dataclass
class Person:
    """A user of the contact center, speaking to the API and connected (or not) over a socket."""

    id: int
    username: str
    name: str
    token: str
    socket: SocketRecorder | None = None

    def api(self, server: ServerProcess) -> Api:
        return Api(SimpleNamespace(username=self.username, role="?"), self.token, base_url=server.base_url)

    def connect(self, server: ServerProcess) -> SocketRecorder:
        self.socket = connect_socket(server.base_url, token=self.token)
        return self.socket

    def pops(self, call_sid: str) -> list[dict]:
        return [p for p in self.socket.events("screen_pop") if p["call_sid"] == call_sid]

    def updates(self, call_sid: str) -> list[dict]:
        return [u for u in self.socket.events("call_update") if u["call_sid"] == call_sid]


@dataclass
class Floor:
    """One test's people and calls on the shared cluster; its teardown closes the sockets first
    (nobody offerable), then ends every call it made, so the next test starts with an empty line."""

    servers: tuple[ServerProcess, ServerProcess]
    app: object
    rest_api: TwilioApiStandIn
    people: list[Person] = field(default_factory=list)
    call_sids: list[str] = field(default_factory=list)

    def provider_via(self, server: ServerProcess) -> Provider:
        return Provider(AUTH_TOKEN, base_url=server.base_url, public_url=PUBLIC_URL)

    def person(self, role: str = "agent", *, name: str) -> Person:
        with self.app.app_context():
            user = make_user(f"{role}-{uuid.uuid4().hex[:8]}", role=role, display_name=name)
            person = Person(user.id, user.username, user.display_name, make_token(user))
        self.people.append(person)
        return person

    def customer(self, name: str, tier: str) -> str:
        """A customer of this tier with a number of their own; returns the number."""
        number = fresh_number()
        with self.app.app_context():
            make_customer(name, phones=(number,), tier=tier)
        return number

    def call(self, server: ServerProcess, from_: str) -> tuple[str, str]:
        call_sid, response = self.provider_via(server).call(from_=from_)
        assert response.status_code == 200, response.text
        self.call_sids.append(call_sid)
        return call_sid, response.text

    def updates_of(self, call_sids) -> list:
        """The moves the app asked the provider for, of these calls."""
        wanted = {f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json" for sid in call_sids}
        return [r for r in self.rest_api.call_updates if r.path in wanted]

    def close(self) -> None:
        for person in self.people:
            if person.socket is not None and person.socket.sio.connected:
                person.socket.sio.disconnect()
        for call_sid in self.call_sids:
            self.provider_via(self.servers[0]).status(call_sid, "completed", sequence=99, duration=1)
        self.rest_api.accept_call_updates()


@pytest.fixture(scope="module")
def rest_api():
    with RunningStandIn(ACCOUNT_SID, AUTH_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, rest_api):
    """Two gunicorn processes sharing a fresh PostgreSQL database, a Redis channel and the
    provider's REST API (the stand-in)."""
    with two_processes(tmp_path_factory.mktemp("servers"), auth_token=AUTH_TOKEN, public_url=PUBLIC_URL,
                       TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_BASE_URL=rest_api.base_url,
                       QUEUE_RETRY_SECONDS=str(QUEUE_RETRY_SECONDS)) as (servers, app):
        yield servers, app


@pytest.fixture
def floor(cluster, rest_api):
    servers, app = cluster
    floor = Floor(servers, app, rest_api)
    try:
        yield floor
    finally:
        floor.close()


def dialled(twiml: str) -> list[str]:
    """The <Client> identities a TwiML answer (or a move's new TwiML) rings."""
    return [dialled_by(client) for client in ET.fromstring(twiml).iter("Client")]


def queue_of(person: Person, server: ServerProcess) -> list[dict]:
    response = person.api(server).get("/api/v1/queue")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def all_at_once(actions) -> list:
    """Run each action on its own thread, released together; returns their results in order."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        results[index] = action()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def set_status(person: Person, server: ServerProcess, status: str):
    response = person.api(server).put("/api/v1/me/status", json={"status": status})
    assert response.status_code == 200, response.text
    return response


def test_agents_freed_at_once_on_two_processes_take_the_first_callers_in_line_once_each(floor):
    a, b = floor.servers
    agents = [floor.person(name=f"Agent {n}") for n in range(5)]
    for n, agent in enumerate(agents):
        set_status(agent, (a, b)[n % 2], "away")
        agent.connect((a, b)[n % 2])
    # Arrival order; the line's order is tier first (unknown callers as standard), then the wait.
    callers = [
        ("unknown-1", fresh_number()),
        ("gold-1", floor.customer("Gia Gold", "gold")),
        ("standard-1", floor.customer("Stan Dard", "standard")),
        ("vip-1", floor.customer("Vera Vip", "vip")),
        ("unknown-2", fresh_number()),
        ("vip-2", floor.customer("Victor Vip", "vip")),
        ("unknown-3", fresh_number()),
        ("silver-1", floor.customer("Sil Ver", "silver")),
    ]
    sid_of = {}
    for n, (label, number) in enumerate(callers):
        call_sid, twiml = floor.call((a, b)[n % 2], number)
        assert ET.fromstring(twiml).find(".//Enqueue") is not None, f"{label} was not queued: {twiml}"
        sid_of[label] = call_sid
    expected_line = [sid_of[label] for label in (
        "vip-1", "vip-2", "gold-1", "silver-1", "unknown-1", "standard-1", "unknown-2", "unknown-3")]
    assert [item["call_sid"] for item in queue_of(agents[0], a)] == expected_line

    # Each agent says so on the process their socket is not on, all at the same moment.
    all_at_once([lambda agent=agent, n=n: set_status(agent, (b, a)[n % 2], "available")
                 for n, agent in enumerate(agents)])

    assert wait_until(lambda: len(floor.updates_of(expected_line)) >= 5, timeout=15), \
        f"moves asked of the provider: {[r.path for r in floor.updates_of(expected_line)]}"
    time.sleep(4 * QUEUE_RETRY_SECONDS)  # both processes keep dispatching while callers wait: no more moves
    updates = floor.updates_of(expected_line)
    moved_sids = [r.path.rsplit("/", 1)[1].removesuffix(".json") for r in updates]
    assert all(r.status == 200 for r in updates), [(r.status, r.answer) for r in updates]
    assert len(moved_sids) == len(set(moved_sids)) == 5, f"a caller was moved twice: {moved_sids}"
    assert set(moved_sids) == set(expected_line[:5]), "the first five in line are not the ones moved"
    rung = Counter(client for r in updates for client in dialled(r.value("Twiml")))
    assert sorted(rung) == sorted(agent.username for agent in agents), rung
    assert set(rung.values()) == {1}, f"an agent was sent more than one caller: {rung}"

    # Each moved caller pops for the agent they were moved to, naming that agent.
    by_username = {agent.username: agent for agent in agents}
    for r in updates:
        call_sid = r.path.rsplit("/", 1)[1].removesuffix(".json")
        agent = by_username[dialled(r.value("Twiml"))[0]]
        agent.socket.wait_for("screen_pop", lambda p, sid=call_sid, agent=agent: p["call_sid"] == sid and
                              {"id": agent.id, "name": agent.name} in p["routing"]["agents"], timeout=5)

    left = queue_of(agents[1], b)
    assert [(item["call_sid"], item["position"]) for item in left] == list(zip(expected_line[5:], (1, 2, 3)))


def test_a_move_the_provider_refuses_leaves_the_caller_in_place_and_is_retried(floor):
    a, b = floor.servers
    agent = floor.person(name="Rita Retry")
    set_status(agent, a, "away")
    agent.connect(a)
    call_sid, twiml = floor.call(b, floor.customer("Quentin Queue", "gold"))
    assert ET.fromstring(twiml).find(".//Enqueue") is not None, twiml
    [before] = queue_of(agent, a)
    assert (before["call_sid"], before["position"]) == (call_sid, 1)

    floor.rest_api.refuse_call_updates()
    set_status(agent, b, "available")
    assert wait_until(lambda: len(floor.updates_of([call_sid])) >= 2, timeout=6 * QUEUE_RETRY_SECONDS + 5), \
        "a refused move was not tried again"
    assert all(r.status == 400 for r in floor.updates_of([call_sid]))

    # Between attempts the caller is in line where they were, on either process.
    def still_first(server):
        items = queue_of(agent, server)
        return [(i["call_sid"], i["position"], i["queued_at"]) for i in items] == \
            [(call_sid, 1, before["queued_at"])]
    assert wait_until(lambda: still_first(a), timeout=2) and wait_until(lambda: still_first(b), timeout=2)

    floor.rest_api.accept_call_updates()
    assert wait_until(lambda: any(r.status == 200 for r in floor.updates_of([call_sid])),
                      timeout=5 * QUEUE_RETRY_SECONDS + 5), "the move was not retried once the provider took it"
    time.sleep(3 * QUEUE_RETRY_SECONDS)
    taken = [r for r in floor.updates_of([call_sid]) if r.status == 200]
    assert len(taken) == 1, f"moved {len(taken)} times"
    assert dialled(taken[0].value("Twiml")) == [agent.username]
    assert queue_of(agent, b) == []
    agent.socket.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid
                          and {"id": agent.id, "name": agent.name} in p["routing"]["agents"])


def test_a_call_offered_to_one_agent_reaches_its_audience_on_both_processes_and_nobody_else(floor):
    a, b = floor.servers
    ann = floor.person(name="Ann Offered")  # never chose: available
    bob = floor.person(name="Bob Away")
    sue = floor.person("supervisor", name="Sue Super")
    wes = floor.person(name="Wes Watcher")
    set_status(bob, a, "away")
    set_status(wes, b, "away")
    ann.connect(a)
    bob.connect(b)
    sue.connect(b)
    wes.connect(a)
    # Wes's socket is on a; he asks b to show him every call: b puts a's socket in the room.
    response = wes.api(b).patch("/api/v1/me", json={"watch_all": True})
    assert response.status_code == 200 and response.json()["watch_all"] is True, response.text

    call_sid, twiml = floor.call(b, floor.customer("Kim Known", "gold"))
    assert dialled(twiml) == [ann.username], twiml  # not the away agents, not the supervisor
    for person in (ann, sue, wes):
        pop = person.socket.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
        assert pop["customer"]["name"] == "Kim Known"
        assert (pop["routing"]["reason"], pop["routing"]["agents"]) == ("floor", [{"id": ann.id, "name": ann.name}])

    # Ann answers; the provider tells a, and everyone in the audience hears it, on either process.
    leg = status_params(new_call_sid(), "in-progress", ParentCallSid=call_sid)
    assert floor.provider_via(a).post(f"/twilio/status?agent={ann.id}", leg).status_code == 200
    for person in (ann, sue, wes):
        update = person.socket.wait_for("call_update", lambda u: u["call_sid"] == call_sid)
        assert (update["status"], update["agent"]["id"]) == ("in-progress", ann.id)
    assert bob.pops(call_sid) == [] and bob.updates(call_sid) == [], "an away agent outside the audience heard of it"

    # Reconnecting (a reload): the supervisor gets the live call again, the away agent does not.
    for person, server in ((bob, a), (sue, a)):
        person.socket.sio.disconnect()
        person.connect(server)
    sue.socket.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert bob.pops(call_sid) == [], "the away agent was re-sent a call not offered to him"


def test_an_agent_a_waiting_caller_is_moved_to_is_not_rung_for_a_new_call_meanwhile(floor):
    """A caller moved from the line rings their agent for up to DIAL_TIMEOUT_SECONDS: a new call
    arriving on the other process meanwhile is not offered to that agent too (they are no longer
    offerable), it waits in line."""
    a, b = floor.servers
    agent = floor.person(name="Mo Moved")
    set_status(agent, a, "away")
    agent.connect(a)
    first, _ = floor.call(a, floor.customer("First Inline", "standard"))
    set_status(agent, a, "available")
    assert wait_until(lambda: any(r.status == 200 for r in floor.updates_of([first])), timeout=10)

    _second, twiml = floor.call(b, floor.customer("Second Caller", "standard"))
    assert dialled(twiml) == [] and ET.fromstring(twiml).find(".//Enqueue") is not None, \
        f"the agent a caller is on the way to was rung for another call: {twiml}"
