"""Fixtures for the office admin page: the office app with a test client per browser
session, an admin account, and logging in the way a browser does (the login page first).

Like tests/office, every test that uses `store` runs on SQLite and on PostgreSQL; the
office helpers (settable clock, protocol-speaking laptop) come from tests/office/officekit.
"""

# ruff: noqa: F811 - the fixtures imported from pg are shadowed by parameters of their name
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "office"))

from adminkit import ADMIN, ADMIN_PASSWORD, Site
from officekit import OFFICE_PASSPHRASE, Clock, Office
from pg import office_data, postgres_url, store  # noqa: F401
from starlette.testclient import TestClient

from kitchentable.office import keys
from kitchentable.office.admin.accounts import add_account
from kitchentable.office.app import create_app
from kitchentable.office.store import Store


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" in metafunc.fixturenames:
        metafunc.parametrize("store", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def site(office_data: Path, store: Store) -> Iterator[Site]:
    public = keys.create(office_data, OFFICE_PASSPHRASE)
    clock = Clock()
    add_account(store, ADMIN, ADMIN_PASSWORD, clock())
    app = create_app(store, public, clock=clock)
    with TestClient(app) as client:
        yield Site(Office(office_data, store, client, clock), app)
