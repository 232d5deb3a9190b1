"""The office database's tables and how they came to be: ordered, named migrations.

Owns the schema (portable SQL: TEXT and BIGINT, run on SQLite and PostgreSQL alike), the
`_migrations` bookkeeping that applies each named step once, in order, inside one
transaction, and where the database is (`office.json`'s URL, else `office.db` in the data
folder). A migration is never edited once released: a change to the schema is a new step.
"""

from __future__ import annotations

import json
from pathlib import Path

from kitchentable.office.backends import Backend

DB_NAME = "office.db"
CONFIG_NAME = "office.json"

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
    (
        "case-rights",
        [
            # Who may push a case: every device of `consultant`, or only `device_id` (the
            # laptop that created it). Assignments and reassignments write it; a device's
            # first change to an unknown case makes it the owner.
            """CREATE TABLE case_rights (
                case_ref TEXT PRIMARY KEY,
                consultant TEXT NOT NULL,
                device_id TEXT,
                created_at TEXT NOT NULL,
                moved_at TEXT
            )""",
            "INSERT INTO case_rights (case_ref, consultant, device_id, created_at) "
            "SELECT case_id, consultant, NULL, created_at FROM assignments",
            # Cases received before this step: the device of the first change owns them.
            "INSERT INTO case_rights (case_ref, consultant, device_id, created_at) "
            "SELECT COALESCE(c.case_ref, c.entity_id), d.consultant, c.device_id, c.received_at "
            "FROM changes c JOIN devices d ON d.id = c.device_id "
            "WHERE c.server_version = (SELECT MIN(f.server_version) FROM changes f "
            "WHERE COALESCE(f.case_ref, f.entity_id) = COALESCE(c.case_ref, c.entity_id)) "
            "AND COALESCE(c.case_ref, c.entity_id) NOT IN (SELECT case_ref FROM case_rights)",
            # A record stays in the case it was first stored under.
            "ALTER TABLE records ADD COLUMN case_ref TEXT",
            "UPDATE records SET case_ref = (SELECT COALESCE(c.case_ref, c.entity_id) "
            "FROM changes c WHERE c.id = records.change_id)",
        ],
    ),
    (
        "quarantine",
        [
            # Changes an export could not open (a reason code, never content), until the
            # administrator removes them (kitchentable-office quarantine --remove).
            """CREATE TABLE quarantine (
                change_id TEXT PRIMARY KEY,
                reason TEXT NOT NULL,
                noted_at TEXT NOT NULL
            )""",
        ],
    ),
    (
        "access-logs-and-certificates",
        [
            # What laptops report of their access log at every sync (sync/log_messages):
            # the signed head in the clear (ids and hashes only) and the envelope whose
            # lines are sealed to the office key. `seq` keeps the order they came in.
            "INSERT INTO counters (name, value) VALUES ('access_report', 0)",
            """CREATE TABLE access_reports (
                id TEXT PRIMARY KEY,
                seq BIGINT NOT NULL UNIQUE,
                device_id TEXT NOT NULL,
                received_at TEXT NOT NULL,
                head_id BIGINT NOT NULL,
                head_witness TEXT NOT NULL,
                broken_at BIGINT,
                anchor_id BIGINT NOT NULL,
                last_id BIGINT NOT NULL,
                envelope TEXT NOT NULL
            )""",
            "CREATE INDEX access_reports_device ON access_reports (device_id, seq)",
            # Every seal certificate the office issued (enrolment and each renewal), so the
            # revocation list can name all of a revoked device's certificates.
            """CREATE TABLE device_certificates (
                id TEXT PRIMARY KEY,
                device_id TEXT NOT NULL,
                issued_at TEXT NOT NULL,
                certificate TEXT NOT NULL
            )""",
            "CREATE INDEX device_certificates_device ON device_certificates (device_id)",
            "INSERT INTO device_certificates (id, device_id, issued_at, certificate) "
            "SELECT id || ':' || enrolled_at, id, enrolled_at, certificate FROM devices "
            "WHERE certificate IS NOT NULL",
        ],
    ),
]


def database_spec(data_dir: Path) -> str | Path:
    """The database URL in `office.json`, or the embedded SQLite file in the data folder."""
    config = data_dir / CONFIG_NAME
    if config.is_file():
        url = json.loads(config.read_text(encoding="utf-8")).get("database")
        if isinstance(url, str) and url:
            return url
    return data_dir / DB_NAME


def migrate(backend: Backend) -> None:
    """Apply every migration not yet applied, in order, in one transaction."""
    with backend.transaction() as cur:
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
