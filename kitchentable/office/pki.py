"""The office's PKI: an offline root, the online issuing CA, and device certificates.

Owns the two-level hierarchy laptops trust. The **root** (`ca-cert.pem`, `ca-key.pem`) is
the trust anchor: its key is encrypted under a key derived from the office passphrase and
is touched only by `init` and by the administrator's `ca issue`, never by `serve` (and may
be kept off the server between those moments). The **online issuing CA**
(`online-ca-cert.pem`, `online-ca-key.pem`), certified by the root, is what `serve` holds:
its key is encrypted under a key derived from the serve secret (a systemd credential, not
the office passphrase) and it certifies the P-256 seal keys of enrolling laptops, so the
plans they seal name the consultant and the device. Its sibling, the **time-stamping key**
(`tsa-cert.pem`, `tsa-key.pem`), also certified by the root and under the serve secret,
signs RFC 3161 time-stamps (`tsa`). A stolen online CA mints device certificates until the
root issues a new one; it never opens a payload.

Never writes a CA key in the clear, never overwrites a key file unless asked, and never
issues a certificate that outlives the CA that signs it. The server's TLS certificate is in
`tls`; the building blocks in `certs`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kitchentable.office import certs
from kitchentable.office.certs import OfficeCA, PkiRefused
from kitchentable.office.errors import OfficeError, WrongOfficePassphrase
from kitchentable.office.tls import TLS_CERT, TLS_KEY, create_tls, tls_fingerprint, use_given_tls
from kitchentable.storage import crypto

__all__ = [
    "CA_CERT",
    "CA_KEY",
    "ONLINE_CERT",
    "ONLINE_KEY",
    "TLS_CERT",
    "TLS_KEY",
    "TSA_CERT",
    "TSA_KEY",
    "OfficeCA",
    "PkiLocked",
    "PkiRefused",
    "ServeSecretRefused",
    "chain_above",
    "create_ca",
    "create_online_ca",
    "create_tls",
    "create_tsa",
    "has_online_ca",
    "has_tsa",
    "issue_device_certificate",
    "load_ca",
    "load_online_ca",
    "load_tsa",
    "online_ca_password",
    "tls_fingerprint",
    "use_given_tls",
]

CA_CERT = "ca-cert.pem"  # the root: what laptops trust
CA_KEY = "ca-key.pem"
ONLINE_CERT = "online-ca-cert.pem"
ONLINE_KEY = "online-ca-key.pem"
TSA_CERT = "tsa-cert.pem"
TSA_KEY = "tsa-key.pem"
TSA_NAME = "Kitchentable office time-stamping"
TSA_INFO = "kitchentable-office/tsa-key-password/v1"
CA_NAME = "Kitchentable office root CA"
ONLINE_NAME = "Kitchentable office issuing CA"
CA_DAYS = 3650
ONLINE_DAYS = 1095  # renewed by the root (`ca issue`) long before the root ends
DEVICE_DAYS = 365  # a year; laptops renew at sync before the end (api_seals)
# The info string that turns the serve secret into the online CA key's password.
ONLINE_INFO = "kitchentable-office/online-ca-key-password/v1"
MIN_SERVE_SECRET = 32  # characters of the serve secret (init writes 43: 32 random bytes)


class PkiLocked(WrongOfficePassphrase):
    """The password does not open the office root key (or the key file is damaged)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"The office passphrase does not open the office CA key ({path.name}). "
            "Check the passphrase; if it is right, the key file is damaged: restore the "
            "data folder from a backup."
        )


class ServeSecretRefused(OfficeError):
    """The serve secret is missing, too short, or does not open the online CA key."""

    def __init__(self, message: str) -> None:
        super().__init__("serve_secret_refused", message, 403)


def online_ca_password(serve_secret: bytes) -> bytes:
    """The online CA key's password, derived from the serve secret (HKDF-SHA256)."""
    if len(serve_secret) < MIN_SERVE_SECRET:
        raise ServeSecretRefused(
            f"The serve secret must be at least {MIN_SERVE_SECRET} characters (init writes "
            "one made of 32 random bytes)."
        )
    return crypto.hkdf(serve_secret, ONLINE_INFO)


