"""The supervisors' pages: live headline numbers, and who saw which customer."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, render_template, request

from app.models import utcnow
from app.schemas.people import AuditEventSchema
from app.services.insight import dashboard as figures
from app.services.people import audit
from app.supervisor import bp

_EVENTS = AuditEventSchema(many=True)


@bp.get("/dashboard")
def dashboard():
    return render_template("supervisor/dashboard.html", counts=figures.complaint_counts(utcnow()))


@bp.get("/dashboard/counts")
def dashboard_counts():
    """The dashboard refreshes its complaint numbers from here while it stays open."""
    return figures.complaint_counts(utcnow())


@bp.get("/audit")
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
    return render_template("supervisor/audit.html", events=_EVENTS.dump(events[:per_page]),
                           filters=filters, day=day, page=page, has_more=len(events) > per_page)
