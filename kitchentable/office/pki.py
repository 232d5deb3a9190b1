"""The office's small PKI: its CA, the server's TLS certificate, and device certificates.

Owns creating the office CA (EC P-256, `ca-cert.pem` and `ca-key.pem` in the data folder,
the key encrypted under a password the caller derives from the office passphrase), issuing
the HTTPS certificate the server presents (`tls-cert.pem`, `tls-key.pem`) or taking over an
administrator's own, the fingerprint laptops pin, and certifying a device's P-256 seal key
so the plans it seals name the consultant and the device.

Never writes the CA key in the clear, never overwrites a key file unless asked, and never
issues a certificate that outlives the CA that signs it. The TLS key is stored unencrypted
(mode 0600) because the server must start without a prompt.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kitchentable.office.errors import OfficeError, WrongOfficePassphrase

CA_CERT = "ca-cert.pem"
CA_KEY = "ca-key.pem"
TLS_CERT = "tls-cert.pem"
TLS_KEY = "tls-key.pem"
CA_NAME = "Kitchentable office CA"
CA_DAYS = 3650
# 825 days is the longest server certificate lifetime browsers and Apple platforms accept.
TLS_DAYS = 825
DEVICE_DAYS = 1095
# Clocks on laptops and servers drift; a certificate valid from "now" would be rejected
# by a peer a few seconds behind.
BACKDATE = timedelta(minutes=5)
MIN_PASSWORD = 16  # bytes; the caller passes an Argon2id key (32 bytes), not the passphrase
MAX_NAME = 64  # X.520 upper bound for commonName and organizationName


class PkiLocked(WrongOfficePassphrase):
    """The password does not open the office CA key (or the key file is damaged)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"The office passphrase does not open the office CA key ({path.name}). "
            "Check the passphrase; if it is right, the key file is damaged: restore the "
            "data folder from a backup."
        )


