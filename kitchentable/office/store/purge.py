"""What the office forgets, and when: abandoned uploads, old activity rows, spent codes.

Owns the retention policy of the rows a device or a visitor can make grow without any
work being done (`Retention`) and the one transaction that applies it. Received changes,
files that changes name, devices and assignments are never purged here. Never reads the
clock: callers pass `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kitchentable.office.backends import Backend
from kitchentable.office.store.common import iso


@dataclass(frozen=True)
class Retention:
    upload_days: int = 7  # an upload not completed by then is abandoned: its chunks go
    activity_days: int = 90  # sync activity on the admin page
    code_days: int = 30  # enrolment codes, counted from when they expired


def purge(backend: Backend, now: datetime, retention: Retention) -> dict[str, int]:
    """Apply the retention policy; returns how many rows of each kind went."""
    uploads = iso(now - timedelta(days=retention.upload_days))
    activity = iso(now - timedelta(days=retention.activity_days))
    codes = iso(now - timedelta(days=retention.code_days))
    with backend.transaction() as cur:
        chunks = cur.execute(
            "SELECT count(*) FROM upload_chunks WHERE upload_id IN "
            "(SELECT id FROM uploads WHERE created_at < ?)",
            [uploads],
        ).fetchone()[0]
        cur.execute(
            "DELETE FROM upload_chunks WHERE upload_id IN "
            "(SELECT id FROM uploads WHERE created_at < ?)",
            [uploads],
        )
        counted = {"upload_chunks": int(chunks)}
        for name, sql, cutoff in (
            ("uploads", "DELETE FROM uploads WHERE created_at < ?", uploads),
            ("activity", "DELETE FROM activity WHERE at < ?", activity),
            ("enrolment_codes", "DELETE FROM enrolment_codes WHERE expires_at < ?", codes),
        ):
            table = name
            before = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            cur.execute(sql, [cutoff])
            after = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            counted[name] = int(before) - int(after)
    return counted
