"""What the office takes as a laptop's access log: only its own, signed with its key, sealed
to the office; kept once; and checked by the administrator's command against what came
before (tests/sync_e2e/test_access_log.py and test_access_log_attacks.py run the attacks
end to end)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from officekit import OFFICE_PASSPHRASE, Laptop, Office

from kitchentable.office import access_audit, keys
from kitchentable.office import cli as office_cli
from kitchentable.office.access_audit import Kind, Mark
from kitchentable.office.store import CONFIG_NAME, DB_NAME, access_logs
from kitchentable.storage.crypto import x25519_keypair
from kitchentable.sync.protocol import (
    GENESIS,
    Anchor,
    AuditLine,
    LogHead,
    LogReport,
    witnesses,
)

AT = "2026-03-02T09:00:00+00:00"
START = Anchor(0, GENESIS)


def lines(*actions: str, start: int = 1) -> list[AuditLine]:
    return [
        AuditLine(n, f"2026-03-02T09:{n:02d}", "anna", action, "case", "c1", "c1", "ok", "app")
        for n, action in enumerate(actions, start=start)
    ]


def report(
    laptop: Laptop,
    sent: list[AuditLine],
    anchor: Anchor = START,
    head: LogHead | None = None,
    **kw: object,
) -> LogReport:
    """A report as the laptop signs it; `head` when it signs another than its lines lead to."""
    full = witnesses(anchor.witness, sent)
    last = sent[-1].id if sent else anchor.id
    head = head or LogHead(last, "a" * 64, full[-1] if full else anchor.witness, None, AT)
    made = LogReport.create(
        device_id=laptop.enrolment.device_id,
        head=head,
        anchor=anchor,
        lines=sent,
        office_box_public=laptop.enrolment.office_box_public,
        sign_private=laptop.keys.sign_private,
    )
    return replace(made, **kw) if kw else made


def post(office: Office, laptop: Laptop, made: LogReport) -> tuple[int, dict[str, object]]:
    answer = office.client.post("/api/v1/log", json=made.to_wire(), headers=laptop.auth)
    return answer.status_code, answer.json()


def test_a_laptop_sends_only_its_own_signed_log_sealed_to_the_office(office: Office) -> None:
    anna, bram = office.enrol("anna"), office.enrol("bram")
    good = report(anna, lines("case.open", "case.export"))
    assert post(office, anna, good) == (200, {"v": 1, "held": 2})
    assert post(office, anna, good) == (200, {"v": 1, "held": 2})  # a retry is kept once
    assert len(office.store.log_reports(anna.enrolment.device_id)) == 1
    # Bram's laptop cannot put lines in Anna's log, nor sign as Anna.
    status, body = post(office, bram, good)
    assert (status, body["error"]) == (403, "wrong_device")
    forged = replace(report(anna, lines("case.open", start=3)), signature=bytes(64))
    assert post(office, anna, forged)[0] == 400
    # Lines sealed to another key than the office's are refused: the office must be able
    # to open what it keeps.
    _, other = x25519_keypair()
    elsewhere = LogReport.create(
        device_id=anna.enrolment.device_id,
        head=good.head,
        anchor=Anchor(0, GENESIS),
        lines=[],
        office_box_public=other,
        sign_private=anna.keys.sign_private,
    )
    status, body = post(office, anna, elsewhere)
    assert (status, body["error"]) == (400, "wrong_recipient")
    assert len(office.store.log_reports(anna.enrolment.device_id)) == 1


def test_the_office_keeps_the_lines_sealed(office: Office) -> None:
    anna = office.enrol("anna")
    marker = "Zwijgzaam-Markering"
    sent = [replace(lines("case.open")[0], actor=marker)]
    assert post(office, anna, report(anna, sent))[0] == 200
    with office.store.backend.transaction(write=False) as cur:
        stored = repr(cur.execute("SELECT * FROM access_reports").fetchall())
    assert marker not in stored and "case.open" not in stored


def test_the_audit_compares_each_report_with_what_came_before(office: Office) -> None:
    anna = office.enrol("anna")
    first = lines("profile.unlock", "case.open", "case.export", "case.open")
    chain = witnesses(GENESIS, first)
    post(office, anna, report(anna, first))
    # Next sync: two new lines after line 4, as the laptop holds line 4 now.
    second = lines("plan.draft", "sync.run", start=5)
    post(office, anna, report(anna, second, Anchor(4, chain[-1])))
    private = keys.unlock(office.data, OFFICE_PASSPHRASE)
    (found,) = access_audit.audit(office.store, private.box_private, anna.enrolment.device_id)
    assert found.problems == [] and len(found.entries) == 6
    # A report whose anchor is not what the office received (the laptop's older lines were
    # changed and it did not send them again): the office says so.
    third = lines("case.open", start=7)
    post(office, anna, report(anna, third, Anchor(6, "f" * 64)))
    (found,) = access_audit.audit(office.store, private.box_private, anna.enrolment.device_id)
    assert [p.kind for p in found.problems] == [Kind.REWRITTEN]
    # The whole log again, with the export gone: the office names the line.
    kept = [line for line in first + second + third if line.action != "case.export"]
    again = [replace(line, id=n) for n, line in enumerate(kept, start=1)]
    post(office, anna, report(anna, again))
    (found,) = access_audit.audit(office.store, private.box_private, anna.enrolment.device_id)
    removed = [e.line.action for e in found.entries if e.mark == Mark.REMOVED]
    assert removed == ["case.export"] and Kind.REMOVED in {p.kind for p in found.problems}


def test_a_report_taken_from_or_changed_in_the_offices_own_store_shows(office: Office) -> None:
    """Someone with the office database (not the laptop) deletes or edits a kept report: the
    next report no longer continues what the office holds, and an edited one is not the
    device's signature any more."""
    anna = office.enrol("anna")
    first = lines("case.open", "case.export")
    chain = witnesses(GENESIS, first)
    post(office, anna, report(anna, first))
    second = lines("case.open", start=3)
    post(office, anna, report(anna, second, Anchor(2, chain[-1])))
    with office.store.backend.transaction() as cur:
        cur.execute("DELETE FROM access_reports WHERE anchor_id = 0")
    private = keys.unlock(office.data, OFFICE_PASSPHRASE)
    (found,) = access_audit.audit(office.store, private.box_private, anna.enrolment.device_id)
    assert [p.kind for p in found.problems] == [Kind.GAP]
    with office.store.backend.transaction() as cur:
        (envelope,) = cur.execute("SELECT envelope FROM access_reports").fetchone()
        cur.execute(
            "UPDATE access_reports SET envelope = ?", [envelope.replace('"last":3', '"last":4')]
        )
    (found,) = access_audit.audit(office.store, private.box_private, anna.enrolment.device_id)
    assert Kind.SIGNATURE in {p.kind for p in found.problems}


