"""Nothing an agent types on a call card is thrown away (issue 8, item 4), in a real Chromium.

Open forms (new complaint, remember this, find customer, new customer) stay open with what was
typed in them when the card re-renders: a colleague's edit reaching the desktop, a complaint
turning overdue, another form on the card saved. Those drafts and the wrap-up notes come back
after a reload (sessionStorage), notes typed after an early disposition outlive the hang-up, and
leaving the page with an unsaved draft asks first — and only then.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Call, Complaint, Customer, utcnow
from tests.factories import make_customer, make_preference, make_user
from tests.support.browser import open_desktop, pages

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

# Customer text typed into a form must come back as text, never as markup.
HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">'


@pytest.fixture
def dana(live_server, browser):
    """Dana, an agent, on a connected desktop. Every dialog is recorded by its type; a
    beforeunload one is accepted (the reload or close goes ahead), any other dismissed."""
    with live_server.app.app_context():
        make_user("dana", display_name="Dana Scully")
    with pages(browser, record="type", accept=("beforeunload",)) as open_page:
        yield open_desktop(live_server, open_page(), "dana")


def card(page, call_sid: str):
    return page.locator(f'[data-call-sid="{call_sid}"]')


def reload(page):
    from playwright.sync_api import expect

    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")


def stored_call(live_server, call_sid: str) -> Call:
    with live_server.app.app_context():
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
        db.session.expunge_all()
        return call


def alice_calls(live_server, **customer) -> str:
    with live_server.app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",), **customer)
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    return call_sid


def type_a_complaint(pop, subject: str, description: str):
    pop.get_by_role("button", name="New complaint").click()
    form = pop.get_by_role("form", name="New complaint")
    form.get_by_label("Subject").fill(subject)
    form.get_by_label("Severity").select_option("high")
    form.get_by_label("What happened").fill(description)
    return form


def test_open_forms_survive_a_colleagues_edit_reaching_the_card(live_server, dana):
    """A colleague adds a preference while Dana types: the desktop's re-read of the active calls
    rebuilds the card with it, and her two open forms stay, focus and cursor included."""
    from playwright.sync_api import expect

    call_sid = alice_calls(live_server)
    pop = card(dana, call_sid)
    pop.get_by_role("button", name="Remember this").click()
    pop.get_by_role("form", name="Remember this").get_by_label("What").fill("callbacks")
    complaint = type_a_complaint(pop, "Broken lid", "Cracked on")

    with live_server.app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.name == "Alice Wong"))
        make_preference(customer, "language", "Cantonese")
    dana.evaluate("window.kcTestHook.resync()")
    expect(pop.locator(".preference")).to_have_text(re.compile(r"language\s*Cantonese"))

    expect(complaint.get_by_label("Subject")).to_have_value("Broken lid")
    expect(complaint.get_by_label("Severity")).to_have_value("high")
    expect(complaint.get_by_label("What happened")).to_be_focused()
    dana.keyboard.type(" arrival")  # the cursor is where she left it
    expect(complaint.get_by_label("What happened")).to_have_value("Cracked on arrival")
    expect(pop.get_by_role("form", name="Remember this").get_by_label("What")).to_have_value("callbacks")

    complaint.get_by_role("button", name="Open complaint").click()
    expect(pop.locator(".complaint", has_text="Broken lid")).to_have_count(1)
    expect(pop.get_by_role("form", name="New complaint")).to_have_count(0)
    assert dana.errors == []


def test_a_complaint_turning_overdue_keeps_the_new_customer_and_find_forms(live_server, dana):
    """An unknown caller's card, then a complaint of a known caller going overdue: the server's
    replay of the pops (a reconnect) rebuilds both cards and leaves every form as it was."""
    from playwright.sync_api import expect

    alice_sid = alice_calls(live_server, complaints=[{"subject": "Late delivery", "due_in_days": 1}])
    unknown_sid, _ = live_server.provider.call(from_="+14155550177")
    unknown = card(dana, unknown_sid)
    unknown.get_by_role("link", name="New customer").click()
    unknown.get_by_role("form", name="New customer").get_by_label("Name").fill("Grace Hopper")
    unknown.get_by_role("button", name="Already a customer? Find them").click()
    unknown.get_by_role("form", name="Find customer").get_by_label("Name, number or email").fill("hopper")
    alice = card(dana, alice_sid)
    complaint = type_a_complaint(alice, "Second parcel late", "Again")

    with live_server.app.app_context():
        db.session.scalar(select(Complaint)).due_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    dana.evaluate("window.kcTestHook.socket.disconnect(); window.kcTestHook.socket.connect()")
    expect(alice.locator(".complaint-overdue")).to_contain_text("Late delivery")

    expect(complaint.get_by_label("Subject")).to_have_value("Second parcel late")
    expect(complaint.get_by_label("What happened")).to_have_value("Again")
    new_customer = unknown.get_by_role("form", name="New customer")
    expect(new_customer.get_by_label("Name")).to_have_value("Grace Hopper")
    expect(new_customer.get_by_label("Number")).to_have_value("+14155550177")
    expect(unknown.get_by_role("form", name="Find customer").get_by_label("Name, number or email")).to_have_value("hopper")
    assert dana.errors == []


def test_saving_one_form_on_a_card_leaves_the_other_open(live_server, dana):
    from playwright.sync_api import expect

    call_sid = alice_calls(live_server)
    pop = card(dana, call_sid)
    complaint = type_a_complaint(pop, "Broken lid", "Cracked on arrival")
    pop.get_by_role("button", name="Remember this").click()
    remember = pop.get_by_role("form", name="Remember this")
    remember.get_by_label("What").fill("milk")
    remember.get_by_label("Preference").fill("oat")
    remember.get_by_label("Preference").press("Enter")

    expect(pop.locator(".preference")).to_have_text(re.compile(r"milk\s*oat"))
    expect(pop.get_by_role("form", name="Remember this")).to_have_count(0)  # saved: it closes
    expect(complaint.get_by_label("Subject")).to_have_value("Broken lid")
    expect(complaint.get_by_label("What happened")).to_have_value("Cracked on arrival")
    assert dana.errors == []


def test_drafts_and_wrap_up_notes_come_back_after_a_reload_until_saved_or_cancelled(live_server, dana):
    from playwright.sync_api import expect

    alice_sid = alice_calls(live_server)
    unknown_sid, _ = live_server.provider.call(from_="+14155550177")
    alice, unknown = card(dana, alice_sid), card(dana, unknown_sid)
    alice.get_by_role("button", name="I'm taking this").click()
    expect(alice.locator("[data-role=claimed-by]")).to_have_text("You took this")
    type_a_complaint(alice, "Broken lid", HOSTILE)
    alice.get_by_role("button", name="Remember this").click()
    alice.get_by_role("form", name="Remember this").get_by_label("What").fill("callbacks")
    alice.get_by_role("button", name="Notes & wrap-up").click()
    alice.get_by_role("form", name="Notes and wrap-up").get_by_label("Notes", exact=True).fill("Wants a refund")
    unknown.get_by_role("link", name="New customer").click()
    unknown.get_by_role("form", name="New customer").get_by_label("Name").fill("Grace Hopper")
    unknown.get_by_role("button", name="Already a customer? Find them").click()
    unknown.get_by_role("form", name="Find customer").get_by_label("Name, number or email").fill("hopper")

    reload(dana)
    complaint = alice.get_by_role("form", name="New complaint")
    expect(complaint.get_by_label("Subject")).to_have_value("Broken lid")
    expect(complaint.get_by_label("Severity")).to_have_value("high")
    expect(complaint.get_by_label("What happened")).to_have_value(HOSTILE)
    expect(alice.get_by_role("form", name="Remember this").get_by_label("What")).to_have_value("callbacks")
    expect(alice.get_by_role("form", name="Notes and wrap-up").get_by_label("Notes", exact=True)).to_have_value("Wants a refund")
    expect(unknown.get_by_role("form", name="New customer").get_by_label("Name")).to_have_value("Grace Hopper")
    expect(unknown.get_by_role("form", name="Find customer").get_by_label("Name, number or email")).to_have_value("hopper")

    # Saved or cancelled, a draft is gone for good; the others still come back.
    complaint.get_by_role("button", name="Open complaint").click()
    expect(alice.locator(".complaint", has_text="Broken lid")).to_have_count(1)
    unknown.get_by_role("form", name="Find customer").get_by_role("button", name="Cancel").click()
    reload(dana)
    expect(alice.get_by_role("form", name="Remember this").get_by_label("What")).to_have_value("callbacks")
    expect(unknown.get_by_role("form", name="New customer").get_by_label("Name")).to_have_value("Grace Hopper")
    expect(alice.get_by_role("form", name="New complaint")).to_have_count(0)
    expect(unknown.get_by_role("form", name="Find customer")).to_have_count(0)
    assert dana.evaluate("document.body.dataset.pwned") is None
    assert dana.errors == []


def test_notes_typed_after_an_early_disposition_outlive_the_hang_up_and_a_reload(live_server, dana):
    from playwright.sync_api import expect

    call_sid = alice_calls(live_server)
    pop = card(dana, call_sid)
    pop.get_by_role("button", name="I'm taking this").click()
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")
    live_server.provider.status(call_sid, "in-progress", sequence=1)
    pop.get_by_role("button", name="Notes & wrap-up").click()
    wrap = pop.get_by_role("form", name="Notes and wrap-up")
    wrap.get_by_label("Disposition").select_option("resolved")
    wrap.get_by_role("button", name="Save wrap-up").click()
    expect(pop.locator('[data-part="message"]')).to_have_text("Wrap-up saved.")

    # Still talking: Dana writes down what the caller says next.
    pop.get_by_role("button", name="Notes & wrap-up").click()
    notes = pop.get_by_role("form", name="Notes and wrap-up").get_by_label("Notes", exact=True)
    notes.fill("Refund agreed")
    live_server.provider.status(call_sid, "completed", sequence=2, duration=60)
    held = dana.locator(f'#live-calls [data-call-sid="{call_sid}"]')
    expect(held.locator("[data-role=status]")).to_have_text("Ended")
    expect(held.get_by_label("Notes", exact=True)).to_have_value("Refund agreed")

    held.get_by_label("Notes", exact=True).press("End")
    dana.keyboard.type(", sent by post")
    reload(dana)
    notes = held.get_by_role("form", name="Notes and wrap-up").get_by_label("Notes", exact=True)
    expect(notes).to_have_value("Refund agreed, sent by post")
    held.get_by_role("button", name="Save wrap-up").click()
    expect(dana.locator(f'#recent-calls [data-call-sid="{call_sid}"]')).to_have_count(1)
    call = stored_call(live_server, call_sid)
    assert (call.notes, call.disposition) == ("Refund agreed, sent by post", "resolved")
    assert dana.errors == []


def test_leaving_the_desktop_asks_first_only_while_a_draft_is_unsaved(live_server, dana):
    from playwright.sync_api import expect

    call_sid = alice_calls(live_server)
    pop = card(dana, call_sid)
    pop.get_by_role("button", name="Remember this").click()  # open, but nothing typed yet
    reload(dana)
    assert dana.dialogs == []

    pop.get_by_role("button", name="Remember this").click()
    remember = pop.get_by_role("form", name="Remember this")
    remember.get_by_label("What").fill("milk")
    reload(dana)
    assert dana.dialogs == ["beforeunload"]

    remember.get_by_label("Preference").fill("oat")
    remember.get_by_label("Preference").press("Enter")
    expect(pop.locator(".preference")).to_have_text(re.compile(r"milk\s*oat"))
    reload(dana)
    assert dana.dialogs == ["beforeunload"]  # saved: nothing left to lose, nothing asked
    assert dana.errors == []
