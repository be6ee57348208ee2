"""No ghost calls (SPEC §3): a call left ringing with no news is asked about at the provider's REST
API (a local stand-in that answers as Twilio does) and takes the status it reports; what the
provider cannot settle is shown as unsettled, and a supervisor may close it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Call, utcnow
from app.services.calls import ghosts
from tests.support.api import assert_error
from tests.support.provider import ACCOUNT_SID
from tests.support.sockets import wait_until
from tests.support.twilio_api import RunningStandIn

AUTH_TOKEN = "ghost-test-token-0123456789"


@pytest.fixture
def rest_api():
    with RunningStandIn(ACCOUNT_SID, AUTH_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def app(app_with, rest_api, request):
    marker = request.node.get_closest_marker("app_config")
    return app_with(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                    TWILIO_API_BASE_URL=rest_api.base_url, **(marker.kwargs if marker else {}))


def stored(call_sid: str) -> Call:
    db.session.rollback()
    return db.session.scalar(select(Call).where(Call.call_sid == call_sid))


def no_news_for(call_sid: str, seconds: int) -> None:
    call = stored(call_sid)
    call.news_at = utcnow() - timedelta(seconds=seconds)
    db.session.commit()


def asked_about(rest_api, call_sid: str) -> int:
    return sum(1 for r in rest_api.requests
               if (r.method, r.path) == ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{call_sid}.json"))


def test_a_ringing_call_with_no_news_takes_the_status_the_provider_reports(app_ctx, provider, rest_api):
    ghost, _ = provider.call()
    fresh, _ = provider.call()
    rest_api.calls[ghost] = rest_api.call_resource(ghost, status="completed", duration="12")
    no_news_for(ghost, app_ctx.config["RING_STALE_SECONDS"] + 5)

    assert ghosts.check_ghosts() == 1
    call = stored(ghost)
    assert (call.status, call.duration, call.ended_at is not None, call.unsettled) == ("completed", 12, True, False)
    assert (asked_about(rest_api, ghost), asked_about(rest_api, fresh)) == (1, 0)
    assert stored(fresh).status == "ringing"


def test_what_the_provider_cannot_settle_is_unsettled_and_asked_about_once_per_window(app_ctx, provider, rest_api, ann):
    ghost, _ = provider.call()  # the stand-in has never heard of it: Twilio's 404
    no_news_for(ghost, app_ctx.config["RING_STALE_SECONDS"] + 5)
    ghosts.check_ghosts()
    ghosts.check_ghosts()  # within the same window: not asked again
    assert asked_about(rest_api, ghost) == 1
    shown = ann.get(f"/api/v1/calls/{ghost}").json
    assert (shown["status"], shown["unsettled"], shown["pop"]["unsettled"]) == ("ringing", True, True)
    assert shown["news_at"] == shown["pop"]["news_at"]
    # News from the provider settles it again.
    provider.status(ghost, "in-progress", sequence=1)
    assert ann.get(f"/api/v1/calls/{ghost}").json["unsettled"] is False


def test_without_rest_credentials_a_ghost_is_unsettled_at_once(app_with, rest_api):
    app = app_with(TWILIO_ACCOUNT_SID=None)
    from tests.support.provider import Provider

    provider = Provider.of(app)
    ghost, _ = provider.call()
    with app.app_context():
        no_news_for(ghost, app.config["RING_STALE_SECONDS"] + 5)
        ghosts.check_ghosts()
        assert stored(ghost).unsettled is True
    assert rest_api.requests == []


def test_a_supervisor_closes_a_ghost_and_nobody_else_can(app_ctx, provider, api_as, ann):
    supervisor = api_as("supervisor", display_name="Sam Boss")
    ghost, _ = provider.call()
    recent, _ = provider.call()
    assert_error(supervisor.post(f"/api/v1/calls/{recent}/close"), 409, "conflict")  # it has news: not a ghost
    no_news_for(ghost, app_ctx.config["RING_STALE_SECONDS"] + 5)
    assert_error(ann.post(f"/api/v1/calls/{ghost}/close"), 403, "forbidden")

    closed = supervisor.post(f"/api/v1/calls/{ghost}/close")
    assert closed.status_code == 200, closed.get_data(as_text=True)
    assert (closed.json["status"], closed.json["ended_at"] is not None) == ("canceled", True)
    call = stored(ghost)
    assert (call.status, call.closed_by_id) == ("canceled", supervisor.user.id)
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.call_sid == ghost)) == \
        "closed: no news from the provider"
    assert_error(supervisor.post(f"/api/v1/calls/{ghost}/close"), 409, "conflict")  # ended already
    assert_error(supervisor.post(f"/api/v1/calls/CA{'0' * 32}/close"), 404, "not_found")


@pytest.mark.app_config(RING_STALE_SECONDS=1)
def test_every_desktop_hears_a_ghost_settled_by_the_background_check(app, live_server, socket_factory, rest_api):
    from tests.factories import make_token, make_user

    with app.app_context():
        token = make_token(make_user("agent1"))
    agent = socket_factory(token=token)  # a process serving desktops runs the check
    ghost, _ = live_server.provider.call()
    agent.wait_for("screen_pop", lambda p: p["call_sid"] == ghost)
    rest_api.calls[ghost] = rest_api.call_resource(ghost, status="no-answer")
    update = agent.wait_for("call_update", lambda u: u["call_sid"] == ghost, timeout=10)
    assert update["status"] == "no-answer"
    assert wait_until(lambda: asked_about(rest_api, ghost) == 1)
