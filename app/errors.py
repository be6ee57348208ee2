"""One place that turns errors into answers: JSON for the API, pages for people.

Webhooks catch their own failures (they must always answer TwiML), so nothing here is for them.
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


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, code: str | None = None, fields: dict | None = None):
    body: dict = {"code": code or HTTP_CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


def register_errorhandlers(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_response(exc.status, exc.message, exc.code, exc.fields)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            fields = None
            # webargs/flask-smorest put field errors in exc.data["messages"]
            data = getattr(exc, "data", None) or {}
            messages = data.get("messages") if isinstance(data, dict) else None
            if messages:
                fields = {}
                for location in messages.values():
                    fields.update(location if isinstance(location, dict) else {"_": location})
            message = data.get("message") if isinstance(data, dict) and data.get("message") else exc.description
            if fields and exc.code == 422:
                message = "invalid input: " + ", ".join(sorted(fields))
            return error_response(exc.code or 500, message, fields=fields)
        return render_template("error.html", code=exc.code, message=exc.description), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        if wants_json():
            return error_response(500, "internal error")
        return render_template("error.html", code=500, message="Something went wrong."), 500
