"""Agents' status, the user's own routing settings and the line of waiting callers (SPEC §11)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models import CHOSEN_STATUSES
from app.schemas.people import UserSchema
from app.services.people.presence import STATES

_state = fields.String(dump_only=True, validate=validate.OneOf(STATES), metadata={
    "description": "available or away as chosen, unless on_call, wrap_up (WRAPUP_SECONDS after a call, "
                   "until the wrap-up is saved) or offline (no desktop heard from)."})


class StatusChoiceSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(CHOSEN_STATUSES))


class StatusSchema(Schema):
    status = fields.String(dump_only=True, validate=validate.OneOf(CHOSEN_STATUSES),
                           metadata={"description": "What they chose (never chosen: agents available, others away)."})
    state = _state
    call_sid = fields.String(dump_only=True, allow_none=True)


class MeSchema(UserSchema, StatusSchema):
    watch_all = fields.Boolean(dump_only=True, metadata={
        "description": "Their desktop shows every call, not only those offered to them."})


class MeUpdateSchema(Schema):
    watch_all = fields.Boolean(required=True)


class AgentSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    status = _state
    chosen = fields.String(dump_only=True, validate=validate.OneOf(CHOSEN_STATUSES))
    call_sid = fields.String(dump_only=True, allow_none=True)
    until = fields.String(dump_only=True, allow_none=True, metadata={"description": "When a wrap-up ends by itself."})


class AgentListSchema(Schema):
    items = fields.List(fields.Nested(AgentSchema), dump_only=True)


class QueueCustomerSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    tier = fields.String(dump_only=True)


class QueueItemSchema(Schema):
    call_sid = fields.String(dump_only=True)
    position = fields.Integer(dump_only=True)
    waiting_seconds = fields.Integer(dump_only=True)
    queued_at = fields.String(dump_only=True)
    customer = fields.Nested(QueueCustomerSchema, dump_only=True, allow_none=True)
    from_display = fields.String(dump_only=True, allow_none=True)


class QueueSchema(Schema):
    items = fields.List(fields.Nested(QueueItemSchema), dump_only=True)
