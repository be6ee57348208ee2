"""Debian's Chromium under Playwright, for the browser tests (never a downloaded browser)."""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.support import services

ROOT = Path(__file__).resolve().parents[2]
SOCKET_IO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
# Without the background-networking flags Chromium keeps dialling out of this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module; each test opens its own context (cookies) on it."""
    services.require(services.chromium_available(), f"Chromium is not installed at {services.CHROMIUM}")
    if not SOCKET_IO_CLIENT.is_file():
        pytest.fail(f"{SOCKET_IO_CLIENT.relative_to(ROOT)} is missing: run `npm ci` in {ROOT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=services.CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()



@contextmanager
def pages(browser, *, record: str = "message", accept: tuple[str, ...] = (), **defaults) -> Iterator:
    """A factory of pages, each in a fresh context (one per person: its own cookies), all closed
    when the block ends. `factory(**options)` takes `new_context` options over `defaults` (the
    viewport is 1280x900 unless said).

    Each page records its script errors (`page.errors`) and its dialogs (`page.dialogs`: each
    one's `record` attribute, its message or its type) and dismisses them, except those whose
    type is in `accept` (e.g. "beforeunload", to leave a page that asks first).
    """
    contexts = []

    def factory(**options):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **defaults, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.dialogs, page.errors = [], []

        def on_dialog(dialog):
            page.dialogs.append(getattr(dialog, record))
            dialog.accept() if dialog.type in accept else dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    try:
        yield factory
    finally:
        for context in contexts:
            context.close()


def open_desktop(live_server, page, username: str, *, lands_on: str = "/$"):
    """Log `username` in on `page` through the form, check where they landed (`lands_on`, a
    pattern after the base URL: supervisors and admins land on the dashboard), then open the
    desktop and wait for its socket."""
    from playwright.sync_api import expect

    from tests.support.login import login

    login(page, username, base_url=live_server.base_url)
    expect(page).to_have_url(re.compile(re.escape(live_server.base_url) + lands_on))
    if page.url != f"{live_server.base_url}/":
        page.goto(f"{live_server.base_url}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    return page
