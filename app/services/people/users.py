"""Managing the people who use KnownCaller: the admin's user page and `/api/v1/users`.

Plain functions over `User`; `accounts` keeps passwords and tokens. Deactivating someone must cut
them off at once: their tokens are revoked here, and the caller disconnects their sockets (through
`app.realtime.push`) once this has committed, using `UserChange.deactivated`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import delete, select

from app.extensions import db
from app.models import REACH_KINDS, ROLES, ApiToken, LoginSession, User
from app.services import phone_numbers, validation
from app.services.errors import Conflict, NotFound
from app.services.people import audit, presence, roles
from app.services.validation import FieldErrors

USER_FIELDS = frozenset({"display_name", "role", "active", "password", "reach_kind", "reach_address"})
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


@dataclass
class UserChange:
    user: User
    deactivated: bool  # the user was active and is not any more: disconnect their sockets


def _password(errors: FieldErrors, value: Any) -> str | None:
    if not isinstance(value, str) or "\x00" in value:
        errors.add("password", "must be text")
        return None
    if not MIN_PASSWORD_LENGTH <= len(value) <= MAX_PASSWORD_LENGTH:
        errors.add("password", f"between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH} characters")
        return None
    return value


def reach_address_for(kind: Any, address: Any, region: str, errors: FieldErrors) -> str | None:
    """Where the provider dials a user: a phone number (stored E.164), a `sip:` URI, or a Twilio
    Client identity (none means the username)."""
    if validation.choice(errors, "reach_kind", kind, REACH_KINDS) is None:
        return None
    address = validation.text(errors, "reach_address", address, required=kind != "client")
    if address is None:
        return None
    if kind == "phone":
        e164 = phone_numbers.normalize(address, region)
        if e164 is None:
            errors.add("reach_address", f"{address!r} is not a valid phone number (region {region})")
        return e164
    if kind == "sip" and (not address.lower().startswith("sip:") or len(address) <= 4 or " " in address):
        errors.add("reach_address", f"{address!r} is not a SIP address (sip:agent@example.com)")
        return None
    return address


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id) if validation.is_id(user_id) else None
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def online_ids(ttl_seconds: int, now: datetime) -> set[int]:
    """Ids of the users with a desktop heard from within `ttl_seconds`."""
    return {user.id for user in presence.connected_users(ttl_seconds, now) if user.online}


def create_user(
    username: str,
    password: str,
    *,
    region: str,
    created_by_id: int | None = None,
    role: str = "agent",
    display_name: str | None = None,
    reach_kind: str = "client",
    reach_address: str | None = None,
) -> User:
    """A new user, however they are created (admin page, API, `flask users create`, demo logins):
    every field checked, a taken username a Conflict, the creation on the audit trail."""
    errors = FieldErrors()
    username = validation.text(errors, "username", username, required=True)
    _password(errors, password)
    validation.choice(errors, "role", role, ROLES)
    display_name = validation.text(errors, "display_name", display_name, required=False)
    reach_address = reach_address_for(reach_kind, reach_address, region, errors)
    taken = username is not None and db.session.scalar(select(User.id).where(User.username == username)) is not None
    if taken and not errors.fields:
        raise Conflict(f"user {username!r} already exists", {"username": ["taken"]})
    if taken:  # named with the other problems, not after they are fixed
        errors.add("username", "taken")
    errors.raise_if_any()
    user = User(username=username, display_name=display_name or username, role=role, reach_kind=reach_kind,
                reach_address=reach_address)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(created_by_id, "user_changed", detail=f"user {user.id} ({user.username}) created as {role}",
                 commit=False)
    db.session.commit()
    return user


def update_user(user_id: int, changes: Mapping[str, Any], *, acting_user_id: int, region: str) -> UserChange:
    """Change the fields sent. A new password or a deactivation ends the user's API tokens and
    browser logins; the change is on the audit trail (which fields, never their values).

    An admin cannot deactivate or demote themselves (Conflict): someone must remain to undo it.
    """
    validation.refuse_unknown(changes, USER_FIELDS)
    user = get_user(user_id)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    if "display_name" in changes:
        values["display_name"] = validation.text(errors, "display_name", changes["display_name"], required=True)
    if "role" in changes:
        values["role"] = validation.choice(errors, "role", changes["role"], ROLES)
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            errors.add("active", "must be true or false")
        values["active"] = changes["active"]
    password = _password(errors, changes["password"]) if "password" in changes else None
    if "reach_kind" in changes or "reach_address" in changes:
        # The two are checked together: a phone needs a number, SIP a sip: URI.
        kind = changes.get("reach_kind", user.reach_kind)
        address = changes["reach_address"] if "reach_address" in changes else (
            user.reach_address if kind == user.reach_kind else None)
        values["reach_kind"] = kind
        values["reach_address"] = reach_address_for(kind, address, region, errors)
    errors.raise_if_any()
    if user.id == acting_user_id:
        if values.get("active") is False:
            raise Conflict("you cannot deactivate your own account; ask another admin",
                           {"active": ["cannot deactivate yourself"]})
        if "role" in values and roles.is_demotion(user.role, values["role"]):
            raise Conflict(f"you cannot demote yourself from {user.role}; ask another admin",
                           {"role": ["cannot demote yourself"]})

    deactivated = user.active and values.get("active") is False
    for field, value in values.items():
        setattr(user, field, value)
    if password is not None:
        user.set_password(password)
    if password is not None or deactivated:
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    changed = sorted(set(values) | ({"password"} if password is not None else set()))
    audit.record(acting_user_id, "user_changed", detail=f"user {user.id} ({user.username}): {', '.join(changed)}",
                 commit=False)
    db.session.commit()
    return UserChange(user, deactivated)


__all__ = ["UserChange", "create_user", "get_user", "list_users", "online_ids", "reach_address_for", "update_user"]


def active_user(errors: FieldErrors, field: str, value: Any) -> User | None:
    """The active user a form names by id (who owns a complaint or a follow-up), or None when it
    names none; an unknown or deactivated one is added to `errors` under `field`."""
    if value is None:
        return None
    user = db.session.get(User, value) if validation.is_id(value) else None
    if user is None or not user.active:
        errors.add(field, f"{value!r} is not an active user")
        return None
    return user
