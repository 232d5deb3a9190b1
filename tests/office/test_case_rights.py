"""Authorisation per case, as a curious colleague's laptop would test it: it cannot change a
case that is not its consultant's, cannot learn its version, cannot slip its copies into
another laptop's feed; and the office's reassignment moves the right."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from officekit import OFFICE_PASSPHRASE, Laptop, Office, uid

from kitchentable.office import keys, publish
from kitchentable.office.cli import main
from kitchentable.office.store import Store
from kitchentable.office.store.rights import Right
from kitchentable.office.store.schema import migrate

VERSION_FIELDS = {"server_version", "current_version"}


def _pull(office: Office, laptop: Laptop) -> list[dict[str, Any]]:
    answer = office.client.get("/api/v1/pull?cursor=0", headers=laptop.auth)
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


def _refused(result: dict[str, Any], reason: str) -> None:
    assert (result["status"], result["reason"]) == ("rejected", reason), result
    assert not VERSION_FIELDS & result.keys(), result  # says why, reveals no version


def test_a_colleague_cannot_change_a_case_assigned_to_another_consultant(office: Office) -> None:
    case = office.assign("case-1", "anna")
    anna, bram = office.enrol("anna"), office.enrol("bram")
    (first,) = office.push(anna, [anna.change("answer-1", b"anna's", case_ref="case-1")])
    assert first["status"] == "accepted"
    version = first["server_version"]
    # Bram's laptop tries the record on its base, on the version it might guess, as the
    # case snapshot itself, and as a fresh record of that case.
    attempts = [
        bram.change("answer-1", b"FORGED", case_ref="case-1"),
        bram.change("answer-1", b"FORGED", base_version=version, case_ref="case-1"),
        bram.change(case, b"FORGED", entity="case", case_ref=None),
        bram.change("answer-9", b"FORGED", case_ref="case-1"),
    ]
    for result in office.push(bram, attempts):
        _refused(result, "not_your_case")
    assert "not assigned to this laptop's consultant" in result["message"]
    stored = office.store.changes()
    assert [c["device_id"] for c in stored] == [anna.enrolment.device_id]
    # A record of Anna's case cannot be moved into a case of Bram's own either.
    (moved,) = office.push(bram, [bram.change("answer-1", b"FORGED", case_ref="bram-case")])
    _refused(moved, "wrong_case")
    (snapshot,) = office.push(
        bram, [bram.change("bram-case", b"x", entity="case", case_ref="case-1")]
    )
    _refused(snapshot, "wrong_case")
    assert len(office.store.changes()) == 1


def test_a_colleague_learns_no_version_of_another_case(office: Office) -> None:
    office.assign("case-1", "anna")
    anna, bram = office.enrol("anna"), office.enrol("bram")
    sent = anna.change("answer-1", b"anna's", case_ref="case-1")
    assert office.push(anna, [sent])[0]["status"] == "accepted"
    # Resending Anna's change under Bram's device, or reusing its id: nothing of Anna's.
    reused = bram.change("answer-1", b"x", id=sent.id, case_ref="case-1")
    (result,) = office.push(bram, [reused])
    _refused(result, "id_reused")
    # Nothing in Bram's feed names the case.
    assert uid("case-1") not in json.dumps(_pull(office, bram))


def test_a_laptop_owns_the_case_it_created_and_no_other_laptop_may_push_it(
    office: Office,
) -> None:
    anna, anna_home, bram = office.enrol("anna"), office.enrol("anna"), office.enrol("bram")
    (made,) = office.push(anna, [anna.change("case-new", b"{}", entity="case", case_ref=None)])
    assert made["status"] == "accepted"
    assert office.store.rights()[uid("case-new")].device_id == anna.enrolment.device_id
    for laptop in (anna_home, bram):
        (result,) = office.push(
            laptop, [laptop.change("case-new", b"x", entity="case", case_ref=None)]
        )
        _refused(result, "not_your_case")
    (more,) = office.push(
        anna, [anna.change("case-new", b"{}", entity="case", case_ref=None, base_version=1)]
    )
    assert more["status"] == "accepted"


def test_copies_go_only_to_devices_of_the_consultant_on_the_case(office: Office) -> None:
    office.assign("case-1", "anna")
    anna, anna_home, bram = office.enrol("anna"), office.enrol("anna"), office.enrol("bram")

    def copy_to(*laptops: Laptop) -> tuple[tuple[str, bytes], ...]:
        return tuple((lap.enrolment.device_id, lap.keys.box_public) for lap in laptops)

    injected = anna.change("answer-1", b"spam", case_ref="case-1", copy_to=copy_to(bram))
    (result,) = office.push(anna, [injected])
    _refused(result, "foreign_copy")
    unknown = anna.change(
        "answer-1", b"spam", case_ref="case-1", copy_to=((str(uuid.uuid4()), bram.keys.box_public),)
    )
    _refused(office.push(anna, [unknown])[0], "foreign_copy")
    assert office.store.changes() == []
    assert not any("change" in entry for entry in _pull(office, bram))
    # To her own other laptop: stored, and that laptop's feed has it.
    shared = anna.change("answer-1", b"ok", case_ref="case-1", copy_to=copy_to(anna_home))
    assert office.push(anna, [shared])[0]["status"] == "accepted"
    peer = [e for e in _pull(office, anna_home) if "change" in e]
    assert [e["change"]["id"] for e in peer] == [shared.id]


def test_a_copy_for_a_revoked_laptop_is_stored_but_not_delivered(office: Office) -> None:
    office.assign("case-1", "anna")
    anna, old = office.enrol("anna"), office.enrol("anna")
    office.store.revoke(old.enrolment.device_id, office.clock())
    change = anna.change(
        "answer-1",
        b"ok",
        case_ref="case-1",
        copy_to=((old.enrolment.device_id, old.keys.box_public),),
    )
    assert office.push(anna, [change])[0]["status"] == "accepted"
    with office.store.backend.transaction() as cur:
        rows = cur.execute("SELECT count(*) FROM feed WHERE kind = 'peer_change'").fetchone()
    assert rows[0] == 0


def test_reassignment_moves_the_right_to_push(office: Office) -> None:
    case = office.assign("case-1", "anna")
    anna, bram = office.enrol("anna"), office.enrol("bram")
    first = anna.change("answer-1", b"anna's", case_ref="case-1")
    assert office.push(anna, [first])[0]["status"] == "accepted"
    held = office.store.reassign(case, "bram", office.clock())
    assert held.consultant == "anna"
    _refused(
        office.push(anna, [anna.change("answer-2", b"late", case_ref="case-1")])[0], "not_your_case"
    )
    # Anna's laptop resending what was accepted learns the outcome, not today's version.
    (again,) = office.push(anna, [first])
    assert again["status"] == "duplicate" and "current_version" not in again
    (bram_first,) = office.push(bram, [bram.change("answer-2", b"bram's", case_ref="case-1")])
    assert bram_first["status"] == "accepted"
    assert office.store.assignments()[0]["consultant"] == "bram"


def test_the_reassign_command_sends_the_case_to_the_new_consultants_laptops(
    office: Office,
) -> None:
    anna, bram = office.enrol("anna"), office.enrol("bram")
    private = keys.unlock(office.data, OFFICE_PASSPHRASE)
    case = {
        "consultant": "anna",
        "external_id": "WMO-2026-0042",
        "melding_date": "2026-02-20",
        "form": "wmo-keukentafelgesprek",
        "person": {"name": "Test Persoon"},
    }
    public = keys.load_public(office.data)
    (done,) = publish.assign(office.store, office.data, public, private, [case], datetime.now(UTC))
    assert any(e.get("item", {}).get("kind") == "assignment" for e in _pull(office, anna))
    assert not _pull(office, bram)
    sent = publish.reassign(office.store, private, done.case_id, "bram", office.clock())
    assert sent == 1
    (item,) = [e["item"] for e in _pull(office, bram)]
    assert (item["kind"], item["item_id"]) == ("assignment", done.case_id)
    assert office.store.rights()[done.case_id].consultant == "bram"


def test_an_office_from_before_case_rights_gives_each_case_to_the_laptop_that_sent_it_first(
    store: Store,
) -> None:
    """The upgrade: cases received before this version keep working for their laptop and
    are closed to every other."""
    backend = store.backend
    with backend.transaction() as cur:
        cur.execute("DELETE FROM _migrations WHERE name = 'case-rights'")
        cur.execute("DROP TABLE case_rights")
        cur.execute("ALTER TABLE records DROP COLUMN case_ref")
        for device, consultant in (("dev-a", "anna"), ("dev-b", "bram")):
            cur.execute(
                "INSERT INTO devices (id, consultant, label, sign_public, box_public, "
                "token_hash, enrolled_at) VALUES (?, ?, 'l', 'k', 'k', ?, 't')",
                [device, consultant, device],
            )
        for n, (device, case) in enumerate((("dev-a", "c-1"), ("dev-b", "c-1"), ("dev-b", "c-2"))):
            cur.execute(
                "INSERT INTO changes (id, device_id, seq, entity, entity_id, case_ref, "
                "base_version, last_seen_server_version, server_version, status, digest, "
                "envelope, received_at) VALUES (?, ?, ?, 'answer', ?, ?, 0, 0, ?, 'accepted', "
                "'d', 'e', 't')",
                [f"ch-{n}", device, n + 1, f"r-{n}", case, n + 1],
            )
            cur.execute(
                "INSERT INTO records (entity, entity_id, server_version, change_id) "
                "VALUES ('answer', ?, ?, ?)",
                [f"r-{n}", n + 1, f"ch-{n}"],
            )
    migrate(backend)
    granted = Store(backend).rights()
    assert granted == {"c-1": Right("anna", "dev-a"), "c-2": Right("bram", "dev-b")}
    with backend.transaction() as cur:
        bound = cur.execute("SELECT entity_id, case_ref FROM records ORDER BY entity_id").fetchall()
    assert [tuple(row) for row in bound] == [("r-0", "c-1"), ("r-1", "c-1"), ("r-2", "c-2")]


@pytest.mark.sqlite_only  # the command opens the office's own database file
def test_the_reassign_command_moves_the_right(
    office: Office, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    anna, bram = office.enrol("anna"), office.enrol("bram")
    monkeypatch.setenv("KITCHENTABLE_OFFICE_PASSPHRASE", OFFICE_PASSPHRASE)
    # A case Anna's laptop made (no assignment): the right moves, nothing is sent.
    made = anna.change("case-1", b"{}", entity="case", case_ref=None)
    assert office.push(anna, [made])[0]["status"] == "accepted"
    case = uid("case-1")
    assert main(["reassign", case, "bram", "--data", str(office.data)]) == 0
    assert "now bram's" in capsys.readouterr().out
    _refused(office.push(anna, [anna.change("a-1", b"x", case_ref="case-1")])[0], "not_your_case")
    assert office.push(bram, [bram.change("a-1", b"x", case_ref="case-1")])[0]["status"] == (
        "accepted"
    )
    assert main(["reassign", uid("no-such-case"), "bram", "--data", str(office.data)]) == 1
    assert "knows no case" in capsys.readouterr().err
