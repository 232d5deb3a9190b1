"""What the decisions about a push's changes read, inside the writer's transaction.

Owns the rows a change's fate is decided on (the change id and the device's sequence number,
the record's row, the case's right, the consultant and revocation of each device named), read
either one at a time as each decision asks, or for the whole push in a few statements before
the first decision (on PostgreSQL in one round trip) and then kept up to date with every row the push itself writes (`kept_*`),
so later changes of the same push see earlier ones exactly as the database would. Reading
ahead is only for a body where nothing is undone alone (no savepoint): a rollback to a
savepoint would leave remembered rows the database no longer has. Never writes a row and
never decides anything: `changes` and `rights` do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kitchentable.office.backends import Cursor, read_together
from kitchentable.office.store.common import Right, case_of
from kitchentable.sync.protocol import Change, Status

# A change row as a decision reads it: id, digest, status, server_version, device_id.
ChangeRow = tuple[str, str, Status, int, str]


@dataclass(frozen=True)
class Record:
    """A record's row: the case it is stored under, its version, the change holding it."""

    case_ref: str | None
    server_version: int
    change_id: str


@dataclass(frozen=True)
class Device:
    consultant: str
    revoked: bool


class Lookups:
    """The reads of one writer's transaction. `ahead`: `read_ahead` has read every row a
    push's decisions will ask for and the push's own writes are remembered; otherwise each
    question goes to the database (devices excepted: no decision changes a device row)."""

    def __init__(self, cur: Cursor, *, ahead: bool = False) -> None:
        self.cur = cur
        self.ahead = ahead
        self._ids: dict[str, ChangeRow | None] = {}
        self._seqs: dict[tuple[str, int], bool] = {}
        self._records: dict[tuple[str, str], Record | None] = {}
        self._rights: dict[str, Right | None] = {}
        self._devices: dict[str, Device | None] = {}

    # -- reading a whole push at once ----------------------------------------------------
    def read_ahead(self, changes: Sequence[Change]) -> int:
        """Every row the decisions about `changes` read, sent together (one round trip on
        PostgreSQL); returns the server-version counter as it stands."""
        ids = [c.id for c in changes]
        seqs = {(c.device_id, c.seq) for c in changes}
        numbers: dict[str, list[int]] = {}
        for device_id, seq in sorted(seqs):
            numbers.setdefault(device_id, []).append(seq)
        # Each device's numbers apart: the (device_id, seq) index answers each part.
        by_device = " OR ".join(
            f"(device_id = ? AND seq IN ({_marks(n)}))" for n in numbers.values()
        )
        keys = {(c.entity, c.entity_id) for c in changes}
        entities, entity_ids = sorted({e for e, _ in keys}), sorted({i for _, i in keys})
        cases = sorted({case_of(c) for c in changes})
        named = sorted({c.device_id for c in changes} | {r for c in changes for r, _ in c.copies})
        queries: list[tuple[str, list[Any]]] = [
            ("SELECT value FROM counters WHERE name = 'server_version'", []),
            (
                "SELECT id, digest, status, server_version, device_id, seq FROM changes "  # noqa: S608
                f"WHERE id IN ({_marks(ids)}) OR {by_device}",
                [*ids, *(v for d, n in numbers.items() for v in (d, *n))],
            ),
            (
                "SELECT entity, entity_id, case_ref, server_version, change_id FROM records "  # noqa: S608
                f"WHERE entity IN ({_marks(entities)}) AND entity_id IN ({_marks(entity_ids)})",
                [*entities, *entity_ids],
            ),
            (
                "SELECT case_ref, consultant, device_id FROM case_rights "  # noqa: S608
                f"WHERE case_ref IN ({_marks(cases)})",
                cases,
            ),
            (
                f"SELECT id, consultant, revoked_at FROM devices WHERE id IN ({_marks(named)})",  # noqa: S608
                named,
            ),
        ]
        counter, taken, records, held, known = read_together(self.cur, queries)
        self._ids = dict.fromkeys(ids)
        self._seqs = dict.fromkeys(seqs, False)
        for row in taken:
            if row[0] in self._ids:
                self._ids[row[0]] = (row[0], row[1], row[2], int(row[3]), row[4])
            if (row[4], int(row[5])) in self._seqs:
                self._seqs[(row[4], int(row[5]))] = True
        self._records = dict.fromkeys(keys)
        for row in records:
            if (row[0], row[1]) in keys:
                self._records[(row[0], row[1])] = Record(row[2], int(row[3]), row[4])
        self._rights = dict.fromkeys(cases)
        for row in held:
            self._rights[row[0]] = Right(row[1], row[2])
        self._devices.update(dict.fromkeys(named))
        for row in known:
            self._devices[row[0]] = Device(row[1], row[2] is not None)
        return int(counter[0][0])

    # -- questions -------------------------------------------------------------------------
    def change(self, change: Change) -> tuple[ChangeRow | None, bool]:
        """The stored change under this id, if any, and whether the device's sequence
        number is taken (by any change)."""
        key = (change.device_id, change.seq)
        if self.ahead and change.id in self._ids and key in self._seqs:
            return self._ids[change.id], self._seqs[key]
        rows = self.cur.execute(
            "SELECT id, digest, status, server_version, device_id FROM changes "
            "WHERE id = ? OR (device_id = ? AND seq = ?)",
            [change.id, change.device_id, change.seq],
        ).fetchall()
        known = next((row for row in rows if row[0] == change.id), None)
        row = None if known is None else (known[0], known[1], known[2], int(known[3]), known[4])
        return row, bool(rows)

    def record(self, entity: str, entity_id: str) -> Record | None:
        if self.ahead and (entity, entity_id) in self._records:
            return self._records[(entity, entity_id)]
        row = self.cur.execute(
            "SELECT case_ref, server_version, change_id FROM records "
            "WHERE entity = ? AND entity_id = ?",
            [entity, entity_id],
        ).fetchone()
        return None if row is None else Record(row[0], int(row[1]), row[2])

    def right(self, case_ref: str) -> Right | None:
        if self.ahead and case_ref in self._rights:
            return self._rights[case_ref]
        row = self.cur.execute(
            "SELECT consultant, device_id FROM case_rights WHERE case_ref = ?", [case_ref]
        ).fetchone()
        return None if row is None else Right(row[0], row[1])

    def device(self, device_id: str) -> Device | None:
        if device_id not in self._devices:
            self._read_devices([device_id])
        return self._devices[device_id]

    # -- what the push wrote ---------------------------------------------------------------
    def kept_change(self, change: Change, row: ChangeRow) -> None:
        if self.ahead:
            self._ids[change.id] = row
            self._seqs[(change.device_id, change.seq)] = True

    def kept_record(self, entity: str, entity_id: str, record: Record) -> None:
        if self.ahead:
            self._records[(entity, entity_id)] = record

    def kept_right(self, case_ref: str, right: Right) -> None:
        if self.ahead:
            self._rights[case_ref] = Right(right.consultant, right.device_id)

    def _read_devices(self, ids: Iterable[str]) -> None:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return
        self._devices.update(dict.fromkeys(wanted))
        rows = self.cur.execute(
            f"SELECT id, consultant, revoked_at FROM devices WHERE id IN ({_marks(wanted)})",  # noqa: S608
            wanted,
        ).fetchall()
        for row in rows:
            self._devices[row[0]] = Device(row[1], row[2] is not None)


def _marks(values: Iterable[Any]) -> str:
    """`?, ?, ?`: one placeholder per value."""
    return ", ".join("?" for _ in values)
