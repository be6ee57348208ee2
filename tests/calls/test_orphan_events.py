"""Provider events that arrive before their call is stored are kept and applied, never dropped
(SPEC §9a): a status or voicemail for a call still in some host's spool, and a call replayed from
the spool keeps the time it first arrived."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Call, FollowUp, OrphanEvent, isoformat, utcnow
from app.services.calls import provider_events, spool
from tests.factories import make_user
from tests.support.provider import new_call_sid, status_params, voice_params
from tests.support.sockets import wait_until

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE42"
# A live voice webhook leaves kept events to each process's sweep, every SPOOL_RETRY_SECONDS.
pytestmark = pytest.mark.app_config(SPOOL_RETRY_SECONDS=0.2)


def stored_call(app, call_sid) -> Call:
    with app.app_context():
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
        db.session.expunge_all()
        return call


def swept(app, call_sid, done) -> Call:
    """The call once the sweep has applied what was kept for it (`done(call)` holds)."""
    assert wait_until(lambda: (c := stored_call(app, call_sid)) is not None and done(c), timeout=5)
    return stored_call(app, call_sid)


def kept_events(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.call_sid, e.kind) for e in db.session.scalars(select(OrphanEvent).order_by(OrphanEvent.id))]


def test_a_status_for_a_call_not_stored_yet_is_kept_and_applied_when_it_arrives(app, provider):
    call_sid = new_call_sid()
    assert provider.status(call_sid, "in-progress", sequence=1).status_code == 200
    assert provider.status(call_sid, "completed", sequence=2, duration=73).status_code == 200
    assert kept_events(app) == [(call_sid, "status"), (call_sid, "status")]

    provider.call(call_sid=call_sid)
    call = swept(app, call_sid, lambda c: c.ended)
    assert (call.status, call.duration) == ("completed", 73)
    assert call.answered_at is not None and call.ended_at is not None
    assert kept_events(app) == []  # applied once, then gone


def test_kept_events_apply_in_the_order_they_were_sent_whatever_order_they_were_kept(app, provider):
    call_sid = new_call_sid()
    # Another host replays its spool: the later event is kept first, the earlier one after it.
    sent = utcnow() - timedelta(minutes=1)
    with app.test_request_context():
        provider_events.record_status(status_params(call_sid, "completed", 2, 40), {},
                                      received_at=sent + timedelta(seconds=40))
        provider_events.record_status(status_params(call_sid, "in-progress", 1), {}, received_at=sent)
    provider.call(call_sid=call_sid)
    call = swept(app, call_sid, lambda c: c.ended)
    assert (call.status, call.duration) == ("completed", 40)
    assert (call.ended_at - call.answered_at) == timedelta(seconds=40)


def test_a_voicemail_for_a_call_not_stored_yet_reaches_the_call_and_its_follow_up(app, provider):
    call_sid = new_call_sid()
    answer = provider.post("/twilio/voicemail", dict(status_params(call_sid, "in-progress"), RecordingUrl=RECORDING))
    assert answer.status_code == 200 and "<Hangup" in answer.get_data(as_text=True)
    assert kept_events(app) == [(call_sid, "voicemail")]

    provider.call(call_sid=call_sid)
    call = swept(app, call_sid, lambda c: c.recording_url is not None)
    assert call.recording_url == RECORDING
    with app.app_context():
        follow_up = db.session.scalar(select(FollowUp).where(FollowUp.call_id == call.id))
        assert (follow_up.reason, follow_up.status) == ("voicemail", "open")


def test_an_agent_leg_answered_before_its_call_is_stored_makes_that_agent_the_holder(app, provider):
    with app.app_context():
        ann_id = make_user("ann").id
    call_sid = new_call_sid()
    leg = status_params(new_call_sid(), "in-progress", ParentCallSid=call_sid)
    assert provider.post(f"/twilio/status?agent={ann_id}", leg).status_code == 200
    provider.call(call_sid=call_sid)
    call = swept(app, call_sid, lambda c: c.agent_id is not None)
    assert (call.agent_id, call.status) == (ann_id, "in-progress")
    assert call.connected_at == call.answered_at


@pytest.mark.app_config(ORPHAN_EVENT_MINUTES=10)
def test_kept_events_whose_call_never_comes_are_dropped_after_orphan_event_minutes(app, provider, caplog):
    old_sid, recent_sid = new_call_sid(), new_call_sid()
    provider.status(old_sid, "completed", sequence=1)
    provider.status(recent_sid, "completed", sequence=1)
    with app.app_context():
        db.session.execute(OrphanEvent.__table__.update().where(OrphanEvent.call_sid == old_sid)
                           .values(kept_at=utcnow() - timedelta(minutes=11)))
        db.session.execute(OrphanEvent.__table__.update().where(OrphanEvent.call_sid == recent_sid)
                           .values(kept_at=utcnow() - timedelta(minutes=9)))
        db.session.commit()
    newest = new_call_sid()
    provider.status(newest, "completed", sequence=1)
    assert kept_events(app) == [(recent_sid, "status"), (newest, "status")]
    assert any(getattr(r, "call_sid", None) == old_sid and r.levelname == "WARNING" for r in caplog.records)
    # The one kept 9 minutes still applies when its call turns up.
    provider.call(call_sid=recent_sid)
    assert swept(app, recent_sid, lambda c: c.ended).status == "completed"


def test_events_for_a_call_already_stored_are_not_kept(app, provider):
    call_sid, _ = provider.call()
    provider.status(call_sid, "completed", sequence=1, duration=5)
    assert kept_events(app) == []
    assert stored_call(app, call_sid).duration == 5


def test_a_provider_retry_of_a_stored_call_does_not_apply_kept_events_twice(app, provider):
    call_sid = new_call_sid()
    provider.status(call_sid, "in-progress", sequence=1)
    provider.call(call_sid=call_sid)
    swept(app, call_sid, lambda c: c.status == "in-progress")
    provider.call(call_sid=call_sid)  # the retry
    with app.app_context():
        assert db.session.scalar(select(func.count(Call.id))) == 1
    assert kept_events(app) == []


def test_a_replayed_call_keeps_its_arrival_time_and_loses_the_unavailable_label(app, ann):
    arrived = utcnow() - timedelta(minutes=7)
    sid = new_call_sid()
    folder = app.config["SPOOL_DIR"]
    path = spool.spool_event(folder, "voice", voice_params(call_sid=sid, from_="+14155550199"), {})
    event = json.loads(path.read_text())
    event["received_at"] = arrived.isoformat()  # as if spooled seven minutes ago, during the outage
    path.write_text(json.dumps(event))
    spool.spool_event(folder, "status", status_params(sid, "in-progress", 1), {})
    with app.test_request_context():
        assert provider_events.replay_spool() == (2, 0)
    call = stored_call(app, sid)
    assert abs((call.started_at - arrived).total_seconds()) < 1
    assert call.lookup_failed  # it was routed while the database was down, and that stays on record
    [listed] = ann.get("/api/v1/calls?active=true").json["items"]
    assert (listed["call_sid"], listed["status"]) == (sid, "in-progress")
    # Looked up at replay (nobody has this number): the pop says so, not "lookup unavailable".
    assert (listed["pop"]["match"], listed["pop"]["lookup"]) == ("none", "ok")
    assert listed["started_at"] == listed["pop"]["received_at"] == isoformat(call.started_at)
