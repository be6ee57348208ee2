"""Which agents are online: one database row per connected desktop, refreshed by heartbeats."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, update

from app.extensions import db
from app.models import TERMINAL_STATUSES, AgentPresence, Call, User, utcnow


def mark_online(sid: str, user_id: int) -> None:
    db.session.merge(AgentPresence(sid=sid, user_id=user_id, connected_at=utcnow(), last_seen_at=utcnow()))
    db.session.commit()


def heartbeat(sid: str) -> None:
    db.session.execute(update(AgentPresence).where(AgentPresence.sid == sid).values(last_seen_at=utcnow()))
    db.session.commit()


def mark_offline(sid: str) -> None:
    db.session.execute(delete(AgentPresence).where(AgentPresence.sid == sid))
    db.session.commit()


def online_agents(ttl_seconds: int, now: datetime) -> list[User]:
    """Active users with a desktop heard from within `ttl_seconds` before `now`, in a stable order."""
    since = now - timedelta(seconds=ttl_seconds)
    stmt = (
        select(User)
        .where(
            User.active.is_(True),
            User.id.in_(select(AgentPresence.user_id).where(AgentPresence.last_seen_at >= since)),
        )
        .order_by(User.id)
    )
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class ConnectedUser:
    """An active user with at least one socket open, as a call's routing and delivery see them."""

    id: int
    role: str
    reach_kind: str
    reach_target: str  # where the provider dials them: the reach address, or the username
    online: bool  # a desktop of theirs was heard from within the presence TTL
    busy: bool = False  # holding a call that has not ended (only read when asked for)

    @property
    def dial_target(self) -> tuple[int, str, str]:
        return (self.id, self.reach_kind, self.reach_target)

    @classmethod
    def of(cls, user: User) -> "ConnectedUser":
        """A user whose socket is connecting right now."""
        return cls(user.id, user.role, user.reach_kind, user.reach_target, online=True)


def connected_users(ttl_seconds: int, now: datetime, *, busy_stale_hours: int | None = None) -> list[ConnectedUser]:
    """Every active user with a socket row, by id, in one query: each is a recipient of a pop sent
    to everyone (every socket is in the broadcast room), and routing rings the `online` ones.

    With `busy_stale_hours`, the same query also tells who holds a call that has not ended (claimed
    or answered, and not older than that without a final status): the webhook reads the floor once.
    """
    since = now - timedelta(seconds=ttl_seconds)
    target = func.coalesce(func.nullif(User.reach_address, ""), User.username)
    columns = [User.id, User.role, User.reach_kind, target, func.max(AgentPresence.last_seen_at)]
    if busy_stale_hours is not None:
        holding = exists().where(
            Call.agent_id == User.id, Call.status.not_in(TERMINAL_STATUSES),
            Call.started_at >= now - timedelta(hours=busy_stale_hours),
        )
        columns.append(holding)
    stmt = (
        select(*columns)
        .join(AgentPresence, AgentPresence.user_id == User.id)
        .where(User.active.is_(True))
        .group_by(User.id, User.role, User.reach_kind, target)
        .order_by(User.id)
    )
    return [ConnectedUser(row[0], row[1], row[2], row[3], row[4] >= since, bool(row[5]) if len(row) > 5 else False)
            for row in db.session.execute(stmt)]


def sockets_of(user_id: int) -> list[str]:
    """Every socket a user has open, on any server process."""
    return list(db.session.scalars(select(AgentPresence.sid).where(AgentPresence.user_id == user_id)))
