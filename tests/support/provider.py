"""Plays the telephony provider: builds Twilio's form fields and signs them the way Twilio does.

The builders live in `app.devtools.simulator`, shared with `flask simulate-call`, so the command
and the tests send the very same requests.
"""
from __future__ import annotations

from app.devtools.simulator import ACCOUNT_SID, new_call_sid, sign, status_params, voice_params

__all__ = ["ACCOUNT_SID", "new_call_sid", "sign", "status_params", "voice_params"]
