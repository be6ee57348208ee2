"""Which agents' phones ring for a call.

Twilio rings at most ten nouns in one <Dial>, so a large contact center cannot ring everyone:
agents already on a call are skipped (unless everyone is busy), and the rest are taken in a
rotation that starts at a different agent for each call, so calls spread over the floor.
"""
from __future__ import annotations

import zlib
from typing import Sequence, TypeVar

# Twilio's limit on <Client>/<Number>/<Sip> nouns in one <Dial>.
TWILIO_MAX_DIAL_NOUNS = 10

Target = TypeVar("Target", bound=tuple)


def choose_agents(online: Sequence[Target], busy_ids: set[int], limit: int, call_sid: str) -> tuple[Target, ...]:
    """Up to `limit` of the `online` agents (tuples starting with the agent id) to ring for `call_sid`."""
    limit = max(1, min(limit, TWILIO_MAX_DIAL_NOUNS))
    free = [agent for agent in online if agent[0] not in busy_ids] or list(online)
    if len(free) <= limit:
        return tuple(free)
    start = zlib.crc32(call_sid.encode()) % len(free)
    return tuple(sorted((free[start:] + free[:start])[:limit], key=lambda agent: agent[0]))
