"""What `verify` concludes about a seal, case by case (render.verify), with real certificates
from the office's own PKI: a certificate that ran out, a revocation list that does not come
from the signer's CA, a seal whose certificate someone else's list names, a time-stamp that
dates the seal within its certificate's life."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from reportlab.pdfgen import canvas

from kitchentable.office import certs, pki
from kitchentable.office.crl import revocation_list
from kitchentable.office.tsa import TimeStampAuthority
from kitchentable.render.seal import SealIdentity, seal_pdf
from kitchentable.render.timestamps import time_stamp
from kitchentable.render.verify import SealStatus, verify_pdf

SECRET = b"a serve secret of at least thirty-two characters"


def document() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Ondersteuningsplan")
    page.save()
    return buffer.getvalue()


def device_identity(ca: pki.OfficeCA, *, start: datetime, end: datetime) -> SealIdentity:
    """A device certificate with the lifetime given (the office never issues one in the past;
    a test of the verdict needs one)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Anja de Consulent")])
    ca_key_id = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id.value),
            critical=False,
        )
        .add_extension(
            certs.key_usage(digital_signature=True, content_commitment=True), critical=True
        )
        .sign(ca.key, hashes.SHA256())
    )
    return SealIdentity(certs.plain_pem(key), certs.pem(certificate), (certs.pem(ca.certificate),))


def make_pki(tmp_path: Path) -> tuple[pki.OfficeCA, pki.OfficeCA, pki.OfficeCA]:
    root = pki.create_ca(tmp_path, bytes(range(32)), "Gemeente Testdam")
    return (
        root,
        pki.create_online_ca(tmp_path, root, SECRET),
        pki.create_tsa(tmp_path, root, SECRET),
    )


def aged(ca: pki.OfficeCA, issuer: pki.OfficeCA | None, days: int = 400) -> pki.OfficeCA:
    """The same CA as if made `days` ago (the office's PKI is older than a device's
    certificate; one made by this test run is not)."""
    now = datetime.now(UTC)
    builder = x509.CertificateBuilder(
        issuer_name=(issuer or ca).certificate.subject,
        subject_name=ca.certificate.subject,
        public_key=ca.key.public_key(),
        serial_number=ca.certificate.serial_number,
        not_valid_before=now - timedelta(days=days),
        not_valid_after=now + timedelta(days=days),
        extensions=list(ca.certificate.extensions),
    )
    return pki.OfficeCA(ca.key, builder.sign((issuer or ca).key, hashes.SHA256()))


def test_a_certificate_that_ran_out_reads_expired_unless_the_office_dated_the_seal(
    tmp_path: Path,
) -> None:
    root, online, tsa = make_pki(tmp_path)
    root = aged(root, None)
    online, tsa = aged(online, root), aged(tsa, root)
    now = datetime.now(UTC)
    identity = device_identity(online, start=now - timedelta(days=30), end=now - timedelta(days=1))
    sealed = seal_pdf(document(), identity, reason="r", location="l", name="Anja")
    trusted = (certs.pem(root.certificate),)
    assert verify_pdf(sealed, trusted).status == SealStatus.EXPIRED
    # Dated by the office while the certificate was valid: checked as of that moment.
    moment = (now - timedelta(days=5)).replace(microsecond=0)
    authority = TimeStampAuthority(tsa, (root.certificate,), lambda: moment)

    async def ask(request: bytes) -> bytes:
        return await authority.respond(request)

    chain = (identity.cert_pem, certs.pem(online.certificate), certs.pem(root.certificate))
    dated = asyncio.run(time_stamp(sealed, ask, chain, ()))
    assert dated is not None
    result = verify_pdf(dated, trusted)
    assert result.status == SealStatus.INTACT, result
    assert result.office_time == moment.isoformat()


def test_only_a_list_signed_by_the_signers_own_ca_can_revoke_its_seal(tmp_path: Path) -> None:
    root, online, _ = make_pki(tmp_path)
    now = datetime.now(UTC)
    identity = device_identity(online, start=now - timedelta(days=1), end=now + timedelta(days=300))
    sealed = seal_pdf(document(), identity, reason="r", location="l", name="Anja")
    trusted = (certs.pem(root.certificate),)
    revoked = [(identity.cert_pem.decode(), (now - timedelta(hours=1)).isoformat())]
    genuine = revocation_list(online, revoked, now)
    # A list made by another CA (an impostor's, or the root's own key) names the serial in vain.
    impostor = pki.OfficeCA(ec.generate_private_key(ec.SECP256R1()), online.certificate)
    forged = revocation_list(impostor, [], now)
    assert verify_pdf(sealed, trusted, crls=(forged,)).status == SealStatus.INTACT
    result = verify_pdf(sealed, trusted, crls=(genuine,))
    assert result.status == SealStatus.REVOKED and result.revocation_list
    # A certificate another CA issued is never put on this CA's list.
    (tmp_path / "other").mkdir()
    other_root = pki.create_ca(tmp_path / "other", bytes(range(32)), "Elders")
    stranger = device_identity(
        other_root, start=now - timedelta(days=1), end=now + timedelta(days=9)
    )
    listed = x509.load_der_x509_crl(
        revocation_list(online, [(stranger.cert_pem.decode(), now.isoformat())], now)
    )
    assert list(listed) == []
