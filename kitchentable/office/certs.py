"""The office's certificate toolbox: building, signing and keeping X.509 certificates and
their keys, shared by the office PKI (`pki`) and the server's TLS certificate (`tls`).

Owns the pieces every office certificate is made of (names, lifetimes that never outlive
the issuer, key usages, key identifiers), writing key and certificate files owner-only from
the first byte and never over an existing one unless asked, and encrypting a private key
under a password the caller derives (PKCS#8). Never decides who issues what, and never
writes a CA key in the clear.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

from kitchentable.office.errors import OfficeError

# Clocks on laptops and servers drift; a certificate valid from "now" would be rejected
# by a peer a few seconds behind.
BACKDATE = timedelta(minutes=5)
MIN_PASSWORD = 16  # bytes; the caller passes a derived key (32 bytes), never a passphrase
MAX_NAME = 64  # X.520 upper bound for commonName and organizationName


class PkiRefused(OfficeError):
    """A certificate or key cannot be created or used; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__("pki_refused", message)


class OfficeCA(NamedTuple):
    """A certificate authority: its key and its certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def _pem_password(passphrase_key: bytes) -> bytes:
    # PKCS#8 encryption is PBES2: PBKDF2-HMAC-SHA256 (2,048 rounds) and AES-256-CBC. The
    # few rounds are fine because the input is already an Argon2id key, but HMAC pads its
    # key with zero bytes, so a raw key and the same key plus a trailing NUL would open the
    # file alike. Hex removes the NULs; openssl opens the file with the hex as password.
    return passphrase_key.hex().encode("ascii")


def encrypted_pem(key: ec.EllipticCurvePrivateKey, password: bytes) -> bytes:
    """The key as encrypted PKCS#8 PEM (PBES2, AES-256-CBC) under a derived key."""
    if len(password) < MIN_PASSWORD:
        raise PkiRefused(
            f"A CA key needs a key of at least {MIN_PASSWORD} bytes derived from a secret; "
            "it is never stored in the clear."
        )
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_pem_password(password)),
    )


def plain_pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def open_key(path: Path, password: bytes) -> ec.EllipticCurvePrivateKey | None:
    """The EC key in an encrypted PEM file, or None when the password does not open it."""
    try:
        key = serialization.load_pem_private_key(
            path.read_bytes(), password=_pem_password(password)
        )
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey) else None


def write_new(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: never overwrite, and the file has its final mode from the first byte.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)  # the umask may have narrowed a certificate's mode
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write(path: Path, data: bytes, mode: int, replace: bool) -> None:
    if not replace:
        write_new(path, data, mode)
        return
    temporary = path.with_name(f".{path.name}.new")
    temporary.unlink(missing_ok=True)
    write_new(temporary, data, mode)
    os.replace(temporary, path)


def refuse_existing(paths: Sequence[Path], what: str) -> None:
    existing = [p.name for p in paths if p.exists()]
    if existing:
        raise PkiRefused(
            f"The data folder already has {what} ({', '.join(existing)}). Nothing was changed."
        )


def now() -> datetime:
    return datetime.now(UTC)


def name_attribute(oid: x509.ObjectIdentifier, value: str, what: str) -> x509.NameAttribute[str]:
    value = value.strip()
    if not 1 <= len(value) <= MAX_NAME:
        raise PkiRefused(f"The {what} must be 1 to {MAX_NAME} characters long.")
    return x509.NameAttribute(oid, value)


def organisation(ca_cert: x509.Certificate) -> str:
    values = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(values[0].value) if values else ""


def not_after(ca_cert: x509.Certificate, days: int) -> datetime:
    # A certificate valid after its issuer expired fails every chain check, so end with it.
    return min(now() + timedelta(days=days), ca_cert.not_valid_after_utc)


def issued(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    ca: OfficeCA,
    days: int,
) -> x509.CertificateBuilder:
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - BACKDATE)
        .not_valid_after(not_after(ca.certificate, days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
            critical=False,
        )
    )


def key_usage(
    *, digital_signature: bool = False, content_commitment: bool = False, cert_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def spki(item: PrivateKeyTypes | x509.Certificate) -> bytes:
    public = item.public_key()
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
