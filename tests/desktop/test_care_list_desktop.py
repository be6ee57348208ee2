"""The agent's own part of the supervisor's view on the desktop (SPEC §12, issue 12) in a real
Chromium: "My day" says the agent's figures for today and lists their part of the care list
(theirs and nobody's); "Take it" makes an item theirs, and "Call back" asks the provider's REST
API — here the local stand-in (tests/support/twilio_api.py), over real HTTP — to ring the agent
first, then pops the callback on the desktop as an outbound card ("Calling back…"), not an
incoming call.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from app.extensions import db
from app.models import FollowUp, utcnow
from tests.factories import make_call, make_customer, make_follow_up, make_survey, make_user
from tests.support.browser import open_desktop, pages
from tests.support.provider import ACCOUNT_SID
from tests.support.twilio_api import RunningStandIn

pytestmark = pytest.mark.browser

AUTH_TOKEN = "care-desktop-token-0123456789"
CALLER_ID = "+18005550199"


@pytest.fixture
def rest_api():
    with RunningStandIn(ACCOUNT_SID, AUTH_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def app(app_with, rest_api):
    """Calling back set up against the stand-in; CSRF on, as in production."""
    return app_with(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_API_BASE_URL=rest_api.base_url,
                    TWILIO_CALLER_ID=CALLER_ID, WTF_CSRF_ENABLED=True)


@pytest.fixture
def open_page(browser):
    with pages(browser) as factory:
        yield factory


@pytest.fixture
def dana_day(live_server):
    """Dana took two calls today (one surveyed: 10); she owes a follow-up that is overdue; Alice
    Wong left a voicemail nobody has taken yet. Returns the voicemail follow-up's id."""
    now = utcnow()
    today = datetime.combine(now.date(), time())
    with live_server.app.app_context():
        dana = make_user("dana", display_name="Dana Scully")
        alice = make_customer("Alice Wong", phones=("+14155550100",), tier="vip", now=today - timedelta(days=30))
        bob = make_customer("Bob Gold", phones=("+14155550101",), now=today - timedelta(days=30))
        for i, customer in enumerate((alice, bob)):
            start = today + timedelta(minutes=1 + i)
            call = make_call(f"CAmyday{i}", customer, dana, status="completed", from_e164=customer.phones[0].e164,
                             started_at=start, connected_at=start + timedelta(seconds=8),
                             answered_at=start + timedelta(seconds=8), ended_at=start + timedelta(seconds=200),
                             duration=200, disposition="resolved", wrapped_at=start + timedelta(seconds=200))
            if i == 0:
                make_survey(call, score=10, answered_at=start + timedelta(seconds=260))
        make_follow_up(bob, "manual", due_at=now - timedelta(hours=3), owner=dana, created_at=now - timedelta(days=1),
                       note="Send the returns label")
        voicemail_call = make_call("CAvoicemail", alice, None, status="completed", started_at=now - timedelta(hours=1),
                                   ended_at=now - timedelta(minutes=59), recording_url="https://example.invalid/rec")
        voicemail = make_follow_up(alice, "voicemail", due_at=now + timedelta(hours=20), call_id=voicemail_call.id,
                                   created_at=now - timedelta(minutes=59), note="Left a voicemail")
        return {"dana": dana.id, "voicemail": voicemail.id}


