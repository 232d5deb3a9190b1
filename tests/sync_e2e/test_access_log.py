"""The access log the office can trust (NEN 7513), written as the attacks: someone with the
laptop's passphrase (so with the chain key) cuts lines off the end, deletes a line and
re-chains the rest, or strips a line of its detail — each is found at the office after the
next sync, on SQLite and on PostgreSQL. The laptop's own check says "intact" wherever the
attacker re-chained: only the office's copy can tell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from synckit import OFFICE_PASSPHRASE, OfficeServer

from kitchentable.office import access_audit
from kitchentable.office import cli as office_cli
from kitchentable.office.access_audit import DeviceLog, Kind, Mark
from kitchentable.office.store import CONFIG_NAME, DB_NAME
from kitchentable.services import Profile, sync
from kitchentable.storage.audit import Head
from kitchentable.storage.database import create_access_log_triggers
from kitchentable.sync import logship
from tests.core.helpers import case_document


def office_log(office: OfficeServer, laptop: Profile) -> DeviceLog:
    enrolment = sync.enrolment_of(laptop)
    assert enrolment is not None
    (found,) = access_audit.audit(office.store, office.private.box_private, enrolment.device_id)
    return found


def kinds(found: DeviceLog) -> set[Kind]:
    return {p.kind for p in found.problems}


def worked(laptop: Profile) -> None:
    """A day's work: cases, an export (the line an insider would want gone), a sync."""
    laptop.import_cases(case_document("M-2026-0501"))
    laptop.open_conversation("M-2026-0501")
    laptop.export_case("M-2026-0501")
    laptop.open_conversation("M-2026-0501")
    sync.synchronise(laptop)


def line_id(laptop: Profile, action: str) -> int:
    return next(line.id for line in laptop.access.lines() if line.action == action)


def without_triggers(laptop: Profile, *statements: tuple[str, list[Any]]) -> None:
    """What an attacker with the database file does: drop the append-only triggers, edit."""
    db = laptop.db
    db.execute("DROP TRIGGER access_log_no_update")
    db.execute("DROP TRIGGER access_log_no_delete")
    for sql, params in statements:
        db.execute(sql, params)
    create_access_log_triggers(db)
    db.conn.commit()


def rechain(laptop: Profile) -> None:
    """With the chain key (the passphrase), every link is recomputed: the laptop's own
    check then says the log is intact."""
    db = laptop.db
    db.execute("DROP TRIGGER access_log_no_update")
    with db.atomic():
        laptop.access.rechain(laptop.keys)
    create_access_log_triggers(db)
    db.conn.commit()
    assert laptop.access.verify() is None


