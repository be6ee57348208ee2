"""`/api/v1/audit`: who saw which customer's details, and when (supervisors and admins)."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api import guard
from app.services.people import audit

bp = Blueprint("api_audit", __name__, url_prefix="/api/v1", description="The audit trail.")
guard.protect(bp)


class AuditQuerySchema(Schema):
    customer_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    user_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    since = fields.NaiveDateTime(metadata={"description": "UTC, ISO 8601"})
    until = fields.NaiveDateTime(metadata={"description": "UTC, ISO 8601"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AuditUserSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.String(metadata={"format": "date-time"})
    action = fields.String()
    user = fields.Nested(AuditUserSchema, allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    call_sid = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    page = fields.Integer()
    per_page = fields.Integer()


@bp.get("/audit")
@guard.require_role("supervisor")
@bp.arguments(AuditQuerySchema, location="query")
@bp.response(200, AuditPageSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def audit_trail(args: dict):
    """The newest first; filter by customer, user or time."""
    page, per_page = args.pop("page"), args.pop("per_page")
    events = audit.events(limit=per_page, offset=(page - 1) * per_page, **args)
    return {"items": [audit.to_dict(e) for e in events], "page": page, "per_page": per_page}
