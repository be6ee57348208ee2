"""Routing on the desktop and the dashboard (SPEC §11) in a real Chromium: the agent's Available /
Away switch and a supervisor's dashboard seeing it live, the card of a caller routed to the agent
who knows them saying why, and the queue panel showing a caller who waits because nobody is free.

What is history (a customer's earlier call, taken by an agent) is stored through the models;
everything people do goes through the pages and the real API, with CSRF on as in production, and
every call arrives as the provider's signed webhook.
"""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import User, utcnow
from tests.factories import make_call, make_customer, make_user
from tests.support.browser import open_desktop, pages

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

ALICE = "+14155550100"
ZONE = "America/New_York"
# How Chromium's en-GB writes a short month (ICU: "Sept", not "Sep").
EN_GB_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"]


@pytest.fixture
def open_page(browser):
    """Pages in fresh contexts (one per person), in New York time and British English: the card's
    dates are the browser's, not the server's. Page errors are recorded."""
    with pages(browser, timezone_id=ZONE, locale="en-GB") as factory:
        yield factory


@pytest.fixture
def people(live_server):
    """Ann and Frank (agents), Sam (a supervisor): their ids."""
    with live_server.app.app_context():
        ann = make_user("ann", display_name="Ann Lee")
        frank = make_user("frank", display_name="Frank Ocean")
        sam = make_user("sam", role="supervisor", display_name="Sam Boss")
        return {"ann": ann.id, "frank": frank.id, "sam": sam.id}


def card(page, call_sid: str):
    return page.locator(f'#live-calls [data-call-sid="{call_sid}"]')


def open_dashboard(live_server, page, username: str):
    """`username` (a supervisor) on /dashboard, its socket connected and the agents read."""
    from playwright.sync_api import expect

    from tests.support.login import login

    login(page, username, base_url=live_server.base_url)
    expect(page).to_have_url(re.compile(re.escape(live_server.base_url) + "/dashboard$"))
    expect(page.locator("#dashboard-connection")).to_have_attribute("data-state", "connected")
    return page


def chosen_status(live_server, user_id: int) -> str | None:
    with live_server.app.app_context():
        status = db.session.get(User, user_id).status
        db.session.remove()
        return status


def test_an_agent_steps_away_and_back_and_the_dashboard_sees_it_live(live_server, open_page, people):
    from playwright.sync_api import expect

    ann = open_desktop(live_server, open_page(), "ann")
    sam = open_dashboard(live_server, open_page(), "sam")
    switch = ann.get_by_role("combobox", name="My status")
    expect(switch).to_have_value("available")  # an agent who never chose is available
    row = sam.locator(f'#agents-table tr[data-agent-id="{people["ann"]}"]')
    expect(row).to_have_attribute("data-status", "available")
    expect(row).to_contain_text("Ann Lee")
    # From here on the dashboard is not read again: what it shows comes over its socket.
    reads = []
    sam.on("request", lambda request: reads.append(request.url) if "/api/v1/agents" in request.url else None)

    with ann.expect_request(lambda r: r.url.endswith("/api/v1/me/status") and r.method == "PUT") as put:
        switch.select_option("away")
    assert put.value.post_data_json == {"status": "away"}
    expect(ann.locator("#my-status")).to_have_attribute("data-status", "away")
    expect(switch).to_have_value("away")
    expect(row).to_have_attribute("data-status", "away")
    expect(row.locator(".agent-status")).to_have_text("Away")
    assert chosen_status(live_server, people["ann"]) == "away"

    # Back, from the keyboard: the switch is a real control.
    switch.focus()
    with ann.expect_request(lambda r: r.url.endswith("/api/v1/me/status") and r.method == "PUT") as put:
        ann.keyboard.press("ArrowUp")
    assert put.value.post_data_json == {"status": "available"}
    expect(ann.locator("#my-status")).to_have_attribute("data-status", "available")
    expect(row).to_have_attribute("data-status", "available")
    expect(row.locator(".agent-status")).to_have_text("Available")
    assert chosen_status(live_server, people["ann"]) == "available"
    assert reads == [], reads
    assert ann.errors == [] and sam.errors == []


def test_my_status_changed_in_another_tab_moves_the_switch_here(live_server, open_page, people):
    from playwright.sync_api import expect

    first = open_desktop(live_server, open_page(), "ann")
    second = first.context.new_page()  # the same login, in a second tab
    second.goto(f"{live_server.base_url}/")
    expect(second.locator("#connection")).to_have_attribute("data-state", "connected")
    second.get_by_role("combobox", name="My status").select_option("away")
    expect(first.get_by_role("combobox", name="My status")).to_have_value("away")
    expect(first.locator("#my-status")).to_have_attribute("data-state", "away")
    assert first.errors == []


