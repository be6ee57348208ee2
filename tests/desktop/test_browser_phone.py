"""The browser phone on the desktop (SPEC §13) in a real Chromium, with no request leaving the machine.

Chromium runs with a fake microphone that is always allowed; every request to a host other than
127.0.0.1 / localhost is aborted and recorded, and so is every websocket or blocked load (the
page's CSP) aimed elsewhere, so each test can say what, if anything, tried to go out. With no
voice settings (the default test config) the token route answers 503 and nothing is contacted.

A live Twilio is never reached: the incoming-call tests put a stand-in Device in place before the
page loads (the SDK's UMD build keeps a `Twilio.Device` that is already there), so what they cover
is the desktop's side: registering, the card's Answer / Decline / Mute / Hang up, the claim.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.factories import make_user
from tests.support import services
from tests.support.browser import CHROMIUM_ARGS, open_desktop, pages

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
FAKE_VOICE = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_API_KEY": "SK" + "1" * 32,
    "TWILIO_API_SECRET": "not-a-real-secret-" + "3" * 16, "TWILIO_TWIML_APP_SID": "AP" + "2" * 32,
}
PARENT_SID = "CA" + "a" * 32

# Counts the microphone prompts (getUserMedia still runs: Chromium's fake device answers).
COUNT_MICROPHONE = """
(() => {
  window.__microphoneAsked = 0;
  const media = navigator.mediaDevices;
  if (!media) return;
  const ask = media.getUserMedia.bind(media);
  media.getUserMedia = (constraints) => { window.__microphoneAsked += 1; return ask(constraints); };
})();
"""

# A stand-in for Twilio.Device: registers at once and records what the page does with it.
FAKE_DEVICE = """
(() => {
  class Emitter {
    constructor() { this.handlers = {}; }
    on(event, fn) { (this.handlers[event] = this.handlers[event] || []).push(fn); return this; }
    emit(event, ...args) { (this.handlers[event] || []).forEach((fn) => fn(...args)); }
  }
  class FakeCall extends Emitter {
    constructor(childSid, custom) {
      super();
      this.parameters = { CallSid: childSid, From: "+14155550100" };
      this.customParameters = new Map(Object.entries(custom || {}));
      this.done = [];
    }
    accept() { this.done.push("accept"); setTimeout(() => this.emit("accept", this), 10); }
    reject() { this.done.push("reject"); }
    mute(muted) { this.done.push("mute:" + muted); this.emit("mute", muted, this); }
    disconnect() { this.done.push("disconnect"); this.emit("disconnect", this); }
  }
  class FakeDevice extends Emitter {
    constructor(token, options) {
      super();
      this.token = token; this.options = options; this.state = "unregistered"; this.done = [];
      window.__fakePhone.devices.push(this);
    }
    register() {
      this.done.push("register"); this.state = "registered";
      setTimeout(() => this.emit("registered"), 10);
      return Promise.resolve();
    }
    unregister() {
      this.done.push("unregister"); this.state = "unregistered";
      setTimeout(() => this.emit("unregistered"), 10);
      return Promise.resolve();
    }
    updateToken(token) { this.done.push("updateToken"); this.token = token; }
    destroy() {
      this.done.push("destroy"); this.state = "destroyed";
      sessionStorage.setItem("fakePhoneDestroyed", "yes");  // read on the next page (logout)
    }
  }
  window.__fakePhone = {
    devices: [], calls: [],
    ring(childSid, custom) {
      const call = new FakeCall(childSid, custom);
      this.calls.push(call);
      this.devices[this.devices.length - 1].emit("incoming", call);
      return call;
    },
  };
  window.Twilio = { Device: FakeDevice };
})();
"""

# The browser refuses the microphone (as after "Block" in its prompt or site settings).
REFUSE_MICROPHONE = """
navigator.mediaDevices.getUserMedia = () => {
  window.__microphoneAsked += 1;
  return Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
};
"""


@pytest.fixture(scope="module")
def browser():
    """Chromium with a fake microphone the page may always use (no prompt to click)."""
    services.require(services.chromium_available(), f"Chromium is not installed at {services.CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=services.CHROMIUM, args=[
            *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"])
        yield launched
        launched.close()


class Outside:
    """What the page tried to reach beyond this machine: aborted requests, websockets, and loads
    the page's own policy (CSP) blocked before they left."""

    def __init__(self):
        self.aborted: list[str] = []
        self.websockets: list[str] = []
        self.blocked: list[str] = []

    def hosts(self) -> set[str]:
        return {urlsplit(url).hostname or url for url in self.aborted + self.websockets + self.blocked}

    def nothing(self) -> bool:
        return not (self.aborted or self.websockets or self.blocked)


