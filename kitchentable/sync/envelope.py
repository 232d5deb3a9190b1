"""The protocol's envelope: its version, keys, signatures and sealed payloads.

Owns what every message of the sync protocol rests on: the protocol version and its check,
the domain tags that keep a signature for one message type from being replayed as another,
Ed25519 signing over the canonical JSON, a device's key pairs, and a payload sealed to one
recipient's X25519 key (checked field by field). Never does I/O, never imports Qt; crypto
comes from `cryptography` through storage.crypto, nothing is invented here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kitchentable.storage import crypto
from kitchentable.sync.wire import (
    ProtocolError,
    as_object,
    b64,
    canonical,
    exact_keys,
    fail,
    get_bytes,
)

PROTOCOL_VERSION = 1
SEAL_ALGORITHM = "x25519-hkdf-sha256-aes256gcm"
KEY_BYTES = 32
SIGNATURE_BYTES = 64
# One change carries one record; large files travel in chunks (a later message type).
MAX_SEALED_BYTES = 1024 * 1024
TAG_CHANGE = b"kitchentable/change/v1\n"
TAG_ENROL = b"kitchentable/enrol/v1\n"
TAG_FEED = b"kitchentable/feed/v1\n"
TAG_ENROL_PROOF = b"kitchentable/enrol-proof/v1\n"
TAG_ENROL_ANSWER = b"kitchentable/enrol-answer/v1\n"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
WIRE_KEYS = {"algorithm", "recipient", "ephemeral", "sealed"}  # a sealed payload's fields


def check_version(obj: dict[str, Any], what: str) -> None:
    if obj.get("v") != PROTOCOL_VERSION or isinstance(obj.get("v"), bool):
        raise ProtocolError(
            "unsupported_version",
            f"The {what} uses protocol version {obj.get('v')!r}; this side speaks "
            f"version {PROTOCOL_VERSION}. Update Kitchentable.",
        )


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


# A sync signs thousands of changes with one key, and the office verifies many with each
# device's: the key objects are made once per key, not once per message.
@functools.lru_cache(maxsize=8)
def _signer(private_key: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(private_key)


@functools.lru_cache(maxsize=256)
def _verifier(public_key: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public_key)


def sign(private_key: bytes, tag: bytes, body: dict[str, Any]) -> bytes:
    return sign_bytes(private_key, tag + canonical(body))


def sign_bytes(private_key: bytes, message: bytes) -> bytes:
    """A signature over bytes already made canonical (tag included)."""
    return _signer(private_key).sign(message)


def verify(public_key: bytes, tag: bytes, body: dict[str, Any], signature: bytes) -> None:
    verify_bytes(public_key, tag + canonical(body), signature)


def verify_bytes(public_key: bytes, message: bytes, signature: bytes) -> None:
    """`verify` over bytes already made canonical (tag included)."""
    try:
        _verifier(public_key).verify(signature, message)
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
    def seal(
        cls, recipient_public: bytes, plaintext: bytes, info: str, *, seed: bytes | None = None
    ) -> SealedPayload:
        """With a seed: the same bytes each time (crypto.seal_to_public_key; the caller binds
        the seed to the plaintext, `info` does not name it)."""
        envelope = crypto.seal_to_public_key(recipient_public, plaintext, info, seed=seed)
        sealed = cls.from_wire(envelope)
        # The base64 just made is the canonical spelling: kept, not encoded again.
        sealed.__dict__["_wire"] = envelope
        return sealed

    @staticmethod
    def seal_to_wire(
        recipient_public: bytes, plaintext: bytes, info: str, *, seed: bytes | None = None
    ) -> bytes:
        """The canonical bytes of a freshly sealed payload (what an attachment is), without
        reading back the envelope just made: a 100 KB PDF is not decoded and encoded again.
        With a seed: the same bytes each time (crypto.seal_to_public_key)."""
        envelope = crypto.seal_to_public_key(recipient_public, plaintext, info, seed=seed)
        assert envelope["algorithm"] == SEAL_ALGORITHM and envelope.keys() == WIRE_KEYS
        # canonical(envelope), written out: the keys in sorted order and base64 values, which
        # JSON never escapes (json.dumps would scan the ~110 KB text for characters to escape).
        return b"".join(
            (
                b'{"algorithm":"',
                SEAL_ALGORITHM.encode(),
                b'","ephemeral":"',
                envelope["ephemeral"].encode("ascii"),
                b'","recipient":"',
                envelope["recipient"].encode("ascii"),
                b'","sealed":"',
                envelope["sealed"].encode("ascii"),
                b'"}',
            )
        )

    def open(self, recipient_private: bytes, info: str) -> bytes:
        try:
            return crypto.open_with_private_key(recipient_private, self.to_wire(), info)
        except crypto.SealError as exc:
            raise ProtocolError(
                "unreadable_payload", "The payload cannot be opened with this key."
            ) from exc

    def to_wire(self) -> dict[str, str]:
        return dict(self._wire)

    @functools.cached_property
    def _wire(self) -> dict[str, str]:
        # Encoded once per payload (a change's body is read for signing, keeping, sending).
        return {
            "algorithm": SEAL_ALGORITHM,
            "recipient": b64(self.recipient),
            "ephemeral": b64(self.ephemeral),
            "sealed": b64(self.sealed),
        }

    @classmethod
    def from_wire(cls, value: object) -> SealedPayload:
        obj = as_object(value, "sealed payload")
        exact_keys(obj, "sealed payload", WIRE_KEYS)
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