# --- the root -----------------------------------------------------------------------------


def _ca_certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: OfficeCA | None,
    days: int,
    path_length: int,
) -> x509.Certificate:
    """A CA certificate: self-signed when `issuer` is None, else certified by it."""
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    issuer_cert = issuer.certificate if issuer else None
    authority = (
        issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        if issuer_cert
        else ski
    )
    moment = certs.now()
    until = certs.not_after(issuer_cert, days) if issuer_cert else moment + timedelta(days=days)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - certs.BACKDATE)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(certs.key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(authority),
            critical=False,
        )
        .sign(issuer.key if issuer else key, hashes.SHA256())
    )


def create_ca(data_dir: Path, passphrase_key: bytes, organisation: str) -> OfficeCA:
    """Create the office root in `data_dir`; refuses if one exists (every device trusts it).

    `passphrase_key` is a key the caller derived from the office passphrase (Argon2id); it
    encrypts `ca-key.pem`. Path length 1: the root certifies the online CA (and signs its
    siblings), which certifies end certificates only.
    """
    paths = [data_dir / CA_CERT, data_dir / CA_KEY]
    certs.refuse_existing(paths, "an office CA")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
            certs.name_attribute(NameOID.ORGANIZATION_NAME, organisation, "organisation name"),
        ]
    )
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = certs.encrypted_pem(key, passphrase_key)
    certificate = _ca_certificate(subject, key, None, CA_DAYS, path_length=1)
    certs.write_new(data_dir / CA_KEY, key_pem, 0o600)
    certs.write_new(data_dir / CA_CERT, certs.pem(certificate), 0o644)
    return OfficeCA(key, certificate)


def load_ca(data_dir: Path, password: bytes, key_path: Path | None = None) -> OfficeCA:
    """The root's key and certificate; `PkiLocked` when the password does not open the key.
    `key_path`: where the root key is, when it is kept off the server."""
    key_path = key_path or data_dir / CA_KEY
    certificate = x509.load_pem_x509_certificate((data_dir / CA_CERT).read_bytes())
    key = certs.open_key(key_path, password)
    if key is None or certs.spki(key) != certs.spki(certificate):
        raise PkiLocked(key_path)
    return OfficeCA(key, certificate)


# --- the online issuing CA ------------------------------------------------------------------


def create_online_ca(
    data_dir: Path, root: OfficeCA, serve_secret: bytes, *, replace: bool = False
) -> OfficeCA:
    """A new online CA certified by `root`, its key encrypted under the serve secret.

    Path length 0: it certifies end certificates (devices, the TLS server) only. With
    `replace` the previous online CA is superseded (its certificates stay valid until they
    end: the root still vouches for them).
    """
    if replace and not (data_dir / CA_CERT).is_file():
        raise PkiRefused("The data folder has no office root.")
    if not replace:
        certs.refuse_existing([data_dir / ONLINE_CERT, data_dir / ONLINE_KEY], "an online CA")
    constraints = root.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    if constraints.value.path_length == 0:
        raise PkiRefused(
            "This office's CA was made before the online CA existed and may certify end "
            "certificates only; create the office again (init) and enrol the laptops again."
        )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _ca_certificate(
        _under_root(ONLINE_NAME, root), key, root, ONLINE_DAYS, path_length=0
    )
    key_pem = certs.encrypted_pem(key, online_ca_password(serve_secret))
    certs.write(data_dir / ONLINE_KEY, key_pem, 0o600, replace)
    certs.write(data_dir / ONLINE_CERT, certs.pem(certificate), 0o644, replace)
    return OfficeCA(key, certificate)


def has_online_ca(data_dir: Path) -> bool:
    return (data_dir / ONLINE_KEY).is_file() and (data_dir / ONLINE_CERT).is_file()


