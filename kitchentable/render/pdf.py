"""Drawing a render.document.Document as an A4 PDF with reportlab (platypus).

Owns the paragraph styles, the page templates and turning blocks into flowables that split
across pages: long values leave table cells (a table row cannot split) and become
paragraphs; table columns are sized from their words (render.tables) so no word breaks
inside. Text of any script goes through render.paragraphs; page furniture and the draft
mark are render.pages. The PDF carries its real creation time and the document's language.
Never decides what is in the plan (render.compose) and never signs (render.seal).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from functools import cache
from itertools import pairwise
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
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
from kitchentable.render import document as d
from kitchentable.render import pages
from kitchentable.render.fonts import BOLD, FONT, register_fonts
from kitchentable.render.pages import GREY, LINE, MARGIN_X, PAGE_H, PAGE_W
from kitchentable.render.paragraphs import paragraph
from kitchentable.render.pdfa import language_tag
from kitchentable.render.tables import column_widths

TOP, BOTTOM = 28 * mm, 22 * mm
FIRST_TOP = 36 * mm  # the letterhead
TEXT_W = PAGE_W - 2 * MARGIN_X
LONG_VALUE = 350  # characters; longer values leave the table so they can cross a page
SHADE = colors.HexColor("#f1f4f7")
NO_PADDING = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}
CELL_PAD = 4  # left and right padding of data-table cells
FIELD_PAD = 6  # reportlab's default cell padding, kept by the label/value tables


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
            "label", parent=base, fontName=BOLD, fontSize=8.5, textColor=GREY, keepWithNext=1
        ),
        "value": ParagraphStyle("value", parent=base, spaceAfter=0),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=GREY),
        "title": ParagraphStyle(
            "title", parent=base, fontName=BOLD, fontSize=17, leading=21, spaceAfter=2
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=10.5, textColor=GREY, spaceAfter=8
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "th": ParagraphStyle(
            "th", parent=base, fontName=BOLD, fontSize=8.5, leading=11, spaceAfter=0
        ),
        "td": ParagraphStyle("td", parent=base, fontSize=9, leading=12, spaceAfter=0),
        "right": ParagraphStyle(
            "right", parent=base, alignment=TA_RIGHT, fontSize=8, leading=10.5, textColor=GREY
        ),
    }


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


class PlanPdf:
    def __init__(self, document: d.Document) -> None:
        self.doc = document
        self.s = styles()
        self.language = document.meta.language

    def para(self, value: str, style: str, width: float | None = TEXT_W) -> Paragraph:
        """User or catalogue text (never markup) as a paragraph `width` points wide."""
        return paragraph(value, self.s[style], width, self.language)

    def _grid(
        self,
        cells: Sequence[Sequence[tuple[str, str]]],
        pads: Sequence[float],
        hints: Sequence[float] = (),
        total: float = TEXT_W,
    ) -> tuple[list[list[Flowable | str]], list[float]]:
        """Rows of (text, style name) as paragraphs in columns sized from their words."""
        measured = [[(text, self.s[style]) for text, style in row] for row in cells]
        widths = column_widths(measured, total, pads, hints)
        rows: list[list[Flowable | str]] = [
            [
                self.para(text, style, widths[i] - pads[i]) if text else ""
                for i, (text, style) in enumerate(row)
            ]
            for row in cells
        ]
        return rows, widths

    # -- flowables ------------------------------------------------------------------------
    def story(self) -> list[Flowable]:
        meta = self.doc.meta
        story: list[Flowable] = [
            NextPageTemplate("later"),
            self.para(meta.title, "title"),
            self.para(meta.subtitle, "subtitle"),
            self._facts(),
            Spacer(1, 4 * mm),
        ]
        for section in self.doc.sections:
            heading = self.para(section.title, "h2")
            body = [f for block in section.blocks for f in self._block(block)]
            if section.new_page:
                story.append(PageBreak())
            if section.keep_together:
                story.append(KeepTogether([heading, *body]))
            else:
                story.extend([CondPageBreak(30 * mm), heading, *body])
        return story

    def _facts(self) -> Table:
        cells = [[(label, "label"), (value, "value")] for label, value in self.doc.facts]
        half = (len(cells) + 1) // 2
        left, right = cells[:half], cells[half:]
        empty = [("", "value"), ("", "value")]
        grid = [[*left[i], *(right[i] if i < len(right) else empty)] for i in range(half)]
        rows, widths = self._grid(grid, [2 * FIELD_PAD] * 4, (0.2, 0.3, 0.2, 0.3))
        table = Table(rows, colWidths=widths)
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
                out: list[Flowable] = [self.para(label, "label")] if label else []
                out += [self.para(t, "body") for t in texts if t.strip()]
                return out
            case d.Fields(rows=rows):
                return self._fields(rows)
            case d.Table():
                return self._table(block)
            case d.Signatures():
                return self._signatures(block)

    def _fields(self, rows: Iterable[tuple[str, str]]) -> list[Flowable]:
        out: list[Flowable] = []
        pending: list[list[tuple[str, str]]] = []

        def flush() -> None:
            if pending:
                # The label column has no left padding: it lines up with the text.
                cells, widths = self._grid(pending, [FIELD_PAD, 2 * FIELD_PAD], (0.34, 0.66))
                table = Table(cells, colWidths=widths)
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
                out.append(self.para(label, "label"))
                out += [self.para(p, "body") for p in value.split("\n\n") if p.strip()]
            else:
                pending.append([(label, "label"), (value, "value")])
        flush()
        out.append(Spacer(1, 2 * mm))
        return out

    def _table(self, block: d.Table) -> list[Flowable]:
        grid = [[(h, "th") for h in block.headers]]
        grid += [[(c, "td") for c in row] for row in block.rows]
        rows, widths = self._grid(grid, [2 * CELL_PAD] * len(block.headers), block.widths)
        # splitInRow: a cell taller than a page (a long answer in a group) splits too.
        table = LongTable(rows, colWidths=widths, repeatRows=1, splitByRow=1, splitInRow=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("GRID", (0, 0), (-1, -1), 0.3, LINE),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        out: list[Flowable] = [self.para(block.caption, "label")] if block.caption else []
        return [*out, table, Spacer(1, 3 * mm)]

    def _signatures(self, block: d.Signatures) -> list[Flowable]:
        column = (TEXT_W - 10 * mm) / 2
        labels = self.doc.labels
        width = column + 5 * mm - FIELD_PAD  # no left padding
        cells = []
        for sig in block.blocks:
            cell: list[Flowable] = [
                self.para(sig.heading, "th", width),
                Spacer(1, 2 * mm),
                SignatureDrawing(sig.strokes, column - 4 * mm, 22 * mm),
                self.para(f"{labels.get('name', 'Name')}: {sig.name}", "td", width),
            ]
            if sig.role:
                cell.append(self.para(f"{labels.get('role', 'Role')}: {sig.role}", "td", width))
            if sig.note:
                cell.append(self.para(sig.note, "td", width))
            where_when = ", ".join(p for p in (sig.place, sig.date) if p)
            # Empty on a draft: a line to fill in by hand. An absent signer (the note says
            # why) signed nowhere and on no date: no line at all.
            if where_when or not sig.note:
                place_date = f"{labels.get('place_date', 'Place and date')}: {where_when}"
                cell.append(self.para(place_date.rstrip(), "td", width))
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
            out.append(self.para(block.note, "small"))
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
            lang=language_tag(meta.language),
            # Not invariant: the file says when it was made (golden tests compare its text).
            invariant=0,
            initialFontName=FONT,
        )
        first = Frame(
            MARGIN_X, BOTTOM, TEXT_W, PAGE_H - FIRST_TOP - BOTTOM, id="first", **NO_PADDING
        )
        later = Frame(MARGIN_X, BOTTOM, TEXT_W, PAGE_H - TOP - BOTTOM, id="later", **NO_PADDING)
        document = self.doc
        template.addPageTemplates(
            [
                PageTemplate(
                    "first", [first], onPage=lambda c, _doc: pages.furniture(c, document, True)
                ),
                PageTemplate(
                    "later", [later], onPage=lambda c, _doc: pages.furniture(c, document, False)
                ),
            ]
        )
        page_label = self.doc.labels.get("page", "Page {x} of {y}")

        class Numbered(pages.NumberedCanvas):
            label = page_label

        template.build(self.story(), canvasmaker=Numbered)
        return buffer.getvalue()


def render_document(document: d.Document) -> bytes:
    return PlanPdf(document).render()
