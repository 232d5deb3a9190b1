"""Enrolment codes and the devices they enrol: the office store's `enrolment_codes` and
`devices` rows, and the activity each device leaves.

Owns making a one-time code (only its id and the key derived from it are stored, never the
code), redeeming it once into a device with a bearer token (stored as SHA-256 only), finding
a device by its token, revoking, reading the device's current seal certificate (every one
issued: `certificates`), and the activity rows of the admin page (counts and codes only).
Never reads the clock.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kitchentable.office.backends import Backend, Cursor
from kitchentable.office.errors import CodeRefused
from kitchentable.office.store.common import DEVICE_COLUMNS, Device, iso, new_token, sha256_hex
from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import code_id, code_key
from kitchentable.sync.wire import b64, canonical

CODE_LIFETIME = timedelta(hours=24)
# Crockford-style alphabet without 0/O, 1/I/L: codes are read aloud and typed by hand.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 4  # 16 characters ≈ 78 bits: out of reach of online guessing within 24 h


def new_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(4 * CODE_GROUPS))
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def create_code(backend: Backend, consultant: str, now: datetime) -> str:
    code = new_code()
    with backend.transaction() as cur:
        cur.execute(
            "INSERT INTO enrolment_codes (code_hash, consultant, created_at, expires_at, "
            "proof_key) VALUES (?, ?, ?, ?, ?)",
            [code_id(code), consultant, iso(now), iso(now + CODE_LIFETIME), b64(code_key(code))],
        )
    return code


def proof_key(backend: Backend, code_hash: str) -> bytes | None:
    """The proof key of a code, or None when no usable code has this id."""
    with backend.transaction(write=False) as cur:
        row = cur.execute(
            "SELECT proof_key FROM enrolment_codes WHERE code_hash = ?", [code_hash]
        ).fetchone()
    return None if row is None or row[0] is None else unb64(row[0])


def redeem_code(
    backend: Backend,
    code_hash: str,
    label: str,
    sign_public: bytes,
    box_public: bytes,
    now: datetime,
) -> tuple[Device, str]:
    """Use a code once (by its id): creates the device and returns it with its token."""
    token = new_token()
    device_id = str(uuid.uuid4())
    with backend.transaction() as cur:
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
    device = Device(device_id, consultant, label, b64(sign_public), b64(box_public), iso(now), None)
    return device, token


def device_for_token(backend: Backend, token: str) -> Device | None:
    with backend.transaction(write=False) as cur:
        row = cur.execute(
            f"SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?",  # noqa: S608
            [sha256_hex(token)],
        ).fetchone()
    return None if row is None else Device(*row)


def devices(backend: Backend) -> list[Device]:
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            f"SELECT {DEVICE_COLUMNS} FROM devices ORDER BY enrolled_at, id"  # noqa: S608
        ).fetchall()
    return [Device(*row) for row in rows]


def active_devices(backend: Backend, consultant: str) -> list[Device]:
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            f"SELECT {DEVICE_COLUMNS} FROM devices "  # noqa: S608
            "WHERE consultant = ? AND revoked_at IS NULL ORDER BY enrolled_at, id",
            [consultant],
        ).fetchall()
    return [Device(*row) for row in rows]


def revoke(backend: Backend, device_id: str, now: datetime) -> bool:
    """Revoke a device; False when there is no such device. Revoking twice keeps the
    first moment."""
    with backend.transaction() as cur:
        found = cur.execute("SELECT 1 FROM devices WHERE id = ?", [device_id]).fetchone()
        cur.execute(
            "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            [iso(now), device_id],
        )
    return found is not None


@dataclass(frozen=True)
class Visit:
    """A device's request, as its activity row tells it: what it did, and counts."""

    device_id: str
    action: str
    detail: dict[str, Any]


def seen(backend: Backend, visit: Visit, now: datetime) -> None:
    """The visit in a transaction of its own, beside the writer that decides changes: its
    rows are read by no decision (PostgreSQL takes no writer lock for it)."""
    with backend.transaction(ordered=False) as cur:
        note(cur, visit, now)


def note(cur: Cursor, visit: Visit, now: datetime) -> None:
    """The device's last contact and an activity row, in the caller's transaction."""
    cur.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", [iso(now), visit.device_id])
    cur.execute(
        "INSERT INTO activity (id, at, device_id, action, detail) VALUES (?, ?, ?, ?, ?)",
        [str(uuid.uuid4()), iso(now), visit.device_id, visit.action, detail_text(visit)],
    )


def detail_text(visit: Visit) -> str:
    """The visit's counts as its activity row keeps them (canonical JSON)."""
    return canonical(visit.detail).decode()


def certificate(backend: Backend, device_id: str) -> str | None:
    with backend.transaction(write=False) as cur:
        row = cur.execute("SELECT certificate FROM devices WHERE id = ?", [device_id]).fetchone()
    return None if row is None else row[0]
