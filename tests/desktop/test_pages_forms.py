"""The customer and admin pages' forms in a real Chromium (issue 9, items 6, 7 and 10): every bad field
named at once with the cursor on the first of them, numbers as people read them, a number another
customer holds said so, leaving unsaved edits asked about, and an import's refusals and dry runs told
apart on the page.
"""
from __future__ import annotations

import re

import pytest

from tests.factories import make_customer, make_user
from tests.support.browser import pages
from tests.support.login import login

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]


@pytest.fixture
def open_page(browser):
    """Pages in fresh contexts; dialogs other than beforeunload are recorded and dismissed."""
    with pages(browser, record="type") as factory:
        yield factory


def signed_in(live_server, open_page, username: str, path: str, *, role: str = "agent"):
    """`username` logged in through the form, then on `path` (supervisors and admins land on /dashboard)."""
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user(username, role=role)
    page = open_page()
    login(page, username, base_url=live_server.base_url)
    expect(page).to_have_url(re.compile(re.escape(live_server.base_url) + "/(dashboard)?$"))
    page.goto(live_server.base_url + path)
    return page


def focused_name(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name")


def test_new_customer_form_names_every_bad_field_and_focuses_the_first(live_server, open_page):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "dana", "/customers/new")
    form = page.locator("#customer-new-form")
    form.get_by_label("Name").fill("Wei Huang")
    form.get_by_label("Email").fill("not an email")
    form.locator(".phone-input").fill("abc")
    form.get_by_role("button", name="Create customer").click()

    email = form.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".phone-input")).to_have_attribute("aria-invalid", "true")
    expect(form.locator('[data-error-for="email"]')).to_contain_text("not an email address")
    expect(form.locator('[data-error-for="phones"]')).to_contain_text("'abc' is not a valid phone number")
    # The messages are what the inputs are described by, and the cursor is on the first bad field.
    for input_ in (email, form.locator(".phone-input")):
        described = input_.get_attribute("aria-describedby")
        expect(page.locator(f"#{described}")).not_to_be_empty()
    assert focused_name(page) == "email"
    assert page.errors == []


