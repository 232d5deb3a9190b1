"""The office server's storage: devices, enrolment codes, received changes, record versions.

Owns the SQL, the schema migrations and every transaction that decides a change's fate
(idempotency by UUID, the version compare-and-set, conflict bookkeeping), so those
decisions are atomic. Holds only metadata and sealed envelopes: it never sees plaintext
client data and never holds an office private key. Token and code values are stored as
SHA-256 hashes only. Never reads the clock: callers pass `now`, and nothing about a
change's fate depends on it.

The SQL is portable (TEXT, BIGINT, standard UPSERT-free statements) and written with `?`
placeholders; a backend translates them (`%s` for psycopg) so PostgreSQL can be added as a
second `Backend` without touching the statements.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from kitchentable.sync.protocol import Change, ChangeResult
from kitchentable.sync.wire import b64, canonical

DB_NAME = "office.db"
CODE_LIFETIME = timedelta(hours=24)
# Crockford-style alphabet without 0/O, 1/I/L: codes are read aloud and typed by hand.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 4  # 16 characters ≈ 78 bits: out of reach of online guessing within 24 h

Params = Sequence[Any]

MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "initial",
        [
            "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            "INSERT INTO counters (name, value) VALUES ('server_version', 0)",
            """CREATE TABLE devices (
                id TEXT PRIMARY KEY,
                consultant TEXT NOT NULL,
                label TEXT NOT NULL,
                sign_public TEXT NOT NULL,
                box_public TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                enrolled_at TEXT NOT NULL,
                revoked_at TEXT
            )""",
            """CREATE TABLE enrolment_codes (
                code_hash TEXT PRIMARY KEY,
                consultant TEXT NOT NULL,
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                used_at TEXT,
                device_id TEXT
            )""",
            """CREATE TABLE changes (
                id TEXT PRIMARY KEY,
                device_id TEXT NOT NULL REFERENCES devices (id),
                seq BIGINT NOT NULL,
                entity TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                case_ref TEXT,
                base_version BIGINT NOT NULL,
                last_seen_server_version BIGINT NOT NULL,
                server_version BIGINT NOT NULL UNIQUE,
                status TEXT NOT NULL,
                conflict_with TEXT,
                digest TEXT NOT NULL,
                envelope TEXT NOT NULL,
                received_at TEXT NOT NULL,
                UNIQUE (device_id, seq)
            )""",
            "CREATE INDEX changes_record ON changes (entity, entity_id)",
            """CREATE TABLE records (
                entity TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                server_version BIGINT NOT NULL,
                change_id TEXT NOT NULL,
                PRIMARY KEY (entity, entity_id)
            )""",
        ],
    ),
]


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(4 * CODE_GROUPS))
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def new_token() -> str:
    # 32 random bytes; only its SHA-256 is stored, so a copy of the database grants nothing.
    return secrets.token_urlsafe(32)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


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


class CodeRefused(Exception):
    """An enrolment code that cannot be used; `code` says why (unknown, used, expired)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Backend(Protocol):
    """What the store needs from a database: transactions of `?`-style statements."""

    def transaction(self) -> AbstractContextManager[Cursor]: ...

    def close(self) -> None: ...


