"""What laptops report of their access logs: the office store's `access_reports` rows.

Owns keeping each report a laptop sends at a sync (the head it signed, in the clear: ids
and hashes only; the lines sealed to the office key, in the envelope as received), once
(the same report sent again is kept once), in the order they came, and reading them back
for the administrator's `kitchentable-office log`, which opens and checks them. Never opens
a sealed line and never judges a report: serve stores, the administrator's command
verifies. Never reads the clock. Nothing here is purged: the office keeps the log; what one
device may add in a day is bounded (DAILY_BYTES), so an enrolled laptop whose software was
replaced cannot fill the office's disk (an honest one sends a few hundred KiB a day).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from kitchentable.office.backends import Backend
from kitchentable.office.errors import OfficeError
from kitchentable.office.store.common import counter, iso
from kitchentable.sync.protocol import LogReport
from kitchentable.sync.wire import canonical

# What one device's reports may hold in 24 hours: a first sync of a 10,000-line log is about
# 4 MiB, a day of syncs every 5 minutes well under 1 MiB.
DAILY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class StoredReport:
    """A kept report as stored: the envelope is read (and checked) by whoever opens it."""

    seq: int
    device_id: str
    received_at: str
    envelope: str


def _report_id(report: LogReport) -> str:
    """The same report (same device, head, anchor and lines) gets the same id: a retry
    after a cut connection is kept once."""
    key = [
        report.device_id,
        report.head.id,
        report.head.witness,
        report.anchor.id,
        report.anchor.witness,
        report.last,
    ]
    return hashlib.sha256(canonical({"report": key})).hexdigest()


def keep(backend: Backend, report: LogReport, now: datetime) -> int:
    """Keep a verified report (once); the last line id the office now holds from it."""
    with backend.transaction() as cur:
        report_id = _report_id(report)
        if cur.execute("SELECT 1 FROM access_reports WHERE id = ?", [report_id]).fetchone():
            return report.last
        envelope = canonical(report.to_wire()).decode("ascii")
        (today,) = cur.execute(
            "SELECT COALESCE(SUM(LENGTH(envelope)), 0) FROM access_reports "
            "WHERE device_id = ? AND received_at > ?",
            [report.device_id, iso(now - timedelta(days=1))],
        ).fetchone()
        if int(today) + len(envelope) > DAILY_BYTES:
            raise OfficeError(
                "log_budget",
                "This laptop sent more access log today than a laptop can write; "
                "the office keeps the rest from tomorrow.",
                429,
            )
        cur.execute("UPDATE counters SET value = value + 1 WHERE name = 'access_report'")
        cur.execute(
            "INSERT INTO access_reports (id, seq, device_id, received_at, head_id, "
            "head_witness, broken_at, anchor_id, last_id, envelope) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report_id,
                counter(cur, "access_report"),
                report.device_id,
                iso(now),
                report.head.id,
                report.head.witness,
                report.head.broken_at,
                report.anchor.id,
                report.last,
                envelope,
            ],
        )
    return report.last


def reports(backend: Backend, device_id: str | None = None) -> list[StoredReport]:
    """Every kept report (of one device), in the order they came."""
    sql = "SELECT seq, device_id, received_at, envelope FROM access_reports"
    params: list[str] = []
    if device_id is not None:
        sql += " WHERE device_id = ?"
        params.append(device_id)
    with backend.transaction(write=False) as cur:
        rows = cur.execute(sql + " ORDER BY seq", params).fetchall()
    return [StoredReport(int(seq), str(device), str(at), str(env)) for seq, device, at, env in rows]
