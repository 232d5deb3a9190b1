"""Drawing a render.document.Document as an A4 PDF with reportlab (platypus).

Owns fonts (DejaVu Sans from resources/fonts, always embedded), page furniture (branding on
the first page; on every page a header, "page x of y", the document id and the form
version), the CONCEPT mark on drafts, and turning blocks into flowables that split across
pages: long values leave table cells (a table row cannot split) and become paragraphs.
Never decides what is in the plan (render.compose does) and never signs (render.seal).
Output is deterministic for the same input (reportlab's invariant mode), so golden tests
can compare it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import cache
from itertools import pairwise
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from kitchentable import __version__
from kitchentable.paths import resources_dir
from kitchentable.render import document as d

FONT = "KTSans"
PAGE_W, PAGE_H = A4
MARGIN_X = 20 * mm
TOP, BOTTOM = 28 * mm, 22 * mm
FIRST_TOP = 36 * mm  # the letterhead
TEXT_W = PAGE_W - 2 * MARGIN_X
LONG_VALUE = 350  # characters; longer values leave the table so they can cross a page
GREY = colors.HexColor("#5b6470")
LINE = colors.HexColor("#c9d1da")
SHADE = colors.HexColor("#f1f4f7")
NO_PADDING = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}


@cache
def register_fonts() -> str:
    folder = resources_dir() / "fonts"
    faces = {
        FONT: "DejaVuSans.ttf",
        f"{FONT}-Bold": "DejaVuSans-Bold.ttf",
        f"{FONT}-Italic": "DejaVuSans-Oblique.ttf",
        f"{FONT}-BoldItalic": "DejaVuSans-BoldOblique.ttf",
    }
    for name, file in faces.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(
        FONT,
        normal=FONT,
        bold=f"{FONT}-Bold",
        italic=f"{FONT}-Italic",
        boldItalic=f"{FONT}-BoldItalic",
    )
    return FONT


@cache
def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle(
        "base", fontName=FONT, bulletFontName=FONT, fontSize=9.5, leading=13.5, spaceAfter=3
    )
    return {
        "body": base,
        # Labels and headings keep with what follows: never alone at the foot of a page.
        "label": ParagraphStyle(
            "label",
            parent=base,
            fontName=f"{FONT}-Bold",
            fontSize=8.5,
            textColor=GREY,
            keepWithNext=1,
        ),
        "value": ParagraphStyle("value", parent=base, spaceAfter=0),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=GREY),
        "title": ParagraphStyle(
            "title", parent=base, fontName=f"{FONT}-Bold", fontSize=17, leading=21, spaceAfter=2
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=10.5, textColor=GREY, spaceAfter=8
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=f"{FONT}-Bold",
            fontSize=12,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "th": ParagraphStyle(
            "th", parent=base, fontName=f"{FONT}-Bold", fontSize=8.5, leading=11, spaceAfter=0
        ),
        "td": ParagraphStyle("td", parent=base, fontSize=9, leading=12, spaceAfter=0),
        "right": ParagraphStyle(
            "right", parent=base, alignment=TA_RIGHT, fontSize=8, leading=10.5, textColor=GREY
        ),
    }


def text(value: str) -> str:
    """User text as reportlab paragraph markup: escaped, line breaks kept."""
    return escape(value).replace("\n", "<br/>")


class SignatureDrawing(Flowable):
    """Pen strokes as vector paths: crisp at any zoom and in print; width follows pressure."""

    def __init__(
        self,
        strokes: Iterable[Iterable[tuple[float, float, float]]] | None,
        width: float,
        height: float,
    ):
        super().__init__()
        self.strokes = [list(s) for s in strokes] if strokes else []
        self.width, self.height = width, height

    def wrap(self, *_: Any) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setStrokeColor(LINE)
        canvas.setLineWidth(0.6)
        canvas.line(0, 4, self.width, 4)  # the line one signs on
        canvas.setStrokeColor(colors.HexColor("#14213d"))
        canvas.setLineCap(1)
        canvas.setLineJoin(1)
        for stroke in self.strokes:
            for (x1, y1, p1), (x2, y2, p2) in pairwise(stroke):
                canvas.setLineWidth(0.6 + 1.6 * (p1 + p2) / 2)
                canvas.line(
                    x1 * self.width, (1 - y1) * self.height, x2 * self.width, (1 - y2) * self.height
                )


class _NumberedCanvas(Canvas):
    """Delays page output until the end so every page can say "page x of y"."""

    label = "{x} / {y}"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab internal, stable since 2.x

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(FONT, 7.5)
            self.setFillColor(GREY)
            self.drawRightString(PAGE_W - MARGIN_X, 11 * mm, self.label.format(x=number, y=total))
            super().showPage()
        super().save()


class PlanPdf:
    def __init__(self, document: d.Document) -> None:
        self.doc = document
        self.s = styles()

    # -- page furniture -----------------------------------------------------------------
    def _furniture(self, canvas: Canvas, first: bool) -> None:
        meta, brand = self.doc.meta, self.doc.branding
        canvas.saveState()
        accent = colors.HexColor(brand.color)
        canvas.setFillColor(accent)
        canvas.rect(0, PAGE_H - 6 * mm, PAGE_W, 6 * mm, stroke=0, fill=1)
        if first:
            self._letterhead(canvas, accent)
        else:
            canvas.setFont(f"{FONT}-Bold", 8.5)
            canvas.setFillColor(colors.black)
            canvas.drawString(MARGIN_X, PAGE_H - 15 * mm, brand.municipality)
            canvas.setFont(FONT, 8.5)
            canvas.setFillColor(GREY)
            canvas.drawRightString(
                PAGE_W - MARGIN_X, PAGE_H - 15 * mm, f"{meta.title} · {meta.header_right}"
            )
            canvas.setStrokeColor(LINE)
            canvas.line(MARGIN_X, PAGE_H - 18 * mm, PAGE_W - MARGIN_X, PAGE_H - 18 * mm)
        canvas.setStrokeColor(LINE)
        canvas.line(MARGIN_X, 15 * mm, PAGE_W - MARGIN_X, 15 * mm)
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY)
        footer = f"{self.doc.labels.get('document', 'Document')} {meta.document_id} · {meta.form}"
        canvas.drawString(MARGIN_X, 11 * mm, footer)
        if meta.draft:
            self._draft_mark(canvas)
        canvas.restoreState()

    def _letterhead(self, canvas: Canvas, accent: colors.Color) -> None:
        brand = self.doc.branding
        top = PAGE_H - 14 * mm
        x = MARGIN_X
        if brand.logo_path:
            canvas.drawImage(
                brand.logo_path,
                x,
                top - 16 * mm,
                16 * mm,
                16 * mm,
                mask="auto",
                preserveAspectRatio=True,
            )
            x += 20 * mm
        canvas.setFillColor(colors.black)
        canvas.setFont(f"{FONT}-Bold", 14)
        canvas.drawString(x, top - 6 * mm, brand.municipality)
        canvas.setFont(FONT, 9)
        canvas.setFillColor(accent)
        canvas.drawString(x, top - 11 * mm, brand.department)
        canvas.setFillColor(GREY)
        canvas.setFont(FONT, 8)
        y = top - 1 * mm
        for line in (*brand.address, *brand.contact):
            if line:
                canvas.drawRightString(PAGE_W - MARGIN_X, y, line)
                y -= 3.6 * mm

    def _draft_mark(self, canvas: Canvas) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.13))
        canvas.setFont(f"{FONT}-Bold", 96)
        canvas.translate(PAGE_W / 2, PAGE_H / 2)
        canvas.rotate(45)
        canvas.drawCentredString(0, -30, self.doc.labels.get("draft", "CONCEPT"))
        canvas.restoreState()
        canvas.setFont(f"{FONT}-Bold", 8)
        canvas.setFillColor(colors.HexColor("#a61b1b"))
        canvas.drawString(MARGIN_X, 17 * mm, self.doc.labels.get("draft_note", ""))

    # -- flowables ------------------------------------------------------------------------
    def story(self) -> list[Flowable]:
        meta = self.doc.meta
        story: list[Flowable] = [
            NextPageTemplate("later"),
            Paragraph(text(meta.title), self.s["title"]),
            Paragraph(text(meta.subtitle), self.s["subtitle"]),
            self._facts(),
            Spacer(1, 4 * mm),
        ]
        for section in self.doc.sections:
            heading = Paragraph(text(section.title), self.s["h2"])
            body = [f for block in section.blocks for f in self._block(block)]
            if section.new_page:
                story.append(PageBreak())
            if section.keep_together:
                story.append(KeepTogether([heading, *body]))
            else:
                story.extend([CondPageBreak(30 * mm), heading, *body])
        return story

    def _facts(self) -> Table:
        cells = [
            [Paragraph(text(label), self.s["label"]), Paragraph(text(value), self.s["value"])]
            for label, value in self.doc.facts
        ]
        half = (len(cells) + 1) // 2
        left, right = cells[:half], cells[half:]
        rows = [[*left[i], *(right[i] if i < len(right) else ["", ""])] for i in range(half)]
        table = Table(rows, colWidths=[0.2 * TEXT_W, 0.3 * TEXT_W, 0.2 * TEXT_W, 0.3 * TEXT_W])
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("BOX", (0, 0), (-1, -1), 0.5, LINE),
                ]
            )
        )
        return table

    def _block(self, block: d.Block) -> list[Flowable]:
        match block:
            case d.Paragraphs(texts=texts, label=label):
                out: list[Flowable] = [Paragraph(text(label), self.s["label"])] if label else []
                out += [Paragraph(text(t), self.s["body"]) for t in texts if t.strip()]
                return out
            case d.Fields(rows=rows):
                return self._fields(rows)
            case d.Table():
                return self._table(block)
            case d.Signatures():
                return self._signatures(block)

    def _fields(self, rows: Iterable[tuple[str, str]]) -> list[Flowable]:
        out: list[Flowable] = []
        pending: list[list[Paragraph]] = []

        def flush() -> None:
            if pending:
                table = Table(list(pending), colWidths=[0.34 * TEXT_W, 0.66 * TEXT_W])
                table.setStyle(
                    TableStyle(
                        [
                            ("FONTNAME", (0, 0), (-1, -1), FONT),
                            ("VALIGN", (0, 0), (-1, -1), "TOP"),
                            ("LINEBELOW", (0, 0), (-1, -1), 0.3, LINE),
                            ("LEFTPADDING", (0, 0), (0, -1), 0),
                            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                        ]
                    )
                )
                out.append(table)
                pending.clear()

        for label, value in rows:
            if len(value) > LONG_VALUE or value.count("\n") > 6:
                flush()
                out.append(Paragraph(text(label), self.s["label"]))
                out += [
                    Paragraph(text(p), self.s["body"]) for p in value.split("\n\n") if p.strip()
                ]
            else:
                pending.append(
                    [
                        Paragraph(text(label), self.s["label"]),
                        Paragraph(text(value), self.s["value"]),
                    ]
                )
        flush()
        out.append(Spacer(1, 2 * mm))
        return out

    def _table(self, block: d.Table) -> list[Flowable]:
        widths = block.widths or tuple(1 / len(block.headers) for _ in block.headers)
        rows = [[Paragraph(text(h), self.s["th"]) for h in block.headers]]
        rows += [[Paragraph(text(c), self.s["td"]) for c in row] for row in block.rows]
        # splitInRow: a cell taller than a page (a long answer in a group) splits too.
        table = LongTable(
            rows, colWidths=[w * TEXT_W for w in widths], repeatRows=1, splitByRow=1, splitInRow=1
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("GRID", (0, 0), (-1, -1), 0.3, LINE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 4),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        out: list[Flowable] = (
            [Paragraph(text(block.caption), self.s["label"])] if block.caption else []
        )
        return [*out, table, Spacer(1, 3 * mm)]

    def _signatures(self, block: d.Signatures) -> list[Flowable]:
        column = (TEXT_W - 10 * mm) / 2
        cells = []
        for sig in block.blocks:
            labels = self.doc.labels
            cell = [
                Paragraph(text(sig.heading), self.s["th"]),
                Spacer(1, 2 * mm),
                SignatureDrawing(sig.strokes, column - 4 * mm, 22 * mm),
                Paragraph(text(f"{labels.get('name', 'Name')}: {sig.name}"), self.s["td"]),
            ]
            if sig.role:
                cell.append(
                    Paragraph(text(f"{labels.get('role', 'Role')}: {sig.role}"), self.s["td"])
                )
            if sig.note:
                cell.append(Paragraph(text(sig.note), self.s["td"]))
            cell.append(
                Paragraph(
                    text(
                        f"{labels.get('place_date', 'Place and date')}: {sig.place} {sig.date}".rstrip()
                    ),
                    self.s["td"],
                )
            )
            cells.append(cell)
        # Two signers a row: a gezinsplan has the young person, each parent and the consultant.
        rows = [
            cells[i : i + 2] + [""] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)
        ]
        table = Table(rows, colWidths=[column + 5 * mm] * 2)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        out: list[Flowable] = [KeepTogether([table])]
        if block.note:
            out.append(Spacer(1, 3 * mm))
            out.append(Paragraph(text(block.note), self.s["small"]))
        return out

    # -- output ---------------------------------------------------------------------------
    def render(self) -> bytes:
        buffer = io.BytesIO()
        meta = self.doc.meta
        template = BaseDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=TOP,
            bottomMargin=BOTTOM,
            title=meta.title,
            author=meta.author,
            subject=meta.subject,
            creator=f"Kitchentable {__version__}",
            producer=f"Kitchentable {__version__} (reportlab)",
            lang=meta.language,
            invariant=1,
            initialFontName=FONT,
        )
        first = Frame(
            MARGIN_X, BOTTOM, TEXT_W, PAGE_H - FIRST_TOP - BOTTOM, id="first", **NO_PADDING
        )
        later = Frame(MARGIN_X, BOTTOM, TEXT_W, PAGE_H - TOP - BOTTOM, id="later", **NO_PADDING)
        template.addPageTemplates(
            [
                PageTemplate("first", [first], onPage=lambda c, _doc: self._furniture(c, True)),
                PageTemplate("later", [later], onPage=lambda c, _doc: self._furniture(c, False)),
            ]
        )
        page_label = self.doc.labels.get("page", "Page {x} of {y}")

        class Numbered(_NumberedCanvas):
            label = page_label

        template.build(self.story(), canvasmaker=Numbered)
        return buffer.getvalue()


def render_document(document: d.Document) -> bytes:
    return PlanPdf(document).render()
