"""A fresh PostgreSQL schema per test, inside the cluster named by KITCHENTABLE_TEST_POSTGRES.

packaging/dev/run-tests starts a throwaway cluster (packaging/dev/postgres.sh) and sets the
variable; without it the PostgreSQL half of the office tests is skipped, unless
KITCHENTABLE_REQUIRE_POSTGRES=1 (CI, root) makes a missing cluster a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from kitchentable.office.backends import Backend, PostgresBackend, SQLiteBackend
from kitchentable.office.store import DB_NAME, Store

URL_ENV = "KITCHENTABLE_TEST_POSTGRES"
REQUIRE_ENV = "KITCHENTABLE_REQUIRE_POSTGRES"


def server_url() -> str:
    """The test cluster's URL; skips (or fails, when required) without a reachable one."""
    url = os.environ.get(URL_ENV, "")
    required = os.environ.get(REQUIRE_ENV, "") not in {"", "0"}
    if not url:
        why = f"no PostgreSQL for the office tests: set {URL_ENV} (packaging/dev/postgres.sh start DIR)"
        if required:
            pytest.fail(f"{why}; {REQUIRE_ENV} is set", pytrace=False)
        pytest.skip(why)
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as error:
        # A URL was given on purpose: an unreachable cluster is a failure, not a skip.
        pytest.fail(f"{URL_ENV} is set but PostgreSQL cannot be reached: {error}", pytrace=False)
    return url


def with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"-csearch_path={schema}"
    return urlunsplit(parts._replace(query=urlencode(query)))


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL whose connections see only a new, empty schema; the schema is dropped after."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


# -- fixtures shared by tests/office and tests/office_admin (imported into their conftests) --


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
    """The office store, on the backend the test is parametrized with ("sqlite", "postgres")."""
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
