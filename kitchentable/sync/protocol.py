"""The sync protocol between a laptop and the office server, shared by both sides.

Owns the protocol's one name for every message, and the messages of pushing (push request
and answer, per-change results, errors); the rest lives in its parts: `envelope` (version,
keys, signatures, sealed payloads), `enrol_messages`, `change`, `feed`, `upload_messages`,
`log_messages` (the access log the office keeps) and `trust_messages` (seal certificates
and their revocation).
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
from kitchentable.sync.log_messages import (
    GENESIS,
    MAX_LOG_LINES,
    TAG_LOG,
    Anchor,
    AuditLine,
    LogAnswer,
    LogHead,
    LogReport,
    encoded,
    witness,
    witness_of,
    witnesses,
)
from kitchentable.sync.trust_messages import (
    TAG_CERTIFICATE,
    CertificateAnswer,
    CertificateRequest,
    RevocationList,
)
from kitchentable.sync.upload_messages import (
    CHUNK_BYTES,
    MAX_FILES_PER_BUNDLE,
    MAX_UPLOAD_BYTES,
    MAX_WHOLE_FILE_BYTES,
    FilesStored,
    FileStored,
    UploadState,
    bundle,
    unbundle,
)
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
    "GENESIS",
    "KEY_BYTES",
    "MAX_ATTACHMENTS",
    "MAX_CHANGES_PER_PUSH",
    "MAX_COPIES",
    "MAX_FILES_PER_BUNDLE",
    "MAX_LOG_LINES",
    "MAX_PULL_ITEMS",
    "MAX_UPLOAD_BYTES",
    "MAX_WHOLE_FILE_BYTES",
    "PROTOCOL_VERSION",
    "SEAL_ALGORITHM",
    "SERVER_ERROR",
    "SHA256_HEX",
    "SIGNATURE_BYTES",
    "STATUSES",
    "TAG_CERTIFICATE",
    "TAG_CHANGE",
    "TAG_ENROL",
    "TAG_FEED",
    "TAG_LOG",
    "Anchor",
    "AuditLine",
    "CertificateAnswer",
    "CertificateRequest",
    "Change",
    "ChangeResult",
    "DeviceKeys",
    "EnrolRequest",
    "EnrolResponse",
    "ErrorBody",
    "FeedItem",
    "FileStored",
    "FilesStored",
    "LogAnswer",
    "LogHead",
    "LogReport",
    "PullEntry",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "RevocationList",
    "SealedPayload",
    "Status",
    "UploadState",
    "attachment_info",
    "bundle",
    "code_id",
    "code_key",
    "copy_info",
    "ed25519_keypair",
    "encoded",
    "normalise_code",
    "payload_info",
    "sign",
    "unbundle",
    "verify",
    "witness",
    "witness_of",
    "witnesses",
]

MAX_CHANGES_PER_PUSH = 500


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
