"""What goes in and out of `/api/v1`: marshmallow schemas, also the source of `openapi.json`.

Input schemas check types and shapes at the edge; the services check the values again, because the
CSV import and the pages reach them without these schemas.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from app.extensions import db
from app.models import COMPLAINT_STATUSES, REACH_KINDS, ROLES, SEVERITIES, TIERS, Call, User, isoformat

# Past this, a list page is a dump, not a page.
MAX_PER_PAGE = 100
# Nobody pages this far; it also keeps OFFSET inside what every database accepts.
MAX_PAGE = 1_000_000


class Text(fields.String):
    """A string that PostgreSQL can store: NUL characters are refused here, not by a 500 later."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("must not contain NUL characters")
        return text


class Timestamp(fields.DateTime):
    """A stored naive-UTC time, written out as ISO 8601 with a Z like every other time we send."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


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


# --- tokens --------------------------------------------------------------------------------------

class TokenRequestSchema(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=80))
    password = Text(required=True, validate=validate.Length(min=1, max=1024))


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = Timestamp(required=True)


# --- customers -----------------------------------------------------------------------------------

class AgentSchema(Schema):
    """A user as others see them: `{"id", "name"}`."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)


class PreferenceInSchema(Schema):
    key = Text(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "milk"})
    value = Text(required=True, validate=validate.Length(min=1, max=500), metadata={"example": "high-calcium"})


class PreferenceSchema(Schema):
    id = fields.Integer(dump_only=True)
    key = fields.String(dump_only=True)
    value = fields.String(dump_only=True)


class PhoneNumberSchema(Schema):
    e164 = fields.String(dump_only=True, metadata={"example": "+14155550100"})
    label = fields.String(dump_only=True, allow_none=True)


class ComplaintSchema(Schema):
    id = fields.Integer(dump_only=True)
    subject = fields.String(dump_only=True)
    description = fields.String(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(COMPLAINT_STATUSES))
    severity = fields.String(dump_only=True, validate=validate.OneOf(SEVERITIES))
    opened_at = Timestamp(dump_only=True)
    due_at = Timestamp(dump_only=True, allow_none=True)
    resolved_at = Timestamp(dump_only=True, allow_none=True)
    resolution = fields.String(dump_only=True, allow_none=True)
    overdue = fields.Boolean(dump_only=True)
    assigned_to_id = fields.Integer(dump_only=True, allow_none=True)


class ComplaintDetailSchema(ComplaintSchema):
    """One complaint as its own routes answer: also who works on it and the call it was raised on."""

    assigned_to = fields.Method("_assigned_to", dump_only=True, allow_none=True,
                                metadata={"description": "`{id, name}` of the assignee, or null."})
    call_sid = fields.Method("_call_sid", dump_only=True, allow_none=True)
    updated_at = Timestamp(dump_only=True, allow_none=True)

    def _assigned_to(self, complaint):
        user = db.session.get(User, complaint.assigned_to_id) if complaint.assigned_to_id else None
        return user.summary() if user is not None else None

    def _call_sid(self, complaint):
        call = db.session.get(Call, complaint.call_id) if complaint.call_id else None
        return call.call_sid if call is not None else None


class PreferenceUpdateSchema(Schema):
    key = Text(validate=validate.Length(min=1, max=100))
    value = Text(validate=validate.Length(min=1, max=500))


# Any format a person writes; the service reads it as E.164 (or names it in a 422).
_phone = Text(validate=validate.Length(max=64), metadata={"example": "+1 415 555 0100"})


class CustomerCreateSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Alice Wong"})
    phones = fields.List(_phone, load_default=list)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    tier = fields.String(validate=validate.OneOf(TIERS))
    external_id = Text(allow_none=True, validate=validate.Length(max=100))
    preferences = fields.List(fields.Nested(PreferenceInSchema), load_default=list)


class CustomerUpdateSchema(Schema):
    """Only the fields sent change; `phones` replaces every number."""

    name = Text(validate=validate.Length(min=1, max=200))
    phones = fields.List(_phone)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    tier = fields.String(validate=validate.OneOf(TIERS))
    external_id = Text(allow_none=True, validate=validate.Length(max=100))


class CustomerSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    phones = fields.Pluck(PhoneNumberSchema, "e164", many=True, dump_only=True,
                          metadata={"description": "Every number in E.164."})
    phone_numbers = fields.List(fields.Nested(PhoneNumberSchema), attribute="phones", dump_only=True)
    email = fields.String(dump_only=True, allow_none=True)
    tier = fields.String(dump_only=True, validate=validate.OneOf(TIERS))
    external_id = fields.String(dump_only=True, allow_none=True)
    preferences = fields.List(fields.Nested(PreferenceSchema), dump_only=True)
    open_complaints = fields.List(fields.Nested(ComplaintSchema), dump_only=True,
                                  metadata={"description": "Complaints not yet resolved."})


class PagingSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class CustomerQuerySchema(PagingSchema):
    phone = Text(validate=validate.Length(max=64),
                 metadata={"description": "A number in any format; matched exactly on E.164."})
    q = Text(validate=validate.Length(max=200), metadata={"description": "Part of the customer's name."})


class PageSchema(Schema):
    page = fields.Integer(dump_only=True)
    per_page = fields.Integer(dump_only=True)
    total = fields.Integer(dump_only=True)


class CustomerPageSchema(PageSchema):
    items = fields.List(fields.Nested(CustomerSchema), dump_only=True)


