"""Sealing a signed plan PDF (PAdES baseline B, with pyHanko) and verifying a sealed PDF.

Owns the device's seal identity (an EC P-256 key and an X.509 certificate: self-issued
until the office enrols the device and issues one from its CA), applying the seal, and
reporting a PDF as intact / altered / unknown signer / unsigned. The private key is handed
in and out as PEM bytes; where it is kept (sealed in the vault) is the caller's business.
Never writes files.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from enum import StrEnum

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.constants import ESIC_EXTENSION_1
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

FIELD = "KitchentableSeal"

# pyHanko logs a validation traceback for every untrusted certificate; that is an expected
# outcome here (a self-issued device certificate), not something to print to a consultant.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False


@dataclass(frozen=True)
class SealIdentity:
    key_pem: bytes
    cert_pem: bytes
    chain_pem: tuple[bytes, ...] = ()  # issuing CA certificates, when the office issued it


def new_self_issued_identity(device_name: str, organisation: str, days: int = 3650) -> SealIdentity:
    """A device seal key with a self-issued certificate (replaced at office enrolment)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, device_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation or "Kitchentable"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return SealIdentity(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
    )


def _asn1_cert(pem: bytes) -> asn1_x509.Certificate:
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    certificate: asn1_x509.Certificate = asn1_x509.Certificate.load(der)
    return certificate


class _Pdf17Signer(signers.PdfSigner):
    """pyHanko's signer, declaring only the PAdES (ESIC) extension to PDF 1.7.

    pyHanko also declares ISO/TS 32002 for an ECDSA P-256 key, an extension to PDF 2.0 that
    moves the catalog to /Version 2.0; the plan is PDF/A-2b, which is PDF 1.7, and ECDSA on
    P-256 is allowed there by PAdES (ETSI EN 319 142-1) without any PDF 2.0 declaration."""

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        if self.signature_meta.subfilter == fields.SigSeedSubFilter.PADES:
            pdf_out.ensure_output_version(version=(1, 7))
            pdf_out.register_extension(ESIC_EXTENSION_1)


def seal_pdf(pdf: bytes, identity: SealIdentity, *, reason: str, location: str, name: str) -> bytes:
    """Append a PAdES-B-B signature over the whole document (an incremental update)."""
    key = serialization.load_pem_private_key(identity.key_pem, password=None)
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = [_asn1_cert(pem) for pem in identity.chain_pem]
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(identity.cert_pem),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=name,
        # Certify: no changes allowed after sealing, so any later edit is flagged.
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    # pyHanko writes its own name as the XMP pdf:Producer but appends it to an existing
    # /Producer in the info dictionary; PDF/A wants the two equal, so let it write both.
    try:
        info = writer.trailer["/Info"]
    except KeyError:
        info = None
    if info is not None and "/Producer" in info:
        del info["/Producer"]
    out = _Pdf17Signer(metadata, signer=signer).sign_pdf(writer)
    return bytes(out.getvalue())


class SealStatus(StrEnum):
    INTACT = "intact"  # signed, unchanged, by a signer we trust
    ALTERED = "altered"  # the bytes changed after sealing, or the seal is broken
    UNKNOWN_SIGNER = "unknown_signer"  # unchanged, but the certificate is not one we trust
    UNSIGNED = "unsigned"


@dataclass(frozen=True)
class Verification:
    status: SealStatus
    signer: str = ""
    signed_at: str = ""
    detail: str = ""


def verify_pdf(pdf: bytes, trusted_pem: tuple[bytes, ...] = ()) -> Verification:
    """Check every signature: altered beats unknown signer beats intact."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # pyHanko raises many kinds for a damaged file
        return Verification(
            SealStatus.ALTERED, detail=f"not readable as a signed PDF: {type(exc).__name__}"
        )
    if not signatures:
        return Verification(SealStatus.UNSIGNED)
    context = ValidationContext(
        trust_roots=[_asn1_cert(p) for p in trusted_pem], allow_fetching=False
    )
    result = Verification(SealStatus.INTACT)
    for embedded in signatures:
        try:
            status = validate_pdf_signature(embedded, context)
        except Exception as exc:
            return Verification(SealStatus.ALTERED, detail=f"{type(exc).__name__}")
        signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
        signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else ""
        whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
        if not (status.intact and status.valid) or not whole:
            return Verification(SealStatus.ALTERED, signer, signed_at, status.summary())
        if not status.trusted:
            result = Verification(SealStatus.UNKNOWN_SIGNER, signer, signed_at, status.summary())
        elif result.status == SealStatus.INTACT:
            result = Verification(SealStatus.INTACT, signer, signed_at, status.summary())
    return result
