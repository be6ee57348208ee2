"""The agent's pages: the desktop, customers, and the browser packages they need from
`node_modules` (no CDN).

Each page is a template plus a script under app/static that reads and writes through `/api/v1`
with the session cookie; the view only decides who may open it.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import abort, current_app, render_template, request, send_file
from flask_login import current_user

from app.agent import bp
from app.services.people import roles

log = logging.getLogger(__name__)

# The files the pages may load from node_modules, by public name. Nothing else there is served.
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "socket.io.min.js.map": "socket.io-client/dist/socket.io.min.js.map",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "chart.umd.min.js.map": "chart.js/dist/chart.umd.min.js.map",
    # The browser phone (SPEC §13): the SDK's UMD build, which defines window.Twilio.Device.
    "twilio.min.js": "@twilio/voice-sdk/dist/twilio.min.js",
}


def node_modules() -> Path:
    return Path(current_app.root_path).parent / "node_modules"


@bp.get("/")
def desktop():
    return render_template("agent/desktop.html", user=current_user)


@bp.get("/customers")
def customers():
    return render_template("agent/customers.html", q=request.args.get("q", ""))


@bp.get("/customers/new")
def new_customer():
    return render_template(
        "agent/customer_new.html", phone=request.args.get("phone", ""), call_sid=request.args.get("call_sid", "")
    )


@bp.get("/customers/<id:customer_id>")
def customer(customer_id: int):
    may_delete = roles.has_role(current_user, "supervisor")
    return render_template("agent/customer.html", customer_id=customer_id, may_delete=may_delete)


@bp.get("/vendor/<path:name>")
def vendor(name: str):
    """Front-end packages installed by `npm ci`; a missing install says so instead of a bare 404."""
    relative = VENDOR_FILES.get(name)
    if relative is None:
        abort(404)
    path = node_modules() / relative
    if not path.is_file():
        log.error("front-end package missing: %s (run npm ci)", relative)
        return (
            f"{relative} is not installed: run `npm ci` in {node_modules().parent}\n",
            503,
            {"Content-Type": "text/plain; charset=utf-8"},
        )
    return send_file(path, max_age=3600)
