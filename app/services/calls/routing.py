"""Which agents' phones ring for a call: a `RoutingDecision`, which `app/twiml.py` renders and the
delivery of the pop (`delivery`) reads.

Twilio rings at most ten nouns in one <Dial>, so a large contact center cannot ring everyone:
agents already on a call are skipped (unless everyone is busy), and the rest are taken in a
rotation that starts at a different agent for each call, so calls spread over the floor.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Sequence, TypeVar

# Twilio's limit on <Client>/<Number>/<Sip> nouns in one <Dial>.
TWILIO_MAX_DIAL_NOUNS = 10

Target = TypeVar("Target", bound=tuple)

# Why a call goes where it goes (SPEC §11 names more: known_agent, queued).
FLOOR = "floor"  # ring agents who are online
FALLBACK = "fallback"  # nobody to ring: the fallback number or voicemail


@dataclass(frozen=True)
class RoutingDecision:
    """Where a call goes: the reason, and the agents to ring as `(id, reach_kind, reach_target)`."""

    reason: str
    agents: tuple[tuple[int, str, str], ...] = ()


def decide(online: Sequence[tuple[int, str, str]], busy_ids: set[int], limit: int, call_sid: str) -> RoutingDecision:
    """Ring up to `limit` online agents (free ones first), or the fallback when nobody is online."""
    if not online:
        return RoutingDecision(FALLBACK)
    return RoutingDecision(FLOOR, choose_agents(online, busy_ids, limit, call_sid))


def choose_agents(online: Sequence[Target], busy_ids: set[int], limit: int, call_sid: str) -> tuple[Target, ...]:
    """Up to `limit` of the `online` agents (tuples starting with the agent id) to ring for `call_sid`."""
    limit = max(1, min(limit, TWILIO_MAX_DIAL_NOUNS))
    free = [agent for agent in online if agent[0] not in busy_ids] or list(online)
    if len(free) <= limit:
        return tuple(free)
    start = zlib.crc32(call_sid.encode()) % len(free)
    return tuple(sorted((free[start:] + free[:start])[:limit], key=lambda agent: agent[0]))
