"""Files: the office store's `blobs`, `uploads` and `upload_chunks` rows.

Owns content-addressed files (form texts, catalogues, and attachments sealed to the office
by a device) and the resumable chunked upload of an attachment: announcing it (or learning
which chunks already arrived), keeping each chunk once, and completing it into one file
whose SHA-256 must match what the device announced, in the transaction of the last chunk,
and how much one device may have unfinished at once.
Never opens a sealed attachment. Never reads the clock.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kitchentable.office.backends import Backend, Cursor
from kitchentable.office.errors import UploadRefused
from kitchentable.office.store.common import iso
from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import CHUNK_BYTES, MAX_UPLOAD_BYTES, UploadState
from kitchentable.sync.wire import b64

# A device's uploads that are started and not complete: beyond these, it must finish (or
# wait for the purge of abandoned ones) before it starts another.
MAX_OPEN_UPLOADS = 32
MAX_OPEN_BYTES = 256 * 1024 * 1024


def _room_for(cur: Cursor, device_id: str, size: int) -> None:
    count, total = cur.execute(
        "SELECT count(*), COALESCE(SUM(u.size), 0) FROM uploads u WHERE u.device_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = u.sha256 "
        "AND b.device_id = u.device_id)",
        [device_id],
    ).fetchone()
    if int(count) >= MAX_OPEN_UPLOADS or int(total) + size > MAX_OPEN_BYTES:
        raise UploadRefused(
            "too_many_uploads",
            "This device has too many unfinished uploads at the office; finish them first.",
            429,
        )


def hash_mismatch() -> UploadRefused:
    return UploadRefused(
        "hash_mismatch", "The file's chunks do not add up to its SHA-256; send it again.", 422
    )


def put_blob(
    backend: Backend, data: bytes, kind: str, now: datetime, device_id: str | None = None
) -> str:
    return put_blobs(backend, [data], kind, now, device_id)[0]


def put_blobs(
    backend: Backend,
    files: Sequence[bytes],
    kind: str,
    now: datetime,
    device_id: str | None = None,
) -> list[str]:
    """Several files in ONE transaction (one commit for a device's bundle of PDFs)."""
    shas = []
    with backend.transaction() as cur:
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


def blob(backend: Backend, sha: str) -> tuple[str, str | None, bytes] | None:
    """(kind, device id, bytes) of a stored file, or None."""
    with backend.transaction(write=False) as cur:
        row = cur.execute(
            "SELECT kind, device_id, data FROM blobs WHERE sha256 = ?", [sha]
        ).fetchone()
    return None if row is None else (row[0], row[1], unb64(row[2]))


def start_upload(
    backend: Backend, device_id: str, sha: str, size: int, now: datetime
) -> UploadState:
    """Begin (or resume) the upload of one file; says which chunks already arrived."""
    if not 0 < size <= MAX_UPLOAD_BYTES:
        raise UploadRefused(
            "too_large", f"A file may be 1 byte to {MAX_UPLOAD_BYTES // 2**20} MiB.", 413
        )
    with backend.transaction() as cur:
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
            _room_for(cur, device_id, size)
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
    backend: Backend, device_id: str, upload_id: str, index: int, data: bytes, now: datetime
) -> bool:
    """Keep one chunk; the last one to arrive completes the file in the same
    transaction (True), which saves a request per file."""
    with backend.transaction() as cur:
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
        raise hash_mismatch()
    return True


def complete_upload(backend: Backend, device_id: str, upload_id: str, now: datetime) -> UploadState:
    with backend.transaction() as cur:
        row = _upload(cur, device_id, upload_id)
        held = cur.execute(
            "SELECT 1 FROM blobs WHERE sha256 = ? AND kind = 'attachment' AND device_id = ?",
            [row[0], device_id],
        ).fetchone()
        matched = held is not None or _complete(cur, device_id, upload_id, row, now)
    if not matched:
        raise hash_mismatch()
    return UploadState(upload_id, int(row[2]), (), True)


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


def _upload(cur: Cursor, device_id: str, upload_id: str) -> Any:
    row = cur.execute(
        "SELECT sha256, size, chunk_size FROM uploads WHERE id = ? AND device_id = ?",
        [upload_id, device_id],
    ).fetchone()
    if row is None:
        raise UploadRefused("unknown_upload", "This upload is not known; start it again.", 404)
    return row
