from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.models import LoginSession, utcnow
from app.realtime import push
from app.security_headers import security_headers
from app.services.people import accounts, presence, roles, sessions
from app.settings import settings

bp.after_request(security_headers)


def home_for(user) -> str:
    """Where a login lands: agents on their desktop; supervisors and admins, who are not on the
    phones, on the dashboard (the desktop is a link away)."""
    if roles.has_role(user, "supervisor"):
        return url_for("supervisor.dashboard")
    return url_for("agent.desktop")


def _safe_next(target: str | None, user) -> str:
    """Only redirect within this site after login (no open redirect)."""
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return home_for(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    if request.method == "POST":
        username = request.form.get("username", "")
        wait = sessions.retry_after(username, request.remote_addr, settings().people.login_throttle,
                                     now=utcnow())
        if wait is not None:
            flash(f"Too many failed logins. Try again in {max(1, round(wait / 60))} minute(s).", "error")
            return render_template("auth/login.html", username=username), 429, {"Retry-After": str(wait)}
        user = accounts.authenticate(username, request.form.get("password", ""))
        if user is None:
            sessions.record_failure(username, request.remote_addr, now=utcnow())
            flash("Wrong username or password.", "error")
            return render_template("auth/login.html", username=username), 401
        sessions.clear_failures(username, request.remote_addr)
        session.clear()
        session.permanent = True
        session["login_secret"] = sessions.start(user, request.remote_addr, request.user_agent.string)
        login_user(user)
        return redirect(_safe_next(request.args.get("next"), user))
    return render_template("auth/login.html", username="")


@bp.post("/logout")
@login_required
def logout():
    """End this login: its server-side session and the sockets it opened. The user's other logins
    (another desktop, an API client) stay connected."""
    secret = session.get("login_secret")
    sockets = presence.sockets_of_login(LoginSession.hash(secret)) if secret else []
    sessions.end(secret)
    logout_user()
    session.clear()
    push.disconnect_sockets(sockets)
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
