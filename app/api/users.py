"""`/api/v1/me` for everyone, and `/api/v1/users`: the admin manages who may use KnownCaller.

Deactivating a user cuts them off at once: the service revokes their tokens and the view, after
the commit, disconnects every socket they have open (on any server process, through the queue).
"""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import guard
from app.api.guard import api_user
from app.models import User, utcnow
from app.realtime import push
from app.schemas.common import Annotated
from app.schemas.people import UserCreateSchema, UserListSchema, UserSchema, UserUpdateSchema
from app.schemas.routing import MeSchema
from app.services.people import presence, users
from app.settings import settings

bp = Blueprint("api_users", __name__, url_prefix="/api/v1", description="Who is calling the API, and users.")
guard.protect(bp)

USER_URL = "/users/<id:user_id>"


def user_json(user: User, online_ids: set[int]) -> Annotated:
    """A user as the API shows them (UserSchema): and whether a desktop of theirs is online."""
    return Annotated(user, online=user.id in online_ids)


def _online() -> set[int]:
    return users.online_ids(settings().calls.presence_ttl_seconds, utcnow())


@bp.get("/me")
@bp.response(200, MeSchema)
def me():
    """The user making this request (the pages read the role from here), with their status and
    routing settings (SPEC §11)."""
    from app.api.routing import me_json

    return me_json(api_user())


@bp.route("/users")
class UserList(MethodView):
    @guard.require_role("admin")
    @bp.response(200, UserListSchema)
    @bp.alt_response(403, response="FORBIDDEN")
    def get(self):
        """Every user, by username (admins)."""
        online = _online()
        return {"items": [user_json(user, online) for user in users.list_users()]}

    @guard.require_role("admin")
    @bp.arguments(UserCreateSchema)
    @bp.response(201, UserSchema)
    @bp.alt_response(403, response="FORBIDDEN")
    @bp.alt_response(409, response="CONFLICT")
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, data: dict):
        """Create a user (admins); a phone `reach_address` is stored in E.164."""
        user = users.create_user(region=settings().calls.region, created_by_id=api_user().id, **data)
        return user_json(user, set()), {"Location": url_for("api_users.UserDetail", user_id=user.id)}


@bp.route(USER_URL)
class UserDetail(MethodView):
    @guard.require_role("admin")
    @bp.response(200, UserSchema)
    @bp.alt_response(403, response="FORBIDDEN")
    @bp.alt_response(404, response="NOT_FOUND")
    def get(self, user_id: int):
        """One user (admins)."""
        return user_json(users.get_user(user_id), _online())

    @guard.require_role("admin")
    @bp.arguments(UserUpdateSchema)
    @bp.response(200, UserSchema)
    @bp.alt_response(403, response="FORBIDDEN")
    @bp.alt_response(404, response="NOT_FOUND")
    @bp.alt_response(409, response="CONFLICT")
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def patch(self, changes: dict, user_id: int):
        """Change a user (admins): rename, set the role, reset the password, set how calls reach
        them, or deactivate them (`"active": false`), which cuts them off at once."""
        change = users.update_user(user_id, changes, acting_user_id=api_user().id,
                                   region=settings().calls.region)
        if change.deactivated or "password" in changes or "role" in changes:
            # Their logins and tokens are gone; so go their sockets, at once, on every process. A
            # new role changes the calls they may see (SPEC §11): their desktop reconnects into
            # the rooms of the new one.
            push.disconnect_sockets(presence.sockets_of(change.user.id))
        return user_json(change.user, _online())
