"""Response headers for pages people use (desktop, login): a strict same-origin policy.

Scripts, styles, sockets and forms stay on this origin, so a caller name that somehow slipped
into markup still could not run code or load anything from elsewhere. The one exception is the
browser phone (SPEC §13): the Voice SDK, itself served from here, signals to Twilio over a
websocket (wss://voice-js.roaming.twilio.com, or an edge's wss://voice-js.<edge>.twilio.com) and
reports call quality to https://eventgw.twilio.com; the audio itself is WebRTC, which the policy
does not govern.
"""
from __future__ import annotations

from flask import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' wss://*.twilio.com https://eventgw.twilio.com",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
