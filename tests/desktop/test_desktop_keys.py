"""Keys, places and focus on the agent desktop (issue 9, items 1, 2 and 4) in a real Chromium.

Every key acts on the card with focus inside it, else on the call that has waited longest; a card
the agent works in keeps its place on the screen while other calls arrive and leave; after a
wrap-up the card stays with its confirmation until the agent moves on, and the keyboard then goes
to the next waiting call, never to the page; Esc on a form with typing in it asks first; a call
whose customer was deleted stays workable and says what happened.

Playwright drives Debian's Chromium (never a downloaded one) against the live server, with CSRF
checks on as in production.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Call
from tests.factories import make_customer, make_user
from tests.support.browser import open_desktop, pages
from tests.support.login import login

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

# How long a card whose call is over stays after its wrap-up (LINGER_MS in desktop/board.js).
LINGER_MS = 4000
# The width at which the issue measured cards jumping columns (x 316 -> 820 px).
WIDE = {"width": 1920, "height": 1080}


@pytest.fixture
def open_page(browser):
    """Pages in fresh contexts (one per person) at 1920x1080; dialogs and page errors are recorded."""
    with pages(browser, viewport=WIDE) as factory:
        yield factory


@pytest.fixture
def dana(live_server, open_page):
    """Dana, an agent, on a connected desktop."""
    with live_server.app.app_context():
        make_user("dana", display_name="Dana Scully")
    return open_desktop(live_server, open_page(), "dana")


def card(page, call_sid: str):
    return page.locator(f'[data-call-sid="{call_sid}"]')


def ring(live_server, page, from_: str) -> str:
    """A call comes in; returns its CallSid once its card is on `page`."""
    from playwright.sync_api import expect

    call_sid, _ = live_server.provider.call(from_=from_)
    expect(card(page, call_sid)).to_have_count(1)
    return call_sid


def holder(live_server, call_sid: str) -> int | None:
    with live_server.app.app_context():
        agent_id = db.session.scalar(select(Call.agent_id).where(Call.call_sid == call_sid))
        db.session.remove()
        return agent_id


def focused_call(page) -> str | None:
    """The CallSid of the card the keyboard is in, or what has focus when it is in no card."""
    return page.evaluate("""() => {
        const node = document.activeElement;
        const inCard = node && node.closest('[data-call-sid]');
        return inCard ? inCard.getAttribute('data-call-sid') : (node ? node.tagName + '#' + node.id : null);
    }""")


def box(locator) -> tuple[float, float]:
    found = locator.bounding_box()
    assert found is not None
    return round(found["x"]), round(found["y"])


def test_keys_act_on_the_focused_card_else_the_caller_who_waited_longest(live_server, dana):
    from playwright.sync_api import expect

    first = ring(live_server, dana, "+14155550101")
    second = ring(live_server, dana, "+14155550102")
    third = ring(live_server, dana, "+14155550103")
    # No card has focus: c takes the longest-waiting call, not the newest.
    dana.locator("body").click(position={"x": 5, "y": 5})
    dana.keyboard.press("c")
    expect(card(dana, first).locator("[data-role=claimed-by]")).to_have_text("You took this")
    assert holder(live_server, third) is None and holder(live_server, second) is None

    # Oldest first: the caller who has waited longest leads, new calls join the end. Only the
    # card `c` would take says "or press c": none while the keyboard is in the call just taken,
    # the next longest-waiting once it is in no card.
    live = dana.locator("#live-calls > [data-call-sid]")
    assert [live.nth(i).get_attribute("data-call-sid") for i in range(3)] == [first, second, third]
    assert focused_call(dana) == first
    expect(dana.locator('[data-key-hint="c"]:visible')).to_have_count(0)
    dana.locator("body").click(position={"x": 5, "y": 5})
    expect(dana.locator('[data-key-hint="c"]:visible')).to_have_count(1)
    expect(card(dana, second).locator('[data-key-hint="c"]')).to_be_visible()

    # The third card has focus: c takes that one, whatever else is ringing.
    card(dana, third).locator(".caller-name").click()
    assert focused_call(dana) == third
    expect(card(dana, third).locator('[data-key-hint="c"]')).to_be_visible()
    dana.keyboard.press("c")
    expect(card(dana, third).locator("[data-role=claimed-by]")).to_have_text("You took this")
    assert holder(live_server, second) is None

    # The focused card is taken already: c says so there and takes no other call.
    dana.keyboard.press("c")
    expect(card(dana, third).locator('[data-part="message"]')).to_have_text("This call is not waiting to be taken.")
    dana.wait_for_timeout(300)
    assert holder(live_server, second) is None

    # n opens the notes of the focused card, not of the first call taken.
    dana.keyboard.press("n")
    expect(card(dana, third).get_by_label("Notes", exact=True)).to_be_focused()
    expect(card(dana, first).get_by_role("form", name="Notes and wrap-up")).to_have_count(0)
    assert dana.errors == []


def test_a_taken_call_says_who_has_it_while_it_still_rings(live_server, open_page, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("frank", display_name="Frank Ocean")
    frank = open_desktop(live_server, open_page(), "frank")
    call_sid = ring(live_server, dana, "+14155550104")
    expect(card(frank, call_sid).locator("[data-role=status]")).to_have_text("Ringing")

    card(dana, call_sid).get_by_role("button", name="I'm taking this").click()
    expect(card(dana, call_sid).locator("[data-role=status]")).to_have_text("Taken by you")
    expect(card(frank, call_sid).locator("[data-role=status]")).to_have_text("With Dana Scully")
    assert dana.errors == [] and frank.errors == []


def test_a_card_being_typed_in_keeps_its_place_when_calls_arrive_and_leave(live_server, dana):
    from playwright.sync_api import expect

    older = ring(live_server, dana, "+14155550105")
    worked = ring(live_server, dana, "+14155550106")
    pop = card(dana, worked)
    pop.get_by_role("button", name="I'm taking this").click()
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")
    pop.get_by_role("button", name="Notes & wrap-up").click()
    notes = pop.get_by_label("Notes", exact=True)
    notes.fill("Wants the invoice")
    expect(pop.locator("form[data-dirty]")).to_have_count(1)
    before = box(pop)

    # A new call pops: it goes where it moves nothing.
    newer = ring(live_server, dana, "+14155550107")
    dana.wait_for_timeout(300)  # let the card's arrival settle
    assert box(pop) == before
    assert box(card(dana, newer)) != before
    expect(notes).to_be_focused()

    # The call before it ends and leaves for Recent: the card stays put.
    live_server.provider.status(older, "no-answer", sequence=3)
    expect(dana.locator(f'#recent-calls [data-call-sid="{older}"]')).to_have_count(1)
    assert box(pop) == before
    another = ring(live_server, dana, "+14155550108")
    dana.wait_for_timeout(300)
    assert box(pop) == before
    expect(notes).to_be_focused()
    expect(notes).to_have_value("Wants the invoice")
    dana.keyboard.type(", by post")
    expect(notes).to_have_value("Wants the invoice, by post")
    expect(dana.locator("#live-count")).to_have_text("3")  # worked, newer, another: no hole counted
    assert {another, newer} <= {dana.locator("#live-calls > [data-call-sid]").nth(i).get_attribute("data-call-sid")
                                for i in range(3)}
    assert dana.errors == []


def test_after_a_wrap_up_the_card_stays_with_its_confirmation_then_the_next_caller_has_the_keyboard(
        live_server, dana):
    from playwright.sync_api import expect

    done = ring(live_server, dana, "+14155550109")
    pop = card(dana, done)
    pop.get_by_role("button", name="I'm taking this").click()
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")
    live_server.provider.status(done, "in-progress", sequence=1)
    live_server.provider.status(done, "completed", sequence=2, duration=30)
    expect(pop).to_have_attribute("data-status", "completed")
    waiting = ring(live_server, dana, "+14155550110")

    pop.get_by_role("button", name="Notes & wrap-up").click()
    pop.get_by_label("Notes", exact=True).fill("Sorted")
    pop.get_by_label("Disposition").select_option("resolved")
    before = box(pop)
    pop.get_by_role("button", name="Save wrap-up").click()

    # The card and its confirmation stay where they were, with the keyboard on them.
    live_card = dana.locator(f'#live-calls [data-call-sid="{done}"]')
    expect(live_card.locator('[data-part="message"]')).to_have_text("Wrap-up saved.")
    assert box(live_card) == before
    assert focused_call(dana) == done

    # A few seconds on it moves to Recent, and the waiting caller's card has the keyboard.
    expect(dana.locator(f'#recent-calls [data-call-sid="{done}"]')).to_have_count(1, timeout=LINGER_MS + 3000)
    expect(live_card).to_have_count(0)
    assert focused_call(dana) == waiting

    # Close without saving on another held call: straight to Recent, keyboard on the heading.
    dana.keyboard.press("c")
    expect(card(dana, waiting).locator("[data-role=claimed-by]")).to_have_text("You took this")
    live_server.provider.status(waiting, "in-progress", sequence=1)
    live_server.provider.status(waiting, "completed", sequence=2, duration=5)
    held = card(dana, waiting)
    expect(held).to_have_attribute("data-status", "completed")
    held.get_by_role("button", name="Notes & wrap-up").click()
    held.get_by_role("button", name="Close without saving").click()
    expect(dana.locator(f'#recent-calls [data-call-sid="{waiting}"]')).to_have_count(1)
    assert focused_call(dana) == "H2#live-heading"
    assert dana.errors == []


def test_moving_on_ends_the_wait_at_once(live_server, dana):
    from playwright.sync_api import expect

    done = ring(live_server, dana, "+14155550111")
    other = ring(live_server, dana, "+14155550112")
    pop = card(dana, done)
    pop.get_by_role("button", name="I'm taking this").click()
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")
    live_server.provider.status(done, "completed", sequence=2, duration=30)
    expect(pop).to_have_attribute("data-status", "completed")
    pop.get_by_role("button", name="Notes & wrap-up").click()
    pop.get_by_label("Disposition").select_option("resolved")
    pop.get_by_role("button", name="Save wrap-up").click()
    expect(pop.locator('[data-part="message"]')).to_have_text("Wrap-up saved.")
    dana.keyboard.press("j")  # the agent moves on to the next card
    assert focused_call(dana) == other
    expect(dana.locator(f'#recent-calls [data-call-sid="{done}"]')).to_have_count(1, timeout=2000)
    assert focused_call(dana) == other


def test_esc_on_a_typed_note_asks_before_throwing_it_away(live_server, dana):
    from playwright.sync_api import expect

    call_sid = ring(live_server, dana, "+14155550113")
    another = ring(live_server, dana, "+14155550114")
    pop = card(dana, call_sid)
    pop.get_by_role("button", name="I'm taking this").click()
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")
    keyboard = dana.keyboard

    # An empty form closes on Esc, as before.
    keyboard.press("n")
    notes = pop.get_by_label("Notes", exact=True)
    expect(notes).to_be_focused()
    keyboard.press("Escape")
    expect(pop.get_by_role("form", name="Notes and wrap-up")).to_have_count(0)

    keyboard.press("n")
    expect(notes).to_be_focused()
    keyboard.type("Caller wants a refund")
    draft_count = "Object.keys(sessionStorage).filter(k => k.startsWith('kc-draft:')).length"
    assert dana.evaluate(draft_count) == 1
    keyboard.press("Escape")
    prompt = pop.get_by_role("group", name="Discard your note?")
    expect(prompt).to_be_visible()
    expect(prompt.get_by_role("button", name="Keep typing")).to_be_focused()
    expect(notes).to_have_value("Caller wants a refund")
    assert dana.evaluate(draft_count) == 1

    # Typing on goes back into the note, and no shortcut fires (c would take the other call).
    keyboard.type(" cc")
    expect(prompt).to_have_count(0)
    expect(notes).to_be_focused()
    expect(notes).to_have_value("Caller wants a refund cc")
    assert holder(live_server, another) is None

    # "Keep typing" keeps it, with the cursor back where it was.
    keyboard.press("Escape")
    expect(prompt).to_be_visible()
    keyboard.press("Enter")
    expect(prompt).to_have_count(0)
    expect(notes).to_be_focused()
    keyboard.type("!")
    expect(notes).to_have_value("Caller wants a refund cc!")

    # Esc from the card itself (focus out of the form) asks too; "Yes, discard" throws it away.
    pop.locator(".caller-name").click()
    keyboard.press("Escape")
    expect(prompt).to_be_visible()
    prompt.get_by_role("button", name="Yes, discard").click()
    expect(pop.get_by_role("form", name="Notes and wrap-up")).to_have_count(0)
    assert dana.evaluate(draft_count) == 0
    assert focused_call(dana) == call_sid
    assert dana.errors == []


def test_a_customer_deleted_mid_call_leaves_a_workable_unknown_caller(live_server, open_page, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("sam", role="supervisor", display_name="Sam Boss")
        customer_id = make_customer("Alice Wong", phones=("+14155550115",),
                                    complaints=[{"subject": "Late delivery", "due_in_days": 2}]).id
    call_sid = ring(live_server, dana, "+14155550115")
    pop = card(dana, call_sid)
    pop.get_by_role("button", name="I'm taking this").click()
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")
    pop.get_by_role("button", name="New complaint").click()
    pop.get_by_label("Subject").fill("Broken lid")

    sam = open_page()
    login(sam, "sam", base_url=live_server.base_url)
    expect(sam).not_to_have_url(re.compile(r"/login$"))  # logged in (a supervisor lands on the dashboard)
    sam.goto(f"{live_server.base_url}/customers/{customer_id}")
    deleted = sam.evaluate(f"""async () => {{
        const token = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
        const answer = await fetch('/api/v1/customers/{customer_id}', {{method: 'DELETE',
            headers: {{'X-CSRFToken': token}}, credentials: 'same-origin'}});
        return answer.status;
    }}""")
    assert deleted == 204

    # The card says what happened, as text, and goes on as an unknown caller's.
    expect(pop.locator("[data-role=customer-removed]")).to_contain_text("Alice Wong's record was deleted")
    expect(pop.locator(".caller-name")).to_have_text("Unknown caller")
    expect(pop.get_by_role("form", name="New complaint")).to_have_count(0)
    expect(pop.locator('[data-part="message"]')).to_contain_text("New complaint")
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")

    # Its forms work: a new customer for this caller, linked to the call.
    pop.get_by_role("link", name="New customer").click()
    form = pop.get_by_role("form", name="New customer")
    form.get_by_label("Name").fill("Alice Wong-Li")
    form.get_by_role("button", name="Create and link").click()
    expect(pop.locator(".caller-name")).to_have_text("Alice Wong-Li")
    expect(pop.locator("[data-role=customer-removed]")).to_have_count(0)
    assert dana.errors == []


def test_a_taken_call_can_be_given_back_by_button_and_by_key(live_server, open_page, dana):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("frank", display_name="Frank Ocean")
    frank = open_desktop(live_server, open_page(), "frank")
    call_sid = ring(live_server, dana, "+14155550116")
    pop = card(dana, call_sid)
    pop.get_by_role("button", name="I'm taking this").click()
    expect(card(frank, call_sid).locator("[data-role=claimed-by]")).to_have_text("Taken by Dana Scully")
    expect(card(frank, call_sid).get_by_role("button", name="Give back")).to_have_count(0)

    pop.get_by_role("button", name="Give back").click()
    expect(pop.get_by_role("button", name="I'm taking this")).to_be_visible()
    expect(pop.locator("[data-role=status]")).to_have_text("Ringing")
    expect(card(frank, call_sid).get_by_role("button", name="I'm taking this")).to_be_visible()
    assert holder(live_server, call_sid) is None

    # By key, on the focused card: c takes it, g gives it back.
    pop.locator(".caller-name").click()
    dana.keyboard.press("c")
    expect(pop.locator("[data-role=claimed-by]")).to_have_text("You took this")
    expect(pop.locator('[data-key-hint="g"]')).to_be_visible()
    dana.keyboard.press("g")
    expect(pop.get_by_role("button", name="I'm taking this")).to_be_visible()
    expect(card(frank, call_sid).get_by_role("button", name="I'm taking this")).to_be_visible()
    assert holder(live_server, call_sid) is None
    assert dana.errors == [] and frank.errors == []

