"""The office server's TLS certificate: issued by the office's online CA, or the
administrator's own, and the fingerprint laptops pin.

Owns issuing the HTTPS certificate the server presents (`tls-cert.pem`, `tls-key.pem`) for
the names and addresses laptops use, taking over an administrator's own pair after checking
it, and the SHA-256 fingerprint of the leaf that laptops pin. The TLS key is stored
unencrypted (mode 0600) because the server must start without a prompt; it authenticates the
server to laptops that pin it and opens nothing else. Never overwrites a key file unless
asked.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kitchentable.office import certs

TLS_CERT = "tls-cert.pem"
TLS_KEY = "tls-key.pem"
# 825 days is the longest server certificate lifetime browsers and Apple platforms accept.
TLS_DAYS = 825


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
        raise certs.PkiRefused(f"'{hostname}' is not a host name or IP address.") from exc
    if not ascii_name or " " in ascii_name:
        raise certs.PkiRefused(f"'{hostname}' is not a host name or IP address.")
    return x509.DNSName(ascii_name)


def create_tls(
    data_dir: Path,
    hostnames: Sequence[str],
    ca: certs.OfficeCA,
    *,
    replace: bool = False,
    above: Sequence[x509.Certificate] = (),
) -> bytes:
    """Issue the server's certificate for `hostnames` (names and IP addresses); returns its PEM.

    Writes `tls-cert.pem` (leaf, then the issuing CA and the certificates `above` it up to
    the root) and `tls-key.pem`. A new certificate has a
    new fingerprint that every enrolled laptop will refuse, so an existing pair is kept
    unless `replace` is true.
    """
    paths = [data_dir / TLS_CERT, data_dir / TLS_KEY]
    if not replace:
        certs.refuse_existing(paths, "a TLS certificate")
    names = list(dict.fromkeys(_general_name(h) for h in hostnames))
    if not names:
        raise certs.PkiRefused("The TLS certificate needs at least one host name or IP address.")
    key = ec.generate_private_key(ec.SECP256R1())
    first = str(names[0].value)
    attributes = (
        [x509.NameAttribute(NameOID.COMMON_NAME, first)] if len(first) <= certs.MAX_NAME else []
    )
    if organisation := certs.organisation(ca.certificate):
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    certificate = (
        certs.issued(x509.Name(attributes), key.public_key(), ca, TLS_DAYS)
        .add_extension(x509.SubjectAlternativeName(names), critical=not attributes)
        .add_extension(certs.key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    key_pem = certs.plain_pem(key)
    chain = b"".join(certs.pem(c) for c in (certificate, ca.certificate, *above))
    # Key first: a cert whose key is missing cannot be served by mistake.
    certs.write(data_dir / TLS_KEY, key_pem, 0o600, replace)
    certs.write(data_dir / TLS_CERT, chain, 0o644, replace)
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
        certs.refuse_existing(paths, "a TLS certificate")
    try:
        chain = x509.load_pem_x509_certificates(cert_path.read_bytes())
    except ValueError as exc:
        raise certs.PkiRefused(
            f"{cert_path.name} holds no certificate in PEM form (-----BEGIN CERTIFICATE-----)."
        ) from exc
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except TypeError as exc:
        raise certs.PkiRefused(
            f"The key in {key_path.name} is protected by a password; the server must read it "
            "without a prompt, so give the key without a password (keep the file mode 0600)."
        ) from exc
    except ValueError as exc:
        raise certs.PkiRefused(
            f"{key_path.name} holds no private key in PEM form (-----BEGIN PRIVATE KEY-----)."
        ) from exc
    if certs.spki(key) != certs.spki(chain[0]):
        raise certs.PkiRefused(
            f"The key in {key_path.name} does not belong to the certificate in "
            f"{cert_path.name}. Give the key that was made together with this certificate."
        )
    now = certs.now()
    if not chain[0].not_valid_before_utc <= now <= chain[0].not_valid_after_utc:
        raise certs.PkiRefused(
            f"The certificate in {cert_path.name} is valid from "
            f"{chain[0].not_valid_before_utc:%Y-%m-%d} to {chain[0].not_valid_after_utc:%Y-%m-%d}, "
            "not today. Give a current certificate."
        )
    key_pem = certs.plain_pem(key)
    chain_pem = b"".join(certs.pem(c) for c in chain)
    certs.write(data_dir / TLS_KEY, key_pem, 0o600, replace)
    certs.write(data_dir / TLS_CERT, chain_pem, 0o644, replace)
    return chain_pem


def tls_fingerprint(cert_pem: bytes) -> str:
    """SHA-256 of the leaf (first) certificate's DER, lowercase hex: what laptops pin."""
    leaf = x509.load_pem_x509_certificates(cert_pem)[0]
    return hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest()
