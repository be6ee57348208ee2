"""Private numbers in a real Chromium (SPEC §13, MASK_NUMBERS on): an agent's desktop and customer
pages show callers' numbers masked, "(415) •••-••00", and never whole, yet the agent still works
them — saves a customer whose numbers they cannot read, and creates a customer from an unknown
caller's card with the caller's number — while a supervisor sees every number whole.

What the agent sent is checked through the requests the page made; what was stored, through the
API as a supervisor (who reads numbers whole).
"""
from __future__ import annotations

import json
import re

import pytest

from tests.factories import make_customer, make_token, make_user
from tests.support.api import Api
from tests.support.browser import open_desktop, pages
from tests.support.login import login

pytestmark = [pytest.mark.browser, pytest.mark.app_config(MASK_NUMBERS=True, WTF_CSRF_ENABLED=True)]

# Every way the full numbers of these tests could be written out, digits only (no area code, which
# a masked number keeps): none of it may reach an agent's page.
WHOLE = re.compile(r"555\D?01(00|42|77|66|33)|55501(00|42|77|66|33)")


@pytest.fixture
def open_page(browser):
    with pages(browser) as factory:
        yield factory


@pytest.fixture
def dana(live_server, open_page):
    """Dana, an agent, on a connected desktop."""
    with live_server.app.app_context():
        make_user("dana", display_name="Dana Scully")
    return open_desktop(live_server, open_page(), "dana")


@pytest.fixture
def sam_api(live_server) -> Api:
    """Sam, a supervisor, speaking to the API: he reads numbers whole."""
    with live_server.app.app_context():
        sam = make_user("sam", role="supervisor", display_name="Sam Carter")
        return Api(sam, make_token(sam), base_url=live_server.base_url)


def card(page, call_sid: str):
    return page.locator(f'[data-call-sid="{call_sid}"]')


def assert_nothing_whole(page) -> None:
    text = page.evaluate("document.body.innerText")
    assert not WHOLE.search(text), f"a full number on the agent's page: {WHOLE.search(text).group(0)!r}"
    assert "null" not in page.evaluate(
        "Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes)"
        ".filter(a => a.value === 'null').map(a => a.name)).join(' ')"), "an attribute says null"


def phones_of(sam_api: Api, name: str) -> list[str]:
    found = sam_api.get("/api/v1/customers", params={"q": name}).json()["items"]
    assert len(found) == 1, found
    return sorted(found[0]["phones"])


def test_an_agent_sees_callers_masked_and_a_supervisor_whole(live_server, open_page, dana, sam_api):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",))
    sam = open_page()
    login(sam, "sam", base_url=live_server.base_url)
    expect(sam).to_have_url(f"{live_server.base_url}/dashboard")
    known, _ = live_server.provider.call(from_="+14155550100")
    unknown, _ = live_server.provider.call(from_="+14155550177")

    expect(card(dana, known).locator(".caller-name")).to_have_text("Alice Wong")
    expect(card(dana, known).locator(".caller-number")).to_have_text("(415) •••-••00")
    stranger = card(dana, unknown)
    expect(stranger.locator(".caller-number")).to_have_text("(415) •••-••77")
    # The number is there, only hidden: not "did not come from a phone number we can read".
    expect(stranger.locator(".unknown .hint")).to_have_text("No customer has this number yet.")
    expect(stranger.get_by_role("link", name="New customer")).to_have_attribute(
        "href", f"/customers/new?call_sid={unknown}")
    assert_nothing_whole(dana)

    rows = sam.locator("#live-table tbody tr")
    expect(rows).to_have_count(2)
    expect(sam.locator("#live-table")).to_contain_text("(415) 555-0100")
    expect(sam.locator("#live-table")).to_contain_text("(415) 555-0177")
    assert dana.errors == [] and sam.errors == []