def load_online_ca(data_dir: Path, serve_secret: bytes) -> OfficeCA:
    """The online CA, opened with the serve secret; `ServeSecretRefused` when it does not."""
    return _open_pair(
        data_dir,
        ONLINE_CERT,
        ONLINE_KEY,
        online_ca_password(serve_secret),
        f"The serve secret does not open the online CA key ({ONLINE_KEY}). Give the "
        "secret the office was created with (see packaging/office/README.md).",
    )


def _under_root(common_name: str, root: OfficeCA) -> x509.Name:
    """A name for a key the root certifies: its own name, the root's organisation."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation := certs.organisation(root.certificate):
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(attributes)


def _open_pair(
    data_dir: Path, cert_name: str, key_name: str, password: bytes, refused: str
) -> OfficeCA:
    """A key and its certificate from the data folder; `ServeSecretRefused(refused)` when
    the password does not open the key or the key is not the certificate's."""
    certificate = x509.load_pem_x509_certificate((data_dir / cert_name).read_bytes())
    key = certs.open_key(data_dir / key_name, password)
    if key is None or certs.spki(key) != certs.spki(certificate):
        raise ServeSecretRefused(refused)
    return OfficeCA(key, certificate)


# --- the time-stamping authority (the online CA's sibling) -------------------------------


def create_tsa(
    data_dir: Path, root: OfficeCA, serve_secret: bytes, *, replace: bool = False
) -> OfficeCA:
    """The office's time-stamping key and certificate (RFC 3161, EKU timeStamping only),
    certified by `root` beside the online CA, its key under the serve secret."""
    if not replace:
        certs.refuse_existing([data_dir / TSA_CERT, data_dir / TSA_KEY], "a time-stamping key")
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        certs.issued(_under_root(TSA_NAME, root), key.public_key(), root, ONLINE_DAYS)
        .add_extension(
            certs.key_usage(digital_signature=True, content_commitment=True), critical=True
        )
        # RFC 3161 §2.3: the only extended key usage, and critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root.key, hashes.SHA256())
    )
    key_pem = certs.encrypted_pem(key, crypto.hkdf(serve_secret, TSA_INFO))
    certs.write(data_dir / TSA_KEY, key_pem, 0o600, replace)
    certs.write(data_dir / TSA_CERT, certs.pem(certificate), 0o644, replace)
    return OfficeCA(key, certificate)


def has_tsa(data_dir: Path) -> bool:
    return (data_dir / TSA_KEY).is_file() and (data_dir / TSA_CERT).is_file()


def load_tsa(data_dir: Path, serve_secret: bytes) -> OfficeCA:
    """The time-stamping key, opened with the serve secret."""
    online_ca_password(serve_secret)  # the same rule for the secret's length
    return _open_pair(
        data_dir,
        TSA_CERT,
        TSA_KEY,
        crypto.hkdf(serve_secret, TSA_INFO),
        f"The serve secret does not open the time-stamping key ({TSA_KEY}).",
    )


def chain_above(data_dir: Path) -> tuple[x509.Certificate, ...]:
    """The certificates above the online CA up to the root (the root alone)."""
    return (x509.load_pem_x509_certificate((data_dir / CA_CERT).read_bytes()),)


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
        certs.name_attribute(NameOID.COMMON_NAME, consultant, "consultant's name"),
        certs.name_attribute(NameOID.SERIAL_NUMBER, device_id, "device id"),
        certs.name_attribute(NameOID.USER_ID, device_id, "device id"),
    ]
    if organisation := certs.organisation(ca_cert):
        attributes.insert(1, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    certificate = (
        certs.issued(x509.Name(attributes), public_key, OfficeCA(ca_key, ca_cert), days)
        # content_commitment is X.509's nonRepudiation: PAdES validators look for it on a
        # key that seals documents.
        .add_extension(
            certs.key_usage(digital_signature=True, content_commitment=True), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    return certs.pem(certificate)
