"""Customers' shapes (SPEC §6, §9): a customer, their numbers, preferences and complaints, the
customer card a screen pop carries, the timeline, and browser imports."""
from __future__ import annotations

from marshmallow import Schema, fields, post_dump, validate

from app.models import COMPLAINT_STATUSES, SEVERITIES, TIERS
from app.schemas.common import Id, PageSchema, PagingSchema, Text, Timestamp, dump_time, length, masking
from app.schemas.people import PersonSchema


class PreferenceInSchema(Schema):
    key = Text(required=True, validate=length(min=1, max=100), metadata={"example": "milk"})
    value = Text(required=True, validate=length(min=1, max=500), metadata={"example": "high-calcium"})


class PreferenceSchema(Schema):
    id = fields.Integer(dump_only=True)
    key = fields.String(dump_only=True)
    value = fields.String(dump_only=True)


class PhoneNumberSchema(Schema):
    e164 = fields.String(dump_only=True, metadata={"example": "+14155550100"})
    display = fields.Method("_display", dump_only=True, metadata={
        "description": "As people read it in DEFAULT_REGION: national at home, international abroad.",
        "example": "(415) 555-0100"})
    label = fields.String(dump_only=True, allow_none=True)

    def _display(self, phone) -> str | None:
        from app.services import phone_numbers
        from app.settings import settings

        return phone_numbers.display(phone.e164, settings().customers.region)


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
    overdue = fields.Method("_overdue", dump_only=True, metadata={"type": "boolean"})
    assigned_to_id = fields.Integer(dump_only=True, allow_none=True)

    def _overdue(self, complaint) -> bool:
        return complaint.is_overdue(dump_time())


class ComplaintDetailSchema(ComplaintSchema):
    """One complaint as its own routes answer: also who works on it and the call it was raised on."""

    assigned_to = fields.Nested(PersonSchema, dump_only=True, allow_none=True,
                                metadata={"description": "`{id, name}` of the assignee, or null."})
    call_sid = fields.Method("_call_sid", dump_only=True, allow_none=True)
    updated_at = Timestamp(dump_only=True, allow_none=True)

    def _call_sid(self, complaint):
        return complaint.call.call_sid if complaint.call is not None else None


class PreferenceUpdateSchema(Schema):
    key = Text(validate=length(min=1, max=100))
    value = Text(validate=length(min=1, max=500))


# Any format a person writes; the service reads it as E.164 (or names it in a 422).
_phone = Text(validate=length(max=64), metadata={"example": "+1 415 555 0100"})


class CustomerCreateSchema(Schema):
    name = Text(required=True, validate=length(max=200), metadata={"example": "Alice Wong"})
    phones = fields.List(_phone, load_default=list)
    call_sid = Text(validate=length(min=1, max=64), metadata={
        "description": "The call this customer is the caller of: its caller's number is added to `phones`, so an "
                       "agent who sees it masked (MASK_NUMBERS) can still keep it. Linking the call is still "
                       "PATCH /api/v1/calls/<call_sid>."})
    email = Text(allow_none=True, validate=length(max=254), metadata={
        "description": "name@example.com; checked by the one rule the pages and the import share."})
    tier = fields.String(validate=validate.OneOf(TIERS))
    external_id = Text(allow_none=True, validate=length(max=100))
    preferences = fields.List(fields.Nested(PreferenceInSchema), load_default=list)
    do_not_survey = fields.Boolean(metadata={"description": "Never survey this customer (SPEC §10)."})


class CustomerUpdateSchema(Schema):
    """Only the fields sent change; `phones` replaces every number. With `version`, the change is
    made only if the customer is still at that version (else 409 `conflict`)."""

    version = fields.Integer(strict=True, validate=validate.Range(min=1), metadata={
        "description": "The customer's `version` this change was made from."})

    name = Text(validate=length(max=200))  # blank: "required", named by the service with the rest
    phones = fields.List(_phone)
    email = Text(allow_none=True, validate=length(max=254), metadata={
        "description": "name@example.com; checked by the one rule the pages and the import share."})
    tier = fields.String(validate=validate.OneOf(TIERS))
    external_id = Text(allow_none=True, validate=length(max=100))
    do_not_survey = fields.Boolean(metadata={"description": "Never survey this customer (SPEC §10)."})


