"""Certificates as the PDF signing library wants them, and as people compare them.

Owns turning a PEM or DER certificate into the asn1crypto form pyHanko takes, a
certificate's SHA-256 fingerprint written the way `openssl x509 -fingerprint` and PDF
readers show it (pairs of hex digits joined by colons), and whether a certificate is
self-issued. Never decides whom to trust.
"""

from __future__ import annotations

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID


def load(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def asn1(certificate: x509.Certificate | bytes) -> asn1_x509.Certificate:
    if isinstance(certificate, bytes):
        certificate = load(certificate)
    loaded: asn1_x509.Certificate = asn1_x509.Certificate.load(
        certificate.public_bytes(serialization.Encoding.DER)
    )
    return loaded


def from_asn1(certificate: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())


def display_name(certificate: x509.Certificate) -> str:
    """Who a certificate names, for people: its common name and organisation."""
    names = [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    orgs = [
        str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    ]
    name = names[0] if names else certificate.subject.rfc4514_string()
    return f"{name} ({orgs[0]})" if orgs else name


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 over the certificate, as AB:CD:…: what someone compares by eye or phone."""
    return ":".join(f"{b:02X}" for b in certificate.fingerprint(hashes.SHA256()))


def public_key_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `certificate` (its name and its signature)."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def self_issued(certificate: x509.Certificate) -> bool:
    """Issued by itself (subject = issuer and signed with its own key): anyone can make one,
    under any name."""
    return certificate.issuer == certificate.subject and issued_by(certificate, certificate)
