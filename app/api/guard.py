"""The API's guards, set on each blueprint: who is calling, and whether the body is JSON.

API clients send `Authorization: Bearer <token>`. The agent desktop, served from the same origin,
calls with its session cookie instead; a cookie is sent by the browser on its own, so a request
that changes something must also carry the page's CSRF token in `X-CSRFToken`. Bearer requests
need no CSRF token: no browser attaches that header for another site.
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf

from app.errors import error_response
from app.models import User, utcnow
from app.services.errors import Forbidden
from app.services.people import accounts, roles

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def api_user() -> User:
    """The user this API request acts for; set by `require_api_user` before any protected view."""
    return g.api_user


def _unauthorized(message: str):
    return error_response(401, message, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def _csrf_token() -> str | None:
    for header in current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"]):
        if request.headers.get(header):
            return request.headers[header]
    return None


def require_api_user():
    """A bearer token, or a logged-in browser session (with a CSRF token for anything unsafe)."""
    header = request.headers.get("Authorization")
    if header is not None:
        # Explicit credentials decide alone: a bad token is refused even beside a good cookie.
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("use Authorization: Bearer <token>")
        user = accounts.user_for_token(token.strip(), now=utcnow())
        if user is None:
            return _unauthorized("the token is invalid or has expired")
        g.api_user = user
        return None
    if not current_user.is_authenticated:
        return _unauthorized("authentication required: send Authorization: Bearer <token>")
    if not current_user.active:
        # Deactivated while logged in: the session's cookie stops working at once, like its tokens.
        return _unauthorized("this account has been deactivated")
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(_csrf_token())
        except ValidationError as exc:
            return error_response(403, f"CSRF check failed: {exc.args[0] if exc.args else 'bad token'}",
                                  code="csrf_failed")
    g.api_user = current_user._get_current_object()
    return None


def require_json_body():
    """A body, when there is one, must be JSON: a form post is refused, not read as empty."""
    if request.method not in BODY_METHODS:
        return None
    has_body = bool(request.content_length) or bool(request.mimetype) or request.headers.get("Transfer-Encoding")
    if has_body and not request.is_json:
        return error_response(415, f"send JSON (Content-Type: application/json), not {request.mimetype or 'no type'}")
    return None


def require_role(role: str):
    """A view decorator: only users at `role` or above (agent < supervisor < admin) get in.

    Put it first, above flask-smorest's decorators (under the route's own on a function view), so
    the role is checked before the body is read: a user without it learns nothing from a 422. The
    user is already known, because `protect` runs before any view of the blueprint.
    """
    roles.check_role_name(role)

    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            user = api_user()
            if not roles.has_role(user, role):
                raise Forbidden(f"this needs the {role} role; you are {user.role}")
            return view(*args, **kwargs)

        return checked

    return decorator


def require_known_role():
    """Every user of the API has one of the roles; a row with anything else gets nowhere."""
    user = g.get("api_user")
    if user is not None and user.role not in roles.ROLE_RANK:
        return error_response(403, f"unknown role {user.role!r}", code="forbidden")
    return None


def public(bp) -> None:
    """Guards for a blueprint anyone may call (getting a token)."""
    bp.before_request(require_json_body)


def protect(bp) -> None:
    """Guards for a blueprint that needs a user: authentication first, a role, then the body check.

    Every role may use what `protect` alone guards; views that need more use `require_role`.
    """
    bp.before_request(require_api_user)
    bp.before_request(require_known_role)
    bp.before_request(require_json_body)
