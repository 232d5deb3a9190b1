"""The sync protocol between a laptop and the office server, shared by both sides.

Owns the messages (enrolment, push, per-change results, errors), how a change payload is
sealed to the office's X25519 key and how a change envelope is signed with the device's
Ed25519 key. Every reader is strict: garbage, truncated or tampered input ends in a
`ProtocolError`. Never does I/O, never touches a database, never imports Qt; crypto comes
from `cryptography` through storage.crypto, nothing is invented here.

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

import hashlib
import hmac
import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kitchentable.storage import crypto
from kitchentable.sync.wire import (
    IDENT,
    NAME,
    ProtocolError,
    as_object,
    b64,
    canonical,
    exact_keys,
    fail,
    get_bytes,
    get_int,
    get_optional_str,
    get_str,
    get_uuid,
)

PROTOCOL_VERSION = 1
SEAL_ALGORITHM = "x25519-hkdf-sha256-aes256gcm"
KEY_BYTES = 32
SIGNATURE_BYTES = 64
# One change carries one record; large files travel in chunks (a later message type).
MAX_SEALED_BYTES = 1024 * 1024
MAX_CHANGES_PER_PUSH = 500
TAG_CHANGE = b"kitchentable/change/v1\n"
TAG_ENROL = b"kitchentable/enrol/v1\n"
TAG_FEED = b"kitchentable/feed/v1\n"
TAG_ENROL_PROOF = b"kitchentable/enrol-proof/v1\n"
TAG_ENROL_ANSWER = b"kitchentable/enrol-answer/v1\n"
MAX_ATTACHMENTS = 16
MAX_COPIES = 16
MAX_PULL_ITEMS = 200
FEED_KINDS = ("assignment", "withdrawal", "form", "catalogue", "policy")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

Status = Literal["accepted", "duplicate", "conflict", "rejected"]
STATUSES: tuple[Status, ...] = ("accepted", "duplicate", "conflict", "rejected")


# --- keys ---------------------------------------------------------------------------------


def ed25519_keypair() -> tuple[bytes, bytes]:
    """A new (private, public) Ed25519 pair as raw 32-byte values."""
    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        ),
        private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        ),
    )


def sign(private_key: bytes, tag: bytes, body: dict[str, Any]) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private_key).sign(tag + canonical(body))


def verify(public_key: bytes, tag: bytes, body: dict[str, Any], signature: bytes) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, tag + canonical(body))
    except (InvalidSignature, ValueError) as exc:
        raise ProtocolError(
            "bad_signature", "The signature does not match the message and the sender's key."
        ) from exc


@dataclass(frozen=True)
class DeviceKeys:
    """A device's own key pairs (private halves stay on the laptop, in the vault)."""

    sign_private: bytes
    sign_public: bytes
    box_private: bytes
    box_public: bytes

    @classmethod
    def generate(cls) -> DeviceKeys:
        sign_private, sign_public = ed25519_keypair()
        box_private, box_public = crypto.x25519_keypair()
        return cls(sign_private, sign_public, box_private, box_public)


# --- sealed payloads ----------------------------------------------------------------------


@dataclass(frozen=True)
class SealedPayload:
    """The output of crypto.seal_to_public_key, checked field by field."""

    recipient: bytes
    ephemeral: bytes
    sealed: bytes

    @classmethod
    def seal(cls, recipient_public: bytes, plaintext: bytes, info: str) -> SealedPayload:
        envelope = crypto.seal_to_public_key(recipient_public, plaintext, info)
        return cls.from_wire(envelope)

    def open(self, recipient_private: bytes, info: str) -> bytes:
        try:
            return crypto.open_with_private_key(recipient_private, self.to_wire(), info)
        except crypto.SealError as exc:
            raise ProtocolError(
                "unreadable_payload", "The payload cannot be opened with this key."
            ) from exc

    def to_wire(self) -> dict[str, str]:
        return {
            "algorithm": SEAL_ALGORITHM,
            "recipient": b64(self.recipient),
            "ephemeral": b64(self.ephemeral),
            "sealed": b64(self.sealed),
        }

    @classmethod
    def from_wire(cls, value: object) -> SealedPayload:
        obj = as_object(value, "sealed payload")
        exact_keys(obj, "sealed payload", {"algorithm", "recipient", "ephemeral", "sealed"})
        if obj["algorithm"] != SEAL_ALGORITHM:
            fail("The sealed payload uses an unknown algorithm.")
        sealed = get_bytes(obj, "sealed", "sealed payload", max_size=MAX_SEALED_BYTES)
        if len(sealed) < 1 + crypto.NONCE_BYTES + 16:
            fail("The sealed payload is too short to be a sealed value.")
        return cls(
            recipient=get_bytes(obj, "recipient", "sealed payload", size=KEY_BYTES),
            ephemeral=get_bytes(obj, "ephemeral", "sealed payload", size=KEY_BYTES),
            sealed=sealed,
        )


