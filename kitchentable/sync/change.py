"""A change: one outbox entry on the wire, its statuses, and what it names.

Owns the change envelope (metadata in the clear, the payload sealed to the office with an
`info` naming the change id, entity and entity id, copies sealed to colleagues' devices,
the SHA-256 of each attachment) signed by the device over its canonical JSON, and the info
strings that bind a sealed payload, copy or attachment to where it belongs. Strict readers;
never does I/O, never imports Qt.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass, replace
from typing import Any, Literal

from kitchentable.sync.envelope import (
    PROTOCOL_VERSION,
    SHA256_HEX,
    SIGNATURE_BYTES,
    TAG_CHANGE,
    SealedPayload,
    check_version,
    sign_bytes,
    verify_bytes,
)
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

MAX_ATTACHMENTS = 16
MAX_COPIES = 16

Status = Literal["accepted", "duplicate", "conflict", "rejected"]
STATUSES: tuple[Status, ...] = ("accepted", "duplicate", "conflict", "rejected")


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
        seed: bytes | None = None,
    ) -> Change:
        """Signed and sealed. With a seed (SEED_BYTES, kept as secret as the plaintext): the
        same change byte for byte each time it is made from the same fields and plaintext
        (the payload and its copies are sealed from the seed bound to the plaintext, and
        Ed25519 signatures are deterministic), so a change need not be kept to go again."""
        bound = None if seed is None else plaintext_seed(seed, plaintext)
        payload = SealedPayload.seal(
            office_box_public, plaintext, payload_info(id, entity, entity_id), seed=bound
        )
        copies = tuple(
            (
                recipient,
                SealedPayload.seal(
                    box, plaintext, copy_info(id, entity, entity_id, recipient), seed=bound
                ),
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
        signature = sign_bytes(sign_private, unsigned.signed_bytes())
        signed = replace(unsigned, signature=signature)
        signed.__dict__["_canonical_body"] = unsigned._canonical_body  # the same fields
        return signed

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

    # The fields are frozen: their canonical form is made once per change, however often it
    # is signed, verified, hashed, kept or sent.
    @functools.cached_property
    def _canonical_body(self) -> bytes:
        return canonical(self.body())

    def signed_bytes(self) -> bytes:
        return TAG_CHANGE + self._canonical_body

    def verify(self, device_sign_public: bytes) -> None:
        verify_bytes(device_sign_public, self.signed_bytes(), self.signature)

    def wire_bytes(self) -> bytes:
        """canonical(self.to_wire()), from the signed body: "signature" sorts just before
        "v", the body's last key."""
        body, tail = self._canonical_body, b',"v":%d}' % PROTOCOL_VERSION
        assert body.endswith(tail)
        return b'%s,"signature":"%s"%s' % (
            body[: -len(tail)],
            b64(self.signature).encode("ascii"),
            tail,
        )

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
        check_version(obj, what)
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


def plaintext_seed(seed: bytes, plaintext: bytes) -> bytes:
    """The seed a payload is sealed from: bound to the plaintext, so one seed never seals two
    plaintexts under one key and nonce (the payload's `info` names the change, not its
    content)."""
    return hmac.digest(
        seed, b"kitchentable/payload-seed/v1\n" + hashlib.sha256(plaintext).digest(), "sha256"
    )


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


def status_of(value: object) -> Status:
    for status in STATUSES:
        if value == status:
            return status
    fail("A change result has an unknown status.")
