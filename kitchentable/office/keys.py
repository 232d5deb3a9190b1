"""The office's own key pairs, kept in `office-keys.json` in the data folder.

Owns creating the pairs (X25519 to receive sealed payloads, Ed25519 to sign what the office
sends), encrypting the private halves under a key derived from the office passphrase
(Argon2id, as the laptop vault does) and reading them back. The server process needs only
the public halves (`load_public`); the private halves, and the root CA key's password
derived from the same passphrase, are opened only by the administrator's commands that
must read or sign (`export`, `assign`, `form`, `catalogue`, `policy`, `ca issue`). Never
writes a private key in the clear.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from kitchentable.office.errors import WrongOfficePassphrase
from kitchentable.storage import crypto
from kitchentable.storage.crypto import kdf_for_environment
from kitchentable.sync.protocol import ed25519_keypair

__all__ = [
    "OfficePrivateKeys",
    "OfficePublicKeys",
    "WrongOfficePassphrase",
    "create",
    "load_public",
    "unlock",
]

KEYS_NAME = "office-keys.json"
# Associated data binds each sealed private key to its role: swapping the two sealed
# values in the file makes both fail to open instead of silently exchanging keys.
AD_BOX = b"kitchentable-office/x25519-private/v1"
AD_SIGN = b"kitchentable-office/ed25519-private/v1"


@dataclass(frozen=True)
class OfficePublicKeys:
    box_public: bytes
    sign_public: bytes


@dataclass(frozen=True)
class OfficePrivateKeys:
    box_private: bytes
    sign_private: bytes
    # Opens the CA's key file (derived from the same passphrase key, never stored).
    ca_password: bytes = b""


def create(data_dir: Path, passphrase: str) -> OfficePublicKeys:
    box_private, box_public = crypto.x25519_keypair()
    sign_private, sign_public = ed25519_keypair()
    kdf = kdf_for_environment()
    key = crypto.derive_passphrase_key(passphrase, kdf)
    document = {
        "v": 1,
        "box_public": crypto.b64(box_public),
        "sign_public": crypto.b64(sign_public),
        "kdf": kdf.to_dict(),
        "box_private": crypto.b64(crypto.seal(key, box_private, AD_BOX)),
        "sign_private": crypto.b64(crypto.seal(key, sign_private, AD_SIGN)),
    }
    path = data_dir / KEYS_NAME
    # Owner-only from the first byte: O_EXCL also refuses to overwrite existing keys.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    return OfficePublicKeys(box_public, sign_public)


def _read(data_dir: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads((data_dir / KEYS_NAME).read_text(encoding="utf-8"))
    return document


def load_public(data_dir: Path) -> OfficePublicKeys:
    document = _read(data_dir)
    return OfficePublicKeys(
        crypto.unb64(str(document["box_public"])), crypto.unb64(str(document["sign_public"]))
    )


def unlock(data_dir: Path, passphrase: str) -> OfficePrivateKeys:
    document = _read(data_dir)
    kdf_data = document["kdf"]
    if not isinstance(kdf_data, dict):
        raise WrongOfficePassphrase
    key = crypto.derive_passphrase_key(passphrase, crypto.KdfParams.from_dict(kdf_data))
    try:
        return OfficePrivateKeys(
            crypto.unseal(key, crypto.unb64(str(document["box_private"])), AD_BOX),
            crypto.unseal(key, crypto.unb64(str(document["sign_private"])), AD_SIGN),
            crypto.hkdf(key, "kitchentable-office/ca-key-password/v1"),
        )
    except crypto.SealError as exc:
        raise WrongOfficePassphrase from exc
