"""The office PKI: a CA that only signs end certificates, a TLS certificate that verifies for
the office's names and addresses, and device certificates that say who sealed on which laptop."""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store

from kitchentable.office import pki
from kitchentable.office.keys import WrongOfficePassphrase
from kitchentable.sync.pinning import certificate_fingerprint

PASSWORD = bytes(range(32))  # a derived key: binary, with a NUL byte, as Argon2id gives
ORGANISATION = "Gemeente Testdorp"


@pytest.fixture
def ca(tmp_path: Path) -> pki.OfficeCA:
    return pki.create_ca(tmp_path, PASSWORD, ORGANISATION)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _public_pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _verify_server(cert_pem: bytes, ca_cert: x509.Certificate, name: x509.GeneralName) -> None:
    """What `openssl verify` plus a host check does, with cryptography's RFC 5280 verifier."""
    leaf, *intermediates = x509.load_pem_x509_certificates(cert_pem)
    verifier = PolicyBuilder().store(Store([ca_cert])).build_server_verifier(name)
    verifier.verify(leaf, intermediates)


# --- the CA ---------------------------------------------------------------------------


def test_the_root_certifies_one_level_of_ca_and_names_the_office(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    cert = x509.load_pem_x509_certificate((tmp_path / pki.CA_CERT).read_bytes())
    assert cert == ca.certificate
    assert cert.subject.rfc4514_string() == f"O={ORGANISATION},CN=Kitchentable office root CA"
    assert cert.issuer == cert.subject
    assert isinstance(ca.key.curve, ec.SECP256R1)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 1
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=3649) < lifetime < timedelta(days=3651)
    cert.verify_directly_issued_by(cert)


SERVE_SECRET = b"a serve secret of at least thirty-two characters"


