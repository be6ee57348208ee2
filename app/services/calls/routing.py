"""Where a call goes (SPEC §11): a `RoutingDecision`, which `app/twiml.py` renders and the delivery
of the pop (`delivery`) reads.

- The agent who knows them: a single-match caller whose latest answered call (within
  KNOWN_AGENT_DAYS) was taken by an agent offerable now, or whose open follow-up or complaint an
  offerable agent owns, rings that agent alone first (`known_agent`); the floor comes after.
- The floor: agents who are offerable (available, online, not on a call nor wrapping one up).
  Twilio rings at most ten nouns in one <Dial>, so a large contact center cannot ring everyone:
  they are taken in a rotation that starts at a different agent for each call, so calls spread.
- The queue: nobody is offerable, but agents are signed in: the caller waits in line (`queued`).
- The fallback: nobody is signed in at all (or the database is down): the fallback number or
  voicemail, as before.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence, TypeVar

from app.services.people.presence import ConnectedUser

# Twilio's limit on <Client>/<Number>/<Sip> nouns in one <Dial>.
TWILIO_MAX_DIAL_NOUNS = 10

Target = TypeVar("Target", bound=tuple)

KNOWN_AGENT = "known_agent"  # the agent who knows the caller rings alone first
FLOOR = "floor"  # ring offerable agents
QUEUED = "queued"  # nobody offerable: wait in line
FALLBACK = "fallback"  # nobody signed in: the fallback number or voicemail

# Why the known agent is the one (the card says so).
LAST_CALL, FOLLOW_UP, COMPLAINT = "last_call", "follow_up", "complaint"

# The line's order (SPEC §11): vip first, unknown callers as standard.
TIER_RANK = {"vip": 0, "gold": 1, "silver": 2, "standard": 3}
UNKNOWN_TIER_RANK = TIER_RANK["standard"]


@dataclass(frozen=True)
class KnownAgent:
    """An agent who knows the caller, and why: they took the latest call (`at`), or own an open
    follow-up or complaint of theirs."""

    agent_id: int
    because: str
    at: datetime | None = None


@dataclass(frozen=True)
class RoutingDecision:
    """Where a call goes: the reason, the agents to ring as `(id, reach_kind, reach_target)` and
    their names (for the pop), and for `known_agent`, who knows the caller and why."""

    reason: str
    agents: tuple[tuple[int, str, str], ...] = ()
    names: tuple[str, ...] = ()
    known: KnownAgent | None = None

    @property
    def agent_ids(self) -> tuple[int, ...]:
        return tuple(agent[0] for agent in self.agents)


def known_agents(history, open_complaints: Iterable, *, days: int, now: datetime) -> list[KnownAgent]:
    """Who knows this customer, best first: the agent of their latest answered call (if within
    `days` of `now`), the owner of their open follow-up due first, the assignees of their open
    complaints. `history` is their stage.History, `open_complaints` what the card shows."""
    found: list[KnownAgent] = []
    if history is not None:
        if history.last_agent_id is not None and history.last_agent_at is not None \
                and history.last_agent_at >= now - timedelta(days=days):
            found.append(KnownAgent(history.last_agent_id, LAST_CALL, history.last_agent_at))
        if history.follow_up_owner_id is not None:
            found.append(KnownAgent(history.follow_up_owner_id, FOLLOW_UP))
    for complaint in sorted(open_complaints, key=lambda c: (c.due_at is None, c.due_at or now, c.id)):
        if complaint.status != "resolved" and complaint.assigned_to_id is not None:
            found.append(KnownAgent(complaint.assigned_to_id, COMPLAINT))
    return found


def decide(users: Sequence[ConnectedUser], *, limit: int, call_sid: str, known: Sequence[KnownAgent] = (),
           excluded: Iterable[int] = (), line_waiting: bool = False) -> RoutingDecision:
    """Where a call goes, given who is connected (`users`, with their work read) and who knows the
    caller (`known`, best first). `excluded`: agents already rung for this call (the floor after the
    known agent did not answer). `line_waiting`: callers wait in line already, so this one joins
    them (the line gives the next free agent to the first in it), unless nobody is signed in."""
    if line_waiting:
        return RoutingDecision(QUEUED if signed_in(users) else FALLBACK)
    excluded = set(excluded)
    offerable = [u for u in users if u.offerable and u.id not in excluded]
    by_id = {u.id: u for u in offerable}
    for candidate in known:
        agent = by_id.get(candidate.agent_id)
        if agent is not None:
            return RoutingDecision(KNOWN_AGENT, (agent.dial_target,), (agent.name,), candidate)
    if offerable:
        chosen = choose_agents([(u.id, u) for u in offerable], limit, call_sid)
        return RoutingDecision(FLOOR, tuple(u.dial_target for _, u in chosen), tuple(u.name for _, u in chosen))
    return RoutingDecision(QUEUED if signed_in(users) else FALLBACK)


def signed_in(users: Iterable[ConnectedUser]) -> bool:
    """Someone takes calls at all (an agent online, whatever their state, or a supervisor who made
    themselves available): with nobody offerable, a caller waits in line rather than the fallback."""
    return any(u.online and (u.role == "agent" or u.chosen_status == "available") for u in users)


def choose_agents(free: Sequence[Target], limit: int, call_sid: str) -> tuple[Target, ...]:
    """Up to `limit` of the `free` agents (tuples starting with the agent id) to ring for `call_sid`."""
    limit = max(1, min(limit, TWILIO_MAX_DIAL_NOUNS))
    free = list(free)
    if len(free) <= limit:
        return tuple(free)
    start = zlib.crc32(call_sid.encode()) % len(free)
    return tuple(sorted((free[start:] + free[:start])[:limit], key=lambda agent: agent[0]))
