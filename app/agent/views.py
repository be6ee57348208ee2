"""The pages people work in: the agent desktop, customers, the supervisors' dashboard, admin pages.

Each page is a template plus a script under app/static that reads and writes through `/api/v1`
with the session cookie; the view only decides who may open it. Also serves the browser packages
the pages need from `node_modules` (no CDN).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from functools import wraps

from flask import abort, current_app, render_template, request, send_file
from flask_login import current_user
from app.services.people import audit
from app.services.customers import complaints

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


# Who may open a page beyond the desktop and customers: a role and every role above it.
ROLES_AT_LEAST = {"supervisor": ("supervisor", "admin"), "admin": ("admin",)}


def role_required(role: str):
    """The page is for `role` and above; anyone else gets the 403 page."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if current_user.role not in ROLES_AT_LEAST[role]:
                abort(403, description=f"This page is for {role}s" + (" and admins." if role == "supervisor" else "."))
            return view(*args, **kwargs)
        return guarded
    return decorate


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


@bp.get("/customers/<int(max=2147483647):customer_id>")
def customer(customer_id: int):
    may_delete = current_user.role in ROLES_AT_LEAST["supervisor"]
    return render_template("agent/customer.html", customer_id=customer_id, may_delete=may_delete)


@bp.get("/dashboard")
@role_required("supervisor")
def dashboard():
    return render_template("agent/dashboard.html", counts=complaints.complaint_counts())


@bp.get("/dashboard/counts")
@role_required("supervisor")
def dashboard_counts():
    """The dashboard refreshes its complaint numbers from here while it stays open."""
    return complaints.complaint_counts()


@bp.get("/audit")
@role_required("supervisor")
def audit_trail():
    """Who saw which customer, and when: the newest first, filtered by customer, user or day."""
    filters = {
        "customer_id": request.args.get("customer_id", type=int),
        "user_id": request.args.get("user_id", type=int),
    }
    day = request.args.get("day", "")
    try:
        since = datetime.strptime(day, "%Y-%m-%d") if day else None
    except ValueError:
        abort(400, description=f"day must be written YYYY-MM-DD, got {day!r}")
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = 100
    events = audit.events(**filters, since=since, until=since + timedelta(days=1) if since else None,
                          limit=per_page + 1, offset=(page - 1) * per_page)
    return render_template("agent/audit.html", events=[audit.to_dict(e) for e in events[:per_page]],
                           filters=filters, day=day, page=page, has_more=len(events) > per_page)


@bp.get("/admin/users")
@role_required("admin")
def admin_users():
    return render_template("admin/users.html")


@bp.get("/admin/import")
@role_required("admin")
def admin_import():
    return render_template("admin/import.html")


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
NAV_PAGES = (
    ("Desktop", "/", None), ("Customers", "/customers", None), ("Dashboard", "/dashboard", "supervisor"),
    ("Audit", "/audit", "supervisor"),
    ("Users", "/admin/users", "admin"), ("Import", "/admin/import", "admin"),
)


@bp.app_context_processor
def navigation() -> dict:
    """The top-bar links this user can follow on this installation."""
    if not current_user.is_authenticated:
        return {"nav_links": []}
    routes = {rule.rule for rule in current_app.url_map.iter_rules()}
    links = [
        (label, path)
        for label, path, role in NAV_PAGES
        if path in routes and (role is None or current_user.role in ROLES_AT_LEAST[role])
    ]
    return {"nav_links": links}
