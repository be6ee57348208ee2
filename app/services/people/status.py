"""Agents' status (SPEC §11): available or away as they choose, on a call, wrapping one up, or
offline, as their calls and their desktops say. Kept in the database (the chosen status on the
user, presence on its socket rows), so every server process reads the same.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_

from app.extensions import db
from app.models import CHOSEN_STATUSES, User, isoformat
from app.realtime import push
from app.services.errors import InvalidInput
from app.services.people.presence import ConnectedUser, Work, read_user, select_params, users_select

# Shown in the list of agents: agents, and anyone else who made themselves available.
_AGENTS = (
    users_select(with_work=True)
    .where(User.active.is_(True), or_(User.role == "agent", User.status == "available"))
    .order_by(User.display_name, User.id)
)
_ONE = users_select(with_work=True).where(User.id == bindparam("user_id"))


def agents(ttl_seconds: int, work: Work, now: datetime) -> list[ConnectedUser]:
    """Every active agent (and any supervisor or admin who made themselves available), by name,
    each with their state as of `now`: one query."""
    return [read_user(row) for row in db.session.execute(_AGENTS, select_params(ttl_seconds, now, work))]


def state_of(user_id: int, ttl_seconds: int, work: Work, now: datetime) -> ConnectedUser | None:
    row = db.session.execute(_ONE, {"user_id": user_id, **select_params(ttl_seconds, now, work)}).first()
    return read_user(row) if row is not None else None


def choose(user: User, status: object, now: datetime) -> None:
    """The user says they are available or away; commits. Anything else is refused, naming it."""
    if status not in CHOSEN_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(CHOSEN_STATUSES)}, got {status!r}",
                           {"status": [f"must be one of: {', '.join(CHOSEN_STATUSES)}"]})
    user.status = status
    user.status_at = now
    db.session.commit()


def shown(user: ConnectedUser, work: Work, now: datetime) -> dict:
    """A user's status as the list of agents and the `agent_status` event show it. `until`: when
    a wrap-up ends by itself (they may save it sooner)."""
    until = None
    if user.state == "wrap_up" and user.wrap_ended_at is not None:
        until = isoformat(user.wrap_ended_at + timedelta(seconds=work.wrapup_seconds))
    return {"id": user.id, "name": user.name, "status": user.state, "chosen": user.chosen_status,
            "call_sid": user.call_sid, "until": until,
            "at": isoformat(now)}


def work_of(config) -> Work:
    """The Work the app's `settings()` describe."""
    return Work(config.calls.stale_call_hours, config.routing.wrapup_seconds)


def announce(user_ids, config, now: datetime) -> None:
    """Tell supervisors (and the agents themselves) the status of these users as it is now:
    after a change committed to it (their choice, a call taken, ended or wrapped up, a desktop
    opened or closed)."""
    work = work_of(config)
    for user_id in dict.fromkeys(i for i in user_ids if i is not None):
        user = state_of(user_id, config.calls.presence_ttl_seconds, work, now)
        if user is not None:
            push.agent_status(shown(user, work, now))


def watch_all(user: User, watch: bool) -> None:
    """The user's desktop shows every call, or only those in their audience; commits."""
    user.watch_all = bool(watch)
    db.session.commit()
