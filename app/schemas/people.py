"""People's shapes: a person as colleagues see them (`{"id", "name"}`, the one shape wherever a
user appears: pops, calls, complaints, the timeline, the audit trail), users as admins manage
them, tokens, and the audit trail."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models import AUDIT_ACTIONS, REACH_KINDS, ROLES, User
from app.schemas.common import Id, Text, Timestamp, length


class PersonSchema(Schema):
    """A user as others see them: `{"id", "name"}`."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True, attribute="display_name")


_PERSON = PersonSchema()


def person(user: User | None) -> dict | None:
    """`{"id", "name"}` of a user, or None."""
    return _PERSON.dump(user) if user is not None else None


# --- tokens --------------------------------------------------------------------------------------

class TokenRequestSchema(Schema):
    username = Text(required=True, validate=length(min=1, max=80))
    password = Text(required=True, validate=length(min=1, max=1024))


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = Timestamp(required=True)


# --- users ---------------------------------------------------------------------------------------

class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    role = fields.String(dump_only=True, validate=validate.OneOf(ROLES))
    active = fields.Boolean(dump_only=True)
    reach_kind = fields.String(dump_only=True, validate=validate.OneOf(REACH_KINDS))
    reach_address = fields.String(dump_only=True, allow_none=True)
    online = fields.Boolean(dump_only=True, metadata={"description": "A desktop of theirs was heard from recently."})


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema), dump_only=True)


_reach_kind = fields.String(validate=validate.OneOf(REACH_KINDS), metadata={
    "description": "How calls reach them: a Twilio Client identity, a phone number, or a SIP address."})
_reach_address = Text(allow_none=True, validate=length(max=255), metadata={
    "description": "client: an identity (default the username); phone: any format; sip: sip:…"})


class UserCreateSchema(Schema):
    username = Text(required=True, validate=length(min=1, max=80))
    password = Text(required=True, validate=length(min=1, max=1024), metadata={
        "description": "At least 8 characters (checked with the username, so every problem is named at once)."})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = Text(allow_none=True, validate=length(max=200))
    reach_kind = _reach_kind
    reach_address = _reach_address


class UserUpdateSchema(Schema):
    display_name = Text(validate=length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean(truthy={True}, falsy={False}, metadata={"description": "false cuts them off at once."})
    password = Text(validate=length(min=8, max=1024))
    reach_kind = _reach_kind
    reach_address = _reach_address


# --- the audit trail -----------------------------------------------------------------------------

class AuditQuerySchema(Schema):
    customer_id = Id(strict=False)
    user_id = Id(strict=False)
    action = fields.String(validate=validate.OneOf(AUDIT_ACTIONS), metadata={
        "description": "Only this kind of event."})
    user = fields.String(validate=length(max=100), metadata={
        "description": "Part of the user's name or username (case-insensitive), or their id."})
    customer = fields.String(validate=length(max=100), metadata={
        "description": "Part of the customer's name (case-insensitive), or their id."})
    replays = fields.Boolean(load_default=True, metadata={
        "description": "false leaves out the pops replayed to desktops that (re)connected."})
    since = fields.NaiveDateTime(metadata={"description": "UTC, ISO 8601"})
    until = fields.NaiveDateTime(metadata={"description": "UTC, ISO 8601"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = Timestamp()
    action = fields.String()
    user = fields.Nested(PersonSchema, allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    customer = fields.Dict(allow_none=True, metadata={
        "description": "`{id, name}`; name is null once the customer record is deleted."})
    call_sid = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    page = fields.Integer()
    per_page = fields.Integer()
