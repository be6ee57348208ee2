"""`/api/v1/calls`: calls as stored, each with its current screen pop (the desktop re-syncs from it),
and the agent's work on them: claim, link to a customer, wrap-up (SPEC §9).

Every role works calls; the history of everyone's calls is for supervisors and admins, an agent's
history lists the calls they took. Emits go through `app.realtime.push`, after the service commits.
"""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api import guard
from app.api.guard import api_user
from app.models import Call, utcnow
from app.schemas.calls import (
    CallPageSchema,
    CallQuerySchema,
    CallSchema,
    CallUpdateSchema,
    DispositionsSchema,
)
from app.schemas.common import Annotated
from app.services.calls import delivery
from app.services.calls import lifecycle as calls
from app.services.calls.screen_pop import build_screen_pop
from app.services.errors import NotFound
from app.services.people import roles
from app.settings import settings

bp = Blueprint("api_calls", __name__, url_prefix="/api/v1", description="Calls, their screen pops, and wrap-up.")
guard.protect(bp)

CALL_URL = "/calls/<string(maxlength=64):call_sid>"


def call_with_pop(call: Call) -> dict:
    pop = build_screen_pop(call, calls.customers_for(call), settings().calls.region, utcnow())
    return Annotated(call, pop=pop)


@bp.get("/calls")
@bp.arguments(CallQuerySchema, location="query")
@bp.response(200, CallPageSchema)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_calls(args: dict):
    """Calls, newest first. `active=true`: every call not yet ended, in one page, for the desktop.
    `unwrapped=true`: your calls that ended without a disposition, in one page, for a desktop
    that reloaded before its wrap-up was saved.

    Without it, the history: every call for supervisors and admins, an agent's own calls for agents.
    """
    if args["unwrapped"]:
        config = settings().calls
        items = calls.unwrapped_calls(api_user().id, config.wrapup_window_hours, utcnow())
        return {"items": [call_with_pop(c) for c in items], "page": 1, "per_page": len(items),
                "total": len(items)}
    if args["active"]:
        items = list(reversed(calls.active_calls(settings().calls.stale_call_hours, utcnow())))
        return {"items": [call_with_pop(c) for c in items], "page": 1, "per_page": len(items),
                "total": len(items)}
    user = api_user()
    if roles.has_role(user, "supervisor"):
        items, total = calls.recent_calls(args["page"], args["per_page"])
    else:
        items, total = calls.recent_calls(args["page"], args["per_page"], agent_id=user.id)
    return {"items": [call_with_pop(c) for c in items], "page": args["page"], "per_page": args["per_page"],
            "total": total}


@bp.get(CALL_URL)
@bp.response(200, CallSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_call(call_sid: str):
    """One call by the provider's CallSid, with its screen pop."""
    call = calls.get_call(call_sid)
    if call is None:
        raise NotFound(f"call {call_sid} does not exist")
    return call_with_pop(call)


@bp.patch(CALL_URL)
@bp.arguments(CallUpdateSchema)
@bp.response(200, CallSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def update_call(changes: dict, call_sid: str):
    """Link the call to a customer (`customer_id`), and/or wrap it up (`notes`, `disposition`).

    Linking makes the call a single match and sends every desktop a fresh `screen_pop` for it.
    Once the call is held, only its holder, a supervisor or an admin may change it (403
    `not_your_call` for anyone else).
    """
    change = calls.update_call(call_sid, changes, user=api_user(),
                               dispositions=settings().calls.dispositions)
    if change.linked:
        pop = delivery.repop(change.call, region=settings().calls.region,
                             presence_ttl_seconds=settings().calls.presence_ttl_seconds, now=utcnow())
        return Annotated(change.call, pop=pop)
    return call_with_pop(change.call)


@bp.post(CALL_URL + "/claim")
@bp.response(200, CallSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def claim_call(call_sid: str):
    """"I'm taking this": the call becomes yours and every desktop hears it (`call_update`).

    Of two agents claiming at once exactly one wins; the other gets a 409 naming who holds it.
    Claiming a call you already hold changes nothing and answers 200.
    """
    claimed = calls.claim_call(call_sid, api_user().id)
    if claimed.changed:
        delivery.update_call(claimed.call, now=utcnow())
    return call_with_pop(claimed.call)


@bp.get("/dispositions")
@bp.response(200, DispositionsSchema)
def list_dispositions():
    """The wrap-up dispositions to choose from (the DISPOSITIONS setting), in order."""
    return {"items": list(settings().calls.dispositions)}
