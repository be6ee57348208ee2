"""`/api/v1` for the supervisor's view (SPEC §12): the service figures, the agents' scorecards,
the proactive-care worklist, and calling a customer back from it.

Figures and other agents' scorecards are for supervisors and admins; an agent reads their own
scorecard (`/me/figures`, `/scorecards` narrowed to them) and their part of the care list.
"""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Response, current_app
from flask_smorest import Blueprint

from app.api import guard
from app.api.calls import call_with_pop
from app.api.guard import api_user
from app.models import isoformat, utcnow
from app.schemas.calls import CallSchema
from app.schemas.common import ErrorSchema
from app.schemas.insight import (
    CallbackRequestSchema,
    CareAssignedSchema,
    CareAssignSchema,
    CareListSchema,
    CareQuerySchema,
    MetricsCsvQuerySchema,
    MetricsSchema,
    MyFiguresSchema,
    RangeQuerySchema,
    ScorecardListSchema,
    ScorecardQuerySchema,
    SeriesQuerySchema,
    SeriesSchema,
)
from app.schemas.people import person
from app.services import privacy
from app.services.calls import callbacks, delivery
from app.services.calls.lifecycle import customers_for
from app.services.errors import Forbidden
from app.services.insight import care_list, metrics, ranges, scorecards
from app.services.people import presence, roles, status
from app.settings import settings

bp = Blueprint("api_insight", __name__, url_prefix="/api/v1",
               description="The supervisor's view: figures, scorecards, the care list, callbacks.")
guard.protect(bp)


def _span(args: dict) -> ranges.TimeRange:
    return ranges.time_range(args.get("since"), args.get("until"), utcnow())


