"""The office's own time-stamping service: a laptop's sealed plan, time-stamped by the office,
shows the office's time and verifies against the office root alone (PAdES B-T); the service
answers only enrolled devices and only well-formed requests."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import algos, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from officekit import Clock, Laptop
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext
from reportlab.pdfgen import canvas
from starlette.testclient import TestClient

from kitchentable.office import keys, pki
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.office.store import Store
from kitchentable.office.tsa import POLICY
from kitchentable.render.seal import SealIdentity, seal_pdf
from kitchentable.sync.protocol import DeviceKeys, EnrolRequest, EnrolResponse

SECRET = b"a serve secret of at least thirty-two characters"


@dataclass
class Office:
    client: TestClient
    store: Store
    clock: Clock
    root: pki.OfficeCA
    online: pki.OfficeCA
    tsa: pki.OfficeCA

    def laptop(self) -> tuple[Laptop, ec.EllipticCurvePrivateKey]:
        seal = ec.generate_private_key(ec.SECP256R1())
        public = seal.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        device = DeviceKeys.generate()
        code = self.store.create_code("anna", self.clock())
        request = EnrolRequest.create(code, "laptop", device, seal_public=public.decode())
        answer = self.client.post("/api/v1/enrol", json=request.to_wire())
        assert answer.status_code == 200, answer.text
        return Laptop(device, EnrolResponse.from_wire(answer.json())), seal


@pytest.fixture
def office(office_data: Path, store: Store) -> Iterator[Office]:
    public = keys.create(office_data, "office horse battery staple")
    root = pki.create_ca(office_data, bytes(range(32)), "Gemeente Testdam")
    online = pki.create_online_ca(office_data, root, SECRET)
    tsa = pki.create_tsa(office_data, root, SECRET)
    identity = ServerIdentity(ca=online, chain=(root.certificate,), tsa=tsa)
    clock = Clock()
    with TestClient(create_app(store, public, clock=clock, identity=identity)) as client:
        yield Office(client, store, clock, root, online, tsa)


class OfficeTimeStamper(TimeStamper):
    """What a laptop would do: ask the office's service, with its device token."""

    def __init__(self, client: TestClient, auth: dict[str, str]) -> None:
        super().__init__()
        self.client = client
        self.auth = auth

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        headers = {**self.auth, "Content-Type": "application/timestamp-query"}
        answer = await asyncio.to_thread(
            self.client.post, "/api/v1/timestamp", content=req.dump(), headers=headers
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/timestamp-reply"
        return tsp.TimeStampResp.load(answer.content)


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _sealed_plan(laptop: Laptop, seal: ec.EllipticCurvePrivateKey) -> bytes:
    assert laptop.enrolment.certificate is not None
    device, *chain = x509.load_pem_x509_certificates(laptop.enrolment.certificate.encode())
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Ondersteuningsplan")
    page.save()
    key_pem = seal.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    identity = SealIdentity(
        key_pem,
        device.public_bytes(serialization.Encoding.PEM),
        tuple(c.public_bytes(serialization.Encoding.PEM) for c in chain),
    )
    return seal_pdf(buffer.getvalue(), identity, reason="test", location="Testdam", name="Anna")


def test_a_plan_time_stamped_by_the_office_shows_the_office_time_and_verifies_on_the_root(
    office: Office,
) -> None:
    laptop, seal = office.laptop()
    sealed = _sealed_plan(laptop, seal)
    # The laptop's clock may say anything; the office's says 2 March 2026, 09:00 UTC.
    office.clock.now = datetime(2026, 3, 2, 9, 0, 17, 123456, tzinfo=UTC)
    trust = ValidationContext(trust_roots=[_asn1(office.root.certificate)], allow_fetching=False)
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    stamped = signers.PdfTimeStamper(OfficeTimeStamper(office.client, laptop.auth)).timestamp_pdf(
        writer, "sha256", validation_context=trust, in_place=False
    )
    reader = PdfFileReader(stamped)
    seal_status = validate_pdf_signature(reader.embedded_signatures[0], trust)
    assert seal_status.intact and seal_status.valid and seal_status.trusted
    (timestamp,) = reader.embedded_timestamp_signatures
    status = validate_pdf_timestamp(timestamp, validation_context=trust)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp == datetime(2026, 3, 2, 9, 0, 17, tzinfo=UTC)
    token = timestamp.signed_data["encap_content_info"]["content"].parsed
    assert token["policy"].dotted == POLICY
    assert token["tsa"].chosen.native["common_name"] == "Kitchentable office time-stamping"


def test_the_time_stamping_certificate_is_the_online_cas_sibling_for_time_stamps_only(
    office: Office, office_data: Path
) -> None:
    certificate = office.tsa.certificate
    certificate.verify_directly_issued_by(office.root.certificate)
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert (office_data / pki.TSA_KEY).read_bytes().startswith(b"-----BEGIN ENCRYPTED")
    assert pki.load_tsa(office_data, SECRET).certificate == certificate
    with pytest.raises(pki.ServeSecretRefused):
        pki.load_tsa(office_data, SECRET + b"!")


def _request(digest: bytes, algorithm: str = "sha256", **extra: object) -> bytes:
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
                "hashed_message": digest,
            },
            "cert_req": True,
            **extra,
        }
    ).dump()


def test_the_service_answers_only_enrolled_devices_and_well_formed_requests(
    office: Office,
) -> None:
    laptop, _ = office.laptop()
    good = _request(hashlib.sha256(b"plan").digest(), nonce=424242)
    assert office.client.post("/api/v1/timestamp", content=good).status_code == 401
    answer = office.client.post("/api/v1/timestamp", content=good, headers=laptop.auth)
    token = tsp.TimeStampResp.load(answer.content)["time_stamp_token"]
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["nonce"].native == 424242
    assert info["message_imprint"]["hashed_message"].native == hashlib.sha256(b"plan").digest()
    refused = [
        b"",
        b"\x30\x03\x02\x01\x01",
        b"not der at all",
        _request(hashlib.md5(b"plan").digest(), "md5"),
        _request(b"short"),
        _request(hashlib.sha256(b"plan").digest(), req_policy="1.2.3.4"),
        b"\x30" + b"\x82\xff\xff" + b"\x00" * 5000,
    ]
    for body in refused:
        answer = office.client.post("/api/v1/timestamp", content=body, headers=laptop.auth)
        assert answer.status_code in (400, 413), (body[:20], answer.text)
    office.store.revoke(laptop.enrolment.device_id, office.clock())
    answer = office.client.post("/api/v1/timestamp", content=good, headers=laptop.auth)
    assert answer.status_code == 403 and answer.json()["wipe"] is True
