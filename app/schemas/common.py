"""What every schema shares: text a database can hold, times written as ISO 8601 with a Z, row
ids, paging, and the error shape (SPEC §6). Each domain's shapes are in a module beside this one.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Iterator

from flask import g, has_app_context
from marshmallow import Schema, ValidationError, fields, validate
from marshmallow.experimental.context import Context

from app.models import isoformat, utcnow
from app.services.validation import MAX_ID

# Past this, a list page is a dump, not a page.
MAX_PER_PAGE = 100
# Nobody pages this far; it also keeps OFFSET inside what every database accepts.
MAX_PAGE = 1_000_000


@contextmanager
def as_of(now: datetime) -> Iterator[None]:
    """Dump time-dependent fields (a complaint's `overdue`) as of `now`: the pop and a test at a
    fixed time say what was overdue then. Without it, they are as of the moment of dumping."""
    with Context({"now": now}):
        yield


def dump_time() -> datetime:
    """The `now` of the enclosing `as_of`, else the current time."""
    return Context.get({}).get("now") or utcnow()


def masking() -> bool:
    """Whether this request's answer masks numbers (SPEC §13): MASK_NUMBERS is on and the API user
    (`g.api_user`, set by the API guard) is below supervisor. Outside an API request: no."""
    if not has_app_context():
        return False
    user = getattr(g, "api_user", None)
    if user is None:
        return False
    from app.services import privacy

    return privacy.sees_masked(user)


class Annotated:
    """A row with a few values beside it that are not columns (a call's pop, whether a user is
    online), for a schema to dump as one object: `Annotated(call, pop=pop)`."""

    def __init__(self, row, **extra):
        self._row = row
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._row, name)


class _Length(validate.Length):
    def __init__(self, *, min: int | None, max: int | None):  # noqa: A002 (Length's own names)
        super().__init__(min=min, max=max)

    def __call__(self, value):
        size = len(value)
        if self.min is not None and size < self.min:
            raise ValidationError("required" if self.min == 1 else f"at least {self.min} characters")
        if self.max is not None and size > self.max:
            raise ValidationError(f"at most {self.max} characters")
        return value


def length(min: int | None = None, max: int | None = None) -> validate.Length:  # noqa: A002
    """`validate.Length` with messages a person reads beside a form field ("required", "at most
    100 characters"), not marshmallow's "Length must be between 1 and 100."."""
    return _Length(min=min, max=max)


class Text(fields.String):
    """A string that PostgreSQL can store: NUL characters are refused here, not by a 500 later.
    A missing or null required one is "required", as a form says it."""

    default_error_messages = {"required": "required", "null": "required", "invalid": "must be text"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("must not contain NUL characters")
        return text


class Timestamp(fields.DateTime):
    """A stored naive-UTC time, written out as ISO 8601 with a Z like every other time we send."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


def Id(**kwargs) -> fields.Integer:  # noqa: N802  (a field factory, used like a field class)
    """A row id in a body or query: a whole number from 1 to MAX_ID (larger ones cannot exist)."""
    kwargs.setdefault("strict", True)
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


# --- errors (documentation only: app/errors.py writes them) --------------------------------------

class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"example": "invalid"})
    message = fields.String(required=True, metadata={"example": "name: required"})
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "Messages per input field, when the input was refused."},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


# --- paging --------------------------------------------------------------------------------------

class PagingSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    page = fields.Integer(dump_only=True)
    per_page = fields.Integer(dump_only=True)
    total = fields.Integer(dump_only=True)
