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
from app.services import validation
from app.services.calls import delivery, dispatcher, ghosts
from app.services.calls import lifecycle as calls
from app.services.calls.screen_pop import build_screen_pop
from app.services.errors import Forbidden, NotFound
from app.services.people import audit, roles, status
from app.settings import settings

bp = Blueprint("api_calls", __name__, url_prefix="/api/v1", description="Calls, their screen pops, and wrap-up.")
guard.protect(bp)

CALL_URL = "/calls/<string(maxlength=64):call_sid>"


def calls_with_pops(items: list[Call], detail: str) -> list[Annotated]:
    """Each call with its screen pop as of now; the customers those pops show are on the audit
    trail for the user who asked, one row apiece, in one write."""
    now, region = utcnow(), settings().calls.region
    answered, shown = [], []
    for call in items:
        customers = calls.customers_for(call)
        answered.append(Annotated(call, pop=build_screen_pop(call, customers, region, now)))
        shown += [(customer.id, call.call_sid) for customer in customers]
    audit.record_reads(api_user().id, shown, detail, now)
    return answered


def call_with_pop(call: Call, detail: str = "call") -> Annotated:
    return calls_with_pops([call], detail)[0]


def _page(items: list[Call], detail: str, page: int = 1, per_page: int | None = None, total: int | None = None):
    return {"items": calls_with_pops(items, detail), "page": page,
            "per_page": len(items) if per_page is None else per_page,
            "total": len(items) if total is None else total}


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
        return _page(calls.unwrapped_calls(api_user().id, config.wrapup_window_hours, utcnow()), "unwrapped calls")
    if args["active"]:
        # The desktop re-syncs from here: only the calls whose audience holds you (SPEC §11).
        user = api_user()
        active = [call for call in reversed(calls.active_calls(settings().calls.stale_call_hours, utcnow()))
                  if delivery.in_audience(call, user)]
        return _page(active, "active calls")
    user = api_user()
    agent_id = args.get("agent_id")
    if not roles.has_role(user, "supervisor"):
        if agent_id not in (None, user.id):
            raise Forbidden("agents see their own calls only")
        agent_id = user.id
    since, until = validation.naive_utc_or_none(args.get("since")), validation.naive_utc_or_none(args.get("until"))
    items, total = calls.recent_calls(args["page"], args["per_page"], agent_id=agent_id, since=since, until=until)
    return _page(items, "call history", args["page"], args["per_page"], total)


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
    user = api_user()
    change = calls.update_call(call_sid, changes, user=user, dispositions=settings().calls.dispositions)
    audit.record(user.id, "call_changed", customer_id=change.call.customer_id, call_sid=call_sid,
                 detail=("linked; " if change.linked else "") + "changed " + ", ".join(sorted(changes)))
    if "disposition" in changes and change.call.agent_id is not None:
        _freed(change.call.agent_id)  # wrapped up: offerable again
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
        audit.record(api_user().id, "call_changed", customer_id=claimed.call.customer_id, call_sid=call_sid,
                     detail="claimed")
        delivery.update_call(claimed.call, now=utcnow())
        status.announce([api_user().id], settings(), utcnow())
    return call_with_pop(claimed.call)


@bp.post(CALL_URL + "/close")
@guard.require_role("supervisor")
@bp.response(200, CallSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def close_call(call_sid: str):
    """Close a ghost call (supervisors and admins): one still ringing with no news from the provider
    for RING_STALE_SECONDS, or that the provider's REST API could not settle. It ends as `canceled`
    and every desktop hears it; a call with recent news, or one that has ended, is a 409.
    """
    user = api_user()
    call = ghosts.close_call(call_sid, user, stale_seconds=settings().calls.ring_stale_seconds, now=utcnow())
    audit.record(user.id, "call_changed", customer_id=call.customer_id, call_sid=call_sid,
                 detail="closed: no news from the provider")
    delivery.update_call(call, now=utcnow())
    return call_with_pop(call)


@bp.post(CALL_URL + "/release")
@bp.response(200, CallSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def release_call(call_sid: str):
    """Give a call you hold back: nobody holds it, and every desktop hears so (`call_update`
    with `agent: null`). A supervisor or admin may give back anyone's; anyone else gets 403
    `not_your_call`. A call that has ended, or that nobody holds, is a 409.
    """
    user = api_user()
    call = calls.release_call(call_sid, user)
    audit.record(user.id, "call_changed", customer_id=call.customer_id, call_sid=call_sid, detail="given back")
    delivery.update_call(call, now=utcnow())
    _freed(*call.offered_ids)
    return call_with_pop(call)


def _freed(*agent_ids: int) -> None:
    """These agents' status may have changed to available: supervisors hear it, and the first
    caller in line may be moved to one of them."""
    status.announce(agent_ids, settings(), utcnow())
    dispatcher.agent_freed()


@bp.get("/dispositions")
@bp.response(200, DispositionsSchema)
def list_dispositions():
    """The wrap-up dispositions to choose from (the DISPOSITIONS setting), in order."""
    return {"items": list(settings().calls.dispositions)}