class Cursor(Protocol):
    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class SQLiteBackend:
    """Embedded SQLite: one connection, one writer at a time (BEGIN IMMEDIATE), WAL."""

    def __init__(self, path: Path | str) -> None:
        # The handlers run in a thread pool; the lock serialises all use of the connection.
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: an answer "accepted" must survive a power cut, or the laptop drops a change.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self._lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class Store:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._migrate()

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        return cls(SQLiteBackend(data_dir / DB_NAME))

    def close(self) -> None:
        self.backend.close()

    def _migrate(self) -> None:
        with self.backend.transaction() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"
            )
            done = {row[0] for row in cur.execute("SELECT name FROM _migrations").fetchall()}
            for number, (name, statements) in enumerate(MIGRATIONS, start=1):
                if name in done:
                    continue
                for statement in statements:
                    cur.execute(statement)
                cur.execute("INSERT INTO _migrations (id, name) VALUES (?, ?)", [number, name])

    # -- enrolment -----------------------------------------------------------------------
    def create_code(self, consultant: str, now: datetime) -> str:
        code = new_code()
        with self.backend.transaction() as cur:
            cur.execute(
                "INSERT INTO enrolment_codes (code_hash, consultant, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                [sha256_hex(normalise_code(code)), consultant, iso(now), iso(now + CODE_LIFETIME)],
            )
        return code

    def redeem_code(
        self, code: str, label: str, sign_public: bytes, box_public: bytes, now: datetime
    ) -> tuple[Device, str]:
        """Use a code once: creates the device and returns it with its bearer token."""
        code_hash = sha256_hex(normalise_code(code))
        token = new_token()
        device_id = str(uuid.uuid4())
        with self.backend.transaction() as cur:
            row = cur.execute(
                "SELECT consultant, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?",
                [code_hash],
            ).fetchone()
            if row is None:
                raise CodeRefused("code_unknown")
            consultant, expires_at, used_at = row
            if used_at is not None:
                raise CodeRefused("code_used")
            if iso(now) >= expires_at:
                raise CodeRefused("code_expired")
            cur.execute(
                "UPDATE enrolment_codes SET used_at = ?, device_id = ? WHERE code_hash = ?",
                [iso(now), device_id, code_hash],
            )
            cur.execute(
                "INSERT INTO devices (id, consultant, label, sign_public, box_public, "
                "token_hash, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    device_id,
                    consultant,
                    label,
                    b64(sign_public),
                    b64(box_public),
                    sha256_hex(token),
                    iso(now),
                ],
            )
        device = Device(
            device_id, consultant, label, b64(sign_public), b64(box_public), iso(now), None
        )
        return device, token

    # -- devices -------------------------------------------------------------------------
    _DEVICE_COLUMNS = "id, consultant, label, sign_public, box_public, enrolled_at, revoked_at"

    def device_for_token(self, token: str) -> Device | None:
        with self.backend.transaction() as cur:
            row = cur.execute(
                f"SELECT {self._DEVICE_COLUMNS} FROM devices WHERE token_hash = ?",  # noqa: S608
                [sha256_hex(token)],
            ).fetchone()
        return None if row is None else Device(*row)

    def devices(self) -> list[Device]:
        with self.backend.transaction() as cur:
            rows = cur.execute(
                f"SELECT {self._DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at, id"  # noqa: S608
            ).fetchall()
        return [Device(*row) for row in rows]

    def revoke(self, device_id: str, now: datetime) -> bool:
        """Revoke a device; False when there is no such device. Revoking twice keeps the
        first moment."""
        with self.backend.transaction() as cur:
            found = cur.execute("SELECT 1 FROM devices WHERE id = ?", [device_id]).fetchone()
            cur.execute(
                "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                [iso(now), device_id],
            )
        return found is not None

    # -- changes -------------------------------------------------------------------------
    def record_change(self, index: int, change: Change, now: datetime) -> ChangeResult:
        """Store one verified change exactly once and decide its fate in one transaction.

        Rules: a known UUID is a duplicate (same bytes) or a reuse (different bytes →
        rejected); a sequence number is used once per device; base_version equal to the
        record's current version → accepted and the record moves on; anything else →
        conflict: kept beside the current version, which stays current until the office
        resolves it. Every stored change gets its own server version, so a pull cursor
        sees conflicts too.
        """
        envelope = canonical(change.to_wire()).decode("ascii")
        digest = hashlib.sha256(change.signed_bytes() + change.signature).hexdigest()
        with self.backend.transaction() as cur:
            known = cur.execute(
                "SELECT digest, status, server_version, device_id FROM changes WHERE id = ?",
                [change.id],
            ).fetchone()
            if known is not None:
                if known[0] != digest or known[3] != change.device_id:
                    return _rejected(
                        index,
                        change.id,
                        "id_reused",
                        "This change id was already used for other content.",
                    )
                current = _current_version(cur, change.entity, change.entity_id)
                return ChangeResult(
                    index, change.id, "duplicate", known[2], current, first_status=known[1]
                )
            seq_taken = cur.execute(
                "SELECT 1 FROM changes WHERE device_id = ? AND seq = ?",
                [change.device_id, change.seq],
            ).fetchone()
            if seq_taken is not None:
                return _rejected(
                    index,
                    change.id,
                    "seq_reused",
                    "This sequence number was already used by this device.",
                )
            record = cur.execute(
                "SELECT server_version, change_id FROM records WHERE entity = ? AND entity_id = ?",
                [change.entity, change.entity_id],
            ).fetchone()
            current, holder = (0, None) if record is None else (record[0], record[1])
            cur.execute("UPDATE counters SET value = value + 1 WHERE name = 'server_version'")
            version = cur.execute(
                "SELECT value FROM counters WHERE name = 'server_version'"
            ).fetchone()[0]
            status = "accepted" if change.base_version == current else "conflict"
            cur.execute(
                "INSERT INTO changes (id, device_id, seq, entity, entity_id, case_ref, "
                "base_version, last_seen_server_version, server_version, status, "
                "conflict_with, digest, envelope, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    change.id,
                    change.device_id,
                    change.seq,
                    change.entity,
                    change.entity_id,
                    change.case_ref,
                    change.base_version,
                    change.last_seen_server_version,
                    version,
                    status,
                    holder if status == "conflict" else None,
                    digest,
                    envelope,
                    iso(now),
                ],
            )
            if status == "conflict":
                return ChangeResult(index, change.id, "conflict", version, current)
            if record is None:
                cur.execute(
                    "INSERT INTO records (entity, entity_id, server_version, change_id) "
                    "VALUES (?, ?, ?, ?)",
                    [change.entity, change.entity_id, version, change.id],
                )
            else:
                cur.execute(
                    "UPDATE records SET server_version = ?, change_id = ? "
                    "WHERE entity = ? AND entity_id = ?",
                    [version, change.id, change.entity, change.entity_id],
                )
            return ChangeResult(index, change.id, "accepted", version, version)

    def changes(self) -> list[dict[str, Any]]:
        """Every stored change's metadata, in server order (export, admin page, tests)."""
        columns = [
            "id", "device_id", "seq", "entity", "entity_id", "case_ref", "base_version",
            "server_version", "status", "conflict_with", "envelope",
        ]  # fmt: skip
        with self.backend.transaction() as cur:
            rows = cur.execute(
                f"SELECT {', '.join(columns)} FROM changes ORDER BY server_version"  # noqa: S608
            ).fetchall()
        return [dict(zip(columns, row, strict=True)) for row in rows]


def _current_version(cur: Cursor, entity: str, entity_id: str) -> int:
    row = cur.execute(
        "SELECT server_version FROM records WHERE entity = ? AND entity_id = ?",
        [entity, entity_id],
    ).fetchone()
    return 0 if row is None else int(row[0])


def _rejected(index: int, change_id: str, reason: str, message: str) -> ChangeResult:
    return ChangeResult(index, change_id, "rejected", reason=reason, message=message)
