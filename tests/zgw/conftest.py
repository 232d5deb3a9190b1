"""An office that has received signed plans (a real laptop signed and synced them), on SQLite
and on PostgreSQL, and the Open Zaak the suite started (see zgwkit.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "office"))

from pg import fresh_schema, server_url
from zgwkit import OFFICE_PASSPHRASE, OpenZaak, SignedOffice, open_zaak

from kitchentable.config import Settings
from kitchentable.formengine.loader import FormRegistry
from kitchentable.office import keys, pki
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.office.store import CONFIG_NAME, Store
from kitchentable.services import Profile
from kitchentable.sync.client import SyncClient
from tests.conftest import PASSPHRASE
from tests.core.helpers import case_document
from tests.core.test_plan import answer_all, sign_both
from tests.sync_e2e.synckit import serve

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
    data = tmp / "office"
    data.mkdir()
    with ExitStack() as stack:
        if request.param == "postgres":
            url = stack.enter_context(fresh_schema(server_url()))
            (data / CONFIG_NAME).write_text(json.dumps({"database": url}), encoding="utf-8")
        store = Store.open(data)
        stack.callback(store.close)
        public = keys.create(data, OFFICE_PASSPHRASE)
        private = keys.unlock(data, OFFICE_PASSPHRASE)
        ca = pki.create_ca(data, private.ca_password, "Gemeente Testdam")
        server, thread, base = serve(create_app(store, public, identity=ServerIdentity(ca=ca)))
        stack.callback(thread.join, 10)
        stack.callback(setattr, server, "should_exit", True)
        laptop = Profile.create(
            tmp / "laptop", PASSPHRASE, settings=Settings(consultant="anna"), forms=forms
        )
        stack.callback(laptop.close)
        sync = SyncClient(laptop)
        sync.enrol(base, store.create_code("anna", datetime.now(UTC)), "laptop1")
        pdfs = {}
        for number in range(PLANS):
            reference = f"M-2026-{number + 801:04d}"
            laptop.import_cases(case_document(reference, form="test-plan"))
            answer_all(laptop, reference)
            sign_both(laptop, reference)
            case_id = laptop.case(reference).id
            (document,) = laptop.repo.documents(case_id)
            pdfs[reference] = laptop.repo.get_document(document["id"])
        report = sync.sync()
        assert report.accepted == 2 * PLANS and not report.problems, report
        yield SignedOffice(data, store, public, private, pdfs)
