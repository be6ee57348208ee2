"""The pages people use carry a strict same-origin policy; the browser phone's signalling to
Twilio is the only connection allowed elsewhere."""
from __future__ import annotations


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


def test_pages_load_only_from_this_origin_and_talk_only_to_it_and_twilio(client):
    response = client.get("/login")
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]  # scripts and styles: this server only, nothing inline
    assert "script-src" not in policy and "style-src" not in policy
    assert policy["connect-src"] == ["'self'", "wss://*.twilio.com", "https://eventgw.twilio.com"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
