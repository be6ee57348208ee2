"""The service loop in a real Chromium (SPEC §10): the pop says what is owed before hello — its
flags, open promises and follow-ups — and the agent settles them from the card, so the next call
from that customer no longer carries them. Also: a promise made on the card, the "My follow-ups"
panel, and the customer page's Don't-survey switch.

Owed things that are already overdue are stored through the models (nothing in the product makes
a promise due yesterday); everything the agent does goes through the page and the real API, with
CSRF on as in production.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Customer, FollowUp, Promise, Survey
from app.models.base import utcnow
from tests.desktop.test_accessibility import AXE, assert_no_serious
from tests.factories import make_call, make_customer, make_user
from tests.support.browser import open_desktop, pages
from tests.support.login import login

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

ALICE = "+14155550100"
ZONE = "America/New_York"


@pytest.fixture
def open_page(browser):
    """Pages in fresh contexts, in New York time (a promise's date is that day where the agent is);
    page errors and dialogs are recorded (a beforeunload one is accepted). `axe=True` lets axe-core
    in (the app's CSP forbids inline scripts)."""
    with pages(browser, record="type", accept=("beforeunload",), timezone_id=ZONE) as factory:
        yield lambda axe=False: factory(bypass_csp=axe)


@pytest.fixture
def people(live_server):
    """Dana (an agent), Frank (another), and Alice, a customer: their ids."""
    with live_server.app.app_context():
        dana = make_user("dana", display_name="Dana Scully")
        frank = make_user("frank", display_name="Frank Ocean")
        alice = make_customer("Alice Wong", phones=(ALICE,))
        return {"dana": dana.id, "frank": frank.id, "alice": alice.id}


def card(page, call_sid: str):
    return page.locator(f'[data-call-sid="{call_sid}"]')


def owe(live_server, customer_id: int, owner_id: int, *, promise: str | None = None, follow_up: str | None = None,
        due_in_hours: float = -24, reason: str = "manual") -> dict:
    """Store what is owed `customer_id`: a promise `owner_id` made and/or a follow-up they own,
    due `due_in_hours` from now (negative: overdue already). Returns their ids."""
    made = {}
    with live_server.app.app_context():
        due = utcnow() + timedelta(hours=due_in_hours)
        if promise is not None:
            row = Promise(customer_id=customer_id, text=promise, due_at=due, made_by_id=owner_id,
                          made_at=utcnow() - timedelta(days=2))
            db.session.add(row)
            db.session.flush()
            made["promise"] = row.id
        if follow_up is not None:
            row = FollowUp(customer_id=customer_id, reason=reason, note=follow_up, owner_id=owner_id, due_at=due,
                           created_at=utcnow() - timedelta(days=2))
            db.session.add(row)
            db.session.flush()
            made["follow_up"] = row.id
        db.session.commit()
    return made


def scored(live_server, customer_id: int, agent_id: int, score: int, *, hours_ago: float = 30, comment=None) -> int:
    """A past call of `customer_id`, taken by `agent_id`, that the caller scored `score` by SMS."""
    with live_server.app.app_context():
        at = utcnow() - timedelta(hours=hours_ago)
        call = make_call(f"CApast{score}{int(hours_ago)}", db.session.get(Customer, customer_id), status="completed",
                         started_at=at, agent_id=agent_id)
        survey = Survey(call_id=call.id, customer_id=customer_id, agent_id=agent_id, channel="sms", status="answered",
                        score=score, comment=comment, sent_at=at, answered_at=at + timedelta(minutes=5))
        db.session.add(survey)
        db.session.commit()
        return survey.id


def stored(live_server, model, row_id: int):
    with live_server.app.app_context():
        row = db.session.get(model, row_id)
        db.session.expunge_all()
        return row


def test_what_is_owed_pops_is_settled_on_the_card_and_the_next_call_no_longer_carries_it(
        live_server, open_page, people):
    from playwright.sync_api import expect

    scored(live_server, people["alice"], people["dana"], 3)
    owed = owe(live_server, people["alice"], people["dana"], promise="refund", follow_up="Call back about the parcel")
    page = open_desktop(live_server, open_page(), "dana")
    call_sid, _ = live_server.provider.call(from_=ALICE)
    pop = card(page, call_sid)

    # Before hello: the flags, most urgent first, one line each at the top of the card; an urgent
    # one says so in words, not only in red.
    flags = pop.locator('[data-part="flags"] li')
    expect(pop.locator('[data-part="flags"] [data-flag="overdue_promise"]')).to_contain_text("refund")
    expect(pop.locator('[data-part="flags"] [data-flag="overdue_follow_up"]')).to_be_visible()
    first_part = pop.evaluate("(node) => node.firstElementChild.getAttribute('data-part')")
    assert first_part == "flags"
    for i in range(flags.count()):
        if flags.nth(i).get_attribute("data-level") == "alert":
            expect(flags.nth(i).locator(".flag-lead")).to_have_text("Urgent")
    # The open promise and follow-up, overdue and saying so.
    promise = pop.locator(f'.promise[data-promise-id="{owed["promise"]}"]')
    expect(promise).to_contain_text("refund")
    expect(promise.locator(".badge-overdue")).to_have_text("Overdue")
    follow_up = pop.locator(f'.follow-up[data-follow-up-id="{owed["follow_up"]}"]')
    expect(follow_up).to_contain_text("Call back about the parcel")
    expect(follow_up).to_have_class(re.compile(r"\bfollow-up-overdue\b"))
    expect(pop.locator('[data-part="flags"] [data-flag="awaiting_recovery"]')).to_contain_text("3/10")
    expect(pop.locator("[data-role=stage]")).to_have_text("At risk")
    expect(pop.locator("[data-role=last-survey]")).to_have_text("Survey 3/10")

    pop.get_by_role("button", name="I'm taking this").click()
    live_server.provider.status(call_sid, "in-progress", sequence=1)
    expect(pop.locator("[data-role=status]")).to_contain_text("Answered")

    # The promise was kept: it leaves the card.
    promise.get_by_role("button", name="Kept").click()
    expect(promise).to_have_count(0)
    expect(pop.locator('[data-part="flags"] [data-flag="overdue_promise"]')).to_have_count(0)
    assert stored(live_server, Promise, owed["promise"]).status == "kept"

    # The follow-up is closed with what came of it: the outcome is required, and said beside it.
    follow_up.get_by_role("button", name=re.compile("^Done")).click()
    form = follow_up.get_by_role("form", name="Close follow-up")
    form.get_by_role("button", name="Close it").click()
    expect(form.locator('[data-field="outcome"] .field-error')).not_to_be_empty()
    expect(form.get_by_label("Outcome")).to_have_attribute("aria-invalid", "true")
    assert stored(live_server, FollowUp, owed["follow_up"]).status == "open"
    form.get_by_label("Outcome").fill("Called back: parcel re-sent")
    form.get_by_label("Outcome").press("Enter")
    expect(follow_up).to_have_count(0)
    done = stored(live_server, FollowUp, owed["follow_up"])
    assert (done.status, done.outcome) == ("done", "Called back: parcel re-sent")
    expect(pop.locator('[data-part="message"]')).to_contain_text("Called back: parcel re-sent")

    live_server.provider.status(call_sid, "completed", sequence=2, duration=120)

    # The next call from Alice: nothing of it is owed any more.
    again, _ = live_server.provider.call(from_=ALICE)
    next_pop = card(page, again)
    expect(next_pop.locator(".caller-name")).to_have_text("Alice Wong")
    expect(next_pop.locator(".promise")).to_have_count(0)
    expect(next_pop.locator(".follow-up")).to_have_count(0)
    expect(next_pop.locator('[data-flag="overdue_promise"], [data-flag="overdue_follow_up"], '
                            '[data-flag="awaiting_recovery"]')).to_have_count(0)
    expect(next_pop.locator("[data-role=stage]")).not_to_have_text("At risk")
    assert page.errors == []


def test_a_promise_made_on_the_card_shows_on_it_due_the_end_of_that_day_where_the_agent_is_and_keeps_its_draft(
        live_server, open_page, people):
    from playwright.sync_api import expect

    page = open_desktop(live_server, open_page(), "dana")
    call_sid, _ = live_server.provider.call(from_=ALICE)
    pop = card(page, call_sid)
    pop.get_by_role("button", name="I'm taking this").click()
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")

    pop.get_by_role("button", name="Promise", exact=True).click()
    form = pop.get_by_role("form", name="New promise")
    form.get_by_role("button", name="Promise").click()  # nothing said: the server says what is missing
    expect(form.locator('[data-field="text"] .field-error')).not_to_be_empty()

    by = date.today() + timedelta(days=3)
    form.get_by_label("What we promised").fill("Refund the delivery fee")
    form.get_by_label("By").fill(by.isoformat())
    form.get_by_label("What we promised").press("Enter")
    made = pop.locator(".promise", has_text="Refund the delivery fee")
    expect(made).to_be_visible()
    expect(pop.get_by_role("form", name="New promise")).to_have_count(0)  # saved, it closes
    expect(made.get_by_role("button", name="Kept")).to_be_visible()
    expect(made.locator(".badge-overdue")).to_have_count(0)

    with live_server.app.app_context():
        promise = db.session.scalar(select(Promise).where(Promise.text == "Refund the delivery fee"))
        assert promise.status == "open" and promise.customer_id == people["alice"]
        assert promise.call is not None and promise.call.call_sid == call_sid
        end_of_day = datetime(by.year, by.month, by.day, 23, 59, 59, tzinfo=ZoneInfo(ZONE))
        expected = end_of_day.astimezone(timezone.utc).replace(tzinfo=None)
        assert abs((promise.due_at.replace(tzinfo=None) - expected).total_seconds()) < 1, (promise.due_at, expected)

    # "p" opens the same form on the card the keys act on.
    pop.focus()
    page.keyboard.press("p")
    expect(pop.get_by_role("form", name="New promise")).to_be_visible()
    expect(pop.get_by_label("What we promised")).to_be_focused()
    # What is typed in it outlives a reload, like every form on a card.
    page.keyboard.type("Call back on Friday")
    page.reload()
    assert page.dialogs == ["beforeunload"]
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    expect(card(page, call_sid).get_by_label("What we promised")).to_have_value("Call back on Friday")
    assert page.errors == []


def test_my_follow_ups_lists_mine_soonest_first_and_closes_one_with_its_outcome(live_server, open_page, people):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        bob = make_customer("Bob <b>Gold</b>", phones=("+14155550101",)).id
    later = owe(live_server, bob, people["dana"], follow_up="Check the replacement arrived", due_in_hours=48)["follow_up"]
    overdue = owe(live_server, people["alice"], people["dana"], follow_up="Scored 3: late parcel", due_in_hours=-3,
                  reason="detractor")["follow_up"]
    owe(live_server, people["alice"], people["frank"], follow_up="Frank's own", due_in_hours=-5)

    page = open_desktop(live_server, open_page(), "dana")
    panel = page.locator("#follow-ups-panel")
    items = panel.locator(".follow-up")
    expect(items).to_have_count(2)  # mine only
    assert [items.nth(i).get_attribute("data-follow-up-id") for i in range(2)] == [str(overdue), str(later)]
    first = items.nth(0)
    expect(first).to_have_class(re.compile(r"\bfollow-up-overdue\b"))
    expect(first.locator(".badge-overdue")).to_have_text("Overdue")
    expect(first).to_contain_text("Low survey score")
    expect(first).to_contain_text("Scored 3: late parcel")
    expect(first.get_by_role("link", name="Alice Wong")).to_have_attribute("href", f"/customers/{people['alice']}")
    # A customer's name is text, never markup.
    expect(items.nth(1).get_by_role("link", name="Bob <b>Gold</b>")).to_be_visible()
    expect(panel.locator("#follow-ups-count")).to_have_text("2")

    first.get_by_role("button", name=re.compile("^Done")).click()
    form = first.get_by_role("form", name="Close follow-up")
    form.get_by_label("Outcome").fill("Apologised, voucher sent")
    form.get_by_role("button", name="Close it").click()
    expect(items).to_have_count(1)
    expect(panel.locator("#follow-ups-count")).to_have_text("1")
    done = stored(live_server, FollowUp, overdue)
    assert (done.status, done.outcome) == ("done", "Apologised, voucher sent")
    # The keyboard goes on to the next one, not to the page.
    expect(items.nth(0).get_by_role("button", name=re.compile("^Done"))).to_be_focused()

    # One opened meanwhile (here, by hand in the database) shows after the next pop.
    owe(live_server, people["alice"], people["dana"], follow_up="Ring about the voucher", due_in_hours=2)
    live_server.provider.call(from_=ALICE)
    expect(items).to_have_count(2)
    assert page.errors == []


def test_my_panels_read_again_for_a_pop_about_something_of_mine_only(live_server, open_page, people):
    # Every pop used to re-read "My follow-ups" and "My day" on every desktop it reached: on a floor
    # of a thousand, hundreds of reads a second about calls that were never theirs.
    from playwright.sync_api import expect

    page = open_desktop(live_server, open_page(), "dana")
    panel = page.locator("#follow-ups-panel")
    expect(panel).to_contain_text("Nothing owed")
    reads: list[str] = []
    panels = ("/api/v1/follow-ups", "/api/v1/me/figures", "/api/v1/care-list")
    page.on("request", lambda request: reads.append(request.url) if any(p in request.url for p in panels) else None)

    stranger, _ = live_server.provider.call(from_="+14155550122")  # nobody we know, nothing of Dana's
    expect(card(page, stranger)).to_be_visible()
    page.wait_for_timeout(1500)  # past both panels' settle time (250 ms and 1 s)
    assert reads == []

    # Back after a drop, both panels read again: what changed meanwhile was told to nobody here.
    page.evaluate("window.kcTestHook.socket.disconnect()")
    page.evaluate("window.kcTestHook.socket.connect()")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    page.wait_for_timeout(1500)
    assert any("/api/v1/follow-ups" in url for url in reads) and any("/api/v1/me/figures" in url for url in reads)
    reads.clear()

    owe(live_server, people["alice"], people["dana"], follow_up="Ring about the voucher", due_in_hours=2)
    mine, _ = live_server.provider.call(from_=ALICE)  # her card shows Dana's follow-up
    expect(card(page, mine)).to_be_visible()
    expect(panel.locator(".follow-up")).to_have_count(1)
    page.wait_for_timeout(1500)
    assert any("/api/v1/follow-ups" in url for url in reads) and any("/api/v1/me/figures" in url for url in reads)
    assert page.errors == []


def test_the_customer_page_shows_surveys_keeps_do_not_survey_and_settles_promises_and_follow_ups(live_server, open_page, people):
    from playwright.sync_api import expect

    owed = owe(live_server, people["alice"], people["dana"], promise="Send a new charger", due_in_hours=30)
    scored(live_server, people["alice"], people["dana"], 9, comment="Quick <i>and</i> kind")
    page = open_page()
    login(page, "dana", base_url=live_server.base_url)
    page.goto(f"{live_server.base_url}/customers/{people['alice']}")
    switch = page.get_by_label("Don't survey")
    expect(switch).not_to_be_checked()
    expect(page.locator("#customer-stage [data-role=stage]")).to_have_text("Advocate")
    # Their surveys, and the timeline's survey line, comment as text.
    survey = page.locator("#surveys .survey")
    expect(survey).to_have_count(1)
    expect(survey.locator(".survey-score")).to_have_text("9/10")
    expect(survey).to_contain_text("by SMS")
    expect(survey.locator(".survey-comment")).to_have_text("“Quick <i>and</i> kind”")
    expect(page.locator('#timeline [data-kind="survey"] .timeline-title')).to_have_text("Survey: scored 9/10 by SMS")

    switch.check()
    expect(page.locator("#customer-status")).to_contain_text("will not be surveyed")
    with live_server.app.app_context():
        assert db.session.get(Customer, people["alice"]).do_not_survey is True
    page.reload()
    expect(page.get_by_label("Don't survey")).to_be_checked()
    page.get_by_label("Don't survey").uncheck()
    expect(page.locator("#customer-status")).to_contain_text("may be surveyed again")
    with live_server.app.app_context():
        assert db.session.get(Customer, people["alice"]).do_not_survey is False

    # The promise is broken (it happens): it leaves the open list, and the timeline says so.
    promises = page.locator("#promises")
    promises.locator(f'[data-promise-id="{owed["promise"]}"]').get_by_role("button", name="Broken").click()
    expect(promises.locator(".promise")).to_have_count(0)
    assert stored(live_server, Promise, owed["promise"]).status == "broken"
    expect(page.locator('#timeline [data-kind="promise"]')).to_contain_text("Send a new charger · broken")

    # A follow-up by hand, with a note and no date.
    page.get_by_role("button", name="New follow-up").click()
    form = page.get_by_role("form", name="New follow-up")
    form.get_by_label("What to follow up").fill("Ask whether the charger works")
    form.get_by_role("button", name="Add follow-up").click()
    follow_up = page.locator("#follow-ups .follow-up", has_text="Ask whether the charger works")
    expect(follow_up).to_be_visible()
    with live_server.app.app_context():
        row = db.session.scalar(select(FollowUp).where(FollowUp.customer_id == people["alice"]))
        assert (row.reason, row.status, row.owner_id) == ("manual", "open", people["dana"])
    assert page.errors == []


def test_the_service_loop_on_card_and_page_passes_axe(live_server, open_page, people):
    from playwright.sync_api import expect

    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `npm ci`")
    owe(live_server, people["alice"], people["dana"], promise="refund", follow_up="Call back", due_in_hours=-2)
    page = open_desktop(live_server, open_page(axe=True), "dana")
    call_sid, _ = live_server.provider.call(from_=ALICE)
    pop = card(page, call_sid)
    expect(pop.locator('[data-part="flags"] li').first).to_be_visible()
    pop.get_by_role("button", name="Promise", exact=True).click()
    pop.locator(".follow-up").get_by_role("button", name=re.compile("^Done")).click()
    page.locator("#follow-ups-panel .follow-up").get_by_role("button", name=re.compile("^Done")).click()
    expect(page.get_by_role("form", name="Close follow-up")).to_have_count(2)
    assert_no_serious(page, "desktop with the service loop's forms open")

    page.goto(f"{live_server.base_url}/customers/{people['alice']}")
    page.get_by_role("button", name="New follow-up").click()
    page.get_by_role("button", name="Promise", exact=True).click()
    expect(page.get_by_role("form", name="New promise")).to_be_visible()
    assert_no_serious(page, "customer page with promises, follow-ups and surveys")
