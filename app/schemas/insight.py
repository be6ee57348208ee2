"""The supervisor's view (SPEC §12): figures, scorecards, the care list and callbacks."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.common import Id, Timestamp
from app.services.insight.care_list import REASONS
from app.services.insight.ranges import BUCKETS

RATE = {"description": "A fraction from 0 to 1; null when there was nothing to count."}
SECONDS = {"description": "Seconds; null when there was nothing to count."}


class RangeQuerySchema(Schema):
    since = fields.DateTime(metadata={"description": "From (included), ISO 8601; without an offset it is UTC. "
                                                     "Default: today 00:00 UTC."})
    until = fields.DateTime(metadata={"description": "To (excluded). Default: the day after `since`'s day for "
                                                     "today, else now. At most 366 days after `since`."})


class SeriesQuerySchema(RangeQuerySchema):
    bucket = fields.String(load_default="hour", validate=validate.OneOf(tuple(BUCKETS)))


class MetricsCsvQuerySchema(RangeQuerySchema):
    by = fields.String(validate=validate.OneOf(tuple(BUCKETS)),
                       metadata={"description": "One row per hour or day instead of one for the range."})


class ScorecardQuerySchema(RangeQuerySchema):
    agent_id = Id(strict=False, metadata={"description": "One agent's row. Agents may only ask for their own."})


class FiguresSchema(Schema):
    calls = fields.Integer(metadata={"description": "Inbound calls that arrived in the range."})
    answered = fields.Integer(metadata={"description": "Of those, taken by an agent."})
    abandoned = fields.Integer(metadata={"description": "Ended unanswered, without a voicemail or callback request."})
    service_level = fields.Float(allow_none=True, metadata=RATE)
    asa_seconds = fields.Float(allow_none=True, metadata=SECONDS)
    aht_seconds = fields.Float(allow_none=True, metadata=SECONDS)
    abandonment_rate = fields.Float(allow_none=True, metadata=RATE)
    nps = fields.Integer(allow_none=True, metadata={"description": "-100 to 100; null with no survey answered."})
    surveys = fields.Integer()
    repeat_call_rate = fields.Float(allow_none=True, metadata=RATE)
    first_contact_resolution = fields.Float(allow_none=True, metadata=RATE)
    callbacks = fields.Integer(metadata={"description": "Outbound calls placed (not in the inbound figures)."})


class MetricsSchema(FiguresSchema):
    since = Timestamp()
    until = Timestamp()
    service_level_seconds = fields.Integer(metadata={"description": "SERVICE_LEVEL_SECONDS"})
    service_level_target = fields.Float(metadata={"description": "SERVICE_LEVEL_TARGET, as a fraction."})


class SeriesItemSchema(FiguresSchema):
    start = Timestamp()


class SeriesSchema(Schema):
    since = Timestamp()
    until = Timestamp()
    bucket = fields.String()
    items = fields.List(fields.Nested(SeriesItemSchema))


class RefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class ScorecardSchema(Schema):
    agent = fields.Nested(RefSchema)
    calls = fields.Integer()
    aht_seconds = fields.Float(allow_none=True)
    nps = fields.Integer(allow_none=True)
    surveys = fields.Integer()
    promises_kept = fields.Integer()
    promises_broken = fields.Integer()
    follow_ups_done_on_time = fields.Integer()
    follow_ups_done = fields.Integer()
    complaints_resolved_in_sla = fields.Integer()
    complaints_resolved = fields.Integer()


class ScorecardListSchema(Schema):
    since = Timestamp()
    until = Timestamp()
    items = fields.List(fields.Nested(ScorecardSchema))


class MyFiguresSchema(Schema):
    since = Timestamp()
    until = Timestamp()
    calls = fields.Integer()
    aht_seconds = fields.Float(allow_none=True)
    nps = fields.Integer(allow_none=True)
    surveys = fields.Integer()
    follow_ups_due = fields.Integer(metadata={"description": "Your open follow-ups due by the end of today."})
    follow_ups_overdue = fields.Integer()


class CareQuerySchema(Schema):
    reason = fields.String(validate=validate.OneOf(REASONS))
    mine = fields.Boolean(load_default=False, metadata={
        "description": "Only your items and unowned ones, whatever your role (a supervisor's own desktop)."})
    owner = fields.String(metadata={"description": "`me`, `none` (unowned) or a user id."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class CustomerRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    tier = fields.String()


class CareItemSchema(Schema):
    id = fields.String(metadata={"description": "`follow_up:<id>`, `promise:<id>`, `complaint:<id>` or "
                                                "`customer:<id>` (not contacted)."})
    customer = fields.Nested(CustomerRefSchema, allow_none=True)
    reason = fields.String(metadata={"description": ", ".join(REASONS)})
    since = Timestamp(allow_none=True)
    text = fields.String()
    owner = fields.Nested(RefSchema, allow_none=True)
    due_at = Timestamp(allow_none=True)
    overdue = fields.Boolean()
    follow_up_id = fields.Integer(allow_none=True)
    call_sid = fields.String(allow_none=True)


class CallbackSetupSchema(Schema):
    available = fields.Boolean()
    reason = fields.String(allow_none=True)


class CareListSchema(Schema):
    items = fields.List(fields.Nested(CareItemSchema))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    callbacks = fields.Nested(CallbackSetupSchema)


class CareAssignSchema(Schema):
    item = fields.String(required=True)
    owner_id = Id(required=True, allow_none=True)


class CareAssignedSchema(Schema):
    item = fields.String()
    owner = fields.Nested(RefSchema, allow_none=True)
    follow_up_id = fields.Integer(allow_none=True)


class CallbackRequestSchema(Schema):
    customer_id = Id()
    phone = fields.String(metadata={"description": "One of the customer's numbers (any format); default their first. "
                                                        "With MASK_NUMBERS on, agents may not send it (403 naming it)."})
    follow_up_id = Id(metadata={"description": "The follow-up this callback answers: closed when it is wrapped up."})
