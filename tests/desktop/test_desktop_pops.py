"""The agent desktop in a real Chromium: log in, see pops arrive live, follow calls, survive drops.

Playwright drives Debian's Chromium (never a downloaded one) against the live server; one browser
is shared by the module and each test gets a fresh context (cookies) and a fresh database.
"""
from __future__ import annotations

import re

import pytest

from tests.factories import make_customer, make_user
from tests.support import provider as provider_support
from tests.support.browser import pages
from tests.support.login import login

pytestmark = pytest.mark.browser



@pytest.fixture
def page(browser):
    """A fresh browser context; every dialog (alert, confirm) it opens is recorded and dismissed."""
    with pages(browser, viewport={"width": 1280, "height": 800}) as open_page:
        yield open_page()


@pytest.fixture
def desktop(live_server, page):
    """Dana, logged in through the form, on a desktop whose socket is connected."""
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("dana", display_name="Dana Scully")
    login(page, "dana", base_url=live_server.base_url)
    expect(page).to_have_url(f"{live_server.base_url}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    return page


def card(page, call_sid: str):
    return page.locator(f'[data-call-sid="{call_sid}"]')


def test_known_caller_pops_with_name_preferences_and_overdue_complaint(live_server, desktop):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer(
            "Alice Wong", phones=("+14155550100",), tier="vip", preferences={"milk": "high-calcium"},
            complaints=[{"subject": "Damaged parcel", "severity": "high", "due_in_days": -2},
                        {"subject": "Invoice question", "due_in_days": 3},
                        {"subject": "Old billing issue", "status": "resolved"}],
        )
    expect(desktop.get_by_text("Dana Scully")).to_be_visible()
    call_sid, _ = live_server.provider.call(from_="+14155550100")

    pop = card(desktop, call_sid)
    live = desktop.locator("#live-calls")
    expect(live.locator(".card")).to_have_count(1)
    expect(pop.locator(".caller-name")).to_have_text("Alice Wong")
    expect(pop.locator(".caller-number")).to_have_text("(415) 555-0100")
    expect(pop.locator(".badge-tier-vip")).to_have_text("VIP")
    expect(pop.locator(".preference")).to_have_text(re.compile(r"milk\s*high-calcium"))
    overdue = pop.locator(".complaint-overdue")
    expect(overdue).to_have_count(1)
    expect(overdue).to_contain_text("Damaged parcel")
    expect(overdue.locator(".badge-overdue")).to_have_text("Overdue")
    expect(pop.locator(".complaint:not(.complaint-overdue)")).to_contain_text("Invoice question")
    expect(pop).not_to_contain_text("Old billing issue")
    expect(pop.locator("[data-role=status]")).to_have_text("Ringing")
    # The desktop talks over a websocket (long-polling is only the fallback).
    assert desktop.evaluate("window.kcTestHook.socket.io.engine.transport.name") == "websocket"


def test_customer_text_is_shown_literally_never_run(live_server, desktop):
    from playwright.sync_api import expect

    hostile = "<img src=x onerror=alert(1)>"
    with live_server.app.app_context():
        make_customer(hostile, phones=("+14155550123",), preferences={"note": "<script>alert(2)</script>"},
                      complaints=[{"subject": "<b onmouseover=alert(3)>bold</b>"}])
    call_sid, _ = live_server.provider.call(from_="+14155550123")

    pop = card(desktop, call_sid)
    expect(pop.locator(".caller-name")).to_have_text(hostile)
    expect(pop.locator(".preference dd")).to_have_text("<script>alert(2)</script>")
    expect(pop.locator(".complaint-subject")).to_have_text("<b onmouseover=alert(3)>bold</b>")
    assert pop.locator("img, script, b").count() == 0
    pop.locator(".complaint").hover()
    desktop.wait_for_timeout(300)
    assert desktop.dialogs == []


def test_call_updates_move_the_card_from_ringing_to_answered_to_recent(live_server, desktop):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("Bruno Diaz", phones=("+14155550150",))
        agent_id = make_user("frank", display_name="Frank Ocean").id
    call_sid, _ = live_server.provider.call(from_="+14155550150")
    pop = card(desktop, call_sid)
    expect(pop.locator("[data-role=status]")).to_have_text("Ringing")

    # Frank's phone picks up the leg we dialled for him: the call is his.
    leg = provider_support.status_params(provider_support.new_call_sid(), "in-progress", ParentCallSid=call_sid)
    live_server.provider.post(f"/twilio/status?agent={agent_id}", leg)
    expect(pop.locator("[data-role=status]")).to_have_text("Answered by Frank Ocean")
    expect(desktop.locator("#live-calls").locator(pop)).to_have_count(1)

    live_server.provider.status(call_sid, "completed", sequence=5, duration=42)
    recent = desktop.locator("#recent-calls")
    expect(recent.locator(f'[data-call-sid="{call_sid}"]')).to_have_count(1)
    expect(recent.locator(f'[data-call-sid="{call_sid}"] .duration')).to_have_text("Duration 0:42")
    expect(desktop.locator("#live-calls .card")).to_have_count(0)
    expect(desktop.locator("#live-empty")).to_be_visible()


def test_shared_unknown_and_withheld_numbers_each_say_what_to_do(live_server, desktop):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        wei = make_customer("Wei Huang", phones=("+14155550111",))
        mei = make_customer("Mei Huang", phones=("+14155550111",))
        wei_id, mei_id = wei.id, mei.id
    shared, _ = live_server.provider.call(from_="+14155550111")
    unknown, _ = live_server.provider.call(from_="+442079460000")
    withheld, _ = live_server.provider.call(from_="anonymous")

    candidates = card(desktop, shared).locator(".candidate a")
    expect(candidates).to_have_text(["Wei Huang", "Mei Huang"])
    assert candidates.nth(0).get_attribute("href") == f"/customers/{wei_id}"
    assert candidates.nth(1).get_attribute("href") == f"/customers/{mei_id}"

    stranger = card(desktop, unknown)
    expect(stranger.locator(".caller-number")).to_have_text("+44 20 7946 0000")
    new_customer = stranger.get_by_role("link", name="New customer")
    expect(new_customer).to_have_attribute("href", f"/customers/new?phone=%2B442079460000&call_sid={unknown}")

    expect(card(desktop, withheld).locator(".caller-name")).to_have_text("Number withheld")

    # Oldest first (the longest wait leads; a new call moves no card): the withheld call came last.
    expect(desktop.locator("#live-calls .card").last).to_have_attribute("data-call-sid", withheld)


def test_call_during_a_dropped_connection_appears_once_after_reconnect(live_server, desktop):
    from playwright.sync_api import expect

    before, _ = live_server.provider.call(from_="+14155550160")
    expect(card(desktop, before)).to_have_count(1)

    desktop.evaluate("window.kcTestHook.socket.disconnect()")
    expect(desktop.locator("#connection")).to_have_attribute("data-state", "offline")
    during, _ = live_server.provider.call(from_="+14155550161")
    desktop.wait_for_timeout(300)
    expect(card(desktop, during)).to_have_count(0)

    desktop.evaluate("window.kcTestHook.socket.connect()")
    expect(desktop.locator("#connection")).to_have_attribute("data-state", "connected")
    expect(card(desktop, during)).to_have_count(1)
    desktop.wait_for_timeout(500)  # let the replay of `before` and any re-sync land too
    expect(card(desktop, before)).to_have_count(1)
    expect(desktop.locator("#live-calls .card")).to_have_count(2)


def test_wrong_password_shows_an_error_and_stays_on_login(live_server, page):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("erin")
    login(page, "erin", "not the password", base_url=live_server.base_url)
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("Username")).to_have_value("erin")


def test_call_that_ended_while_disconnected_moves_to_recent_on_resync(live_server, desktop):
    from playwright.sync_api import expect

    call_sid, _ = live_server.provider.call(from_="+14155550170")
    live_server.provider.status(call_sid, "in-progress", sequence=1)
    expect(card(desktop, call_sid).locator("[data-role=status]")).to_have_text("Answered")

    desktop.evaluate("window.kcTestHook.socket.disconnect()")
    expect(desktop.locator("#connection")).to_have_attribute("data-state", "offline")
    live_server.provider.status(call_sid, "completed", sequence=2, duration=17)

    desktop.evaluate("window.kcTestHook.socket.connect()")
    ended = desktop.locator(f'#recent-calls [data-call-sid="{call_sid}"]')
    expect(ended).to_have_count(1)
    expect(ended.locator(".duration")).to_have_text("Duration 0:17")
    expect(desktop.locator("#live-calls .card")).to_have_count(0)
