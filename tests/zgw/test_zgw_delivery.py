"""Signed plans into the real Open Zaak the suite started, read back through its APIs."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from zgwkit import (
    OFFICE_PASSPHRASE,
    OpenZaak,
    SignedOffice,
    read_back,
    received_office,
    rsins,
    settings,
)

from kitchentable.formengine.loader import FormRegistry
from kitchentable.office import cli, custody, export
from kitchentable.office.store import DB_NAME, SQLiteBackend, Store
from kitchentable.office.zgw import config as zgw_config
from kitchentable.office.zgw.ledger import Ledger
from kitchentable.office.zgw.run import Round
from kitchentable.office.zgw.source import Waiting, signed_plans
from tests.coded_cases import PRODUCTS, Maatwerk, Scenario, answer, case, sign

BSN = "999990019"  # tests/core/helpers.py MARKERS


@pytest.fixture
def rsin() -> str:
    return next(rsins(random.randrange(10_000_000, 90_000_000)))


@pytest.fixture(autouse=True)
def passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(custody.PASSPHRASE_ENV, OFFICE_PASSPHRASE)


def deliver(office: SignedOffice, config: Path, *more: str) -> int:
    return cli.main(["deliver", "--data", str(office.data), "--zgw", str(config), *more])


def test_each_signed_plan_becomes_one_zaak_with_its_sealed_pdf_and_verslag(
    signed_office: SignedOffice,
    openzaak: OpenZaak,
    rsin: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = settings(tmp_path, openzaak, rsin)
    assert deliver(signed_office, config) == 0
    out = capsys.readouterr().out
    assert f"Delivered {len(signed_office.pdfs)} plan(s)" in out

    types = Round(
        signed_office.store,
        signed_office.private,
        signed_office.public,
        zgw_config.load(config),
        openzaak.client(),
    ).types()
    found = read_back(openzaak, rsin)
    assert sorted(found) == sorted(signed_office.pdfs)
    ledger = Ledger(signed_office.store.backend, zgw_config.load(config).target)
    for reference, pdf in signed_office.pdfs.items():
        (item,) = found[reference]
        zaak = item.zaak
        assert zaak["zaaktype"] == types.zaaktype
        assert zaak["startdatum"] == "2026-11-02"  # the melding date
        assert zaak["bronorganisatie"] == rsin and zaak["identificatie"].startswith("ZAAK-")
        (status,) = item.statussen
        assert status["statustype"] == types.statustype
        assert zaak["status"] == status["url"]
        kinds = sorted((r["betrokkeneType"], r["roltype"]) for r in item.rollen)
        assert kinds == sorted(
            [
                ("medewerker", types.consulent_roltype),
                ("natuurlijk_persoon", types.inwoner_roltype),
            ]
        )
        person = next(r for r in item.rollen if r["betrokkeneType"] == "natuurlijk_persoon")
        assert person["betrokkeneIdentificatie"]["inpBsn"] == BSN
        by_type = {d["informatieobjecttype"]: d for d in item.documents}
        assert len(item.documents) == 2 and len(by_type) == 2
        document = by_type[types.plan_informatieobjecttype]
        assert document["content"] == pdf  # byte for byte the sealed PDF
        assert document["bestandsomvang"] == len(pdf)
        assert document["taal"] == "dut" and document["formaat"] == "application/pdf"
        assert document["ondertekening"]["soort"] == "digitaal"
        assert document["ondertekening"]["datum"]
        assert document["integriteit"]["algoritme"] == "sha_256"
        assert document["zio"]["zaak"] == zaak["url"]
        verslag = json.loads(by_type[types.verslag_informatieobjecttype]["content"])
        assert verslag["format"] == "kitchentable-verslag"
        assert verslag["case"]["external_id"] == reference
        assert verslag["person"]["bsn"] == BSN
        answers = {a["question"]: a["answer"] for a in verslag["answers"]}
        assert answers["hulpvraag_eigen_woorden"] == "Ik wil zelf naar de weekmarkt kunnen."
        assert {s["name"] for s in verslag["plan"]["signatures"]} == {
            "Zwaantje Markeerstra",
            "Anja de Consulent",
        }
        assert all("strokes" not in s for s in verslag["plan"]["signatures"])
        # Every step's URL is in the ledger, and the ledger's zaak is the one in Open Zaak.
        plan_change = next(
            c["id"]
            for c in signed_office.store.changes()
            if c["entity"] == "plan" and _reference(signed_office, c["case_ref"]) == reference
        )
        steps = ledger.steps(plan_change)
        assert steps["zaak"].value == zaak["url"]
        assert steps["zaaknummer"].value == zaak["identificatie"]
        assert steps["status"].value == status["url"]
        assert steps["plan"].value == document["url"]
        assert all(step.value for step in steps.values())

    # A second round delivers nothing again: every plan has its zaak.
    assert deliver(signed_office, config) == 0
    assert "Delivered 0 plan(s)" in capsys.readouterr().out
    again = read_back(openzaak, rsin)
    assert {ref: len(items) for ref, items in again.items()} == dict.fromkeys(found, 1)


def test_the_generic_export_still_writes_json_pdf_and_csv(
    signed_office: SignedOffice, tmp_path: Path
) -> None:
    counts = export.export(signed_office.store, signed_office.private, tmp_path / "out")
    assert counts["plans"] == len(signed_office.pdfs) and counts["unreadable"] == 0
    pdfs = sorted(p.read_bytes() for p in (tmp_path / "out").rglob("*.pdf"))
    assert pdfs == sorted(signed_office.pdfs.values())
    rows = list(csv.DictReader((tmp_path / "out" / "overview.csv").open(encoding="utf-8")))
    assert {r["external_id"] for r in rows if r["entity"] == "case"} == set(signed_office.pdfs)
    for path in (tmp_path / "out").rglob("case-*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["content"]["snapshot"]["person"]


def test_a_refusal_is_quarantined_with_the_apis_message_and_released_after_a_fix(
    signed_office: SignedOffice,
    openzaak: OpenZaak,
    rsin: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = settings(tmp_path / "good", openzaak, rsin)
    types = Round(
        signed_office.store,
        signed_office.private,
        signed_office.public,
        zgw_config.load(good),
        openzaak.client(),
    ).types()
    missing = f"{openzaak.url}/catalogi/api/v1/zaaktypen/{uuid.uuid4()}"
    bad = settings(
        tmp_path / "bad",
        openzaak,
        rsin,
        zaaktype=missing,
        statustype=types.statustype,
        inwoner_roltype=types.inwoner_roltype,
        consulent_roltype=types.consulent_roltype,
    )
    assert deliver(signed_office, bad) == 0
    captured = capsys.readouterr()
    assert "Delivered 0 plan(s)" in captured.out
    assert f"{len(signed_office.pdfs)} plan(s) refused by the case system" in captured.err
    assert read_back(openzaak, rsin) == {}

    assert deliver(signed_office, bad, "--list") == 0
    listing = capsys.readouterr().out
    for reference in signed_office.pdfs:
        assert reference in listing
    assert listing.count("step zaak") == len(signed_office.pdfs)
    assert missing in listing  # the API's own words name the zaaktype it could not find
    # The message is kept sealed: the store holds no plain copy of it.
    with signed_office.store.backend.transaction(write=False) as cur:
        rows = cur.execute(
            "SELECT sealed_message FROM zgw_delivery_plans WHERE state = 'quarantined'"
        ).fetchall()
    assert rows and all(missing not in row[0] for row in rows)

    # Quarantined plans are not tried again by the next round...
    assert deliver(signed_office, bad) == 0
    assert "Delivered 0 plan(s)" in capsys.readouterr().out
    # ...until released; with the settings fixed they go in, each exactly once.
    assert deliver(signed_office, good, "--release", "all") == 0
    assert f"{len(signed_office.pdfs)} plan(s) will be tried again" in capsys.readouterr().out
    assert deliver(signed_office, good, "--release", "all") == 1  # nothing left to release
    assert "No quarantined plan all" in capsys.readouterr().err
    assert deliver(signed_office, good) == 0
    assert f"Delivered {len(signed_office.pdfs)} plan(s)" in capsys.readouterr().out
    found = read_back(openzaak, rsin)
    assert {ref: len(items) for ref, items in found.items()} == dict.fromkeys(signed_office.pdfs, 1)


def test_every_minutes_delivers_a_round_then_waits_for_the_next(
    signed_office: SignedOffice, openzaak: OpenZaak, rsin: str, tmp_path: Path
) -> None:
    config = settings(tmp_path, openzaak, rsin)
    command = [sys.executable, "-m", "kitchentable.office", "deliver"]
    command += ["--data", str(signed_office.data), "--zgw", str(config), "--every", "1"]
    env = {**os.environ, custody.PASSPHRASE_ENV: OFFICE_PASSPHRASE}
    env.pop("PYTHONUNBUFFERED", None)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed (and flushed) when the first round ends
        assert re.match(rf"\d{{4}}-\d\d-\d\dT\S+ Delivered {len(signed_office.pdfs)} plan", line)
        assert process.poll() is None  # waiting for the next round
    finally:
        process.terminate()
        process.wait(30)
    found = read_back(openzaak, rsin)
    assert {ref: len(items) for ref, items in found.items()} == dict.fromkeys(signed_office.pdfs, 1)


def test_credentials_the_case_system_refuses_stop_the_round_and_quarantine_nothing(
    signed_office: SignedOffice,
    openzaak: OpenZaak,
    rsin: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = settings(tmp_path, openzaak, rsin)
    (tmp_path / "zgw-secret").write_text("not-the-secret-" + "x" * 40, encoding="utf-8")
    assert deliver(signed_office, config) == 1
    err = capsys.readouterr().err
    assert "refused the credentials" in err and "not-the-secret" not in err
    assert deliver(signed_office, config, "--list") == 0
    assert "No plan is quarantined." in capsys.readouterr().out
    # An address where no ZGW API answers (a plain web server) ends the round the same way.
    empty = tmp_path / "www"
    empty.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(empty))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        plain = f"http://127.0.0.1:{server.server_address[1]}"
        nowhere = settings(tmp_path / "nowhere", openzaak, rsin, base_url=plain)
        assert deliver(signed_office, nowhere) == 1
    finally:
        server.shutdown()
        server.server_close()
    assert "without a ZGW error; is the address in the settings a ZGW API?" in (
        capsys.readouterr().err
    )


def test_check_prints_the_catalogue_types_and_a_second_round_meanwhile_stops_at_once(
    signed_office: SignedOffice,
    openzaak: OpenZaak,
    rsin: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = settings(tmp_path, openzaak, rsin)
    assert deliver(signed_office, config, "--check") == 0
    out = capsys.readouterr().out
    assert f"zaaktype: {openzaak.url}/catalogi/api/v1/zaaktypen/" in out
    assert f"statustype: {openzaak.url}/catalogi/api/v1/statustypen/" in out
    ledger = Ledger(signed_office.store.backend, zgw_config.load(config).target)
    assert ledger.claim("a round by hand", datetime.now(UTC), timedelta(minutes=10)) is None
    try:
        assert deliver(signed_office, config) == 1
        assert "Another delivery round is running" in capsys.readouterr().err
    finally:
        ledger.unclaim("a round by hand")
    assert read_back(openzaak, rsin) == {}


@pytest.mark.parametrize("signed_office", ["sqlite"], indirect=True)
def test_a_plan_whose_case_has_not_arrived_waits(
    signed_office: SignedOffice, tmp_path: Path
) -> None:
    copy = tmp_path / "office.db"
    source = sqlite3.connect(signed_office.data / DB_NAME)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
        target.execute("DELETE FROM changes WHERE entity = 'case'")
        target.commit()
    finally:
        source.close()
        target.close()
    store = Store(SQLiteBackend(copy))
    try:
        waiting = Waiting()
        assert list(signed_plans(store, signed_office.private, set(), waiting)) == []
        assert waiting.no_case == len(signed_office.pdfs) and waiting.unreadable == 0
    finally:
        store.close()


def test_a_product_picked_on_the_laptop_is_in_the_verslag_as_codes(
    openzaak: OpenZaak, rsin: str, tmp_path: Path, forms: FormRegistry
) -> None:
    """The office publishes its product list, the laptop records coded advice with it on the
    shipped Wmo form, and the verslag in Open Zaak holds the toewijzing's input as codes."""
    scenario = Scenario(
        "M-2026-0951",
        steps=("mantelzorg", "maatwerkvoorziening"),
        maatwerk=(Maatwerk("07", "zin", "07B01", 2, "16", "2"),),
    )
    with ExitStack() as stack:
        office = received_office(
            tmp_path,
            forms,
            stack,
            [scenario.reference],
            sign=lambda laptop, _refs: sign(laptop, scenario),
            case=lambda _r: case(scenario),
            answer=lambda laptop, _r: answer(laptop, scenario),
            products=PRODUCTS,
        )
        assert deliver(office, settings(tmp_path / "zgw", openzaak, rsin)) == 0
    ((item,),) = read_back(openzaak, rsin).values()
    verslag = next(
        json.loads(d["content"]) for d in item.documents if d["formaat"] == "application/json"
    )
    (coded,) = verslag["toewijzing"]
    assert (coded["productcategorie"], coded["productcode"]) == ("07", "07B01")
    assert coded["omvang"] == {
        "volume": 2.0,
        "eenheid": "16",
        "eenheid_omschrijving": "Dagdeel (4 uur)",
        "frequentie": "2",
        "frequentie_omschrijving": "Per week",
    }
    assert coded["leveringsvorm"] == "zin" and coded["status"] == "beoogd"
    start = scenario.melding_date + timedelta(days=30)
    assert coded["ingangsdatum"] == start.isoformat()
    result = verslag["plan"]["results"][1]  # the plan itself keeps the same codes
    assert (result["category"], result["product"], result["unit"]) == ("07", "07B01", "16")


def _reference(office: SignedOffice, case_ref: str) -> str:
    for change in office.store.changes():
        if change["entity"] == "case" and change["case_ref"] == case_ref:
            opened = export.open_change(change, office.private)
            assert opened is not None
            return str(opened[1]["snapshot"]["case"]["external_id"])
    return ""
