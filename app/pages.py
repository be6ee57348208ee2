"""What every page blueprint shares (agent, supervisor, admin): a login, a role where the page
needs one, the security headers, and the top bar's links.

Each audience's pages are a blueprint of their own; `page_blueprint` gives it these guards, so
they sit on the blueprint and not in each view.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app
from flask_login import current_user, login_required

from app.security_headers import security_headers
from app.services.people import roles

# The top bar, in order: a label, a path, and the role it needs (None: everyone logged in). A page
# is linked once its route exists on this installation.
NAV_PAGES = (
    ("Desktop", "/", None), ("Customers", "/customers", None), ("Dashboard", "/dashboard", "supervisor"),
    ("Audit", "/audit", "supervisor"),
    ("Users", "/admin/users", "admin"), ("Import", "/admin/import", "admin"),
)


def _forbidden_message(role: str) -> str:
    return f"This page is for {role}s" + (" and admins." if role == "supervisor" else ".")


def page_blueprint(name: str, import_name: str, *, role: str | None = None, **kwargs) -> Blueprint:
    """A blueprint of pages for logged-in users, at `role` or above when one is given."""
    bp = Blueprint(name, import_name, **kwargs)
    if role is not None:
        roles.check_role_name(role)

    @bp.before_request
    @login_required
    def require_login():
        if role is not None and not roles.has_role(current_user, role):
            abort(403, description=_forbidden_message(role))
        return None

    bp.after_request(security_headers)
    return bp


def navigation() -> dict:
    """The top-bar links this user can follow on this installation (a context processor)."""
    if not current_user.is_authenticated:
        return {"nav_links": []}
    routes = {rule.rule for rule in current_app.url_map.iter_rules()}
    links = [
        (label, path)
        for label, path, role in NAV_PAGES
        if path in routes and (role is None or roles.has_role(current_user, role))
    ]
    return {"nav_links": links}
