"""Cryptographic building blocks of the vault; every primitive comes from `cryptography`.

Owns: passphrase key derivation (Argon2id), record sealing (AES-256-GCM with associated
data), the blind index (HMAC-SHA256 under an HKDF-derived key), wrapping a key to an
X25519 public key, and whether one certificate signed another (for the laptop and the
office alike). Never stores anything and never sees a database: storage.keys and
storage.database decide what is kept where. Never invent a cipher here.
"""

from __future__ import annotations

import hmac
import os
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass

import pybase64
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kitchentable.errors import WeakPassphrase

KEY_BYTES = 32  # AES-256 and HMAC-SHA256 keys
NONCE_BYTES = 12  # the GCM standard nonce; random nonces are safe far beyond 2^32 seals per key
SEAL_FORMAT = b"\x01"  # first byte of every sealed value, so the format can evolve


class SealError(Exception):
    """A sealed value failed authentication (changed, moved to another row, or damaged)."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored beside the wrapped key so they can change per profile.

    Default: t=3, 160 MiB, 4 lanes ≈ 0.5 s on the project's 2-core machines (measured
    2026-11-22: 0.40 s at 128 MiB, 0.59 s at 192 MiB). Memory-hard so that a stolen laptop's
    vault cannot be brute-forced on GPUs cheaply; 0.5 s is what a consultant accepts at unlock.
    """

    salt: str  # base64
    iterations: int = 3
    memory_kib: int = 160 * 1024
    lanes: int = 4
    algorithm: str = "argon2id"

    @classmethod
    def new(cls, *, iterations: int = 3, memory_kib: int = 160 * 1024, lanes: int = 4) -> KdfParams:
        return cls(
            salt=b64(os.urandom(16)), iterations=iterations, memory_kib=memory_kib, lanes=lanes
        )

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> KdfParams:
        return cls(
            salt=str(data["salt"]),
            iterations=int(str(data["iterations"])),
            memory_kib=int(str(data["memory_kib"])),
            lanes=int(str(data["lanes"])),
            algorithm=str(data.get("algorithm", "argon2id")),
        )


MIN_PASSPHRASE = 10  # characters, after NFC and trimming; Argon2id's cost does the rest


def check_passphrase_strength(passphrase: str) -> None:
    """The one passphrase rule, for laptop vaults and the office key file alike."""
    if len(unicodedata.normalize("NFC", passphrase).strip()) < MIN_PASSPHRASE:
        raise WeakPassphrase(minimum=MIN_PASSPHRASE)


def kdf_for_environment() -> KdfParams:
    """Production cost unless KITCHENTABLE_KDF_COST=low (automated tests only).

    The parameters are stored with every vault and shown in the diagnostics, so a vault
    created with the low cost is visible as such.
    """
    if os.environ.get("KITCHENTABLE_KDF_COST") == "low":
        return KdfParams.new(iterations=1, memory_kib=8 * 1024, lanes=1)
    return KdfParams.new()


# pybase64: the standard alphabet with padding, byte for byte the stdlib's, strict as
# `validate=True` there; SIMD makes a sealed 100 KB file a microsecond, not a tenth of a
# millisecond (a first sync encodes a thousand of them).
def b64(data: bytes) -> str:
    return pybase64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return pybase64.b64decode(text.encode("ascii"), validate=True)


def derive_passphrase_key(passphrase: str, params: KdfParams) -> bytes:
    if params.algorithm != "argon2id":
        raise ValueError(f"unsupported KDF {params.algorithm}")
    # NFC so that "ë" typed as one code point or as e + diaeresis unlocks the same vault.
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kdf = Argon2id(
        salt=unb64(params.salt),
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(secret)


def hkdf(key: bytes, info: str, length: int = KEY_BYTES) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info.encode()).derive(key)