def test_my_day_shows_my_figures_and_a_callback_rings_through_the_provider_as_an_outbound_card(
        live_server, open_page, dana_day, rest_api):
    from playwright.sync_api import expect

    page = open_desktop(live_server, open_page(), "dana")
    my_day = page.locator("#my-day")
    figure = lambda key: my_day.locator(f'[data-figure="{key}"] dd')  # noqa: E731
    expect(figure("calls")).to_have_text("2")
    expect(figure("nps")).to_have_text("+100")
    expect(figure("follow_ups_overdue")).to_have_text("1")
    expect(my_day.locator('[data-figure="follow_ups_overdue"]')).to_have_class("my-figure my-figure-alert")

    # My part of the care list: what I owe, and what nobody has taken yet.
    voicemail = my_day.locator(f'[data-care-item="follow_up:{dana_day["voicemail"]}"]')
    expect(voicemail.locator(".badge-care")).to_have_text("Voicemail")
    expect(voicemail.locator("[data-role=owner]")).to_have_text("Owner: Nobody yet")
    mine = my_day.locator("[data-care-item]", has_text="Bob Gold")
    expect(mine.locator("[data-role=owner]")).to_have_text("Owner: You")
    expect(mine.get_by_role("button", name="Take it: Bob Gold")).to_have_count(0)
    expect(my_day.locator("[data-role=callbacks-off]")).to_be_hidden()

    voicemail.get_by_role("button", name="Take it: Alice Wong").click()
    expect(voicemail.locator("[data-role=owner]")).to_have_text("Owner: You")
    with live_server.app.app_context():
        assert db.session.get(FollowUp, dana_day["voicemail"]).owner_id == dana_day["dana"]

    voicemail.get_by_role("button", name="Call back Alice Wong").click()
    card = page.locator('#live-calls [data-direction="outbound"]')
    expect(card).to_have_count(1)
    expect(card.locator(".caller-name")).to_have_text("Alice Wong")
    expect(card.locator("[data-role=direction]")).to_have_text("Outbound · callback")
    expect(card.locator("[data-role=status]")).to_have_text("Calling back…")
    expect(card.locator("[data-role=claimed-by]")).to_have_text("Your callback")
    expect(card.locator(".caller-number")).to_have_text("(415) 555-0100")
    expect(card).to_have_attribute("aria-label", "Calling back Alice Wong")
    expect(voicemail.locator("[data-role=care-message]")).to_contain_text("Calling Alice Wong back")

    created = [r for r in rest_api.requests if r.method == "POST" and r.path.endswith("/Calls.json")]
    assert len(created) == 1, rest_api.requests
    assert created[0].value("To") == "client:dana"  # the agent's phone rings first
    assert created[0].value("From") == CALLER_ID
    assert card.get_attribute("data-call-sid") == rest_api.calls[next(iter(rest_api.calls))]["sid"]
    assert page.title() == "Desktop · KnownCaller"  # a callback does not ring the desk
    assert page.errors == []


def test_my_day_reads_only_the_care_items_it_shows_until_all_are_asked_for(live_server, open_page):
    # Every open desktop reads its day each minute: it asks for the three items it shows, and the
    # count and "Show all" come from the list's counts, not from 100 items it would not show.
    from playwright.sync_api import expect

    now = utcnow()
    with live_server.app.app_context():
        dana = make_user("dana", display_name="Dana Scully")
        for i in range(5):
            customer = make_customer(f"Customer {i}", phones=(f"+1415555020{i}",), now=now - timedelta(days=30))
            make_follow_up(customer, "manual", due_at=now - timedelta(hours=5 - i), owner=dana,
                           created_at=now - timedelta(days=1), note=f"Owed {i}")
    page = open_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/api/v1/care-list" in request.url else None)
    page = open_desktop(live_server, page, "dana")
    care = page.locator("#my-care")
    items = care.locator("[data-care-item]")
    expect(items).to_have_count(3)
    expect(care.locator("[data-role=care-count]")).to_have_text("5")
    more = care.get_by_role("button", name="Show all 5")
    expect(more).to_be_visible()
    assert asked and all("limit=3" in url for url in asked), asked

    more.click()
    expect(items).to_have_count(5)
    expect(care.locator("[data-role=care-more]")).to_have_text("Show fewer")
    assert "limit=" not in asked[-1], asked
    care.get_by_role("button", name="Show fewer").click()
    expect(items).to_have_count(3)
    assert page.errors == []