def guard_network(page) -> Outside:
    outside = Outside()

    def route(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.aborted.append(route.request.url)
            route.abort("internetdisconnected")

    page.context.route("**/*", route)
    page.on("websocket", lambda socket: None if urlsplit(socket.url).hostname in LOCAL_HOSTS
            else outside.websockets.append(socket.url))

    def console(message):
        # Chromium's words for a load the CSP stopped: "Refused to load … 'URL'", "Connecting to 'URL'
        # violates …".
        found = re.search(r"(?:Refused to (?:connect|load)[^']*|Connecting to )'([^']+)'", message.text)
        if found and urlsplit(found.group(1)).hostname not in LOCAL_HOSTS:
            outside.blocked.append(found.group(1))

    page.on("console", console)
    return outside


@pytest.fixture
def open_page(browser):
    """Pages whose every request beyond 127.0.0.1 is aborted (`page.outside` says what tried)."""
    with pages(browser) as factory:
        def make(*scripts: str):
            page = factory()
            page.outside = guard_network(page)
            page.add_init_script(COUNT_MICROPHONE)
            for script in scripts:
                page.add_init_script(script)
            return page

        yield make


def phone(page):
    return page.locator("#phone")


def dana_at_her_desk(live_server, open_page, *scripts, registered: bool = False):
    """Dana, an agent reached in the browser, on a connected desktop (its phone registered, if asked)."""
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("dana", display_name="Dana Scully")
    page = open_page(*scripts)
    open_desktop(live_server, page, "dana")
    if registered:
        expect(phone(page)).to_have_attribute("data-state", "registered")
    return page


def test_the_voice_sdk_is_served_by_the_app_and_defines_twilio_device(live_server, open_page):
    from playwright.sync_api import expect

    page = dana_at_her_desk(live_server, open_page)
    answer = page.request.get(f"{live_server.base_url}/vendor/twilio.min.js")  # with the login cookie
    assert answer.status == 200
    assert "javascript" in answer.headers["content-type"]
    assert "Twilio.Device" in answer.text()
    expect(phone(page)).not_to_have_attribute("data-state", "checking")
    assert page.evaluate("typeof window.Twilio === 'object' && typeof window.Twilio.Device === 'function'")
    assert page.errors == []
    assert page.outside.nothing(), page.outside.hosts()


def test_the_phone_says_not_set_up_naming_the_missing_setting_and_contacts_nobody(live_server, open_page):
    from playwright.sync_api import expect

    page = dana_at_her_desk(live_server, open_page)
    expect(phone(page)).to_have_attribute("data-state", "not-set-up")
    status = page.locator("#phone-text")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_text(re.compile(r"^Phone not set up: .*TWILIO_API_KEY"))
    expect(page.locator("#phone [data-role=phone-short]")).to_have_text("Phone not set up")
    # The full reason opens under the bar (the bar itself stays one line).
    toggle = page.locator("#phone [data-role=phone-toggle]")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#phone-detail")).to_be_visible()
    expect(page.locator("#phone-detail")).to_contain_text("TWILIO_API_KEY")
    page.keyboard.press("Escape")
    expect(page.locator("#phone-detail")).to_be_hidden()
    assert page.evaluate("window.__microphoneAsked") == 0
    assert page.errors == []
    assert page.outside.nothing(), page.outside.hosts()


def test_an_agent_reached_by_phone_sees_reached_by_phone_and_is_never_asked_for_the_microphone(live_server, open_page):
    from playwright.sync_api import expect

    with live_server.app.app_context():
        make_user("pat", display_name="Pat Doe", reach_kind="phone", reach_address="+14155550177")
    page = open_page()
    open_desktop(live_server, page, "pat")
    expect(phone(page)).to_have_attribute("data-state", "by-phone")
    expect(page.locator("#phone-text")).to_have_text(re.compile(r"^Reached by phone"))
    assert page.evaluate("window.__microphoneAsked") == 0
    assert page.outside.nothing(), page.outside.hosts()


def test_the_desktop_still_pops_and_takes_a_call_while_the_phone_is_not_set_up(live_server, open_page):
    from playwright.sync_api import expect

    page = dana_at_her_desk(live_server, open_page)
    expect(phone(page)).to_have_attribute("data-state", "not-set-up")
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    card = page.locator(f'[data-call-sid="{call_sid}"]')
    expect(card).to_be_visible()
    expect(card.locator("[data-role=phone]")).to_have_count(0)  # no Answer: the phone is not set up
    card.get_by_role("button", name="I'm taking this").click()
    expect(card.locator("[data-role=claimed-by]")).to_have_text("You took this")
    assert page.errors == []
    assert page.outside.nothing(), page.outside.hosts()


@pytest.mark.app_config(**FAKE_VOICE)
def test_the_phone_is_offline_with_a_reason_when_twilio_cannot_be_reached(live_server, open_page):
    """A real token and the real SDK, with the outside world cut off: the SDK tries Twilio's
    signalling (and only Twilio), fails, and the phone says why instead of breaking the desk."""
    from playwright.sync_api import expect

    page = dana_at_her_desk(live_server, open_page)
    expect(phone(page)).to_have_attribute("data-state", "offline", timeout=20_000)
    reason = phone(page).get_attribute("data-reason")
    assert reason in {"unreachable", "blocked"}, reason
    expect(page.locator("#phone-text")).to_have_text(re.compile(r"^Phone offline: .*Twilio"))
    assert page.evaluate("window.__microphoneAsked") == 1
    assert page.outside.hosts() and all(host.endswith("twilio.com") for host in page.outside.hosts()), \
        page.outside.hosts()
    # The SDK's ringtones would come from Twilio's CDN: the desktop gives it its own (silent) ones.
    assert not any("sdk.twilio.com" in url for url in page.outside.aborted + page.outside.blocked)
    # The rest of the desk goes on.
    call_sid, _ = live_server.provider.call(from_="+14155550100")
    expect(page.locator(f'[data-call-sid="{call_sid}"]')).to_be_visible()
    assert page.errors == []


@pytest.mark.app_config(**FAKE_VOICE)
def test_a_call_ringing_in_the_browser_is_answered_held_muted_and_hung_up_from_its_card(live_server, open_page):
    from playwright.sync_api import expect

    page = dana_at_her_desk(live_server, open_page, FAKE_DEVICE, registered=True)
    expect(page.locator("#phone-text")).to_have_text("Phone registered")
    assert page.evaluate("window.__fakePhone.devices[0].token.split('.').length") == 3  # the server's JWT
    assert page.evaluate("window.__microphoneAsked") == 1

    live_server.provider.call(from_="+14155550100", call_sid=PARENT_SID)
    card = page.locator(f'[data-call-sid="{PARENT_SID}"]')
    expect(card).to_be_visible()
    page.evaluate("window.__fakePhone.ring('CA' + 'c'.repeat(32), {call_sid: '%s'})" % PARENT_SID)
    bar = card.locator("[data-role=phone]")
    expect(bar).to_contain_text("Ringing in your browser")
    expect(bar.get_by_role("button", name="Answer")).to_have_attribute("aria-keyshortcuts", "a")
    expect(bar.get_by_role("button", name="Decline")).to_be_visible()

    page.locator("body").press("a")
    expect(bar).to_contain_text("On the line in your browser")
    assert page.evaluate("window.__fakePhone.calls[0].done") == ["accept"]
    # Answering holds the call as "I'm taking this" does.
    expect(card.locator("[data-role=claimed-by]")).to_have_text("You took this")

    # The token is renewed on the Device when the SDK says it will expire.
    page.evaluate("window.__fakePhone.devices[0].emit('tokenWillExpire')")
    # A function, not an expression: Playwright polls an expression with eval, which the CSP forbids.
    page.wait_for_function("() => window.__fakePhone.devices[0].done.includes('updateToken')")

    mute = bar.get_by_role("button", name="Mute")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "false")
    bar.get_by_role("button", name="Hang up").click()
    expect(card.locator("[data-role=phone]")).to_have_count(0)
    assert page.evaluate("window.__fakePhone.calls[0].done") == ["accept", "mute:true", "mute:false", "disconnect"]
    assert page.errors == []
    assert page.outside.nothing(), page.outside.hosts()