def test_admin_users_form_names_a_taken_username_and_a_short_password_at_once(live_server, open_page):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("gina")
    page = signed_in(live_server, open_page, "root", "/admin/users", role="admin")
    form = page.locator("#user-create-form")
    form.get_by_label("Username").fill("gina")
    form.get_by_label("Password (8+ characters)").fill("short")
    form.get_by_role("button", name="Create user").click()

    expect(form.locator('[data-error-for="username"]')).to_have_text("taken")
    expect(form.locator('[data-error-for="password"]')).not_to_be_empty()
    expect(form.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Password (8+ characters)")).to_have_attribute("aria-invalid", "true")
    assert focused_name(page) == "username"  # the first bad field, not the server's first key
    assert page.errors == []


def test_numbers_show_as_people_read_them_in_the_table_and_on_the_customer_page(live_server, open_page):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        customer_id = make_customer("Alice Wong", phones=("+14155550100", "+442079460000")).id
    page = signed_in(live_server, open_page, "dana", "/customers?q=Alice")
    cell = page.locator(f'#customer-results tr[data-customer-id="{customer_id}"] td').nth(1)
    expect(cell).to_have_text("(415) 555-0100, +44 20 7946 0000")
    expect(cell).to_have_attribute("title", "+14155550100, +442079460000")

    page.goto(f"{live_server.base_url}/customers/{customer_id}")
    inputs = page.locator("#customer-edit-form .phone-input")
    expect(inputs.first).to_have_value("(415) 555-0100")
    expect(inputs.nth(1)).to_have_value("+44 20 7946 0000")
    # Left as shown, the numbers are not an edit: saving changes nothing.
    page.locator("#customer-edit-form").get_by_role("button", name="Save changes").click()
    expect(page.locator("#customer-edit-form [role=status]")).to_have_text("Nothing changed.")
    assert page.errors == []


def test_a_number_another_customer_holds_is_said_to_be_shared_after_creating(live_server, open_page):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        wei_id = make_customer("Wei Huang", phones=("+14155550111",)).id
    page = signed_in(live_server, open_page, "dana", "/customers/new")
    form = page.locator("#customer-new-form")
    form.get_by_label("Name").fill("Mei Huang")
    form.locator(".phone-input").fill("415 555 0111")
    form.get_by_role("button", name="Create customer").click()

    notice = page.locator("#shared-numbers")
    expect(notice).to_have_text("(415) 555-0111 is also Wei Huang's number.")
    link = notice.get_by_role("link", name="Wei Huang")
    expect(link).to_have_attribute("href", f"/customers/{wei_id}")
    expect(link).to_have_attribute("target", "_blank")
    assert page.dialogs == []  # created: leaving /customers/new asked nothing
    assert page.errors == []


def test_leaving_the_customer_page_with_unsaved_edits_asks_first(live_server, open_page):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        customer_id = make_customer("Alice Wong").id
    page = signed_in(live_server, open_page, "dana", f"/customers/{customer_id}")
    name = page.locator("#customer-edit-form").get_by_label("Name")
    expect(name).to_have_value("Alice Wong")
    page.reload()  # nothing edited: nothing asked
    expect(name).to_have_value("Alice Wong")
    assert page.dialogs == []

    name.click()  # Chromium asks before unloading only a page someone has interacted with
    name.fill("Alice Wong-Lee")
    with page.expect_event("dialog") as asked:
        page.evaluate("setTimeout(() => window.location.reload())")  # dismissed: the page stays
    assert asked.value.type == "beforeunload"
    expect(name).to_have_value("Alice Wong-Lee")

    name.fill("Alice Wong-Lee")
    page.locator("#customer-edit-form").get_by_role("button", name="Save changes").click()
    expect(page.locator("#customer-name")).to_have_text("Alice Wong-Lee")
    page.reload()  # saved: nothing left to lose
    expect(name).to_have_value("Alice Wong-Lee")
    assert page.dialogs == ["beforeunload"]
    assert page.errors == []


def upload(page, path, *, dry_run: bool):
    from playwright.sync_api import expect

    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_label("Dry run: check every row, write nothing").set_checked(dry_run)
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#job-title")).to_contain_text("done", timeout=20_000)


def test_an_import_lists_its_refusals_and_a_dry_run_says_nothing_was_saved(live_server, open_page, tmp_path):
    from playwright.sync_api import expect

    csv = tmp_path / "customers.csv"
    csv.write_text("name,phone\nIvy Import,+1 415 555 0301\nNo Number Ned,not a phone\n,+1 415 555 0303\n",
                   encoding="utf-8")
    page = signed_in(live_server, open_page, "root", "/admin/import", role="admin")

    upload(page, csv, dry_run=True)
    job = page.locator("#import-job")
    expect(job.locator("#job-dry-run")).to_be_visible()
    expect(job.locator("#job-dry-run")).to_contain_text("Dry run — nothing was saved")
    expect(job.locator("#job-summary")).to_contain_text("would create 1")
    expect(job.locator("#job-summary")).to_contain_text("would update 0")
    rows = job.locator("#refusals-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("td").nth(0)).to_have_text("3")
    expect(rows.first.locator("td").nth(1)).to_have_text("phone")
    expect(rows.first.locator("td").nth(2)).to_contain_text("not a phone")
    expect(rows.nth(1).locator("td").nth(0)).to_have_text("4")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("name")

    upload(page, csv, dry_run=False)
    expect(job.locator("#job-dry-run")).to_be_hidden()
    expect(job.locator("#job-summary")).to_contain_text("created 1")
    expect(job.locator("#job-summary")).not_to_contain_text("would")
    expect(rows).to_have_count(2)
    assert page.errors == []
