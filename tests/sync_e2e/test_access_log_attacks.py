"""More attacks on the laptop's access log, each found at the office after the next sync
(docs/security.md, "The access log at the office"): a line inserted before lines the office
had, a sealed detail moved to another line, line numbers skipped, and the laptop's own check
failing. The attacker edits the laptop's SQLite file as someone with the passphrase (so
with the chain key) would — or, for the last, as someone with the file only. Each runs on
SQLite and PostgreSQL, and `kitchentable-office log` exits 1 on the finding.
(Lines that do not lead to the signed head: tests/office/test_access_reports.py, as the
reports a laptop with replaced software signs.)"""

from __future__ import annotations

from typing import Any

import pytest
from synckit import OFFICE_PASSPHRASE, OfficeServer

from kitchentable.office import cli as office_cli
from kitchentable.office.access_audit import DeviceLog, Kind, Mark, Problem
from kitchentable.services import Profile, sync
from kitchentable.storage.database import create_access_log_triggers
from tests.sync_e2e.test_access_log import (
    _command_data,
    kinds,
    line_id,
    office_log,
    rechain,
    without_triggers,
    worked,
)


def only(found: DeviceLog, kind: Kind) -> Problem:
    """The one finding the attack leaves: any other would hide whether this one is made."""
    assert [p.kind for p in found.problems] == [kind], found.problems
    return found.problems[0]


def command(
    office: OfficeServer,
    laptop: Profile,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str]:
    """`kitchentable-office log --device ID`, as the administrator's scheduled run."""
    enrolment = sync.enrolment_of(laptop)
    assert enrolment is not None
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    data = _command_data(office)
    capsys.readouterr()
    status = office_cli.main(["log", "--data", str(data), "--device", enrolment.device_id])
    return status, capsys.readouterr().out


def insert_line(laptop: Profile, at_id: int, action: str) -> None:
    """The attacker's tool, with the passphrase: make room at `at_id` (every later line one
    up, its sealed detail sealed again for its new place, so nothing reads as moved), write
    a line there that looks like the one before it, and re-chain."""
    keys, db = laptop.keys, laptop.db
    db.execute("DROP TRIGGER access_log_no_update")
    db.execute("DROP TRIGGER access_log_no_delete")
    later = db.execute(
        "SELECT id, detail FROM access_log WHERE id >= ? ORDER BY id DESC", [at_id]
    ).fetchall()
    for old, detail in later:
        if detail is not None:
            value = keys.open("access_log", str(old), 1, detail)
            detail = keys.seal("access_log", str(old + 1), 1, value)
        db.execute("UPDATE access_log SET id = ?, detail = ? WHERE id = ?", [old + 1, detail, old])
    db.execute(
        "INSERT INTO access_log(id, at, actor, action, object, case_id, result, origin, "
        "chain, detail, format) SELECT ?, at, actor, ?, object, case_id, result, origin, "
        "chain, NULL, format FROM access_log WHERE id = ?",
        [at_id, action, at_id - 1],
    )
    create_access_log_triggers(db)
    db.conn.commit()
    rechain(laptop)


