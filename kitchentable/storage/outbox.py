"""The outbox: changes waiting to be pushed to the office, in order, each exactly once.

Owns queueing (a UUID per change as the server's idempotency key, a per-device sequence
number, the base version the change was made on) and the sealed payload at rest. What is
in a payload and how it travels is the sync package's business; this module only keeps
the queue safe across crashes: an entry is written in the same transaction as the change
it describes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from kitchentable.storage.database import now_iso
from kitchentable.storage.keys import VaultKeys


@dataclass(frozen=True)
class OutboxEntry:
    id: str
    seq: int
    entity: str
    entity_id: str
    case_id: str | None
    base_version: int
    created_at: str
    state: str
    attempts: int
    reason: str | None
    payload: Any


class Outbox:
    def __init__(self, db: sqlite_utils.Database, keys: VaultKeys) -> None:
        self.db = db
        self.keys = keys

    def enqueue(
        self,
        entity: str,
        entity_id: str,
        payload: Any,
        *,
        case_id: str | None = None,
        base_version: int = 0,
    ) -> str:
        change_id = str(uuid.uuid4())
        with self.db.atomic():
            seq = self.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM outbox").fetchone()[0]
            self.db.execute(
                "INSERT INTO outbox(id, seq, entity, entity_id, case_id, base_version, created_at, state, "
                "attempts, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, NULL, ?)",
                [
                    change_id,
                    seq,
                    entity,
                    entity_id,
                    case_id,
                    base_version,
                    now_iso(),
                    self.keys.seal("outbox", change_id, 1, payload),
                ],
            )
        return change_id

    def pending(self) -> list[OutboxEntry]:
        return self._entries("WHERE state = 'pending' ORDER BY seq")

    def all(self) -> list[OutboxEntry]:
        return self._entries("ORDER BY seq")

    def _entries(self, clause: str) -> list[OutboxEntry]:
        # clause is one of two constants in this class, never input.
        columns = (
            "id, seq, entity, entity_id, case_id, base_version, created_at, state, attempts, reason"
        )
        cursor = self.db.execute(f"SELECT {columns}, data FROM outbox {clause}")  # noqa: S608
        return [
            OutboxEntry(
                id=row[0],
                seq=row[1],
                entity=row[2],
                entity_id=row[3],
                case_id=row[4],
                base_version=row[5],
                created_at=row[6],
                state=row[7],
                attempts=row[8],
                reason=row[9],
                payload=self.keys.open("outbox", row[0], 1, row[10]),
            )
            for row in cursor
        ]

    def mark(self, change_id: str, state: str, reason: str | None = None) -> None:
        self.db.execute(
            "UPDATE outbox SET state = ?, reason = ?, attempts = attempts + 1 WHERE id = ?",
            [state, reason, change_id],
        )

    def count(self, state: str = "pending") -> int:
        return int(
            self.db.execute("SELECT count(*) FROM outbox WHERE state = ?", [state]).fetchone()[0]
        )
