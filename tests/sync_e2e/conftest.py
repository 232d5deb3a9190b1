"""A real office server on loopback (uvicorn in a thread) and laptop profiles that sync with it.

Every test that uses `office` runs on SQLite and on PostgreSQL (the cluster from
packaging/dev/postgres.sh, see tests/office/pg.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "office"))

from synckit import OfficeServer, office_keys, office_store

from kitchentable.config import Settings
from kitchentable.formengine.loader import FormRegistry
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.services import Profile, sync
from tests.conftest import PASSPHRASE
from tests.netkit import serve


@pytest.fixture(params=["sqlite", "postgres"])
def office(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OfficeServer]:
    data = tmp_path / "office"
    data.mkdir()
    public, private, ca = office_keys(data)
    with ExitStack() as stack:
        store = office_store(request.param, data, stack)
        identity = ServerIdentity(ca=ca)
        server, thread, base = serve(create_app(store, public, identity=identity))
        office = OfficeServer(data, store, base, public, private, server)
        yield office
        server.should_exit = True
        thread.join(timeout=10)
        for laptop in office.laptops:
            laptop.close()


@pytest.fixture
def laptop_factory(tmp_path: Path, office: OfficeServer, forms: FormRegistry) -> Iterator[Any]:
    made = 0

    def make(consultant: str = "anna", enrol: bool = True) -> Profile:
        nonlocal made
        made += 1
        profile = Profile.create(
            tmp_path / f"laptop{made}",
            PASSPHRASE,
            settings=Settings(consultant=consultant),
            forms=forms,
        )
        office.laptops.append(profile)
        if enrol:
            sync.enrol(profile, office.url, office.code(consultant), f"laptop{made}")
        return profile

    yield make
