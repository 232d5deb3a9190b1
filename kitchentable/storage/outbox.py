"""The outbox: changes waiting to be pushed to the office, in order, each exactly once.

Owns queueing (a UUID per change as the server's idempotency key, a per-device sequence
number, the base version the change was made on) and the sealed payload at rest. What is
in a payload and how it travels is the sync package's business; this module only keeps
the queue safe across crashes: an entry is written in the same transaction as the change
it describes.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import sqlite_utils

from kitchentable.storage.database import now_iso
from kitchentable.storage.keys import VaultKeys


class OutboxState(StrEnum):
    PENDING = "pending"  # waiting to be sent (again)
    SENT = "sent"  # the office accepted it (or has it from an earlier try)
    CONFLICT = "conflict"  # stored by the office beside another device's version
    QUARANTINED = "quarantined"  # cannot go as it is; kept with its reason


@dataclass(frozen=True)
class OutboxEntry:
    id: str
    seq: int
    entity: str
    entity_id: str
    case_id: str | None
    base_version: int
    created_at: str
    state: OutboxState
    attempts: int
    reason: str | None
    payload: dict[str, Any]


class Outbox:
    def __init__(self, db: sqlite_utils.Database, keys: VaultKeys) -> None:
        self.db = db
        self.keys = keys

    def enqueue(self, entity: str, entity_id: str, payload: dict[str, Any], **where: Any) -> str:
        """Queue a change (`case_id`, `base_version` as for `add`); its id."""
        return self.add(entity, entity_id, payload, **where).id

    def add(
        self,
        entity: str,
        entity_id: str,
        payload: dict[str, Any],
        *,
        case_id: str | None = None,
        base_version: int = 0,
        encoded: bytes | None = None,
    ) -> OutboxEntry:
        """Queue a change; the entry as written (no need to read it back). `encoded`: the
        payload as JSON already (UTF-8), when the caller has made it: it is not encoded
        again (a case's snapshot is large)."""
        entry = OutboxEntry(
            str(uuid.uuid4()),
            0,
            entity,
            entity_id,
            case_id,
            base_version,
            now_iso(),
            OutboxState.PENDING,
            0,
            None,
            payload,
        )
        # One transaction for the number and the row; inside the caller's (the usual case:
        # the change it describes is written with it) no savepoint is needed for one insert.
        with nullcontext() if self.db.conn.in_transaction else self.db.atomic():
            seq = self.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM outbox").fetchone()[0]
            entry = replace(entry, seq=seq)
            self.db.execute(
                "INSERT INTO outbox(id, seq, entity, entity_id, case_id, base_version, created_at, state, "
                "attempts, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    entry.id,
                    entry.seq,
                    entity,
                    entity_id,
                    case_id,
                    base_version,
                    entry.created_at,
                    entry.state.value,
                    entry.attempts,
                    entry.reason,
                    self.keys.seal("outbox", entry.id, 1, payload)
                    if encoded is None
                    else self.keys.seal_bytes("outbox", entry.id, 1, encoded),
                ],
            )
        return entry

    def pending(self) -> list[OutboxEntry]:
        return self._entries("WHERE state = 'pending' ORDER BY seq")

    def pending_case_ids(self, entity: str) -> set[str]:
        """Cases with a change of this kind still on its way."""
        rows = self.db.execute(
            "SELECT case_id FROM outbox WHERE entity = ? AND state = ?",
            [entity, OutboxState.PENDING.value],
        )
        return {row[0] for row in rows}

    def has_pending(self, case_id: str, entity: str | None = None) -> bool:
        """Whether a change for this case (of this kind, when given) is still on its way."""
        sql = "SELECT 1 FROM outbox WHERE case_id = ? AND state = ?"
        params: list[str] = [case_id, OutboxState.PENDING.value]
        if entity is not None:
            sql += " AND entity = ?"
            params.append(entity)
        return self.db.execute(sql, params).fetchone() is not None

    def pending_ids(self, entity: str | None = None) -> list[str]:
        """The ids of what waits (of this kind, when given), in order, without opening a
        payload (cheap)."""
        sql, params = "SELECT id FROM outbox WHERE state = ?", [OutboxState.PENDING.value]
        if entity is not None:
            sql += " AND entity = ?"
            params.append(entity)
        return [row[0] for row in self.db.execute(sql + " ORDER BY seq", params)]

    def entries(self, ids: list[str]) -> list[OutboxEntry]:
        """These entries (in outbox order), payloads opened."""
        marks = ", ".join("?" * len(ids))
        return self._entries(f"WHERE id IN ({marks}) ORDER BY seq", ids)

    def all(self) -> list[OutboxEntry]:
        return self._entries("ORDER BY seq")

    def _entries(self, clause: str, params: list[str] | None = None) -> list[OutboxEntry]:
        # clause is one of this class's constants (with ? placeholders), never input.
        columns = (
            "id, seq, entity, entity_id, case_id, base_version, created_at, state, attempts, reason"
        )
        cursor = self.db.execute(
            f"SELECT {columns}, data FROM outbox {clause}",  # noqa: S608
            params or [],
        )
        return [
            OutboxEntry(
                id=row[0],
                seq=row[1],
                entity=row[2],
                entity_id=row[3],
                case_id=row[4],
                base_version=row[5],
                created_at=row[6],
                state=OutboxState(row[7]),
                attempts=row[8],
                reason=row[9],
                payload=self.keys.open("outbox", row[0], 1, row[10]),
            )
            for row in cursor
        ]

    def mark(self, change_id: str, state: OutboxState, reason: str | None = None) -> None:
        self.db.execute(
            "UPDATE outbox SET state = ?, reason = ?, attempts = attempts + 1 WHERE id = ?",
            [OutboxState(state).value, reason, change_id],
        )

    def count(self, state: OutboxState = OutboxState.PENDING) -> int:
        return int(
            self.db.execute(
                "SELECT count(*) FROM outbox WHERE state = ?", [OutboxState(state).value]
            ).fetchone()[0]
        )
