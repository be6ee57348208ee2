"""Logging in through the real form, the one way the tests open a browser session."""
from __future__ import annotations

import re

import requests

from tests.factories import PASSWORD

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class BrowserSession(requests.Session):
    """A `requests` session holding a login cookie, as a person's browser would."""

    @property
    def cookie(self) -> str:
        """The session as a Cookie header, e.g. for a Socket.IO client."""
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)


def login(target, user, password: str = PASSWORD, *, base_url: str | None = None, csrf: bool = False, **kwargs):
    """Log `user` (a User or a username) in through the /login form.

    - `target` a base URL: a real HTTP login; asserts it succeeded, returns the `BrowserSession`
      (`csrf=True` for a server with CSRF checks on: the form's token is read and sent first).
    - `target` a Flask test client: posts the form and returns the response, whatever it is: tests
      of refusals read it. `csrf=True` first reads the form's CSRF token and sends it, for an app
      with CSRF checks on; extra keywords go to the POST (`environ_base=`, `base_url=`...).
    - `target` a Playwright page (with `base_url=`): fills the form and clicks, as a person would.
    """
    username = user if isinstance(user, str) else user.username
    if isinstance(target, str):
        session = BrowserSession()
        form = {"username": username, "password": password}
        if csrf:
            found = _CSRF_FIELD.search(session.get(f"{target}/login", timeout=5).text)
            assert found, "the login form carries no csrf_token"
            form["csrf_token"] = found.group(1)
        response = session.post(f"{target}/login", data=form, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        return session
    if hasattr(target, "goto"):
        assert base_url is not None, "a page logs in at base_url"
        target.goto(f"{base_url}/login")
        target.get_by_label("Username").fill(username)
        target.get_by_label("Password").fill(password)
        target.get_by_role("button", name="Log in").click()
        return None
    form = {"username": username, "password": password}
    if base_url is not None:
        kwargs["base_url"] = base_url
    if csrf:
        found = _CSRF_FIELD.search(target.get("/login", **kwargs).get_data(as_text=True))
        assert found, "the login form carries no csrf_token"
        form["csrf_token"] = found.group(1)
    return target.post("/login", data=form, **kwargs)


def logout(session: BrowserSession, base_url: str) -> requests.Response:
    """Press "Log out" on the desktop: the form's POST, with the page's CSRF token."""
    found = _CSRF_FIELD.search(session.get(f"{base_url}/", timeout=5).text)
    return session.post(f"{base_url}/logout", data={"csrf_token": found.group(1)} if found else {},
                        allow_redirects=False, timeout=5)


def page_csrf_token(client) -> str:
    """The CSRF token the logged-in desktop page embeds for its scripts' writes."""
    html = client.get("/").get_data(as_text=True)
    found = _CSRF_META.search(html)
    assert found, html[:500]
    return found.group(1)