def test_an_agent_saves_a_customer_whose_numbers_are_masked(live_server, dana, sam_api):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        alice_id = make_customer("Alice Wong", phones=("+14155550100", "+14155550142")).id
        make_customer("Bob Wong", phones=("+14155550142",))
    # The search list: masked numbers, and no whole one in a title.
    dana.goto(f"{live_server.base_url}/customers?q=Alice")
    cell = dana.locator(f'tr[data-customer-id="{alice_id}"] td.num').first
    expect(cell).to_have_text("(415) •••-••00, (415) •••-••42")
    assert cell.get_attribute("title") is None
    assert_nothing_whole(dana)

    dana.goto(f"{live_server.base_url}/customers/{alice_id}")
    expect(dana.locator("#shared-numbers")).to_have_text("(415) •••-••42 is also Bob Wong's number.")
    form = dana.locator("#customer-edit-form")
    numbers = form.locator(".phone-input")
    expect(numbers).to_have_count(2)
    assert sorted(numbers.evaluate_all("inputs => inputs.map(i => i.value)")) == ["(415) •••-••00", "(415) •••-••42"]
    assert numbers.evaluate_all("inputs => inputs.every(i => i.readOnly && !i.hasAttribute('data-e164'))")
    expect(form.locator(".phone-masked-hint")).to_be_visible()
    assert_nothing_whole(dana)

    # The numbers untouched: saved, and kept.
    form.get_by_label("Email").fill("alice@example.com")
    with dana.expect_response(lambda r: r.request.method == "PATCH") as saved:
        form.get_by_role("button", name="Save changes").click()
    assert saved.value.status == 200
    expect(dana.locator("#customer-edit-form [role=status]")).to_have_text("Saved.")
    assert phones_of(sam_api, "Alice") == ["+14155550100", "+14155550142"]

    # One masked number removed, a new one typed: the other masked one goes back as shown.
    shown = form.locator(".phone-input").evaluate_all("inputs => inputs.map(i => i.value)")
    form.locator(".phone-row").nth(shown.index("(415) •••-••42")).get_by_role("button", name="Remove this number").click()
    form.get_by_role("button", name="Add a number").click()
    form.locator(".phone-input").last.fill("(415) 555-0133")
    with dana.expect_response(lambda r: r.request.method == "PATCH") as saved:
        form.get_by_role("button", name="Save changes").click()
    assert saved.value.status == 200
    assert json.loads(saved.value.request.post_data)["phones"] == ["(415) •••-••00", "(415) 555-0133"]
    expect(dana.locator("#customer-edit-form [role=status]")).to_have_text("Saved.")
    assert phones_of(sam_api, "Alice") == ["+14155550100", "+14155550133"]
    # What the page shows now is what is stored, masked again.
    expect(form.locator(".phone-input")).to_have_count(2)
    assert sorted(form.locator(".phone-input").evaluate_all("inputs => inputs.map(i => i.value)")) == [
        "(415) •••-••00", "(415) •••-••33"]
    assert_nothing_whole(dana)
    assert dana.errors == []


def test_an_agent_creates_a_customer_with_a_caller_number_they_cannot_see(live_server, dana, sam_api):
    from playwright.sync_api import expect

    call_sid, _ = live_server.provider.call(from_="+14155550177")
    pop = card(dana, call_sid)
    pop.get_by_role("link", name="New customer").click()
    form = pop.get_by_role("form", name="New customer")
    expect(form.get_by_label("Number")).to_have_value("(415) •••-••77")
    expect(form.locator(".field-hint")).to_contain_text("the caller's number is kept")
    form.get_by_label("Name").fill("Grace Hopper")
    with dana.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/v1/customers")) as sent:
        form.get_by_role("button", name="Create and link").click()
    assert json.loads(sent.value.post_data) == {
        "name": "Grace Hopper", "phones": [], "call_sid": call_sid, "tier": "standard"}
    expect(pop.locator(".caller-name")).to_have_text("Grace Hopper")
    expect(pop.locator(".caller-number")).to_have_text("(415) •••-••77")
    assert phones_of(sam_api, "Grace") == ["+14155550177"]

    # The full page (/customers/new, where a card's link leads once its call is over) does the same.
    later, _ = live_server.provider.call(from_="+14155550166")
    expect(card(dana, later)).to_be_visible()
    dana.goto(f"{live_server.base_url}/customers/new?call_sid={later}")
    page_form = dana.locator("#customer-new-form")
    number = page_form.locator(".phone-input")
    expect(number).to_have_value("(415) •••-••66")
    expect(number).to_have_js_property("readOnly", True)
    expect(page_form.locator(".phone-masked-hint")).to_contain_text("(415) •••-••66")
    assert_nothing_whole(dana)
    page_form.get_by_label("Name").fill("Ada Lovelace")
    page_form.get_by_role("button", name="Create and link the call").click()
    expect(dana).to_have_url(re.compile(r"/customers/\d+$"))
    expect(dana.locator("#customer-name")).to_have_text("Ada Lovelace")
    assert phones_of(sam_api, "Ada") == ["+14155550166"]
    call = sam_api.get(f"/api/v1/calls/{later}").json()
    assert call["customer_id"] is not None and call["from"] == "+14155550166"
    assert dana.errors == []
