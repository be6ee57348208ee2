"""A call's shapes (SPEC §6, §9): as the API lists it, with its current screen pop, and the agent's
work on it. The pop's own shape is built in `app.services.calls.screen_pop` from these pieces."""
from __future__ import annotations

from marshmallow import Schema, fields, post_dump

from app.schemas.care import SurveySchema  # noqa: F401 (named by CallSchema.survey)
from app.schemas.common import Id, PageSchema, PagingSchema, Text, Timestamp, length, masking
from app.schemas.people import PersonSchema
from app.services.validation import MAX_LENGTHS


class CallQuerySchema(PagingSchema):
    agent_id = Id(strict=False, metadata={"description": "Only the calls this agent took (supervisors; agents "
                                                         "always get their own)."})
    since = fields.DateTime(metadata={"description": "Started at or after (ISO 8601; UTC without an offset)."})
    until = fields.DateTime(metadata={"description": "Started before."})
    active = fields.Boolean(
        load_default=False,
        metadata={"description": "Only calls that have not ended (all of them, newest first, one page)."},
    )
    unwrapped = fields.Boolean(
        load_default=False,
        metadata={"description": "Only your calls that ended with no disposition within WRAPUP_WINDOW_HOURS "
                                 "(newest first, one page), so a wrap-up can be finished after a reload."},
    )


class CallSchema(Schema):
    """A call as stored, read from the `Call` row; `pop` is there when the API shows one
    (`Annotated(call, pop=…)`)."""

    call_sid = fields.String(dump_only=True)
    direction = fields.String(dump_only=True, metadata={"description": "`inbound` or `outbound`."})
    status = fields.String(dump_only=True)
    from_ = fields.String(data_key="from", attribute="from_e164", dump_only=True, allow_none=True, metadata={
        "description": "The caller's number in E.164; null for an agent with MASK_NUMBERS on, as are `from_raw`, an "
                       "outbound call's `to`, and the pop's numbers (its `from_display` masked, SPEC §13)."})
    from_raw = fields.String(dump_only=True, allow_none=True)
    to = fields.Method("_to", dump_only=True, allow_none=True)
    match = fields.String(attribute="match_kind", dump_only=True)
    customer_id = fields.Integer(dump_only=True, allow_none=True)
    agent = fields.Nested(PersonSchema, dump_only=True, allow_none=True)
    started_at = Timestamp(dump_only=True)
    answered_at = Timestamp(dump_only=True, allow_none=True)
    ended_at = Timestamp(dump_only=True, allow_none=True)
    duration = fields.Integer(dump_only=True, allow_none=True)
    queue_seconds = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "How long the caller waited before an agent took them (their phone answered, "
                       "or they claimed the live call), or null."})
    notes = fields.String(dump_only=True, allow_none=True)
    disposition = fields.String(dump_only=True, allow_none=True)
    recording_url = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "The voicemail the caller left, or null."})
    news_at = Timestamp(dump_only=True, metadata={
        "description": "The last time the provider said anything about the call (SPEC §3)."})
    unsettled = fields.Boolean(dump_only=True, metadata={
        "description": "Still ringing with no news, and the provider's REST API could not say what became of "
                       "it: a supervisor may close it."})
    survey = fields.Nested("SurveySchema", dump_only=True, allow_none=True, metadata={
        "description": "The survey asked after the call (SPEC §10), or null."})
    pop = fields.Dict(dump_only=True, metadata={"description": "The `screen_pop` payload (SPEC §5)."})

    def _to(self, call) -> str | None:
        return call.to_e164 or call.to_raw

    @post_dump
    def _mask_numbers(self, data: dict, **_kwargs) -> dict:
        """For an agent with MASK_NUMBERS on (`app.services.privacy`): no number, the pop masked."""
        if not masking():
            return data
        from app.services import privacy
        from app.settings import settings

        data = privacy.without_numbers(data)
        if data.get("pop"):
            data["pop"] = privacy.mask_pop(data["pop"], settings().calls.region)
        return data


class CallPageSchema(PageSchema):
    items = fields.List(fields.Nested(CallSchema), dump_only=True)


class CallUpdateSchema(Schema):
    """The agent's work on a call: link it to a customer, and/or wrap it up."""

    customer_id = Id(metadata={
        "description": "Link the call to this customer: it becomes a single match and pops again."})
    notes = Text(allow_none=True, validate=length(max=MAX_LENGTHS["notes"]))
    disposition = Text(allow_none=True, validate=length(max=50), metadata={
        "description": "One of `GET /api/v1/dispositions`."})


class DispositionsSchema(Schema):
    items = fields.List(fields.String(), dump_only=True)
