"""Fixtures for the office server: a data folder with keys and store, a test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from officekit import OFFICE_PASSPHRASE, Clock, Office
from starlette.testclient import TestClient

from kitchentable.office import keys
from kitchentable.office.app import create_app
from kitchentable.office.store import Store


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    data = tmp_path / "office"
    data.mkdir()
    public = keys.create(data, OFFICE_PASSPHRASE)
    store = Store.open(data)
    clock = Clock()
    with TestClient(create_app(store, public, clock=clock)) as client:
        yield Office(data, store, client, clock)
    store.close()
