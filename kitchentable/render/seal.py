"""Sealing a signed plan PDF (PAdES baseline B, with pyHanko).

Owns the device's seal identity (an EC P-256 key and an X.509 certificate: self-issued
until the office enrols the device and issues one from its CA) and applying the seal.
Verifying is `render.verify`; dating a seal with the office's time is `render.timestamps`.
The private key is handed in and out as PEM bytes; where it is kept (sealed in the vault)
is the caller's business. Never writes files.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.constants import ESIC_EXTENSION_1
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kitchentable.render import certificates

FIELD = "KitchentableSeal"


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
    chain = [certificates.asn1(pem) for pem in identity.chain_pem]
    signer = signers.SimpleSigner(
        signing_cert=certificates.asn1(identity.cert_pem),
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
