"""Provider events that arrived before their call was stored (SPEC §9a).

A status or voicemail callback can reach us before the call it belongs to is in the database: the
voice webhook was spooled during an outage and its host has not replayed it yet, or another host
took the status while this one still holds the call in its spool. Such an event is kept here, in
the database every host shares, and applied by whichever process stores the call. Events whose
call never appears are dropped, with a warning, once they are older than ORPHAN_EVENT_MINUTES.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import delete, select

from app.extensions import db
from app.models import OrphanEvent

log = logging.getLogger(__name__)


def keep(kind: str, call_sid: str, params: Mapping[str, str], query: Mapping[str, str], *,
         received_at: datetime, now: datetime, keep_minutes: int) -> None:
    """Keep one event for `call_sid` until its call is stored; commits. Events kept longer than
    `keep_minutes` before `now` are dropped in the same transaction."""
    expired = now - timedelta(minutes=keep_minutes)
    dropped = db.session.execute(
        delete(OrphanEvent).where(OrphanEvent.kept_at < expired).returning(OrphanEvent.call_sid, OrphanEvent.kind)
    ).all()
    for sid, dropped_kind in dropped:
        log.warning("%s event dropped: no call %s was stored within %d minutes", dropped_kind, sid, keep_minutes,
                    extra={"call_sid": sid})
    db.session.add(OrphanEvent(call_sid=call_sid, kind=kind, params=json.dumps(dict(params.items())),
                               query=json.dumps(dict(query.items())), received_at=received_at, kept_at=now))
    db.session.commit()


def waiting_for(call_sid: str) -> list[OrphanEvent]:
    """The events kept for `call_sid`, in the order the provider sent them."""
    stmt = (select(OrphanEvent).where(OrphanEvent.call_sid == call_sid)
            .order_by(OrphanEvent.received_at, OrphanEvent.id))
    return list(db.session.scalars(stmt))


def take(event: OrphanEvent) -> bool:
    """Remove `event` in the current transaction, to be committed with its effect on the call;
    False if another process took it first (it applies it, not us)."""
    return db.session.execute(
        delete(OrphanEvent).where(OrphanEvent.id == event.id).execution_options(synchronize_session=False)
    ).rowcount == 1


def decoded(event: OrphanEvent) -> tuple[dict, dict]:
    return json.loads(event.params), json.loads(event.query or "{}")
