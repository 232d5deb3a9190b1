"""The append-only access log (NEN 7513 style; BIO2 8.15): who did what, when, to which case.

Owns writing and verifying log lines. Each line records action, object, result, origin,
actor and time in plaintext (no personal data: ids and verbs only) and an optional sealed
detail. SQLite triggers refuse UPDATE and DELETE; on top of that every line carries an
HMAC chain over its predecessor, so a line removed or edited with another tool (which can
drop the triggers) shows as a broken chain. Never logs secrets or inhabitant data in
plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from kitchentable.storage.database import now_iso
from kitchentable.storage.keys import VaultKeys

GENESIS = "0" * 64


@dataclass(frozen=True)
class LogLine:
    id: int
    at: str
    actor: str
    action: str
    object: str
    case_id: str | None
    result: str
    origin: str


def _link(key: bytes, previous: str, fields: list[Any]) -> str:
    message = previous.encode() + json.dumps(fields, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class AccessLog:
    def __init__(self, db: sqlite_utils.Database, keys: VaultKeys, actor: str, origin: str) -> None:
        self.db = db
        self.keys = keys
        self.actor = actor
        self.origin = origin

    def record(
        self,
        action: str,
        obj: str,
        case_id: str | None = None,
        result: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.db.atomic():
            row = self.db.execute(
                "SELECT id, chain FROM access_log ORDER BY id DESC LIMIT 1"
            ).fetchone()
            previous, next_id = (row[1], row[0] + 1) if row else (GENESIS, 1)
            at = now_iso()
            fields = [next_id, at, self.actor, action, obj, case_id, result, self.origin]
            sealed = self.keys.seal("access_log", str(next_id), 1, detail) if detail else None
            self.db.execute(
                "INSERT INTO access_log(id, at, actor, action, object, case_id, result, origin, chain, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*fields, _link(self.keys.log_key, previous, fields), sealed],
            )

    def lines(self, case_id: str | None = None) -> list[LogLine]:
        sql = "SELECT id, at, actor, action, object, case_id, result, origin FROM access_log"
        params: list[Any] = []
        if case_id:
            sql += " WHERE case_id = ?"
            params.append(case_id)
        return [LogLine(*r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def detail(self, line_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT detail FROM access_log WHERE id = ?", [line_id]).fetchone()
        if row is None or row[0] is None:
            return None
        return self.keys.open("access_log", str(line_id), 1, row[0])  # type: ignore[no-any-return]

    def verify(self) -> int | None:
        """The id of the first line whose chain does not hold, or None when the log is intact."""
        previous = GENESIS
        expected_id = 1
        for row in self.db.execute(
            "SELECT id, at, actor, action, object, case_id, result, origin, chain FROM access_log ORDER BY id"
        ):
            fields = list(row[:8])
            if row[0] != expected_id or not hmac.compare_digest(
                _link(self.keys.log_key, previous, fields), row[8]
            ):
                return int(row[0])
            previous, expected_id = row[8], expected_id + 1
        return None
