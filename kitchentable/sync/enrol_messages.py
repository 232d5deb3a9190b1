"""Enrolment messages: a device proves it knows the one-time code, the office proves its
answer came from whoever issued the code.

Owns the request (the device's public keys, signed by its new key, with an HMAC proof under
a key derived from the code; the code itself never travels) and the answer (device id,
token, office keys, the certificate for the device's seal key, proven under the same code).
Strict readers; never does I/O, never imports Qt.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from typing import Any

from kitchentable.storage import crypto
from kitchentable.sync.envelope import (
    KEY_BYTES,
    PROTOCOL_VERSION,
    SHA256_HEX,
    SIGNATURE_BYTES,
    TAG_ENROL,
    TAG_ENROL_ANSWER,
    TAG_ENROL_PROOF,
    DeviceKeys,
    check_version,
    sign,
    verify,
)
from kitchentable.sync.wire import (
    as_object,
    b64,
    canonical,
    exact_keys,
    get_bytes,
    get_optional_str,
    get_str,
    get_uuid,
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
        check_version(obj, what)
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
        check_version(obj, what)
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
