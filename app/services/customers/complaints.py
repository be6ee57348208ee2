"""Complaints: opened with a due date from the service level, worked, reassigned, resolved."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from app.extensions import db
from app.models import COMPLAINT_STATUSES, SEVERITIES, Complaint, User, utcnow
from app.services import validation
from app.services.calls.named import call_named
from app.services.care import follow_ups
from app.services.customers.records import get_customer
from app.services.errors import Forbidden, NotFound
from app.services.people import roles, users
from app.services.validation import FieldErrors

COMPLAINT_FIELDS = frozenset(
    {"status", "resolution", "subject", "description", "severity", "due_at", "assigned_to_id"}
)


def _sla_due_at(opened_at: datetime, severity: str, sla_hours: Mapping[str, int] | None) -> datetime | None:
    hours = (sla_hours or {}).get(severity)
    return opened_at + timedelta(hours=hours) if hours else None


def _check_may_assign(acting_user: User | None, assignee_id: int | None, current_id: int | None) -> None:
    if acting_user is not None and not roles.may_assign(acting_user, assignee_id, current_id):
        raise Forbidden("only a supervisor can assign a complaint to someone else")


def open_complaint(
    customer_id: int,
    subject: str,
    *,
    description: str | None = None,
    severity: str | None = None,
    due_at: datetime | None = None,
    opened_by_id: int | None = None,
    call_sid: str | None = None,
    assigned_to_id: int | None = None,
    sla_hours: Mapping[str, int] | None = None,
    acting_user: User | None = None,
    now: datetime,
) -> Complaint:
    """Open a complaint, raised on `call_sid` when given; without `due_at` it is due after the
    severity's service level (`sla_hours`, e.g. the COMPLAINT_SLA_HOURS setting) from `now`,
    when it is opened.

    `acting_user`, when given, is held to the assignment rule: an agent assigns only themselves.
    """
    customer = get_customer(customer_id)
    errors = FieldErrors()
    subject = validation.text(errors, "subject", subject, required=True)
    description = validation.text(errors, "description", description, required=False)
    severity = validation.choice(errors, "severity", severity, SEVERITIES) if severity is not None else "medium"
    due_at = validation.naive_utc(errors, "due_at", due_at)
    assignee = users.active_user(errors, "assigned_to_id", assigned_to_id)
    call = call_named(errors, call_sid)
    errors.raise_if_any()
    _check_may_assign(acting_user, assignee.id if assignee else None, None)
    opened_at = now
    complaint = Complaint(
        customer=customer, subject=subject, description=description, severity=severity,
        due_at=due_at if due_at is not None else _sla_due_at(opened_at, severity, sla_hours),
        status="open", opened_at=opened_at, opened_by_id=opened_by_id,
        assigned_to_id=assignee.id if assignee else None, call_id=call.id if call else None,
    )
    db.session.add(complaint)
    db.session.commit()
    return complaint


def get_complaint(complaint_id: int) -> Complaint:
    complaint = None
    if validation.is_id(complaint_id):
        complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} does not exist")
    return complaint


def update_complaint(complaint_id: int, changes: Mapping[str, Any], acting_user: User | None = None, *,
                     follow_up_hours: int = 24) -> Complaint:
    """Move a complaint along (open → in-progress → resolved, or back) and edit it.

    Resolving stamps resolved_at, reopening clears it and opens a follow-up (SPEC §10: what we
    said was fixed is not), owned by the complaint's assignee, else whoever reopened it, due
    `follow_up_hours` later. `acting_user`, when given, is held to the
    assignment rule: only a supervisor or an admin assigns a complaint to someone else.
    """
    validation.refuse_unknown(changes, COMPLAINT_FIELDS)
    complaint = get_complaint(complaint_id)
    errors = FieldErrors()
    status = validation.choice(errors, "status", changes["status"], COMPLAINT_STATUSES) if "status" in changes else None
    severity = validation.choice(errors, "severity", changes["severity"], SEVERITIES) if "severity" in changes else None
    subject = validation.text(errors, "subject", changes["subject"], required=True) if "subject" in changes else None
    description = validation.text(errors, "description", changes.get("description"), required=False)
    resolution = validation.text(errors, "resolution", changes.get("resolution"), required=False)
    due_at = validation.naive_utc(errors, "due_at", changes.get("due_at"))
    assignee = users.active_user(errors, "assigned_to_id", changes.get("assigned_to_id"))
    errors.raise_if_any()
    if "assigned_to_id" in changes:
        _check_may_assign(acting_user, assignee.id if assignee else None, complaint.assigned_to_id)

    if status is not None and status != complaint.status:
        reopened = complaint.status == "resolved"
        complaint.status = status
        complaint.resolved_at = utcnow() if status == "resolved" else None
        if reopened:
            owner_id = complaint.assigned_to_id or (acting_user.id if acting_user is not None else None)
            if "assigned_to_id" in changes:
                owner_id = (assignee.id if assignee else None) or owner_id
            follow_ups.open_for_reopened_complaint(complaint, owner_id=owner_id, hours=follow_up_hours, now=utcnow())
    if severity is not None:
        complaint.severity = severity
    if subject is not None:
        complaint.subject = subject
    if "description" in changes:
        complaint.description = description
    if "resolution" in changes:
        complaint.resolution = resolution
    if "due_at" in changes:
        complaint.due_at = due_at
    if "assigned_to_id" in changes:
        complaint.assigned_to_id = assignee.id if assignee else None
    db.session.commit()
    return complaint
