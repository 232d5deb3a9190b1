"""Seal certificates and their revocation on the wire: renewing a laptop's certificate, and
the office's revocation list in the pull answer.

Owns the renewal request (the laptop's seal public key, signed with its device key, so a
stolen bearer token alone cannot have a key certified in the consultant's name), its answer
(the new certificate and the chain up to the office root), and the revocation list a laptop
asks for when it pulls (an X.509 CRL in DER, signed by the office's issuing CA, with that
CA's certificate so a laptop that has not met this CA yet can check it against the root).
Strict readers; never does I/O, never imports Qt; certificates are checked by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from kitchentable.sync.envelope import (
    PROTOCOL_VERSION,
    SIGNATURE_BYTES,
    check_version,
    sign,
    verify,
)
from kitchentable.sync.wire import (
    as_object,
    b64,
    exact_keys,
    fail,
    get_bytes,
    get_str,
    get_uuid,
)

TAG_CERTIFICATE = b"kitchentable/certificate/v1\n"
MAX_PEM = 2000  # one public key or one certificate in PEM
MAX_CHAIN_PEM = 16000  # a certificate and its chain up to the root
MAX_CRL_BYTES = 1024 * 1024  # ~30,000 revoked certificates


@dataclass(frozen=True)
class CertificateRequest:
    """A laptop asks the office's issuing CA to certify its seal key again (renewal)."""

    device_id: str
    seal_public: str
    signature: bytes = b""

    @classmethod
    def create(cls, device_id: str, seal_public: str, sign_private: bytes) -> CertificateRequest:
        unsigned = cls(device_id, seal_public)
        return replace(unsigned, signature=sign(sign_private, TAG_CERTIFICATE, unsigned.body()))

    def body(self) -> dict[str, Any]:
        return {"v": PROTOCOL_VERSION, "device_id": self.device_id, "seal_public": self.seal_public}

    def to_wire(self) -> dict[str, Any]:
        return {**self.body(), "signature": b64(self.signature)}

    def verify(self, device_sign_public: bytes) -> None:
        verify(device_sign_public, TAG_CERTIFICATE, self.body(), self.signature)

    @classmethod
    def from_wire(cls, value: object) -> CertificateRequest:
        what = "certificate request"
        obj = as_object(value, what)
        exact_keys(obj, what, {"v", "device_id", "seal_public", "signature"})
        check_version(obj, what)
        return cls(
            device_id=get_uuid(obj, "device_id", what),
            seal_public=get_str(obj, "seal_public", what, max_len=MAX_PEM),
            signature=get_bytes(obj, "signature", what, size=SIGNATURE_BYTES),
        )


@dataclass(frozen=True)
class CertificateAnswer:
    """The new certificate for the seal key, then every certificate up to the root (PEM)."""

    certificate: str

    def to_wire(self) -> dict[str, Any]:
        return {"v": PROTOCOL_VERSION, "certificate": self.certificate}

    @classmethod
    def from_wire(cls, value: object) -> CertificateAnswer:
        obj = as_object(value, "certificate answer")
        exact_keys(obj, "certificate answer", {"v", "certificate"})
        check_version(obj, "certificate answer")
        return cls(get_str(obj, "certificate", "certificate answer", max_len=MAX_CHAIN_PEM))


@dataclass(frozen=True)
class RevocationList:
    """The office's revocation list (X.509 CRL, DER) and the certificate of the CA that
    signed it (PEM). Only sent to a laptop that asks for it (`crl=1`): an older laptop's
    strict reader would refuse the field."""

    der: bytes
    issuer: str

    def to_wire(self) -> dict[str, Any]:
        return {"der": b64(self.der), "issuer": self.issuer}

    @classmethod
    def from_wire(cls, value: object) -> RevocationList:
        what = "revocation list"
        obj = as_object(value, what)
        exact_keys(obj, what, {"der", "issuer"})
        der = get_bytes(obj, "der", what, max_size=MAX_CRL_BYTES)
        if not der:
            fail("The revocation list is empty.")
        return cls(der, get_str(obj, "issuer", what, max_len=MAX_PEM * 2))
