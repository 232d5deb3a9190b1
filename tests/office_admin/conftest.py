"""Fixtures for the office admin page: the office app with a test client per browser
session, an admin account, and logging in the way a browser does (the login page first).

Like tests/office, every test that uses `store` runs on SQLite and on PostgreSQL; the
office helpers (settable clock, protocol-speaking laptop) come from tests/office/officekit.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "office"))

from officekit import OFFICE_PASSPHRASE, Clock, Office
from pg import fresh_schema, server_url
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kitchentable.office import keys
from kitchentable.office.admin.accounts import add_account
from kitchentable.office.app import create_app
from kitchentable.office.backends import PostgresBackend
from kitchentable.office.store import DB_NAME, Backend, SQLiteBackend, Store

ADMIN = "beheer"
ADMIN_PASSWORD = "lange zin voor het kantoor"
ORIGIN = "http://testserver"  # the TestClient's base URL: the server's own origin
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')
# Every admin page a GET may open, and every path a form posts to.
PAGES = ["/admin/", "/admin/devices", "/admin/consultants", "/admin/codes", "/admin/activity",
         "/admin/cases"]  # fmt: skip
POSTS = ["/admin/logout", "/admin/codes", "/admin/devices/some-device/revoke"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" in metafunc.fixturenames:
        metafunc.parametrize("store", ["sqlite", "postgres"], indirect=True)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return server_url()


@pytest.fixture
def office_data(tmp_path: Path) -> Path:
    data = tmp_path / "office"
    data.mkdir()
    return data


@pytest.fixture
def store(request: pytest.FixtureRequest, office_data: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield from _store(SQLiteBackend(office_data / DB_NAME))
        return
    with fresh_schema(request.getfixturevalue("postgres_url")) as url:
        yield from _store(PostgresBackend(url))


def _store(backend: Backend) -> Iterator[Store]:
    store = Store(backend)
    try:
        yield store
    finally:
        store.close()


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


class AdminSession:
    """One browser: its own cookie jar, posting forms as the browser would."""

    def __init__(self, app: Starlette) -> None:
        self.client = TestClient(app, follow_redirects=False)

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

    def browser(self) -> AdminSession:
        return AdminSession(self.app)

    def admin(self) -> AdminSession:
        browser = self.browser()
        answer = browser.login()
        assert answer.status_code == 303, answer.text
        return browser


@pytest.fixture
def site(office_data: Path, store: Store) -> Iterator[Site]:
    public = keys.create(office_data, OFFICE_PASSPHRASE)
    clock = Clock()
    add_account(store, ADMIN, ADMIN_PASSWORD, clock())
    app = create_app(store, public, clock=clock)
    with TestClient(app) as client:
        yield Site(Office(office_data, store, client, clock), app)