def _csv(header: list[str], rows: list[list], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return Response(out.getvalue().encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/metrics")
@guard.require_role("supervisor")
@bp.arguments(RangeQuerySchema, location="query")
@bp.response(200, MetricsSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def get_metrics(args: dict):
    """The service figures over a range (default today, UTC), as SPEC §12 and the README define them."""
    span, config = _span(args), settings().insight
    figures = metrics.figures(span, config.definitions, utcnow())
    return {"since": span.since, "until": span.until, **figures.as_dict(),
            "service_level_seconds": config.service_level_seconds, "service_level_target": config.service_level_target}


@bp.get("/metrics/series")
@guard.require_role("supervisor")
@bp.arguments(SeriesQuerySchema, location="query")
@bp.response(200, SeriesSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def get_series(args: dict):
    """The same figures for every hour or day of the range (widened to whole ones), for charts."""
    span = _span(args)
    items = metrics.series(span, args["bucket"], settings().insight.definitions, utcnow())
    shown = span.aligned(args["bucket"])
    return {"since": shown.since, "until": shown.until, "bucket": args["bucket"],
            "items": [{"start": start, **figures.as_dict()} for start, figures in items]}


@bp.get("/metrics.csv")
@guard.require_role("supervisor")
@bp.arguments(MetricsCsvQuerySchema, location="query")
@bp.response(200, content_type="text/csv")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def get_metrics_csv(args: dict):
    """The figures as a spreadsheet: one row for the range, or one per hour or day (`by`)."""
    span, definitions, now = _span(args), settings().insight.definitions, utcnow()
    if args.get("by"):
        size = timedelta(seconds=ranges.BUCKETS[args["by"]])
        rows = [[isoformat(start), isoformat(start + size), *f.as_dict().values()]
                for start, f in metrics.series(span, args["by"], definitions, now)]
    else:
        rows = [[isoformat(span.since), isoformat(span.until), *metrics.figures(span, definitions, now).as_dict().values()]]
    return _csv(["since", "until", *metrics.FIGURES], rows, f"metrics-{span.since:%Y%m%d}.csv")


def _scorecard_ids(args: dict) -> list[int] | None:
    user, wanted = api_user(), args.get("agent_id")
    if roles.has_role(user, "supervisor"):
        return [wanted] if wanted is not None else None
    if wanted not in (None, user.id):
        raise Forbidden("agents see their own scorecard only")
    return [user.id]


@bp.get("/scorecards")
@bp.arguments(ScorecardQuerySchema, location="query")
@bp.response(200, ScorecardListSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def get_scorecards(args: dict):
    """One row per agent: calls, handle time, their customers' NPS, what they kept and closed.
    Supervisors see every agent; an agent sees their own row."""
    span = _span(args)
    return {"since": span.since, "until": span.until,
            "items": scorecards.scorecards(span, settings().insight.definitions, _scorecard_ids(args))}


@bp.get("/scorecards.csv")
@bp.arguments(ScorecardQuerySchema, location="query")
@bp.response(200, content_type="text/csv")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def get_scorecards_csv(args: dict):
    span = _span(args)
    rows = scorecards.scorecards(span, settings().insight.definitions, _scorecard_ids(args))
    return _csv(["agent_id", "agent", *scorecards.COLUMNS],
                [[r["agent"]["id"], r["agent"]["name"], *(r[c] for c in scorecards.COLUMNS)] for r in rows],
                f"scorecards-{span.since:%Y%m%d}.csv")


@bp.get("/me/figures")
@bp.response(200, MyFiguresSchema)
def my_figures():
    """Your own figures for today (UTC): calls you took, their handle time, your customers' NPS,
    and your open follow-ups due by tonight (and those overdue now)."""
    return scorecards.my_day(api_user().id, settings().insight.definitions, utcnow())


def _callback_setup() -> dict:
    provider = settings().provider
    problem = callbacks.setup_problem(provider.caller_id, provider.account_sid)
    return {"available": problem is None, "reason": problem}


@bp.get("/care-list")
@bp.arguments(CareQuerySchema, location="query")
@bp.response(200, CareListSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def get_care_list(args: dict):
    """Who to call before they call us, most urgent first, each with one line saying why: your
    items and unowned ones (supervisors: everyone's). `counts` has every item, not only those listed."""
    user = api_user()
    viewer = care_list.Viewer(user.id, everything=roles.has_role(user, "supervisor") and not args["mine"])
    items, counts = care_list.care_list(viewer, now=utcnow(), silence_days=settings().insight.care_silence_days,
                                        reason=args.get("reason"), owner=args.get("owner"), limit=args["limit"])
    return {"items": [item.as_dict() for item in items], "counts": counts, "callbacks": _callback_setup()}


@bp.post("/care-list/assign")
@bp.arguments(CareAssignSchema)
@bp.response(200, CareAssignedSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def assign_care_item(data: dict):
    """Give an item to someone: supervisors to anyone, an agent an unowned one to themselves."""
    config = settings()
    owner, follow_up_id = care_list.assign(data["item"], data["owner_id"], acting=api_user(), now=utcnow(),
                                           follow_up_hours=config.care.follow_up_hours,
                                           silence_days=config.insight.care_silence_days)
    return {"item": data["item"], "owner": person(owner), "follow_up_id": follow_up_id}


@bp.post("/callbacks")
@bp.arguments(CallbackRequestSchema)
@bp.response(201, CallSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@bp.alt_response(502, schema=ErrorSchema, description="The provider refused the call (its message is given).")
@bp.alt_response(503, schema=ErrorSchema, description="Calling back is not set up (the message names what is missing).")
def place_callback(data: dict):
    """Call a customer back: the provider rings you first (your phone or browser), then them, from
    TWILIO_CALLER_ID. 503 when that is not set up, 502 with the provider's word when it refuses;
    403 for a follow-up someone else owns (supervisors may call back anyone's); 409 while you are
    on a call, this callback still ringing included."""
    from app.webhooks.views import external_url

    config, user, now = settings(), api_user(), utcnow()
    if data.get("phone") is not None and privacy.sees_masked(user):
        # An agent who never sees numbers must not test guesses against a customer's either.
        raise Forbidden("with MASK_NUMBERS on, agents call back by customer_id or follow_up_id, not by phone",
                        {"phone": ["not allowed while numbers are masked: leave it out"]})
    urls = callbacks.Urls(
        bridge=lambda call_id, token: external_url("webhooks.callback_connect", call=call_id, token=token),
        status=external_url("webhooks.status"))
    call = callbacks.place(user, customer_id=data.get("customer_id"), follow_up_id=data.get("follow_up_id"),
                           phone=data.get("phone"), caller_id=config.provider.caller_id,
                           account=config.provider.account, region=config.calls.region, urls=urls,
                           secret_key=current_app.config["SECRET_KEY"],
                           dial_timeout_seconds=config.routing.dial_timeout_seconds, now=now)
    connected = presence.connected_users(config.calls.presence_ttl_seconds, now)
    delivery.pop_call(call, customers_for(call), delivery.audience(call, connected), region=config.calls.region,
                      now=now)
    status.announce([user.id], config, utcnow())
    return call_with_pop(call, "callback")
