"""Which agents are online: one database row per connected desktop, refreshed by heartbeats."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, update

from app.extensions import db
from app.models import LIVE_STATUSES, AgentPresence, ApiToken, Call, LoginSession, User, utcnow


def mark_online(sid: str, user_id: int, *, login_id: str | None = None, token_hash: str | None = None) -> None:
    """A socket connected, standing on a browser login (`login_id`) or an API token (`token_hash`)."""
    now = utcnow()
    db.session.merge(AgentPresence(sid=sid, user_id=user_id, connected_at=now, last_seen_at=now,
                                   login_id=login_id, token_hash=token_hash))
    db.session.commit()


def expired_sockets(now: datetime, idle_minutes: int) -> list[str]:
    """Sockets whose login has ended at `now`: the browser session is gone or idled out, the token
    is gone or expired, or the user was deactivated. Read from the database, so any process finds
    them all, heartbeats or not."""
    idle_since = now - timedelta(minutes=idle_minutes)
    live_session = exists().where(LoginSession.id == AgentPresence.login_id, LoginSession.last_seen_at >= idle_since)
    live_token = exists().where(ApiToken.token_hash == AgentPresence.token_hash, ApiToken.expires_at > now)
    stmt = (
        select(AgentPresence.sid)
        .join(User, User.id == AgentPresence.user_id)
        .where(or_(
            User.active.is_(False),
            and_(AgentPresence.login_id.is_not(None), ~live_session),
            and_(AgentPresence.token_hash.is_not(None), ~live_token),
        ))
    )
    return list(db.session.scalars(stmt))


def sockets_of_login(login_id: str) -> list[str]:
    """The sockets one browser login opened (its other logins' desktops stay connected)."""
    return list(db.session.scalars(select(AgentPresence.sid).where(AgentPresence.login_id == login_id)))


def forget(sids: list[str]) -> None:
    """Drop these sockets' rows: they are being closed, and a process that died leaves them behind."""
    if sids:
        db.session.execute(delete(AgentPresence).where(AgentPresence.sid.in_(sids)))
        db.session.commit()


def heartbeat(sid: str) -> None:
    db.session.execute(update(AgentPresence).where(AgentPresence.sid == sid).values(last_seen_at=utcnow()))
    db.session.commit()


def mark_offline(sid: str) -> None:
    forget([sid])


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


def _floor_statement(with_busy: bool):
    """Built once: constructing this select took longer than running it (the webhook asks per call)."""
    target = func.coalesce(func.nullif(User.reach_address, ""), User.username)
    heard_from = exists().where(AgentPresence.user_id == User.id, AgentPresence.last_seen_at >= bindparam("heard_since"))
    columns = [User.id, User.role, User.reach_kind, target, heard_from]
    if with_busy:
        # IN over one uncorrelated subquery (ix_calls_status_agent): the live calls are read once.
        holders = select(Call.agent_id).where(
            Call.status.in_(LIVE_STATUSES), Call.agent_id.is_not(None), Call.started_at >= bindparam("live_since"))
        columns.append(User.id.in_(holders))
    return (
        select(*columns)
        .where(User.active.is_(True), User.id.in_(select(AgentPresence.user_id)))
        .order_by(User.id)
    )


_FLOOR = _floor_statement(with_busy=False)
_FLOOR_WITH_BUSY = _floor_statement(with_busy=True)


def connected_users(ttl_seconds: int, now: datetime, *, busy_stale_hours: int | None = None) -> list[ConnectedUser]:
    """Every active user with a socket row, by id, in one query: each is a recipient of a pop sent
    to everyone (every socket is in the broadcast room), and routing rings the `online` ones.

    With `busy_stale_hours`, the same query also tells who holds a call that has not ended (claimed
    or answered, and not older than that without a final status): the webhook reads the floor once.
    """
    heard_since = now - timedelta(seconds=ttl_seconds)
    if busy_stale_hours is None:
        rows = db.session.execute(_FLOOR, {"heard_since": heard_since})
    else:
        rows = db.session.execute(_FLOOR_WITH_BUSY, {
            "heard_since": heard_since, "live_since": now - timedelta(hours=busy_stale_hours)})
    return [ConnectedUser(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]) if len(row) > 5 else False)
            for row in rows]


def sockets_of(user_id: int) -> list[str]:
    """Every socket a user has open, on any server process."""
    return list(db.session.scalars(select(AgentPresence.sid).where(AgentPresence.user_id == user_id)))
