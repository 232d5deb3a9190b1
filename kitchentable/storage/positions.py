"""Where the consultant was in a case's conversation, kept sealed in the vault.

Owns the `positions` table: per case the last section and field (and, inside a repeating
group, the item), so reopening the case or restarting the app returns there. The record is
sealed like every other fact about the inhabitant (associated data = table + case id +
version); it is the laptop's own bookkeeping, never synced, and goes with the case when the
case is purged. Never reads answers and never decides what the screen does with it.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from kitchentable.storage.keys import VaultKeys


class Positions:
    def __init__(self, db: sqlite_utils.Database, keys: VaultKeys) -> None:
        self.db = db
        self.keys = keys

    def get(self, case_id: str) -> dict[str, Any] | None:
        """The stored position, or None when the case was never opened on this laptop."""
        row = self.db.execute(
            "SELECT version, data FROM positions WHERE case_id = ?", [case_id]
        ).fetchone()
        if row is None:
            return None
        found = self.keys.open("positions", case_id, row[0], row[1])
        return found if isinstance(found, dict) else {}

    def put(self, case_id: str, where: dict[str, Any]) -> None:
        row = self.db.execute(
            "SELECT version FROM positions WHERE case_id = ?", [case_id]
        ).fetchone()
        version = (row[0] if row else 0) + 1
        sealed = self.keys.seal("positions", case_id, version, where)
        self.db.execute(
            "INSERT INTO positions(case_id, version, data) VALUES (?, ?, ?) "
            "ON CONFLICT(case_id) DO UPDATE SET version = excluded.version, data = excluded.data",
            [case_id, version, sealed],
        )
