"""`export` as a careful reader, attacked by what a device (or an old database) can put in a
change: path traversal, a payload that is not an object, a junk attachment, spreadsheet
formulas. Files stay under --out, nothing outside changes mode, the export completes and
lists the bad change in quarantine, from where the administrator removes it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from officekit import OFFICE_PASSPHRASE, Laptop, Office, uid

from kitchentable.office import keys
from kitchentable.office.cli import main
from kitchentable.office.export import export
from kitchentable.sync.protocol import (
    Change,
    DeviceKeys,
    EnrolRequest,
    EnrolResponse,
    SealedPayload,
    attachment_info,
)
from kitchentable.sync.wire import canonical

PDF = b"%PDF-1.7\n% a plan\n%%EOF\n"


def _snapshot(external_id: str) -> bytes:
    return canonical({"snapshot": {"case": {"external_id": external_id}}, "digest": "d"})


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _private(office: Office) -> keys.OfficePrivateKeys:
    return keys.unlock(office.data, OFFICE_PASSPHRASE)


def _listing(out: Path) -> list[dict[str, str]]:
    with (out / "quarantine" / "listing.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _case(laptop: Laptop, name: str, plaintext: bytes) -> Any:
    return laptop.change(name, plaintext, entity="case", case_ref=None)


def _raw(laptop: Laptop, entity_id: str, case_ref: str | None, plaintext: bytes = b"{}") -> Change:
    """A change with names exactly as given (`Laptop.change` turns names into UUIDs)."""
    laptop.seq += 1
    return Change.create(
        id=str(uuid.uuid4()),
        device_id=laptop.enrolment.device_id,
        seq=laptop.seq,
        entity="case" if case_ref is None else "answer",
        entity_id=entity_id,
        case_ref=case_ref,
        base_version=0,
        last_seen_server_version=0,
        plaintext=plaintext,
        office_box_public=laptop.enrolment.office_box_public,
        sign_private=laptop.keys.sign_private,
    )


def _everything(folder: Path) -> dict[Path, tuple[int, bytes]]:
    return {
        p: (_mode(p), p.read_bytes() if p.is_file() else b"")
        for p in sorted(folder.rglob("*"))
        if not p.is_symlink()
    }


def test_the_server_accepts_only_canonical_uuids_for_names(office: Office) -> None:
    anna = office.enrol()
    bad = [
        _raw(anna, "..", None),
        _raw(anna, "../../etc", None),
        _raw(anna, uid("a-2"), ".."),
        _raw(anna, uid("a-3").upper(), None),
        _raw(anna, "M-2026-0001", uid("case-1")),
    ]
    results = office.push(anna, bad)
    assert [(r["status"], r["reason"]) for r in results] == [("rejected", "malformed")] * 5
    assert office.store.changes() == []


def test_a_traversing_name_from_an_old_database_stays_inside_out_and_is_quarantined(
    office: Office, tmp_path: Path
) -> None:
    anna = office.enrol()
    # Stored as an older server did, without the UUID check of today's push.
    evil = _raw(anna, "..", None, _snapshot("M-1"))
    good = _case(anna, "case-good", _snapshot("M-2"))
    for index, change in enumerate((evil, good)):
        assert office.store.record_change(index, change, office.clock()).status == "accepted"
    sandbox = tmp_path / "sandbox"
    parent = sandbox / "exports"
    parent.mkdir(parents=True)
    parent.chmod(0o755)
    (sandbox / "other.txt").write_text("untouched", encoding="utf-8")
    out = parent / "today"
    before = _everything(sandbox)
    counts = export(office.store, _private(office), out)
    assert counts["cases"] == 1 and counts["quarantined"] == 1
    assert _mode(parent) == 0o755  # the parent was not made by export: its mode stays
    assert _mode(out) == 0o700
    after = {p: v for p, v in _everything(sandbox).items() if p != out and out not in p.parents}
    assert after == before  # nothing outside --out was made, written or chmod-ed
    assert [row["reason"] for row in _listing(out)] == ["unsafe_name"]
    written = out / uid("case-good") / "case-v2.json"
    assert written.is_file() and _mode(written) == 0o600
    assert _mode(out / "overview.csv") == 0o600 and _mode(out / uid("case-good")) == 0o700


def test_a_folder_that_was_there_keeps_its_mode_and_a_planted_link_is_refused(
    office: Office, tmp_path: Path
) -> None:
    anna = office.enrol()
    change = _case(anna, "case-1", _snapshot("M-1"))
    office.push(anna, [change])
    out = tmp_path / "out"
    out.mkdir(mode=0o750)
    out.chmod(0o750)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / uid("case-1")).symlink_to(elsewhere)
    counts = export(office.store, _private(office), out)
    assert _mode(out) == 0o750
    assert list(elsewhere.iterdir()) == []
    assert counts["quarantined"] == 1
    assert _listing(out)[0]["reason"] == "outside_export_folder"


def test_a_payload_that_is_not_an_object_is_quarantined_and_the_rest_exported(
    office: Office, tmp_path: Path
) -> None:
    anna = office.enrol()
    changes = [
        _case(anna, "case-1", b"[1, 2, 3]"),
        _case(anna, "case-2", b'"just a string"'),
        _case(anna, "case-3", canonical({"snapshot": "not a case"})),
        _case(anna, "case-4", b"\xff\xfe not json"),
        _case(anna, "case-5", _snapshot("M-5")),
    ]
    assert [r["status"] for r in office.push(anna, changes)] == ["accepted"] * 5
    out = tmp_path / "out"
    for _ in range(2):  # and again: a bad change never stops a later export
        counts = export(office.store, _private(office), out)
        assert counts["cases"] == 1 and counts["quarantined"] == 4
    reasons = sorted(row["reason"] for row in _listing(out))
    assert reasons == [
        "payload_not_an_object",
        "payload_not_an_object",
        "payload_shape",
        "unreadable_payload",
    ]
    assert {c.change_id for c in office.store.quarantined()} == {c.id for c in changes[:4]}
    for held in office.store.quarantined():
        office.store.remove_quarantined(held.change_id)
    counts = export(office.store, _private(office), tmp_path / "clean")
    assert (counts["cases"], counts["quarantined"]) == (1, 0)
    assert [c["id"] for c in office.store.changes()] == [changes[4].id]


def _plan(laptop: Laptop, office: Office, attachment: bytes, pdf_sha: str) -> Any:
    sha = office.store.put_blob(
        attachment, "attachment", office.clock(), laptop.enrolment.device_id
    )
    payload = canonical({"document_id": "d", "plan": {}, "pdf": {"sha256": pdf_sha, "size": 1}})
    return laptop.change("plan-1", payload, entity="plan", case_ref="case-1", attachments=(sha,))


def test_a_junk_attachment_quarantines_its_plan_and_a_good_one_is_written(
    office: Office, tmp_path: Path
) -> None:
    anna = office.enrol()
    office.push(anna, [_case(anna, "case-1", _snapshot("M-1"))])
    pdf_sha = hashlib.sha256(PDF).hexdigest()
    box = anna.enrolment.office_box_public
    good = canonical(SealedPayload.seal(box, PDF, attachment_info(pdf_sha)).to_wire())
    wrong_info = canonical(SealedPayload.seal(box, PDF, attachment_info("0" * 64)).to_wire())
    junk = [b"not even json", canonical({"v": 1}), wrong_info]
    plans = [_plan(anna, office, blob, pdf_sha) for blob in junk]
    plans.append(_plan(anna, office, good, pdf_sha))
    assert [r["status"] for r in office.push(anna, plans)] == [
        "accepted", "conflict", "conflict", "conflict"
    ]  # fmt: skip
    counts = export(office.store, _private(office), tmp_path / "out")
    assert counts["plans"] == 1 and counts["quarantined"] == 3
    assert {row["reason"] for row in _listing(tmp_path / "out")} == {"attachment_unreadable"}
    (pdf,) = (tmp_path / "out" / uid("case-1")).glob("*.pdf")
    assert pdf.read_bytes() == PDF and _mode(pdf) == 0o600


def _enrol_as(office: Office, consultant: str, label: str) -> Laptop:
    code = office.store.create_code(consultant, office.clock())
    device = DeviceKeys.generate()
    answer = office.client.post(
        "/api/v1/enrol", json=EnrolRequest.create(code, label, device).to_wire()
    )
    assert answer.status_code == 200, answer.text
    return Laptop(device, EnrolResponse.from_wire(answer.json()))


@pytest.mark.parametrize(
    "formula",
    ["=HYPERLINK(\"http://x\",\"y\")", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
     "\t=1", "\r=1"],
)  # fmt: skip
def test_spreadsheet_formulas_from_a_device_are_text_in_overview_csv(
    office: Office, tmp_path: Path, formula: str
) -> None:
    laptop = _enrol_as(office, formula[:60], formula[:60])
    office.push(laptop, [_case(laptop, "case-1", _snapshot(formula))])
    export(office.store, _private(office), tmp_path / "out")
    with (tmp_path / "out" / "overview.csv").open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[1].count("'" + formula) == 3  # consultant, device label, external id
    assert text.count('"') >= 2 * len(rows[0]) * 2  # every cell quoted


@pytest.mark.sqlite_only  # the command opens the office's own database file
def test_the_quarantine_command_lists_and_removes_only_after_an_export(
    office: Office,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    office.assign("case-1", "anna")
    anna, home = office.enrol(), office.enrol()
    office.push(anna, [anna.change("a-1", b"{}", case_ref="case-1")])
    bad = anna.change(
        "a-1",
        b"[]",
        case_ref="case-1",
        base_version=1,
        copy_to=((home.enrolment.device_id, home.keys.box_public),),
    )
    assert office.push(anna, [bad])[0]["status"] == "accepted"
    data = str(office.data)
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    assert main(["quarantine", "--data", data, "--remove", bad.id]) == 1
    assert "not in quarantine" in capsys.readouterr().err
    assert main(["export", "--data", data, "--out", str(tmp_path / "out")]) == 0
    assert "1 held back in quarantine" in capsys.readouterr().out
    assert main(["quarantine", "--data", data]) == 0
    listed = capsys.readouterr().out
    assert bad.id in listed and "payload_not_an_object" in listed and "anna" in listed
    assert main(["quarantine", "--data", data, "--remove", bad.id]) == 0
    assert [c["id"] for c in office.store.changes()] != [] and bad.id not in {
        c["id"] for c in office.store.changes()
    }
    # The record is back on the last good version; the copy in the colleague's feed is gone.
    with office.store.backend.transaction() as cur:
        record = cur.execute("SELECT server_version FROM records").fetchone()
        peers = cur.execute("SELECT count(*) FROM feed WHERE kind = 'peer_change'").fetchone()
    assert (record[0], peers[0]) == (1, 0)
    pulled = office.client.get("/api/v1/pull?cursor=0", headers=home.auth)
    assert pulled.status_code == 200
    assert main(["quarantine", "--data", data]) == 0
    assert "Nothing is in quarantine." in capsys.readouterr().out
    counts = export(office.store, _private(office), tmp_path / "again")
    assert counts["quarantined"] == 0
    assert json.loads(next((tmp_path / "again").rglob("*.json")).read_text())["content"] == {}
