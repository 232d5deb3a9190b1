"""The office's revocation list: an X.509 CRL signed by the online issuing CA.

Owns making the list `serve` hands to laptops that ask for it when they pull: every seal
certificate this CA issued to a device the office has revoked, with the moment of the
revocation; this update now, the next within NEXT_UPDATE; a CRL number that grows with the
clock (several servers behind one database agree without a counter). A certificate another
CA issued (an earlier online CA, replaced by `ca issue`) cannot be listed by this one and is
left out. Needs only the online CA, so the serving process makes it; never the root key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from kitchentable.office.certs import OfficeCA
from kitchentable.storage.crypto import issued_by

# A laptop asks at every sync; a week lets a laptop that cannot reach the office still
# check plans against a list that has not run out.
NEXT_UPDATE = timedelta(days=7)


def revocation_list(ca: OfficeCA, revoked: Sequence[tuple[str, str]], now: datetime) -> bytes:
    """The DER CRL: (certificate PEM, ISO moment of revocation) for each revoked one."""
    key_id = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now)
        .next_update(now + NEXT_UPDATE)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(key_id.value),
            critical=False,
        )
    )
    seen: set[int] = set()
    for pem, revoked_at in revoked:
        certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
        if certificate.serial_number in seen or not issued_by(certificate, ca.certificate):
            continue
        seen.add(certificate.serial_number)
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(certificate.serial_number)
            .revocation_date(datetime.fromisoformat(revoked_at))
            .build()
        )
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
