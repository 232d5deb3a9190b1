"""PDF/A-2b identification for plan PDFs (archival: DOMAIN.md section 5).

reportlab already gives most of PDF/A-2b: every font embedded (subset TrueType), no
encryption, no JavaScript, a file ID. It cannot write the things that identify and
colour-manage the file, so this step adds them with pikepdf (qpdf): XMP metadata with
pdfaid:part=2 / conformance=B mirroring the document info (title, author, the real creation
and modification time, dc:language), an sRGB OutputIntent with an ICC profile made by
Pillow's littleCMS (no profile file to ship), /Lang in the catalog (nl-NL or en-GB), and a
PDF 1.7 header: PDF/A-2 is based on ISO 32000-1 (PDF 1.7), and render.seal keeps it so.
Without a validator here (veraPDF is not obtainable) this is "aimed at", not certified.
"""

from __future__ import annotations

import io
import warnings
from functools import cache

import pikepdf
from PIL import ImageCms

PDF_VERSION = "1.7"
LANGUAGE_TAGS = {"nl": "nl-NL", "en": "en-GB"}


def language_tag(language: str) -> str:
    """The BCP 47 tag for the plan's language, as /Lang and dc:language carry it."""
    return LANGUAGE_TAGS.get(language, language)


@cache
def srgb_profile() -> bytes:
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def make_pdfa(pdf: bytes, language: str) -> bytes:
    tag = language_tag(language)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        with document.open_metadata(set_pikepdf_as_editor=False) as meta, warnings.catch_warnings():
            # /Trapped has no XMP equivalent in pikepdf's mapping; dropping it is harmless.
            warnings.simplefilter("ignore", UserWarning)
            meta.load_from_docinfo(document.docinfo)
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
            meta["dc:language"] = [tag]
        profile = pikepdf.Stream(document, srgb_profile())
        profile["/N"] = 3
        document.Root.OutputIntents = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent,
                    S=pikepdf.Name.GTS_PDFA1,
                    OutputConditionIdentifier="sRGB IEC61966-2.1",
                    Info="sRGB IEC61966-2.1",
                    DestOutputProfile=profile,
                )
            ]
        )
        document.Root.Lang = pikepdf.String(tag)
        document.Root.MarkInfo = pikepdf.Dictionary(Marked=False)
        out = io.BytesIO()
        document.save(
            out,
            deterministic_id=True,
            fix_metadata_version=False,
            min_version=PDF_VERSION,
            force_version=PDF_VERSION,
        )
    return out.getvalue()
