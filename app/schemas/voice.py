"""The browser phone's shapes (SPEC §13): the access token an agent's browser registers with."""
from __future__ import annotations

from marshmallow import Schema, fields

from app.schemas.common import Timestamp


class VoiceTokenSchema(Schema):
    token = fields.String(required=True, metadata={
        "description": "A Twilio Access Token (JWT, HS256) with a Voice grant: incoming calls, and "
                       "outgoing ones through TWILIO_TWIML_APP_SID."})
    identity = fields.String(required=True, metadata={
        "description": "The Twilio Client identity it registers as: the one calls to you ring."})
    expires_at = Timestamp(required=True, metadata={
        "description": "When the token stops working (VOICE_TOKEN_TTL_SECONDS after it was issued): ask again before."})