def seal(key: bytes, plaintext: bytes, associated_data: bytes, nonce: bytes | None = None) -> bytes:
    """AES-256-GCM with a random 96-bit nonce: format byte + nonce + ciphertext-and-tag.
    (`nonce` only from `seal_to_public_key`'s seed: never pass one otherwise.)"""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    return SEAL_FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data)


def unseal(key: bytes, sealed: bytes, associated_data: bytes) -> bytes:
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != SEAL_FORMAT:
        raise SealError("not a sealed value")
    nonce = sealed[1 : 1 + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, sealed[1 + NONCE_BYTES :], associated_data)
    except InvalidTag as exc:
        raise SealError("authentication failed") from exc


def blind_index(key: bytes, value: str) -> str:
    """HMAC-SHA256 of an already normalised value; hex so it indexes well in SQLite."""
    return hmac.digest(key, value.encode("utf-8"), "sha256").hex()


def blind_indexes(key: bytes, prefix: str) -> Callable[[str], str]:
    """`blind_index(key, prefix + value)` for many values: the HMAC over the common prefix
    is made once and copied for each (tens of thousands of answers at a first sync)."""
    start = hmac.new(key, prefix.encode("utf-8"), "sha256")

    def of(value: str) -> str:
        mac = start.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()

    return of


# --- wrapping a key to an X25519 public key (office recovery, sync sealing) ---------------
# ECIES shape: fresh ephemeral X25519 key, HKDF-SHA256 over the shared secret bound to both
# public keys, AES-256-GCM. The recipient alone (office private key) can unwrap.


def x25519_keypair() -> tuple[bytes, bytes]:
    """A new (private, public) pair as raw 32-byte values."""
    private = X25519PrivateKey.generate()
    return raw_private(private), raw_public(private.public_key())


def raw_private(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _wrap_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes, info: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=ephemeral_public + recipient_public,
        info=info.encode(),
    ).derive(shared)


SEED_BYTES = 32


def seal_to_public_key(
    recipient_public: bytes, plaintext: bytes, info: str, *, seed: bytes | None = None
) -> dict[str, str]:
    """Seal to an X25519 public key. With `seed` (SEED_BYTES random bytes the caller keeps
    secret, as secret as the plaintext), the ephemeral key and the nonce are derived from
    the seed and `info`, so sealing the same plaintext under the same info again gives the
    same bytes: a kept change's file is sealed again for a retry instead of kept twice.
    `info` must name the plaintext (its SHA-256), so one seed never seals two plaintexts
    under one key and nonce."""
    nonce = None
    if seed is None:
        ephemeral = X25519PrivateKey.generate()
    else:
        if len(seed) != SEED_BYTES:
            raise ValueError("a sealing seed is 32 bytes")
        derived = hkdf(seed, f"kitchentable/seal-seed/v1:{info}", KEY_BYTES + NONCE_BYTES)
        ephemeral = X25519PrivateKey.from_private_bytes(derived[:KEY_BYTES])
        nonce = derived[KEY_BYTES:]
    ephemeral_public = raw_public(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    key = _wrap_key(shared, ephemeral_public, recipient_public, info)
    return {
        "algorithm": "x25519-hkdf-sha256-aes256gcm",
        "recipient": b64(recipient_public),
        "ephemeral": b64(ephemeral_public),
        "sealed": b64(seal(key, plaintext, info.encode(), nonce)),
    }


def open_with_private_key(recipient_private: bytes, envelope: dict[str, str], info: str) -> bytes:
    private = X25519PrivateKey.from_private_bytes(recipient_private)
    recipient_public = raw_public(private.public_key())
    if unb64(envelope["recipient"]) != recipient_public:
        raise SealError("sealed to another key")
    ephemeral_public = unb64(envelope["ephemeral"])
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    key = _wrap_key(shared, ephemeral_public, recipient_public, info)
    return unseal(key, unb64(envelope["sealed"]), info.encode())


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `certificate` (its name and signature; not its validity
    dates). CA names repeat after the office renews its online CA: only the signature tells
    the two apart."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
