#!/usr/bin/env python
"""Screenshot of the supervisor's dashboard for the README (docs/dashboard.png).

Serves the app in-process on a throwaway SQLite database migrated with `flask db upgrade` and
seeded with `flask seed-demo` (the README's demo data, today's calls included), creates a
supervisor with `flask users create`, plays the provider for two calls going on now (one ringing,
one waiting to be taken), logs the supervisor in and photographs /dashboard once its figures and
charts are drawn, in Debian's Chromium.

    .venv/bin/python scripts/screenshot_dashboard.py [--out docs/dashboard.png] [--width 1440 --height 1800]

Needs `npm ci` (the page loads socket.io-client and Chart.js from node_modules) and /usr/bin/chromium.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.devtools import demo_data  # noqa: E402
from app.devtools.simulator import ACCOUNT_SID, DEFAULT_TO, sign, voice_params  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import User  # noqa: E402

AUTH_TOKEN = "screenshot-token"
USERNAME = "sam"
PASSWORD = "screenshot-password"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_BYTES = 300_000


def flask(app, *args: str) -> str:
    """Run a `flask …` command against `app`, as the Makefile does; its output, or exit on failure."""
    result = app.test_cli_runner().invoke(args=list(args))
    if result.exit_code != 0:
        sys.exit(f"flask {' '.join(args)} failed ({result.exit_code}):\n{result.output}{result.exception or ''}")
    return result.output


def call(base_url: str, from_: str) -> str:
    """The provider's signed webhook for an inbound call from `from_`; its CallSid."""
    params = voice_params(from_=from_)
    url = base_url + "/twilio/voice"
    response = requests.post(url, data=params, headers={"X-Twilio-Signature": sign(AUTH_TOKEN, url, params)},
                             timeout=10)
    response.raise_for_status()
    return params["CallSid"]


def save_small(png: bytes, out: Path) -> int:
    """Write the screenshot, quantised to a palette if it is over MAX_BYTES (a UI has few colours)."""
    if len(png) > MAX_BYTES:
        from PIL import Image

        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=192, method=Image.Quantize.MEDIANCUT)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        png = buffer.getvalue()
    out.write_bytes(png)
    return len(png)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "dashboard.png"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1800)
    parser.add_argument("--full-page", action="store_true", help="The whole page, not only the first screen.")
    args = parser.parse_args()
    for package in ("socket.io-client", "chart.js"):
        if not (ROOT / "node_modules" / package).is_dir():
            parser.error(f"node_modules/{package} is missing: run `npm ci` first")

    from playwright.sync_api import expect, sync_playwright
    from werkzeug.serving import make_server

    workdir = tempfile.TemporaryDirectory()
    # Calling back set up (so the care list reads as it does in production), pointed at nowhere:
    # nothing is clicked, and nothing may leave this machine.
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir.name}/dashboard.db",
                     TWILIO_AUTH_TOKEN=AUTH_TOKEN, SPOOL_DIR=f"{workdir.name}/spool", TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                     TWILIO_CALLER_ID=DEFAULT_TO, TWILIO_API_BASE_URL="http://127.0.0.1:9")
    flask(app, "db", "upgrade", "--directory", str(ROOT / "migrations"))
    print(flask(app, "seed-demo").strip().splitlines()[0])
    flask(app, "users", "create", USERNAME, "--password", PASSWORD, "--role", "supervisor", "--name", "Sam Boss")
    # The demo agent, as `flask ensure-demo-agent` makes them: the demo's past calls become theirs.
    flask(app, "users", "create", "dana", "--password", PASSWORD, "--role", "agent", "--name", "Dana Scully")
    with app.app_context():
        demo_data.adopt_history(db.session.scalar(select(User.id).where(User.username == "dana")))

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Going on now: Alice Wong (a VIP with an overdue complaint) and an unknown number, ringing.
    call(base_url, "+14155550100")
    call(base_url, "+13125550148")

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base_url}/login")
            page.get_by_label("Username").fill(USERNAME)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base_url}/dashboard")
            expect(page.locator("#dashboard-connection")).to_have_attribute("data-state", "connected")
            expect(page.locator("#live-table tbody tr")).to_have_count(2)
            expect(page.locator("#figures")).to_have_attribute("aria-busy", "false")
            expect(page.locator('[data-figure="service_level"] [data-role=value]')).not_to_have_text("…")
            expect(page.locator("#scorecards-panel")).to_have_attribute("aria-busy", "false")
            expect(page.locator("#care-list-panel, #care-panel [data-role=care-list] li").first).to_be_visible()
            page.wait_for_function("""() => ['chart-calls', 'chart-service-level', 'chart-nps'].every((id) => {
                const chart = window.Chart && window.Chart.getChart(id); return chart && chart.data.labels.length > 0; })""")
            page.evaluate("window.scrollTo(0, 0)")
            if errors:
                sys.exit("the dashboard's scripts failed: " + "; ".join(errors))
            size = save_small(page.screenshot(full_page=args.full_page), Path(args.out))
            browser.close()
    finally:
        server.shutdown()
    print(f"Saved {args.out} ({size // 1000} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
