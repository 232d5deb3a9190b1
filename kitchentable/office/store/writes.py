"""The rows the decisions about pushes write: each at once, or all of a transaction together.

Owns the INSERT and UPDATE statements of storing a change (its `changes` row, attachments,
a new case's right, the colleagues' feed items, the record's current version) and a push's
activity (`devices.last_seen_at`, `activity`). At once (`deferred` false) every row is
written as it is given, so a savepoint can undo one change alone; deferred, the rows wait
for `flush`, which writes each table with one call for all its rows (`executemany`; the
record's row once, at its last version): a transaction of many pushes then costs a
handful of calls, not a few per change. Deferred is only for a body that undoes nothing
alone and is rolled back whole if the database fails. Never decides anything and never
reads a row; the version counter is `common.Versions`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from kitchentable.office.backends import Cursor

CHANGE_ROW = (
    "id, device_id, seq, entity, entity_id, case_ref, base_version, "
    "last_seen_server_version, server_version, status, conflict_with, digest, envelope, "
    "received_at"
)


class Writes:
    def __init__(self, cur: Cursor, *, deferred: bool) -> None:
        self.cur = cur
        self.deferred = deferred
        self._changes: list[Sequence[Any]] = []
        self._attachments: list[Sequence[Any]] = []
        self._rights: list[Sequence[Any]] = []
        self._feed: list[Sequence[Any]] = []
        self._records: dict[tuple[str, str], Sequence[Any]] = {}
        self._activity: list[Sequence[Any]] = []
        self._seen: dict[str, str] = {}  # device id -> last seen (ISO)

    def change(self, row: Sequence[Any]) -> None:
        """A `changes` row, its columns in CHANGE_ROW order."""
        self._row("changes", CHANGE_ROW, self._changes, row)

    def attachment(self, change_id: str, sha: str) -> None:
        self._row("change_attachments", "change_id, sha256", self._attachments, (change_id, sha))

    def right(self, case_ref: str, consultant: str, device_id: str | None, at: str) -> None:
        row = (case_ref, consultant, device_id, at)
        self._row("case_rights", "case_ref, consultant, device_id, created_at", self._rights, row)

    def peer_item(self, version: int, recipient: str, change_id: str, at: str) -> None:
        """A colleague's feed item for a stored change (the copy travels in the change)."""
        row = (version, recipient, "peer_change", change_id, "", at)
        columns = "server_version, device_id, kind, item_id, envelope, created_at"
        self._row("feed", columns, self._feed, row)

    def record(
        self, entity: str, entity_id: str, version: int, change_id: str, case_ref: str
    ) -> None:
        """The record is now at `version`, held by `change_id` (new, or moved on)."""
        row = (entity, entity_id, version, change_id, case_ref)
        if self.deferred:
            self._records[(entity, entity_id)] = row  # only its last version is written
        else:
            _upsert_records(self.cur, [row])

    def visit(self, device_id: str, at: str, action: str, detail: str) -> None:
        """The device's last contact and an activity row."""
        if not self.deferred:
            self.cur.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", [at, device_id])
        self._seen[device_id] = at
        row = (str(uuid.uuid4()), at, device_id, action, detail)
        self._row("activity", "id, at, device_id, action, detail", self._activity, row)

    def flush(self) -> None:
        """Every deferred row, table by table (changes first: the others name them)."""
        if not self.deferred:
            return
        _insert(self.cur, "changes", CHANGE_ROW, self._changes)
        _insert(self.cur, "change_attachments", "change_id, sha256", self._attachments)
        _insert(
            self.cur, "case_rights", "case_ref, consultant, device_id, created_at", self._rights
        )
        feed = "server_version, device_id, kind, item_id, envelope, created_at"
        _insert(self.cur, "feed", feed, self._feed)
        _upsert_records(self.cur, list(self._records.values()))
        if self._seen:
            self.cur.executemany(
                "UPDATE devices SET last_seen_at = ? WHERE id = ?",
                [(at, device_id) for device_id, at in self._seen.items()],
            )
        _insert(self.cur, "activity", "id, at, device_id, action, detail", self._activity)

    def _row(
        self, table: str, columns: str, pending: list[Sequence[Any]], row: Sequence[Any]
    ) -> None:
        if self.deferred:
            pending.append(row)
        else:
            _insert(self.cur, table, columns, [row])


def _insert(cur: Cursor, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def _upsert_records(cur: Cursor, rows: Sequence[Sequence[Any]]) -> None:
    """Each record's row at its version: inserted when new, else moved on (the writer lock
    keeps anyone else from inserting the same record meanwhile)."""
    if rows:
        cur.executemany(
            "INSERT INTO records (entity, entity_id, server_version, change_id, case_ref) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity, entity_id) DO UPDATE SET "
            "server_version = excluded.server_version, change_id = excluded.change_id, "
            "case_ref = excluded.case_ref",
            rows,
        )
