"""Speaking to the JSON API as one user, and reading its errors (SPEC §6)."""
from __future__ import annotations

import requests


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for an API token: the one place a test builds it."""
    return {"Authorization": f"Bearer {token}"}


class Api:
    """A JSON client that speaks as one user: every request carries that user's bearer token.

    Bound to a Flask test client (`client=`) it answers Flask responses (`.json`, `.status_code`);
    bound to a live server (`base_url=`) it sends real HTTP and answers `requests` responses.
    """

    def __init__(self, user, token: str, *, client=None, base_url: str | None = None):
        assert (client is None) != (base_url is None), "an Api talks to a test client or a live server"
        self.user = user
        self.token = token
        self.headers = bearer(token)
        self.client = client
        self.base_url = base_url

    def request(self, method: str, path: str, json=None, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if self.client is not None:
            return self.client.open(path, method=method, json=json, headers=headers, **kwargs)
        kwargs.setdefault("timeout", 10)
        return requests.request(method, self.base_url + path, json=json, headers=headers, **kwargs)

    def open(self, path: str, method: str = "GET", json=None, **kwargs):
        """Like the Flask test client's `open`: any method, named."""
        return self.request(method, path, json=json, **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def put(self, path: str, json=None, **kwargs):
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path: str, json=None, **kwargs):
        return self.request("DELETE", path, json=json, **kwargs)

    def __repr__(self) -> str:
        return f"<Api as {self.user.username} ({self.user.role})>"


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """The response is SPEC §6's JSON error with this status (and `code`, and naming `field` among its
    fields, when given); returns its `error` object. Works on Flask and `requests` responses."""
    flask_response = hasattr(response, "get_data")
    text = response.get_data(as_text=True) if flask_response else response.text
    assert response.status_code == status, text
    if flask_response:
        assert response.is_json, text
        body = response.json
    else:
        assert response.headers.get("Content-Type", "").startswith("application/json"), text
        body = response.json()
    error = body["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    if field is not None:
        assert field in error["fields"], error
    return error
