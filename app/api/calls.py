"""`/api/v1/calls`: calls as stored, each with its current screen pop (the desktop re-syncs from it)."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from app.api import guard
from app.api.schemas import CallPageSchema, CallQuerySchema, CallSchema
from app.models import Call
from app.services import calls
from app.services.errors import NotFound
from app.services.screen_pop import build_screen_pop

bp = Blueprint("api_calls", __name__, url_prefix="/api/v1", description="Calls and their screen pops.")
guard.protect(bp)


def call_with_pop(call: Call) -> dict:
    pop = build_screen_pop(call, calls.customers_for(call), current_app.config["DEFAULT_REGION"])
    return {**call.to_dict(), "pop": pop}


@bp.get("/calls")
@bp.arguments(CallQuerySchema, location="query")
@bp.response(200, CallPageSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_calls(args: dict):
    """Calls, newest first. `active=true`: every call not yet ended, in one page, for the desktop."""
    if args["active"]:
        items = list(reversed(calls.active_calls(current_app.config["STALE_CALL_HOURS"])))
        return {"items": [call_with_pop(c) for c in items], "page": 1, "per_page": len(items),
                "total": len(items)}
    items, total = calls.recent_calls(args["page"], args["per_page"])
    return {"items": [call_with_pop(c) for c in items], "page": args["page"], "per_page": args["per_page"],
            "total": total}


@bp.get("/calls/<string(maxlength=64):call_sid>")
@bp.response(200, CallSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_call(call_sid: str):
    """One call by the provider's CallSid, with its screen pop."""
    call = calls.get_call(call_sid)
    if call is None:
        raise NotFound(f"call {call_sid} does not exist")
    return call_with_pop(call)
