"""Reading the latest accepted version of each case's records, a chunk at a time.

Owns two read-only queries for readers that open received work in bulk (the monitoring
report): which changes are the latest accepted ones per case and entity (by server version),
and the stored changes at given server versions. So a reader holds a chunk of envelopes at a
time, never every change the office keeps. Never writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kitchentable.office.backends import Backend
from kitchentable.office.store.changes import CHANGE_COLUMNS


def latest_accepted(backend: Backend, entities: Sequence[str]) -> list[int]:
    """The server versions of the latest accepted change per case and entity, ascending."""
    marks = ", ".join("?" for _ in entities)
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            "SELECT MAX(server_version) FROM changes WHERE status = 'accepted' "  # noqa: S608
            f"AND case_ref IS NOT NULL AND entity IN ({marks}) GROUP BY case_ref, entity",
            list(entities),
        ).fetchall()
    return sorted(int(row[0]) for row in rows)


def changes_at(backend: Backend, versions: Sequence[int]) -> list[dict[str, Any]]:
    """The stored changes at these server versions (metadata and envelope), in order."""
    if not versions:
        return []
    marks = ", ".join("?" for _ in versions)
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            f"SELECT {', '.join(CHANGE_COLUMNS)} FROM changes "  # noqa: S608
            f"WHERE server_version IN ({marks}) ORDER BY server_version",
            [int(v) for v in versions],
        ).fetchall()
    return [dict(zip(CHANGE_COLUMNS, row, strict=True)) for row in rows]
