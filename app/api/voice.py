"""`/api/v1/voice/token` (SPEC §13): the access token an agent's browser phone registers with."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api import guard
from app.api.guard import api_user
from app.models import utcnow
from app.schemas.common import ErrorSchema
from app.schemas.voice import VoiceTokenSchema
from app.services.calls import browser_phone
from app.settings import settings

bp = Blueprint("api_voice", __name__, url_prefix="/api/v1/voice",
               description="The browser phone: its access token.")
guard.protect(bp)


@bp.get("/token")
@bp.response(200, VoiceTokenSchema, headers={"Cache-Control": {"schema": {"type": "string"},
                                                               "description": "no-store: the token is a secret"}})
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(503, schema=ErrorSchema,
                 description="The browser phone is not set up (the message names the settings missing).")
def voice_token():
    """A token for your browser phone: it takes the calls routed to you and places calls from
    TWILIO_CALLER_ID. It expires after VOICE_TOKEN_TTL_SECONDS: ask again before `expires_at`.
    409 when calls reach you by phone or SIP; 503 naming what is missing when it is not set up."""
    provider = settings().provider
    issued = browser_phone.issue_token(api_user(), provider.voice, provider.account_sid, now=utcnow())
    body = {"token": issued.token, "identity": issued.identity, "expires_at": issued.expires_at}
    return body, 200, {"Cache-Control": "no-store"}