# --- enrolment ----------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """A code as typed: dashes, spaces and case do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_id(code: str) -> str:
    """What the server looks a code up by (SHA-256 hex): the code itself never travels."""
    return hashlib.sha256(normalise_code(code).encode("ascii", "replace")).hexdigest()


def code_key(code: str) -> bytes:
    """The key both sides derive from the one-time code to prove they know it."""
    return crypto.hkdf(normalise_code(code).encode("ascii", "replace"), "kitchentable/enrol-key/v1")


def _mac(key: bytes, tag: bytes, body: dict[str, Any]) -> bytes:
    return hmac.new(key, tag + canonical(body), hashlib.sha256).digest()


@dataclass(frozen=True)
class EnrolRequest:
    """The device's public keys, signed by its new Ed25519 key (it holds the private half),
    and a proof that it knows the one-time code: an HMAC under a key derived from the code
    over the request, including the TLS certificate fingerprint the device saw. The code
    itself is never sent, so a party in the middle learns nothing it could use, and the
    server refuses a proof made over another certificate than its own.
    `seal_public`: the PEM public key of the device's PDF seal key (EC P-256), for which
    the office CA issues a certificate."""

    code_id: str
    label: str
    sign_public: bytes
    box_public: bytes
    proof: bytes = b""
    signature: bytes = b""
    seal_public: str | None = None
    tls_fingerprint: str | None = None

    @classmethod
    def create(
        cls,
        code: str,
        label: str,
        keys: DeviceKeys,
        seal_public: str | None = None,
        tls_fingerprint: str | None = None,
    ) -> EnrolRequest:
        unsigned = cls(
            code_id(code),
            label,
            keys.sign_public,
            keys.box_public,
            seal_public=seal_public,
            tls_fingerprint=tls_fingerprint,
        )
        proven = replace(unsigned, proof=_mac(code_key(code), TAG_ENROL_PROOF, unsigned._claims()))
        return replace(proven, signature=sign(keys.sign_private, TAG_ENROL, proven._body()))

    def _claims(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "v": PROTOCOL_VERSION,
            "code_id": self.code_id,
            "label": self.label,
            "sign_public": b64(self.sign_public),
            "box_public": b64(self.box_public),
            "tls_fingerprint": self.tls_fingerprint,
        }
        if self.seal_public is not None:
            body["seal_public"] = self.seal_public
        return body

    def _body(self) -> dict[str, Any]:
        return {**self._claims(), "proof": b64(self.proof)}

    def proves(self, key: bytes) -> bool:
        return hmac.compare_digest(self.proof, _mac(key, TAG_ENROL_PROOF, self._claims()))

    def to_wire(self) -> dict[str, Any]:
        return {**self._body(), "signature": b64(self.signature)}

    @classmethod
    def from_wire(cls, value: object) -> EnrolRequest:
        obj = as_object(value, "enrolment request")
        what = "enrolment request"
        exact_keys(
            obj,
            what,
            {"v", "code_id", "label", "sign_public", "box_public", "tls_fingerprint"}
            | {"proof", "signature"},
            frozenset({"seal_public"}),
        )
        _check_version(obj, what)
        request = cls(
            code_id=get_str(obj, "code_id", what, SHA256_HEX, max_len=64),
            label=get_str(obj, "label", what, max_len=80),
            sign_public=get_bytes(obj, "sign_public", what, size=KEY_BYTES),
            box_public=get_bytes(obj, "box_public", what, size=KEY_BYTES),
            proof=get_bytes(obj, "proof", what, size=32),
            signature=get_bytes(obj, "signature", what, size=SIGNATURE_BYTES),
            seal_public=get_str(obj, "seal_public", what, max_len=2000)
            if "seal_public" in obj
            else None,
            tls_fingerprint=get_optional_str(obj, "tls_fingerprint", what, SHA256_HEX),
        )
        verify(request.sign_public, TAG_ENROL, request._body(), request.signature)
        return request


