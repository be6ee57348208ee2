"""The signature guard: nothing reaches a webhook view unless Twilio signed exactly this request."""
from __future__ import annotations

import logging

from flask import Response, request
from twilio.request_validator import RequestValidator

from app.settings import settings
from app.webhooks import bp

log = logging.getLogger(__name__)


def signed_url() -> str:
    """The URL the provider signed: PUBLIC_BASE_URL + path when behind a proxy, else our own URL.

    `request.url` already reflects X-Forwarded-* when TRUSTED_PROXIES enables ProxyFix.
    """
    base = settings().provider.public_base_url
    if not base:
        return request.url
    query = request.query_string.decode("utf-8", "replace")
    return base + request.path + (f"?{query}" if query else "")


def _refuse(reason: str) -> Response:
    log.warning("webhook refused: %s", reason, extra={"path": request.path})
    return Response(f"Forbidden: {reason}\n", status=403, mimetype="text/plain")


@bp.before_request
def require_provider_signature():
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return _refuse("missing X-Twilio-Signature")
    validator = RequestValidator(settings().provider.auth_token)
    # request.form keeps every field, blank ones included, as the provider signed them.
    if not validator.validate(signed_url(), request.form, signature):
        return _refuse("invalid X-Twilio-Signature")
    expected_account = settings().provider.account_sid
    if expected_account and request.form.get("AccountSid") != expected_account:
        return _refuse("AccountSid is not this installation's account")
    return None
