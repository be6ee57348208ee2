"""The signature guard: nothing reaches a webhook view unless Twilio signed exactly this request."""
from __future__ import annotations

import hmac
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


def _signed_by_provider(url: str, signature: str) -> bool:
    """Whether `signature` is the provider's for `url` and this request's form (which keeps every
    field, blank ones included, as the provider signed them).

    The URL as we see it is checked first, with one HMAC: the provider signs it so nearly always.
    Only when that fails does the library's `validate` try the URL with and without its port too
    (it always computes both, and every webhook paid for two): the same requests are accepted.
    """
    validator = RequestValidator(settings().provider.auth_token)
    form = request.form
    return (hmac.compare_digest(validator.compute_signature(url, form), signature)
            or validator.validate(url, form, signature))


@bp.before_request
def require_provider_signature():
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return _refuse("missing X-Twilio-Signature")
    if not _signed_by_provider(signed_url(), signature):
        return _refuse("invalid X-Twilio-Signature")
    expected_account = settings().provider.account_sid
    if expected_account and request.form.get("AccountSid") != expected_account:
        return _refuse("AccountSid is not this installation's account")
    return None