@dataclass(frozen=True)
class EnrolResponse:
    device_id: str
    token: str
    consultant: str
    office_box_public: bytes
    office_sign_public: bytes
    # The pinned TLS certificate's SHA-256; None while the server runs plain HTTP on loopback.
    tls_fingerprint: str | None = None
    # PEM: the device certificate for its seal key, then the office CA certificate.
    certificate: str | None = None
    # HMAC under the code's key over this answer and the request's proof: the office keys
    # in it come from whoever issued the code, not from someone in between.
    proof: bytes = b""

    def _claims(self) -> dict[str, Any]:
        body = self.to_wire()
        body.pop("proof", None)
        return body

    def prove(self, key: bytes, request: EnrolRequest) -> EnrolResponse:
        claims = {**self._claims(), "request_proof": b64(request.proof)}
        return replace(self, proof=_mac(key, TAG_ENROL_ANSWER, claims))

    def proves(self, key: bytes, request: EnrolRequest) -> bool:
        claims = {**self._claims(), "request_proof": b64(request.proof)}
        return hmac.compare_digest(self.proof, _mac(key, TAG_ENROL_ANSWER, claims))

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "v": PROTOCOL_VERSION,
            "device_id": self.device_id,
            "token": self.token,
            "consultant": self.consultant,
            "office_box_public": b64(self.office_box_public),
            "office_sign_public": b64(self.office_sign_public),
            "tls_fingerprint": self.tls_fingerprint,
        }
        if self.certificate is not None:
            body["certificate"] = self.certificate
        if self.proof:
            body["proof"] = b64(self.proof)
        return body

    @classmethod
    def from_wire(cls, value: object) -> EnrolResponse:
        obj = as_object(value, "enrolment answer")
        what = "enrolment answer"
        keys = {"v", "device_id", "token", "consultant", "office_box_public"}
        exact_keys(
            obj,
            what,
            keys | {"office_sign_public", "tls_fingerprint"},
            frozenset({"certificate", "proof"}),
        )
        _check_version(obj, what)
        return cls(
            device_id=get_uuid(obj, "device_id", what),
            token=get_str(obj, "token", what, max_len=128),
            consultant=get_str(obj, "consultant", what, max_len=128),
            office_box_public=get_bytes(obj, "office_box_public", what, size=KEY_BYTES),
            office_sign_public=get_bytes(obj, "office_sign_public", what, size=KEY_BYTES),
            tls_fingerprint=get_optional_str(obj, "tls_fingerprint", what),
            certificate=get_str(obj, "certificate", what, max_len=20000)
            if obj.get("certificate") is not None
            else None,
            proof=get_bytes(obj, "proof", what, size=32) if "proof" in obj else b"",
        )


# --- push ---------------------------------------------------------------------------------


def payload_info(change_id: str, entity: str, entity_id: str) -> str:
    return f"kitchentable/change/v1:{change_id}:{entity}:{entity_id}"