class MergeSchema(Schema):
    duplicate_id = Id(required=True, metadata={"description": "The duplicate: merged into this customer, then removed."})


class CustomerSchema(Schema):
    id = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True, metadata={"description": "Bumped on every change."})
    name = fields.String(dump_only=True)
    phones = fields.Pluck(PhoneNumberSchema, "e164", many=True, dump_only=True,
                          metadata={"description": "Every number in E.164; for an agent with MASK_NUMBERS on, "
                                                   "each masked as shown, e.g. \"(415) •••-••00\" (SPEC §13)."})
    phone_numbers = fields.List(fields.Nested(PhoneNumberSchema), attribute="phones", dump_only=True)
    email = fields.String(dump_only=True, allow_none=True)
    tier = fields.String(dump_only=True, validate=validate.OneOf(TIERS))
    external_id = fields.String(dump_only=True, allow_none=True)
    preferences = fields.List(fields.Nested(PreferenceSchema), dump_only=True)
    open_complaints = fields.List(fields.Nested(ComplaintSchema), dump_only=True,
                                  metadata={"description": "Complaints not yet resolved."})
    do_not_survey = fields.Boolean(dump_only=True)
    stage = fields.Method("_stage", dump_only=True, metadata={
        "enum": ["at_risk", "advocate", "loyal", "new", "customer"], "description": "Their step on the ladder (SPEC §10)."})
    last_survey = fields.Method("_last_survey", dump_only=True, allow_none=True, metadata={
        "description": "`{score, at}` of their latest answered survey, or null."})
    promises = fields.Method("_promises", dump_only=True, metadata={"description": "Open promises, soonest due first."})
    follow_ups = fields.Method("_follow_ups", dump_only=True, metadata={
        "description": "Open follow-ups, soonest due first."})
    flags = fields.Method("_flags", dump_only=True, metadata={
        "description": "`{kind, text, level}`, most urgent first, as the screen pop shows them."})
    shared_numbers = fields.List(fields.Dict(), dump_only=True, metadata={
        "description": "On one customer's own answers (read, create, change): each of their numbers that "
                       "other customers hold too, `{e164, customers: [{id, name}]}`, so a page can say it is "
                       "shared (for an agent with MASK_NUMBERS on, e164 null and a masked `display` instead)."})


    def _summary(self, customer) -> dict:
        from app.services.care import summary
        from app.settings import settings

        return summary.of(customer, settings().care, dump_time())

    def _stage(self, customer):
        return self._summary(customer)["stage"]

    def _last_survey(self, customer):
        return self._summary(customer)["last_survey"]

    def _promises(self, customer):
        return self._summary(customer)["promises"]

    def _follow_ups(self, customer):
        return self._summary(customer)["follow_ups"]

    def _flags(self, customer):
        return self._summary(customer)["flags"]

    @post_dump
    def _mask_numbers(self, data: dict, **_kwargs) -> dict:
        """For an agent with MASK_NUMBERS on (`app.services.privacy`): `phones` masked, every `e164`
        null and every `display` masked."""
        if not masking():
            return data
        from app.services import privacy
        from app.settings import settings

        region = settings().customers.region
        if "phones" in data:
            data["phones"] = [privacy.mask(e164, region) for e164 in data["phones"]]
        for key in ("phone_numbers", "shared_numbers"):
            if data.get(key):
                data[key] = [{**item, "e164": None, "display": privacy.mask(item.get("e164"), region)}
                             for item in data[key]]
        return data


class CustomerQuerySchema(PagingSchema):
    phone = Text(validate=length(max=64),
                 metadata={"description": "A number in any format; matched exactly on E.164."})
    q = Text(validate=length(max=200), metadata={"description": "Part of the customer's name."})


# What a screen pop shows of a caller (SPEC §5): only open complaints, without their history.
POP_COMPLAINT_FIELDS = ("id", "subject", "description", "status", "severity", "opened_at", "due_at", "overdue")


class CustomerCardSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    tier = fields.String(dump_only=True)
    preferences = fields.List(fields.Nested(PreferenceSchema), dump_only=True)
    open_complaints = fields.List(fields.Nested(ComplaintSchema(only=POP_COMPLAINT_FIELDS)), dump_only=True)


class CustomerPageSchema(PageSchema):
    items = fields.List(fields.Nested(CustomerSchema), dump_only=True)


_user_id = Id(allow_none=True, metadata={"description": "An active user; agents may only name themselves."})


class ComplaintCreateSchema(Schema):
    subject = Text(required=True, validate=length(min=1, max=200))
    description = Text(allow_none=True)
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    due_at = fields.DateTime(allow_none=True, metadata={
        "description": "ISO 8601; without an offset it is UTC. Omitted: the severity's COMPLAINT_SLA_HOURS."})
    call_sid = Text(allow_none=True, validate=length(min=1, max=64),
                    metadata={"description": "The call the complaint was raised on."})
    assigned_to_id = _user_id


class ComplaintUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    resolution = Text(allow_none=True)
    subject = Text(validate=length(min=1, max=200))
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

    kind = fields.String(dump_only=True, validate=validate.OneOf(
        ("call", "note", "complaint", "preference", "survey", "follow_up", "promise")))
    at = fields.String(dump_only=True, metadata={"format": "date-time"})
    call_sid = fields.String(dump_only=True, allow_none=True, metadata={"description": "call, note, survey, follow_up, promise"})
    status = fields.String(dump_only=True, metadata={"description": "call, complaint, survey, follow_up, promise (its status now)"})
    duration = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "call"})
    agent = fields.Nested(PersonSchema, dump_only=True, allow_none=True, metadata={"description": "call, note, survey"})
    disposition = fields.String(dump_only=True, allow_none=True, metadata={"description": "call"})
    text = fields.String(dump_only=True, metadata={"description": "note, promise"})
    complaint_id = fields.Integer(dump_only=True, metadata={"description": "complaint"})
    event = fields.String(dump_only=True, validate=validate.OneOf(("opened", "resolved")),
                          metadata={"description": "complaint"})
    subject = fields.String(dump_only=True, metadata={"description": "complaint"})
    severity = fields.String(dump_only=True, metadata={"description": "complaint"})
    resolution = fields.String(dump_only=True, allow_none=True, metadata={"description": "complaint resolved"})
    preference_id = fields.Integer(dump_only=True, metadata={"description": "preference"})
    key = fields.String(dump_only=True, metadata={"description": "preference"})
    value = fields.String(dump_only=True, metadata={"description": "preference"})
    recorded_by = fields.Nested(PersonSchema, dump_only=True, allow_none=True,
                                metadata={"description": "preference"})
    survey_id = fields.Integer(dump_only=True, metadata={"description": "survey"})
    channel = fields.String(dump_only=True, metadata={"description": "survey: ivr or sms"})
    score = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "survey"})
    comment = fields.String(dump_only=True, allow_none=True, metadata={"description": "survey"})
    follow_up_id = fields.Integer(dump_only=True, metadata={"description": "follow_up"})
    reason = fields.String(dump_only=True, metadata={"description": "follow_up"})
    outcome = fields.String(dump_only=True, allow_none=True, metadata={"description": "follow_up"})
    note = fields.String(dump_only=True, allow_none=True, metadata={"description": "follow_up"})
    owner = fields.Nested(PersonSchema, dump_only=True, allow_none=True, metadata={"description": "follow_up"})
    due_at = fields.String(dump_only=True, metadata={"description": "follow_up, promise", "format": "date-time"})
    done_at = fields.String(dump_only=True, allow_none=True, metadata={"description": "follow_up"})
    promise_id = fields.Integer(dump_only=True, metadata={"description": "promise"})
    made_by = fields.Nested(PersonSchema, dump_only=True, allow_none=True, metadata={"description": "promise"})
    closed_at = fields.String(dump_only=True, allow_none=True, metadata={"description": "promise"})


class TimelineSchema(Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema), dump_only=True)
    limit = fields.Integer(dump_only=True)
    has_more = fields.Boolean(dump_only=True, metadata={"description": "Older entries were left out."})


