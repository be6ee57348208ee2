"""Which agents are online: one database row per connected desktop, refreshed by heartbeats."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import AgentPresence, User, utcnow


def mark_online(sid: str, user_id: int) -> None:
    db.session.merge(AgentPresence(sid=sid, user_id=user_id, connected_at=utcnow(), last_seen_at=utcnow()))
    db.session.commit()


def heartbeat(sid: str) -> None:
    db.session.execute(update(AgentPresence).where(AgentPresence.sid == sid).values(last_seen_at=utcnow()))
    db.session.commit()


def mark_offline(sid: str) -> None:
    db.session.execute(delete(AgentPresence).where(AgentPresence.sid == sid))
    db.session.commit()


def online_agents(ttl_seconds: int) -> list[User]:
    """Active users with a desktop that has been heard from recently, in a stable order."""
    since = utcnow() - timedelta(seconds=ttl_seconds)
    stmt = (
        select(User)
        .where(
            User.active.is_(True),
            User.id.in_(select(AgentPresence.user_id).where(AgentPresence.last_seen_at >= since)),
        )
        .order_by(User.id)
    )
    return list(db.session.scalars(stmt))


def online_agent_targets(ttl_seconds: int) -> tuple[tuple[int, str, str], ...]:
    """`(id, reach_kind, reach_target)` of each online agent, as `online_agents` orders them.

    The voice webhook needs only these three values to ring the agents; reading them as plain
    rows, not User objects, keeps that query cheap with hundreds of agents online.
    """
    since = utcnow() - timedelta(seconds=ttl_seconds)
    stmt = (
        select(User.id, User.reach_kind, func.coalesce(func.nullif(User.reach_address, ""), User.username))
        .where(
            User.active.is_(True),
            User.id.in_(select(AgentPresence.user_id).where(AgentPresence.last_seen_at >= since)),
        )
        .order_by(User.id)
    )
    return tuple(tuple(row) for row in db.session.execute(stmt))


def sockets_of(user_id: int) -> list[str]:
    """Every socket a user has open, on any server process."""
    return list(db.session.scalars(select(AgentPresence.sid).where(AgentPresence.user_id == user_id)))
