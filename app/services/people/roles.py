"""The one role rule: each role can do everything the roles before it can (agent < supervisor < admin).

API guards, pages, services and templates all ask `has_role`; nothing else ranks roles.
"""
from __future__ import annotations

from app.models import ROLES

ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


def check_role_name(role: str) -> str:
    """A role a guard is written for; a misspelt one is a programming error, caught at import."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")
    return role


def has_role(user, role: str) -> bool:
    """True when `user` (anything with a `.role`) is at `role` or above; an unknown role on either
    side is never enough."""
    user_role = getattr(user, "role", None)
    if user_role not in ROLE_RANK or role not in ROLE_RANK:
        return False
    return ROLE_RANK[user_role] >= ROLE_RANK[role]


def is_demotion(old_role: str, new_role: str) -> bool:
    """True when moving someone from `old_role` to `new_role` takes rights away."""
    return ROLE_RANK[new_role] < ROLE_RANK[old_role]


def may_assign(user, assignee_id: int | None, current_id: int | None) -> bool:
    """The assignment rule for work someone owns (a complaint, a follow-up): agents take it for
    themselves or give back their own; only supervisors and admins give it to someone else.
    Leaving it with whoever has it is always fine."""
    if has_role(user, "supervisor") or assignee_id == current_id or assignee_id == user.id:
        return True
    return assignee_id is None and current_id == user.id
