#!/usr/bin/env python
"""Screenshot of the agent desktop with realistic pops, for the README (docs/screenshot.png).

Serves the app in-process on a throwaway SQLite database, plays the provider with signed webhooks
(a VIP with an overdue complaint ringing, an unknown number, a shared number already answered, and
two finished calls), then has Dana wrap up one call and take another, then photographs the desktop in Debian's Chromium
at 1280x900 (or --width/--height: docs/desktop-1024.png and docs/desktop-1920.png show the layout
at both ends).

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png] [--width 1280 --height 900]

Needs `npm ci` (the page loads socket.io-client from node_modules) and /usr/bin/chromium.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.devtools.simulator import new_call_sid, sign, status_params, voice_params  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Call,
    Complaint,
    Customer,
    FollowUp,
    PhoneNumber,
    Preference,
    Promise,
    Survey,
    User,
    utcnow,
)

AUTH_TOKEN = "screenshot-token"
PASSWORD = "screenshot-password"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def seed(app) -> dict[str, int]:
    """Two agents and a handful of customers; returns the agents' ids by username."""
    now = utcnow()
    with app.app_context():
        db.create_all()
        agents = {}
        for username, name in (("dana", "Dana Scully"), ("sam", "Sam Lee")):
            user = User(username=username, display_name=name, role="agent")
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.flush()
            agents[username] = user.id

        def customer(name, phones, tier="standard", preferences=(), complaints=()):
            row = Customer(name=name, tier=tier)
            row.phones = [PhoneNumber(e164=p, label="mobile") for p in phones]
            row.preferences = [Preference(key=k, value=v) for k, v in preferences]
            row.complaints = [
                Complaint(subject=subject, severity=severity, status="open",
                          opened_at=now - timedelta(days=age), due_at=now + timedelta(days=due))
                for subject, severity, age, due in complaints
            ]
            db.session.add(row)

        customer("Alice Wong", ["+14155550100"], tier="vip",
                 preferences=[("language", "Cantonese"), ("contact", "SMS, not email"), ("milk", "high-calcium")],
                 complaints=[("Damaged parcel: order #48213", "high", 6, -2),
                             ("Refund for missing item not received", "medium", 2, 3)])
        customer("Wei Huang", ["+14155550111"], tier="gold")
        customer("Mei Huang", ["+14155550111", "+14155550112"])
        customer("Grace Park", ["+12125550177"], tier="gold", preferences=[("delivery", "after 6 pm")])
        db.session.flush()
        # The service loop (SPEC §10): Alice called yesterday and was promised a refund, now late;
        # Grace scored her last call 5/10, and Dana owes her a call back.
        alice, grace = (db.session.scalar(db.select(Customer).where(Customer.name == n)) for n in ("Alice Wong", "Grace Park"))
        db.session.add(Call(call_sid=new_call_sid(), from_raw="+14155550100", from_e164="+14155550100",
                            match_kind="single", customer_id=alice.id, status="completed", agent_id=agents["sam"],
                            started_at=now - timedelta(hours=20), connected_at=now - timedelta(hours=20),
                            ended_at=now - timedelta(hours=20) + timedelta(minutes=6), news_at=now))
        db.session.add(Promise(customer_id=alice.id, text="Refund the delivery fee", made_by_id=agents["sam"],
                               made_at=now - timedelta(hours=20), due_at=now - timedelta(hours=2), status="open"))
        earlier = Call(call_sid=new_call_sid(), from_raw="+12125550177", from_e164="+12125550177", match_kind="single",
                       customer_id=grace.id, status="completed", agent_id=agents["dana"],
                       started_at=now - timedelta(days=3), connected_at=now - timedelta(days=3),
                       ended_at=now - timedelta(days=3) + timedelta(minutes=4), news_at=now)
        db.session.add(earlier)
        db.session.add(Survey(call=earlier, customer_id=grace.id, agent_id=agents["dana"], channel="sms",
                              to_e164="+12125550177", status="answered", score=5, created_at=earlier.ended_at,
                              sent_at=earlier.ended_at, answered_at=earlier.ended_at + timedelta(minutes=3)))
        db.session.add(FollowUp(customer_id=grace.id, call=earlier, reason="detractor", owner_id=agents["dana"],
                                note="Scored us 5/10: courier came before 6 pm again", status="open",
                                created_at=earlier.ended_at, due_at=now + timedelta(hours=3)))
        db.session.commit()
        return agents


