"""All tables, importable from one place (Alembic's autogenerate sees them through here)."""
from app.models.audit import AUDIT_ACTIONS, AuditEvent, LoginAttempt, LoginSession
from app.models.base import isoformat, utcnow
from app.models.call import (
    DIRECTIONS,
    LIVE_STATUSES,
    MATCH_KINDS,
    QUEUE_STATES,
    STATUS_RANK,
    TERMINAL_STATUSES,
    Call,
    OrphanEvent,
)
from app.models.care import (
    DETRACTOR_SCORES,
    FOLLOW_UP_REASONS,
    FOLLOW_UP_STATUSES,
    PROMISE_STATUSES,
    PROMOTER_SCORES,
    SURVEY_CHANNELS,
    SURVEY_STATUSES,
    FollowUp,
    Promise,
    Survey,
    SurveyOptOut,
)
from app.models.customer import (
    COMPLAINT_STATUSES,
    SEVERITIES,
    TIERS,
    Complaint,
    Customer,
    PhoneNumber,
    Preference,
)
from app.models.import_job import IMPORT_STATUSES, ImportJob
from app.models.user import CHOSEN_STATUSES, REACH_KINDS, ROLES, AgentPresence, ApiToken, User

__all__ = [
    "AgentPresence", "ApiToken", "AuditEvent", "Call", "Complaint", "Customer", "FollowUp", "ImportJob", "LoginAttempt",
    "LoginSession", "OrphanEvent", "PhoneNumber", "Preference", "Promise", "Survey", "SurveyOptOut", "User",
    "DETRACTOR_SCORES", "PROMISE_STATUSES", "PROMOTER_SCORES", "SURVEY_CHANNELS", "SURVEY_STATUSES",
    "AUDIT_ACTIONS", "CHOSEN_STATUSES", "COMPLAINT_STATUSES", "DIRECTIONS", "FOLLOW_UP_REASONS", "FOLLOW_UP_STATUSES", "IMPORT_STATUSES", "LIVE_STATUSES", "MATCH_KINDS", "QUEUE_STATES", "REACH_KINDS", "ROLES", "SEVERITIES", "STATUS_RANK",
    "TERMINAL_STATUSES", "TIERS", "isoformat", "utcnow",
]
