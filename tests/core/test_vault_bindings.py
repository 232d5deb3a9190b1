"""Attacks on the file with another tool: moving sealed rows between cases, cutting and
re-chaining the access log, and an old backup after a rekey. Each one must be detected."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchentable.errors import TamperedLog, TamperedRecord, WrongPassphrase
from kitchentable.services import Profile
from kitchentable.storage import sealed_rows
from kitchentable.storage.database import DB_NAME, open_database
from kitchentable.storage.keys import KeyStore
from tests.conftest import PASSPHRASE, ROOT
from tests.core.helpers import MARKERS, case_document

NEW_PASSPHRASE = "a brand new passphrase"


@pytest.fixture
def two_cases(profile: Profile) -> Iterator[tuple[str, str]]:
    """Two cases, each with a person, a conversation with answers, a plan and a document."""
    profile.import_cases(case_document("M-1"))
    profile.import_cases(case_document("M-2", name="Tweede Persoon", bsn="999990020"))
    ids = (profile.repo.resolve_case("M-1"), profile.repo.resolve_case("M-2"))
    for case_id, word in zip(ids, ("eerste", "tweede"), strict=True):
        profile.open_conversation(case_id)
        profile.repo.put_plan(case_id, {"remarks": f"plan van de {word}"})
        profile.repo.put_document(case_id, "attachment", f"document van de {word}".encode())
    yield ids


def _tamper(path: Path, *statements: tuple[str, list[object]]) -> None:
    conn = sqlite3.connect(path / DB_NAME)
    for sql, params in statements:
        conn.execute(sql, params)
    conn.commit()
    conn.close()


def _swap(table: str, column: str, first: str, second: str) -> list[tuple[str, list[object]]]:
    return [
        (f"UPDATE {table} SET {column} = 'x' WHERE {column} = ?", [first]),
        (f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [first, second]),
        (f"UPDATE {table} SET {column} = ? WHERE {column} = 'x'", [second]),
    ]


def test_persons_swapped_between_cases_are_refused(
    profile: Profile, profile_path: Path, forms, two_cases: tuple[str, str]
) -> None:
    profile.close()
    _tamper(
        profile_path, ("PRAGMA foreign_keys = OFF", []), *_swap("persons", "case_id", *two_cases)
    )
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        for case_id in two_cases:
            with pytest.raises(TamperedRecord):
                reopened.case(case_id)


def test_a_plan_moved_to_another_case_is_refused(
    profile: Profile, profile_path: Path, forms, two_cases: tuple[str, str]
) -> None:
    profile.close()
    _tamper(profile_path, *_swap("plans", "case_id", *two_cases))
    with (
        Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened,
        pytest.raises(TamperedRecord),
    ):
        reopened.repo.get_plan(two_cases[0])


@pytest.mark.parametrize("column, value", [("case_id", None), ("kind", "plan-sealed")])
def test_a_document_moved_or_relabelled_is_refused(
    profile: Profile,
    profile_path: Path,
    forms,
    two_cases: tuple[str, str],
    column: str,
    value: str | None,
) -> None:
    document = profile.repo.documents(two_cases[0])[0]["id"]
    profile.close()
    _tamper(
        profile_path,
        (f"UPDATE documents SET {column} = ? WHERE id = ?", [value or two_cases[1], document]),
    )
    with (
        Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened,
        pytest.raises(TamperedRecord),
    ):
        reopened.repo.get_document(document)


def test_a_conversation_moved_under_another_case_is_refused(
    profile: Profile, profile_path: Path, forms, two_cases: tuple[str, str]
) -> None:
    profile.close()
    _tamper(profile_path, *_swap("conversations", "case_id", *two_cases))
    with (
        Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened,
        pytest.raises(TamperedRecord),
    ):
        reopened.open_conversation(two_cases[0])


def test_an_answer_moved_to_another_conversation_is_refused(
    profile: Profile, profile_path: Path, forms, two_cases: tuple[str, str]
) -> None:
    first = profile.repo.conversation_for(two_cases[0])
    second = profile.repo.conversation_for(two_cases[1])
    assert first is not None and second is not None
    profile.close()
    _tamper(
        profile_path,
        (
            "UPDATE answers SET conversation_id = ? WHERE rowid = "
            "(SELECT rowid FROM answers WHERE conversation_id = ? LIMIT 1)",
            [second["id"], first["id"]],
        ),
    )
    with (
        Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened,
        pytest.raises(TamperedRecord),
    ):
        reopened.open_conversation(two_cases[1])


def test_rows_sealed_before_parents_were_bound_are_bound_at_the_next_unlock(
    profile: Profile, profile_path: Path, forms, two_cases: tuple[str, str]
) -> None:
    # Make the file look as an older version wrote it: every bound row sealed without its
    # parent, and no marker that the binding was done.
    keys = profile.keys
    for column in sealed_rows.SEALED:
        if not column.bound:
            continue
        for row_id, version, sealed, parent in list(profile.db.execute(column.select)):
            plain = keys.open_bytes(column.table, row_id, version, sealed, parent)
            profile.db.execute(
                f"UPDATE {column.table} SET data = ? WHERE id = ?",
                [keys.seal_bytes(column.table, row_id, version, plain), row_id],
            )
    profile.db.execute("DELETE FROM vault WHERE key = ?", [sealed_rows.BINDINGS_KEY])
    profile.close()
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        assert reopened.case(two_cases[0]).person.name == MARKERS["name"]
        assert sealed_rows.bindings_done(reopened.db)
    _tamper(
        profile_path, ("PRAGMA foreign_keys = OFF", []), *_swap("persons", "case_id", *two_cases)
    )
    with (
        Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened,
        pytest.raises(TamperedRecord),
    ):
        reopened.case(two_cases[0])


def test_every_sealed_column_is_known_to_the_rekey(profile: Profile) -> None:
    known = {(c.table, c.data_column) for c in sealed_rows.SEALED}
    blobs = {
        (table, column)
        for (table,) in profile.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        for _cid, column, kind, *_rest in profile.db.execute(f"PRAGMA table_info({table})")
        if kind.upper() in ("BLOB", "BYTES")
    }
    assert blobs == known


# -- the access log ---------------------------------------------------------------------------


def _without_triggers(path: Path, *statements: tuple[str, list[object]]) -> None:
    _tamper(
        path,
        ("DROP TRIGGER access_log_no_update", []),
        ("DROP TRIGGER access_log_no_delete", []),
        *statements,
    )


def test_lines_cut_off_the_end_are_detected(profile: Profile, profile_path: Path, forms) -> None:
    for n in range(5):
        profile.access.record("case.open", "case", detail={"n": n})
    last = profile.access.head()
    assert last is not None and profile.access.verify() is None
    profile.close()
    _without_triggers(profile_path, ("DELETE FROM access_log WHERE id >= ?", [last.id - 1]))
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        # The unlock itself appends lines; the cut is still found where it was made.
        assert reopened.access.verify() == last.id - 1


def test_a_removed_detail_is_detected(profile: Profile, profile_path: Path, forms) -> None:
    profile.access.record("case.export", "case", detail={"to": "usb-stick"})
    line = profile.access.head()
    assert line is not None
    profile.close()
    _without_triggers(profile_path, ("UPDATE access_log SET detail = NULL WHERE id = ?", [line.id]))
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        assert reopened.access.verify() == line.id


def test_a_detail_swapped_between_lines_is_detected(
    profile: Profile, profile_path: Path, forms
) -> None:
    profile.access.record("case.print", "case", detail={"copies": 1})
    profile.access.record("case.export", "case", detail={"to": "usb-stick"})
    line = profile.access.head()
    assert line is not None
    profile.close()
    _without_triggers(
        profile_path,
        (
            "UPDATE access_log SET detail = (SELECT detail FROM access_log WHERE id = ?) "
            "WHERE id = ?",
            [line.id - 1, line.id],
        ),
    )
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        assert reopened.access.verify() == line.id


def test_a_line_passed_off_as_the_old_format_is_detected(
    profile: Profile, profile_path: Path, forms
) -> None:
    profile.access.record("case.export", "case", detail={"to": "usb-stick"})
    line = profile.access.head()
    assert line is not None
    profile.close()
    _without_triggers(
        profile_path,
        ("UPDATE access_log SET detail = NULL, format = 1 WHERE id = ?", [line.id]),
    )
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        assert reopened.access.verify() == line.id


def test_dropped_triggers_are_put_back_and_logged(
    profile: Profile, profile_path: Path, forms
) -> None:
    profile.close()
    _without_triggers(profile_path)
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        found = [
            line for line in reopened.access.lines() if line.action == "access_log.triggers_missing"
        ]
        assert len(found) == 1 and found[0].result == "restored"
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            reopened.db.execute("DELETE FROM access_log")
        assert reopened.access.verify() is None


# -- rekey ------------------------------------------------------------------------------------


def test_an_old_backup_and_the_old_passphrase_open_nothing_written_after_a_rekey(
    profile: Profile, profile_path: Path, forms, two_cases: tuple[str, str], tmp_path: Path
) -> None:
    profile.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = tmp_path / "backup"
    shutil.copytree(profile_path, backup)
    profile.rekey(NEW_PASSPHRASE)
    conversation = profile.open_conversation(two_cases[0])
    profile.save_answer(conversation, "hulpvraag_eigen_woorden", "na de rekey geschreven")
    profile.close()

    # The thief: the old key from the backup, tried on every sealed value of today's file.
    old_db = open_database(backup)
    old_keys = KeyStore(old_db).unlock(PASSPHRASE)
    old_db.close()
    now = open_database(profile_path)
    opened = 0
    for column in sealed_rows.SEALED:
        for row_id, version, sealed, parent in now.execute(column.select):
            with pytest.raises(TamperedRecord):
                old_keys.open_bytes(
                    column.table, row_id, version, sealed, parent if column.bound else None
                )
            opened += 1
    now.close()
    assert opened > 10
    with pytest.raises(WrongPassphrase):
        Profile.unlock(profile_path, PASSPHRASE, forms=forms)

    with Profile.unlock(profile_path, NEW_PASSPHRASE, forms=forms) as reopened:
        assert reopened.case(two_cases[1]).person.name == "Tweede Persoon"
        state = reopened.open_conversation(two_cases[0]).state
        assert state.answers["hulpvraag_eigen_woorden"] == "na de rekey geschreven"
        assert reopened.repo.search("Markeerstra") == {two_cases[0]}
        assert reopened.repo.search("999990020") == {two_cases[1]}
        assert reopened.repo.get_plan(two_cases[1]) == {"remarks": "plan van de tweede"}
        assert reopened.access.verify() is None
        assert "profile.rekey" in [line.action for line in reopened.access.lines()]


def test_a_rekey_keeps_the_office_recovery_key_working(profile_path: Path, forms) -> None:
    from kitchentable.storage import crypto

    private, public = crypto.x25519_keypair()
    with Profile.create(profile_path, PASSPHRASE, forms=forms, recovery_public=public) as created:
        created.import_cases(case_document("M-1"))
        created.rekey(NEW_PASSPHRASE)
    db = open_database(profile_path)
    KeyStore(db).recover(private, "hersteld door kantoor")
    db.close()
    with Profile.unlock(profile_path, "hersteld door kantoor", forms=forms) as reopened:
        assert reopened.case("M-1").person.name == MARKERS["name"]


def test_a_rekey_refuses_a_tampered_log(profile: Profile, profile_path: Path, forms) -> None:
    profile.access.record("case.export", "case")
    profile.close()
    _without_triggers(profile_path, ("UPDATE access_log SET action = 'case.list' WHERE id = 2", []))
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        with pytest.raises(TamperedLog):
            reopened.rekey(NEW_PASSPHRASE)
        assert reopened.access.verify() == 2  # not laundered
    Profile.unlock(profile_path, PASSPHRASE, forms=forms).close()  # old passphrase still works


KILL_DURING_REKEY = """
import os, signal, sys
from kitchentable.services import Profile
from kitchentable.formengine.loader import FormRegistry
profile = Profile.unlock(__import__("pathlib").Path(sys.argv[1]), sys.argv[2], forms=FormRegistry.from_directory())
profile.rekey(sys.argv[3], lambda done, total: os.kill(os.getpid(), signal.SIGKILL) if done == total else None)
"""


def test_a_rekey_killed_halfway_leaves_the_old_key_and_every_row(
    profile: Profile, profile_path: Path, forms, two_cases: tuple[str, str]
) -> None:
    profile.close()
    result = subprocess.run(
        [sys.executable, "-c", KILL_DURING_REKEY, str(profile_path), PASSPHRASE, NEW_PASSPHRASE],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert result.returncode == -9, result.stderr.decode()
    with pytest.raises(WrongPassphrase):
        Profile.unlock(profile_path, NEW_PASSPHRASE, forms=forms)
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as reopened:
        assert reopened.case(two_cases[1]).person.name == "Tweede Persoon"
        assert reopened.repo.search("Markeerstra") == {two_cases[0]}
        assert reopened.access.verify() is None