class Provider:
    def __init__(self, base_url: str):
        self.base_url = base_url

    def post(self, path: str, params: dict) -> None:
        url = self.base_url + path
        response = requests.post(url, data=params, headers={"X-Twilio-Signature": sign(AUTH_TOKEN, url, params)},
                                 timeout=10)
        response.raise_for_status()

    def call(self, from_: str) -> str:
        params = voice_params(from_=from_)
        self.post("/twilio/voice", params)
        return params["CallSid"]

    def answer(self, call_sid: str, agent_id: int) -> None:
        self.post(f"/twilio/status?agent={agent_id}",
                  status_params(new_call_sid(), "in-progress", ParentCallSid=call_sid))

    def status(self, call_sid: str, status: str, sequence: int, duration: int | None = None) -> None:
        self.post("/twilio/status", status_params(call_sid, status, sequence, duration))


def backdate(app, call_sid: str, seconds: int) -> None:
    """Make a call look as if it started a while ago, so the timers read like a real shift."""
    with app.app_context():
        call = db.session.scalar(db.select(Call).where(Call.call_sid == call_sid))
        call.started_at = utcnow() - timedelta(seconds=seconds)
        if call.answered_at is not None:
            call.answered_at = call.started_at + timedelta(seconds=9)
        db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    if not (ROOT / "node_modules" / "socket.io-client").is_dir():
        parser.error("node_modules is missing: run `npm ci` first")

    from playwright.sync_api import expect, sync_playwright
    from werkzeug.serving import make_server

    workdir = tempfile.TemporaryDirectory()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir.name}/screenshot.db",
                     TWILIO_AUTH_TOKEN=AUTH_TOKEN)
    agents = seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    provider = Provider(base_url)

    # Calls still going on: replayed to the desktop when it connects.
    shared = provider.call("+14155550111")
    provider.answer(shared, agents["sam"])
    backdate(app, shared, 4 * 60 + 37)
    unknown = provider.call("+442079460000")
    backdate(app, unknown, 41)
    vip = provider.call("+14155550100")
    backdate(app, vip, 6)

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(f"{base_url}/login")
            page.get_by_label("Username").fill("dana")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
            expect(page.locator("#live-calls .card")).to_have_count(3)

            # Earlier in the shift: one call Dana took, one nobody could.
            grace = provider.call("+12125550177")
            provider.answer(grace, agents["dana"])
            provider.status(grace, "completed", sequence=3, duration=3 * 60 + 12)
            missed = provider.call("+13125550148")
            provider.status(missed, "no-answer", sequence=2)
            # Dana's own call waits on the desktop for its wrap-up, then joins Recent with it.
            done = page.locator(f'[data-call-sid="{grace}"]')
            done.get_by_role("button", name="Notes & wrap-up").click()
            done.get_by_label("Notes", exact=True).fill("Moved deliveries to after 6 pm")
            done.get_by_label("Disposition").select_option("resolved")
            done.get_by_role("button", name="Save wrap-up").click()
            expect(page.locator("#recent-calls .card")).to_have_count(2)

            # The VIP call: Dana takes it and is about to remember what Alice just said.
            ringing = page.locator(f'[data-call-sid="{vip}"]')
            ringing.get_by_role("button", name="I'm taking this").click()
            expect(ringing.locator("[data-role=claimed-by]")).to_have_text("You took this")
            page.keyboard.press("r")
            ringing.get_by_label("What").fill("callbacks")
            ringing.get_by_label("Preference").fill("evenings after 6")
            page.evaluate("window.scrollTo(0, 0)")

            page.wait_for_timeout(1200)  # let the timers tick and the arrival animation finish
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=args.out)
            browser.close()
    finally:
        server.shutdown()
        workdir.cleanup()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
