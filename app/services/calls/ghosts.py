"""No ghost calls (SPEC §3): a call left ringing because its final status never reached us.

A call still queued, initiated or ringing with no news from the provider for RING_STALE_SECONDS is
asked about at the provider's REST API (`GET …/Calls/<CallSid>.json`) and takes the status the
provider reports. When the provider cannot say (no REST credentials, the call unknown to it, the
API unreachable) the call is marked unsettled: desktops show "no news since …", and a supervisor
may close it. Every process runs the check; a conditional UPDATE lets exactly one of them ask
about a given call in each window.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from twilio.base.exceptions import TwilioException

from app.extensions import db
from app.models import STATUS_RANK, Call, User, utcnow
from app.services import provider_api
from app.services.calls import delivery
from app.services.calls import lifecycle as calls
from app.services.errors import Conflict, NotFound
from app.settings import settings

log = logging.getLogger(__name__)

RINGING = ("queued", "initiated", "ringing")
# Calls asked about per run, oldest news first: a backlog is worked through run by run.
BATCH = 50


def _window_start(now: datetime, stale_seconds: int) -> datetime:
    return now - timedelta(seconds=stale_seconds)


def possible_ghosts(stale_seconds: int, now: datetime) -> list[str]:
    """CallSids of calls ringing with no news for `stale_seconds`, not asked about in that time."""
    since = _window_start(now, stale_seconds)
    stmt = (
        select(Call.call_sid)
        .where(Call.status.in_(RINGING), Call.news_at < since,
               or_(Call.checked_at.is_(None), Call.checked_at < since))
        .order_by(Call.news_at)
        .limit(BATCH)
    )
    return list(db.session.scalars(stmt))


def _take_turn(call_sid: str, stale_seconds: int, now: datetime) -> bool:
    """True if this process is the one to ask about `call_sid` now (no other did in the window)."""
    since = _window_start(now, stale_seconds)
    taken = db.session.execute(
        update(Call)
        .where(Call.call_sid == call_sid, Call.status.in_(RINGING),
               or_(Call.checked_at.is_(None), Call.checked_at < since))
        .values(checked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken == 1


@dataclass(frozen=True)
class ProviderAnswer:
    status: str | None  # None: the provider could not say
    duration: str | None = None
    reason: str | None = None


def ask_provider(call_sid: str) -> ProviderAnswer:
    """What the provider's REST API says of `call_sid`; never raises."""
    try:
        resource = provider_api.rest_client(settings().provider.account).calls(call_sid).fetch()
    except provider_api.ProviderNotConfigured as exc:
        return ProviderAnswer(None, reason=exc.message)
    except TwilioException as exc:
        return ProviderAnswer(None, reason=f"the provider answered: {exc}")
    except Exception as exc:  # the API unreachable: a timeout, a refused connection
        return ProviderAnswer(None, reason=f"the provider could not be reached: {exc.__class__.__name__}")
    status = resource.status if resource.status in STATUS_RANK else None
    duration = str(resource.duration) if resource.duration not in (None, "") else None
    return ProviderAnswer(status, duration, None if status else f"unknown status {resource.status!r}")


def check_ghosts() -> int:
    """Ask the provider about every possible ghost and apply what it says; returns how many calls
    were asked about. Each call that changed, or turned unsettled, is pushed to desktops."""
    stale_seconds = settings().calls.ring_stale_seconds
    now = utcnow()
    asked = 0
    for call_sid in possible_ghosts(stale_seconds, now):
        if not _take_turn(call_sid, stale_seconds, now):
            continue
        asked += 1
        answer = ask_provider(call_sid)
        if answer.status is not None:
            log.info("asked the provider about a call with no news: %s", answer.status, extra={"call_sid": call_sid})
            try:
                call = calls.apply_status(call_sid, answer.status, None, answer.duration, at=utcnow())
            except calls.CallNotStored:  # removed meanwhile (a merge or a deletion): nothing to settle
                continue
        else:
            log.warning("no news of a ringing call, and the provider cannot say: %s", answer.reason,
                        extra={"call_sid": call_sid})
            call = _mark_unsettled(call_sid)
        if call is not None:
            delivery.update_call(call, now=utcnow())
    return asked


def _mark_unsettled(call_sid: str) -> Call | None:
    call = calls.get_call(call_sid)
    if call is None or call.unsettled or call.status not in RINGING:
        db.session.rollback()
        return None
    call.unsettled = True
    db.session.commit()
    return call


def is_ghost(call: Call, stale_seconds: int, now: datetime) -> bool:
    """Still ringing, and either no news for `stale_seconds` or asked about without an answer."""
    return call.status in RINGING and (call.unsettled or call.news_at < _window_start(now, stale_seconds))


def close_call(call_sid: str, user: User, *, stale_seconds: int, now: datetime) -> Call:
    """A supervisor closes a ghost the provider could not settle: it ends as `canceled` (the
    caller is no longer there), remembered with who closed it. A call with recent news is not a
    ghost (Conflict), nor is one that has ended."""
    call = db.session.scalar(select(Call).where(Call.call_sid == call_sid).with_for_update())
    if call is None:
        db.session.rollback()
        raise NotFound(f"call {call_sid} does not exist")
    if call.ended:
        db.session.rollback()
        raise Conflict(f"call {call_sid} has ended ({call.status}); there is nothing to close",
                       {"call_sid": [f"ended: {call.status}"]})
    if not is_ghost(call, stale_seconds, now):
        db.session.rollback()
        raise Conflict(f"call {call_sid} is {call.status} with news from the provider in the last "
                       f"{stale_seconds} s; only a call with no news can be closed", {"call_sid": ["not a ghost"]})
    call.status = "canceled"
    call.ended_at = now
    call.unsettled = False
    call.closed_by_id = user.id
    db.session.commit()
    return call


def check_interval(stale_seconds: int) -> float:
    """How often each process looks for ghosts: a quarter of the window, between 0.5 and 30 s."""
    return min(30.0, max(0.5, stale_seconds / 4))


def keep_checking(app) -> None:
    """Start this process's ghost check (once; `app.jobs`): processes that take calls or serve
    desktops call it."""
    from app import jobs

    jobs.every(app, "ghost-calls", check_ghosts, interval=check_interval(settings(app).calls.ring_stale_seconds))
