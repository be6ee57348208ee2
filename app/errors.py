"""One place that turns errors into answers: JSON for the API, pages for people.

The API's shape is `{"error": {"code", "message", "fields"?}}` (SPEC §6), whoever raised it: a
domain error from a service, an HTTP error from Werkzeug or the API guard, or webargs refusing a
request body. Webhooks catch their own failures (they must always answer TwiML), so nothing here is
for them.
"""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from app.services.errors import DomainError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "too_many_requests", 500: "internal_error", 503: "unavailable",
}
# Headers an HTTP error carries that a JSON answer must keep (the rest describe the HTML body).
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, code: str | None = None, fields: dict | None = None,
                   headers: dict | None = None):
    body: dict = {"code": code or HTTP_CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status, headers or {}


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors as dotted paths: {"phones": {1: [...]}} -> {"phones.1": [...]}."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = "" if key == "_schema" else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
        return flat
    if isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        return {prefix or "body": list(messages)}
    if isinstance(messages, (list, tuple)):
        flat = {}
        for value in messages:
            flat.update(_flatten(value, prefix))
        return flat
    return {prefix or "body": [str(messages)]}


def _webargs_errors(exc: HTTPException) -> dict[str, list[str]]:
    """The field errors webargs (through flask-smorest) puts in `exc.data["messages"]`, by field."""
    data = getattr(exc, "data", None)
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, dict):
        return {}
    fields: dict[str, list[str]] = {}
    for location, errors in messages.items():
        for name, found in _flatten(errors).items():
            # A body that is not a JSON object is a problem of the body, not of a field named "body".
            fields.setdefault(location if name == "body" else name, []).extend(found)
    return fields


def api_http_error(exc: HTTPException):
    status = exc.code or 500
    fields = _webargs_errors(exc)
    data = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) and data.get("message") else exc.description
    if status == 400 and fields:
        # webargs' "Invalid JSON body.": one message, no field is to blame.
        message = "; ".join(m for messages in fields.values() for m in messages)
        fields = {}
    elif fields:
        message = "; ".join(f"{name}: {messages[0]}" for name, messages in fields.items())
    headers = {k: v for k, v in exc.get_headers() if k in KEPT_HEADERS}
    return error_response(status, message, fields=fields or None, headers=headers)


def register_errorhandlers(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_response(exc.status, exc.message, exc.code, exc.fields)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return api_http_error(exc)
        return render_template("error.html", code=exc.code, message=exc.description), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        if wants_json():
            return error_response(500, "internal error")
        return render_template("error.html", code=500, message="Something went wrong."), 500
