"""What devices pull: the office store's `feed`, `assignments` and `counters` rows.

Owns putting the office's signed items in the feed in server-version order (forms,
catalogue, policy for every device; assignments sealed per device), recording an
assignment with its items in one transaction, and reading a device's page of the feed
after its cursor, with the colleagues' versions of shared cases. Never signs or opens
anything: items arrive signed by the administrator's command. Never reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kitchentable.office.backends import Backend
from kitchentable.office.errors import AlreadyAssigned, ResyncRequired
from kitchentable.office.store import rights
from kitchentable.office.store.common import counter, insert_item, iso
from kitchentable.sync.protocol import MAX_PULL_ITEMS, Change, FeedItem, PullEntry
from kitchentable.sync.wire import parse_json

ASSIGNMENT_COLUMNS = (
    "case_id",
    "consultant",
    "reference",
    "deadline",
    "created_at",
    "withdrawn_at",
)


def publish(backend: Backend, items: Sequence[FeedItem], now: datetime) -> list[int]:
    """Put signed office items in the feed, in order; returns their versions."""
    with backend.transaction() as cur:
        return [insert_item(cur, item, now) for item in items]


def assign(
    backend: Backend,
    case_id: str,
    consultant: str,
    reference: str,
    deadline: str | None,
    office_copy: str,
    items: Sequence[FeedItem],
    now: datetime,
) -> None:
    """Record a new assignment and its per-device sealed items in one transaction."""
    with backend.transaction() as cur:
        if cur.execute("SELECT 1 FROM assignments WHERE case_id = ?", [case_id]).fetchone():
            raise AlreadyAssigned(case_id)
        cur.execute(
            "INSERT INTO assignments (case_id, consultant, reference, deadline, "
            "created_at, office_copy) VALUES (?, ?, ?, ?, ?, ?)",
            [case_id, consultant, reference, deadline, iso(now), office_copy],
        )
        rights.grant(cur, case_id, consultant, now)
        for item in items:
            insert_item(cur, item, now)


def latest(backend: Backend, kind: str) -> FeedItem | None:
    """The office's newest item of one kind for every device (the catalogue now in force)."""
    with backend.transaction(write=False) as cur:
        row = cur.execute(
            "SELECT envelope FROM feed WHERE kind = ? AND device_id IS NULL "
            "ORDER BY server_version DESC LIMIT 1",
            [kind],
        ).fetchone()
    return None if row is None else FeedItem.from_wire(parse_json(row[0]))


def assignments(backend: Backend) -> list[dict[str, Any]]:
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            f"SELECT {', '.join(ASSIGNMENT_COLUMNS)} FROM assignments "  # noqa: S608
            "ORDER BY created_at, case_id"
        ).fetchall()
    return [dict(zip(ASSIGNMENT_COLUMNS, row, strict=True)) for row in rows]


def office_copy(backend: Backend, case_id: str) -> str | None:
    """The assignment sealed to the office's own key, or None for a case not assigned."""
    with backend.transaction(write=False) as cur:
        row = cur.execute(
            "SELECT office_copy FROM assignments WHERE case_id = ?", [case_id]
        ).fetchone()
    return None if row is None else str(row[0])


def pull(
    backend: Backend,
    device_id: str,
    cursor: int,
    *,
    resync: bool = False,
    limit: int = MAX_PULL_ITEMS,
) -> tuple[list[PullEntry], int, bool]:
    """The entries after `cursor` for this device: (entries, next cursor, more)."""
    with backend.transaction(write=False) as cur:
        top = counter(cur, "server_version")
        horizon = counter(cur, "feed_horizon")
        if resync:
            cursor = 0
        elif cursor > top or (cursor < horizon):
            raise ResyncRequired
        rows = cur.execute(
            "SELECT f.server_version, f.kind, f.envelope, c.envelope, c.status, "
            "c.server_version FROM feed f LEFT JOIN changes c "
            "ON f.kind = 'peer_change' AND c.id = f.item_id "
            "WHERE f.server_version > ? AND (f.device_id = ? OR f.device_id IS NULL) "
            "ORDER BY f.server_version LIMIT ?",
            [cursor, device_id, limit + 1],
        ).fetchall()
    more = len(rows) > limit
    entries = []
    for version, kind, envelope, change_envelope, status, change_version in rows[:limit]:
        if kind == "peer_change":
            entries.append(
                PullEntry(
                    int(version),
                    change=Change.from_wire(parse_json(change_envelope)),
                    status=status,
                    server_version=int(change_version),
                )
            )
        else:
            entries.append(PullEntry(int(version), item=FeedItem.from_wire(parse_json(envelope))))
    next_cursor = entries[-1].version if more else top
    return entries, next_cursor, more
