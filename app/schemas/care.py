"""The service loop's shapes (SPEC §10): follow-ups."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from app.models import FOLLOW_UP_REASONS, FOLLOW_UP_STATUSES
from app.schemas.common import Timestamp, dump_time
from app.schemas.people import PersonSchema
from app.services import validation


class FollowUpSchema(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True, allow_none=True)
    call_sid = fields.Method("_call_sid", dump_only=True, allow_none=True)
    reason = fields.String(dump_only=True, validate=validate.OneOf(FOLLOW_UP_REASONS))
    owner = fields.Nested(PersonSchema, dump_only=True, allow_none=True)
    due_at = Timestamp(dump_only=True)
    overdue = fields.Method("_overdue", dump_only=True, metadata={"type": "boolean"})
    status = fields.String(dump_only=True, validate=validate.OneOf(FOLLOW_UP_STATUSES))
    outcome = fields.String(dump_only=True, allow_none=True)
    note = fields.String(dump_only=True, allow_none=True)

    def _call_sid(self, follow_up):
        return follow_up.call.call_sid if follow_up.call is not None else None

    def _overdue(self, follow_up) -> bool:
        return follow_up.is_overdue(dump_time())


class FollowUpListSchema(Schema):
    items = fields.List(fields.Nested(FollowUpSchema), dump_only=True)


def _owner(value: str) -> None:
    if value != "me" and not (value.isdigit() and validation.is_id(int(value))):
        raise ValidationError("owner is 'me' or a user id")


class FollowUpQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(FOLLOW_UP_STATUSES))
    owner = fields.String(validate=_owner, metadata={"description": "`me`, or a user id."})
