"""Fixtures for the office server: a data folder with keys and store, a test client.

Every test that uses `office` or `store` runs twice, on SQLite and on PostgreSQL (see pg.py
for where the PostgreSQL comes from). A test about the SQLite file itself is marked
`sqlite_only`.
"""

# ruff: noqa: F811 - the fixtures imported from pg are shadowed by parameters of their name
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from officekit import OFFICE_PASSPHRASE, Clock, Office
from pg import office_data, postgres_url, store  # noqa: F401
from starlette.testclient import TestClient

from kitchentable.office import keys
from kitchentable.office.app import create_app
from kitchentable.office.store import Store

BACKENDS = ["sqlite", "postgres"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about the SQLite file itself; not run on PostgreSQL"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" not in metafunc.fixturenames:
        return
    sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
    metafunc.parametrize("store", ["sqlite"] if sqlite_only else BACKENDS, indirect=True)


@pytest.fixture
def office(office_data: Path, store: Store) -> Iterator[Office]:
    public = keys.create(office_data, OFFICE_PASSPHRASE)
    clock = Clock()
    with TestClient(create_app(store, public, clock=clock)) as client:
        yield Office(office_data, store, client, clock)
