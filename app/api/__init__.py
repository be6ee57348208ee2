"""JSON API (`/api/v1`, SPEC §6) for integrations and the agent desktop, built with flask-smorest.

`GET /api/v1/openapi.json` is generated from the blueprints and schemas registered here. Each
blueprint carries its own guard (see `guard`); errors are answered by `app/errors.py`.
"""
from __future__ import annotations

import flask_smorest
from flask import Flask

from app.schemas.common import ErrorSchema


class Api(flask_smorest.Api):
    """flask-smorest's Api, minus its error handler: our `{"error": {...}}` format is the contract."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        # flask-smorest would answer HTTP errors as {"code", "status", "errors"}; app/errors.py
        # answers every error of the app, API ones included, in SPEC §6's shape instead.
        return None


def _security_schemes(app: Flask) -> dict:
    return {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A token from POST /api/v1/auth/token."},
        "sessionCookie": {
            "type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME", "session"),
            "description": "The agent desktop's login; POST, PATCH and DELETE also need X-CSRFToken.",
        },
    }


def register_api(app: Flask) -> Api:
    from app.api import audit, calls, care, customers, imports, insight, routing, tokens, users, voice
    from app.converters import IdConverter, id_parameter_schema
    from app.extensions import csrf

    api = Api(app, spec_kwargs={"security": [{"bearerAuth": []}, {"sessionCookie": []}]})
    api.register_converter(IdConverter, id_parameter_schema)
    for name, scheme in _security_schemes(app).items():
        api.spec.components.security_scheme(name, scheme)
    for bp in (tokens.bp, customers.bp, calls.bp, care.bp, users.bp, routing.bp, imports.bp, audit.bp, insight.bp,
               voice.bp):
        # Tokens and the CSRF header check in `guard` protect these; the form CSRF check does not fit.
        csrf.exempt(bp)
        api.register_blueprint(bp)
    return api
