"""The profile database: one SQLite file, its pragmas, and ordered schema migrations.

Owns opening the file safely (WAL, synchronous=FULL so an acknowledged save survives power
loss), detecting a damaged file, and migrating the schema (sqlite-utils style: an ordered
list of functions, each recorded in `_migrations` once applied, `PRAGMA user_version` kept
equal to the number applied). Never seals or opens values: the repositories do that with
the vault's keys. Plaintext columns hold only what lists and sync need (ids, status,
dates, versions, sync state); every fact about the inhabitant lives in a sealed `data`
column.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from kitchentable.errors import CorruptDatabase, ProfileExists, ProfileMissing, ProfileTooNew
from kitchentable.paths import PROFILE_DB

DB_NAME = PROFILE_DB
# The triggers that keep the access log append-only; their absence is reported at unlock.
ACCESS_LOG_TRIGGERS = ("access_log_no_update", "access_log_no_delete")

Migration = Callable[[sqlite_utils.Database], None]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _m001_initial(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE vault (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.table("cases").create(
        {
            "id": str,
            "external_id": str,  # the office's melding number (M-2026-0001): not about the person
            "form_id": str,
            "form_version": str,
            "melding_date": str,
            "deadline": str,  # melding + 6 weeks (Wmo 2015 art. 2.3.2 lid 1)
            "status": str,
            "origin": str,  # office | local
            "created_at": str,
            "updated_at": str,
            "version": int,
            "sync_state": str,
            "server_version": int,
            "data": bytes,  # sealed: notes, kind, anything else about the melding
        },
        pk="id",
        not_null={"id", "status", "version", "melding_date", "deadline", "data"},
    )
    db.table("cases").create_index(["external_id"], unique=True)
    db.table("cases").create_index(["status"])
    db.table("persons").create(
        {"id": str, "case_id": str, "role": str, "version": int, "updated_at": str, "data": bytes},
        pk="id",
        foreign_keys=[("case_id", "cases", "id")],
        not_null={"case_id", "version", "data"},
    )
    db.table("persons").create_index(["case_id"])
    db.table("conversations").create(
        {
            "id": str,
            "case_id": str,
            "form_id": str,
            "form_version": str,
            "form_sha256": str,
            "started_at": str,
            "updated_at": str,
            "version": int,
        },
        pk="id",
        foreign_keys=[("case_id", "cases", "id")],
        not_null={"case_id", "form_id", "form_version", "version"},
    )
    db.table("conversations").create_index(["case_id"])
    # Row id is a keyed hash of (conversation, question): which questions were answered is
    # itself a fact about the inhabitant, so the question id lives only inside the seal.
    db.table("answers").create(
        {"id": str, "conversation_id": str, "version": int, "updated_at": str, "data": bytes},
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null={"conversation_id", "version", "data"},
    )
    db.table("answers").create_index(["conversation_id"])
    db.table("plans").create(
        {"id": str, "case_id": str, "version": int, "updated_at": str, "data": bytes},
        pk="id",
        foreign_keys=[("case_id", "cases", "id")],
        not_null={"case_id", "version", "data"},
    )
    db.table("plans").create_index(["case_id"], unique=True)
    db.table("documents").create(
        {
            "id": str,
            "case_id": str,
            "kind": str,
            "created_at": str,
            "version": int,
            "size": int,
            "data": bytes,
        },
        pk="id",
        foreign_keys=[("case_id", "cases", "id")],
        not_null={"case_id", "kind", "version", "data"},
    )
    db.table("documents").create_index(["case_id"])
    db.table("outbox").create(
        {
            "id": str,  # change UUID: the server's idempotency key
            "seq": int,  # per-device sequence number
            "entity": str,
            "entity_id": str,
            "case_id": str,
            "base_version": int,
            "created_at": str,
            "state": str,  # pending | sent | quarantined
            "attempts": int,
            "reason": str,
            "data": bytes,
        },
        pk="id",
        not_null={"seq", "entity", "entity_id", "state", "data"},
    )
    db.table("outbox").create_index(["seq"], unique=True)
    db.table("outbox").create_index(["state"])
    db.execute(
        """CREATE TABLE access_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            object TEXT NOT NULL,
            case_id TEXT,
            result TEXT NOT NULL,
            origin TEXT NOT NULL,
            chain TEXT NOT NULL,
            detail BLOB
        )"""
    )
    create_access_log_triggers(db)
    db.execute(
        "CREATE TABLE search_index (token TEXT NOT NULL, case_id TEXT NOT NULL, "
        "PRIMARY KEY (token, case_id)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX search_index_case ON search_index(case_id)")


def create_access_log_triggers(db: sqlite_utils.Database) -> None:
    """Append-only: SQLite itself refuses to change or remove a log line."""
    for event in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS access_log_no_{event.lower()} BEFORE {event} "
            "ON access_log BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END"
        )


def missing_access_log_triggers(db: sqlite_utils.Database) -> list[str]:
    present = {
        row[0]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    }
    return [name for name in ACCESS_LOG_TRIGGERS if name not in present]


def _m002_sync(db: sqlite_utils.Database) -> None:
    # The enrolment (device keys, token, office keys), cursor, policy, catalogue: sealed.
    db.execute("CREATE TABLE sync_state (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
    # Which office case a local case is, the server version its last synced state had, and
    # the digest of that state (a different digest now = work to push). data (sealed): the
    # devices the office named for the case, to seal copies to and check their signatures.
    db.execute(
        """CREATE TABLE sync_cases (
            case_id TEXT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
            office_case_id TEXT NOT NULL UNIQUE,
            base_version INTEGER NOT NULL DEFAULT 0,
            pushed_digest TEXT,
            synced_at TEXT,
            data BLOB NOT NULL
        )"""
    )
    # The change as first built: a retry sends the very same bytes (same id, same seal).
    db.execute("CREATE TABLE outbox_wire (change_id TEXT PRIMARY KEY, data BLOB NOT NULL)")
    # Both versions of a case that two devices changed in parallel, until the consultant
    # chooses (data sealed: mine, theirs, who and when).
    db.execute(
        """CREATE TABLE sync_conflicts (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            resolved_at TEXT,
            data BLOB NOT NULL
        )"""
    )


def _m003_bound_seals(db: sqlite_utils.Database) -> None:
    # From here on a log line's chain link also covers its sealed detail (format 2; the format
    # is itself inside the link, so a line cannot be passed off as format 1). Sealed rows get
    # their parents in the associated data at the first unlock (storage.sealed_rows): that
    # needs the key, which migrations never have. An older app refuses this schema version
    # instead of reporting every bound row as tampered.
    db.execute("ALTER TABLE access_log ADD COLUMN format INTEGER NOT NULL DEFAULT 1")


def _m004_positions(db: sqlite_utils.Database) -> None:
    # Where the consultant was in each case's conversation (storage.positions): which
    # question is itself a fact about the inhabitant, so it lives only inside the seal.
    db.execute(
        "CREATE TABLE positions (case_id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
        "data BLOB NOT NULL)"
    )


MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_initial", _m001_initial),
    ("002_sync", _m002_sync),
    ("003_bound_seals", _m003_bound_seals),
    ("004_positions", _m004_positions),
]
SCHEMA_VERSION = len(MIGRATIONS)


def _connect(path: Path) -> sqlite_utils.Database:
    # isolation_level=None: the driver opens no implicit transactions; every write goes
    # through sqlite-utils' atomic() (explicit BEGIN/COMMIT, savepoints when nested).
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
    db = sqlite_utils.Database(conn)
    try:
        db.execute("PRAGMA busy_timeout = 10000")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA page_size = 8192")  # sealed rows of ~2 KB waste half a 4 KiB page
            db.execute("PRAGMA journal_mode = WAL")
        # FULL: the WAL is fsynced at every commit, so a save the UI has confirmed survives a
        # power cut, not only a crash of the process.
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA secure_delete = ON")  # freed pages are zeroed, no sealed leftovers
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise CorruptDatabase(path=str(path)) from exc
    return db


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations not yet recorded; returns how many were applied."""
    if "_migrations" not in db.table_names():
        db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    applied = 0
    for name, migration in MIGRATIONS:
        if name in done:
            continue
        with db.atomic():
            migration(db)
            db.execute("INSERT INTO _migrations(name, applied_at) VALUES (?, ?)", [name, now_iso()])
            db.execute(f"PRAGMA user_version = {len(done) + applied + 1}")
        applied += 1
    return applied


def create_database(profile: Path) -> sqlite_utils.Database:
    path = profile / DB_NAME
    if path.exists():
        raise ProfileExists(path=str(profile))
    profile.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # filesystems without modes
        profile.chmod(0o700)
    db = _connect(path)
    migrate(db)
    return db


def open_database(profile: Path) -> sqlite_utils.Database:
    path = profile / DB_NAME
    if not path.is_file():
        raise ProfileMissing(path=str(profile))
    db = _connect(path)
    try:
        if int(db.execute("PRAGMA user_version").fetchone()[0]) > SCHEMA_VERSION:
            # Written by a newer Kitchentable: nothing is damaged, this version cannot read it.
            db.close()
            raise ProfileTooNew(path=str(path))
        migrate(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise CorruptDatabase(path=str(path)) from exc
    return db


def remove_database(profile: Path) -> None:
    """Delete the profile's database file and its -wal/-shm companions (the connection must
    be closed): a failed create, or a wiped vault."""
    for leftover in list(profile.glob(f"{DB_NAME}*")):
        leftover.unlink(missing_ok=True)


def integrity_ok(db: sqlite_utils.Database) -> bool:
    return bool(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
