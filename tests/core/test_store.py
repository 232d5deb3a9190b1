"""The store: nothing readable on disk, search through the blind index, import, export, log."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kitchentable.domain.case import CaseStatus
from kitchentable.errors import CorruptDatabase, ImportRefused, ProfileMissing, ProfileTooNew
from kitchentable.services import Profile
from kitchentable.storage import audit
from kitchentable.storage.database import DB_NAME, SCHEMA_VERSION, integrity_ok
from tests.conftest import PASSPHRASE
from tests.core.helpers import MARKERS, case_document

ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")


def _all_bytes(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_no_markers(folder: Path, markers: list[str]) -> None:
    files = _all_bytes(folder)
    assert files, f"nothing in {folder}"
    for path, content in files.items():
        for marker in markers:
            for encoding in ENCODINGS:
                assert marker.encode(encoding) not in content, f"{marker!r} readable in {path.name}"
            assert marker.lower().encode() not in content.lower(), (
                f"{marker!r} readable in {path.name}"
            )


def test_no_marker_reaches_the_disk_or_the_log(
    profile: Profile, profile_path: Path, log_dir: Path
) -> None:
    profile.import_cases(case_document())
    conversation = profile.open_conversation("M-2026-0001")
    profile.save_answer(conversation, "notitie", "tweede-antwoord-markeer")
    profile.repo.put_plan(conversation.case.id, {"remarks": "plan-opmerking-markeer"})
    profile.repo.put_document(conversation.case.id, "plan-pdf", b"%PDF pdf-inhoud-markeer")
    profile.outbox.enqueue("case", conversation.case.id, {"name": MARKERS["name"]})
    # Keep the connection open so the -wal and -shm files exist while we look.
    assert (profile_path / f"{DB_NAME}-wal").exists()
    markers = [
        *MARKERS.values(),
        "999 99 0019",
        "tweede-antwoord-markeer",
        "plan-opmerking-markeer",
        "pdf-inhoud-markeer",
        "Markeerstra",
        "9601 AB",
        "9601AB",
        "1948-03-09",
        "06 12345678",
    ]
    assert_no_markers(profile_path, markers)
    assert_no_markers(log_dir, markers) if any(log_dir.iterdir()) else None
    profile.close()
    assert_no_markers(profile_path, markers)


def test_search_by_name_bsn_or_postcode(profile: Profile) -> None:
    profile.import_cases(case_document("M-1", name="Özlem Yıldız-de Vries", bsn="999990020"))
    profile.import_cases(case_document("M-2", name="Jan de Vries", bsn="999990032"))
    by = lambda text: sorted(s.external_id for s in profile.case_summaries(text))  # noqa: E731
    assert by("de vries") == ["M-1", "M-2"]
    assert by("ozlem") == ["M-1"]  # accents and case do not matter
    assert by("YILDIZ") == ["M-1"]
    assert by("jan") == ["M-2"]
    assert by("999990032") == ["M-2"]
    assert by("9999 900 20") == ["M-1"]
    assert by("9601ab") == ["M-1", "M-2"]
    assert by("Pietersen") == []
    assert len(profile.case_summaries()) == 2


def test_cases_have_the_six_week_deadline_and_move_to_in_conversation(profile: Profile) -> None:
    case_id = profile.create_case(
        external_id="M-9",
        melding_date=date(2026, 11, 2),
        person=_person(),
        form_id="test-casework",
    )
    case = profile.case(case_id)
    assert case.deadline == date(2026, 12, 14)
    assert case.status == CaseStatus.NEW
    conversation = profile.open_conversation("M-9")
    profile.save_answer(conversation, "aantal_uren", "4,5")
    assert profile.case("M-9").status == CaseStatus.IN_CONVERSATION
    assert conversation.state.value("aantal_uren") == 4.5


def _person():
    from kitchentable.domain.case import Address, Person

    return Person(name="Test Persoon", address=Address(postcode="9601 AB"))


def test_an_import_with_problems_is_refused_whole(profile: Profile) -> None:
    document = case_document("M-1")
    bad = case_document("M-2", bsn="123456789")["cases"][0]
    bad["melding_date"] = "2 november"
    bad["answers"]["aantal_uren"] = 500
    bad["answers"]["bestaat_niet"] = "x"
    bad["person"]["address"]["postcode"] = "96O1 AB"
    document["cases"].append(bad)
    document["cases"].append(case_document("M-1")["cases"][0])  # duplicate
    with pytest.raises(ImportRefused) as caught:
        profile.import_cases(document)
    problems = "\n".join(caught.value.problems)
    for expected in [
        "cases[1].person.bsn",
        "cases[1].melding_date",
        "cases[1].answers.aantal_uren",
        "cases[1].answers.bestaat_niet",
        "cases[1].person.address.postcode",
        "cases[2].external_id",
    ]:
        assert expected in problems
    assert profile.case_summaries() == []  # nothing half-imported
    assert profile.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 0


def test_import_refuses_an_existing_external_id(profile: Profile) -> None:
    profile.import_cases(case_document("M-1"))
    with pytest.raises(ImportRefused, match="1 problem"):
        profile.import_cases(case_document("M-1"))


def test_export_contains_everything_about_the_case(profile: Profile) -> None:
    profile.import_cases(case_document())
    data = profile.export_case("M-2026-0001")
    text = json.dumps(data, ensure_ascii=False)
    for marker in MARKERS.values():
        assert marker in text
    assert data["form"]["id"] == "test-casework" and data["form"]["version"] == "1.0"
    assert {a["question"] for a in data["answers"]} == {"hulpvraag_eigen_woorden", "netwerk"}
    assert any(line["action"] == "case.import" for line in data["access_log"])


def test_access_log_is_append_only_and_chained(profile: Profile) -> None:
    profile.import_cases(case_document())
    profile.open_conversation("M-2026-0001")
    actions = [line.action for line in profile.access.lines()]
    assert actions[:3] == ["profile.create", "case.import", "case.open"]
    assert profile.access.verify() is None
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        profile.db.execute("UPDATE access_log SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        profile.db.execute("DELETE FROM access_log")
    # Someone drops the trigger with another tool and edits a line: the chain shows it.
    profile.db.execute("DROP TRIGGER access_log_no_update")
    profile.db.execute("UPDATE access_log SET action = 'case.list' WHERE id = 3")
    assert profile.access.verify() == 3


def test_access_log_links_keep_their_form(profile: Profile) -> None:
    # Logs written by earlier versions must still check out: a link is HMAC-SHA256 (log key)
    # over the previous link and the JSON of the line's fields, its detail's digest and format.
    profile.access.record("case.print", "case", detail={"copies": 2})
    rows = profile.db.execute(
        "SELECT id, at, actor, action, object, case_id, result, origin, chain, detail, format "
        "FROM access_log ORDER BY id"
    ).fetchall()
    previous = "0" * 64
    for row in rows:
        detail = None if row[9] is None else hashlib.sha256(row[9]).hexdigest()
        fields = json.dumps([*row[:8], detail, row[10]], separators=(",", ":"))
        message = previous.encode() + fields.encode()
        assert row[8] == hmac.new(profile.keys.log_key, message, hashlib.sha256).hexdigest()
        previous = row[8]
    assert profile.access.verify() is None


def test_access_log_detail_is_sealed(profile: Profile) -> None:
    profile.access.record("case.print", "case", detail={"copies": 2, "printer": "Balie Printer"})
    row_id, raw = profile.db.execute(
        "SELECT id, detail FROM access_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert b"Balie Printer" not in raw
    assert profile.access.detail(row_id) == {"copies": 2, "printer": "Balie Printer"}


def test_outbox_keeps_order_and_sequence(profile: Profile) -> None:
    first = profile.outbox.enqueue("case", "a", {"n": 1}, base_version=3)
    second = profile.outbox.enqueue("case", "b", {"n": 2})
    entries = profile.outbox.pending()
    assert [(e.id, e.seq, e.payload) for e in entries] == [
        (first, 1, {"n": 1}),
        (second, 2, {"n": 2}),
    ]
    profile.outbox.mark(first, "sent")
    assert [e.id for e in profile.outbox.pending()] == [second]


def test_schema_migrations_are_recorded(profile: Profile) -> None:
    assert profile.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    names = [r[0] for r in profile.db.execute("SELECT name FROM _migrations")]
    assert names == ["001_initial", "002_sync", "003_bound_seals", "004_positions"]
    assert profile.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert profile.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert integrity_ok(profile.db)


def test_a_profile_from_before_sync_is_migrated_on_unlock(tmp_path: Path, forms) -> None:
    folder = tmp_path / "old"
    with Profile.create(folder, "correct horse battery", forms=forms) as old:
        old.import_cases(case_document("M-OLD-1"))
    # Take the file back to schema 1, as the first release wrote it.
    conn = sqlite3.connect(folder / DB_NAME)
    for statement in (
        "DROP TRIGGER access_log_no_update",
        "DROP TRIGGER access_log_no_delete",
        "ALTER TABLE access_log DROP COLUMN format",
        "DROP TABLE sync_state",
        "DROP TABLE sync_cases",
        "DROP TABLE outbox_wire",
        "DROP TABLE sync_conflicts",
        "DROP TABLE positions",
        "DELETE FROM _migrations WHERE name != '001_initial'",
        "PRAGMA user_version = 1",
    ):
        conn.execute(statement)
    conn.commit()
    conn.close()
    reopened = Profile.unlock(folder, "correct horse battery", forms=forms)
    try:
        assert reopened.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "sync_cases" in reopened.db.table_names()
        assert reopened.case("M-OLD-1").external_id == "M-OLD-1"
    finally:
        reopened.close()


def test_a_damaged_database_gives_a_clear_error(tmp_path: Path, forms) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(CorruptDatabase) as caught:
        Profile.unlock(folder, PASSPHRASE, forms=forms)
    assert "damaged" in str(caught.value)
    assert (folder / DB_NAME).read_bytes().startswith(b"this is not")  # untouched


def test_a_profile_from_a_newer_version_says_so_and_is_left_alone(tmp_path: Path, forms) -> None:
    folder = tmp_path / "p"
    Profile.create(folder, PASSPHRASE, forms=forms).close()
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = (folder / DB_NAME).read_bytes()
    with pytest.raises(ProfileTooNew) as caught:
        Profile.unlock(folder, PASSPHRASE, forms=forms)
    assert "newer version" in str(caught.value) and "damaged" not in str(caught.value).replace(
        "Nothing is damaged", ""
    )
    assert (folder / DB_NAME).read_bytes() == before


def test_a_missing_profile_says_how_to_create_one(tmp_path: Path, forms) -> None:
    with pytest.raises(ProfileMissing, match="kitchentable init"):
        Profile.unlock(tmp_path / "nowhere", PASSPHRASE, forms=forms)


@given(
    st.lists(
        st.none() | st.text(max_size=20) | st.integers() | st.booleans() | st.floats(),
        max_size=10,
    )
)
def test_a_links_fields_are_written_as_json_dumps_writes_them(fields: list[object]) -> None:
    assert audit._fields_json(fields) == json.dumps(fields, separators=(",", ":")).encode()


_words = st.text(max_size=12)  # any character: quotes, backslashes, controls, non-ASCII


@given(
    st.builds(
        audit.LogRow,
        id=st.integers(min_value=1, max_value=2**53),
        at=_words,
        actor=st.sampled_from(["anna", 'a"nna', "énna"]) | _words,
        action=_words,
        object=_words,
        case_id=st.none() | _words | st.integers(),  # a tampered row: another type
        result=_words,
        origin=_words,
        chain=st.just(audit.GENESIS),
        detail=st.none() | st.binary(max_size=40),
        format=st.integers(min_value=1, max_value=3),
    ),
    st.text(max_size=64),
)
def test_a_stored_lines_link_is_the_link_of_its_fields(row: audit.LogRow, previous: str) -> None:
    # The check at every sync makes the link without a list per line (audit._row_link): the
    # same as the link `record` wrote, for every line, repeated words and odd ones alike.
    key = b"k" * 32
    expected = audit._link(key, previous, row.fields, row.detail, row.format)
    assert audit._row_link(key, previous, row) == expected
    assert audit._row_link(key, previous, row) == expected  # the words now escaped before


@given(st.text(max_size=40), st.lists(st.text(max_size=40), max_size=5))
def test_a_conversations_answer_ids_are_made_as_one_answer_id_is(
    conversation: str, questions: list[str]
) -> None:
    from kitchentable.storage.keys import VaultKeys
    from kitchentable.storage.sealed_rows import answer_id, answer_ids

    keys = VaultKeys(bytes(range(32)))
    id_of = answer_ids(keys, conversation)  # the keyed hash over the conversation made once
    assert [id_of(q) for q in questions] == [answer_id(keys, conversation, q) for q in questions]
