"""Dating a seal, as the attacks a security review found (render.verify, render.timestamps):

- a time-stamp the office gave a blank page *before* the seal was put on it does not date
  the seal (else a stolen or expiring laptop's key keeps sealing plans that read intact);
- a plan dated while everything was valid stays dated after the office's time-stamping
  certificate ran out (it lives three years; a plan is kept far longer);
- an office answer that is a time-stamp over other bytes, or one without the nonce asked
  for, is refused before it can replace the plan in the vault;
- `verify --trust` with a file that is not a certificate says so in one sentence.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kitchentable.office import certs, pki
from kitchentable.office.crl import revocation_list
from kitchentable.office.tsa import TimeStampAuthority
from kitchentable.render import certificates
from kitchentable.render.seal import SealIdentity, seal_pdf
from kitchentable.render.timestamps import TimeStampUnusable, time_stamp
from kitchentable.render.verify import SealStatus, verify_pdf
from tests.core.test_seal_verdicts import aged, device_identity, document, make_pki

ROOT = Path(__file__).resolve().parents[2]


def office(
    tmp_path: Path, moment: datetime
) -> tuple[pki.OfficeCA, pki.OfficeCA, TimeStampAuthority]:
    root, online, tsa = make_pki(tmp_path)
    root = aged(root, None)
    online, tsa = aged(online, root), aged(tsa, root)
    return root, online, TimeStampAuthority(tsa, (root.certificate,), lambda: moment)


def asker(authority: TimeStampAuthority):  # type: ignore[no-untyped-def]
    async def ask(request: bytes) -> bytes:
        return await authority.respond(request)

    return ask


def approve(pdf: bytes, identity: SealIdentity) -> bytes:
    """An ordinary (approval) signature with the device key, the way someone holding a
    laptop's key could put one on a PDF that already carries an office time-stamp."""
    key = serialization.load_pem_private_key(identity.key_pem, password=None)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=certificates.asn1(identity.cert_pem),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs(
            [certificates.asn1(p) for p in identity.chain_pem]
        ),
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Seal", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    return bytes(signers.PdfSigner(meta, signer=signer).sign_pdf(writer).getvalue())


def test_a_time_stamp_under_the_seal_does_not_date_it(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    moment = (now - timedelta(days=5)).replace(microsecond=0)
    root, online, authority = office(tmp_path, moment)
    trusted = (certs.pem(root.certificate),)
    blank = asyncio.run(time_stamp(document(), asker(authority), (), ()))
    assert blank is not None  # the office dated a page with nothing sealed on it
    # A certificate that ran out yesterday, valid at the stamp's time: still expired.
    old = device_identity(online, start=now - timedelta(days=30), end=now - timedelta(days=1))
    result = verify_pdf(approve(blank, old), trusted)
    assert result.status == SealStatus.EXPIRED and not result.office_time, result
    # A certificate revoked an hour ago: still revoked.
    stolen = device_identity(online, start=now - timedelta(days=30), end=now + timedelta(days=300))
    crl = revocation_list(
        online, [(stolen.cert_pem.decode(), (now - timedelta(hours=1)).isoformat())], now
    )
    result = verify_pdf(approve(blank, stolen), trusted, crls=(crl,))
    assert result.status == SealStatus.REVOKED and not result.office_time, result


def test_a_dated_plan_stays_dated_after_the_time_stamping_certificate_ran_out(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    root, online, tsa = make_pki(tmp_path)
    root = aged(root, None, days=2000)
    online = aged(online, root)
    # The time-stamping certificate's three years ended yesterday.
    ended = x509.CertificateBuilder(
        issuer_name=root.certificate.subject,
        subject_name=tsa.certificate.subject,
        public_key=tsa.key.public_key(),
        serial_number=tsa.certificate.serial_number,
        not_valid_before=now - timedelta(days=1096),
        not_valid_after=now - timedelta(days=1),
        extensions=list(tsa.certificate.extensions),
    ).sign(root.key, hashes.SHA256())
    moment = (now - timedelta(days=200)).replace(microsecond=0)
    authority = TimeStampAuthority(
        pki.OfficeCA(tsa.key, ended), (root.certificate,), lambda: moment
    )
    identity = device_identity(
        online, start=now - timedelta(days=400), end=now - timedelta(days=30)
    )
    sealed = seal_pdf(document(), identity, reason="r", location="l", name="Anja")
    dated = asyncio.run(time_stamp(sealed, asker(authority), (), ()))
    assert dated is not None
    result = verify_pdf(dated, (certs.pem(root.certificate),))
    assert result.status == SealStatus.INTACT, result
    assert result.office_time == moment.isoformat()


def test_an_office_answer_over_other_bytes_or_without_the_nonce_is_refused(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    _root, online, authority = office(tmp_path, now)
    identity = device_identity(online, start=now - timedelta(days=3), end=now + timedelta(days=300))
    sealed = seal_pdf(document(), identity, reason="r", location="l", name="Anja")

    async def other_bytes(request: bytes) -> bytes:
        asked = tsp.TimeStampReq.load(request)
        other = tsp.TimeStampReq(
            {
                "version": 1,
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": os.urandom(32),
                },
                "nonce": asked["nonce"].native,
                "cert_req": True,
            }
        )
        return await authority.respond(other.dump())

    async def no_nonce(request: bytes) -> bytes:
        asked = tsp.TimeStampReq.load(request)
        other = tsp.TimeStampReq(
            {"version": 1, "message_imprint": asked["message_imprint"], "cert_req": True}
        )
        return await authority.respond(other.dump())

    async def garbage(_request: bytes) -> bytes:
        return b"\x30\x03\x02\x01\x00"

    for ask in (other_bytes, no_nonce, garbage):
        with pytest.raises(TimeStampUnusable):
            asyncio.run(time_stamp(sealed, ask, (), ()))


def test_verify_with_a_trust_file_that_is_no_certificate_says_so(tmp_path: Path) -> None:
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(document())
    bad = tmp_path / "notacert.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kitchentable",
            "verify",
            str(pdf),
            "--trust",
            str(bad),
            "--no-profile",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "KITCHENTABLE_LANG": "en"},
        timeout=120,
    )
    assert done.returncode != 0
    assert f"{bad} is not a certificate (PEM); nothing was checked." in done.stderr
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr
