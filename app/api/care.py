"""`/api/v1/follow-ups`: what someone owes a customer (SPEC §10). Every role reads them."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api import guard
from app.api.guard import api_user
from app.schemas.care import FollowUpListSchema, FollowUpQuerySchema
from app.services.care import follow_ups

bp = Blueprint("api_care", __name__, url_prefix="/api/v1", description="Follow-ups: the service loop.")
guard.protect(bp)


@bp.get("/follow-ups")
@bp.arguments(FollowUpQuerySchema, location="query")
@bp.response(200, FollowUpListSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_follow_ups(args: dict):
    """Follow-ups, soonest due first: `status=open`, `owner=me` (or a user id) narrow them."""
    owner = args.get("owner")
    owner_id = api_user().id if owner == "me" else (int(owner) if owner else None)
    return {"items": follow_ups.list_follow_ups(status=args.get("status"), owner_id=owner_id)}
