"""No ghost calls on the desktop and the dashboard (SPEC §3; issue 9, item 3) in a real Chromium.

A call left ringing with no news is asked about at the provider's REST API — here the local
stand-in (tests/support/twilio_api.py), which answers as Twilio does — within RING_STALE_SECONDS
(1 s here) of its last news. What the provider settles leaves every desktop as the provider says;
what it cannot settle shows "No news since HH:MM" instead of a running ringing timer, and a
supervisor closes it from the desktop or the dashboard. The desktop's socket starts the
background check, as in production.
"""
from __future__ import annotations

import re

import pytest

from tests.factories import make_user
from tests.support.browser import open_desktop, pages
from tests.support.login import login
from tests.support.provider import ACCOUNT_SID
from tests.support.twilio_api import RunningStandIn

pytestmark = pytest.mark.browser

AUTH_TOKEN = "ghost-desktop-token-0123456789"
NO_NEWS = re.compile(r"^No news since \d{1,2}:\d{2}")


@pytest.fixture
def rest_api():
    with RunningStandIn(ACCOUNT_SID, AUTH_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def app(app_with, rest_api):
    """The app asking the stand-in about calls with no news for a second; CSRF on, as in production."""
    return app_with(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                    TWILIO_API_BASE_URL=rest_api.base_url, RING_STALE_SECONDS=1, WTF_CSRF_ENABLED=True)


@pytest.fixture
def open_page(browser):
    """Pages in fresh contexts (one per person); page errors are recorded."""
    with pages(browser) as factory:
        yield factory


@pytest.fixture
def people(live_server):
    with live_server.app.app_context():
        make_user("dana", display_name="Dana Scully")
        make_user("sam", role="supervisor", display_name="Sam Boss")


def card(page, call_sid: str):
    return page.locator(f'[data-call-sid="{call_sid}"]')


def test_ghosts_settle_through_the_provider_or_show_no_news_until_a_supervisor_closes_them(
        live_server, open_page, people, rest_api):
    from playwright.sync_api import expect

    dana = open_desktop(live_server, open_page(), "dana", lands_on="/(dashboard)?$")
    sam = open_desktop(live_server, open_page(), "sam", lands_on="/(dashboard)?$")
    settled, _ = live_server.provider.call(from_="+14155550120")
    ghost, _ = live_server.provider.call(from_="+14155550121")  # the stand-in never heard of it
    rest_api.calls[settled] = rest_api.call_resource(settled, status="no-answer")
    expect(card(dana, settled)).to_have_count(1)

    # The provider says the first one was not answered: it leaves every desktop as "Missed".
    missed = dana.locator(f'#recent-calls [data-call-sid="{settled}"]')
    expect(missed).to_have_count(1)
    expect(missed.locator("[data-role=status]")).to_have_text("Missed")
    expect(sam.locator(f'#recent-calls [data-call-sid="{settled}"]')).to_have_count(1)

    # The provider cannot say what became of the other: no news since when, no running timer.
    for page in (dana, sam):
        pill = card(page, ghost).locator("[data-role=status]")
        expect(pill).to_have_text(NO_NEWS)
        expect(card(page, ghost).locator("[data-since]")).to_have_count(0)
    expect(card(dana, ghost).locator("[data-role=ghost]")).to_contain_text("A supervisor can close it.")
    expect(card(dana, ghost).get_by_role("button", name="Close this call")).to_have_count(0)

    # The supervisor closes it from the desktop: it ends as "Caller hung up" everywhere.
    card(sam, ghost).get_by_role("button", name="Close this call").click()
    for page in (sam, dana):
        closed = page.locator(f'#recent-calls [data-call-sid="{ghost}"]')
        expect(closed).to_have_count(1)
        expect(closed.locator("[data-role=status]")).to_have_text("Caller hung up")
    expect(dana.locator("#live-calls [data-call-sid]")).to_have_count(0)
    assert dana.errors == [] and sam.errors == []


def test_the_dashboard_shows_a_ghost_without_a_timer_and_closes_it(live_server, open_page, people, rest_api):
    from playwright.sync_api import expect

    # A desktop's socket runs the check.
    dana = open_desktop(live_server, open_page(), "dana", lands_on="/(dashboard)?$")
    ghost, _ = live_server.provider.call(from_="+14155550122")
    expect(card(dana, ghost).locator("[data-role=status]")).to_have_text(NO_NEWS)

    sam = open_page()
    login(sam, "sam", base_url=live_server.base_url)
    expect(sam).not_to_have_url(re.compile(r"/login$"))
    sam.goto(f"{live_server.base_url}/dashboard")
    row = sam.locator("#live-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".pill-unsettled")).to_have_text(NO_NEWS)
    expect(row.locator("td").last).to_have_text("")  # no "35:04" counting up
    row.get_by_role("button", name=re.compile("^Close this call")).click()
    expect(sam.locator("#live-empty")).to_be_visible()
    expect(dana.locator(f'#recent-calls [data-call-sid="{ghost}"] [data-role=status]')).to_have_text("Caller hung up")
    assert dana.errors == [] and sam.errors == []
