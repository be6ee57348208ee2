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


# A user's state (SPEC §11): what they chose, unless their calls or their absence say otherwise.
AVAILABLE, AWAY, ON_CALL, WRAP_UP, OFFLINE = "available", "away", "on_call", "wrap_up", "offline"
STATES = (AVAILABLE, AWAY, ON_CALL, WRAP_UP, OFFLINE)
STAFF_ROLES = ("supervisor", "admin")


@dataclass(frozen=True)
class ConnectedUser:
    """An active user, as a call's routing and delivery see them (`connected_users`), or as the
    list of agents does (`app.services.people.status`)."""

    id: int
    role: str
    reach_kind: str
    reach_target: str  # where the provider dials them: the reach address, or the username
    online: bool  # a desktop of theirs was heard from within the presence TTL
    name: str = ""
    chosen: str | None = None  # users.status: available, away, or None (never chose)
    watch_all: bool = False
    live_call_sid: str | None = None  # a call they hold that has not ended, or one moved to them from the line
    wrap_call_sid: str | None = None  # a call of theirs that ended within WRAPUP_SECONDS, not wrapped up
    wrap_ended_at: datetime | None = None

    @property
    def busy(self) -> bool:
        return self.live_call_sid is not None

    @property
    def staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def chosen_status(self) -> str:
        """As they chose; never having chosen, an agent is available and a supervisor or admin away."""
        if self.chosen in (AVAILABLE, AWAY):
            return self.chosen
        return AVAILABLE if self.role == "agent" else AWAY

    @property
    def state(self) -> str:
        if not self.online:
            return OFFLINE
        if self.live_call_sid is not None:
            return ON_CALL
        if self.wrap_call_sid is not None:
            return WRAP_UP
        return self.chosen_status

    @property
    def offerable(self) -> bool:
        """May be offered a call now: available, online, not on a call nor wrapping one up."""
        return self.state == AVAILABLE

    @property
    def call_sid(self) -> str | None:
        return self.live_call_sid or self.wrap_call_sid

    @property
    def dial_target(self) -> tuple[int, str, str]:
        return (self.id, self.reach_kind, self.reach_target)

    @classmethod
    def of(cls, user: User) -> "ConnectedUser":
        """A user whose socket is connecting right now."""
        return cls(user.id, user.role, user.reach_kind, user.reach_target, online=True, name=user.display_name,
                   chosen=user.status, watch_all=user.watch_all)


def user_columns(*, with_work: bool) -> list:
    """The columns a ConnectedUser is read from, in its field order; `with_work`: also the call
    each holds and the one each is wrapping up (parameters `live_since`, `wrap_since`)."""
    target = func.coalesce(func.nullif(User.reach_address, ""), User.username)
    heard_from = exists().where(AgentPresence.user_id == User.id, AgentPresence.last_seen_at >= bindparam("heard_since"))
    columns = [User.id, User.role, User.reach_kind, target, heard_from, User.display_name, User.status, User.watch_all]
    if with_work:
        # Per user, along an index each: ix_calls_status_agent for the live call, ix_calls_agent_ended
        # for the wrap-up (an agent's ended calls, newest first, stop at the window).
        held = (select(Call.call_sid)
                .where(Call.status.in_(LIVE_STATUSES), Call.agent_id == User.id, Call.started_at >= bindparam("live_since"))
                .order_by(Call.started_at.desc()).limit(1))
        wrapping = (select(Call.call_sid)
                    .where(Call.agent_id == User.id, Call.ended_at >= bindparam("wrap_since"), Call.disposition.is_(None))
                    .order_by(Call.ended_at.desc()).limit(1))
        wrap_end = wrapping.with_only_columns(Call.ended_at)
        # A caller on the way to them from the line (ix_calls_queue_agent) keeps them as busy as a
        # call they hold: it rings them until they answer it or it goes back in line.
        coming = (select(Call.call_sid)
                  .where(Call.queue_agent_id == User.id, Call.queue_state.in_(("moving", "moved")),
                         Call.status.in_(LIVE_STATUSES), Call.agent_id.is_(None))
                  .limit(1))
        columns += [func.coalesce(held.correlate(User).scalar_subquery(), coming.correlate(User).scalar_subquery()),
                    wrapping.correlate(User).scalar_subquery(), wrap_end.correlate(User).scalar_subquery()]
    return columns


def _floor_statement(with_work: bool):
    """Built once: constructing this select took longer than running it (the webhook asks per call)."""
    return (
        select(*user_columns(with_work=with_work))
        .where(User.active.is_(True), User.id.in_(select(AgentPresence.user_id)))
        .order_by(User.id)
    )


_FLOOR = _floor_statement(with_work=False)
_FLOOR_WITH_WORK = _floor_statement(with_work=True)


def read_user(row) -> ConnectedUser:
    return ConnectedUser(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6], bool(row[7]),
                         *(row[8:11] if len(row) > 8 else ()))


@dataclass(frozen=True)
class Work:
    """How long a call may go without a final status and still be held (STALE_CALL_HOURS), and how
    long an agent wraps up after one (WRAPUP_SECONDS)."""

    stale_hours: int
    wrapup_seconds: int

    def params(self, now: datetime) -> dict:
        return {"live_since": now - timedelta(hours=self.stale_hours),
                "wrap_since": now - timedelta(seconds=self.wrapup_seconds)}


def connected_users(ttl_seconds: int, now: datetime, *, work: Work | None = None) -> list[ConnectedUser]:
    """Every active user with a socket row, by id, in one query: a call's audience is drawn from
    them, and routing offers calls to the `offerable` ones.

    With `work`, the same query also tells who holds a call that has not ended and who is wrapping
    one up: the webhook reads the floor once.
    """
    params = {"heard_since": now - timedelta(seconds=ttl_seconds)}
    if work is None:
        rows = db.session.execute(_FLOOR, params)
    else:
        rows = db.session.execute(_FLOOR_WITH_WORK, {**params, **work.params(now)})
    return [read_user(row) for row in rows]


def user_of(sid: str) -> int | None:
    return db.session.scalar(select(AgentPresence.user_id).where(AgentPresence.sid == sid))


def sockets_of(user_id: int) -> list[str]:
    """Every socket a user has open, on any server process."""
    return list(db.session.scalars(select(AgentPresence.sid).where(AgentPresence.user_id == user_id)))
