"""Domain errors. Views translate them into HTTP/JSON in `app/errors.py`; services never abort()."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields


class InvalidInput(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotYourCall(Forbidden):
    """A held call is changed only by its holder, a supervisor or an admin (SPEC §9a)."""

    code = "not_your_call"
