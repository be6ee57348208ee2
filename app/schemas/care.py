"""The service loop's shapes (SPEC §10): surveys, follow-ups and promises."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_dump, validate

from app.models import (
    FOLLOW_UP_REASONS,
    FOLLOW_UP_STATUSES,
    PROMISE_STATUSES,
    SURVEY_CHANNELS,
    SURVEY_STATUSES,
)
from app.schemas.common import Id, Text, Timestamp, dump_time, length, masking
from app.schemas.people import PersonSchema
from app.services import validation


class FollowUpSchema(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True, allow_none=True)
    customer_name = fields.Method("_customer_name", dump_only=True, allow_none=True,
                                  metadata={"description": "So a list of follow-ups reads without a lookup."})
    call_sid = fields.Method("_call_sid", dump_only=True, allow_none=True)
    reason = fields.String(dump_only=True, validate=validate.OneOf(FOLLOW_UP_REASONS))
    owner = fields.Nested(PersonSchema, dump_only=True, allow_none=True)
    due_at = Timestamp(dump_only=True)
    overdue = fields.Method("_overdue", dump_only=True, metadata={"type": "boolean"})
    status = fields.String(dump_only=True, validate=validate.OneOf(FOLLOW_UP_STATUSES))
    outcome = fields.String(dump_only=True, allow_none=True)
    note = fields.String(dump_only=True, allow_none=True)
    created_at = Timestamp(dump_only=True)
    done_at = Timestamp(dump_only=True, allow_none=True)

    def _call_sid(self, follow_up):
        return follow_up.call.call_sid if follow_up.call is not None else None

    def _customer_name(self, follow_up):
        return follow_up.customer.name if follow_up.customer is not None else None

    def _overdue(self, follow_up) -> bool:
        return follow_up.is_overdue(dump_time())


# What a pop's card carries of a follow-up: the customer is the card's own.
POP_FOLLOW_UP_FIELDS = ("id", "customer_id", "call_sid", "reason", "owner", "due_at", "overdue", "status",
                        "outcome", "note", "created_at")


class FollowUpListSchema(Schema):
    items = fields.List(fields.Nested(FollowUpSchema), dump_only=True)


def _owner(value: str) -> None:
    if value != "me" and not validation.is_id_text(value):
        raise ValidationError("owner is 'me' or a user id")


class FollowUpQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(FOLLOW_UP_STATUSES))
    owner = fields.String(validate=_owner, metadata={"description": "`me`, or a user id."})
    customer_id = Id(strict=False)  # a query string: "5" is the id 5


class FollowUpCreateSchema(Schema):
    note = Text(required=True, validate=length(min=1, max=2000), metadata={"example": "Call back about the refund"})
    due_at = fields.DateTime(allow_none=True, metadata={
        "description": "ISO 8601; without an offset it is UTC. Omitted: FOLLOW_UP_HOURS from now."})
    owner_id = Id(allow_none=True, metadata={"description": "An active user; agents may only name themselves."})
    call_sid = Text(allow_none=True, validate=length(min=1, max=64))


class FollowUpUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(FOLLOW_UP_STATUSES))
    outcome = Text(allow_none=True, validate=length(max=2000), metadata={
        "description": "What was done: required when `status` becomes done."})
    owner_id = Id(allow_none=True, metadata={"description": "Supervisors give it to anyone; agents take it."})
    note = Text(allow_none=True, validate=length(max=2000))
    due_at = fields.DateTime()


class PromiseSchema(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True)
    call_sid = fields.String(dump_only=True, allow_none=True)
    text = fields.String(dump_only=True)
    due_at = Timestamp(dump_only=True)
    overdue = fields.Method("_overdue", dump_only=True, metadata={"type": "boolean"})
    status = fields.String(dump_only=True, validate=validate.OneOf(PROMISE_STATUSES))
    made_by = fields.Nested(PersonSchema, dump_only=True, allow_none=True)
    made_at = Timestamp(dump_only=True)
    closed_at = Timestamp(dump_only=True, allow_none=True)

    def _overdue(self, promise) -> bool:
        return promise.is_overdue(dump_time())


class PromiseCreateSchema(Schema):
    text = Text(required=True, validate=length(min=1, max=500), metadata={"example": "Refund the delivery fee"})
    due_at = fields.DateTime(required=True, metadata={"description": "ISO 8601; without an offset it is UTC."})
    call_sid = Text(allow_none=True, validate=length(min=1, max=64),
                    metadata={"description": "The call the promise was made on."})


class PromiseUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(PROMISE_STATUSES))
    text = Text(validate=length(min=1, max=500))
    due_at = fields.DateTime()


class SurveySchema(Schema):
    id = fields.Integer(dump_only=True)
    call_sid = fields.String(dump_only=True)
    customer_id = fields.Integer(dump_only=True, allow_none=True)
    agent = fields.Nested(PersonSchema, dump_only=True, allow_none=True)
    channel = fields.String(dump_only=True, validate=validate.OneOf(SURVEY_CHANNELS))
    language = fields.String(dump_only=True)
    score = fields.Integer(dump_only=True, allow_none=True)
    comment = fields.String(dump_only=True, allow_none=True)
    status = fields.Method("_status", dump_only=True, metadata={"enum": list(SURVEY_STATUSES)})
    sent_at = Timestamp(dump_only=True, allow_none=True)
    answered_at = Timestamp(dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True, metadata={"description": "Why an SMS survey failed."})

    def _status(self, survey) -> str:
        from app.settings import settings

        shown = survey.shown_status(dump_time(), settings().care.survey_reply_hours)
        # "sending" is the job's claim on a pending SMS (surveys._claim), not one of the statuses
        # the API promises: to a reader it is still pending.
        return "pending" if shown == "sending" else shown

    @post_dump
    def _mask_numbers(self, data: dict, **_kwargs) -> dict:
        """The provider's word on a failed SMS may quote the number ("The 'To' number +1… is not
        valid"): masked for an agent with MASK_NUMBERS on (`app.services.privacy`)."""
        if data.get("error") and masking():
            from app.services import privacy
            from app.settings import settings

            data["error"] = privacy.mask_text(data["error"], settings().calls.region)
        return data


class SurveyListSchema(Schema):
    items = fields.List(fields.Nested(SurveySchema), dump_only=True)


class SurveyQuerySchema(Schema):
    # A query string: "5" is the id 5 (as AuditQuerySchema reads them).
    customer_id = Id(strict=False)
    agent_id = Id(strict=False)
    since = fields.DateTime(metadata={"description": "Sent at or after (ISO 8601, UTC without an offset)."})
    until = fields.DateTime(metadata={"description": "Sent before."})
