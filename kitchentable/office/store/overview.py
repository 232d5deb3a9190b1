"""What the admin page reads: metadata about devices, consultants, codes, activity and cases.

Owns the admin page's read-only SQL (portable: it runs on SQLite and PostgreSQL) and the
rows it returns. Never
selects a sealed column (`changes.envelope`, `assignments.office_copy`, `feed.envelope`,
`blobs.data`), a token or code hash, or a device's keys: what it returns may be shown to
office staff as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from kitchentable.office.backends import Backend
from kitchentable.office.store.common import utc_iso

ACTIVITY_ROWS = 200
CASE_ROWS = 500


@dataclass(frozen=True)
class DeviceRow:
    id: str
    consultant: str
    label: str
    enrolled_at: str
    last_seen_at: str | None
    revoked_at: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass
class ConsultantRow:
    name: str
    active_devices: int = 0
    revoked_devices: int = 0
    open_cases: int = 0
    unused_codes: int = 0
    last_seen_at: str | None = None


@dataclass(frozen=True)
class CodeRow:
    consultant: str
    created_at: str
    expires_at: str
    used_at: str | None
    device_label: str | None
    state: str  # unused | used | expired


@dataclass(frozen=True)
class ActivityRow:
    at: str
    device_id: str | None
    consultant: str | None
    device_label: str | None
    action: str
    counts: list[tuple[str, str]]


@dataclass
class CaseRow:
    case_ref: str
    reference: str | None = None
    consultant: str | None = None
    assigned_at: str | None = None
    deadline: str | None = None
    withdrawn_at: str | None = None
    changes: int = 0
    conflicts: int = 0
    received_at: str | None = None
    # Consultants whose devices sent changes (a case may pass between colleagues).
    senders: set[str] = field(default_factory=set)

    @property
    def consultants(self) -> str:
        if self.consultant is not None:
            return self.consultant
        return ", ".join(sorted(self.senders)) or "—"

    @property
    def status(self) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.conflicts:
            return "conflict"
        if self.changes:
            return "received"
        return "assigned"


@dataclass(frozen=True)
class Overview:
    active_devices: int
    revoked_devices: int
    consultants: int
    unused_codes: int
    cases: int
    changes: int
    conflicts: int
    last_activity_at: str | None


def device(backend: Backend, device_id: str) -> DeviceRow | None:
    with backend.transaction(write=False) as cur:
        row = cur.execute(
            "SELECT id, consultant, label, enrolled_at, last_seen_at, revoked_at "
            "FROM devices WHERE id = ?",
            [device_id],
        ).fetchone()
    return None if row is None else DeviceRow(*row)


def devices(backend: Backend) -> list[DeviceRow]:
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            "SELECT id, consultant, label, enrolled_at, last_seen_at, revoked_at FROM devices "
            "ORDER BY CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, consultant, enrolled_at, id"
        ).fetchall()
    return [DeviceRow(*row) for row in rows]


def consultants(backend: Backend, now: datetime) -> list[ConsultantRow]:
    """Everyone who has a device, an assignment or an enrolment code."""
    found: dict[str, ConsultantRow] = {}

    def get(name: str) -> ConsultantRow:
        return found.setdefault(name, ConsultantRow(name))

    with backend.transaction(write=False) as cur:
        for name, active, revoked, last_seen in cur.execute(
            "SELECT consultant, "
            "SUM(CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END), "
            "MAX(last_seen_at) FROM devices GROUP BY consultant"
        ).fetchall():
            row = get(name)
            row.active_devices, row.revoked_devices = int(active), int(revoked)
            row.last_seen_at = last_seen
        for name, open_cases in cur.execute(
            "SELECT consultant, SUM(CASE WHEN withdrawn_at IS NULL THEN 1 ELSE 0 END) "
            "FROM assignments GROUP BY consultant"
        ).fetchall():
            get(name).open_cases = int(open_cases)
        for name, unused in cur.execute(
            "SELECT consultant, SUM(CASE WHEN used_at IS NULL AND expires_at > ? THEN 1 ELSE 0 END) "
            "FROM enrolment_codes GROUP BY consultant",
            [utc_iso(now)],
        ).fetchall():
            get(name).unused_codes = int(unused)
    return sorted(found.values(), key=lambda row: row.name.lower())


def codes(backend: Backend, now: datetime) -> list[CodeRow]:
    moment = utc_iso(now)
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            "SELECT c.consultant, c.created_at, c.expires_at, c.used_at, d.label "
            "FROM enrolment_codes c LEFT JOIN devices d ON d.id = c.device_id "
            "ORDER BY c.created_at DESC, c.consultant"
        ).fetchall()
    result = []
    for consultant, created_at, expires_at, used_at, label in rows:
        if used_at is not None:
            state = "used"
        elif expires_at <= moment:
            state = "expired"
        else:
            state = "unused"
        result.append(CodeRow(consultant, created_at, expires_at, used_at, label, state))
    return result


def _counts(detail: str) -> list[tuple[str, str]]:
    """The activity detail (a small JSON object of counts) as (name, value) pairs; anything
    else in it is left out rather than shown."""
    try:
        data = json.loads(detail)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    return [
        (str(key)[:40], str(value))
        for key, value in sorted(data.items())
        if isinstance(value, int) and not isinstance(value, bool)
    ]


def activity(backend: Backend, limit: int = ACTIVITY_ROWS) -> list[ActivityRow]:
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            "SELECT a.at, a.device_id, d.consultant, d.label, a.action, a.detail "
            "FROM activity a LEFT JOIN devices d ON d.id = a.device_id "
            "ORDER BY a.at DESC, a.id DESC LIMIT ?",
            [limit],
        ).fetchall()
    return [
        ActivityRow(at, device_id, consultant, label, action, _counts(detail))
        for at, device_id, consultant, label, action, detail in rows
    ]


def cases(backend: Backend, limit: int = CASE_ROWS) -> list[CaseRow]:
    """Assignments and the cases changes were received for, newest activity first."""
    found: dict[str, CaseRow] = {}
    with backend.transaction(write=False) as cur:
        for case_id, consultant, reference, deadline, created_at, withdrawn_at in cur.execute(
            "SELECT case_id, consultant, reference, deadline, created_at, withdrawn_at "
            "FROM assignments"
        ).fetchall():
            found[case_id] = CaseRow(
                case_id, reference, consultant, created_at, deadline, withdrawn_at
            )
        # Changes without a case_ref belong to no case (profile-level records).
        for case_ref, consultant, status, count, last in cur.execute(
            "SELECT c.case_ref, d.consultant, c.status, COUNT(*), MAX(c.received_at) "
            "FROM changes c JOIN devices d ON d.id = c.device_id "
            "WHERE c.case_ref IS NOT NULL "
            "GROUP BY c.case_ref, d.consultant, c.status"
        ).fetchall():
            row = found.setdefault(case_ref, CaseRow(case_ref))
            row.senders.add(consultant)
            row.changes += int(count)
            if status == "conflict":
                row.conflicts += int(count)
            if row.received_at is None or last > row.received_at:
                row.received_at = last
    ordered = sorted(
        found.values(),
        key=lambda row: row.received_at or row.assigned_at or "",
        reverse=True,
    )
    return ordered[:limit]


def overview(backend: Backend, now: datetime) -> Overview:
    with backend.transaction(write=False) as cur:
        active, revoked = cur.execute(
            "SELECT COALESCE(SUM(CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END), 0) FROM devices"
        ).fetchone()
        unused = cur.execute(
            "SELECT COUNT(*) FROM enrolment_codes WHERE used_at IS NULL AND expires_at > ?",
            [utc_iso(now)],
        ).fetchone()[0]
        changes, conflicts = cur.execute(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'conflict' THEN 1 ELSE 0 END), 0) "
            "FROM changes"
        ).fetchone()
        last = cur.execute("SELECT MAX(at) FROM activity").fetchone()[0]
    return Overview(
        active_devices=int(active),
        revoked_devices=int(revoked),
        consultants=len(consultants(backend, now)),
        unused_codes=int(unused),
        cases=len(cases(backend, limit=10**9)),
        changes=int(changes),
        conflicts=int(conflicts),
        last_activity_at=last,
    )