def test_the_online_ca_signs_end_certificates_only_under_the_serve_secret(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    online = pki.create_online_ca(tmp_path, ca, SERVE_SECRET)
    cert = online.certificate
    cert.verify_directly_issued_by(ca.certificate)
    assert cert.subject.rfc4514_string() == f"O={ORGANISATION},CN=Kitchentable office issuing CA"
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    assert cert.not_valid_after_utc <= ca.certificate.not_valid_after_utc
    key_pem = (tmp_path / pki.ONLINE_KEY).read_bytes()
    assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert _mode(tmp_path / pki.ONLINE_KEY) == 0o600
    opened = pki.load_online_ca(tmp_path, SERVE_SECRET)
    assert opened.key.private_numbers() == online.key.private_numbers()
    # The office passphrase's key does not open it, nor does a near miss of the secret.
    for wrong in (SERVE_SECRET + b"x", SERVE_SECRET[:-1] + b"X"):
        with pytest.raises(pki.ServeSecretRefused):
            pki.load_online_ca(tmp_path, wrong)
    with pytest.raises(pki.ServeSecretRefused, match="at least 32"):
        pki.load_online_ca(tmp_path, b"short")
    with pytest.raises(pki.PkiRefused, match="already has an online CA"):
        pki.create_online_ca(tmp_path, ca, SERVE_SECRET)


def test_a_device_certificate_from_the_online_ca_verifies_against_the_root(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    online = pki.create_online_ca(tmp_path, ca, SERVE_SECRET)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = pki.issue_device_certificate(
        online.key, online.certificate, "dev-1", "Anna", _public_pem(key)
    )
    leaf = x509.load_pem_x509_certificate(pem)
    leaf.verify_directly_issued_by(online.certificate)
    assert pki.chain_above(tmp_path) == (ca.certificate,)


def test_the_ca_key_is_encrypted_and_only_the_owner_may_read_it(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    key_pem = (tmp_path / pki.CA_KEY).read_bytes()
    assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert _mode(tmp_path / pki.CA_KEY) == 0o600
    assert _mode(tmp_path / pki.CA_CERT) == 0o644
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key_pem, password=None)


def test_the_right_password_opens_the_ca_and_a_wrong_one_keeps_it_locked(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    opened = pki.load_ca(tmp_path, PASSWORD)
    assert opened.certificate == ca.certificate
    assert opened.key.private_numbers() == ca.key.private_numbers()
    # Differs only by a trailing NUL: HMAC would treat the two alike without the hex step.
    for wrong in (PASSWORD[:-1] + b"\x00", PASSWORD + b"\x00", b"another office key, 32 bytes"):
        with pytest.raises(pki.PkiLocked) as caught:
            pki.load_ca(tmp_path, wrong)
        assert "office passphrase does not open" in str(caught.value)
        assert isinstance(caught.value, WrongOfficePassphrase)


def test_a_second_ca_is_refused_and_the_first_is_kept(tmp_path: Path, ca: pki.OfficeCA) -> None:
    before = (tmp_path / pki.CA_CERT).read_bytes()
    with pytest.raises(pki.PkiRefused, match="already has an office CA"):
        pki.create_ca(tmp_path, PASSWORD, "Another")
    assert (tmp_path / pki.CA_CERT).read_bytes() == before


def test_a_short_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(pki.PkiRefused, match="never stored in the clear"):
        pki.create_ca(tmp_path, b"secret", ORGANISATION)
    assert not (tmp_path / pki.CA_KEY).exists()


# --- the server's TLS certificate -----------------------------------------------------


def test_the_tls_certificate_verifies_for_each_name_and_address(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    chain = pki.create_tls(tmp_path, ["127.0.0.1", "kitchentable.testdorp.nl", "[::1]"], ca)
    assert (tmp_path / pki.TLS_CERT).read_bytes() == chain
    leaf, ca_copy = x509.load_pem_x509_certificates(chain)
    assert ca_copy == ca.certificate
    leaf.verify_directly_issued_by(ca.certificate)
    for name in (
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.DNSName("kitchentable.testdorp.nl"),
    ):
        _verify_server(chain, ca.certificate, name)
    with pytest.raises(x509.verification.VerificationError):
        _verify_server(chain, ca.certificate, x509.DNSName("elsewhere.example"))
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= timedelta(days=825, minutes=5)


def test_the_tls_key_is_owner_only_and_opens_without_a_prompt(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    pki.create_tls(tmp_path, ["localhost"], ca)
    assert _mode(tmp_path / pki.TLS_KEY) == 0o600
    serialization.load_pem_private_key((tmp_path / pki.TLS_KEY).read_bytes(), password=None)
    # What uvicorn does with the two files.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / pki.TLS_CERT, tmp_path / pki.TLS_KEY)


def test_an_existing_tls_certificate_is_kept_unless_replacing_is_asked(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    first = pki.create_tls(tmp_path, ["127.0.0.1"], ca)
    with pytest.raises(pki.PkiRefused, match="already has a TLS certificate"):
        pki.create_tls(tmp_path, ["127.0.0.1"], ca)
    assert (tmp_path / pki.TLS_CERT).read_bytes() == first
    second = pki.create_tls(tmp_path, ["127.0.0.1"], ca, replace=True)
    assert pki.tls_fingerprint(second) != pki.tls_fingerprint(first)
    assert _mode(tmp_path / pki.TLS_KEY) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [pki.CA_CERT, pki.CA_KEY, pki.TLS_CERT, pki.TLS_KEY]
    )


def test_a_tls_certificate_needs_a_name(tmp_path: Path, ca: pki.OfficeCA) -> None:
    with pytest.raises(pki.PkiRefused, match="at least one host name"):
        pki.create_tls(tmp_path, [], ca)
    with pytest.raises(pki.PkiRefused, match="not a host name"):
        pki.create_tls(tmp_path, ["office server"], ca)


def test_the_fingerprint_is_sha256_of_the_leaf_der(tmp_path: Path, ca: pki.OfficeCA) -> None:
    chain = pki.create_tls(tmp_path, ["127.0.0.1"], ca)
    leaf_der = x509.load_pem_x509_certificates(chain)[0].public_bytes(serialization.Encoding.DER)
    fingerprint = pki.tls_fingerprint(chain)
    assert fingerprint == hashlib.sha256(leaf_der).hexdigest()
    assert len(fingerprint) == 64 and fingerprint == fingerprint.lower()
    assert fingerprint == certificate_fingerprint(leaf_der)  # what the laptop computes
    assert fingerprint != pki.tls_fingerprint((tmp_path / pki.CA_CERT).read_bytes())


# --- the administrator's own certificate ------------------------------------------------


def _own_pair(tmp_path: Path, ca: pki.OfficeCA) -> tuple[Path, Path]:
    source = tmp_path / "own"
    source.mkdir()
    pki.create_tls(source, ["office.testdorp.nl"], ca)
    return source / pki.TLS_CERT, source / pki.TLS_KEY


def test_the_administrators_own_matching_pair_is_taken_over(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    cert_path, key_path = _own_pair(tmp_path, ca)
    data = tmp_path / "data"
    data.mkdir()
    chain = pki.use_given_tls(data, cert_path, key_path)
    assert pki.tls_fingerprint(chain) == pki.tls_fingerprint(cert_path.read_bytes())
    assert (data / pki.TLS_CERT).read_bytes() == chain
    assert _mode(data / pki.TLS_KEY) == 0o600
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(data / pki.TLS_CERT, data / pki.TLS_KEY)


def test_a_key_that_does_not_belong_to_the_certificate_is_refused(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    cert_path, _ = _own_pair(tmp_path, ca)
    other_key = tmp_path / "other-key.pem"
    other_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(pki.PkiRefused, match="does not belong to the certificate"):
        pki.use_given_tls(data, cert_path, other_key)
    assert list(data.iterdir()) == []


def test_a_password_protected_key_is_refused_with_a_reason(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    cert_path, key_path = _own_pair(tmp_path, ca)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    locked = tmp_path / "locked-key.pem"
    locked.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"admin password"),
        )
    )
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(pki.PkiRefused, match="protected by a password"):
        pki.use_given_tls(data, cert_path, locked)
    with pytest.raises(pki.PkiRefused, match="no certificate in PEM form"):
        pki.use_given_tls(data, key_path, key_path)


# --- device certificates ------------------------------------------------------------------


def test_a_device_certificate_names_the_consultant_and_device_and_verifies(
    ca: pki.OfficeCA,
) -> None:
    device_key = ec.generate_private_key(ec.SECP256R1())
    pem = pki.issue_device_certificate(
        ca.key, ca.certificate, "dev-7f3a", "Anna de Vries", _public_pem(device_key)
    )
    cert = x509.load_pem_x509_certificate(pem)
    cert.verify_directly_issued_by(ca.certificate)
    assert cert.public_key() == device_key.public_key()

    def attribute(oid: x509.ObjectIdentifier) -> str:
        return str(cert.subject.get_attributes_for_oid(oid)[0].value)

    assert attribute(NameOID.COMMON_NAME) == "Anna de Vries"
    assert attribute(NameOID.ORGANIZATION_NAME) == ORGANISATION
    assert attribute(NameOID.SERIAL_NUMBER) == "dev-7f3a"
    assert attribute(NameOID.USER_ID) == "dev-7f3a"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # One year (issue 12 item 5): laptops renew at sync before it runs out.
    lifetime = cert.not_valid_after_utc - datetime.now(UTC)
    assert timedelta(days=364) < lifetime <= timedelta(days=365)


def test_a_device_certificate_never_outlives_the_ca(ca: pki.OfficeCA) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = pki.issue_device_certificate(
        ca.key, ca.certificate, "dev-1", "Anna", _public_pem(key), days=20_000
    )
    cert = x509.load_pem_x509_certificate(pem)
    assert cert.not_valid_after_utc <= ca.certificate.not_valid_after_utc


@pytest.mark.parametrize(
    "key",
    [ec.generate_private_key(ec.SECP384R1()), ed25519.Ed25519PrivateKey.generate()],
    ids=["P-384", "Ed25519"],
)
def test_a_device_key_that_is_not_p256_is_refused(
    ca: pki.OfficeCA, key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
) -> None:
    with pytest.raises(pki.PkiRefused, match="not an EC P-256 key"):
        pki.issue_device_certificate(ca.key, ca.certificate, "dev-1", "Anna", _public_pem(key))
    with pytest.raises(pki.PkiRefused, match="not a PEM public key"):
        pki.issue_device_certificate(ca.key, ca.certificate, "dev-1", "Anna", b"garbage")


def test_a_plan_sealed_with_an_online_ca_certificate_is_intact_for_the_root_alone(
    tmp_path: Path, ca: pki.OfficeCA
) -> None:
    """What a laptop does with the enrolment answer's chain: it seals with its device
    certificate, embeds the chain, and anyone trusting only the office root sees intact."""
    import io

    from reportlab.pdfgen import canvas

    from kitchentable.render.seal import SealIdentity, seal_pdf
    from kitchentable.render.verify import SealStatus, verify_pdf

    online = pki.create_online_ca(tmp_path, ca, SERVE_SECRET)
    key = ec.generate_private_key(ec.SECP256R1())
    device_pem = pki.issue_device_certificate(
        online.key, online.certificate, "dev-1", "Anna de Vries", _public_pem(key)
    )
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Ondersteuningsplan")
    page.save()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain = tuple(
        c.public_bytes(serialization.Encoding.PEM) for c in (online.certificate, ca.certificate)
    )
    sealed = seal_pdf(
        buffer.getvalue(),
        SealIdentity(key_pem, device_pem, chain),
        reason="test",
        location="Testdorp",
        name="Anna de Vries",
    )
    root_pem = (tmp_path / pki.CA_CERT).read_bytes()
    assert verify_pdf(sealed, (root_pem,)).status == SealStatus.INTACT
    assert verify_pdf(sealed).status == SealStatus.UNKNOWN_SIGNER


def test_a_ca_from_before_the_online_ca_cannot_certify_one(tmp_path: Path) -> None:
    """Offices made before this version have a CA with path length 0."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kitchentable office CA")])
    now = datetime.now(UTC)
    old = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(pki.PkiRefused, match="create the office again"):
        pki.create_online_ca(tmp_path, pki.OfficeCA(key, old), SERVE_SECRET)
    assert not (tmp_path / pki.ONLINE_KEY).exists()
