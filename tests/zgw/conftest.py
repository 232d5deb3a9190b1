"""An office that has received signed plans (a real laptop signed and synced them), on SQLite
and on PostgreSQL, and the Open Zaak the suite started (see zgwkit.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "office"))

from pg import fresh_schema, server_url
from zgwkit import OpenZaak, SignedOffice, open_zaak, received_office

from kitchentable.formengine.loader import FormRegistry

PLANS = 3


@pytest.fixture(scope="session")
def openzaak() -> OpenZaak:
    return open_zaak()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def signed_office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, forms: FormRegistry
) -> Iterator[SignedOffice]:
    """PLANS signed plans, received by an office whose data folder the CLI can open."""
    tmp = tmp_path_factory.mktemp(f"office-{request.param}")
    references = [f"M-2026-{number + 801:04d}" for number in range(PLANS)]
    with ExitStack() as stack:
        database = None
        if request.param == "postgres":
            database = stack.enter_context(fresh_schema(server_url()))
        yield received_office(tmp, forms, stack, references, database)
