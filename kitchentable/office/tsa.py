"""The office's own time-stamping service (RFC 3161), for enrolled laptops.

Owns answering a time-stamp request: a hash (SHA-256, -384 or -512, of the right length)
and optionally a nonce come in; a TSTInfo with the office's clock, a random serial number,
the office's policy and the request's nonce goes out, signed (CMS, with the signing
certificate named, as RFC 3161 and ETSI EN 319 422 ask) by the time-stamping key, the online
CA's sibling under the root. A laptop puts the token in its sealed plan (a document
time-stamp), which takes the plan to PAdES B-T: the seal is then shown as existing at the
office's time, whatever the laptop's clock said. Sees only a hash, never a document; the
signing is pyHanko's. Refuses anything else with an `OfficeError`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from asn1crypto import cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kitchentable.office.certs import OfficeCA
from kitchentable.office.errors import OfficeError

# The office's time-stamping policy: an OID under 2.25 (ITU-T X.667, a UUID as an OID), one
# made for Kitchentable, so no registration is needed. The policy is this module's text.
POLICY = "2.25.158151462342452718466906735214823632391"
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
MAX_REQUEST = 4096  # bytes: a request holds a hash, a nonce and a few flags


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    der = certificate.public_bytes(serialization.Encoding.DER)
    loaded: asn1_x509.Certificate = asn1_x509.Certificate.load(der)
    return loaded


def refused(message: str) -> OfficeError:
    return OfficeError("bad_timestamp_request", message, 400)


class TimeStampAuthority:
    def __init__(
        self,
        key: OfficeCA,
        above: tuple[x509.Certificate, ...],
        clock: Callable[[], datetime],
    ) -> None:
        self.certificate = _asn1(key.certificate)
        der = key.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._signer = signers.SimpleSigner(
            signing_cert=self.certificate,
            signing_key=asn1_keys.PrivateKeyInfo.load(der),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in above]),
        )
        self.clock = clock

    def _request(self, data: bytes) -> tsp.TimeStampReq:
        if not data or len(data) > MAX_REQUEST:
            raise refused(f"A time-stamp request is 1 to {MAX_REQUEST} bytes.")
        try:
            request: tsp.TimeStampReq = tsp.TimeStampReq.load(data, strict=True)
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            version = request["version"].native
            policy = request["req_policy"].native
            request["nonce"].native  # noqa: B018 - parse it now: a bad one is refused here
        except (ValueError, TypeError, KeyError) as exc:
            raise refused("This is not an RFC 3161 time-stamp request.") from exc
        if version != "v1":
            raise refused("Only version 1 time-stamp requests are answered.")
        if DIGEST_SIZES.get(str(algorithm)) != len(digest or b""):
            raise refused("The hash must be SHA-256, SHA-384 or SHA-512, of its full length.")
        if policy is not None and policy != POLICY:
            raise refused("The office time-stamps only under its own policy.")
        return request

    async def respond(self, data: bytes) -> bytes:
        """The DER TimeStampResp for a DER TimeStampReq."""
        request = self._request(data)
        info = {
            "version": "v1",
            "policy": POLICY,
            "message_imprint": request["message_imprint"],
            "serial_number": secrets.randbits(127),
            "gen_time": self.clock().replace(microsecond=0),
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self.certificate.subject),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"]
        content = cms.EncapsulatedContentInfo(
            {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(tsp.TSTInfo(info).dump()),
            }
        )
        algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
        token = await self._signer.async_sign_general_data(
            content, str(algorithm), detached=False, use_cades=True
        )
        status = tsp.PKIStatusInfo({"status": "granted"})
        answer: bytes = tsp.TimeStampResp({"status": status, "time_stamp_token": token}).dump()
        return answer
