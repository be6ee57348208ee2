"""Plays the telephony provider: builds Twilio's form fields and signs them the way Twilio does.

The builders live in `app.devtools.simulator`, shared with `flask simulate-call`, so the command
and the tests send the very same requests.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import requests

from app.devtools.simulator import ACCOUNT_SID, new_call_sid, sign, status_params, voice_params

__all__ = ["ACCOUNT_SID", "Provider", "new_call_sid", "sign", "status_params", "voice_params"]


class Provider:
    """Sends webhooks as Twilio does: form-encoded and signed for the exact URL."""

    def __init__(self, auth_token: str, client=None, base_url: str = "http://localhost",
                 public_url: str | None = None):
        self.auth_token = auth_token
        self.client = client
        self.base_url = base_url
        # Behind a load balancer the provider signs the public URL, not the process's own.
        self.public_url = public_url

    @classmethod
    def of(cls, app, **kwargs) -> "Provider":
        """The provider of this app (its TWILIO_AUTH_TOKEN), posting through its test client."""
        return cls(app.config["TWILIO_AUTH_TOKEN"], client=app.test_client(), **kwargs)

    def sign(self, url: str, params: dict) -> str:
        return sign(self.auth_token, url, params)

    def post(self, path: str, params: dict, *, signature: str | None = None, sign_url: str | None = None,
             headers: dict | None = None):
        url = self.base_url + path
        all_headers = {"X-Twilio-Signature": signature if signature is not None
                       else self.sign(sign_url or (self.public_url or self.base_url) + path, params)}
        all_headers.update(headers or {})
        if self.client is not None:
            # buffered: the response is read whole and closed, as a server does once it has sent it
            return self.client.post(path, data=params, headers=all_headers, base_url=self.base_url, buffered=True)
        return requests.post(url, data=params, headers=all_headers, timeout=10)

    def call(self, from_: str = "+14155550100", call_sid: str | None = None, **extra):
        params = voice_params(call_sid=call_sid, from_=from_, **extra)
        return params["CallSid"], self.post("/twilio/voice", params)

    def status(self, call_sid: str, status: str, sequence: int | None = None, duration: int | None = None,
               **extra):
        return self.post("/twilio/status", status_params(call_sid, status, sequence, duration, **extra))


def dialled(noun) -> str:
    """Whom a <Dial>'s noun rings (an ElementTree element): a <Client>'s <Identity>, else its text."""
    if noun.tag == "Client" and noun.find("Identity") is not None:
        return noun.findtext("Identity").strip()
    return (noun.text or "").strip()


def twiml_of(response) -> ET.Element:
    """The TwiML `<Response>` a webhook answered (200, text/xml), parsed: from the Flask test
    client or from `requests`."""
    text = response.get_data(as_text=True) if hasattr(response, "get_data") else response.text
    assert response.status_code == 200, text
    content_type = response.mimetype if hasattr(response, "mimetype") else response.headers["Content-Type"]
    assert content_type.startswith("text/xml"), content_type
    root = ET.fromstring(text)
    assert root.tag == "Response"
    return root
