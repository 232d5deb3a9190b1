"""A render-ready document: titled sections of simple blocks, already in one language.

Owns the shape the PDF layout consumes, so that composing a plan (which questions, which
labels, which order: render.compose) and drawing it (fonts, pages, tables: render.pdf) are
separate and each testable. Holds only strings and numbers; never a Form or a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraphs:
    """Running text; each string is a paragraph, newlines inside are kept."""

    texts: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class Fields:
    """Label / value pairs, as a two-column table."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()  # fractions of the text width; empty = equal
    caption: str = ""


@dataclass(frozen=True)
class SignatureBlock:
    """One signer: name, role, place, date and the pen strokes (None when not yet signed).

    Strokes are lists of (x, y, pressure) points in a 0..1 box (x right, y down).
    """

    heading: str
    name: str
    role: str = ""
    place: str = ""
    date: str = ""
    strokes: tuple[tuple[tuple[float, float, float], ...], ...] | None = None
    note: str = ""  # e.g. "Not present at the signing: …" (a signer absent with a reason)


@dataclass(frozen=True)
class Signatures:
    blocks: tuple[SignatureBlock, ...]
    note: str = ""


Block = Paragraphs | Fields | Table | Signatures


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    keep_together: bool = False
    new_page: bool = False  # starts on a fresh page (the annex)


@dataclass(frozen=True)
class Branding:
    municipality: str
    department: str = ""
    address: tuple[str, ...] = ()
    contact: tuple[str, ...] = ()  # phone, e-mail, website: one line each
    logo_path: str | None = None
    color: str = "#1f5f8b"
    email: str = ""
    phone: str = ""
    # Free, independent client support (Wmo 2015 art. 2.3.2 lid 3): name, phone, website.
    client_support: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentMeta:
    title: str
    subtitle: str
    document_id: str
    form: str  # "wmo-keukentafelgesprek 2026.1"
    language: str
    author: str = ""
    subject: str = ""
    draft: bool = True
    header_right: str = ""  # e.g. "Melding M-2026-0412"


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    branding: Branding
    facts: tuple[tuple[str, str], ...]  # the header box: melding, kind, dates, deadline, name
    sections: tuple[Section, ...] = field(default_factory=tuple)
    labels: dict[str, str] = field(default_factory=dict)  # "page {x} of {y}", "CONCEPT", ...
