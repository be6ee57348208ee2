"""The supervisor's view on /dashboard (SPEC §12, issue 12) in a real Chromium: today's figures in
big numbers beside an earlier range, the service level against its target, the charts drawn by
Chart.js from /vendor/ with a text alternative, the scorecards sorted by a click and opening an
agent's calls and surveys, and the care list — given to an agent from its select, its Call back
disabled with the reason when calling back is not set up, and a provider's refusal said as text.

History (calls, surveys, follow-ups, promises) is stored through the models at exact times: today
is the UTC day the server counts, its calls in its first minutes; yesterday's fall in every
earlier range the dashboard offers. What people do goes through the page and the real API, with
CSRF on as in production.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest

from app.extensions import db
from app.models import Call, Customer, FollowUp, User, utcnow
from tests.factories import make_call, make_customer, make_follow_up, make_promise, make_survey, make_user
from tests.support.browser import pages
from tests.support.login import login
from tests.support.provider import ACCOUNT_SID
from tests.support.services import free_port

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

NO_CALLER_ID = "Calling back is not set up: TWILIO_CALLER_ID"


@pytest.fixture
def open_page(browser):
    with pages(browser, viewport={"width": 1440, "height": 1000}) as factory:
        yield factory


def answered(sid: str, customer, agent, at: datetime, *, wait: int, talk: int = 120, score: int | None = None,
             comment: str | None = None):
    """A call `agent` took `wait` s after it arrived at `at`, talked `talk` s and wrapped up at once;
    with the survey after it when `score` is given."""
    connected = at + timedelta(seconds=wait)
    ended = connected + timedelta(seconds=talk)
    call = make_call(sid, customer, agent, status="completed", from_e164=customer.phones[0].e164, started_at=at,
                     connected_at=connected, answered_at=connected, ended_at=ended, duration=wait + talk,
                     disposition="resolved", wrapped_at=ended)
    if score is not None:
        make_survey(call, score=score, sent_at=ended, answered_at=ended + timedelta(minutes=1), comment=comment)
    return call


@pytest.fixture
def floor(live_server):
    """Dana and Frank (agents), Sam (a supervisor); today's four calls and yesterday's three.

    Today: three answered (after 10, 40 and 5 s: two within the 20 s service level), one
    abandoned; two surveys (10 and 3: NPS 0). Service level 2 of 4 = 50 %, under its 80 % target;
    ASA 18.3 s; abandonment 25 %. Yesterday: Frank two calls, Dana one (her survey: 9, "Lovely");
    all answered within 5 s: 100 %.
    """
    today = datetime.combine(utcnow().date(), time())
    yesterday = today - timedelta(days=1)
    with live_server.app.app_context():
        dana = make_user("dana", display_name="Dana Scully")
        frank = make_user("frank", display_name="Frank Ocean")
        make_user("sam", role="supervisor", display_name="Sam Boss")
        alice = make_customer("Alice Wong", phones=("+14155550100",), tier="vip", now=yesterday)
        bob = make_customer("Bob Gold", phones=("+14155550101",), tier="gold", now=yesterday)
        answered("CAtoday1", alice, dana, today + timedelta(minutes=1), wait=10, score=10)
        answered("CAtoday2", bob, frank, today + timedelta(minutes=2), wait=40, score=3)
        answered("CAtoday3", bob, dana, today + timedelta(minutes=3), wait=5)
        make_call("CAtoday4", None, None, status="canceled", from_e164="+13125550148",
                  started_at=today + timedelta(minutes=4), ended_at=today + timedelta(minutes=5))
        answered("CAyday1", alice, dana, yesterday + timedelta(hours=9), wait=3, talk=300, score=9, comment="Lovely")
        answered("CAyday2", bob, frank, yesterday + timedelta(hours=10), wait=4)
        answered("CAyday3", alice, frank, yesterday + timedelta(hours=11), wait=5)
        ids = {"dana": dana.id, "frank": frank.id, "alice": alice.id, "bob": bob.id}
    return ids


def open_dashboard(live_server, page):
    from playwright.sync_api import expect

    login(page, "sam", base_url=live_server.base_url)
    expect(page).to_have_url(re.compile(re.escape(live_server.base_url) + "/dashboard$"))
    expect(page.locator("#figures")).to_have_attribute("aria-busy", "false")
    return page


def value(page, key: str):
    return page.locator(f'[data-figure="{key}"] [data-role=value]')


def test_today_reads_in_big_numbers_beside_the_earlier_range_and_the_charts_draw(live_server, open_page, floor):
    from playwright.sync_api import expect

    page = open_dashboard(live_server, open_page())
    for key, text in {"calls": "4", "answered": "3", "abandoned": "1", "service_level": "50 %", "asa_seconds": "18 s",
                      "abandonment_rate": "25 %", "nps": "0", "surveys": "2"}.items():
        expect(value(page, key)).to_have_text(text)
    service_level = page.locator('[data-figure="service_level"]')
    expect(service_level).to_have_attribute("data-met", "false")
    expect(service_level.locator("[data-role=target]")).to_have_text("· target 80 % ✗ Missed")
    expect(service_level.locator("[data-role=earlier]")).to_contain_text("Last 7 days: 100 %")
    expect(service_level.locator("[data-role=delta]")).to_have_text("▼ −50 pts")
    expect(service_level.locator("[data-role=delta]")).to_have_class(re.compile(r"\bdelta-worse\b"))
    # Nothing to count today: no answered call of today is 7 days old. A dash that says why.
    fcr = value(page, "first_contact_resolution")
    expect(fcr).to_have_text("—")
    expect(fcr).to_have_attribute("title", re.compile("Nothing to count"))
    # Counts of an earlier range read a day at a time: yesterday's 3 calls over 7 days.
    expect(page.locator('[data-figure="calls"] [data-role=earlier]')).to_contain_text("Last 7 days: 0.4 a day")

    page.get_by_label("Compared with").select_option("yesterday")
    expect(page.locator('[data-figure="calls"] [data-role=earlier]')).to_contain_text("Yesterday: 3")
    expect(page.locator("#export-scorecards")).to_have_attribute("href", re.compile(r"^/api/v1/scorecards\.csv\?since="))
    for link in ("#export-metrics", "#export-metrics-hourly", "#export-scorecards"):  # downloads with this login
        answer = page.request.get(live_server.base_url + page.locator(link).get_attribute("href"))
        assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv"), (link, answer.status)

    # The charts: Chart.js from this origin's /vendor/, each canvas drawn, each with its words.
    assert page.evaluate("""() => performance.getEntriesByType("resource")
        .some((entry) => new URL(entry.name).pathname === "/vendor/chart.umd.min.js")""")
    assert page.evaluate("typeof window.Chart === 'function' && window.Chart.version.startsWith('4.')")
    page.wait_for_function("""() => ["chart-calls", "chart-service-level", "chart-nps"]
        .every((id) => window.Chart.getChart(id) && window.Chart.getChart(id).data.labels.length > 0)""")
    drawn = page.evaluate("""() => ["chart-calls", "chart-service-level", "chart-nps"].map((id) => {
        const canvas = document.getElementById(id);
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked += 1;
        const chart = window.Chart.getChart(id);
        return {id, width: canvas.width, inked, data: chart.data.datasets.map((d) => d.data)};
    })""")
    for chart in drawn:
        assert chart["width"] > 200 and chart["inked"] > 2000, chart
    calls = {label: sum(series) for label, series in zip(("answered", "abandoned"), drawn[0]["data"])}
    assert calls == {"answered": 3, "abandoned": 1}, drawn[0]
    assert 50 in drawn[1]["data"][0] and set(drawn[1]["data"][1]) == {80}, drawn[1]
    assert drawn[2]["data"][0][-1] == 0 and drawn[2]["data"][0][-2] == 100, drawn[2]  # today 0, yesterday +100
    expect(page.locator("#chart-calls")).to_have_attribute("aria-label", re.compile(r"4 calls, 3 answered, 1 abandoned"))
    expect(page.locator("#chart-service-level")).to_have_attribute("aria-label", re.compile(r"1 below target"))
    table = page.locator('[data-chart="calls"] table')
    expect(table.locator("tbody tr")).to_have_count(24)
    expect(table.locator("tbody tr").first).to_have_text(re.compile(r"^00:00\s*4\s*3\s*1$"))
    assert page.errors == []


def test_scorecards_sort_by_a_header_and_a_row_opens_the_agents_calls_and_surveys(live_server, open_page, floor):
    from playwright.sync_api import expect

    page = open_dashboard(live_server, open_page())
    table = page.locator("#scorecards-table")
    names = table.locator("tbody th")
    expect(names).to_have_text(["Frank Ocean", "Dana Scully"])  # the last 7 days, most calls first
    calls_header = table.locator('th[data-sort-key="calls"]')
    expect(calls_header).to_have_attribute("aria-sort", "descending")
    expect(table.locator('tr[data-agent-id="%d"] td' % floor["dana"]).nth(2)).to_have_text("+100")  # NPS

    table.get_by_role("button", name="Agent").click()
    expect(names).to_have_text(["Dana Scully", "Frank Ocean"])
    expect(table.locator('th[data-sort-key="agent"]')).to_have_attribute("aria-sort", "ascending")
    expect(calls_header).not_to_have_attribute("aria-sort", re.compile("."))
    page.keyboard.press("Enter")  # the header's button kept the keyboard: again, the other way
    expect(names).to_have_text(["Frank Ocean", "Dana Scully"])
    expect(table.locator('th[data-sort-key="agent"]')).to_have_attribute("aria-sort", "descending")

    # The keyboard reaches an agent's row (their name); it opens their calls and the surveys on them.
    dana = table.get_by_role("button", name="Dana Scully")
    dana.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Dana Scully")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#agent-calls tbody tr")).to_have_count(1)
    expect(dialog.locator('#agent-calls [data-call-row="CAyday1"]')).to_contain_text("Alice Wong")
    expect(dialog.locator("#agent-surveys li")).to_have_count(1)
    expect(dialog.locator("#agent-surveys li")).to_contain_text("9/10")
    expect(dialog.locator("#agent-surveys li")).to_contain_text("Lovely")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(dana).to_be_focused()

    # A click anywhere on a row opens it too.
    table.locator('tr[data-agent-id="%d"] td' % floor["frank"]).first.click()
    frank = page.get_by_role("dialog", name="Frank Ocean")
    expect(frank.locator("#agent-calls tbody tr")).to_have_count(2)
    assert page.errors == []


def test_the_care_list_gives_an_item_to_an_agent_and_call_back_says_why_it_is_off(live_server, open_page, floor):
    from playwright.sync_api import expect

    now = utcnow()
    with live_server.app.app_context():
        alice, bob = db.session.get(Customer, floor["alice"]), db.session.get(Customer, floor["bob"])
        dana = db.session.get(User, floor["dana"])
        low = make_follow_up(bob, "detractor", due_at=now - timedelta(hours=2), created_at=now - timedelta(hours=26),
                             note="Scored us 3/10")
        make_promise(alice, "Refund the delivery fee", due_at=now - timedelta(hours=5), made_by=dana,
                     made_at=now - timedelta(days=2))
        low_id = low.id

    page = open_dashboard(live_server, open_page())
    panel = page.locator("#care-panel")
    items = panel.locator("[data-care-item]")
    expect(items).to_have_count(2)
    promise = items.filter(has_text="Refund the delivery fee")
    expect(promise.locator(".badge-care")).to_have_text("Promise overdue")
    expect(promise.locator("[data-role=owner]")).to_have_text("Owner: Dana Scully")
    expect(promise.get_by_role("link", name="Alice Wong")).to_have_attribute("href", f"/customers/{floor['alice']}")

    # Not set up here: every Call back is disabled, and the reason reads above the list.
    reason = panel.locator("[data-role=callbacks-off]")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text(NO_CALLER_ID)
    for button in items.get_by_role("button", name=re.compile("^Call back")).all():
        expect(button).to_be_disabled()
        expect(button).to_have_attribute("title", re.compile(NO_CALLER_ID))
        expect(button).to_have_attribute("aria-describedby", "callbacks-off")

    # The supervisor gives the low score to Frank.
    detractor = panel.locator(f'[data-care-item="follow_up:{low_id}"]')
    expect(detractor.locator(".badge-care")).to_have_text("Low survey score")
    expect(detractor.locator("[data-role=owner]")).to_have_text("Owner: Nobody yet")
    detractor.get_by_label(re.compile("^Give low survey score of Bob Gold to")).select_option(label="Frank Ocean")
    detractor.get_by_role("button", name="Assign Bob Gold").click()
    expect(detractor.locator("[data-role=owner]")).to_have_text("Owner: Frank Ocean")
    with live_server.app.app_context():
        assert db.session.get(FollowUp, low_id).owner_id == floor["frank"]
    assert page.errors == []


# Calling back set up, but the provider's REST API is at a port nobody listens on: it cannot be reached.
UNREACHABLE_PROVIDER = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_CALLER_ID": "+18005550199",
                        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{free_port()}"}


@pytest.mark.app_config(**UNREACHABLE_PROVIDER)
def test_a_callback_the_provider_refuses_says_so_on_its_item(live_server, open_page, floor):
    from playwright.sync_api import expect

    now = utcnow()
    with live_server.app.app_context():
        bob = db.session.get(Customer, floor["bob"])
        low_id = make_follow_up(bob, "detractor", due_at=now + timedelta(hours=2), note="Scored us 3/10").id

    page = open_dashboard(live_server, open_page())
    item = page.locator(f'[data-care-item="follow_up:{low_id}"]')
    expect(page.locator("#care-panel [data-role=callbacks-off]")).to_be_hidden()
    item.get_by_role("button", name="Call back Bob Gold").click()
    message = item.locator("[data-role=care-message]")
    expect(message).to_have_text(re.compile(r"^The provider refused the call: "))
    expect(message).to_have_class(re.compile(r"\bcare-message-error\b"))
    expect(item.get_by_role("button", name="Call back Bob Gold")).to_be_enabled()  # it may be tried again
    with live_server.app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Call).where(Call.direction == "outbound")) == 0
    assert page.errors == []
