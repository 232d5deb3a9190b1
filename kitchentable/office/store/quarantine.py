"""Changes the export could not open: the office store's `quarantine` rows, and removing
such a change once an export has listed it.

Owns noting which stored changes an export held back and why (a stable reason code, never
content), listing them for the administrator, and removing one for good: the change, its
attachment rows, the copies waiting in colleagues' feeds, files no other change names, and
the record it held (which falls back to the last accepted change before it). A change is
removed only after an export listed it, so the administrator has its metadata on file.
Never reads a sealed payload. Never reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kitchentable.office.backends import Backend, Cursor
from kitchentable.office.errors import OfficeError
from kitchentable.office.store.common import iso


@dataclass(frozen=True)
class Held:
    change_id: str
    reason: str
    noted_at: str
    received_at: str | None
    device_id: str | None
    consultant: str | None
    entity: str | None


def note(backend: Backend, items: Sequence[tuple[str, str]], now: datetime) -> None:
    """Remember the changes an export held back; a change noted before keeps its first note."""
    with backend.transaction() as cur:
        for change_id, reason in items:
            if (
                cur.execute("SELECT 1 FROM quarantine WHERE change_id = ?", [change_id]).fetchone()
                is None
            ):
                cur.execute(
                    "INSERT INTO quarantine (change_id, reason, noted_at) VALUES (?, ?, ?)",
                    [change_id, reason[:200], iso(now)],
                )


def held(backend: Backend) -> list[Held]:
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            "SELECT q.change_id, q.reason, q.noted_at, c.received_at, c.device_id, "
            "d.consultant, c.entity FROM quarantine q "
            "LEFT JOIN changes c ON c.id = q.change_id "
            "LEFT JOIN devices d ON d.id = c.device_id ORDER BY q.noted_at, q.change_id"
        ).fetchall()
    return [Held(*row) for row in rows]


def remove(backend: Backend, change_id: str) -> None:
    """Remove a quarantined change and everything that names it."""
    with backend.transaction() as cur:
        if (
            cur.execute("SELECT 1 FROM quarantine WHERE change_id = ?", [change_id]).fetchone()
            is None
        ):
            raise OfficeError(
                "not_quarantined",
                f"Change {change_id} is not in quarantine: only a change an export listed "
                "there can be removed. Nothing was changed.",
                404,
            )
        row = cur.execute(
            "SELECT entity, entity_id FROM changes WHERE id = ?", [change_id]
        ).fetchone()
        shas = [
            r[0]
            for r in cur.execute(
                "SELECT sha256 FROM change_attachments WHERE change_id = ?", [change_id]
            ).fetchall()
        ]
        cur.execute("DELETE FROM change_attachments WHERE change_id = ?", [change_id])
        cur.execute("DELETE FROM feed WHERE kind = 'peer_change' AND item_id = ?", [change_id])
        cur.execute("DELETE FROM changes WHERE id = ?", [change_id])
        if row is not None:
            _fall_back(cur, row[0], row[1], change_id)
        for sha in shas:
            if (
                cur.execute("SELECT 1 FROM change_attachments WHERE sha256 = ?", [sha]).fetchone()
                is None
            ):
                cur.execute("DELETE FROM blobs WHERE sha256 = ? AND kind = 'attachment'", [sha])
        cur.execute("DELETE FROM quarantine WHERE change_id = ?", [change_id])


def _fall_back(cur: Cursor, entity: str, entity_id: str, removed: str) -> None:
    """A record held by the removed change goes back to its last accepted change."""
    holder = cur.execute(
        "SELECT change_id FROM records WHERE entity = ? AND entity_id = ?", [entity, entity_id]
    ).fetchone()
    if holder is None or holder[0] != removed:
        return
    previous = cur.execute(
        "SELECT server_version, id FROM changes WHERE entity = ? AND entity_id = ? "
        "AND status = 'accepted' ORDER BY server_version DESC LIMIT 1",
        [entity, entity_id],
    ).fetchone()
    if previous is None:
        cur.execute("DELETE FROM records WHERE entity = ? AND entity_id = ?", [entity, entity_id])
    else:
        cur.execute(
            "UPDATE records SET server_version = ?, change_id = ? "
            "WHERE entity = ? AND entity_id = ?",
            [previous[0], previous[1], entity, entity_id],
        )
