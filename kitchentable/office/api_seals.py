"""Seal certificates after enrolment: renewing a laptop's certificate and the revocation
list (additions to protocol version 1).

Owns `POST /api/v1/certificate` — a laptop asks for a new certificate for its seal key
before the old one runs out (device certificates last a year): the request must carry the
device's signature (a stolen bearer token alone gets no certificate), and the key must be
the one the office certified before (a new key needs a new enrolment); a certificate from
this CA that still has RENEW_AFTER to run is answered again instead of a new one — and the
revocation list a laptop asks for when it pulls (`office.crl`, made by the online CA for
the devices the office revoked). An office without an online CA answers 404 to the first
and sends no list. Never holds the root key; never logs a key or a certificate.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kitchentable.office.api_base import Clock, Requests, ServerIdentity
from kitchentable.office.crl import revocation_list
from kitchentable.office.errors import OfficeError
from kitchentable.office.pki import issue_device_certificate
from kitchentable.office.store import Device, Store, Visit
from kitchentable.storage.crypto import issued_by, unb64
from kitchentable.sync.protocol import CertificateAnswer, CertificateRequest, RevocationList
from kitchentable.sync.wire import ProtocolError

log = logging.getLogger(__name__)

# A certificate of this CA with longer than this to run is sent again, not replaced: a
# laptop asks a month before the end; asking again and again grows nothing.
RENEW_AFTER = timedelta(days=60)


def _spki(pem: bytes) -> bytes:
    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise OfficeError("bad_seal_key", "The seal key is not a PEM public key.", 400) from exc
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


class SealsApi:
    def __init__(
        self, requests: Requests, store: Store, clock: Clock, identity: ServerIdentity
    ) -> None:
        self.requests = requests
        self.store = store
        self.clock = clock
        self.identity = identity

    def _chain(self) -> list[bytes]:
        assert self.identity.ca is not None
        return [
            c.public_bytes(Encoding.PEM)
            for c in (self.identity.ca.certificate, *self.identity.chain)
        ]

    async def certificate(self, request: Request) -> Response:
        device = await self.requests.authenticate(request)
        body = await self.requests.json(request)
        try:
            asked = CertificateRequest.from_wire(body)
            if asked.device_id != device.id:
                raise OfficeError("wrong_device", "This request names another device.", 403)
            asked.verify(unb64(device.sign_public))
        except ProtocolError as exc:
            raise OfficeError(exc.code, exc.message, 400) from exc
        ca = self.identity.ca
        if ca is None:
            raise OfficeError("no_certificates", "This office does not certify seal keys.", 404)
        issued = await run_in_threadpool(self._issue, device, asked.seal_public.encode("ascii"))
        return JSONResponse(
            CertificateAnswer(b"".join([issued, *self._chain()]).decode()).to_wire()
        )

    def _issue(self, device: Device, seal_public: bytes) -> bytes:
        ca = self.identity.ca
        assert ca is not None
        now = self.clock()
        current = self.store.certificate(device.id)
        if current is not None:
            held = x509.load_pem_x509_certificate(current.encode("ascii"))
            if held.public_key().public_bytes(
                Encoding.DER, PublicFormat.SubjectPublicKeyInfo
            ) != _spki(seal_public):
                raise OfficeError(
                    "other_seal_key",
                    "The office certifies again only the seal key it certified before; a "
                    "laptop with a new key must be enrolled again.",
                    403,
                )
            # Names are alike after `ca issue`: the signature tells which CA issued it.
            if issued_by(held, ca.certificate) and held.not_valid_after_utc - now > RENEW_AFTER:
                return current.encode("ascii")
        issued = issue_device_certificate(
            ca.key, ca.certificate, device.id, device.consultant, seal_public
        )
        self.store.certificate_issued(device.id, issued.decode("ascii"), now)
        self.store.seen(Visit(device.id, "certificate", {"renewed": current is not None}), now)
        log.info("seal certificate issued for device %s", device.id)
        return issued

    def revocations(self) -> RevocationList | None:
        """The current revocation list, or None when this office has no online CA."""
        ca = self.identity.ca
        if ca is None:
            return None
        der = revocation_list(ca, self.store.revoked_certificates(), self.clock())
        return RevocationList(der, ca.certificate.public_bytes(Encoding.PEM).decode("ascii"))