@dataclass(frozen=True)
class Change:
    """One outbox entry on the wire: metadata in the clear, payload sealed to the office."""

    id: str
    device_id: str
    seq: int
    entity: str
    entity_id: str
    case_ref: str | None
    base_version: int
    last_seen_server_version: int
    payload: SealedPayload
    signature: bytes = b""
    # SHA-256 (hex) of each attachment this record names; the server accepts the record
    # only when all of them have been uploaded, and it is immutable from then on.
    attachments: tuple[str, ...] = ()
    # The same payload sealed to other devices that work on this case (from the office's
    # signed assignment), so a conflict can show both versions on both laptops.
    copies: tuple[tuple[str, SealedPayload], ...] = ()

    @classmethod
    def create(
        cls,
        *,
        id: str,
        device_id: str,
        seq: int,
        entity: str,
        entity_id: str,
        case_ref: str | None,
        base_version: int,
        last_seen_server_version: int,
        plaintext: bytes,
        office_box_public: bytes,
        sign_private: bytes,
        attachments: tuple[str, ...] = (),
        copy_to: tuple[tuple[str, bytes], ...] = (),
    ) -> Change:
        payload = SealedPayload.seal(
            office_box_public, plaintext, payload_info(id, entity, entity_id)
        )
        copies = tuple(
            (
                recipient,
                SealedPayload.seal(box, plaintext, copy_info(id, entity, entity_id, recipient)),
            )
            for recipient, box in copy_to
        )
        unsigned = cls(
            id,
            device_id,
            seq,
            entity,
            entity_id,
            case_ref,
            base_version,
            last_seen_server_version,
            payload,
            attachments=tuple(attachments),
            copies=copies,
        )
        signature = sign(sign_private, TAG_CHANGE, unsigned.body())
        return replace(unsigned, signature=signature)

    def body(self) -> dict[str, Any]:
        """Everything the signature covers."""
        body: dict[str, Any] = {
            "v": PROTOCOL_VERSION,
            "id": self.id,
            "device_id": self.device_id,
            "seq": self.seq,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "case_ref": self.case_ref,
            "base_version": self.base_version,
            "last_seen_server_version": self.last_seen_server_version,
            "payload": self.payload.to_wire(),
        }
        if self.attachments:
            body["attachments"] = list(self.attachments)
        if self.copies:
            body["copies"] = [
                {"device_id": device, "payload": sealed.to_wire()} for device, sealed in self.copies
            ]
        return body

    def signed_bytes(self) -> bytes:
        return TAG_CHANGE + canonical(self.body())

    def verify(self, device_sign_public: bytes) -> None:
        verify(device_sign_public, TAG_CHANGE, self.body(), self.signature)

    def open(self, office_box_private: bytes) -> bytes:
        return self.payload.open(
            office_box_private, payload_info(self.id, self.entity, self.entity_id)
        )

    def open_copy(self, device_id: str, device_box_private: bytes) -> bytes:
        """The payload as sealed for another device working on the same case."""
        for recipient, sealed in self.copies:
            if recipient == device_id:
                return sealed.open(
                    device_box_private, copy_info(self.id, self.entity, self.entity_id, device_id)
                )
        raise ProtocolError("no_copy", "This change carries no copy for this device.")

    def to_wire(self) -> dict[str, Any]:
        return {**self.body(), "signature": b64(self.signature)}

    @classmethod
    def from_wire(cls, value: object) -> Change:
        """Strict structural parse. Does NOT verify the signature: the reader must call
        `verify` with the key of the device it authenticated."""
        what = "change"
        obj = as_object(value, what)
        required = {"v", "id", "device_id", "seq", "entity", "entity_id", "base_version"}
        required |= {"last_seen_server_version", "payload", "signature"}
        exact_keys(obj, what, required, frozenset({"case_ref", "attachments", "copies"}))
        _check_version(obj, what)
        return cls(
            id=get_uuid(obj, "id", what),
            device_id=get_uuid(obj, "device_id", what),
            seq=get_int(obj, "seq", what, minimum=1),
            entity=get_str(obj, "entity", what, NAME),
            entity_id=get_str(obj, "entity_id", what, IDENT),
            case_ref=get_optional_str(obj, "case_ref", what, IDENT),
            base_version=get_int(obj, "base_version", what),
            last_seen_server_version=get_int(obj, "last_seen_server_version", what),
            payload=SealedPayload.from_wire(obj["payload"]),
            signature=get_bytes(obj, "signature", what, size=SIGNATURE_BYTES),
            attachments=_attachments(obj["attachments"]) if "attachments" in obj else (),
            copies=_copies(obj["copies"]) if "copies" in obj else (),
        )


def attachment_info(plain_sha256: str) -> str:
    """An attachment (a sealed PDF) is sealed to the office under the SHA-256 of its plain
    bytes, which the record's payload names: the office opens it only as that file."""
    return f"kitchentable/attachment/v1:{plain_sha256}"


def copy_info(change_id: str, entity: str, entity_id: str, device_id: str) -> str:
    return f"kitchentable/copy/v1:{change_id}:{entity}:{entity_id}:{device_id}"


