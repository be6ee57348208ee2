"""`POST /api/v1/auth/token`: trade a username and password for a bearer token."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from werkzeug.exceptions import TooManyRequests, Unauthorized

from app.api import guard
from app.models import utcnow
from app.schemas.people import TokenRequestSchema, TokenSchema
from app.services.people import accounts, sessions
from app.settings import settings

bp = Blueprint("api_tokens", __name__, url_prefix="/api/v1/auth", description="Bearer tokens for API clients.")
guard.public(bp)


@bp.post("/token")
@bp.doc(security=[])
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
def issue_token(credentials: dict):
    """Issue a token for `Authorization: Bearer <token>`; it expires after API_TOKEN_TTL_HOURS.

    Failed attempts count against the same per-user and per-address limits as the login form.
    """
    username = credentials["username"]
    wait = sessions.retry_after(username, request.remote_addr, settings().people.login_throttle,
                                     now=utcnow())
    if wait is not None:
        raise TooManyRequests(f"too many failed logins; try again in {wait} seconds", retry_after=wait)
    user = accounts.authenticate(username, credentials["password"])
    if user is None:
        sessions.record_failure(username, request.remote_addr, now=utcnow())
        raise Unauthorized("wrong username or password")
    sessions.clear_failures(username, request.remote_addr)
    plain, token = accounts.issue_token(user, settings().people.api_token_ttl_hours)
    return {"token": plain, "expires_at": token.expires_at}
