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
import json
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

from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import (
    CHUNK_BYTES,
    MAX_PULL_ITEMS,
    MAX_UPLOAD_BYTES,
    Change,
    ChangeResult,
    FeedItem,
    PullEntry,
    UploadState,
    code_id,
    code_key,
)
from kitchentable.sync.wire import b64, canonical, parse_json

DB_NAME = "office.db"
CONFIG_NAME = "office.json"
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
    (
        "pull-attachments-admin",
        [
            # Pull items older than the horizon are purged; a cursor below it must resync.
            "INSERT INTO counters (name, value) VALUES ('feed_horizon', 0)",
            "ALTER TABLE devices ADD COLUMN last_seen_at TEXT",
            # PEM of the device certificate the office CA issued for the device's seal key.
            "ALTER TABLE devices ADD COLUMN certificate TEXT",
            # A melding assigned to a consultant. Personal data exists only sealed: one copy
            # per device in the feed and `office_copy` sealed to the office's own key.
            """CREATE TABLE assignments (
                case_id TEXT PRIMARY KEY,
                consultant TEXT NOT NULL,
                reference TEXT NOT NULL,
                deadline TEXT,
                created_at TEXT NOT NULL,
                office_copy TEXT NOT NULL,
                withdrawn_at TEXT
            )""",
            "CREATE INDEX assignments_consultant ON assignments (consultant)",
            # What devices pull, in server-version order. device_id NULL: for every device
            # (forms, catalogue, policy: public office documents, signed by the office).
            """CREATE TABLE feed (
                server_version BIGINT PRIMARY KEY,
                device_id TEXT,
                kind TEXT NOT NULL,
                item_id TEXT NOT NULL,
                envelope TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX feed_device ON feed (device_id, server_version)",
            # Content-addressed files: form texts, catalogues, and attachments sealed to the
            # office by a device (data is base64 text: portable across SQLite and PostgreSQL).
            """CREATE TABLE blobs (
                sha256 TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                device_id TEXT,
                size BIGINT NOT NULL,
                data TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE uploads (
                id TEXT PRIMARY KEY,
                device_id TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size BIGINT NOT NULL,
                chunk_size BIGINT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (device_id, sha256)
            )""",
            """CREATE TABLE upload_chunks (
                upload_id TEXT NOT NULL,
                idx BIGINT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (upload_id, idx)
            )""",
            """CREATE TABLE change_attachments (
                change_id TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                PRIMARY KEY (change_id, sha256)
            )""",
            # Sync activity for the admin page: counts and codes only, never payload data.
            """CREATE TABLE activity (
                id TEXT PRIMARY KEY,
                at TEXT NOT NULL,
                device_id TEXT,
                action TEXT NOT NULL,
                detail TEXT NOT NULL
            )""",
            "CREATE INDEX activity_at ON activity (at)",
            """CREATE TABLE admin_accounts (
                username TEXT PRIMARY KEY,
                password_hash TEXT NOT NULL,
                created_at TEXT NOT NULL,
                disabled_at TEXT
            )""",
            """CREATE TABLE admin_sessions (
                token_hash TEXT PRIMARY KEY,
                username TEXT NOT NULL,
                csrf_token TEXT NOT NULL,
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL
            )""",
        ],
    ),
    (
        "enrolment-proof",
        [
            # The key derived from the code (base64): the server checks the laptop's proof
            # of knowing the code and proves its answer, without the code ever travelling.
            "ALTER TABLE enrolment_codes ADD COLUMN proof_key TEXT",
        ],
    ),
]


def database_spec(data_dir: Path) -> str | Path:
    config = data_dir / CONFIG_NAME
    if config.is_file():
        url = json.loads(config.read_text(encoding="utf-8")).get("database")
        if isinstance(url, str) and url:
            return url
    return data_dir / DB_NAME


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


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


class ResyncRequired(Exception):
    """A pull cursor the server cannot continue from (older than what it keeps, or newer
    than anything it has: a server restored from a backup)."""


class UploadRefused(Exception):
    """An upload step that cannot be taken; `code` and `message` go to the device."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class AlreadyAssigned(Exception):
    """The office already assigned a case with this id."""


class Backend(Protocol):
    """What the store needs from a database: transactions of `?`-style statements."""

    def transaction(self, write: bool = True) -> AbstractContextManager[Cursor]:
        """write=False: the body only reads; the backend may run it beside other readers."""
        ...

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
    def transaction(self, write: bool = True) -> Iterator[Cursor]:
        with self._lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
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
        """The office's store: PostgreSQL when office.json names a database URL, else the
        embedded SQLite file in the data folder."""
        from kitchentable.office.backends import open_backend

        return cls(open_backend(database_spec(data_dir)))

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
                "INSERT INTO enrolment_codes (code_hash, consultant, created_at, expires_at, "
                "proof_key) VALUES (?, ?, ?, ?, ?)",
                [
                    code_id(code),
                    consultant,
                    iso(now),
                    iso(now + CODE_LIFETIME),
                    b64(code_key(code)),
                ],
            )
        return code

    def code_key(self, code_hash: str) -> bytes | None:
        """The proof key of a code, or None when no usable code has this id."""
        with self.backend.transaction(write=False) as cur:
            row = cur.execute(
                "SELECT proof_key FROM enrolment_codes WHERE code_hash = ?", [code_hash]
            ).fetchone()
        return None if row is None or row[0] is None else unb64(row[0])

    def redeem_code(
        self, code_hash: str, label: str, sign_public: bytes, box_public: bytes, now: datetime
    ) -> tuple[Device, str]:
        """Use a code once (by its id): creates the device and returns it with its token."""
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
        with self.backend.transaction(write=False) as cur:
            row = cur.execute(
                f"SELECT {self._DEVICE_COLUMNS} FROM devices WHERE token_hash = ?",  # noqa: S608
                [sha256_hex(token)],
            ).fetchone()
        return None if row is None else Device(*row)

    def devices(self) -> list[Device]:
        with self.backend.transaction(write=False) as cur:
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
        with self.backend.transaction() as cur:
            return _record(cur, index, change, now)

    def record_changes(
        self, changes: Sequence[tuple[int, Change]], now: datetime
    ) -> list[ChangeResult]:
        """Several verified changes in ONE transaction (one writer lock per push, not one
        per change), each inside its own savepoint: a change the database refuses is undone
        alone and answered `server_error`; the others are decided as `record_change` would."""
        results = []
        with self.backend.transaction() as cur:
            for index, change in changes:
                cur.execute("SAVEPOINT one_change")
                try:
                    results.append(_record(cur, index, change, now))
                except Exception:
                    cur.execute("ROLLBACK TO SAVEPOINT one_change")
                    results.append(ChangeResult.server_error(index, change.id))
                cur.execute("RELEASE SAVEPOINT one_change")
        return results

    # -- what devices pull ------------------------------------------------------------------
    def publish(self, items: Sequence[FeedItem], now: datetime) -> list[int]:
        """Put signed office items in the feed, in order; returns their versions."""
        with self.backend.transaction() as cur:
            return [_insert_item(cur, item, now) for item in items]

    def assign(
        self,
        case_id: str,
        consultant: str,
        reference: str,
        deadline: str | None,
        office_copy: str,
        items: Sequence[FeedItem],
        now: datetime,
    ) -> None:
        """Record a new assignment and its per-device sealed items in one transaction."""
        with self.backend.transaction() as cur:
            if cur.execute("SELECT 1 FROM assignments WHERE case_id = ?", [case_id]).fetchone():
                raise AlreadyAssigned(case_id)
            cur.execute(
                "INSERT INTO assignments (case_id, consultant, reference, deadline, "
                "created_at, office_copy) VALUES (?, ?, ?, ?, ?, ?)",
                [case_id, consultant, reference, deadline, iso(now), office_copy],
            )
            for item in items:
                _insert_item(cur, item, now)

    def assignments(self) -> list[dict[str, Any]]:
        columns = ["case_id", "consultant", "reference", "deadline", "created_at", "withdrawn_at"]
        with self.backend.transaction(write=False) as cur:
            rows = cur.execute(
                f"SELECT {', '.join(columns)} FROM assignments ORDER BY created_at, case_id"  # noqa: S608
            ).fetchall()
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def active_devices(self, consultant: str) -> list[Device]:
        with self.backend.transaction(write=False) as cur:
            rows = cur.execute(
                f"SELECT {self._DEVICE_COLUMNS} FROM devices "  # noqa: S608
                "WHERE consultant = ? AND revoked_at IS NULL ORDER BY enrolled_at, id",
                [consultant],
            ).fetchall()
        return [Device(*row) for row in rows]

    def pull(
        self, device_id: str, cursor: int, *, resync: bool = False, limit: int = MAX_PULL_ITEMS
    ) -> tuple[list[PullEntry], int, bool]:
        """The entries after `cursor` for this device: (entries, next cursor, more)."""
        with self.backend.transaction(write=False) as cur:
            top = _counter(cur, "server_version")
            horizon = _counter(cur, "feed_horizon")
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
                entries.append(
                    PullEntry(int(version), item=FeedItem.from_wire(parse_json(envelope)))
                )
        next_cursor = entries[-1].version if more else top
        return entries, next_cursor, more

    # -- files --------------------------------------------------------------------------
    def put_blob(self, data: bytes, kind: str, now: datetime, device_id: str | None = None) -> str:
        sha = hashlib.sha256(data).hexdigest()
        with self.backend.transaction() as cur:
            if cur.execute("SELECT 1 FROM blobs WHERE sha256 = ?", [sha]).fetchone() is None:
                cur.execute(
                    "INSERT INTO blobs (sha256, kind, device_id, size, data, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [sha, kind, device_id, len(data), b64(data), iso(now)],
                )
        return sha

    def put_blobs(
        self, files: Sequence[bytes], kind: str, now: datetime, device_id: str | None = None
    ) -> list[str]:
        """Several files in ONE transaction (one commit for a device's bundle of PDFs)."""
        shas = []
        with self.backend.transaction() as cur:
            for data in files:
                sha = hashlib.sha256(data).hexdigest()
                if cur.execute("SELECT 1 FROM blobs WHERE sha256 = ?", [sha]).fetchone() is None:
                    cur.execute(
                        "INSERT INTO blobs (sha256, kind, device_id, size, data, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [sha, kind, device_id, len(data), b64(data), iso(now)],
                    )
                shas.append(sha)
        return shas

    def blob(self, sha: str) -> tuple[str, str | None, bytes] | None:
        """(kind, device id, bytes) of a stored file, or None."""
        with self.backend.transaction(write=False) as cur:
            row = cur.execute(
                "SELECT kind, device_id, data FROM blobs WHERE sha256 = ?", [sha]
            ).fetchone()
        return None if row is None else (row[0], row[1], unb64(row[2]))

    def attachments_of(self, change_id: str) -> list[str]:
        with self.backend.transaction(write=False) as cur:
            rows = cur.execute(
                "SELECT sha256 FROM change_attachments WHERE change_id = ? ORDER BY sha256",
                [change_id],
            ).fetchall()
        return [row[0] for row in rows]

    def start_upload(self, device_id: str, sha: str, size: int, now: datetime) -> UploadState:
        """Begin (or resume) the upload of one file; says which chunks already arrived."""
        if not 0 < size <= MAX_UPLOAD_BYTES:
            raise UploadRefused(
                "too_large", f"A file may be 1 byte to {MAX_UPLOAD_BYTES // 2**20} MiB.", 413
            )
        with self.backend.transaction() as cur:
            held = cur.execute(
                "SELECT device_id FROM blobs WHERE sha256 = ? AND kind = 'attachment'", [sha]
            ).fetchone()
            row = cur.execute(
                "SELECT id, size, chunk_size FROM uploads WHERE device_id = ? AND sha256 = ?",
                [device_id, sha],
            ).fetchone()
            if held is not None and held[0] == device_id:
                upload_id = row[0] if row else str(uuid.uuid5(uuid.NAMESPACE_URL, sha + device_id))
                return UploadState(upload_id, CHUNK_BYTES, (), True)
            if row is None:
                upload_id = str(uuid.uuid4())
                cur.execute(
                    "INSERT INTO uploads (id, device_id, sha256, size, chunk_size, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [upload_id, device_id, sha, size, CHUNK_BYTES, iso(now)],
                )
                return UploadState(upload_id, CHUNK_BYTES, (), False)
            if int(row[1]) != size:
                raise UploadRefused("size_mismatch", "This file was announced with another size.")
            received = cur.execute(
                "SELECT idx FROM upload_chunks WHERE upload_id = ? ORDER BY idx", [row[0]]
            ).fetchall()
        return UploadState(row[0], int(row[2]), tuple(int(r[0]) for r in received), False)

    def put_chunk(
        self, device_id: str, upload_id: str, index: int, data: bytes, now: datetime
    ) -> bool:
        """Keep one chunk; the last one to arrive completes the file in the same
        transaction (True), which saves a request per file."""
        with self.backend.transaction() as cur:
            row = _upload(cur, device_id, upload_id)
            size, chunk = int(row[1]), int(row[2])
            count = -(-size // chunk)
            expected = chunk if index < count - 1 else size - chunk * (count - 1)
            if not 0 <= index < count or len(data) != expected:
                raise UploadRefused(
                    "bad_chunk", f"Chunk {index} must hold {expected} bytes of this file."
                )
            if not cur.execute(
                "SELECT 1 FROM upload_chunks WHERE upload_id = ? AND idx = ?", [upload_id, index]
            ).fetchone():  # a chunk sent twice (the answer was lost): keep the first
                cur.execute(
                    "INSERT INTO upload_chunks (upload_id, idx, data) VALUES (?, ?, ?)",
                    [upload_id, index, b64(data)],
                )
            held = cur.execute(
                "SELECT count(*) FROM upload_chunks WHERE upload_id = ?", [upload_id]
            ).fetchone()[0]
            if int(held) < count:
                return False
            matched = _complete(cur, device_id, upload_id, row, now)
        if not matched:
            raise HASH_MISMATCH
        return True

    def complete_upload(self, device_id: str, upload_id: str, now: datetime) -> UploadState:
        with self.backend.transaction() as cur:
            row = _upload(cur, device_id, upload_id)
            held = cur.execute(
                "SELECT 1 FROM blobs WHERE sha256 = ? AND kind = 'attachment' AND device_id = ?",
                [row[0], device_id],
            ).fetchone()
            matched = held is not None or _complete(cur, device_id, upload_id, row, now)
        if not matched:
            raise HASH_MISMATCH
        return UploadState(upload_id, int(row[2]), (), True)

    # -- bookkeeping for the admin page ---------------------------------------------------
    def seen(self, device_id: str, action: str, detail: dict[str, Any], now: datetime) -> None:
        with self.backend.transaction() as cur:
            cur.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", [iso(now), device_id])
            cur.execute(
                "INSERT INTO activity (id, at, device_id, action, detail) VALUES (?, ?, ?, ?, ?)",
                [str(uuid.uuid4()), iso(now), device_id, action, canonical(detail).decode()],
            )

    def set_certificate(self, device_id: str, certificate_pem: str) -> None:
        with self.backend.transaction() as cur:
            cur.execute(
                "UPDATE devices SET certificate = ? WHERE id = ?", [certificate_pem, device_id]
            )

    def certificate(self, device_id: str) -> str | None:
        with self.backend.transaction(write=False) as cur:
            row = cur.execute(
                "SELECT certificate FROM devices WHERE id = ?", [device_id]
            ).fetchone()
        return None if row is None else row[0]

    def changes(self) -> list[dict[str, Any]]:
        """Every stored change's metadata, in server order (export, admin page, tests)."""
        columns = [
            "id", "device_id", "seq", "entity", "entity_id", "case_ref", "base_version",
            "server_version", "status", "conflict_with", "envelope", "received_at",
        ]  # fmt: skip
        with self.backend.transaction(write=False) as cur:
            rows = cur.execute(
                f"SELECT {', '.join(columns)} FROM changes ORDER BY server_version"  # noqa: S608
            ).fetchall()
        return [dict(zip(columns, row, strict=True)) for row in rows]


def _record(cur: Cursor, index: int, change: Change, now: datetime) -> ChangeResult:
    """record_change's decision, inside the caller's transaction."""
    envelope = canonical(change.to_wire()).decode("ascii")
    digest = hashlib.sha256(change.signed_bytes() + change.signature).hexdigest()
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
        return ChangeResult(index, change.id, "duplicate", known[2], current, first_status=known[1])
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
    for sha in change.attachments:
        held = cur.execute(
            "SELECT 1 FROM blobs WHERE sha256 = ? AND kind = 'attachment' AND device_id = ?",
            [sha, change.device_id],
        ).fetchone()
        if held is None:
            return _rejected(
                index,
                change.id,
                "attachment_missing",
                "An attachment this record names has not arrived; upload it first.",
            )
    record = cur.execute(
        "SELECT server_version, change_id FROM records WHERE entity = ? AND entity_id = ?",
        [change.entity, change.entity_id],
    ).fetchone()
    current, holder = (0, None) if record is None else (record[0], record[1])
    version = _next_version(cur)
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
    for sha in change.attachments:
        cur.execute(
            "INSERT INTO change_attachments (change_id, sha256) VALUES (?, ?)",
            [change.id, sha],
        )
    # The other devices on this case see this version (theirs to open: the copy).
    for recipient, _sealed in change.copies:
        if recipient == change.device_id:
            continue
        cur.execute(
            "INSERT INTO feed (server_version, device_id, kind, item_id, envelope, "
            "created_at) VALUES (?, ?, 'peer_change', ?, '', ?)",
            [_next_version(cur), recipient, change.id, iso(now)],
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


def _counter(cur: Cursor, name: str) -> int:
    return int(cur.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()[0])


def _next_version(cur: Cursor) -> int:
    """One counter for changes and feed items: a pull cursor orders both."""
    cur.execute("UPDATE counters SET value = value + 1 WHERE name = 'server_version'")
    return _counter(cur, "server_version")


def _insert_item(cur: Cursor, item: FeedItem, now: datetime) -> int:
    version = _next_version(cur)
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


def _complete(cur: Cursor, device_id: str, upload_id: str, row: Any, now: datetime) -> bool:
    """All chunks → one checked file (the SHA-256 the device announced) → blobs. False when
    the bytes do not match the hash: the chunks are dropped and the caller refuses."""
    sha, size, chunk = row[0], int(row[1]), int(row[2])
    parts = cur.execute(
        "SELECT idx, data FROM upload_chunks WHERE upload_id = ? ORDER BY idx", [upload_id]
    ).fetchall()
    count = -(-size // chunk)
    missing = sorted(set(range(count)) - {int(p[0]) for p in parts})
    if missing:
        raise UploadRefused("chunks_missing", f"Chunk {missing[0]} of this file has not arrived.")
    data = b"".join(unb64(p[1]) for p in parts)
    if hashlib.sha256(data).hexdigest() != sha:
        # The chunks are discarded (committed, not rolled back with an exception), so the
        # device starts this file again from the first chunk.
        cur.execute("DELETE FROM upload_chunks WHERE upload_id = ?", [upload_id])
        return False
    if cur.execute("SELECT 1 FROM blobs WHERE sha256 = ?", [sha]).fetchone() is None:
        cur.execute(
            "INSERT INTO blobs (sha256, kind, device_id, size, data, created_at) "
            "VALUES (?, 'attachment', ?, ?, ?, ?)",
            [sha, device_id, size, b64(data), iso(now)],
        )
    cur.execute("DELETE FROM upload_chunks WHERE upload_id = ?", [upload_id])
    return True


HASH_MISMATCH = UploadRefused(
    "hash_mismatch", "The file's chunks do not add up to its SHA-256; send it again.", 422
)


def _upload(cur: Cursor, device_id: str, upload_id: str) -> Any:
    row = cur.execute(
        "SELECT sha256, size, chunk_size FROM uploads WHERE id = ? AND device_id = ?",
        [upload_id, device_id],
    ).fetchone()
    if row is None:
        raise UploadRefused("unknown_upload", "This upload is not known; start it again.", 404)
    return row


def _current_version(cur: Cursor, entity: str, entity_id: str) -> int:
    row = cur.execute(
        "SELECT server_version FROM records WHERE entity = ? AND entity_id = ?",
        [entity, entity_id],
    ).fetchone()
    return 0 if row is None else int(row[0])


def _rejected(index: int, change_id: str, reason: str, message: str) -> ChangeResult:
    return ChangeResult(index, change_id, "rejected", reason=reason, message=message)