_user_id = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1),
                          metadata={"description": "An active user; agents may only name themselves."})


class ComplaintCreateSchema(Schema):
    subject = Text(required=True, validate=validate.Length(min=1, max=200))
    description = Text(allow_none=True)
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    due_at = fields.DateTime(allow_none=True, metadata={
        "description": "ISO 8601; without an offset it is UTC. Omitted: the severity's COMPLAINT_SLA_HOURS."})
    call_sid = Text(allow_none=True, validate=validate.Length(min=1, max=64),
                    metadata={"description": "The call the complaint was raised on."})
    assigned_to_id = _user_id


class ComplaintUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    resolution = Text(allow_none=True)
    subject = Text(validate=validate.Length(min=1, max=200))
    description = Text(allow_none=True)
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    due_at = fields.DateTime(allow_none=True)
    assigned_to_id = _user_id


# --- the customer timeline -----------------------------------------------------------------------

class TimelineQuerySchema(Schema):
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000),
                           metadata={"description": "How many of the newest entries to list."})


class TimelineEntrySchema(Schema):
    """One touchpoint; which fields are present depends on `kind`."""

    kind = fields.String(dump_only=True, validate=validate.OneOf(("call", "note", "complaint", "preference")))
    at = fields.String(dump_only=True, metadata={"format": "date-time"})
    call_sid = fields.String(dump_only=True, metadata={"description": "call, note"})
    status = fields.String(dump_only=True, metadata={"description": "call, complaint (its status now)"})
    duration = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "call"})
    agent = fields.Nested(AgentSchema, dump_only=True, allow_none=True, metadata={"description": "call, note"})
    disposition = fields.String(dump_only=True, allow_none=True, metadata={"description": "call"})
    text = fields.String(dump_only=True, metadata={"description": "note"})
    complaint_id = fields.Integer(dump_only=True, metadata={"description": "complaint"})
    event = fields.String(dump_only=True, validate=validate.OneOf(("opened", "resolved")),
                          metadata={"description": "complaint"})
    subject = fields.String(dump_only=True, metadata={"description": "complaint"})
    severity = fields.String(dump_only=True, metadata={"description": "complaint"})
    resolution = fields.String(dump_only=True, allow_none=True, metadata={"description": "complaint resolved"})
    preference_id = fields.Integer(dump_only=True, metadata={"description": "preference"})
    key = fields.String(dump_only=True, metadata={"description": "preference"})
    value = fields.String(dump_only=True, metadata={"description": "preference"})
    recorded_by = fields.Nested(AgentSchema, dump_only=True, allow_none=True,
                                metadata={"description": "preference"})


class TimelineSchema(Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema), dump_only=True)
    limit = fields.Integer(dump_only=True)
    has_more = fields.Boolean(dump_only=True, metadata={"description": "Older entries were left out."})


# --- calls ---------------------------------------------------------------------------------------

class CallQuerySchema(PagingSchema):
    active = fields.Boolean(
        load_default=False,
        metadata={"description": "Only calls that have not ended (all of them, newest first, one page)."},
    )


class CallSchema(Schema):
    """`Call.to_dict()` and the call's current screen pop, for a desktop that lost its socket."""

    call_sid = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    from_ = fields.String(data_key="from", attribute="from", dump_only=True, allow_none=True)
    from_raw = fields.String(dump_only=True, allow_none=True)
    to = fields.String(dump_only=True, allow_none=True)
    match = fields.String(dump_only=True)
    customer_id = fields.Integer(dump_only=True, allow_none=True)
    agent = fields.Nested(AgentSchema, dump_only=True, allow_none=True)
    started_at = fields.String(dump_only=True, metadata={"format": "date-time"})
    answered_at = fields.String(dump_only=True, allow_none=True, metadata={"format": "date-time"})
    ended_at = fields.String(dump_only=True, allow_none=True, metadata={"format": "date-time"})
    duration = fields.Integer(dump_only=True, allow_none=True)
    notes = fields.String(dump_only=True, allow_none=True)
    disposition = fields.String(dump_only=True, allow_none=True)
    pop = fields.Dict(dump_only=True, metadata={"description": "The `screen_pop` payload (SPEC §5)."})


class CallPageSchema(PageSchema):
    items = fields.List(fields.Nested(CallSchema), dump_only=True)


class CallUpdateSchema(Schema):
    """The agent's work on a call: link it to a customer, and/or wrap it up."""

    customer_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "Link the call to this customer: it becomes a single match and pops again."})
    notes = Text(allow_none=True, validate=validate.Length(max=5000))
    disposition = Text(allow_none=True, validate=validate.Length(max=50), metadata={
        "description": "One of `GET /api/v1/dispositions`."})


class DispositionsSchema(Schema):
    items = fields.List(fields.String(), dump_only=True)


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
_reach_address = Text(allow_none=True, validate=validate.Length(max=255), metadata={
    "description": "client: an identity (default the username); phone: any format; sip: sip:…"})


class UserCreateSchema(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=80))
    password = Text(required=True, validate=validate.Length(min=8, max=1024))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = Text(allow_none=True, validate=validate.Length(max=200))
    reach_kind = _reach_kind
    reach_address = _reach_address


class UserUpdateSchema(Schema):
    display_name = Text(validate=validate.Length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean(truthy={True}, falsy={False}, metadata={"description": "false cuts them off at once."})
    password = Text(validate=validate.Length(min=8, max=1024))
    reach_kind = _reach_kind
    reach_address = _reach_address
