"""Every page passes axe-core with no serious or critical violation (issue 9, item 11: WCAG 2.2 AA),
with its cards, forms and dialogs open; plus the focus ring, the skip link and reduced motion.

axe-core comes from npm (package.json, `npm ci`) and is injected into the page by Playwright; the
app never serves it. Violations of lesser impact ("moderate", "minor") are printed, not failed.
"""
from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.factories import make_customer, make_user
from tests.support.browser import ROOT, pages
from tests.support.login import login

pytestmark = [pytest.mark.browser, pytest.mark.app_config(WTF_CSRF_ENABLED=True)]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# Finite animations (a card arriving) are let finish first, so colours are read at rest.
SETTLED = """() => document.getAnimations().every((a) => {
  const timing = a.effect && a.effect.getComputedTiming();
  return a.playState !== "running" || !timing || timing.iterations === Infinity;
})"""


@pytest.fixture
def open_page(browser):
    # bypass_csp: the app's CSP forbids inline scripts, which is how Playwright injects axe.
    with pages(browser, bypass_csp=True) as factory:
        def sized(width: int = 1280, height: int = 900, **options):
            if not AXE.is_file():
                pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci` in {ROOT}")
            return factory(viewport={"width": width, "height": height}, **options)

        yield sized


def axe(page, where: str) -> list[dict]:
    """Run axe-core (WCAG 2.0–2.2 A/AA and best practices) on the page as it is; print every
    violation, one line per rule and impact with its node count; return them."""
    page.wait_for_function(SETTLED)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
        resultTypes: ["violations"],
    })""")
    violations = result["violations"]
    counts = Counter()
    for violation in violations:
        counts[(violation["id"], violation["impact"])] += len(violation["nodes"])
    summary = ", ".join(f"{rule}/{impact} ×{n}" for (rule, impact), n in sorted(counts.items())) or "none"
    print(f"\naxe {where}: {summary}")
    for violation in violations:
        for node in violation["nodes"][:5]:
            print(f"  {violation['impact']:>8} {violation['id']}: {node['target']} {node['failureSummary'][:160]!r}")
    return violations


def assert_no_serious(page, where: str) -> None:
    blocking = [v for v in axe(page, where) if v["impact"] in BLOCKING]
    assert not blocking, where + ": " + "; ".join(
        f"{v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes']][:4]}" for v in blocking)


def signed_in(live_server, open_page, username: str, path: str = "/", **size):
    from playwright.sync_api import expect

    page = open_page(**size)
    login(page, username, base_url=live_server.base_url)
    expect(page).to_have_url(re.compile(re.escape(live_server.base_url) + "/"))
    if page.url != live_server.base_url + path:  # supervisors and admins land on the dashboard
        page.goto(live_server.base_url + path)
    return page


def card(page, call_sid: str):
    return page.locator(f'[data-call-sid="{call_sid}"]')


@pytest.fixture
def people(live_server):
    with live_server.app.app_context():
        make_user("dana", display_name="Dana Scully")
        make_user("sam", role="supervisor", display_name="Sam Boss")
        make_user("root", role="admin", display_name="Ada Admin")
        alice = make_customer(
            "Alice Wong", phones=("+14155550100",), tier="vip", preferences={"milk": "high-calcium", "callbacks": "evenings"},
            complaints=[{"subject": "Late delivery", "severity": "high", "due_in_days": -1},
                        {"subject": "Wrong size", "severity": "low", "due_in_days": 3},
                        {"subject": "Old problem", "status": "resolved"}],
        )
        make_customer("Bob Gold", phones=("+14155550101",), tier="gold")
        make_customer("Wei Huang", phones=("+14155550111",))
        make_customer("Mei Huang", phones=("+14155550111",))
        return {"alice": alice.id}


def desktop_with_calls(live_server, open_page, **size):
    """Dana's desktop: a known VIP with preferences and open complaints (taken, in progress), a
    household number, an unknown caller, a withheld one, and a finished call in Recent."""
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "dana", **size)
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    provider = live_server.provider
    done, _ = provider.call(from_="+14155550101")
    provider.status(done, "completed", sequence=1, duration=61)
    sids = {
        "shared": provider.call(from_="+14155550111")[0],
        "unknown": provider.call(from_="+14155550177")[0],
        "withheld": provider.call(from_="anonymous")[0],
        "known": provider.call(from_="+14155550100")[0],
        "done": done,
    }
    expect(page.locator(f'#recent-calls [data-call-sid="{done}"]')).to_have_count(1)
    known = card(page, sids["known"])
    expect(known.locator(".complaint")).to_have_count(2)
    known.get_by_role("button", name="I'm taking this").click()
    expect(known.locator("[data-role=claimed-by]")).to_have_text("You took this")
    provider.status(sids["known"], "in-progress", sequence=1)
    expect(known.locator("[data-role=status]")).to_contain_text("Answered")
    return page, sids


def test_login_page(live_server, open_page):
    from playwright.sync_api import expect

    page = open_page()
    page.goto(live_server.base_url + "/login")
    assert_no_serious(page, "/login")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".flash")).to_be_visible()
    assert_no_serious(page, "/login (refused)")


def test_desktop_with_pops(live_server, open_page, people):
    page, _ = desktop_with_calls(live_server, open_page)
    assert_no_serious(page, "/ (pops)")
    assert page.errors == []


def test_desktop_with_every_form_open(live_server, open_page, people):
    from playwright.sync_api import expect

    page, sids = desktop_with_calls(live_server, open_page)
    known = card(page, sids["known"])
    known.get_by_role("button", name="New complaint").click()
    expect(known.get_by_role("form", name="New complaint")).to_be_visible()
    known.get_by_role("button", name="Remember this").click()
    expect(known.get_by_role("form", name="Remember this")).to_be_visible()
    known.locator(".complaint", has_text="Late delivery").get_by_role("button", name="Resolve").click()
    expect(known.get_by_role("form", name="Resolve complaint")).to_be_visible()
    known.get_by_role("button", name="Notes & wrap-up").click()
    expect(known.get_by_role("form", name="Notes and wrap-up")).to_be_visible()
    known.get_by_role("button", name="Remove callbacks").click()  # asks to confirm, on the button
    expect(known.get_by_role("button", name="Confirm removing callbacks")).to_be_visible()
    withheld = card(page, sids["withheld"])
    withheld.get_by_role("button", name="Find customer").click()
    finder = withheld.get_by_role("form", name="Find customer")
    finder.get_by_label("Name, number or email").fill("huang")
    finder.get_by_label("Name, number or email").press("Enter")
    expect(finder.get_by_role("button", name="This is Wei Huang")).to_be_visible()
    unknown = card(page, sids["unknown"])
    unknown.get_by_role("link", name="New customer").click()
    form = unknown.get_by_role("form", name="New customer")
    form.get_by_role("button", name="Create and link").click()  # no name: errors beside the fields
    expect(form.locator('[aria-invalid="true"]').first).to_be_visible()
    assert_no_serious(page, "/ (forms open)")
    assert page.errors == []


def test_desktop_shortcuts_dialog(live_server, open_page, people):
    from playwright.sync_api import expect

    page, _ = desktop_with_calls(live_server, open_page)
    page.get_by_role("button", name=re.compile("Shortcuts")).click()
    expect(page.locator("#shortcuts")).to_be_visible()
    assert_no_serious(page, "/ (shortcuts dialog)")


def test_customer_search(live_server, open_page, people):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "dana", "/customers?q=huang")
    expect(page.locator("#customer-results tbody tr")).to_have_count(2)
    assert_no_serious(page, "/customers")


def test_customer_record_with_its_forms_open(live_server, open_page, people):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "sam", f"/customers/{people['alice']}")
    expect(page.locator("#customer-name")).to_have_text("Alice Wong")
    expect(page.locator("#timeline li").first).to_be_visible()
    assert_no_serious(page, "/customers/<id>")
    scope = page.locator("#customer-page")
    scope.get_by_role("button", name="Remember this").click()
    scope.get_by_role("button", name="New complaint").click()
    scope.locator("#open-complaints .complaint", has_text="Wrong size").get_by_role("button", name="Update").click()
    expect(scope.get_by_role("form", name="Update complaint")).to_be_visible()
    page.get_by_role("button", name="Delete customer…").click()
    expect(page.get_by_role("alertdialog", name="Confirm deletion")).to_be_visible()
    assert_no_serious(page, "/customers/<id> (forms open)")
    assert page.errors == []


def test_new_customer_page(live_server, open_page, people):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "dana", "/customers/new")
    expect(page.locator("#customer-new-form input").first).to_be_visible()
    assert_no_serious(page, "/customers/new")
    page.locator("#customer-new-form").get_by_role("button").last.click()
    assert_no_serious(page, "/customers/new (errors)")


def test_dashboard(live_server, open_page, people):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "sam", "/dashboard")
    live_server.provider.call(from_="+14155550100")
    done, _ = live_server.provider.call(from_="+14155550101")
    live_server.provider.status(done, "completed", sequence=1, duration=30)
    page.reload()
    expect(page.locator("#live-table")).to_contain_text("Alice Wong")
    expect(page.locator("#recent-table")).to_contain_text("Bob Gold")
    assert_no_serious(page, "/dashboard")


def test_audit_trail(live_server, open_page, people):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "sam", f"/customers/{people['alice']}")
    expect(page.locator("#customer-name")).to_have_text("Alice Wong")
    page.goto(live_server.base_url + "/audit")
    expect(page.locator("#audit-table tbody tr").first).to_be_visible()
    assert_no_serious(page, "/audit")


def test_admin_users(live_server, open_page, people):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "root", "/admin/users")
    expect(page.locator('#users-table tr[data-username="dana"]')).to_be_visible()
    assert_no_serious(page, "/admin/users")
    row = page.locator('#users-table tr[data-username="dana"]')
    row.get_by_role("button", name="Edit").click()
    page.locator("#user-create-form").get_by_role("button", name="Create user").click()
    expect(page.locator('#user-create-form [data-error-for="username"]')).not_to_be_empty()
    assert_no_serious(page, "/admin/users (forms open)")


def test_admin_import(live_server, open_page, people, tmp_path):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "root", "/admin/import")
    assert_no_serious(page, "/admin/import")
    upload = tmp_path / "customers.csv"
    upload.write_text("name,phone\nIvy Import,+1 415 555 0301\nNo Number Ned,not a phone\n", encoding="utf-8")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#job-title")).to_contain_text("done", timeout=20_000)
    assert_no_serious(page, "/admin/import (job done)")


def test_error_page(live_server, open_page, people):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "dana", "/dashboard")
    expect(page.locator("h1")).to_have_text("403")
    assert_no_serious(page, "403")


# ---------------------------------------------------------------- what axe does not measure


def contrast(page, foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS colours, computed in the page."""
    return page.evaluate("""([fg, bg]) => {
        const rgb = (c) => { const ctx = document.createElement("canvas").getContext("2d");
          ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1); return Array.from(ctx.getImageData(0, 0, 1, 1).data).slice(0, 3); };
        const lum = (c) => rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
          .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        return (a + 0.05) / (b + 0.05);
    }""", [foreground, background])


def test_skip_link_is_the_first_stop_and_reaches_main(live_server, open_page, people):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "dana", "/dashboard")  # a 403 page: the top bar, no autofocus
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to main content")
    expect(skip).to_be_visible()
    skip.press("Enter")
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    page.keyboard.press("Tab")  # and on from there
    assert page.evaluate("document.activeElement.closest('main') !== null")
    # Every page: the skip link is the first focusable element and targets its one <main>.
    for path in ("/", "/customers", "/customers/new", "/login"):
        page.goto(live_server.base_url + path)
        first = page.evaluate("""() => { const node = document.querySelector('a[href], button, input, select, textarea');
            return {text: node.textContent, target: document.querySelector(node.getAttribute('href') || 'none')?.tagName,
                    h1: document.querySelectorAll('h1').length}; }""")
        assert first == {"text": "Skip to main content", "target": "MAIN", "h1": 1}, (path, first)


def test_the_focus_ring_is_solid_and_seen_on_the_top_bar_and_on_white(live_server, open_page, people):
    page, sids = desktop_with_calls(live_server, open_page)
    rings = []
    for selector in ("header.topbar nav a", "#show-shortcuts", f'[data-call-sid="{sids["known"]}"] .button-claim, '
                     f'[data-call-sid="{sids["known"]}"] [data-action="wrapup"]'):
        page.locator(selector).first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
        ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
            // The ring is drawn outside the element: what it sits on is the first opaque ancestor.
            let node = document.activeElement.parentElement, bg = "rgb(255, 255, 255)";
            while (node) { const c = getComputedStyle(node).backgroundColor;
              if (c.startsWith("rgb(")) { bg = c; break; } node = node.parentElement; }
            return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, bg, on: document.activeElement.outerHTML.slice(0, 80)}; }""")
        rings.append(ring)
    for ring in rings:
        assert ring["style"] == "solid" and ring["width"] >= 2, ring
        assert "rgba" not in ring["color"], ring  # no see-through ring
        assert contrast(page, ring["color"], ring["bg"]) >= 3, ring


def test_the_ringing_pulse_stops_for_reduced_motion(live_server, open_page, people):
    from playwright.sync_api import expect

    page = signed_in(live_server, open_page, "dana")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    pill = card(page, call_sid).locator("[data-role=status]")
    expect(pill).to_have_text("Ringing")
    assert pill.evaluate("node => getComputedStyle(node).animationName") != "none"
    page.emulate_media(reduced_motion="reduce")
    assert pill.evaluate("node => getComputedStyle(node).animationName") == "none"
    dot = page.locator(".connection-dot")
    page.evaluate("document.getElementById('connection').dataset.state = 'reconnecting'")
    assert dot.evaluate("node => getComputedStyle(node).animationName") == "none"
