"""`/api/v1/audit`: who saw which customer's details, and when (supervisors and admins)."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api import guard
from app.schemas.people import AuditPageSchema, AuditQuerySchema
from app.services.people import audit

bp = Blueprint("api_audit", __name__, url_prefix="/api/v1", description="The audit trail.")
guard.protect(bp)


@bp.get("/audit")
@guard.require_role("supervisor")
@bp.arguments(AuditQuerySchema, location="query")
@bp.response(200, AuditPageSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def audit_trail(args: dict):
    """The newest first; filter by customer, user (ids, or part of a name), action or time."""
    page, per_page = args.pop("page"), args.pop("per_page")
    events = audit.events(audit.Filters(**args), limit=per_page, offset=(page - 1) * per_page)
    return {"items": events, "page": page, "per_page": per_page}
