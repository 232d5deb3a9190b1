"""What every part of the office store shares: time as text, hashes of secrets, the device
row, the one server-version counter, and a case's right (`Right`, `case_of`: what rights
decides and lookups reads ahead).

Owns the text form of a moment in the database (ISO 8601, seconds), hashing a token or code
before it is stored (SHA-256: the database never holds one), the `Device` row, and the
counter that gives every stored change and feed item its server version. Never reads the
clock: callers pass `now`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kitchentable.office.backends import Cursor
from kitchentable.sync.protocol import Change, FeedItem
from kitchentable.sync.wire import canonical


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_token() -> str:
    # 32 random bytes; only its SHA-256 is stored, so a copy of the database grants nothing.
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Device:
    id: str
    consultant: str
    label: str
    sign_public: str
    box_public: str
    enrolled_at: str
    revoked_at: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


DEVICE_COLUMNS = "id, consultant, label, sign_public, box_public, enrolled_at, revoked_at"


def counter(cur: Cursor, name: str) -> int:
    return int(cur.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()[0])


def next_version(cur: Cursor) -> int:
    """One counter for changes and feed items: a pull cursor orders both."""
    cur.execute("UPDATE counters SET value = value + 1 WHERE name = 'server_version'")
    return counter(cur, "server_version")


class Versions:
    """Server versions for one writer's transaction. `batched`: the counter is read once,
    versions handed out in memory and the counter written once (`close`): two statements
    fewer per version, for a body where nothing is undone alone (no savepoint), since a
    rollback then takes the counter's update with it. Otherwise each version is counted in
    the database as it is given (`next_version`)."""

    def __init__(self, cur: Cursor, *, batched: bool, now_at: int | None = None) -> None:
        """`now_at`: the counter's value as the caller just read it in this transaction."""
        self.cur = cur
        self.batched = batched
        if batched and now_at is None:
            now_at = counter(cur, "server_version")
        self._first = self._last = now_at or 0

    def next(self) -> int:
        if not self.batched:
            return next_version(self.cur)
        self._last += 1
        return self._last

    def close(self) -> None:
        if self._last != self._first:
            self.cur.execute(
                "UPDATE counters SET value = ? WHERE name = 'server_version'", [self._last]
            )


def insert_item(cur: Cursor, item: FeedItem, now: datetime) -> int:
    """One signed office item into the feed, at the next server version."""
    version = next_version(cur)
    cur.execute(
        "INSERT INTO feed (server_version, device_id, kind, item_id, envelope, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            version,
            item.device_id,
            item.kind,
            item.item_id,
            canonical(item.to_wire()).decode("ascii"),
            iso(now),
        ],
    )
    return version


def utc_iso(moment: datetime) -> str:
    """A moment as ISO text in UTC (the admin tables keep UTC; the page shows local time)."""
    return iso(moment.astimezone(UTC))


@dataclass(frozen=True)
class Right:
    """The right to push a case: any device of `consultant`, or only `device_id`."""

    consultant: str
    device_id: str | None
    new: bool = field(default=False, compare=False)  # made for a new case, not yet stored


def case_of(change: Change) -> str:
    """The case a change belongs to: the case it names, else (a case snapshot) itself."""
    return change.case_ref or change.entity_id