def _attachments(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_ATTACHMENTS:
        fail(f"The field 'attachments' of the change must list 1 to {MAX_ATTACHMENTS} hashes.")
    if not all(isinstance(item, str) and SHA256_HEX.fullmatch(item) for item in value):
        fail("An attachment of the change is not a SHA-256 in lower-case hex.")
    if len(set(value)) != len(value):
        fail("The change names the same attachment twice.")
    return tuple(value)


def _copies(value: object) -> tuple[tuple[str, SealedPayload], ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_COPIES:
        fail(f"The field 'copies' of the change must list 1 to {MAX_COPIES} copies.")
    copies = []
    for item in value:
        obj = as_object(item, "copy")
        exact_keys(obj, "copy", {"device_id", "payload"})
        copies.append((get_uuid(obj, "device_id", "copy"), SealedPayload.from_wire(obj["payload"])))
    if len({device for device, _ in copies}) != len(copies):
        fail("The change carries two copies for the same device.")
    return tuple(copies)


# --- pull ---------------------------------------------------------------------------------


def feed_info(device_id: str, kind: str, item_id: str) -> str:
    return f"kitchentable/feed/v1:{device_id}:{kind}:{item_id}"


@dataclass(frozen=True)
class FeedItem:
    """Something the office sends, signed with the office's Ed25519 key.

    `content` is clear (public office documents: a form's or catalogue's hash, policy);
    `payload` is sealed to one device (assignments: personal data). `issued_at` orders
    items of one kind for the laptop (a replayed old policy is ignored); it never decides
    the fate of a change.
    """

    kind: str
    item_id: str
    device_id: str | None
    issued_at: str
    content: dict[str, Any] | None = None
    payload: SealedPayload | None = None
    signature: bytes = b""

    @classmethod
    def create(
        cls,
        *,
        kind: str,
        item_id: str,
        issued_at: str,
        office_sign_private: bytes,
        device_id: str | None = None,
        device_box_public: bytes | None = None,
        content: dict[str, Any] | None = None,
        plaintext: bytes | None = None,
    ) -> FeedItem:
        payload = None
        if plaintext is not None:
            if device_id is None or device_box_public is None:
                raise ValueError("a sealed feed item needs its device")
            payload = SealedPayload.seal(
                device_box_public, plaintext, feed_info(device_id, kind, item_id)
            )
        unsigned = cls(kind, item_id, device_id, issued_at, content, payload)
        return replace(unsigned, signature=sign(office_sign_private, TAG_FEED, unsigned.body()))

    def body(self) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "kind": self.kind,
            "item_id": self.item_id,
            "device_id": self.device_id,
            "issued_at": self.issued_at,
            "content": self.content,
            "payload": None if self.payload is None else self.payload.to_wire(),
        }

    def to_wire(self) -> dict[str, Any]:
        return {**self.body(), "signature": b64(self.signature)}

    def verify(self, office_sign_public: bytes) -> None:
        verify(office_sign_public, TAG_FEED, self.body(), self.signature)

    def open(self, device_id: str, device_box_private: bytes) -> bytes:
        if self.payload is None or self.device_id != device_id:
            raise ProtocolError("no_payload", "This item carries nothing sealed for this device.")
        return self.payload.open(device_box_private, feed_info(device_id, self.kind, self.item_id))

    @classmethod
    def from_wire(cls, value: object) -> FeedItem:
        what = "office item"
        obj = as_object(value, what)
        keys = {"v", "kind", "item_id", "device_id", "issued_at", "content", "payload"}
        exact_keys(obj, what, keys | {"signature"})
        _check_version(obj, what)
        kind = get_str(obj, "kind", what, NAME)
        if kind not in FEED_KINDS:
            fail(f"The office item has an unknown kind '{kind}'.")
        content = obj["content"]
        if content is not None and not isinstance(content, dict):
            fail("The content of the office item must be an object.")
        return cls(
            kind=kind,
            item_id=get_str(obj, "item_id", what, IDENT),
            device_id=None if obj["device_id"] is None else get_uuid(obj, "device_id", what),
            issued_at=get_str(obj, "issued_at", what, max_len=40),
            content=content,
            payload=None if obj["payload"] is None else SealedPayload.from_wire(obj["payload"]),
            signature=get_bytes(obj, "signature", what, size=SIGNATURE_BYTES),
        )


@dataclass(frozen=True)
class PullEntry:
    """One entry of a pull answer: an office item, or another device's change to a case
    this device works on (`status` and `server_version` are the server's bookkeeping)."""

    version: int
    item: FeedItem | None = None
    change: Change | None = None
    status: Status | None = None
    server_version: int | None = None

    def to_wire(self) -> dict[str, Any]:
        if self.item is not None:
            return {"version": self.version, "item": self.item.to_wire()}
        assert self.change is not None
        return {
            "version": self.version,
            "change": self.change.to_wire(),
            "status": self.status,
            "server_version": self.server_version,
        }

    @classmethod
    def from_wire(cls, value: object) -> PullEntry:
        what = "pull entry"
        obj = as_object(value, what)
        version = get_int(obj, "version", what, minimum=1)
        if "item" in obj:
            exact_keys(obj, what, {"version", "item"})
            return cls(version, item=FeedItem.from_wire(obj["item"]))
        exact_keys(obj, what, {"version", "change", "status", "server_version"})
        return cls(
            version,
            change=Change.from_wire(obj["change"]),
            status=_status(obj["status"]),
            server_version=get_int(obj, "server_version", what, minimum=1),
        )


@dataclass(frozen=True)
class PullResponse:
    cursor: int
    more: bool
    entries: list[PullEntry] = field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "cursor": self.cursor,
            "more": self.more,
            "entries": [entry.to_wire() for entry in self.entries],
        }

    @classmethod
    def from_wire(cls, value: object) -> PullResponse:
        what = "pull answer"
        obj = as_object(value, what)
        exact_keys(obj, what, {"v", "cursor", "more", "entries"})
        _check_version(obj, what)
        if not isinstance(obj["more"], bool):
            fail("The field 'more' of the pull answer must be true or false.")
        entries = obj["entries"]
        if not isinstance(entries, list) or len(entries) > MAX_PULL_ITEMS:
            fail(f"The pull answer must list at most {MAX_PULL_ITEMS} entries.")
        parsed = [PullEntry.from_wire(entry) for entry in entries]
        cursor = get_int(obj, "cursor", what)
        if any(entry.version > cursor for entry in parsed) or any(
            a.version >= b.version for a, b in itertools.pairwise(parsed)
        ):
            fail("The pull answer's entries are out of order.")
        return cls(cursor, obj["more"], parsed)


