"""Monitoring report benchmark (on demand): .venv/bin/python -m pytest tests/bench/test_bench_report.py -s -o addopts="" -p no:cacheprovider

10,000 conversations at an office (SQLite): a real laptop signs two plans on the shipped
forms (a Wmo plan with coded maatwerk, a Jeugdwet gezinsplan) and syncs them; their opened
payloads are the templates for 10,000 cases, each a case snapshot and a signed plan sealed to
the office by an enrolled device as a laptop seals them (melding dates, teams, steps,
categories and leveringsvorm varied), stored through the office's own push path. Then, in
one run: the baseline opens every one of those 20,000 payloads (`export.open_change`) and
does nothing else; the report collects the cases, counts, suppresses and writes the PDF,
HTML and CSV. Two baselines: A opens every payload after reading all changes at once
(`store.changes()`, as the export does), B opens them a chunk at a time as the report reads
them. Time (perf_counter) and peak Python memory (tracemalloc) of each, and the ratios.
"""

from __future__ import annotations

import copy
import json
import random
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "zgw"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "office"))

from zgwkit import OFFICE_PASSPHRASE, received_office

from kitchentable.formengine.loader import FormRegistry
from kitchentable.office import keys
from kitchentable.office.app import create_app
from kitchentable.office.export import open_change
from kitchentable.office.report import files, html, pdf
from kitchentable.office.report.figures import figures
from kitchentable.office.report.records import CHUNK, collect
from kitchentable.office.store import Store
from kitchentable.sync.protocol import Change, DeviceKeys, EnrolRequest, EnrolResponse
from tests.coded_cases import PRODUCTS, Maatwerk, Scenario, answer, case, sign

pytestmark = [pytest.mark.bench, pytest.mark.timeout(3600)]

CASES = 10_000
TEAMS = ("Wijkteam Noord", "Wijkteam Zuid", "Wijkteam Oost", "Jeugdteam")
WMO_STEPS = ("eigen_kracht", "gebruikelijke_hulp", "mantelzorg", "sociaal_netwerk",
             "algemene_voorziening", "voorliggende_voorziening", "maatwerkvoorziening")  # fmt: skip


def _templates(tmp: Path) -> dict[str, dict[str, Any]]:
    """The opened case and plan payloads of one real Wmo and one real Jeugdwet plan."""
    scenarios = {
        "T-W": Scenario("T-W", 30, steps=("eigen_kracht", "maatwerkvoorziening"), maatwerk=(Maatwerk(),), survey="post"),
        "T-J": Scenario("T-J", 30, kind="jeugd", steps=("sociaal_netwerk", "individuele_voorziening"), maatwerk=(Maatwerk("45", "zin", "45A10"),)),
    }  # fmt: skip
    found: dict[str, dict[str, Any]] = {}
    (tmp / "templates").mkdir()
    with ExitStack() as stack:
        office = received_office(
            tmp / "templates",
            FormRegistry.from_directory(),
            stack,
            list(scenarios),
            sign=lambda laptop, refs: [sign(laptop, scenarios[r]) for r in refs],
            case=lambda r: case(scenarios[r]),
            answer=lambda laptop, r: answer(laptop, scenarios[r]),
            products=PRODUCTS,
        )
        for meta in office.store.changes():
            opened = open_change(meta, office.private)
            assert opened is not None
            payload = opened[1]
            law = "jeugd" if meta["entity"] == "plan" and payload["plan"]["kind"] == "jeugd" else ""
            if meta["entity"] == "case":
                law = "jeugd" if "jeugd" in payload["snapshot"]["form"]["id"] else "wmo"
            found[f"{meta['entity']}-{law or 'wmo'}"] = payload
    return found


def _variant(
    templates: dict[str, dict[str, Any]], index: int, rng: random.Random
) -> tuple[bytes, bytes]:
    law = "jeugd" if index % 5 == 0 else "wmo"
    melding = date.today() - timedelta(days=rng.randint(5, 170))
    signed = melding + timedelta(days=rng.randint(10, 70))
    team = TEAMS[3] if law == "jeugd" else TEAMS[index % 3]
    snapshot = copy.deepcopy(templates[f"case-{law}"])
    snapshot["snapshot"]["case"]["external_id"] = f"B-{index:05d}"
    snapshot["snapshot"]["case"]["melding_date"] = melding.isoformat()
    plan = copy.deepcopy(templates[f"plan-{law}"])
    plan["plan"]["entries"]["header.team"] = team
    plan["plan"]["entries"]["header.conversation_date"] = (melding + timedelta(days=5)).isoformat()
    plan["plan"]["entries"]["consents.survey"] = rng.random() < 0.4
    for signature in plan["plan"]["signatures"]:
        signature["date"] = signed.isoformat()
    if law == "wmo":
        for result in plan["plan"]["results"]:
            result["level"] = rng.choice(WMO_STEPS)
            result["category"] = rng.choice(("01", "02", "07", "14"))
            result["delivery"] = "pgb" if rng.random() < 0.15 else "zin"
    return json.dumps(snapshot).encode(), json.dumps(plan).encode()


