"""Working the call in a real Chromium (SPEC §9): take it, create or choose the customer, remember
what they prefer, open and resolve complaints, wrap up — then the next call shows all of it. Also
the customer page, the admin's user page, and an agent who never touches the mouse.

Playwright drives Debian's Chromium (never a downloaded one) against the live server and the real
API. CSRF is on here, as in production: every write the pages make must carry the page's token.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Call, Customer, PhoneNumber, User
from tests.factories import make_customer, make_user
from tests.support.browser import open_desktop, pages
from tests.support.login import login

# CSRF checks on, as in production: the pages must send X-CSRFToken on every write.
pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]


@pytest.fixture
def open_page(browser):
    """Pages in fresh contexts (one per person); every dialog is recorded and dismissed."""
    with pages(browser) as factory:
        yield factory


@pytest.fixture
def dana(live_server, open_page):
    """Dana, an agent, on a connected desktop."""
    with live_server.app.app_context():
        make_user("dana", display_name="Dana Scully")
    return open_desktop(live_server, open_page(), "dana", lands_on="/(dashboard)?$")


def card(page, call_sid: str):
    return page.locator(f'[data-call-sid="{call_sid}"]')


def stored_call(live_server, call_sid: str) -> Call:
    with live_server.app.app_context():
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
        db.session.expunge_all()
        return call


def test_claim_shows_who_took_it_at_once_and_a_late_claim_is_told_who(live_server, open_page, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("frank", display_name="Frank Ocean")
        make_customer("Alice Wong", phones=("+14155550100",))
    frank = open_desktop(live_server, open_page(), "frank", lands_on="/(dashboard)?$")
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    expect(card(frank, call_sid).get_by_role("button", name="I'm taking this")).to_be_visible()

    card(dana, call_sid).get_by_role("button", name="I'm taking this").click()
    expect(card(dana, call_sid).locator("[data-role=claimed-by]")).to_have_text("You took this")
    expect(card(frank, call_sid).locator("[data-role=claimed-by]")).to_have_text("Taken by Dana Scully")
    expect(card(frank, call_sid).get_by_role("button", name="I'm taking this")).to_have_count(0)
    assert stored_call(live_server, call_sid).agent_id is not None

    # Frank's desktop misses the news (dropped socket) and he tries to take the next call too late.
    # Dana holds a call, so the next one is offered to Frank alone (SPEC §11): she watches them all.
    dana.get_by_role("checkbox", name="Show every call").check()
    expect(dana.locator("#live-status")).to_have_text("Showing every call.")
    second, _ = live_server.provider.call(from_="+14155550100")
    expect(card(frank, second).get_by_role("button", name="I'm taking this")).to_be_visible()
    frank.evaluate("window.kcTestHook.socket.disconnect()")
    card(dana, second).get_by_role("button", name="I'm taking this").click()
    expect(card(dana, second).locator("[data-role=claimed-by]")).to_have_text("You took this")
    card(frank, second).get_by_role("button", name="I'm taking this").click()
    message = card(frank, second).locator('[data-part="message"]')
    expect(message).to_contain_text("Dana Scully")
    expect(card(frank, second).locator("[data-role=claimed-by]")).to_have_text("Taken by Dana Scully")
    assert frank.errors == [] and dana.errors == []


def test_unknown_caller_becomes_a_customer_from_the_card(live_server, dana):
    from playwright.sync_api import expect

    call_sid, _ = live_server.provider.call(from_="+14155550177")
    pop = card(dana, call_sid)
    expect(pop.locator(".caller-name")).to_have_text("Unknown caller")
    pop.get_by_role("link", name="New customer").click()

    form = pop.get_by_role("form", name="New customer")
    expect(form.get_by_label("Number")).to_have_value("+14155550177")
    form.get_by_label("Name").fill("Grace Hopper")
    form.get_by_label("Number").fill("12")
    form.get_by_role("button", name="Create and link").click()
    # The server refuses the number; its message sits next to the number field.
    expect(form.locator('[data-field="phone"] .field-error')).to_contain_text("12")
    expect(form.get_by_label("Number")).to_have_attribute("aria-invalid", "true")

    form.get_by_label("Number").fill("(415) 555-0177")
    form.get_by_label("Email").fill("grace@example.com")
    form.get_by_label("Tier").select_option("gold")
    form.get_by_role("button", name="Create and link").click()

    expect(pop.locator(".caller-name")).to_have_text("Grace Hopper")
    expect(pop).to_have_attribute("data-match", "single")
    expect(pop.locator(".badge-tier-gold")).to_have_text("Gold")
    expect(pop.get_by_role("link", name="Open customer record")).to_be_visible()
    with live_server.app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.name == "Grace Hopper"))
        assert [p.e164 for p in customer.phones] == ["+14155550177"]
        assert customer.email == "grace@example.com"
        customer_id = customer.id
    assert stored_call(live_server, call_sid).customer_id == customer_id


def test_choosing_among_several_matches_links_the_call_and_shows_their_pop(live_server, open_page, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("Wei Huang", phones=("+14155550111",))
        mei_id = make_customer("Mei Huang", phones=("+14155550111",), preferences={"language": "Cantonese"}).id
        make_user("frank", display_name="Frank Ocean")
    frank = open_desktop(live_server, open_page(), "frank", lands_on="/(dashboard)?$")
    call_sid, _ = live_server.provider.call(from_="+14155550111")
    pop = card(dana, call_sid)
    expect(pop.locator(".candidate a")).to_have_text(["Wei Huang", "Mei Huang"])

    pop.get_by_role("button", name="This is Mei Huang").click()
    expect(pop.locator(".caller-name")).to_have_text("Mei Huang")
    expect(pop.locator(".preference")).to_have_text(re.compile(r"language\s*Cantonese"))
    # The server's fresh screen_pop reaches every desktop.
    expect(card(frank, call_sid).locator(".caller-name")).to_have_text("Mei Huang")
    assert stored_call(live_server, call_sid).customer_id == mei_id

    # No caller ID at all: find them by name, then link.
    hidden, _ = live_server.provider.call(from_="anonymous")
    withheld = card(dana, hidden)
    withheld.get_by_role("button", name="Find customer").click()
    finder = withheld.get_by_role("form", name="Find customer")
    finder.get_by_label("Name, number or email").fill("wei")
    finder.get_by_label("Name, number or email").press("Enter")
    finder.get_by_role("button", name="This is Wei Huang").click()
    expect(withheld.locator(".caller-name")).to_have_text("Wei Huang")
    assert stored_call(live_server, hidden).customer_id is not None


def test_whole_call_from_the_card_then_the_next_call_shows_it_all(live_server, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        customer_id = make_customer(
            "Alice Wong", phones=("+14155550100",),
            complaints=[{"subject": "Late delivery", "severity": "high", "due_in_days": -1}],
        ).id
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    pop = card(dana, call_sid)
    expect(pop.locator(".complaint-overdue")).to_contain_text("Late delivery")
    pop.get_by_role("button", name="I'm taking this").click()
    live_server.provider.status(call_sid, "in-progress", sequence=1)

    # Remember this: a preference, saved with Enter.
    pop.get_by_role("button", name="Remember this").click()
    remember = pop.get_by_role("form", name="Remember this")
    remember.get_by_label("What").fill("callbacks")
    remember.get_by_label("Preference").fill("evenings after 6")
    remember.get_by_label("Preference").press("Enter")
    expect(pop.locator(".preference")).to_have_text(re.compile(r"callbacks\s*evenings after 6"))

    # Edit it, then it is still one preference.
    pop.get_by_role("button", name="Edit callbacks").click()
    edit = pop.get_by_role("form", name="Edit preference")
    edit.get_by_label("Preference").fill("evenings after 7")
    edit.get_by_label("Preference").press("Enter")
    expect(pop.locator(".preference")).to_have_text(re.compile(r"callbacks\s*evenings after 7"))

    # A new complaint, and the old one resolved.
    pop.get_by_role("button", name="New complaint").click()
    opened = pop.get_by_role("form", name="New complaint")
    opened.get_by_label("Subject").fill("Broken lid")
    opened.get_by_label("What happened").fill("Lid cracked on arrival")
    opened.get_by_label("Severity").select_option("low")
    opened.get_by_role("button", name="Open complaint").click()
    expect(pop.locator(".complaint", has_text="Broken lid")).to_have_count(1)

    late = pop.locator(".complaint", has_text="Late delivery")
    late.get_by_role("button", name="Resolve").click()
    resolve = late.get_by_role("form", name="Resolve complaint")
    resolve.get_by_label("Resolution").fill("Refunded the delivery fee")
    resolve.get_by_label("Resolution").press("Enter")
    expect(pop.locator(".complaint", has_text="Late delivery")).to_have_count(0)
    expect(pop.locator(".badge-overdue")).to_have_count(0)

    # Wrap-up: notes and a disposition from the configured list.
    pop.get_by_role("button", name="Notes & wrap-up").click()
    wrap = pop.get_by_role("form", name="Notes and wrap-up")
    wrap.get_by_label("Notes", exact=True).fill("Wants evening callbacks; lid complaint opened")
    wrap.get_by_label("Disposition").select_option("complaint opened")
    wrap.get_by_role("button", name="Save wrap-up").click()
    expect(pop.locator('[data-part="message"]')).to_have_text("Wrap-up saved.")
    call = stored_call(live_server, call_sid)
    assert (call.notes, call.disposition) == ("Wants evening callbacks; lid complaint opened", "complaint opened")

    live_server.provider.status(call_sid, "completed", sequence=2, duration=95)
    recent = dana.locator(f'#recent-calls [data-call-sid="{call_sid}"]')
    expect(recent.locator("[data-role=wrapup-summary]")).to_contain_text("complaint opened")

    # The next call from Alice pops with everything this one recorded.
    next_sid, _ = live_server.provider.call(from_="+14155550100")
    following = card(dana, next_sid)
    expect(following.locator(".caller-name")).to_have_text("Alice Wong")
    expect(following.locator(".preference")).to_have_text(re.compile(r"callbacks\s*evenings after 7"))
    expect(following.locator(".complaint")).to_have_count(1)
    expect(following.locator(".complaint")).to_contain_text("Broken lid")
    expect(following).not_to_contain_text("Late delivery")

    # And the customer page's timeline tells the story, newest first.
    dana.goto(f"{live_server.base_url}/customers/{customer_id}")
    timeline = dana.locator("#timeline")
    expect(timeline.locator("[data-kind=note]")).to_contain_text("Wants evening callbacks")
    expect(timeline.locator("[data-kind=call]").first).to_be_visible()
    expect(timeline).to_contain_text("complaint opened")
    expect(dana.locator("#past-complaints")).to_contain_text("Refunded the delivery fee")
    assert dana.errors == []


def test_customer_page_edit_shows_the_bad_number_next_to_its_field(live_server, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        customer_id = make_customer("Bruno Diaz", phones=("+14155550150",), preferences={"milk": "oat"}).id
    dana.goto(f"{live_server.base_url}/customers?q=bruno")
    dana.get_by_role("link", name="Bruno Diaz").click()
    expect(dana).to_have_url(f"{live_server.base_url}/customers/{customer_id}")
    expect(dana.locator("#customer-name")).to_have_text("Bruno Diaz")

    form = dana.locator("#customer-edit-form")
    number = form.locator(".phone-input").first
    expect(number).to_have_value("(415) 555-0150")  # as people read it (issue 9, item 7)
    number.fill("call me maybe")
    form.get_by_label("Name").fill("Bruno Díaz")
    form.get_by_role("button", name="Save changes").click()
    error = form.locator('[data-error-for="phones"]')
    expect(error).to_contain_text("call me maybe")
    with live_server.app.app_context():
        assert db.session.get(Customer, customer_id).name == "Bruno Diaz"  # nothing half-saved

    number.fill("415 555 0151")
    form.get_by_role("button", name="Save changes").click()
    expect(dana.locator("#customer-name")).to_have_text("Bruno Díaz")
    expect(form.locator(".phone-input").first).to_have_value("(415) 555-0151")
    expect(error).to_be_empty()
    # Agents may not delete customers: the button is not even offered.
    expect(dana.get_by_role("button", name="Delete customer…")).to_have_count(0)
    # Search by any number format finds them.
    dana.goto(f"{live_server.base_url}/customers?q=(415)%20555-0151")
    expect(dana.locator("#customer-results tbody tr")).to_have_count(1)
    expect(dana.locator("#customer-results")).to_contain_text("Bruno Díaz")


def test_customer_page_records_preferences_and_complaints_with_the_same_forms_as_the_card(live_server, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        customer_id = make_customer("Cleo Park", phones=("+14155550160",), preferences={"milk": "oat"},
                                    complaints=[{"subject": "Late delivery", "due_in_days": -1}]).id
    dana.goto(f"{live_server.base_url}/customers/{customer_id}")
    page = dana.locator("#customer-page")
    expect(page.locator(".preference")).to_have_text(re.compile(r"milk\s*oat"))

    page.get_by_role("button", name="Remember this").click()
    remember = page.get_by_role("form", name="Remember this")
    remember.get_by_label("What").fill("callbacks")
    remember.get_by_label("Preference").fill("mornings")
    remember.get_by_label("Preference").press("Enter")
    expect(page.locator(".preference", has_text="callbacks")).to_have_text(re.compile(r"callbacks\s*mornings"))

    page.get_by_role("button", name="Edit milk").click()
    edit = page.get_by_role("form", name="Edit preference")
    edit.get_by_label("Preference").fill("soy")
    edit.get_by_label("Preference").press("Enter")
    expect(page.locator(".preference", has_text="milk")).to_have_text(re.compile(r"milk\s*soy"))

    page.get_by_role("button", name="Remove callbacks").click()
    page.get_by_role("button", name="Confirm removing callbacks").click()
    expect(page.locator(".preference")).to_have_count(1)

    page.get_by_role("button", name="New complaint").click()
    opened = page.get_by_role("form", name="New complaint")
    opened.get_by_label("Subject").fill("Wrong size")
    opened.get_by_label("Severity").select_option("high")
    opened.get_by_role("button", name="Open complaint").click()
    fresh = page.locator("#open-complaints .complaint", has_text="Wrong size")
    expect(fresh.locator(".severity")).to_have_text("high")

    fresh.get_by_role("button", name="Update").click()
    update = fresh.get_by_role("form", name="Update complaint")
    update.get_by_label("Status").select_option("in-progress")
    update.get_by_role("button", name="Save").click()
    expect(page.locator("#open-complaints .complaint", has_text="Wrong size")).to_contain_text("in-progress")

    late = page.locator("#open-complaints .complaint", has_text="Late delivery")
    late.get_by_role("button", name="Resolve").click()
    late.get_by_label("Resolution").fill("Refunded")
    late.get_by_label("Resolution").press("Enter")
    expect(page.locator("#open-complaints .complaint", has_text="Late delivery")).to_have_count(0)
    expect(dana.locator("#past-complaints")).to_contain_text("Refunded")
    assert dana.errors == []


def test_admin_creates_a_user_and_agents_are_kept_out(live_server, open_page, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("root", role="admin", display_name="Ada Admin")
    dana.goto(f"{live_server.base_url}/admin/users")
    expect(dana.locator("h1")).to_have_text("403")
    dana.goto(f"{live_server.base_url}/dashboard")
    expect(dana.locator("h1")).to_have_text("403")

    admin = open_page()
    login(admin, "root", base_url=live_server.base_url)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    form = admin.locator("#user-create-form")
    form.get_by_label("Username").fill("gina")
    form.get_by_label("Display name").fill("Gina Linetti")
    form.get_by_label("Password (8+ characters)").fill("short")
    form.get_by_label("Role").select_option("supervisor")
    form.get_by_role("button", name="Create user").click()
    expect(form.locator('[data-error-for="password"]')).not_to_be_empty()

    form.get_by_label("Password (8+ characters)").fill("a long enough password")
    form.get_by_label("Calls reach them by").select_option("phone")
    form.get_by_label("Address (identity, number or sip:…)").fill("(415) 555-0199")
    form.get_by_role("button", name="Create user").click()
    row = admin.locator('#users-table tr[data-username="gina"]')
    expect(row).to_contain_text("Gina Linetti")
    expect(row).to_contain_text("supervisor")
    expect(row).to_contain_text("+14155550199")
    with live_server.app.app_context():
        gina = db.session.scalar(select(User).where(User.username == "gina"))
        assert gina.role == "supervisor" and gina.check_password("a long enough password")

    # The new supervisor logs in and sees the dashboard.
    supervisor = open_page()
    login(supervisor, "gina", "a long enough password", base_url=live_server.base_url)
    supervisor.goto(f"{live_server.base_url}/dashboard")
    expect(supervisor.locator("h1")).to_have_text("Dashboard")
    assert admin.errors == [] and supervisor.errors == []


def test_keyboard_only_claim_note_and_resolve(live_server, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",),
                      complaints=[{"subject": "Late delivery", "due_in_days": 2}])
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    pop = card(dana, call_sid)
    expect(pop.locator("[data-role=status]")).to_have_text("Ringing")

    keyboard = dana.keyboard
    keyboard.press("?")
    expect(dana.locator("#shortcuts")).to_be_visible()
    keyboard.press("Escape")
    expect(dana.locator("#shortcuts")).to_be_hidden()

    keyboard.press("c")
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")

    keyboard.press("x")
    resolution = pop.get_by_label("Resolution")
    expect(resolution).to_be_focused()
    keyboard.type("Sent a replacement")
    keyboard.press("Enter")
    expect(pop.locator(".complaint")).to_have_count(0)

    keyboard.press("r")
    expect(pop.get_by_label("What")).to_be_focused()
    keyboard.type("milk")
    keyboard.press("Tab")
    keyboard.type("high-calcium")
    keyboard.press("Enter")
    expect(pop.locator(".preference")).to_have_text(re.compile(r"milk\s*high-calcium"))

    keyboard.press("n")
    notes = pop.get_by_label("Notes", exact=True)
    expect(notes).to_be_focused()
    keyboard.type("Replacement sent, happy now")
    keyboard.press("Tab")
    expect(pop.get_by_label("Disposition")).to_be_focused()
    keyboard.press("ArrowDown")  # the first disposition
    keyboard.press("Control+Enter")
    expect(pop.locator('[data-part="message"]')).to_have_text("Wrap-up saved.")
    call = stored_call(live_server, call_sid)
    assert call.notes == "Replacement sent, happy now"
    assert call.disposition == "resolved"
    assert dana.errors == []


def test_supervisor_watches_the_dashboard_and_deletes_a_customer_after_confirming(live_server, open_page, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("sam", role="supervisor", display_name="Sam Boss")
        customer_id = make_customer("Carl Gone", phones=("+14155550190",),
                                    complaints=[{"subject": "Still broken", "due_in_days": -3}]).id
    call_sid, _ = live_server.provider.call(from_="+14155550190")
    card(dana, call_sid).get_by_role("button", name="I'm taking this").click()
    expect(card(dana, call_sid).locator("[data-role=claimed-by]")).to_have_text("You took this")

    sam = open_page()
    login(sam, "sam", base_url=live_server.base_url)
    sam.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    live = sam.locator("#live-table")
    expect(live).to_contain_text("Carl Gone")
    expect(live).to_contain_text("Dana Scully")
    expect(sam.locator("#stat-overdue")).to_have_text("1")

    sam.goto(f"{live_server.base_url}/customers/{customer_id}")
    expect(sam.locator("#customer-name")).to_have_text("Carl Gone")
    sam.get_by_role("button", name="Delete customer…").click()
    confirm = sam.get_by_role("alertdialog", name="Confirm deletion")
    expect(confirm).to_contain_text("Delete Carl Gone for good?")
    confirm.get_by_role("button", name="Cancel").click()
    with live_server.app.app_context():
        assert db.session.get(Customer, customer_id) is not None

    sam.get_by_role("button", name="Delete customer…").click()
    sam.get_by_role("alertdialog", name="Confirm deletion").get_by_role("button", name="Yes, delete").click()
    expect(sam).to_have_url(re.compile(r"/customers\?deleted="))
    expect(sam.locator("#customer-status")).to_contain_text("Deleted Carl Gone")
    with live_server.app.app_context():
        assert db.session.get(Customer, customer_id) is None
        assert db.session.scalar(select(PhoneNumber).where(PhoneNumber.e164 == "+14155550190")) is None
    assert stored_call(live_server, call_sid) is not None  # the call keeps its history
    assert sam.errors == []


def test_admin_imports_a_csv_and_downloads_the_refused_rows(live_server, open_page, tmp_path):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("root", role="admin", display_name="Ada Admin")
    upload = tmp_path / "customers.csv"
    upload.write_text(
        "name,phone,email,tier,external_id,preferences\n"
        "Ivy Import,+1 415 555 0301,ivy@example.com,gold,EXT-1,milk=oat\n"
        "No Number Ned,not a phone,,standard,EXT-2,\n"
        "June Import,(415) 555-0302,,,EXT-3,\n",
        encoding="utf-8",
    )
    admin = open_page()
    login(admin, "root", base_url=live_server.base_url)
    admin.goto(f"{live_server.base_url}/admin/import")
    admin.get_by_role("button", name="Upload and import").click()
    expect(admin.locator('[data-error-for="file"]')).to_have_text("Choose a CSV file first.")

    admin.get_by_label("CSV file").set_input_files(str(upload))
    admin.get_by_role("button", name="Upload and import").click()
    expect(admin.locator("#job-title")).to_contain_text("done", timeout=20_000)
    expect(admin.locator("#job-created")).to_have_text("2")
    expect(admin.locator("#job-refused")).to_have_text("1")
    expect(admin.locator("#job-progress-label")).to_contain_text("3")
    link = admin.get_by_role("link", name="Download refused rows")
    with admin.expect_download() as download:
        link.click()
    refused = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "No Number Ned" in refused and "Ivy Import" not in refused
    with live_server.app.app_context():
        assert db.session.scalar(select(Customer).where(Customer.external_id == "EXT-1")).name == "Ivy Import"
    assert admin.errors == []


def test_the_search_box_finds_an_all_digit_account_number_and_part_of_a_number(live_server, dana):
    """A withheld caller gives their account number: the box must find it, not refuse it as a
    phone number it cannot read."""
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("Alice Wong", phones=("+14155550130",), external_id="48213907")
        make_customer("Bob Stone", phones=("+14155550101",), external_id="CRM-8")
    dana.goto(f"{live_server.base_url}/customers")
    for query in ("48213907", "555-0130"):
        dana.fill("#customer-q", query)
        dana.press("#customer-q", "Enter")
        rows = dana.locator("#customer-results tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Alice Wong")
    assert dana.errors == []


def test_a_wrap_up_not_saved_before_a_reload_can_still_be_finished(live_server, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",))
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    card(dana, call_sid).get_by_role("button", name="I'm taking this").click()
    expect(card(dana, call_sid).locator("[data-role=claimed-by]")).to_have_text("You took this")
    live_server.provider.status(call_sid, "in-progress", sequence=1)
    live_server.provider.status(call_sid, "completed", sequence=2, duration=40)

    dana.reload()
    expect(dana.locator("#connection")).to_have_attribute("data-state", "connected")
    held = dana.locator(f'#live-calls [data-call-sid="{call_sid}"]')
    expect(held).to_have_class(re.compile(r"\bis-wrapping-up\b"))
    held.get_by_role("button", name="Notes & wrap-up").click()
    wrap = held.get_by_role("form", name="Notes and wrap-up")
    wrap.get_by_label("Notes", exact=True).fill("Finished after a reload")
    wrap.get_by_label("Disposition").select_option("resolved")
    wrap.get_by_role("button", name="Save wrap-up").click()
    expect(dana.locator(f'#recent-calls [data-call-sid="{call_sid}"]')).to_have_count(1)
    call = stored_call(live_server, call_sid)
    assert (call.notes, call.disposition) == ("Finished after a reload", "resolved")
    assert dana.errors == []


@pytest.mark.parametrize("caller", ["anonymous", "+14155550123"])
def test_withheld_and_shared_number_cards_offer_a_new_customer(live_server, dana, caller):
    """A withheld caller, or a new member of a household whose number two customers share, can be
    made a customer from the card, and the call is linked to them."""
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("Ann Lee", phones=("+14155550123",))
        make_customer("Ben Lee", phones=("+14155550123",))
    call_sid, _ = live_server.provider.call(from_=caller)
    pop = card(dana, call_sid)
    pop.get_by_role("link", name=re.compile("New customer")).click()
    form = pop.get_by_role("form", name="New customer")
    form.get_by_label("Name").fill("Cy Lee")
    if caller.startswith("+"):
        expect(form.get_by_label("Number")).to_have_value(caller)
    form.get_by_role("button", name="Create and link").click()
    expect(pop.locator(".caller-name")).to_have_text("Cy Lee")
    with live_server.app.app_context():
        linked = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
        assert db.session.get(Customer, linked.customer_id).name == "Cy Lee"
    assert dana.errors == []


def test_a_voicemail_left_on_a_missed_call_is_one_click_away_on_the_desktop(live_server, dana):
    from playwright.sync_api import expect

    call_sid, _ = live_server.provider.call(from_="+14155550999")
    expect(card(dana, call_sid)).to_have_count(1)
    live_server.provider.status(call_sid, "no-answer", sequence=1)
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE42"
    live_server.provider.post("/twilio/voicemail", {"CallSid": call_sid, "RecordingUrl": recording,
                                                    "AccountSid": "AC" + "0" * 32})
    voicemail = dana.locator(f'#recent-calls [data-call-sid="{call_sid}"] [data-role=voicemail]')
    expect(voicemail).to_have_attribute("href", recording)
    expect(voicemail).to_have_attribute("target", "_blank")
    assert dana.errors == []


def test_a_recording_url_that_is_not_a_web_address_is_never_stored(live_server):
    call_sid, _ = live_server.provider.call(from_="+14155550999")
    answer = live_server.provider.post("/twilio/voicemail", {"CallSid": call_sid, "RecordingUrl": "javascript:alert(1)",
                                                             "AccountSid": "AC" + "0" * 32})
    assert answer.status_code == 200
    assert stored_call(live_server, call_sid).recording_url is None


def test_a_stale_save_on_the_customer_page_is_refused_and_shows_what_changed(live_server, dana):
    """A colleague adds a number while Dana edits the name: her save must not delete it."""
    from playwright.sync_api import expect

    from app.services.customers import records

    with live_server.app.app_context():
        customer_id = make_customer("Bruno Diaz", phones=("+14155550150",)).id
    dana.goto(f"{live_server.base_url}/customers/{customer_id}")
    form = dana.locator("#customer-edit-form")
    expect(form.locator(".phone-input").first).to_have_value("(415) 555-0150")
    with live_server.app.app_context():  # the colleague's save, from the version Dana also read
        records.update_customer(customer_id, {"phones": ["+14155550150", "+14155550177"]}, region="US",
                                expected_version=1)

    form.get_by_label("Name").fill("Bruno Díaz")
    form.get_by_role("button", name="Save changes").click()
    expect(form.locator(".form-message")).to_contain_text("Someone else changed this customer")
    expect(form.locator(".form-message")).to_contain_text("(415) 555-0177")
    expect(form.get_by_label("Name")).to_have_value("Bruno Díaz")  # her typing is kept
    with live_server.app.app_context():
        stored = db.session.get(Customer, customer_id)
        assert (stored.name, [p.e164 for p in stored.phones]) == ("Bruno Diaz", ["+14155550150", "+14155550177"])

    form.get_by_role("button", name="Save changes").click()  # saved again, from the fresh version
    expect(dana.locator("#customer-name")).to_have_text("Bruno Díaz")
    with live_server.app.app_context():
        stored = db.session.get(Customer, customer_id)
        assert (stored.name, [p.e164 for p in stored.phones]) == ("Bruno Díaz", ["+14155550150", "+14155550177"])
    assert dana.errors == []


def test_a_supervisor_merges_a_duplicate_from_the_customer_page(live_server, open_page):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("sam", role="supervisor", display_name="Sam Boss")
        kept_id = make_customer("Alice Wong", phones=("+14155550100",)).id
        duplicate_id = make_customer("A. Wong", phones=("+14155550199",), preferences={"milk": "oat"}).id
    sam = open_page()
    login(sam, "sam", base_url=live_server.base_url)
    expect(sam).to_have_url(f"{live_server.base_url}/dashboard")  # a supervisor's work starts there
    sam.goto(f"{live_server.base_url}/customers/{kept_id}")
    expect(sam.locator("#customer-name")).to_have_text("Alice Wong")
    merge = sam.get_by_role("form", name="Merge a duplicate")
    merge.get_by_label("Duplicate's customer number").fill(str(duplicate_id))
    merge.get_by_role("button", name="Merge into this one…").click()
    confirm = sam.get_by_role("alertdialog", name="Confirm merge")
    expect(confirm).to_contain_text(f"Merge customer #{duplicate_id} into Alice Wong?")
    confirm.get_by_role("button", name="Yes, merge").click()
    expect(sam.locator("#customer-status")).to_contain_text(f"Merged customer #{duplicate_id}")
    expect(sam.locator(".preference")).to_have_text(re.compile(r"milk\s*oat"))
    expect(sam.locator("#customer-edit-form .phone-input")).to_have_count(2)
    with live_server.app.app_context():
        assert db.session.get(Customer, duplicate_id) is None
    assert sam.errors == []


def test_links_on_a_card_open_a_tab_of_their_own_and_leave_the_desktop_be(live_server, dana):
    """Following a link out of a card must not navigate the desktop away from its live calls."""
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("Ann Lee", phones=("+14155550123",))
        make_customer("Ben Lee", phones=("+14155550123",))
        alice_id = make_customer("Alice Wong", phones=("+14155550100",)).id
    shared_sid, _ = live_server.provider.call(from_="+14155550123")
    alice_sid, _ = live_server.provider.call(from_="+14155550100")
    record = card(dana, alice_sid).get_by_role("link", name="Open customer record")
    with dana.context.expect_page() as opened:
        record.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{live_server.base_url}/customers/{alice_id}"
    expect(dana).to_have_url(f"{live_server.base_url}/")
    for candidate in card(dana, shared_sid).locator(".candidate a").all():
        expect(candidate).to_have_attribute("target", "_blank")
    tab.close()
    assert dana.errors == []


def test_a_desktop_whose_login_ends_says_so_and_stops_taking_input(live_server, open_page, api_as):
    """A deactivated agent's desk used to say only "Offline" and stay editable while every save failed."""
    from playwright.sync_api import expect

    with live_server.app.app_context():
        dana_id = make_user("dana", display_name="Dana Scully").id
    admin = api_as("admin", base_url=live_server.base_url)
    dana = open_desktop(live_server, open_page(), "dana", lands_on="/(dashboard)?$")
    assert admin.patch(f"/api/v1/users/{dana_id}", json={"active": False}).status_code == 200

    notice = dana.get_by_role("alert").filter(has_text="Your login has ended")
    expect(notice).to_be_visible()
    expect(dana.locator("#connection")).to_have_attribute("data-state", "offline")
    expect(dana.locator("#connection .connection-label")).to_have_text("Logged out")
    assert dana.evaluate("document.querySelector('main').inert") is True
    expect(notice.get_by_role("link", name="Log in again")).to_be_focused()


def test_the_cards_find_form_reads_names_without_accents_and_clears_old_results_on_an_error(live_server, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("María García", phones=("+14155550130",))
    call_sid, _ = live_server.provider.call(from_="anonymous")
    unknown = card(dana, call_sid)
    unknown.get_by_role("button", name="Find customer").click()  # a withheld caller
    find = unknown.get_by_role("form", name="Find customer")
    box = find.get_by_label("Name, number or email")
    box.fill("maria garcia")
    box.press("Enter")
    found = unknown.locator(".find-results li")
    expect(found).to_have_count(1)
    expect(found.first).to_contain_text("María García · (415) 555-0130")
    box.fill("(41")  # a piece of a number too short to search
    box.press("Enter")
    expect(find.locator("[aria-invalid=true]")).to_have_count(1)
    expect(unknown.locator(".find-results li")).to_have_count(0)
    assert dana.errors == []