@pytest.mark.app_config(**FAKE_VOICE)
def test_a_browser_call_naming_no_parent_rings_on_the_newest_card_and_is_declined(live_server, open_page):
    from playwright.sync_api import expect

    page = dana_at_her_desk(live_server, open_page, FAKE_DEVICE, registered=True)
    older, _ = live_server.provider.call(from_="+14155550100")
    expect(page.locator(f'[data-call-sid="{older}"]')).to_be_visible()
    newer, _ = live_server.provider.call(from_="+14155550101")
    expect(page.locator(f'[data-call-sid="{newer}"]')).to_be_visible()
    page.evaluate("window.__fakePhone.ring('CA' + 'd'.repeat(32), {})")
    card = page.locator(f'[data-call-sid="{newer}"]')
    expect(card.locator("[data-role=phone]")).to_contain_text("Ringing in your browser")
    expect(page.locator(f'[data-call-sid="{older}"] [data-role=phone]')).to_have_count(0)
    card.get_by_role("button", name="Decline").click()
    expect(card.locator("[data-role=phone]")).to_have_count(0)
    assert page.evaluate("window.__fakePhone.calls[0].done") == ["reject"]
    # Going away unregisters: Twilio stops ringing this browser.
    page.locator("#my-status-select").select_option("away")
    expect(phone(page)).to_have_attribute("data-reason", "away")
    expect(page.locator("#phone-text")).to_have_text(re.compile(r"^Phone offline: you are away"))
    assert page.evaluate("window.__fakePhone.devices[0].done") == ["register", "unregister"]
    page.locator("#my-status-select").select_option("available")
    expect(phone(page)).to_have_attribute("data-state", "registered")
    assert page.evaluate("window.__fakePhone.devices.length") == 1
    assert page.evaluate("window.__microphoneAsked") == 1
    assert page.errors == []
    assert page.outside.nothing(), page.outside.hosts()