def test_an_honest_log_reaches_the_office_whole_and_verified(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    worked(laptop)
    sync.synchronise(laptop)
    found = office_log(office, laptop)
    assert found.problems == []
    assert found.head is not None and found.reports == 2
    actions = [e.line.action for e in found.entries]
    assert actions[:2] == ["profile.create", "sync.enrol"] and "case.export" in actions
    assert all(e.mark == Mark.HELD for e in found.entries)
    # The office knows the case under its own id, and the detail of a line came along.
    export = next(e.line for e in found.entries if e.line.action == "case.export")
    assert export.case_ref is not None
    enrol = next(e.line for e in found.entries if e.line.action == "sync.enrol")
    assert enrol.detail == {"device": sync.enrolment_of(laptop).device_id}  # type: ignore[union-attr]


def test_lines_cut_off_the_end_are_found_at_the_office_after_the_next_sync(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    worked(laptop)
    cut_from = line_id(laptop, "case.export")
    # Cut the log back to just before the export, and seal a head that matches: the
    # laptop's own check now calls the shorter log intact.
    rows, _ = laptop.access.snapshot()
    keep = next(r for r in rows if r.id == cut_from - 1)
    without_triggers(laptop, ("DELETE FROM access_log WHERE id >= ?", [cut_from]))
    with laptop.db.atomic():
        laptop.access._put_head(Head(keep.id, keep.chain))  # the attacker's own tool
    assert laptop.access.verify() is None
    sync.synchronise(laptop)
    found = office_log(office, laptop)
    assert Kind.TRUNCATED in kinds(found), found.problems
    gone = [e for e in found.entries if e.mark == Mark.REMOVED]
    assert "case.export" in [e.line.action for e in gone]
    assert gone[0].line.id == cut_from


def test_a_deleted_and_rechained_line_is_found_at_the_office_after_the_next_sync(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    worked(laptop)
    export = line_id(laptop, "case.export")
    # Delete the export, close the gap by renumbering, and re-chain with the chain key.
    without_triggers(
        laptop,
        ("DELETE FROM access_log WHERE id = ?", [export]),
        ("UPDATE access_log SET id = id - 1 WHERE id > ?", [export]),
    )
    rechain(laptop)
    assert "case.export" not in [line.action for line in laptop.access.lines()]
    sync.synchronise(laptop)
    found = office_log(office, laptop)
    assert Kind.REMOVED in kinds(found), found.problems
    (removed,) = [e for e in found.entries if e.mark == Mark.REMOVED]
    assert removed.line.action == "case.export" and removed.line.id == export
    problem = next(p for p in found.problems if p.kind == Kind.REMOVED)
    assert "case.export" in problem.message and "re-chained" in problem.message


@pytest.mark.parametrize("rechained", [False, True], ids=["plain", "rechained"])
def test_a_nulled_detail_is_found_at_the_office_after_the_next_sync(
    office: OfficeServer, laptop_factory: Any, rechained: bool
) -> None:
    laptop = laptop_factory()
    worked(laptop)
    enrol = line_id(laptop, "sync.enrol")
    without_triggers(laptop, ("UPDATE access_log SET detail = NULL WHERE id = ?", [enrol]))
    if rechained:
        rechain(laptop)
    else:
        assert laptop.access.verify() == enrol
    sync.synchronise(laptop)
    found = office_log(office, laptop)
    assert Kind.CHANGED in kinds(found), found.problems
    (changed,) = [e for e in found.entries if e.mark == Mark.CHANGED]
    assert changed.line.action == "sync.enrol" and changed.line.detail is not None
    assert changed.now is not None and changed.now.detail is None
    problem = next(p for p in found.problems if p.kind == Kind.CHANGED)
    assert "detail was removed" in problem.message
    # Without the chain key, the laptop's own check fails too, and says so to the office.
    assert (Kind.BROKEN in kinds(found)) is not rechained


def test_a_rekey_rechains_the_log_without_alarming_the_office(
    office: OfficeServer, laptop_factory: Any
) -> None:
    """`passwd --rekey` recomputes every link under a new key: the office's witnesses do
    not depend on it, so an honest rekey is no finding."""
    laptop = laptop_factory()
    worked(laptop)
    laptop.rekey("a brand new passphrase 42")
    sync.synchronise(laptop)
    assert office_log(office, laptop).problems == []


def test_the_office_log_command_shows_who_did_what_and_fails_on_a_finding(
    office: OfficeServer,
    laptop_factory: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    laptop = laptop_factory()
    worked(laptop)
    enrolment = sync.enrolment_of(laptop)
    assert enrolment is not None
    data = _command_data(office)
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    case_ref = next(e.line.case_ref for e in office_log(office, laptop).entries if e.line.case_ref)
    assert case_ref is not None
    assert office_cli.main(["log", "--data", str(data), "--case", case_ref]) == 0
    out = capsys.readouterr().out
    assert "case.export case" in out and "anna" in out and "no findings" in out
    assert "the last signed head: line" in out  # when the laptop last reported, and where
    # An assigned case is found by the office's own reference (the melding number) too.
    office.assign(
        [
            {
                "consultant": "anna",
                "external_id": "M-OFFICE-7",
                "melding_date": "2026-11-02",
                "form": "wmo-keukentafelgesprek",
                "person": {"name": "Inwoner"},
            }
        ]
    )
    sync.synchronise(laptop)
    laptop.open_conversation("M-OFFICE-7")
    sync.synchronise(laptop)
    assert office_cli.main(["log", "--data", str(data), "--case", "M-OFFICE-7"]) == 0
    out = capsys.readouterr().out
    assert "case.import case" in out and "case.open case" in out and "case.export" not in out
    export = line_id(laptop, "case.export")
    without_triggers(
        laptop,
        ("DELETE FROM access_log WHERE id = ?", [export]),
        ("UPDATE access_log SET id = id - 1 WHERE id > ?", [export]),
    )
    rechain(laptop)
    sync.synchronise(laptop)
    status = office_cli.main(["log", "--data", str(data), "--device", enrolment.device_id])
    out = capsys.readouterr().out
    assert status == 1
    assert "[REMOVED FROM THE LAPTOP'S LOG]" in out and "re-chained" in out
    # The renumbered lines with a detail carry it sealed for their old place: that shows too.
    assert "does not open on the laptop" in out and "1 finding(s)" not in out


def _command_data(office: OfficeServer) -> Path:
    """The office's data folder as the command finds it (PostgreSQL: office.json)."""
    url = getattr(office.store.backend, "_url", None)
    if url is not None and not (office.data / DB_NAME).exists():
        (office.data / CONFIG_NAME).write_text(f'{{"database": "{url}"}}', encoding="utf-8")
    return office.data


def test_a_log_read_in_parts_is_one_picture_even_when_lines_come_meanwhile(
    office: OfficeServer, laptop_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sync reads the log a part per database step; between two steps the consultant's
    # own work goes on and adds lines. What the office gets is still one consistent log.
    monkeypatch.setattr(logship, "READ_PART", 3)
    monkeypatch.setattr(logship, "READ_CHUNK", 3)
    read_part = logship.read_part
    added = []

    def meanwhile(local: Any, work: logship.LogPass) -> bool:
        done = read_part(local, work)
        if not done and len(added) < 2:
            local.access.record("case.open", "case")  # as an autosave step would, between
            added.append(work.lines[-1][0])
        return done

    monkeypatch.setattr(logship, "read_part", meanwhile)
    laptop = laptop_factory()
    worked(laptop)
    assert len(added) == 2
    sync.synchronise(laptop)
    found = office_log(office, laptop)
    assert found.problems == []
    assert [e.line.id for e in found.entries] == [line.id for line in laptop.access.lines()][:-1]
    # Cut off the end, read in parts again: found as before.
    cut_from = line_id(laptop, "case.export")
    rows, _ = laptop.access.snapshot()
    keep = next(r for r in rows if r.id == cut_from - 1)
    without_triggers(laptop, ("DELETE FROM access_log WHERE id >= ?", [cut_from]))
    with laptop.db.atomic():
        laptop.access._put_head(Head(keep.id, keep.chain))
    sync.synchronise(laptop)
    assert Kind.TRUNCATED in kinds(office_log(office, laptop))