class PkiRefused(OfficeError):
    """A certificate or key cannot be created or used; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__("pki_refused", message)


def _pem_password(passphrase_key: bytes) -> bytes:
    # PKCS#8 encryption is PBES2: PBKDF2-HMAC-SHA256 (2,048 rounds) and AES-256-CBC. The
    # few rounds are fine because the input is already an Argon2id key, but HMAC pads its
    # key with zero bytes, so a raw key and the same key plus a trailing NUL would open the
    # file alike. Hex removes the NULs; openssl opens the file with the hex as password.
    return passphrase_key.hex().encode("ascii")


class OfficeCA(NamedTuple):
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


# --- files ------------------------------------------------------------------------------


def _write_new(path: Path, data: bytes, mode: int) -> None:
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


def _write(path: Path, data: bytes, mode: int, replace: bool) -> None:
    if not replace:
        _write_new(path, data, mode)
        return
    temporary = path.with_name(f".{path.name}.new")
    temporary.unlink(missing_ok=True)
    _write_new(temporary, data, mode)
    os.replace(temporary, path)


def _refuse_existing(paths: Sequence[Path], what: str) -> None:
    existing = [p.name for p in paths if p.exists()]
    if existing:
        raise PkiRefused(
            f"The data folder already has {what} ({', '.join(existing)}). Nothing was changed."
        )


# --- certificate pieces -----------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _name_attribute(oid: x509.ObjectIdentifier, value: str, what: str) -> x509.NameAttribute[str]:
    value = value.strip()
    if not 1 <= len(value) <= MAX_NAME:
        raise PkiRefused(f"The {what} must be 1 to {MAX_NAME} characters long.")
    return x509.NameAttribute(oid, value)


def _organisation(ca_cert: x509.Certificate) -> str:
    values = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(values[0].value) if values else ""


def _not_after(ca_cert: x509.Certificate, days: int) -> datetime:
    # A certificate valid after its issuer expired fails every chain check, so end with it.
    return min(_now() + timedelta(days=days), ca_cert.not_valid_after_utc)


def _issued(
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
        .not_valid_before(_now() - BACKDATE)
        .not_valid_after(_not_after(ca.certificate, days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
            critical=False,
        )
    )


def _key_usage(
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


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


# --- the CA -----------------------------------------------------------------------------


def create_ca(data_dir: Path, passphrase_key: bytes, organisation: str) -> OfficeCA:
    """Create the office CA in `data_dir`; refuses if one exists (every device depends on it).

    `passphrase_key` is a key the caller derived from the office passphrase (Argon2id);
    it encrypts `ca-key.pem` (PKCS#8, the best scheme cryptography offers). Returns the CA
    so the caller can issue the TLS certificate without opening the key again.
    """
    paths = [data_dir / CA_CERT, data_dir / CA_KEY]
    _refuse_existing(paths, "an office CA")
    if len(passphrase_key) < MIN_PASSWORD:
        raise PkiRefused(
            f"The CA key needs a key of at least {MIN_PASSWORD} bytes derived from the office "
            "passphrase; it is never stored in the clear."
        )
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
            _name_attribute(NameOID.ORGANIZATION_NAME, organisation, "organisation name"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=CA_DAYS))
        # pathlen 0: the office CA signs end certificates only, never another CA.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_pem_password(passphrase_key)),
    )
    _write_new(data_dir / CA_KEY, key_pem, 0o600)
    _write_new(data_dir / CA_CERT, _pem(certificate), 0o644)
    return OfficeCA(key, certificate)


def load_ca(data_dir: Path, password: bytes) -> OfficeCA:
    """The CA key and certificate; `PkiLocked` when the password does not open the key."""
    key_path = data_dir / CA_KEY
    certificate = x509.load_pem_x509_certificate((data_dir / CA_CERT).read_bytes())
    try:
        key = serialization.load_pem_private_key(
            key_path.read_bytes(), password=_pem_password(password)
        )
    except (ValueError, TypeError) as exc:
        raise PkiLocked(key_path) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or _spki(key) != _spki(certificate):
        raise PkiLocked(key_path)
    return OfficeCA(key, certificate)


def _spki(item: PrivateKeyTypes | x509.Certificate) -> bytes:
    public = item.public_key()
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- the server's TLS certificate -------------------------------------------------------


def _general_name(hostname: str) -> x509.GeneralName:
    name = hostname.strip().strip("[]")
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        pass
    name = name.rstrip(".").lower()
    try:
        # Certificates carry the ASCII (IDNA) form of a name like "gemeente-één.nl".
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise PkiRefused(f"'{hostname}' is not a host name or IP address.") from exc
    if not ascii_name or " " in ascii_name:
        raise PkiRefused(f"'{hostname}' is not a host name or IP address.")
    return x509.DNSName(ascii_name)


def create_tls(
    data_dir: Path, hostnames: Sequence[str], ca: OfficeCA, *, replace: bool = False
) -> bytes:
    """Issue the server's certificate for `hostnames` (names and IP addresses); returns its PEM.

    Writes `tls-cert.pem` (leaf, then the CA) and `tls-key.pem`. A new certificate has a
    new fingerprint that every enrolled laptop will refuse, so an existing pair is kept
    unless `replace` is true.
    """
    paths = [data_dir / TLS_CERT, data_dir / TLS_KEY]
    if not replace:
        _refuse_existing(paths, "a TLS certificate")
    names = list(dict.fromkeys(_general_name(h) for h in hostnames))
    if not names:
        raise PkiRefused("The TLS certificate needs at least one host name or IP address.")
    key = ec.generate_private_key(ec.SECP256R1())
    first = str(names[0].value)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, first)] if len(first) <= MAX_NAME else []
    if organisation := _organisation(ca.certificate):
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    certificate = (
        _issued(x509.Name(attributes), key.public_key(), ca, TLS_DAYS)
        .add_extension(x509.SubjectAlternativeName(names), critical=not attributes)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain = _pem(certificate) + _pem(ca.certificate)
    # Key first: a cert whose key is missing cannot be served by mistake.
    _write(data_dir / TLS_KEY, key_pem, 0o600, replace)
    _write(data_dir / TLS_CERT, chain, 0o644, replace)
    return chain


def use_given_tls(
    data_dir: Path, cert_path: Path, key_path: Path, *, replace: bool = False
) -> bytes:
    """Serve the administrator's own certificate (PEM, leaf first) and unencrypted key.

    Checks that the key belongs to the leaf certificate and that the certificate is valid
    now; returns the chain as written to `tls-cert.pem`.
    """
    paths = [data_dir / TLS_CERT, data_dir / TLS_KEY]
    if not replace:
        _refuse_existing(paths, "a TLS certificate")
    try:
        chain = x509.load_pem_x509_certificates(cert_path.read_bytes())
    except ValueError as exc:
        raise PkiRefused(
            f"{cert_path.name} holds no certificate in PEM form (-----BEGIN CERTIFICATE-----)."
        ) from exc
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except TypeError as exc:
        raise PkiRefused(
            f"The key in {key_path.name} is protected by a password; the server must read it "
            "without a prompt, so give the key without a password (keep the file mode 0600)."
        ) from exc
    except ValueError as exc:
        raise PkiRefused(
            f"{key_path.name} holds no private key in PEM form (-----BEGIN PRIVATE KEY-----)."
        ) from exc
    if _spki(key) != _spki(chain[0]):
        raise PkiRefused(
            f"The key in {key_path.name} does not belong to the certificate in "
            f"{cert_path.name}. Give the key that was made together with this certificate."
        )
    now = _now()
    if not chain[0].not_valid_before_utc <= now <= chain[0].not_valid_after_utc:
        raise PkiRefused(
            f"The certificate in {cert_path.name} is valid from "
            f"{chain[0].not_valid_before_utc:%Y-%m-%d} to {chain[0].not_valid_after_utc:%Y-%m-%d}, "
            "not today. Give a current certificate."
        )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain_pem = b"".join(_pem(c) for c in chain)
    _write(data_dir / TLS_KEY, key_pem, 0o600, replace)
    _write(data_dir / TLS_CERT, chain_pem, 0o644, replace)
    return chain_pem


def tls_fingerprint(cert_pem: bytes) -> str:
    """SHA-256 of the leaf (first) certificate's DER, lowercase hex: what laptops pin."""
    leaf = x509.load_pem_x509_certificates(cert_pem)[0]
    return hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest()


# --- device certificates ----------------------------------------------------------------


def issue_device_certificate(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    device_id: str,
    consultant: str,
    public_key_pem: bytes,
    days: int = DEVICE_DAYS,
) -> bytes:
    """Certify a device's P-256 seal key for the consultant using it; returns the PEM.

    The subject names the consultant (CN), the organisation (O, from the CA) and the
    device (serialNumber and UID), so a sealed plan shows who sealed it on which laptop.
    """
    try:
        public_key = serialization.load_pem_public_key(public_key_pem)
    except ValueError as exc:
        raise PkiRefused("The device's public key is not a PEM public key.") from exc
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        raise PkiRefused(
            "The device's seal key is not an EC P-256 key; only P-256 keys are certified."
        )
    if days < 1:
        raise PkiRefused("A device certificate must be valid for at least one day.")
    attributes = [
        _name_attribute(NameOID.COMMON_NAME, consultant, "consultant's name"),
        _name_attribute(NameOID.SERIAL_NUMBER, device_id, "device id"),
        _name_attribute(NameOID.USER_ID, device_id, "device id"),
    ]
    if organisation := _organisation(ca_cert):
        attributes.insert(1, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    certificate = (
        _issued(x509.Name(attributes), public_key, OfficeCA(ca_key, ca_cert), days)
        # content_commitment is X.509's nonRepudiation: PAdES validators look for it on a
        # key that seals documents.
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return _pem(certificate)
