"""The provider's REST API (SMS, moving a queued call, callbacks, asking about a call): the one place
a twilio `Client` is built. Everything else asks `rest_client()` for one.

The client talks real HTTP to `TWILIO_API_BASE_URL` (default `https://api.twilio.com`): another
value serves a Twilio-compatible provider, or the local stand-in the tests run
(`tests/support/twilio_api.py`). The library builds `https://api.twilio.com/...` URLs itself; the
HTTP client given to it moves them onto the configured base, which is the library's own extension
point (`Client(http_client=...)`), not a patch of it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.services.errors import DomainError

log = logging.getLogger(__name__)

TWILIO_API_BASE_URL = "https://api.twilio.com"
# The library logs every request's parameters (caller numbers, message text) at INFO.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class ProviderNotConfigured(DomainError):
    """The REST API needs credentials this installation does not have."""

    status = 503
    code = "provider_not_configured"


@dataclass(frozen=True)
class ProviderAccount:
    account_sid: str | None
    auth_token: str
    api_base_url: str = TWILIO_API_BASE_URL
    timeout_seconds: float = 5.0


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends each request the library makes to `base_url` instead of Twilio's own host."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"TWILIO_API_BASE_URL must be an http(s) URL, got {base_url!r}")
        self._scheme, self._netloc, self._prefix = parts.scheme, parts.netloc, parts.path

    def rebase(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment))

    def request(self, method, url, *args, **kwargs):
        return super().request(method, self.rebase(url), *args, **kwargs)


_clients: dict[ProviderAccount, Client] = {}


def rest_client(account: ProviderAccount) -> Client:
    """A twilio REST client for `account`, built on first use (never at import) and kept, so its
    connection pool is reused; ProviderNotConfigured without an account SID."""
    if not account.account_sid:
        raise ProviderNotConfigured("the provider's REST API needs TWILIO_ACCOUNT_SID (and TWILIO_AUTH_TOKEN)")
    client = _clients.get(account)
    if client is None:
        http = BaseUrlHttpClient(account.api_base_url, account.timeout_seconds)
        client = _clients[account] = Client(account.account_sid, account.auth_token, http_client=http)
    return client
