"""`/api/v1` for the service loop (SPEC §10): surveys, follow-ups and promises.

Every change to a customer's follow-ups or promises pops that customer's live calls again, so a
card open on any desktop shows what is now owed.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import guard
from app.api.guard import api_user
from app.models import utcnow
from app.schemas.care import (
    FollowUpCreateSchema,
    FollowUpListSchema,
    FollowUpQuerySchema,
    FollowUpSchema,
    FollowUpUpdateSchema,
    PromiseCreateSchema,
    PromiseSchema,
    PromiseUpdateSchema,
    SurveyListSchema,
    SurveyQuerySchema,
)
from app.services.calls import delivery
from app.services.care import follow_ups, promises, surveys
from app.services.people import audit, roles
from app.settings import settings

bp = Blueprint("api_care", __name__, url_prefix="/api/v1",
               description="The service loop: surveys, follow-ups and promises.")
guard.protect(bp)

CUSTOMER_URL = "/customers/<id:customer_id>"


def _pop_customer_again(customer_id: int | None) -> None:
    """The customer's live calls pop again: their cards show the change at once."""
    config = settings().calls
    delivery.repop_customer(customer_id, region=config.region, presence_ttl_seconds=config.presence_ttl_seconds,
                            now=utcnow())


def _changed(customer_id: int | None, detail: str) -> None:
    if customer_id is not None:
        audit.record(api_user().id, "customer_changed", customer_id=customer_id, detail=detail)


@bp.get("/surveys")
@bp.arguments(SurveyQuerySchema, location="query")
@bp.response(200, SurveyListSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_surveys(args: dict):
    """Surveys, newest first, narrowed by customer, agent and when they were sent. Agents see the
    surveys of their own calls; supervisors and admins every one."""
    return {"items": surveys.list_surveys(
        customer_id=args.get("customer_id"), agent_id=args.get("agent_id"), since=args.get("since"),
        until=args.get("until"), only_agent_id=None if roles.has_role(api_user(), "supervisor") else api_user().id)}


@bp.get("/follow-ups")
@bp.arguments(FollowUpQuerySchema, location="query")
@bp.response(200, FollowUpListSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_follow_ups(args: dict):
    """Follow-ups, soonest due first: `status=open`, `owner=me` (or a user id), `customer_id` narrow them."""
    owner = args.get("owner")
    owner_id = api_user().id if owner == "me" else (int(owner) if owner else None)
    return {"items": follow_ups.list_follow_ups(status=args.get("status"), owner_id=owner_id,
                                                customer_id=args.get("customer_id"))}


@bp.post(CUSTOMER_URL + "/follow-ups")
@bp.arguments(FollowUpCreateSchema)
@bp.response(201, FollowUpSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def add_follow_up(data: dict, customer_id: int):
    """Note that someone must get back to this customer: due FOLLOW_UP_HOURS from now unless
    `due_at` says, owned by you unless `owner_id` says (supervisors name anyone)."""
    follow_up = follow_ups.add_follow_up(customer_id, data, acting=api_user(),
                                         hours=settings().care.follow_up_hours, now=utcnow())
    _changed(customer_id, f"follow-up {follow_up.id} opened")
    _pop_customer_again(customer_id)
    return follow_up


@bp.patch("/follow-ups/<id:follow_up_id>")
@bp.arguments(FollowUpUpdateSchema)
@bp.response(200, FollowUpSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def update_follow_up(changes: dict, follow_up_id: int):
    """Close a follow-up with what was done (`{"status": "done", "outcome": "…"}`), or give it to
    someone (`owner_id`: agents take it, supervisors give it to anyone)."""
    follow_up = follow_ups.update_follow_up(follow_up_id, changes, acting=api_user(), now=utcnow())
    _changed(follow_up.customer_id, f"follow-up {follow_up.id}: " + ", ".join(sorted(changes)))
    _pop_customer_again(follow_up.customer_id)
    return follow_up


@bp.post(CUSTOMER_URL + "/promises")
@bp.arguments(PromiseCreateSchema)
@bp.response(201, PromiseSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def make_promise(data: dict, customer_id: int):
    """Record a promise made to this customer ("refund by Friday", due Friday): it tops every pop
    of theirs until it is marked kept or broken."""
    promise = promises.make_promise(customer_id, data, acting=api_user(), now=utcnow())
    _changed(customer_id, f"promise {promise.id} made")
    _pop_customer_again(customer_id)
    return promise


@bp.route("/promises/<id:promise_id>")
class PromiseDetail(MethodView):
    @bp.arguments(PromiseUpdateSchema)
    @bp.response(200, PromiseSchema)
    @bp.alt_response(403, response="FORBIDDEN")
    @bp.alt_response(404, response="NOT_FOUND")
    @bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def patch(self, changes: dict, promise_id: int):
        """Mark a promise kept or broken, or (its maker, a supervisor) reword it or move its date."""
        promise = promises.update_promise(promise_id, changes, acting=api_user(), now=utcnow())
        _changed(promise.customer_id, f"promise {promise.id}: " + ", ".join(sorted(changes)))
        _pop_customer_again(promise.customer_id)
        return promise