def test_a_line_inserted_before_lines_the_office_had_is_found(
    office: OfficeServer,
    laptop_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After the export reached the office, the insider backdates a consent line just before
    it (renumbering, re-sealing and re-chaining what follows): the laptop calls its log
    intact, the office names the line that appeared."""
    laptop = laptop_factory()
    worked(laptop)
    export = line_id(laptop, "case.export")
    insert_line(laptop, export, "case.consent")
    assert line_id(laptop, "case.consent") == export
    sync.synchronise(laptop)
    found = office_log(office, laptop)
    problem = only(found, Kind.INSERTED)
    assert problem.line == export and "case.consent" in problem.message
    (inserted,) = [e for e in found.entries if e.mark == Mark.INSERTED]
    assert inserted.line.action == "case.consent" and inserted.line.id == export
    # The export itself still reads as the office received it: held, not changed.
    exports = [e for e in found.entries if e.line.action == "case.export"]
    assert [e.mark for e in exports] == [Mark.HELD]
    status, out = command(office, laptop, monkeypatch, capsys)
    assert status == 1
    assert "[APPEARED LATER, BEFORE LINES THE OFFICE HAD]" in out and "1 finding(s)" in out


def test_a_sealed_detail_moved_to_another_line_is_found(
    office: OfficeServer,
    laptop_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before the next sync, the insider moves the sealed detail of the last sync's line
    onto the next line (and re-chains): each link covers the detail as stored, so the
    laptop calls it intact, but a detail is sealed for its own line and no longer opens."""
    laptop = laptop_factory()
    worked(laptop)
    laptop.open_conversation("M-2026-0501")  # written after the office had the log
    run, opened = line_id(laptop, "sync.run"), laptop.access.lines()[-1].id
    assert opened == run + 1
    without_triggers(
        laptop,
        (
            "UPDATE access_log SET detail = (SELECT detail FROM access_log WHERE id = ?) "
            "WHERE id = ?",
            [run, opened],
        ),
        ("UPDATE access_log SET detail = NULL WHERE id = ?", [run]),
    )
    rechain(laptop)
    sync.synchronise(laptop)
    found = office_log(office, laptop)
    problem = only(found, Kind.DETAIL)
    assert problem.line == opened and "does not open" in problem.message
    moved = next(e.line for e in found.entries if e.line.id == opened)
    assert moved.sealed_detail and moved.detail is None
    status, out = command(office, laptop, monkeypatch, capsys)
    assert status == 1 and "(detail does not open on the laptop)" in out


def test_line_numbers_skipped_in_a_report_are_found(
    office: OfficeServer,
    laptop_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before the next sync, the insider deletes a second export the office never received,
    and re-chains the rest under their own numbers: the office sees the number missing
    between the lines it is sent."""
    laptop = laptop_factory()
    worked(laptop)
    laptop.export_case("M-2026-0501")
    laptop.open_conversation("M-2026-0501")
    export = max(line.id for line in laptop.access.lines() if line.action == "case.export")
    without_triggers(laptop, ("DELETE FROM access_log WHERE id = ?", [export]))
    db = laptop.db
    db.execute("DROP TRIGGER access_log_no_update")
    with db.atomic():
        laptop.access.rechain(laptop.keys)
    create_access_log_triggers(db)
    db.conn.commit()
    assert export not in [line.id for line in laptop.access.lines()]
    sync.synchronise(laptop)
    found = office_log(office, laptop)
    gaps = [p for p in found.problems if p.kind == Kind.GAP]
    assert [p.line for p in gaps] == [export], found.problems
    assert f"lines {export}–{export} are missing" in gaps[0].message
    # The laptop's own check counts ids too, so it fails as well (and says so): the office
    # needs no other finding to name the missing number.
    assert kinds(found) == {Kind.GAP, Kind.BROKEN}
    status, out = command(office, laptop, monkeypatch, capsys)
    assert status == 1 and "are missing from the laptop's log" in out


def test_the_laptops_own_check_failing_is_found(
    office: OfficeServer,
    laptop_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Someone with the laptop's database file but not the passphrase (so not the chain
    key) turns a new export, not yet at the office, into an opening: the office cannot
    compare a line it never had, but the laptop's own check breaks at that line and the
    signed head says so."""
    laptop = laptop_factory()
    worked(laptop)
    laptop.export_case("M-2026-0501")
    laptop.open_conversation("M-2026-0501")
    export = max(line.id for line in laptop.access.lines() if line.action == "case.export")
    without_triggers(laptop, ("UPDATE access_log SET action = 'case.open' WHERE id = ?", [export]))
    assert laptop.access.verify() == export
    sync.synchronise(laptop)
    found = office_log(office, laptop)
    problem = only(found, Kind.BROKEN)
    assert problem.line == export
    assert found.head is not None and found.head.broken_at == export
    status, out = command(office, laptop, monkeypatch, capsys)
    assert status == 1
    assert f"the laptop's own check finds its log broken from line {export}" in out