# --- uploads ------------------------------------------------------------------------------

CHUNK_BYTES = 256 * 1024
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
# A file up to this size may go in one request (PUT /api/v1/blobs/{sha256}, added in 0.2):
# a sealed plan PDF is ~100 KB, so the usual upload is one request, not two. Larger files
# go in resumable chunks; a server without the PUT (405) gets chunks too.
MAX_WHOLE_FILE_BYTES = 4 * 1024 * 1024


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
        _check_version(obj, what)
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
        _check_version(obj, what)
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

    @classmethod
    def from_wire(cls, value: object) -> PushRequest:
        what = "push request"
        obj = as_object(value, what)
        exact_keys(obj, what, {"v", "device_id", "changes"})
        _check_version(obj, what)
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
        status = _status(obj.get("status"))
        first = obj.get("first_status")
        return cls(
            index=get_int(obj, "index", what),
            id=None if obj.get("id") is None else get_uuid(obj, "id", what),
            status=status,
            server_version=_optional_int(obj, "server_version", what),
            current_version=_optional_int(obj, "current_version", what),
            reason=get_optional_str(obj, "reason", what, NAME),
            message=get_optional_str(obj, "message", what),
            first_status=None if first is None else _status(first),
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
        _check_version(obj, "push answer")
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


def _check_version(obj: dict[str, Any], what: str) -> None:
    if obj.get("v") != PROTOCOL_VERSION or isinstance(obj.get("v"), bool):
        raise ProtocolError(
            "unsupported_version",
            f"The {what} uses protocol version {obj.get('v')!r}; this side speaks "
            f"version {PROTOCOL_VERSION}. Update Kitchentable.",
        )


def _status(value: object) -> Status:
    for status in STATUSES:
        if value == status:
            return status
    fail("A change result has an unknown status.")


def _optional_int(obj: dict[str, Any], key: str, what: str) -> int | None:
    return None if obj.get(key) is None else get_int(obj, key, what)
