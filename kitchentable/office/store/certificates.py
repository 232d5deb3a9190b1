"""The seal certificates the office issued: the office store's `device_certificates` rows.

Owns remembering every certificate the issuing CA made for a device (at enrolment and at
each renewal; the newest is also `devices.certificate`), and naming the certificates of
revoked devices with the moment of revocation, which the revocation list is made from.
Never signs anything (the CA is `office.pki`'s) and never reads the clock.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from kitchentable.office.backends import Backend
from kitchentable.office.store.common import iso


def issued(backend: Backend, device_id: str, certificate_pem: str, now: datetime) -> None:
    """Remember a new certificate for the device; it is the device's current one."""
    with backend.transaction() as cur:
        cur.execute(
            "INSERT INTO device_certificates (id, device_id, issued_at, certificate) "
            "VALUES (?, ?, ?, ?)",
            [str(uuid.uuid4()), device_id, iso(now), certificate_pem],
        )
        cur.execute("UPDATE devices SET certificate = ? WHERE id = ?", [certificate_pem, device_id])


def of_device(backend: Backend, device_id: str) -> list[str]:
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            "SELECT certificate FROM device_certificates WHERE device_id = ? ORDER BY issued_at",
            [device_id],
        ).fetchall()
    return [str(row[0]) for row in rows]


def revoked(backend: Backend) -> list[tuple[str, str]]:
    """(certificate PEM, moment of revocation) for every certificate of a revoked device."""
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            "SELECT c.certificate, d.revoked_at FROM device_certificates c "
            "JOIN devices d ON d.id = c.device_id WHERE d.revoked_at IS NOT NULL "
            "ORDER BY d.revoked_at, c.issued_at"
        ).fetchall()
    return [(str(pem), str(at)) for pem, at in rows]
