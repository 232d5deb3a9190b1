"""Seal certificates after enrolment: renewal only for the device's own key, asked with its
device key; the revocation list a real X.509 CRL by the online CA, naming every certificate
of a revoked device, and only for laptops that ask."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from officekit import OFFICE_PASSPHRASE, Clock, Laptop, Office
from starlette.testclient import TestClient

from kitchentable.office import keys, pki
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.office.store import Store
from kitchentable.sync.protocol import (
    CertificateAnswer,
    CertificateRequest,
    DeviceKeys,
    EnrolRequest,
    EnrolResponse,
    PullResponse,
)

SECRET = b"a serve secret of at least thirty-two characters"


def public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class Seals:
    def __init__(self, office: Office, online: pki.OfficeCA) -> None:
        self.office = office
        self.online = online

    def enrol(self, consultant: str = "anna") -> tuple[Laptop, ec.EllipticCurvePrivateKey]:
        seal = ec.generate_private_key(ec.SECP256R1())
        device = DeviceKeys.generate()
        code = self.office.store.create_code(consultant, self.office.clock())
        request = EnrolRequest.create(code, "laptop", device, seal_public=public_pem(seal))
        answer = self.office.client.post("/api/v1/enrol", json=request.to_wire())
        assert answer.status_code == 200, answer.text
        return Laptop(device, EnrolResponse.from_wire(answer.json())), seal

    def renew(
        self, laptop: Laptop, seal: ec.EllipticCurvePrivateKey, signer: bytes | None = None
    ) -> tuple[int, dict[str, object]]:
        request = CertificateRequest.create(
            laptop.enrolment.device_id, public_pem(seal), signer or laptop.keys.sign_private
        )
        answer = self.office.client.post(
            "/api/v1/certificate", json=request.to_wire(), headers=laptop.auth
        )
        return answer.status_code, answer.json()

    def crl(self, laptop: Laptop) -> x509.CertificateRevocationList:
        answer = self.office.client.get(
            "/api/v1/pull", params={"cursor": "0", "crl": "1"}, headers=laptop.auth
        )
        offered = PullResponse.from_wire(answer.json()).crl
        assert offered is not None
        return x509.load_der_x509_crl(offered.der)


@pytest.fixture
def seals(office_data: Path, store: Store) -> Iterator[Seals]:
    public = keys.create(office_data, OFFICE_PASSPHRASE)
    root = pki.create_ca(office_data, bytes(range(32)), "Gemeente Testdam")
    online = pki.create_online_ca(office_data, root, SECRET)
    clock = Clock()
    clock.now = pki.certs.now()  # certificates are issued by the real clock
    identity = ServerIdentity(ca=online, chain=(root.certificate,))
    with TestClient(create_app(store, public, clock=clock, identity=identity)) as client:
        yield Seals(Office(office_data, store, client, clock), online)


def test_a_certificate_is_renewed_only_for_the_same_key_and_with_the_device_key(
    seals: Seals,
) -> None:
    laptop, seal = seals.enrol()
    other, _ = seals.enrol("bram")
    first = seals.office.store.certificate(laptop.enrolment.device_id)
    assert first is not None
    # Early: the office answers the certificate it has (nothing grows).
    status, body = seals.renew(laptop, seal)
    assert status == 200
    assert CertificateAnswer.from_wire(body).certificate.startswith(first)
    # A month before the end: a new certificate for the same key, with the chain.
    seals.office.clock.advance(days=340)
    status, body = seals.renew(laptop, seal)
    issued = x509.load_pem_x509_certificates(CertificateAnswer.from_wire(body).certificate.encode())
    assert status == 200 and len(issued) == 3
    assert issued[0].public_key() == seal.public_key()
    issued[0].verify_directly_issued_by(seals.online.certificate)
    assert len(seals.office.store.certificates_of(laptop.enrolment.device_id)) == 2
    # Another key (a thief's, with the stolen token) is refused; so is a request not signed
    # with the device's key, and one naming another device.
    status, body = seals.renew(laptop, ec.generate_private_key(ec.SECP256R1()))
    assert (status, body["error"]) == (403, "other_seal_key")
    status, body = seals.renew(laptop, seal, signer=other.keys.sign_private)
    assert (status, body["error"]) == (400, "bad_signature")
    request = CertificateRequest.create(
        other.enrolment.device_id, public_pem(seal), other.keys.sign_private
    )
    answer = seals.office.client.post(
        "/api/v1/certificate", json=request.to_wire(), headers=laptop.auth
    )
    assert (answer.status_code, answer.json()["error"]) == (403, "wrong_device")


def test_the_revocation_list_is_an_x509_crl_by_the_online_ca_naming_every_certificate(
    seals: Seals, tmp_path: Path
) -> None:
    laptop, seal = seals.enrol()
    witness, _ = seals.enrol("bram")
    seals.office.clock.advance(days=340)
    seals.renew(laptop, seal)
    assert seals.crl(witness).get_revoked_certificate_by_serial_number(1) is None
    revoked_at = seals.office.clock().replace(microsecond=0)
    seals.office.store.revoke(laptop.enrolment.device_id, revoked_at)
    crl = seals.crl(witness)
    assert crl.issuer == seals.online.certificate.subject
    assert crl.is_signature_valid(seals.online.certificate.public_key())  # type: ignore[arg-type]
    assert (
        crl.next_update_utc is not None
        and crl.next_update_utc - crl.last_update_utc >= timedelta(days=7)
    )
    serials = {
        x509.load_pem_x509_certificate(pem.encode()).serial_number
        for pem in seals.office.store.certificates_of(laptop.enrolment.device_id)
    }
    assert len(serials) == 2
    for serial in serials:
        entry = crl.get_revoked_certificate_by_serial_number(serial)
        assert entry is not None and entry.revocation_date_utc == revoked_at
    assert len(list(crl)) == 2  # the colleague's certificate is not on it
    if shutil.which("openssl"):
        (tmp_path / "crl.der").write_bytes(crl.public_bytes(serialization.Encoding.DER))
        (tmp_path / "ca.pem").write_bytes(pki.certs.pem(seals.online.certificate))
        checked = subprocess.run(
            ["openssl", "crl", "-inform", "DER", "-in", str(tmp_path / "crl.der"),
             "-CAfile", str(tmp_path / "ca.pem"), "-noout"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert "verify OK" in checked.stdout + checked.stderr, checked


def test_an_office_without_an_online_ca_certifies_nothing_and_sends_no_list(
    office: Office,
) -> None:
    laptop = office.enrol()
    seal = ec.generate_private_key(ec.SECP256R1())
    request = CertificateRequest.create(
        laptop.enrolment.device_id, public_pem(seal), laptop.keys.sign_private
    )
    answer = office.client.post("/api/v1/certificate", json=request.to_wire(), headers=laptop.auth)
    assert (answer.status_code, answer.json()["error"]) == (404, "no_certificates")
    pulled = office.client.get(
        "/api/v1/pull", params={"cursor": "0", "crl": "1"}, headers=laptop.auth
    ).json()
    assert "crl" not in pulled
