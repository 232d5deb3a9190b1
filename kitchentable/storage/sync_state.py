"""The laptop's sync bookkeeping at rest: the four sync tables and the queries across them.

Owns every SQL statement on `sync_state` (enrolment, cursor, policy, catalogue, stamps),
`sync_cases` (which office case a local case is, its last accepted version and digest, the
devices the office named for it), `outbox_wire` (a change exactly as first built, so a retry
sends the same bytes) and `sync_conflicts` (both versions until the consultant chooses),
and the two questions that join them with `cases`: which cases may have work to send, and
which synced cases retention may remove. Values about people are sealed with the vault's
keys; plaintext columns hold ids, versions, digests and timestamps only.

Never decides what a sync does (that is the sync package), never talks to the network and
never imports Qt.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlite_utils

from kitchentable.errors import TamperedRecord
from kitchentable.storage.crypto import b64, unb64
from kitchentable.storage.database import now_iso
from kitchentable.storage.keys import VaultKeys


class CaseSyncState(StrEnum):
    """The `cases.sync_state` column: where a case stands with the office."""

    LOCAL = "local"  # never sent
    PENDING = "pending"  # changed since the office last had it, or on its way
    SYNCED = "synced"  # the office has exactly what is here
    CONFLICT = "conflict"  # another device changed it too; the consultant chooses


@dataclass
class SyncCase:
    """One `sync_cases` row, opened."""

    office_case_id: str
    base_version: int = 0
    pushed_digest: str | None = None
    synced_at: str | None = None
    recipients: list[dict[str, Any]] = field(default_factory=list)


# The seal version of an outbox_wire row says its form: 1 = JSON with the files in base64
# (before 0.2), 2 = framed bytes (no JSON or base64 around a file of ~100 KB), 3 = framed,
# the change and the seed its files are sealed again from (the files themselves not kept),
# 4 = how to build the change again (KeptRecipe: its seed and fields, not its bytes).
WIRE_JSON, WIRE_FRAMED, WIRE_SEEDED, WIRE_RECIPE = 1, 2, 3, 4
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class KeptRecipe:
    """A change as first built, kept as how to build it again byte for byte: the seed its
    payload, copies and files were sealed from, the fields that went into it besides its
    plaintext (which its outbox entry holds), and the digest of its bytes, which a rebuild
    must match. A few hundred bytes where the change itself is as large as its payload."""

    seed: bytes
    fields: dict[str, Any]
    digest: str  # SHA-256 (hex) of the change's wire bytes as first built

    @property
    def device_id(self) -> str | None:
        return self.fields.get("device_id")


@dataclass(frozen=True)
class KeptChange:
    """A change exactly as first built (its wire form) and the files it names: kept, or
    (`seed`) made again byte for byte from their source and the seed they were sealed with."""

    change: dict[str, Any]
    attachments: tuple[bytes, ...] = ()
    # The change as JSON, when the caller has its bytes already (not encoded again).
    encoded: bytes | None = field(default=None, compare=False)
    seed: bytes | None = None

    @property
    def version(self) -> int:
        return WIRE_FRAMED if self.seed is None else WIRE_SEEDED

    @property
    def device_id(self) -> str | None:
        return self.change.get("device_id")

    def frame(self) -> bytes:
        head = self.encoded
        if head is None:
            head = json.dumps(self.change, separators=(",", ":")).encode()
        if self.seed is not None and self.attachments:
            raise ValueError("a change is kept with its files or with their seed, not both")
        parts = [head, *self.attachments] if self.seed is None else [head, self.seed]
        return b"".join(_LENGTH.pack(len(part)) + part for part in parts)

    @classmethod
    def unframe(cls, data: bytes) -> KeptChange:
        parts, offset = [], 0
        while offset < len(data):
            (size,) = _LENGTH.unpack_from(data, offset)
            offset += _LENGTH.size
            parts.append(data[offset : offset + size])
            offset += size
        return cls(json.loads(parts[0]), tuple(parts[1:]))

    @classmethod
    def unframe_seeded(cls, data: bytes) -> KeptChange:
        kept = cls.unframe(data)
        (seed,) = kept.attachments
        return cls(kept.change, seed=seed)


@dataclass(frozen=True)
class StoredConflict:
    """One open conflict, opened: both versions and who the other one came from."""

    id: str
    case_id: str
    created_at: str
    mine: dict[str, Any] | None
    theirs: dict[str, Any] | None
    theirs_from: str | None
    current_version: int


class SyncStore:
    def __init__(self, db: sqlite_utils.Database, keys: VaultKeys) -> None:
        self.db = db
        self.keys = keys

    # -- sync_state: one sealed value per key -------------------------------------------
    def get(self, key: str) -> Any:
        row = self.db.execute("SELECT data FROM sync_state WHERE key = ?", [key]).fetchone()
        return None if row is None else self.keys.open("sync_state", key, 1, row[0])

    def put(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO sync_state(key, data) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET data = excluded.data",
            [key, self.keys.seal("sync_state", key, 1, value)],
        )

    def clear(self) -> None:
        """Forget the enrolment and everything learnt from the office (revocation)."""
        self.db.execute("DELETE FROM sync_state")

    # -- sync_cases ---------------------------------------------------------------------
    def case(self, case_id: str) -> SyncCase | None:
        row = self.db.execute(
            "SELECT office_case_id, base_version, pushed_digest, synced_at, data "
            "FROM sync_cases WHERE case_id = ?",
            [case_id],
        ).fetchone()
        if row is None:
            return None
        sealed = self.keys.open("sync_cases", case_id, 1, row[4])
        return SyncCase(row[0], int(row[1]), row[2], row[3], sealed.get("recipients", []))

    def save_case(self, case_id: str, case: SyncCase) -> None:
        sealed = self.keys.seal("sync_cases", case_id, 1, {"recipients": case.recipients})
        self.db.execute(
            "INSERT INTO sync_cases(case_id, office_case_id, base_version, pushed_digest, "
            "synced_at, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET "
            "base_version = excluded.base_version, pushed_digest = excluded.pushed_digest, "
            "synced_at = excluded.synced_at, data = excluded.data",
            [
                case_id,
                case.office_case_id,
                case.base_version,
                case.pushed_digest,
                case.synced_at,
                sealed,
            ],
        )

    def settle_case(
        self, case_id: str, synced_at: str, accepted: tuple[int, str | None] | None = None
    ) -> None:
        """The office accepted a change of this case (`accepted`: the case's own change, with
        the version the office gave it and the digest it was built from): only the
        plaintext columns change, the sealed recipients stay as they are (no read, no
        seal). A case without a row yet gets one, under its own id at the office."""
        params: list[object] = [synced_at, case_id]
        sql = "synced_at = ?"
        if accepted is not None:
            sql = "base_version = ?, pushed_digest = ?, synced_at = ?"
            params = [*accepted, *params]
        done = self.db.execute(
            f"UPDATE sync_cases SET {sql} WHERE case_id = ?",  # noqa: S608
            params,
        ).rowcount
        if not done:
            base_version, digest = accepted or (0, None)
            self.save_case(case_id, SyncCase(case_id, base_version, digest, synced_at))

    def local_case(self, office_case_id: str) -> str | None:
        """The local case id of an office case this laptop knows, else None."""
        row = self.db.execute(
            "SELECT case_id FROM sync_cases WHERE office_case_id = ?", [office_case_id]
        ).fetchone()
        return None if row is None else str(row[0])

    def office_case_ids(self) -> dict[str, str]:
        """Every local case id the office knows under an id of its own → that id."""
        rows = self.db.execute("SELECT case_id, office_case_id FROM sync_cases").fetchall()
        return {str(row[0]): str(row[1]) for row in rows}

    # -- outbox_wire --------------------------------------------------------------------
    def wire(self, change_id: str) -> KeptChange | KeptRecipe | None:
        row = self.db.execute(
            "SELECT data FROM outbox_wire WHERE change_id = ?", [change_id]
        ).fetchone()
        if row is None:
            return None
        try:
            recipe = self.keys.open("outbox_wire", change_id, WIRE_RECIPE, row[0])
            return KeptRecipe(unb64(recipe["seed"]), recipe["fields"], recipe["digest"])
        except TamperedRecord:
            pass  # kept in an earlier form
        for version, read in (
            (WIRE_FRAMED, KeptChange.unframe),
            (WIRE_SEEDED, KeptChange.unframe_seeded),
        ):
            try:
                return read(self.keys.open_bytes("outbox_wire", change_id, version, row[0]))
            except TamperedRecord:
                continue
        # Kept by a version before the framed form: JSON with the files in base64.
        old = self.keys.open("outbox_wire", change_id, WIRE_JSON, row[0])
        return KeptChange(old["change"], tuple(unb64(a) for a in old["attachments"]))

    def put_wire(self, change_id: str, kept: KeptChange | KeptRecipe) -> None:
        self.put_sealed_wire(change_id, self.seal_wire(change_id, kept))

    def seal_wire(self, change_id: str, kept: KeptChange | KeptRecipe) -> bytes:
        """A kept change sealed for its row (pure: any thread may do it, before the write)."""
        if isinstance(kept, KeptRecipe):
            value = {"seed": b64(kept.seed), "fields": kept.fields, "digest": kept.digest}
            return self.keys.seal("outbox_wire", change_id, WIRE_RECIPE, value)
        return self.keys.seal_bytes("outbox_wire", change_id, kept.version, kept.frame())

    def put_sealed_wire(self, change_id: str, sealed: bytes) -> None:
        self.db.execute(
            "INSERT INTO outbox_wire(change_id, data) VALUES (?, ?) ON CONFLICT(change_id) "
            "DO UPDATE SET data = excluded.data",
            [change_id, sealed],
        )

    def kept_ids(self) -> set[str]:
        """The changes kept as first built (they go again exactly as they are)."""
        return {row[0] for row in self.db.execute("SELECT change_id FROM outbox_wire")}

    def drop_wire(self, change_id: str) -> None:
        """The office has decided on the change: its bytes (and files) need not be kept."""
        self.db.execute("DELETE FROM outbox_wire WHERE change_id = ?", [change_id])

    # -- sync_conflicts -----------------------------------------------------------------
    def open_conflict(self, case_id: str) -> StoredConflict | None:
        row = self.db.execute(
            "SELECT id, case_id, created_at, data FROM sync_conflicts "
            "WHERE case_id = ? AND resolved_at IS NULL",
            [case_id],
        ).fetchone()
        return None if row is None else self._conflict(row)

    def conflicts(self) -> list[StoredConflict]:
        rows = self.db.execute(
            "SELECT id, case_id, created_at, data FROM sync_conflicts "
            "WHERE resolved_at IS NULL ORDER BY created_at"
        ).fetchall()
        return [self._conflict(row) for row in rows]

    def _conflict(self, row: Any) -> StoredConflict:
        data = self.keys.open("sync_conflicts", row[0], 1, row[3])
        return StoredConflict(
            id=row[0],
            case_id=row[1],
            created_at=row[2],
            mine=data.get("mine"),
            theirs=data.get("theirs"),
            theirs_from=data.get("theirs_from"),
            current_version=int(data["current_version"]),
        )

    def save_conflict(self, conflict: StoredConflict) -> None:
        """Insert a new open conflict, or update the sealed versions of an existing one."""
        data = {
            "mine": conflict.mine,
            "theirs": conflict.theirs,
            "theirs_from": conflict.theirs_from,
            "current_version": conflict.current_version,
        }
        sealed = self.keys.seal("sync_conflicts", conflict.id, 1, data)
        self.db.execute(
            "INSERT INTO sync_conflicts(id, case_id, created_at, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
            [conflict.id, conflict.case_id, conflict.created_at, sealed],
        )

    def resolve_conflict(self, conflict_id: str) -> None:
        self.db.execute(
            "UPDATE sync_conflicts SET resolved_at = ? WHERE id = ?", [now_iso(), conflict_id]
        )

    def conflicted_case_ids(self) -> set[str]:
        rows = self.db.execute("SELECT case_id FROM sync_conflicts WHERE resolved_at IS NULL")
        return {row[0] for row in rows}

    def open_conflict_count(self) -> int:
        return int(
            self.db.execute(
                "SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL"
            ).fetchone()[0]
        )

    # -- across the tables --------------------------------------------------------------
    def candidate_case_ids(self) -> list[str]:
        """Cases that may hold work the office does not have: every case the repository
        marked as changed since it was 'synced', and every case never sent. A quiet laptop
        reads nothing (the repository flips 'synced' to 'pending' on every change)."""
        rows = self.db.execute(
            "SELECT id FROM cases WHERE sync_state != ? "
            "OR id NOT IN (SELECT case_id FROM sync_cases) ORDER BY created_at, id",
            [CaseSyncState.SYNCED.value],
        ).fetchall()
        return [row[0] for row in rows]

    def synced_before(self, status: str, limit: str) -> list[str]:
        """Cases in `status` that the office confirmed at or before `limit` (ISO time)."""
        rows = self.db.execute(
            "SELECT c.id FROM cases c JOIN sync_cases s ON s.case_id = c.id "
            "WHERE c.status = ? AND s.synced_at IS NOT NULL AND s.synced_at <= ?",
            [status, limit],
        ).fetchall()
        return [row[0] for row in rows]
