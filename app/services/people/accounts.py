"""Users, passwords and API tokens."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from app.extensions import db
from app.models import REACH_KINDS, ROLES, ApiToken, User, utcnow
from app.services.errors import Conflict, InvalidInput


def create_user(
    username: str,
    password: str,
    role: str = "agent",
    display_name: str | None = None,
    reach_kind: str = "client",
    reach_address: str | None = None,
) -> User:
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["required"]
    if len(password or "") < 8:
        errors["password"] = ["at least 8 characters"]
    if role not in ROLES:
        errors["role"] = [f"one of {', '.join(ROLES)}"]
    if reach_kind not in REACH_KINDS:
        errors["reach_kind"] = [f"one of {', '.join(REACH_KINDS)}"]
    if errors:
        raise InvalidInput("; ".join(f"{k}: {v[0]}" for k, v in errors.items()), errors)
    if db.session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists", {"username": ["taken"]})
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        reach_kind=reach_kind,
        reach_address=reach_address,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def issue_token(user: User, ttl_hours: int, now: datetime | None = None) -> tuple[str, ApiToken]:
    """A new bearer token; the plain text is returned once and only its hash is kept."""
    plain = secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=ApiToken.hash(plain), expires_at=(now or utcnow()) + timedelta(hours=ttl_hours))
    db.session.add(token)
    db.session.commit()
    return plain, token


# Every API request with a token, and every heartbeat of a socket opened with one, asks: one
# statement, built once (the token read and then its user loaded lazily were two round trips).
_USER_FOR_TOKEN = (select(User).join(ApiToken, ApiToken.user_id == User.id)
                   .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.expires_at > bindparam("now"),
                          User.active.is_(True)))


def user_for_token(plain: str | None, *, now: datetime) -> User | None:
    """The active owner of a token that has not expired at `now`."""
    if not plain or not isinstance(plain, str):
        return None
    return db.session.scalar(_USER_FOR_TOKEN, {"token_hash": ApiToken.hash(plain), "now": now})