def command_data(office: Office) -> Path:
    """The office's data folder as the command finds it (PostgreSQL: office.json)."""
    url = getattr(office.store.backend, "_url", None)
    if url is not None and not (office.data / DB_NAME).exists():
        (office.data / CONFIG_NAME).write_text(json.dumps({"database": url}), encoding="utf-8")
    return office.data


def test_lines_that_do_not_lead_to_the_signed_head_are_found(
    office: Office, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A laptop whose software was replaced (an insider with the passphrase holds the device
    key) signs the head over its real log but sends a copy in which the export reads as an
    opening: the lines do not lead to the witness it signed."""
    anna = office.enrol("anna")
    real = lines("case.open", "case.export", "case.open")
    shown = [replace(line, action="case.open") for line in real]
    head = LogHead(3, "a" * 64, witnesses(GENESIS, real)[-1], None, AT)
    assert post(office, anna, report(anna, shown, head=head)) == (200, {"v": 1, "held": 3})
    private = keys.unlock(office.data, OFFICE_PASSPHRASE)
    (found,) = access_audit.audit(office.store, private.box_private, anna.enrolment.device_id)
    assert [(p.kind, p.line) for p in found.problems] == [(Kind.HEAD, 3)]
    assert "do not lead to the head the laptop signed" in found.problems[0].message
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    data = command_data(office)
    assert office_cli.main(["log", "--data", str(data), "--device", anna.enrolment.device_id]) == 1
    assert "1 finding(s)" in capsys.readouterr().out


def test_a_report_that_stops_short_of_its_head_is_held_to_it_later(office: Office) -> None:
    """The replaced software sends the lines up to just before the export and signs the head
    over the whole log (as the first part of a long log would); at the next sync it sends
    the export's place as an opening. The office held the signed head: the line that came
    does not lead to it. The honest rest of a report cut short is no finding."""
    private = keys.unlock(office.data, OFFICE_PASSPHRASE)
    real = lines("case.open", "case.open", "case.export")
    chain = witnesses(GENESIS, real)
    signed = LogHead(3, "a" * 64, chain[-1], None, AT)
    bram = office.enrol("bram")
    post(office, bram, report(bram, real[:2], head=signed))
    post(office, bram, report(bram, real[2:], Anchor(2, chain[1])))
    (found,) = access_audit.audit(office.store, private.box_private, bram.enrolment.device_id)
    assert found.problems == [] and len(found.entries) == 3
    anna = office.enrol("anna")
    post(office, anna, report(anna, real[:2], head=signed))
    (found,) = access_audit.audit(office.store, private.box_private, anna.enrolment.device_id)
    assert found.problems == []  # the rest may still come: a connection can drop
    later = [replace(real[2], action="case.open"), *lines("sync.run", start=4)]
    post(office, anna, report(anna, later, Anchor(2, chain[1])))
    (found,) = access_audit.audit(office.store, private.box_private, anna.enrolment.device_id)
    assert [(p.kind, p.line) for p in found.problems] == [(Kind.HEAD, 3)]
    # Or it cuts the export off before the next sync: its log no longer reaches the head.
    carl = office.enrol("carl")
    post(office, carl, report(carl, real[:2], head=signed))
    post(office, carl, report(carl, [], Anchor(2, chain[1])))
    (found,) = access_audit.audit(office.store, private.box_private, carl.enrolment.device_id)
    assert [(p.kind, p.line) for p in found.problems] == [(Kind.HEAD, 3)]


@pytest.mark.sqlite_only  # the command opens the data folder's own SQLite store
def test_log_for_a_case_shows_a_finding_whose_lost_lines_may_be_about_it(
    office: Office, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The only report with lines about case c1 is deleted from the office's store: the
    laptop now holds lines about c2 only, and `log --case c1` must still fail on the gap."""
    anna = office.enrol("anna")
    first = lines("case.open", "case.export")
    post(office, anna, report(anna, first))
    second = [replace(line, case_ref="c2", case_id="c2") for line in lines("case.open", start=3)]
    post(office, anna, report(anna, second, Anchor(2, witnesses(GENESIS, first)[-1])))
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    assert office_cli.main(["log", "--data", str(office.data), "--case", "c1"]) == 0
    assert "case.export" in capsys.readouterr().out
    with office.store.backend.transaction() as cur:
        cur.execute("DELETE FROM access_reports WHERE anchor_id = 0")
    assert office_cli.main(["log", "--data", str(office.data), "--case", "c1"]) == 1
    out = capsys.readouterr().out
    assert "No laptop has reported a line about case c1." in out
    assert "Laptops with a finding are shown too" in out and "1 finding(s)" in out


def test_a_laptop_cannot_fill_the_offices_disk_with_log_reports(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replaced software on an enrolled laptop sends report after report (each a new anchor,
    so none is a retry): past a day's budget the office answers 429 and keeps nothing more
    that day; the next day it takes reports again."""
    monkeypatch.setattr(access_logs, "DAILY_BYTES", 6_000)
    anna = office.enrol("anna")

    def sent(at: int) -> LogReport:
        return report(anna, lines(*(["case.open"] * 5), start=at + 1), Anchor(at, GENESIS))

    held, refused = 0, 0
    for n in range(1, 21):
        status, answer = post(office, anna, sent(n * 10))
        if status == 200:
            held += 1
        else:
            assert (status, answer["error"]) == (429, "log_budget"), answer
            refused += 1
    with office.store.backend.transaction() as cur:
        (total,) = cur.execute("SELECT SUM(LENGTH(envelope)) FROM access_reports").fetchone()
    assert held >= 1 and refused >= 1 and int(total) <= 6_000
    office.clock.advance(days=1, seconds=1)
    assert post(office, anna, sent(990))[0] == 200
