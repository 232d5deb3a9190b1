"""Fixtures for the office server: a data folder with keys and store, a test client.

Every test that uses `office` or `store` runs twice, on SQLite and on PostgreSQL (see pg.py
for where the PostgreSQL comes from). A test about the SQLite file itself is marked
`sqlite_only`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from officekit import OFFICE_PASSPHRASE, Clock, Office
from pg import fresh_schema, server_url
from starlette.testclient import TestClient

from kitchentable.office import keys
from kitchentable.office.app import create_app
from kitchentable.office.backends import PostgresBackend
from kitchentable.office.store import DB_NAME, Backend, SQLiteBackend, Store

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
    """The office store, on the backend the test is parametrized with."""
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


@pytest.fixture
def office(office_data: Path, store: Store) -> Iterator[Office]:
    public = keys.create(office_data, OFFICE_PASSPHRASE)
    clock = Clock()
    with TestClient(create_app(store, public, clock=clock)) as client:
        yield Office(office_data, store, client, clock)
