"""The agent desktop, and the browser packages it needs served from `node_modules` (no CDN)."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import abort, current_app, render_template, send_file
from flask_login import current_user

from app.agent import bp
from app.agent.headers import security_headers

log = logging.getLogger(__name__)

# The files the pages may load from node_modules, by public name. Nothing else there is served.
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "socket.io.min.js.map": "socket.io-client/dist/socket.io.min.js.map",
}

bp.after_request(security_headers)


def node_modules() -> Path:
    return Path(current_app.root_path).parent / "node_modules"


@bp.get("/")
def desktop():
    return render_template("agent/desktop.html", user=current_user)


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


# Pages other audiences build; the top bar links to each one once its route exists.
NAV_PAGES = (("Desktop", "/", None), ("Customers", "/customers", None), ("Dashboard", "/dashboard", "supervisor"))


@bp.app_context_processor
def navigation() -> dict:
    """The top-bar links this user can follow on this installation."""
    if not current_user.is_authenticated:
        return {"nav_links": []}
    routes = {rule.rule for rule in current_app.url_map.iter_rules()}
    allowed = {"supervisor": ("supervisor", "admin")}
    links = [
        (label, path)
        for label, path, role in NAV_PAGES
        if path in routes and (role is None or current_user.role in allowed[role])
    ]
    return {"nav_links": links}
