"""Browser logins kept server-side, and failed-login counters shared by every process.

A login is a row in `login_sessions`; the cookie holds only a random secret whose hash names the
row. Logging out deletes the row, idling past SESSION_IDLE_MINUTES ends it, and a deactivated
user's rows stop counting at once, so a copied cookie dies with the session.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import LoginAttempt, LoginSession, User

# A busy page makes many requests; its session's last_seen is written at most this often.
TOUCH_INTERVAL = timedelta(seconds=60)


def start(user: User, ip: str | None, user_agent: str | None) -> str:
    """Open a login session; returns the secret to keep in the signed cookie."""
    secret = secrets.token_urlsafe(32)
    db.session.add(LoginSession(id=LoginSession.hash(secret), user_id=user.id, ip=(ip or "")[:45] or None,
                                user_agent=(user_agent or "")[:255] or None))
    db.session.commit()
    return secret


def resolve(secret: str | None, user_id: int, idle_minutes: int, *, now: datetime) -> User | None:
    """The user of a live session, refreshing its idle clock; None if it ended or idled out."""
    if not secret or not isinstance(secret, str):
        return None
    row = db.session.get(LoginSession, LoginSession.hash(secret))
    if row is None or row.user_id != user_id or not row.user.active:
        return None
    if row.last_seen_at < now - timedelta(minutes=idle_minutes):
        db.session.delete(row)
        db.session.commit()
        return None
    if row.last_seen_at < now - TOUCH_INTERVAL:
        row.last_seen_at = now
        db.session.commit()
    return row.user


def end(secret: str | None) -> None:
    if secret:
        db.session.execute(delete(LoginSession).where(LoginSession.id == LoginSession.hash(secret)))
        db.session.commit()


def end_all_for(user_id: int) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    db.session.commit()


@dataclass(frozen=True)
class Throttle:
    """Failed logins allowed per window, per username and per client address."""

    per_user: int
    per_ip: int
    window: timedelta


def _keys(username: str, ip: str | None) -> list[tuple[str, str]]:
    keys = [("user", "user:" + (username or "").strip().lower()[:180])]
    if ip:
        keys.append(("ip", "ip:" + ip[:45]))
    return keys


def retry_after(username: str, ip: str | None, throttle: Throttle, *, now: datetime) -> int | None:
    """Seconds after `now` until another attempt is allowed, or None when one may be made now."""
    since = now - throttle.window
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
    limits = {"user": throttle.per_user, "ip": throttle.per_ip}
    wait = None
    for kind, key in _keys(username, ip):
        count, oldest = db.session.execute(
            select(func.count(LoginAttempt.id), func.min(LoginAttempt.at))
            .where(LoginAttempt.key == key, LoginAttempt.at >= since)
        ).one()
        if count >= limits[kind]:
            seconds = int((oldest + throttle.window - now).total_seconds()) + 1
            wait = max(wait or 0, seconds)
    db.session.commit()
    return wait


def record_failure(username: str, ip: str | None, *, now: datetime) -> None:
    db.session.add_all([LoginAttempt(key=key, at=now) for _, key in _keys(username, ip)])
    db.session.commit()


def clear_failures(username: str) -> None:
    key = _keys(username, None)[0][1]
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))
    db.session.commit()