@pytest.mark.app_config(**FAKE_VOICE)
def test_a_refused_microphone_says_to_allow_it_in_the_site_settings(live_server, open_page):
    from playwright.sync_api import expect

    page = dana_at_her_desk(live_server, open_page, FAKE_DEVICE, REFUSE_MICROPHONE)
    expect(phone(page)).to_have_attribute("data-reason", "microphone")
    expect(page.locator("#phone-text")).to_have_text(
        re.compile(r"^Phone offline: the microphone is blocked\. Allow the microphone for this site in the browser's site settings"))
    assert page.evaluate("window.__fakePhone.devices.length") == 0  # no Device without a microphone
    assert page.outside.nothing(), page.outside.hosts()


@pytest.mark.app_config(**FAKE_VOICE)
def test_a_browser_call_before_its_pop_waits_in_the_phone_panel_then_moves_onto_its_card(live_server, open_page):
    from playwright.sync_api import expect

    page = dana_at_her_desk(live_server, open_page, FAKE_DEVICE, registered=True)
    page.evaluate("window.__fakePhone.ring('CA' + 'e'.repeat(32), {call_sid: '%s'})" % PARENT_SID)
    panel = page.locator("#phone-detail")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("button", name="Answer")).to_be_visible()
    live_server.provider.call(from_="+14155550100", call_sid=PARENT_SID)
    card = page.locator(f'[data-call-sid="{PARENT_SID}"]')
    expect(card.locator("[data-role=phone]")).to_contain_text("Ringing in your browser")
    expect(panel).to_be_hidden()
    assert page.errors == []


@pytest.mark.app_config(**FAKE_VOICE)
def test_logging_out_lets_go_of_the_device(live_server, open_page):
    from playwright.sync_api import expect

    page = dana_at_her_desk(live_server, open_page, FAKE_DEVICE, registered=True)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert page.evaluate("sessionStorage.getItem('fakePhoneDestroyed')") == "yes"


@pytest.mark.app_config(**FAKE_VOICE)
def test_a_deactivated_agents_phone_lets_go_when_the_server_cuts_their_desk_off(live_server, open_page, api_as):
    """Their token would stop at the next renewal anyway; the device goes at once, with the desk."""
    from playwright.sync_api import expect

    with live_server.app.app_context():
        dana_id = make_user("dana", display_name="Dana Scully").id
    admin = api_as("admin", base_url=live_server.base_url)
    page = open_page(FAKE_DEVICE)
    open_desktop(live_server, page, "dana")
    expect(phone(page)).to_have_attribute("data-state", "registered")
    assert admin.patch(f"/api/v1/users/{dana_id}", json={"active": False}).status_code == 200
    expect(page.get_by_role("alert").filter(has_text="Your login has ended")).to_be_visible()
    expect(phone(page)).to_have_attribute("data-state", "offline")
    assert page.evaluate("window.__fakePhone.devices[0].done").count("destroy") == 1
    token = page.evaluate("() => fetch('/api/v1/voice/token').then((r) => r.status)")
    assert token == 401  # and no new token for the browser either
