"""Routing's part of the API (SPEC §11): your own status and settings, the agents' status for
supervisors, and the line of waiting callers.

Each change commits in its service, then is told: supervisors hear the status (`agent_status`),
and an agent who became available may be sent the first caller in line.
"""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api import guard
from app.api.guard import api_user
from app.models import User, utcnow
from app.realtime import push
from app.schemas.common import Annotated
from app.schemas.routing import (
    AgentListSchema,
    MeSchema,
    MeUpdateSchema,
    QueueSchema,
    StatusChoiceSchema,
    StatusSchema,
)
from app.services import privacy
from app.services.calls import dispatcher, queue
from app.services.people import presence, status
from app.settings import settings

bp = Blueprint("api_routing", __name__, url_prefix="/api/v1", description="Agents' status, and the queue.")
guard.protect(bp)


def _state(user: User):
    config = settings()
    return status.state_of(user.id, config.calls.presence_ttl_seconds, status.work_of(config), utcnow())


def me_json(user: User) -> Annotated:
    """The user as GET /api/v1/me shows them: with their status and routing settings."""
    state = _state(user)
    return Annotated(user, online=state.online, status=state.chosen_status, state=state.state, call_sid=state.call_sid)


@bp.put("/me/status")
@bp.arguments(StatusChoiceSchema)
@bp.response(200, StatusSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def put_status(data: dict):
    """Say you are available or away (SPEC §11): only available agents are offered calls."""
    user = api_user()
    status.choose(user, data["status"], utcnow())
    status.announce([user.id], settings(), utcnow())
    if data["status"] == "available":
        dispatcher.agent_freed()
    return me_json(user)


@bp.patch("/me")
@bp.arguments(MeUpdateSchema)
@bp.response(200, MeSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def patch_me(data: dict):
    """Watch every call (`watch_all`), or only those offered to you."""
    user = api_user()
    status.watch_all(user, data["watch_all"])
    sockets = presence.sockets_of(user.id)
    push.join_rooms(sockets, push.WATCHERS, joined=user.watch_all)
    if privacy.sees_masked(user):
        push.join_rooms(sockets, push.MASKED_WATCHERS, joined=user.watch_all)
    return me_json(user)


@bp.get("/agents")
@guard.require_role("supervisor")
@bp.response(200, AgentListSchema)
@bp.alt_response(403, response="FORBIDDEN")
def list_agents():
    """Every agent's status now (supervisors and admins): available, away, on_call, wrap_up, offline."""
    config, now = settings(), utcnow()
    work = status.work_of(config)
    return {"items": [status.shown(u, work, now) for u in status.agents(config.calls.presence_ttl_seconds, work, now)]}


@bp.get("/queue")
@bp.response(200, QueueSchema)
def list_queue():
    """The callers waiting in line, in the order they will be moved to agents (tier, then wait)."""
    return {"items": queue.items(utcnow(), settings().calls.region, masked=privacy.sees_masked(api_user()))}
