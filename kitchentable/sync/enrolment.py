"""Enrolment: a laptop becomes a device of the office with a one-time code.

Owns the conversation with the office at enrolment: reading the server's certificate
fingerprint on first contact (or checking the one the office printed), fresh device key
pairs, the request that proves knowledge of the code without sending it, and the checks on
the answer (made with the same code, over the same certificate, a seal certificate for our
own key). Returns what was learnt; storing it (with the seal certificate and the office
address) is the caller's one transaction. Never touches the database, never imports Qt.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PublicKeyTypes,
)

from kitchentable.sync.errors import (
    EnrolmentRefused,
    Offline,
    ServerAnswerUnreadable,
    ServerNotTrusted,
    ServerRefused,
)
from kitchentable.sync.model import Enrolment
from kitchentable.sync.pinning import fetch_fingerprint, normalise_fingerprint
from kitchentable.sync.protocol import DeviceKeys, EnrolRequest, EnrolResponse, code_key
from kitchentable.sync.transport import Transport, normalise_server, reason
from kitchentable.sync.wire import ProtocolError

CERT_END = "-----END CERTIFICATE-----"


@dataclass(frozen=True)
class Enrolled:
    """What enrolment brought: the device's enrolment, and (when the office runs a CA) the
    certificate issued for the seal key with its chain, to seal plans with from now on."""

    enrolment: Enrolment
    certificate: bytes | None = None
    chain: tuple[bytes, ...] = ()


async def check_fingerprint(server: str, fingerprint: str | None) -> str | None:
    """The fingerprint to pin: as the office printed it (normalised), or read from the
    server on first contact when none was given (https only)."""
    if fingerprint:
        try:
            return normalise_fingerprint(fingerprint)
        except ValueError as exc:
            raise EnrolmentRefused(
                message="the fingerprint is not a SHA-256 (64 hexadecimal characters)."
            ) from exc
    if not server.startswith("https://"):
        return None
    parts = urlsplit(server)
    try:
        return await asyncio.to_thread(
            fetch_fingerprint, parts.hostname or "", parts.port or 443, 8.0
        )
    except OSError as exc:
        raise Offline(reason=reason(exc)) from exc


async def enrol(
    server: str,
    code: str,
    label: str,
    fingerprint: str | None,
    seal_public_pem: str,
    *,
    inner: httpx.AsyncBaseTransport | None = None,
) -> Enrolled:
    """Enrol at the office at `server`; network only, nothing stored."""
    server = normalise_server(server)
    fingerprint = await check_fingerprint(server, fingerprint)
    keys = DeviceKeys.generate()
    request = EnrolRequest.create(
        code,
        label[:80] or "laptop",
        keys,
        seal_public=seal_public_pem,
        tls_fingerprint=fingerprint if server.startswith("https://") else None,
    )
    async with Transport(server, fingerprint, inner=inner).open() as net:
        try:
            body = await net.json("POST", "/api/v1/enrol", json=request.to_wire())
        except ServerRefused as exc:
            raise EnrolmentRefused(message=exc.params["message"]) from exc
    try:
        answer = EnrolResponse.from_wire(body)
    except ProtocolError as exc:
        raise ServerAnswerUnreadable(reason=exc.message) from exc
    if not answer.proves(code_key(code), request):
        raise ServerNotTrusted(
            reason="its answer was not made with your enrolment code, so the keys in it "
            "may not be the office's"
        )
    if answer.tls_fingerprint and fingerprint and answer.tls_fingerprint != fingerprint:
        raise EnrolmentRefused(
            message="the server's certificate differs from the one it reports; "
            "someone may be listening in. Nothing was stored."
        )
    enrolment = Enrolment(
        server,
        fingerprint,
        answer.device_id,
        answer.token,
        answer.consultant,
        answer.office_box_public,
        answer.office_sign_public,
        keys,
    )
    if not answer.certificate:
        return Enrolled(enrolment)
    issued, *chain = split_pem(answer.certificate)
    if public_pem_of_cert(issued) != seal_public_pem:
        raise ServerAnswerUnreadable(reason="the certificate is for another key")
    return Enrolled(enrolment, issued, tuple(chain))


def public_pem_of_key(key_pem: bytes) -> str:
    """The SubjectPublicKeyInfo PEM of a private key (the seal key the office certifies)."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    return _spki(key.public_key())


def public_pem_of_cert(cert_pem: bytes) -> str:
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise ServerAnswerUnreadable(reason="the device certificate cannot be read") from exc
    return _spki(cert.public_key())


def _spki(key: PublicKeyTypes | CertificatePublicKeyTypes) -> str:
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def split_pem(text: str) -> list[bytes]:
    parts = [p.strip() + "\n" + CERT_END + "\n" for p in text.split(CERT_END) if p.strip()]
    if not parts:
        raise ServerAnswerUnreadable(reason="the device certificate is empty")
    try:
        return [p.encode("ascii") for p in parts]
    except UnicodeEncodeError as exc:  # PEM is ASCII: this is no certificate
        raise ServerAnswerUnreadable(reason="the device certificate cannot be read") from exc
