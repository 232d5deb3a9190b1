"""The sync protocol between a laptop and the office server, shared by both sides.

Owns the protocol's one name for every message, and the messages of pushing and uploading
(push request and answer, per-change results, uploads, errors); the rest lives in its parts:
`envelope` (version, keys, signatures, sealed payloads), `enrol_messages`, `change`, `feed`.
Every reader is strict: garbage, truncated or tampered input ends in a `ProtocolError`.
Never does I/O, never touches a database, never imports Qt; crypto comes from
`cryptography` through storage.crypto, nothing is invented here.

Rules (version 1):
- A change is identified by a UUID chosen by the device: the server's idempotency key.
- The signature covers the canonical JSON of the whole change envelope (every field but
  the signature), prefixed by a domain tag, so a signature for one message type can never
  be replayed as another.
- The payload is sealed with an `info` string naming the change id, entity and entity id:
  the office opens it only under the metadata it was sealed with, so a payload cannot be
  moved to another change even by someone able to re-sign.
- Versions and sequence numbers are integers assigned by counters, never clock times.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kitchentable.sync.change import (
    MAX_ATTACHMENTS,
    MAX_COPIES,
    STATUSES,
    Change,
    Status,
    attachment_info,
    copy_info,
    payload_info,
    status_of,
)
from kitchentable.sync.enrol_messages import (
    EnrolRequest,
    EnrolResponse,
    code_id,
    code_key,
    normalise_code,
)
from kitchentable.sync.envelope import (
    KEY_BYTES,
    PROTOCOL_VERSION,
    SEAL_ALGORITHM,
    SHA256_HEX,
    SIGNATURE_BYTES,
    TAG_CHANGE,
    TAG_ENROL,
    TAG_FEED,
    DeviceKeys,
    SealedPayload,
    check_version,
    ed25519_keypair,
    sign,
    verify,
)
from kitchentable.sync.feed import FEED_KINDS, MAX_PULL_ITEMS, FeedItem, PullEntry, PullResponse
from kitchentable.sync.wire import (
    NAME,
    as_object,
    exact_keys,
    fail,
    get_int,
    get_optional_str,
    get_str,
    get_uuid,
)

__all__ = [
    "CHUNK_BYTES",
    "FEED_KINDS",
    "KEY_BYTES",
    "MAX_ATTACHMENTS",
    "MAX_CHANGES_PER_PUSH",
    "MAX_COPIES",
    "MAX_FILES_PER_BUNDLE",
    "MAX_PULL_ITEMS",
    "MAX_UPLOAD_BYTES",
    "MAX_WHOLE_FILE_BYTES",
    "PROTOCOL_VERSION",
    "SEAL_ALGORITHM",
    "SERVER_ERROR",
    "SHA256_HEX",
    "SIGNATURE_BYTES",
    "STATUSES",
    "TAG_CHANGE",
    "TAG_ENROL",
    "TAG_FEED",
    "Change",
    "ChangeResult",
    "DeviceKeys",
    "EnrolRequest",
    "EnrolResponse",
    "ErrorBody",
    "FeedItem",
    "FileStored",
    "FilesStored",
    "PullEntry",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "SealedPayload",
    "Status",
    "UploadState",
    "attachment_info",
    "bundle",
    "code_id",
    "code_key",
    "copy_info",
    "ed25519_keypair",
    "normalise_code",
    "payload_info",
    "sign",
    "unbundle",
    "verify",
]

MAX_CHANGES_PER_PUSH = 500


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
    return b"".join(BUNDLE_LENGTH.pack(len(data)) + data for data in files)


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


@dataclass(frozen=True)
class PushRequest:
    """A batch of changes. Items stay raw here: the server parses each one separately so a
    malformed change is rejected alone and never blocks the rest of the queue."""

    device_id: str
    changes: list[Any]

    def to_wire(self) -> dict[str, Any]:
        return {"v": PROTOCOL_VERSION, "device_id": self.device_id, "changes": self.changes}

    @classmethod
    def of(cls, device_id: str, changes: list[Change]) -> PushRequest:
        return cls(device_id, [change.to_wire() for change in changes])

    @staticmethod
    def encode(device_id: str, changes: Sequence[Change]) -> bytes:
        """`of(...).to_wire()` as JSON bytes, each change in the canonical bytes it already
        has (a push of 100 changes is not encoded again)."""
        return b'{"changes":[%s],"device_id":"%s","v":%d}' % (
            b",".join(change.wire_bytes() for change in changes),
            get_uuid({"id": device_id}, "id", "device").encode("ascii"),
            PROTOCOL_VERSION,
        )

    @classmethod
    def from_wire(cls, value: object) -> PushRequest:
        what = "push request"
        obj = as_object(value, what)
        exact_keys(obj, what, {"v", "device_id", "changes"})
        check_version(obj, what)
        changes = obj["changes"]
        if not isinstance(changes, list):
            fail("The field 'changes' of the push request must be a list.")
        if len(changes) > MAX_CHANGES_PER_PUSH:
            fail(f"A push holds at most {MAX_CHANGES_PER_PUSH} changes.", "too_large")
        return cls(device_id=get_uuid(obj, "device_id", what), changes=changes)


SERVER_ERROR = "server_error"  # a change the server could not store now: send it again


@dataclass(frozen=True)
class ChangeResult:
    """The server's answer for one change, in the order the changes were sent.

    server_version: the version the server gave this change (accepted, conflict, or the
    first delivery's for a duplicate); current_version: the record's version now, i.e. the
    version a conflicting change lost against.
    """

    index: int
    id: str | None
    status: Status
    server_version: int | None = None
    current_version: int | None = None
    reason: str | None = None
    message: str | None = None
    first_status: Status | None = None  # for a duplicate: what the first delivery got

    def to_wire(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}

    @classmethod
    def server_error(cls, index: int, change_id: str) -> ChangeResult:
        """The one answer for a change the server failed to store (the device retries)."""
        return cls(
            index,
            change_id,
            "rejected",
            reason=SERVER_ERROR,
            message="The server could not store this change now; send it again later.",
        )

    @classmethod
    def from_wire(cls, value: object) -> ChangeResult:
        what = "change result"
        obj = as_object(value, what)
        optional = {"id", "server_version", "current_version", "reason", "message"}
        exact_keys(obj, what, {"index", "status"}, frozenset(optional | {"first_status"}))
        status = status_of(obj.get("status"))
        first = obj.get("first_status")
        return cls(
            index=get_int(obj, "index", what),
            id=None if obj.get("id") is None else get_uuid(obj, "id", what),
            status=status,
            server_version=_optional_int(obj, "server_version", what),
            current_version=_optional_int(obj, "current_version", what),
            reason=get_optional_str(obj, "reason", what, NAME),
            message=get_optional_str(obj, "message", what),
            first_status=None if first is None else status_of(first),
        )


@dataclass(frozen=True)
class PushResponse:
    results: list[ChangeResult] = field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        return {"v": PROTOCOL_VERSION, "results": [r.to_wire() for r in self.results]}

    @classmethod
    def from_wire(cls, value: object) -> PushResponse:
        obj = as_object(value, "push answer")
        exact_keys(obj, "push answer", {"v", "results"})
        check_version(obj, "push answer")
        if not isinstance(obj["results"], list):
            fail("The field 'results' of the push answer must be a list.")
        return cls([ChangeResult.from_wire(item) for item in obj["results"]])


@dataclass(frozen=True)
class ErrorBody:
    """Every refusal: a stable code, a sentence, and `wipe` when the device is revoked."""

    error: str
    message: str
    wipe: bool = False

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.wipe:
            body["wipe"] = True
        return body

    @classmethod
    def from_wire(cls, value: object) -> ErrorBody:
        obj = as_object(value, "error answer")
        exact_keys(obj, "error answer", {"error", "message"}, frozenset({"wipe"}))
        return cls(
            error=get_str(obj, "error", "error answer", NAME),
            message=get_str(obj, "message", "error answer", max_len=1000),
            wipe=obj.get("wipe") is True,
        )


def _optional_int(obj: dict[str, Any], key: str, what: str) -> int | None:
    return None if obj.get(key) is None else get_int(obj, key, what)