def test_a_refused_status_change_puts_the_switch_back_and_says_why(live_server, open_page, people):
    from playwright.sync_api import expect

    ann = open_desktop(live_server, open_page(), "ann")
    refusal = {"error": {"code": "validation_error", "message": "Status is not one of available, away."}}
    ann.route("**/api/v1/me/status", lambda route: route.fulfill(status=422, json=refusal))
    switch = ann.get_by_role("combobox", name="My status")
    switch.select_option("away")
    expect(ann.locator("#my-status-error")).to_have_text("Status not changed: Status is not one of available, away.")
    expect(switch).to_have_value("available")
    expect(ann.locator("#my-status")).to_have_attribute("data-status", "available")
    assert chosen_status(live_server, people["ann"]) is None
    assert ann.errors == []


def test_the_agent_who_knows_the_caller_is_told_why_the_call_came_to_them(live_server, open_page, people):
    from playwright.sync_api import expect

    # Alice's last answered call, three days ago at 02:30 UTC (still the day before in New York),
    # was Ann's.
    taken = (utcnow() - timedelta(days=3)).replace(hour=2, minute=30, second=0, microsecond=0)
    with live_server.app.app_context():
        alice = make_customer("Alice Wong", phones=(ALICE,))
        make_call("CApastAlice", alice, status="completed", agent=db.session.get(User, people["ann"]),
                  started_at=taken - timedelta(seconds=20), connected_at=taken, ended_at=taken + timedelta(minutes=4))
    local = taken.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(ZONE))
    day = f"{local.day} {EN_GB_MONTHS[local.month - 1]}"

    ann = open_desktop(live_server, open_page(), "ann")
    frank = open_desktop(live_server, open_page(), "frank")
    sam = open_desktop(live_server, open_page(), "sam", lands_on="/dashboard$")
    call_sid, answer = live_server.provider.call(from_=ALICE)
    assert answer.status_code == 200

    why = card(ann, call_sid).locator("[data-role=routing]")
    expect(why).to_have_text(f"You helped Alice Wong on {day}")
    expect(why).to_have_attribute("data-reason", "known_agent")
    # A supervisor sees who it went to, and why.
    expect(card(sam, call_sid).locator("[data-role=routing]")).to_have_text(f"Routed to Ann Lee, who helped them on {day}")
    # It rings Ann alone first: Frank's desktop does not pop it…
    expect(card(frank, call_sid)).to_have_count(0)
    # …until he chooses to see every call: the desktop reads its calls again and shows it, saying
    # who it went to. Turned off, the card goes (the call is live, only no longer his to see).
    watch = frank.get_by_role("checkbox", name="Show every call")
    with frank.expect_request(lambda r: r.url.endswith("/api/v1/me") and r.method == "PATCH") as patch:
        watch.check()
    assert patch.value.post_data_json == {"watch_all": True}
    expect(card(frank, call_sid).locator("[data-role=routing]")).to_have_text(
        f"Routed to Ann Lee, who helped them on {day}")
    watch.uncheck()
    expect(card(frank, call_sid)).to_have_count(0)
    expect(frank.locator(f'#recent-calls [data-call-sid="{call_sid}"]')).to_have_count(0)
    expect(card(ann, call_sid)).to_have_count(1)
    assert ann.errors == [] and frank.errors == [] and sam.errors == []


def test_a_caller_waits_in_the_queue_when_every_agent_is_away(live_server, open_page, people):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("Alice Wong", phones=(ALICE,), tier="vip")
    ann = open_desktop(live_server, open_page(), "ann")
    sam = open_dashboard(live_server, open_page(), "sam")
    ann.get_by_role("combobox", name="My status").select_option("away")
    expect(ann.locator("#my-status")).to_have_attribute("data-status", "away")
    expect(sam.locator(f'#agents-table tr[data-agent-id="{people["ann"]}"]')).to_have_attribute("data-status", "away")
    expect(ann.locator("#queue-panel [data-role=queue-empty]")).to_be_visible()

    call_sid, answer = live_server.provider.call(from_=ALICE)
    assert answer.status_code == 200

    for page in (ann, sam):
        waiting = page.locator(f'#queue-panel .queue-item[data-queued-call="{call_sid}"]')
        expect(waiting).to_have_count(1)
        expect(waiting.locator(".queue-caller")).to_have_text("Alice Wong")
        expect(waiting.locator(".queue-position")).to_have_text("Position 1")
        expect(waiting.locator(".badge-tier")).to_have_text("VIP")
        expect(page.locator("#queue-panel [data-role=queue-count]")).to_have_text("1")
        expect(page.locator("#queue-panel [data-role=queue-empty]")).to_be_hidden()
    # The wait ticks up on the page between the server's updates.
    clock = ann.locator(f'#queue-panel [data-queued-call="{call_sid}"] .queue-clock')
    expect(clock).to_have_text(re.compile(r"^0:0\d$"))
    first = clock.inner_text()
    expect(clock).not_to_have_text(first, timeout=3000)
    # Offered to nobody, the call pops on every agent's desktop, saying the caller waits in line.
    why = card(ann, call_sid).locator("[data-role=routing]")
    expect(why).to_have_attribute("data-reason", "queued")
    expect(why).to_contain_text("waiting in the queue")
    assert ann.errors == [] and sam.errors == []
