"""Dating a sealed plan with the office's time: PAdES B-T, with the validation data below it.

Owns adding, to a plan sealed on a laptop, first the seal's validation data in the
document security store (DSS: its certificate chain up to the office root and the office's
revocation list, as far as the laptop has them) and then a document time-stamp from the
office's own time-stamping service over everything before it. The plan then shows when the
office saw it, whatever the laptop's clock said, and a verifier can check the seal as of that
moment even after the certificate ran out or was revoked. This is the shape of PAdES B-LTA
(validation data under a document time-stamp); strictly, B-LTA also wants revocation data for
the office's own CAs, which its offline root does not publish (docs/security.md). Only
validation data and a time-stamp are appended: the seal's "no changes" certification allows
exactly that. A plan that has an office time-stamp already is left as it is.

The request to the office is the caller's (`ask`); pyHanko builds the request, checks the
answer and writes the PDF. Never talks to the network itself, never writes files.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from asn1crypto import tsp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import async_validate_pdf_timestamp
from pyhanko.sign.validation.dss import async_add_validation_info
from pyhanko_certvalidator import ValidationContext

from kitchentable.render import certificates

log = logging.getLogger(__name__)

Ask = Callable[[bytes], Awaitable[bytes | None]]


class NoTimeStamps(Exception):
    """The office has no time-stamping service."""


class TimeStampUnusable(ValueError):
    """The office's answer is not a time-stamp this plan can carry (it does not check out)."""


class _Asking(Exception):
    """What the caller's `ask` raised (a cut line, a revoked device): raised again as it was,
    never taken for an answer that does not check out."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(type(original).__name__)
        self.original = original


class _OfficeTimeStamper(TimeStamper):
    def __init__(self, ask: Ask) -> None:
        super().__init__()
        self.ask = ask

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            answer = await self.ask(req.dump())
        except Exception as exc:
            raise _Asking(exc) from exc
        if answer is None:
            raise NoTimeStamps
        response: tsp.TimeStampResp = tsp.TimeStampResp.load(answer)
        return response


def has_time_stamp(pdf: bytes) -> bool:
    """Whether a document time-stamp follows the seal already."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return bool(reader.embedded_timestamp_signatures)


def _context(chain: Sequence[bytes], crls: Sequence[bytes]) -> ValidationContext | None:
    loaded = [certificates.load(pem) for pem in chain]
    roots = [c for c in loaded if certificates.self_issued(c)]
    if not roots:
        return None
    return ValidationContext(
        trust_roots=[certificates.asn1(c) for c in roots],
        other_certs=[certificates.asn1(c) for c in loaded if c not in roots],
        crls=list(crls),
        allow_fetching=False,
        revocation_mode="soft-fail",
        # The office's list is dated by the office's clock; this laptop's may differ a little.
        time_tolerance=timedelta(minutes=10),
    )


async def time_stamp(
    pdf: bytes, ask: Ask, chain: Sequence[bytes], crls: Sequence[bytes]
) -> bytes | None:
    """The sealed plan with its validation data and the office's document time-stamp; None
    when it has a time-stamp already or the office gives none. `chain`: the seal's
    certificates up to the office root (PEM); `crls`: the office's revocation lists (DER)."""
    if has_time_stamp(pdf):
        return None
    context = _context(chain, crls)
    document: io.BytesIO = io.BytesIO(pdf)
    if context is not None:
        seal = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
        try:
            document = await async_add_validation_info(seal, context)
        except Exception as exc:  # a seal that does not chain to the root: no data to add
            log.info("no validation data added to the plan (%s)", type(exc).__name__)
            document = io.BytesIO(pdf)
    writer = IncrementalPdfFileWriter(document, strict=False)
    stamper = signers.PdfTimeStamper(_OfficeTimeStamper(ask))
    try:
        stamped = await stamper.async_timestamp_pdf(
            writer, "sha256", validation_context=context, in_place=False
        )
    except NoTimeStamps:
        return None
    except _Asking as asking:
        raise asking.original from None
    except Exception as exc:  # any answer that does not check out, whatever its shape
        raise TimeStampUnusable(type(exc).__name__) from exc
    dated = bytes(stamped.getvalue())
    await _covers(dated)
    return dated


async def _covers(pdf: bytes) -> None:
    """The new time-stamp is over these very bytes: an answer for another document (a
    broken or broken-into office) would leave the plan reading 'altered'."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        (*_, newest) = reader.embedded_timestamp_signatures
        status = await async_validate_pdf_timestamp(
            newest, validation_context=ValidationContext(trust_roots=[], allow_fetching=False)
        )
    except Exception as exc:
        raise TimeStampUnusable(type(exc).__name__) from exc
    if not status.intact:
        raise TimeStampUnusable("a time-stamp over other bytes")
