"""The admin page's test helpers: an admin account, browser sessions posting forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from officekit import Clock, Office
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kitchentable.office.store import Store

ADMIN = "beheer"
ADMIN_PASSWORD = "lange zin voor het kantoor"
ORIGIN = "http://testserver"  # the TestClient's base URL: the server's own origin
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')
# Every admin page a GET may open, and every path a form posts to.
PAGES = ["/admin/", "/admin/devices", "/admin/consultants", "/admin/codes", "/admin/activity",
         "/admin/cases"]  # fmt: skip
POSTS = ["/admin/logout", "/admin/codes", "/admin/devices/some-device/revoke"]


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


class AdminSession:
    """One browser: its own cookie jar, posting forms as the browser would."""

    def __init__(self, app: Starlette, address: str = "testclient", https: bool = False) -> None:
        base = "https://testserver" if https else "http://testserver"
        self.client = TestClient(
            app, base_url=base, follow_redirects=False, client=(address, 50000)
        )

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def login(self, username: str = ADMIN, password: str = ADMIN_PASSWORD) -> Any:
        page = self.client.get("/admin/login")
        assert page.status_code == 200, page.text
        return self.client.post(
            "/admin/login",
            data={"csrf": csrf_of(page.text), "username": username, "password": password},
            headers={"Origin": ORIGIN, "Sec-Fetch-Site": "same-origin"},
        )

    def csrf(self, path: str = "/admin/") -> str:
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        return csrf_of(page.text)

    def post(self, path: str, data: dict[str, str], **headers: str) -> Any:
        """Post as a browser does from our own page; a header given as "" is left out."""
        sent = {"Origin": ORIGIN, "Sec-Fetch-Site": "same-origin"}
        sent.update(headers)
        kept = {name: value for name, value in sent.items() if value}
        return self.client.post(path, data=data, headers=kept)

    def submit(self, page: str, action: str, **fields: str) -> Any:
        """Open `page`, take its CSRF token and post `fields` to `action`."""
        return self.post(action, {"csrf": self.csrf(page), **fields})


@dataclass
class Site:
    office: Office
    app: Starlette

    @property
    def store(self) -> Store:
        return self.office.store

    @property
    def clock(self) -> Clock:
        return self.office.clock

    def browser(self, address: str = "testclient", https: bool = False) -> AdminSession:
        """A browser on the computer with this address."""
        return AdminSession(self.app, address, https)

    def admin(self) -> AdminSession:
        browser = self.browser()
        answer = browser.login()
        assert answer.status_code == 303, answer.text
        return browser
