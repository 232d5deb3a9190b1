"""Every sealed column of the profile, what binds each value to its place, and re-sealing.

Owns three things that must agree with each other:
- the *parent* of a sealed row: the plaintext columns that place it (its case, conversation,
  role or kind), which go into the associated data next to table · row · version, so a row
  moved to another case (or a conversation moved under another case) fails to open;
- the list of every sealed column in the schema (`SEALED`), so nothing is forgotten when all
  of them are re-sealed (a test fails when a table with a BLOB column is missing here);
- re-sealing: binding the parents of rows sealed before parents were bound (once, at unlock),
  and re-encrypting everything under a new data key (`rekey`), inside one transaction, so an
  interruption leaves the old key and the old rows as they were.
Never decides when to re-seal (services do) and never writes the key wraps (storage.keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from kitchentable.errors import TamperedRecord
from kitchentable.storage import crypto
from kitchentable.storage.keys import VaultKeys

Progress = Callable[[int, int], None]  # rows done, rows in all

# vault-table key whose value says the bound tables carry their parents in the AD
BINDINGS_KEY = "seal_bindings"
BINDINGS_VERSION = 1


def person_parent(case_id: str, role: str) -> str:
    return f"case={case_id};role={role}"


def answer_parent(case_id: str, conversation_id: str) -> str:
    return f"case={case_id};conversation={conversation_id}"


def plan_parent(case_id: str) -> str:
    return f"case={case_id}"


def document_parent(case_id: str, kind: str) -> str:
    return f"case={case_id};kind={kind}"


def answer_id(keys: VaultKeys, conversation_id: str, question_id: str) -> str:
    """The row id of an answer: a keyed hash, so which questions were answered stays sealed."""
    return keys.blind("answer", f"{conversation_id}:{question_id}")[:32]


def answer_ids(keys: VaultKeys, conversation_id: str) -> Callable[[str], str]:
    """`answer_id` for one conversation's questions, the keyed hash over the conversation
    made once (a first sync checks tens of thousands of answers: a third of the time)."""
    blind = keys.blinder("answer", f"{conversation_id}:")
    return lambda question_id: blind(question_id)[:32]


@dataclass(frozen=True)
class Sealed:
    """One sealed column. `select` yields (row id, version, sealed value, parent or None)."""

    table: str
    id_column: str
    data_column: str
    select: str
    bound: bool = False  # the parent is part of the AD (from BINDINGS_VERSION on)


SEALED: tuple[Sealed, ...] = (
    Sealed("cases", "id", "data", "SELECT id, version, data, NULL FROM cases"),
    Sealed(
        "persons",
        "id",
        "data",
        "SELECT id, version, data, 'case=' || case_id || ';role=' || role FROM persons",
        bound=True,
    ),
    Sealed(
        "answers",
        "id",
        "data",
        "SELECT a.id, a.version, a.data, "
        "'case=' || c.case_id || ';conversation=' || a.conversation_id "
        "FROM answers a JOIN conversations c ON c.id = a.conversation_id",
        bound=True,
    ),
    Sealed(
        "plans",
        "id",
        "data",
        "SELECT id, version, data, 'case=' || case_id FROM plans",
        bound=True,
    ),
    Sealed(
        "documents",
        "id",
        "data",
        "SELECT id, version, data, 'case=' || case_id || ';kind=' || kind FROM documents",
        bound=True,
    ),
    Sealed(
        "access_log",
        "id",
        "detail",
        "SELECT CAST(id AS TEXT), 1, detail, NULL FROM access_log WHERE detail IS NOT NULL",
    ),
    Sealed("outbox", "id", "data", "SELECT id, 1, data, NULL FROM outbox"),
    Sealed("outbox_wire", "change_id", "data", "SELECT change_id, 1, data, NULL FROM outbox_wire"),
    Sealed("sync_state", "key", "data", "SELECT key, 1, data, NULL FROM sync_state"),
    Sealed("sync_cases", "case_id", "data", "SELECT case_id, 1, data, NULL FROM sync_cases"),
    Sealed("sync_conflicts", "id", "data", "SELECT id, 1, data, NULL FROM sync_conflicts"),
    # keyed by its case: a position copied to another case's row does not open
    Sealed("positions", "case_id", "data", "SELECT case_id, version, data, NULL FROM positions"),
)
# Values in the `vault` table that are sealed (JSON with a base64 'key' or a sealed blob).
SEALED_VAULT_KEYS = ("seal_identity", "log_head")


def bindings_done(db: sqlite_utils.Database) -> bool:
    row = db.execute("SELECT value FROM vault WHERE key = ?", [BINDINGS_KEY]).fetchone()
    return row is not None and json.loads(row[0]) >= BINDINGS_VERSION


def mark_bindings_done(db: sqlite_utils.Database) -> None:
    db.execute(
        "INSERT INTO vault(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [BINDINGS_KEY, json.dumps(BINDINGS_VERSION)],
    )


def bind_parents(db: sqlite_utils.Database, keys: VaultKeys) -> int:
    """Re-seal rows written before parents were bound; returns how many. Runs once per profile.

    A row that does not open under the old associated data is left as it is: it was already
    damaged, and opening it later reports TamperedRecord as before.
    """
    if bindings_done(db):
        return 0
    count = 0
    with db.atomic():
        for column in SEALED:
            if not column.bound:
                continue
            for row_id, version, sealed, parent in list(db.execute(column.select)):
                try:
                    plain = keys.open_bytes(column.table, row_id, version, sealed)
                except TamperedRecord:
                    continue
                _write(
                    db,
                    column,
                    row_id,
                    keys.seal_bytes(column.table, row_id, version, plain, parent),
                )
                count += 1
        mark_bindings_done(db)
    return count


def _write(db: sqlite_utils.Database, column: Sealed, row_id: str, sealed: bytes) -> None:
    # Table and column names come from SEALED above, never from input.
    db.execute(
        f"UPDATE {column.table} SET {column.data_column} = ? WHERE {column.id_column} = ?",  # noqa: S608
        [sealed, row_id],
    )


def count_rows(db: sqlite_utils.Database) -> int:
    return sum(
        db.execute(f"SELECT count(*) FROM ({column.select})").fetchone()[0]  # noqa: S608
        for column in SEALED
    )


def reseal_all(
    db: sqlite_utils.Database,
    old: VaultKeys,
    new: VaultKeys,
    progress: Progress | None = None,
) -> None:
    """Open every sealed column with `old` and seal it with `new`. Caller holds atomic().

    Answer ids are keyed hashes under the data key, so answers get new row ids; any value
    that does not open raises TamperedRecord and the caller's transaction undoes everything.
    """
    total, done = count_rows(db), 0
    for column in SEALED:
        for row_id, version, sealed, parent in list(db.execute(column.select)):
            plain = old.open_bytes(column.table, row_id, version, sealed, _parent(column, parent))
            if column.table == "answers":
                _rekey_answer(db, old, new, row_id, version, plain, parent)
            else:
                _write(
                    db,
                    column,
                    row_id,
                    new.seal_bytes(column.table, row_id, version, plain, _parent(column, parent)),
                )
            done += 1
            if progress is not None and (done % 200 == 0 or done == total):
                progress(done, total)
    for key in SEALED_VAULT_KEYS:
        _reseal_vault_value(db, old, new, key)


def _parent(column: Sealed, parent: str | None) -> str | None:
    return parent if column.bound else None


def _rekey_answer(
    db: sqlite_utils.Database,
    old: VaultKeys,
    new: VaultKeys,
    row_id: str,
    version: int,
    plain: bytes,
    parent: str,
) -> None:
    conversation_id = parent.split(";conversation=", 1)[1]
    question_id = json.loads(plain)["q"]
    if answer_id(old, conversation_id, question_id) != row_id:
        raise TamperedRecord(table="answers", row=row_id)
    new_id = answer_id(new, conversation_id, question_id)
    db.execute(
        "UPDATE answers SET id = ?, data = ? WHERE id = ?",
        [new_id, new.seal_bytes("answers", new_id, version, plain, parent), row_id],
    )


def _reseal_vault_value(
    db: sqlite_utils.Database, old: VaultKeys, new: VaultKeys, key: str
) -> None:
    row = db.execute("SELECT value FROM vault WHERE key = ?", [key]).fetchone()
    if row is None:
        return
    value = json.loads(row[0])
    sealed = crypto.unb64(value["sealed"] if "sealed" in value else value["key"])
    plain = old.open_bytes("vault", key, 1, sealed)
    field = "sealed" if "sealed" in value else "key"
    value[field] = crypto.b64(new.seal_bytes("vault", key, 1, plain))
    db.execute("UPDATE vault SET value = ? WHERE key = ?", [json.dumps(value), key])
