"""The office server's storage: one `Store` over a database backend, in parts by table.

Owns opening the office's database (PostgreSQL when `office.json` names one, else the
embedded SQLite file), migrating it at open, and the one object the API, the admin page
and the commands hold. The SQL lives in the parts, each a room of its own: `schema`
(tables, migrations), `devices` (codes, devices, activity), `certificates` (the seal
certificates issued), `changes` (a change's fate), `feed` (what devices pull), `uploads`
(files), `access_logs` (laptops' access logs), `admin` (accounts, sessions), `overview`
(what the admin page reads), `latest` (the latest version per case, for bulk readers) and
`together` (pushes arriving at once stored in one transaction).
Holds only metadata and sealed envelopes: it never sees
plaintext client data and never holds an office private key. Token and code values are
stored as SHA-256 hashes only. Never reads the clock: callers pass `now`.

The SQL is portable (TEXT, BIGINT, standard statements) with `?` placeholders; a backend
(`office.backends`) translates them for its engine.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from kitchentable.office.backends import Backend, SQLiteBackend, open_backend
from kitchentable.office.errors import (
    AlreadyAssigned,
    CodeRefused,
    ResyncRequired,
    UploadRefused,
)
from kitchentable.office.store import access_logs, certificates, latest, quarantine, rights
from kitchentable.office.store import changes as change_rows
from kitchentable.office.store import devices as device_rows
from kitchentable.office.store import feed as feed_rows
from kitchentable.office.store import purge as purging
from kitchentable.office.store import uploads as files
from kitchentable.office.store.common import Device, iso, new_token, sha256_hex
from kitchentable.office.store.devices import CODE_LIFETIME, Visit
from kitchentable.office.store.schema import CONFIG_NAME, DB_NAME, database_spec, migrate
from kitchentable.office.store.together import Together
from kitchentable.sync.protocol import (
    MAX_PULL_ITEMS,
    Change,
    ChangeResult,
    FeedItem,
    LogReport,
    PullEntry,
    UploadState,
)

log = logging.getLogger(__name__)

__all__ = [
    "CODE_LIFETIME",
    "CONFIG_NAME",
    "DB_NAME",
    "AlreadyAssigned",
    "Backend",
    "CodeRefused",
    "Device",
    "ResyncRequired",
    # Re-exported for callers that open a store on a file (tests, benchmarks).
    "SQLiteBackend",
    "Store",
    "UploadRefused",
    "Visit",
    "database_spec",
    "iso",
    "new_token",
    "sha256_hex",
]


class Store:
    """The office's data, through one backend. Each method is one transaction."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        migrate(backend)
        self._together = Together(backend)

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """The office's store: PostgreSQL when office.json names a database URL, else the
        embedded SQLite file in the data folder."""
        return cls(open_backend(database_spec(data_dir)))

    def close(self) -> None:
        self.backend.close()

    # -- enrolment and devices (store.devices) ------------------------------------------
    def create_code(self, consultant: str, now: datetime) -> str:
        return device_rows.create_code(self.backend, consultant, now)

    def code_key(self, code_hash: str) -> bytes | None:
        return device_rows.proof_key(self.backend, code_hash)

    def redeem_code(
        self, code_hash: str, label: str, sign_public: bytes, box_public: bytes, now: datetime
    ) -> tuple[Device, str]:
        return device_rows.redeem_code(self.backend, code_hash, label, sign_public, box_public, now)

    def device_for_token(self, token: str) -> Device | None:
        return device_rows.device_for_token(self.backend, token)

    def devices(self) -> list[Device]:
        return device_rows.devices(self.backend)

    def active_devices(self, consultant: str) -> list[Device]:
        return device_rows.active_devices(self.backend, consultant)

    def revoke(self, device_id: str, now: datetime) -> bool:
        return device_rows.revoke(self.backend, device_id, now)

    def seen(self, visit: Visit, now: datetime) -> None:
        """Note a device's visit, best effort: the activity row is a count for the admin
        page, and a database that fails on it must not fail the pull or push it notes."""
        try:
            device_rows.seen(self.backend, visit, now)
        except Exception as exc:
            log.warning("a device's visit was not noted: %s", type(exc).__name__)

    def certificate(self, device_id: str) -> str | None:
        return device_rows.certificate(self.backend, device_id)

    # -- seal certificates (store.certificates) ------------------------------------------
    def certificate_issued(self, device_id: str, certificate_pem: str, now: datetime) -> None:
        certificates.issued(self.backend, device_id, certificate_pem, now)

    def certificates_of(self, device_id: str) -> list[str]:
        return certificates.of_device(self.backend, device_id)

    def revoked_certificates(self) -> list[tuple[str, str]]:
        return certificates.revoked(self.backend)

    # -- access logs (store.access_logs) ---------------------------------------------------
    def keep_log_report(self, report: LogReport, now: datetime) -> int:
        return access_logs.keep(self.backend, report, now)

    def log_reports(self, device_id: str | None = None) -> list[access_logs.StoredReport]:
        return access_logs.reports(self.backend, device_id)

    # -- changes (store.changes) ---------------------------------------------------------
    def record_change(self, index: int, change: Change, now: datetime) -> ChangeResult:
        return change_rows.record_change(self.backend, index, change, now)

    def record_changes(
        self, items: Sequence[tuple[int, Change]], now: datetime, visit: Visit | None = None
    ) -> list[ChangeResult]:
        """One push's changes; pushes arriving at once are stored together (`together`)."""
        return self._together.record(change_rows.Push(items, now, visit))

    def changes(self) -> list[dict[str, Any]]:
        return change_rows.changes(self.backend)

    def attachments_of(self, change_id: str) -> list[str]:
        return change_rows.attachments_of(self.backend, change_id)

    def latest_accepted(self, entities: Sequence[str]) -> list[int]:
        return latest.latest_accepted(self.backend, entities)

    def changes_at(self, versions: Sequence[int]) -> list[dict[str, Any]]:
        return latest.changes_at(self.backend, versions)

    # -- what devices pull (store.feed) --------------------------------------------------
    def publish(self, items: Sequence[FeedItem], now: datetime) -> list[int]:
        return feed_rows.publish(self.backend, items, now)

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
        feed_rows.assign(
            self.backend, case_id, consultant, reference, deadline, office_copy, items, now
        )

    def assignments(self) -> list[dict[str, Any]]:
        return feed_rows.assignments(self.backend)

    def latest_item(self, kind: str) -> FeedItem | None:
        return feed_rows.latest(self.backend, kind)

    def office_copy(self, case_id: str) -> str | None:
        return feed_rows.office_copy(self.backend, case_id)

    def pull(
        self, device_id: str, cursor: int, *, resync: bool = False, limit: int = MAX_PULL_ITEMS
    ) -> tuple[list[PullEntry], int, bool]:
        return feed_rows.pull(self.backend, device_id, cursor, resync=resync, limit=limit)

    # -- who may push a case (store.rights) ----------------------------------------------
    def reassign(
        self, case_ref: str, consultant: str, now: datetime, items: Sequence[FeedItem] = ()
    ) -> rights.Right:
        return rights.reassign(self.backend, case_ref, consultant, now, items)

    def rights(self) -> dict[str, rights.Right]:
        return rights.rights(self.backend)

    # -- what the export held back (store.quarantine) ------------------------------------
    def note_quarantined(self, items: Sequence[tuple[str, str]], now: datetime) -> None:
        quarantine.note(self.backend, items, now)

    def quarantined(self) -> list[quarantine.Held]:
        return quarantine.held(self.backend)

    def remove_quarantined(self, change_id: str) -> None:
        quarantine.remove(self.backend, change_id)

    # -- retention (store.purge) -----------------------------------------------------------
    def purge(self, now: datetime, retention: purging.Retention | None = None) -> dict[str, int]:
        return purging.purge(self.backend, now, retention or purging.Retention())

    # -- files (store.uploads) -----------------------------------------------------------
    def put_blob(self, data: bytes, kind: str, now: datetime, device_id: str | None = None) -> str:
        return files.put_blob(self.backend, data, kind, now, device_id)

    def put_blobs(
        self, data: Sequence[bytes], kind: str, now: datetime, device_id: str | None = None
    ) -> list[str]:
        return files.put_blobs(self.backend, data, kind, now, device_id)

    def blob(self, sha: str) -> tuple[str, str | None, bytes] | None:
        return files.blob(self.backend, sha)

    def start_upload(self, device_id: str, sha: str, size: int, now: datetime) -> UploadState:
        return files.start_upload(self.backend, device_id, sha, size, now)

    def put_chunk(
        self, device_id: str, upload_id: str, index: int, data: bytes, now: datetime
    ) -> bool:
        return files.put_chunk(self.backend, device_id, upload_id, index, data, now)

    def complete_upload(self, device_id: str, upload_id: str, now: datetime) -> UploadState:
        return files.complete_upload(self.backend, device_id, upload_id, now)
