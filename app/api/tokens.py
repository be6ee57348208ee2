"""`POST /api/v1/auth/token`: trade a username and password for a bearer token."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from werkzeug.exceptions import Unauthorized

from app.api import guard
from app.api.schemas import TokenRequestSchema, TokenSchema
from app.services import accounts

bp = Blueprint("api_tokens", __name__, url_prefix="/api/v1/auth", description="Bearer tokens for API clients.")
guard.public(bp)


@bp.post("/token")
@bp.doc(security=[])
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
def issue_token(credentials: dict):
    """Issue a token for `Authorization: Bearer <token>`; it expires after API_TOKEN_TTL_HOURS."""
    user = accounts.authenticate(credentials["username"], credentials["password"])
    if user is None:
        raise Unauthorized("wrong username or password")
    plain, token = accounts.issue_token(user, current_app.config["API_TOKEN_TTL_HOURS"])
    return {"token": plain, "expires_at": token.expires_at}
