"""Verifying a sealed plan PDF: intact, altered, revoked, expired, unknown signer, unsigned.

Owns reading every signature in a PDF (the seal, and document time-stamps after it) and the
verdict, with what a person needs to judge it: the signer's name and certificate
fingerprint, whether the certificate is self-issued (anyone can make one, under any name),
the time the seal claims (the sealing laptop's clock, not checked) and, when an office
time-stamp covers it, the office's time. pyHanko checks integrity, what changed after the
seal (only validation data and time-stamps may follow it), and the chain of trust up to the
roots given — as of the office's time when there is one, else now.

Revocation is checked here against the revocation lists given (X.509 CRLs, each checked
against the certificate of the CA that issued the signer's): a seal whose certificate is on
a list is *revoked* unless an office time-stamp proves it existed before the revocation;
without one the seal's own time is only the laptop's word, so a laptop revoked for theft
cannot date its seals back. A list past its next update still counts for what it lists
(revocation is for good). Never writes files, never fetches anything from the network.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)
from pyhanko_certvalidator import ValidationContext

from kitchentable.render import certificates

# pyHanko logs a validation traceback for every untrusted certificate; that is an expected
# outcome here (a self-issued device certificate), not something to print to a consultant.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False

# After the seal, only these may be appended: validation data (DSS) and document time-stamps.
ALLOWED_AFTER = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
# pyHanko's words for a certificate that was valid once but is not at the time checked.
EXPIRY = {
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
}


class SealStatus(StrEnum):
    INTACT = "intact"  # signed, unchanged, by a signer we trust (or this laptop's own key)
    ALTERED = "altered"  # the bytes changed after sealing, or the seal is broken
    REVOKED = "revoked"  # the signer's certificate is revoked, and nothing dates the seal before
    EXPIRED = "expired"  # the certificate ran out, and no office time shows it was sealed before
    UNKNOWN_SIGNER = "unknown_signer"  # unchanged, but the certificate is not one we trust
    UNSIGNED = "unsigned"


@dataclass(frozen=True)
class Verification:
    status: SealStatus
    signer: str = ""
    fingerprint: str = ""  # SHA-256 of the signer's certificate (AB:CD:…)
    self_issued: bool = False
    own_key: bool = False  # sealed with a key the caller named as its own
    signed_at: str = ""  # what the seal says (the sealing computer's clock)
    office_time: str = ""  # the earliest trusted document time-stamp after the seal
    time_stamped_by: str = ""
    revoked_at: str = ""
    revocation_list: str = ""  # this update of the list the certificate was checked against
    detail: str = ""


@dataclass(frozen=True)
class _Stamp:
    at: datetime
    by: str


def _context(
    roots: Sequence[x509.Certificate], moment: datetime | None = None
) -> ValidationContext:
    return ValidationContext(
        trust_roots=[certificates.asn1(c) for c in roots],
        allow_fetching=False,
        moment=moment,
        # Revocation is this module's own check (see the docstring), against the lists given.
        revocation_mode="soft-fail",
    )


def _check_stamp(
    embedded: EmbeddedPdfSignature, roots: Sequence[x509.Certificate]
) -> DocumentTimestampStatus:
    """pyHanko's status of one document time-stamp. A time-stamp is checked as of now, and
    one whose certificate has run out since, as of its own time: the office's time-stamping
    certificate lives three years, a plan is kept far longer (docs/security.md)."""
    status = validate_pdf_timestamp(embedded, validation_context=_context(roots))
    if (
        status.intact
        and status.valid
        and not status.trusted
        and status.trust_problem_indic in EXPIRY
        and status.timestamp is not None
    ):
        status = validate_pdf_timestamp(
            embedded, validation_context=_context(roots, status.timestamp)
        )
    return status


def _office_time(
    stamps: Sequence[EmbeddedPdfSignature], roots: Sequence[x509.Certificate]
) -> tuple[_Stamp | None, str, bool]:
    """(the earliest trusted time-stamp, the name on an untrusted one, any altered)."""
    trusted: list[_Stamp] = []
    untrusted = ""
    for embedded in stamps:
        try:
            status = _check_stamp(embedded, roots)
        except Exception:  # a damaged time-stamp: the bytes after the seal changed
            return None, "", True
        if not (status.intact and status.valid):
            return None, "", True
        name = (
            certificates.display_name(certificates.from_asn1(status.signing_cert))
            if status.signing_cert
            else ""
        )
        if status.trusted and status.timestamp is not None:
            trusted.append(_Stamp(status.timestamp, name))
        else:
            untrusted = untrusted or name
    return (min(trusted, key=lambda s: s.at) if trusted else None), untrusted, False


def _issuer(signer: x509.Certificate, known: Sequence[x509.Certificate]) -> x509.Certificate | None:
    return next((c for c in known if certificates.issued_by(signer, c)), None)


def _revocation(
    signer: x509.Certificate, issuer: x509.Certificate | None, crls: Sequence[bytes]
) -> tuple[datetime | None, str]:
    """(when the signer's certificate was revoked, this update of the newest list that
    speaks for its issuer) — from lists the issuer really signed."""
    if issuer is None:
        return None, ""
    revoked: datetime | None = None
    newest: datetime | None = None
    for der in crls:
        try:
            crl = x509.load_der_x509_crl(der)
        except ValueError:
            continue
        if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            continue
        newest = max(newest or crl.last_update_utc, crl.last_update_utc)
        entry = crl.get_revoked_certificate_by_serial_number(signer.serial_number)
        if entry is not None:
            at = entry.revocation_date_utc
            revoked = at if revoked is None else min(revoked, at)
    return revoked, newest.isoformat(timespec="seconds") if newest else ""


def verify_pdf(
    pdf: bytes,
    trusted_pem: Sequence[bytes] = (),
    *,
    crls: Sequence[bytes] = (),
    own_keys: Sequence[bytes] = (),
) -> Verification:
    """The verdict on a PDF's seal. `trusted_pem`: certificates to trust (the office root);
    `crls`: revocation lists (DER); `own_keys`: public keys (DER SubjectPublicKeyInfo) whose
    seals count as genuine whatever their certificate (this laptop's own seal key)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        stamps = reader.embedded_timestamp_signatures
    except Exception as exc:  # pyHanko raises many kinds for a damaged file
        return Verification(
            SealStatus.ALTERED, detail=f"not readable as a signed PDF: {type(exc).__name__}"
        )
    seals = [s for s in signatures if s.sig_object_type == "/Sig"]
    if not seals:
        return Verification(SealStatus.UNSIGNED)
    roots = [certificates.load(p) for p in trusted_pem]  # checked by the caller (services)
    # Only a time-stamp over the seal dates it: one the sealed bytes already held (asked
    # for a blank page, say) says nothing about when the seal was made.
    after = [s for s in stamps if s.signed_revision > seals[0].signed_revision]
    stamp, untrusted_tsa, stamp_altered = _office_time(after, roots)
    if stamp_altered or len(seals) > 1:
        return Verification(SealStatus.ALTERED, detail="a signature after the seal is broken")
    try:
        status = validate_pdf_signature(seals[0], _context(roots, stamp.at if stamp else None))
    except Exception as exc:
        return Verification(SealStatus.ALTERED, detail=type(exc).__name__)
    return _judge(status, seals[0], stamp, untrusted_tsa, roots, crls, own_keys)


def _judge(
    status: PdfSignatureStatus,
    seal: EmbeddedPdfSignature,
    stamp: _Stamp | None,
    untrusted_tsa: str,
    roots: Sequence[x509.Certificate],
    crls: Sequence[bytes],
    own_keys: Sequence[bytes],
) -> Verification:
    signer = certificates.from_asn1(status.signing_cert)
    facts = Verification(
        SealStatus.INTACT,
        signer=certificates.display_name(signer),
        fingerprint=certificates.fingerprint(signer),
        self_issued=certificates.self_issued(signer),
        own_key=certificates.public_key_der(signer) in own_keys,
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else "",
        office_time=stamp.at.isoformat() if stamp else "",
        time_stamped_by=stamp.by if stamp else untrusted_tsa,
        detail=status.summary(),
    )
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level in ALLOWED_AFTER
        and status.docmdp_ok is not False
    )
    if not (status.intact and status.valid and whole):
        return replace(facts, status=SealStatus.ALTERED)
    if not status.trusted and not facts.own_key:
        expired = status.trust_problem_indic in EXPIRY
        return replace(facts, status=SealStatus.EXPIRED if expired else SealStatus.UNKNOWN_SIGNER)
    embedded = [certificates.from_asn1(c) for c in seal.other_embedded_certs]
    revoked, checked = _revocation(signer, _issuer(signer, [*embedded, *roots]), crls)
    facts = replace(
        facts,
        revoked_at=revoked.isoformat(timespec="seconds") if revoked else "",
        revocation_list=checked,
    )
    if revoked is not None and (stamp is None or stamp.at >= revoked):
        return replace(facts, status=SealStatus.REVOKED)
    return facts
