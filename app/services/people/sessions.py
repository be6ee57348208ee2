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
    """How failed logins are held back, counted over `window` across every server process:

    - one username from one address: `per_user` failures, then that pair waits out the window;
    - one address, whatever the usernames: `per_ip` failures, then it waits out the window;
    - one username from anywhere is never locked out (a stranger's guesses would lock the agent
      out of their own desktop): past `per_user` failures, each attempt must wait twice as long
      after the last failure as the one before, from 1 s up to `max_backoff_seconds`.
    """

    per_user: int
    per_ip: int
    window: timedelta
    max_backoff_seconds: int = 30


def _user_key(username: str) -> str:
    return "user:" + (username or "").strip().lower()[:180]


def _pair_key(username: str, ip: str) -> str:
    return f"pair:{ip[:45]}|" + (username or "").strip().lower()[:140]


def _keys(username: str, ip: str | None) -> list[tuple[str, str]]:
    keys = [("user", _user_key(username))]
    if ip:
        keys += [("pair", _pair_key(username, ip)), ("ip", "ip:" + ip[:45])]
    return keys


def retry_after(username: str, ip: str | None, throttle: Throttle, *, now: datetime) -> int | None:
    """Seconds after `now` until another attempt is allowed, or None when one may be made now."""
    since = now - throttle.window
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
    waits = [0.0]
    for kind, key in _keys(username, ip):
        count, oldest, latest = db.session.execute(
            select(func.count(LoginAttempt.id), func.min(LoginAttempt.at), func.max(LoginAttempt.at))
            .where(LoginAttempt.key == key, LoginAttempt.at >= since)
        ).one()
        if kind == "user":
            if count >= throttle.per_user:
                backoff = min(2 ** (count - throttle.per_user), throttle.max_backoff_seconds)
                waits.append((latest + timedelta(seconds=backoff) - now).total_seconds())
        elif count >= (throttle.per_ip if kind == "ip" else throttle.per_user):
            waits.append((oldest + throttle.window - now).total_seconds())
    db.session.commit()
    wait = max(waits)
    return int(wait) + 1 if wait > 0 else None


def record_failure(username: str, ip: str | None, *, now: datetime) -> None:
    db.session.add_all([LoginAttempt(key=key, at=now) for _, key in _keys(username, ip)])
    db.session.commit()


def clear_failures(username: str, ip: str | None = None) -> None:
    """A login succeeded: forget that username's failures, from everywhere and from this address."""
    keys = [key for kind, key in _keys(username, ip) if kind != "ip"]
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(keys)))
    db.session.commit()
