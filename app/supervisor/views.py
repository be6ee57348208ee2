"""The supervisors' pages: live headline numbers, and who saw which customer."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, render_template, request

from app.models import isoformat, utcnow
from app.services.insight import dashboard as figures
from app.services.people import audit
from app.supervisor import bp


@bp.get("/dashboard")
def dashboard():
    now = utcnow()
    return render_template("supervisor/dashboard.html", counts=figures.complaint_counts(now),
                           owed=figures.overdue_owed(now))


@bp.get("/dashboard/counts")
def dashboard_counts():
    """The dashboard refreshes its complaint numbers, and what we owe customers and is late, from here."""
    now = utcnow()
    return {**figures.complaint_counts(now), **figures.overdue_owed(now)}


ACTION_LABELS = {
    "pop_delivered": "pop delivered", "customer_viewed": "customer page opened", "customer_read": "customer shown",
    "customer_changed": "customer changed", "customer_deleted": "customer deleted",
    "customers_exported": "customers exported", "customers_imported": "customers imported",
    "user_changed": "user changed", "call_changed": "call changed",
}


def _readable(at: datetime) -> str:
    return at.strftime("%a %d %b %Y, %H:%M:%S UTC")


@bp.get("/audit")
def audit_trail():
    """Who saw which customer, and when: the newest first, filtered by who, whom, what or day.
    "Who" and "customer" take what a supervisor knows: part of a name, or an id."""
    args = request.args
    action = args.get("action") or None
    if action is not None and action not in ACTION_LABELS:
        abort(400, description=f"action must be one of: {', '.join(ACTION_LABELS)}; got {action!r}")
    day = args.get("day", "")
    try:
        since = datetime.strptime(day, "%Y-%m-%d") if day else None
    except ValueError:
        abort(400, description=f"day must be written YYYY-MM-DD, got {day!r}")
    form = {"user": args.get("user", "").strip(), "customer": args.get("customer", "").strip(), "action": action or "",
            "day": day, "replays": args.get("replays", "0") == "1"}
    filters = audit.Filters(
        customer_id=args.get("customer_id", type=int), user_id=args.get("user_id", type=int), action=action,
        user=form["user"] or None, customer=form["customer"] or None, replays=form["replays"],
        since=since, until=since + timedelta(days=1) if since else None)
    page = max(args.get("page", 1, type=int), 1)
    per_page = 100
    entries = audit.events(filters, limit=per_page + 1, offset=(page - 1) * per_page)
    rows = [{"at": isoformat(e.at), "at_text": _readable(e.at), "user": e.user, "action": ACTION_LABELS.get(e.action, e.action),
             "customer_id": e.customer_id, "customer_name": e.customer_name, "call_sid": e.call_sid, "detail": e.detail}
            for e in entries[:per_page]]
    query = {k: v for k, v in {"user": form["user"], "customer": form["customer"], "action": action, "day": day,
                               "replays": "1" if form["replays"] else None,
                               "customer_id": filters.customer_id, "user_id": filters.user_id}.items() if v}
    return render_template("supervisor/audit.html", events=rows, form=form, actions=ACTION_LABELS, query=query,
                           filtered=bool(set(query) - {"replays"}), page=page, has_more=len(entries) > per_page)
