"""Files on the wire: uploads whole, in bundles, or in resumable chunks.

Owns the sizes that decide how a file travels (one request up to MAX_WHOLE_FILE_BYTES,
several small ones in one bundle, larger ones in chunks), the bundle format, and the
office's answers to each kind of upload. Strict readers; never does I/O, never imports Qt.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kitchentable.sync.envelope import PROTOCOL_VERSION, SHA256_HEX, check_version
from kitchentable.sync.wire import as_object, exact_keys, fail, get_int, get_str, get_uuid

# --- uploads ------------------------------------------------------------------------------

CHUNK_BYTES = 256 * 1024
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
# A file up to this size may go in one request (PUT /api/v1/blobs/{sha256}, an addition to
# version 1): a sealed plan PDF is ~100 KB, so the usual upload is one request, not two.
# Larger files go in resumable chunks; an office without the PUT (405) gets chunks too.
MAX_WHOLE_FILE_BYTES = 4 * 1024 * 1024


# Several small files in one request (POST /api/v1/blobs, an addition to version 1): the
# body is each file as an 8-byte big-endian length and its bytes; the office stores them in
# one transaction and answers their hashes in order. One request and one commit for a batch
# of sealed PDFs instead of one per file.
MAX_FILES_PER_BUNDLE = 64
BUNDLE_LENGTH = struct.Struct(">Q")


def bundle(files: Sequence[bytes]) -> bytes:
    # Each length and file joined once (not each file copied behind its length first).
    return b"".join(part for data in files for part in (BUNDLE_LENGTH.pack(len(data)), data))


def unbundle(body: bytes) -> list[bytes]:
    """The files of a bundle; ProtocolError for anything that is not one."""
    files, offset = [], 0
    while offset < len(body):
        if len(body) - offset < BUNDLE_LENGTH.size:
            fail("The bundle ends inside a file's length.")
        (size,) = BUNDLE_LENGTH.unpack_from(body, offset)
        offset += BUNDLE_LENGTH.size
        if not 0 < size <= MAX_WHOLE_FILE_BYTES or size > len(body) - offset:
            fail(f"A file in the bundle must hold 1 to {MAX_WHOLE_FILE_BYTES} bytes, all sent.")
        files.append(body[offset : offset + size])
        offset += size
        if len(files) > MAX_FILES_PER_BUNDLE:
            fail(f"A bundle holds at most {MAX_FILES_PER_BUNDLE} files.", "too_large")
    if not files:
        fail("The bundle holds no file.")
    return files


@dataclass(frozen=True)
class FilesStored:
    """The answer to a bundle: the files the office now holds, in the order sent."""

    files: tuple[FileStored, ...]

    def to_wire(self) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "stored": [{"sha256": f.sha256, "size": f.size} for f in self.files],
        }

    @classmethod
    def from_wire(cls, value: object) -> FilesStored:
        what = "bundle answer"
        obj = as_object(value, what)
        exact_keys(obj, what, {"v", "stored"})
        check_version(obj, what)
        stored = obj["stored"]
        if not isinstance(stored, list) or len(stored) > MAX_FILES_PER_BUNDLE:
            fail("The field 'stored' of the bundle answer must list the files.")
        files = []
        for item in stored:
            entry = as_object(item, "stored file")
            exact_keys(entry, "stored file", {"sha256", "size"})
            files.append(
                FileStored(
                    get_str(entry, "sha256", "stored file", SHA256_HEX, max_len=64),
                    get_int(entry, "size", "stored file", minimum=1),
                )
            )
        return cls(tuple(files))


@dataclass(frozen=True)
class FileStored:
    """The answer to a whole-file upload: the office holds the file with this hash."""

    sha256: str
    size: int

    def to_wire(self) -> dict[str, Any]:
        return {"v": PROTOCOL_VERSION, "sha256": self.sha256, "size": self.size, "complete": True}

    @classmethod
    def from_wire(cls, value: object) -> FileStored:
        what = "upload answer"
        obj = as_object(value, what)
        exact_keys(obj, what, {"v", "sha256", "size", "complete"})
        check_version(obj, what)
        if obj["complete"] is not True:
            fail("The upload answer does not say the file is complete.")
        return cls(
            sha256=get_str(obj, "sha256", what, SHA256_HEX, max_len=64),
            size=get_int(obj, "size", what, minimum=1),
        )


@dataclass(frozen=True)
class UploadState:
    """The server's view of one upload: which chunks it holds, or that it is complete."""

    upload_id: str
    chunk_size: int
    received: tuple[int, ...]
    complete: bool

    def to_wire(self) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "upload_id": self.upload_id,
            "chunk_size": self.chunk_size,
            "received": list(self.received),
            "complete": self.complete,
        }

    @classmethod
    def from_wire(cls, value: object) -> UploadState:
        what = "upload answer"
        obj = as_object(value, what)
        exact_keys(obj, what, {"v", "upload_id", "chunk_size", "received", "complete"})
        check_version(obj, what)
        received = obj["received"]
        if not isinstance(received, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in received
        ):
            fail("The field 'received' of the upload answer must list chunk numbers.")
        if not isinstance(obj["complete"], bool):
            fail("The field 'complete' of the upload answer must be true or false.")
        return cls(
            upload_id=get_uuid(obj, "upload_id", what),
            chunk_size=get_int(obj, "chunk_size", what, minimum=1),
            received=tuple(received),
            complete=obj["complete"],
        )