def _fill(store: Store, office_data: Path, templates: dict[str, dict[str, Any]]) -> None:
    public = keys.load_public(office_data)
    with TestClient(create_app(store, public)) as client:
        device = DeviceKeys.generate()
        code = store.create_code("anna", datetime.now(UTC))
        answer_ = client.post(
            "/api/v1/enrol", json=EnrolRequest.create(code, "bench", device).to_wire()
        )
        assert answer_.status_code == 200, answer_.text
        enrolment = EnrolResponse.from_wire(answer_.json())
        rng = random.Random(14)
        seq, batch = 0, []
        for index in range(CASES):
            case_id = str(uuid.uuid4())
            for entity, plaintext in zip(
                ("case", "plan"), _variant(templates, index, rng), strict=True
            ):
                seq += 1
                batch.append(
                    Change.create(
                        id=str(uuid.uuid4()), device_id=enrolment.device_id, seq=seq, entity=entity,
                        entity_id=case_id if entity == "case" else str(uuid.uuid4()), case_ref=case_id,
                        base_version=0, last_seen_server_version=0, plaintext=plaintext,
                        office_box_public=enrolment.office_box_public, sign_private=device.sign_private,
                    )
                )  # fmt: skip
            if len(batch) >= 500 or index == CASES - 1:
                body = {
                    "v": 1,
                    "device_id": enrolment.device_id,
                    "changes": [c.to_wire() for c in batch],
                }
                answer_ = client.post(
                    "/api/v1/push",
                    json=body,
                    headers={"Authorization": f"Bearer {enrolment.token}"},
                )
                assert answer_.status_code == 200, answer_.text
                assert all(r["status"] == "accepted" for r in answer_.json()["results"])
                batch = []  # fmt: skip


def _measure(work: Callable[[], Any]) -> tuple[float, float, Any]:
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] - before
    return seconds, peak / 2**20, result


def test_report_over_ten_thousand_conversations(tmp_path: Path) -> None:
    templates = _templates(tmp_path)
    data = tmp_path / "office"
    data.mkdir()
    keys.create(data, OFFICE_PASSPHRASE)
    private = keys.unlock(data, OFFICE_PASSPHRASE)
    store = Store.open(data)
    try:
        started = time.perf_counter()
        _fill(store, data, templates)
        print(
            f"\n{CASES} conversations (case + signed plan) stored in {time.perf_counter() - started:.0f} s"
        )
        tracemalloc.start()

        def baseline() -> int:
            opened = 0
            for meta in store.changes():
                opened += open_change(meta, private) is not None
            return opened

        def report() -> int:
            collected = collect(store, private)
            start, end = date.today() - timedelta(days=365), date.today()
            made = figures(collected.cases, start, end)
            (tmp_path / "r.pdf").write_bytes(pdf.render(made))
            (tmp_path / "r.html").write_text(html.render(made), encoding="utf-8")
            rows = files.report_rows(made)
            (tmp_path / "r.csv").write_text(files.csv_text(files.REPORT_COLUMNS, rows))
            return len(collected.cases)

        def chunked() -> int:
            opened = 0
            versions = store.latest_accepted(("case", "plan"))
            for first in range(0, len(versions), CHUNK):
                for meta in store.changes_at(versions[first : first + CHUNK]):
                    opened += open_change(meta, private) is not None
            return opened

        base_s, base_mb, opened = _measure(baseline)
        chunk_s, chunk_mb, opened_chunked = _measure(chunked)
        report_s, report_mb, cases = _measure(report)
        tracemalloc.stop()
    finally:
        store.close()
    assert opened == opened_chunked == 2 * CASES and cases == CASES
    print(
        f"baseline A: open the {opened} payloads, store.changes()  {base_s:6.2f} s  peak {base_mb:6.1f} MiB"
    )
    print(
        f"baseline B: open them {CHUNK} at a time (report's read)  {chunk_s:6.2f} s  peak {chunk_mb:6.1f} MiB"
    )
    print(
        f"report:     collect, count, PDF + HTML + CSV        {report_s:6.2f} s  peak {report_mb:6.1f} MiB"
    )
    print(
        f"ratio report / A: time {report_s / base_s:.2f}x, peak memory {report_mb / base_mb:.2f}x"
    )
    print(
        f"ratio report / B: time {report_s / chunk_s:.2f}x, peak memory {report_mb / chunk_mb:.2f}x"
    )
