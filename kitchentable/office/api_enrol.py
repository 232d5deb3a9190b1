"""Enrolment: a laptop with a one-time code becomes a device of the office.

Owns checking an enrolment request (the device's signature, a proof of the code bound to
the TLS certificate the laptop saw: the server's own, or the one its TLS-terminating proxy
presents), redeeming the code once, certifying the laptop's seal key with the online CA,
and the answer proven under the code's key with the chain up to the office root. Failed
attempts are counted per client: after `Limits.enrolments_per_client` of them in the
window, that client is refused (429) for the rest of it. Never logs a code or a token.
"""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_public_key
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kitchentable.office.api_base import Clock, Requests, ServerIdentity
from kitchentable.office.errors import CODE_MESSAGES, OfficeError
from kitchentable.office.keys import OfficePublicKeys
from kitchentable.office.limits import Limits, Window, client_of
from kitchentable.office.pki import issue_device_certificate
from kitchentable.office.store import Store, Visit
from kitchentable.sync.protocol import EnrolRequest, EnrolResponse
from kitchentable.sync.wire import ProtocolError

log = logging.getLogger(__name__)


class EnrolApi:
    def __init__(
        self,
        requests: Requests,
        store: Store,
        office: OfficePublicKeys,
        clock: Clock,
        identity: ServerIdentity,
        limits: Limits,
    ) -> None:
        self.requests = requests
        self.store = store
        self.office = office
        self.clock = clock
        self.identity = identity
        self.failures = Window(limits.enrolments_per_client, limits.enrolment_window)

    async def enrol(self, request: Request) -> Response:
        client = client_of(request.scope)
        if self.failures.full(client):
            raise OfficeError(
                "too_many_attempts",
                "Too many enrolment attempts from this computer; try again in an hour.",
                429,
            )
        try:
            return await self._enrol(request)
        except OfficeError as exc:
            if exc.status in (400, 403):
                self.failures.add(client)
            raise

    async def _enrol(self, request: Request) -> Response:
        try:
            enrol = EnrolRequest.from_wire(await self.requests.json(request))
            if enrol.seal_public is not None:
                _check_seal_key(enrol.seal_public)
        except ProtocolError as exc:
            raise OfficeError(exc.code, exc.message, 400) from exc
        key = await run_in_threadpool(self.store.code_key, enrol.code_id)
        if key is None:
            raise OfficeError("code_unknown", CODE_MESSAGES["code_unknown"], 403)
        if not enrol.proves(key):
            raise OfficeError(
                "code_unknown", "This enrolment request was not made with this code.", 403
            )
        seen, ours = enrol.tls_fingerprint, self.identity.tls_fingerprint
        if ours is not None and seen != ours:
            # The laptop saw another certificate than this server's: someone in between.
            log.warning("enrolment over a certificate that is not ours refused")
            raise OfficeError(
                "certificate_mismatch",
                "The laptop reached the office through another certificate than the "
                "office's own; someone may be listening in. Nothing was changed.",
                403,
            )
        device, token = await run_in_threadpool(
            self.store.redeem_code,
            enrol.code_id,
            enrol.label,
            enrol.sign_public,
            enrol.box_public,
            self.clock(),
        )
        log.info("device %s enrolled", device.id)
        certificate = None
        ca = self.identity.ca
        if ca is not None and enrol.seal_public is not None:
            issued = issue_device_certificate(
                ca.key, ca.certificate, device.id, device.consultant, enrol.seal_public.encode()
            )
            await run_in_threadpool(
                self.store.certificate_issued, device.id, issued.decode(), self.clock()
            )
            # The device's certificate, then its issuer and every certificate up to the
            # root: the laptop embeds the chain in each seal and trusts the root.
            above = [c.public_bytes(Encoding.PEM) for c in (ca.certificate, *self.identity.chain)]
            certificate = b"".join([issued, *above]).decode()
        visit = Visit(device.id, "enrol", {"certificate": certificate is not None})
        await run_in_threadpool(self.store.seen, visit, self.clock())
        answer = EnrolResponse(
            device.id,
            token,
            device.consultant,
            self.office.box_public,
            self.office.sign_public,
            self.identity.tls_fingerprint,
            certificate,
        ).prove(key, enrol)
        return JSONResponse(answer.to_wire())


def _check_seal_key(pem: str) -> None:
    try:
        key = load_pem_public_key(pem.encode())
    except Exception as exc:  # ValueError, TypeError, UnsupportedAlgorithm: all "not a key"
        raise ProtocolError("bad_seal_key", "The seal key is not a PEM public key.") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ProtocolError("bad_seal_key", "The seal key must be an EC P-256 public key.")
