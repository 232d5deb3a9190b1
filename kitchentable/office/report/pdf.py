"""The report as a PDF for management: Dutch, A4, a page number on every page (reportlab).

Owns the layout: title and period, what the figures are and what they are not (received
signed plans; advice, not decisions; small numbers left out), then per table its chart
(report.charts, drawn as vectors) and the table itself with its note. Text from devices
(team names, product categories' labels) goes into table cells as plain strings, never as
markup. The standard Helvetica font: the report needs nothing the PDF viewer lacks. Never
computes figures.
"""

from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from kitchentable.office.report import words
from kitchentable.office.report.charts import chart
from kitchentable.office.report.figures import Report
from kitchentable.office.report.tables import Table


def render(report: Report, municipality: str = "") -> bytes:
    styles = _styles()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=words.title(municipality),
        author="Kitchentable",
        subject=words.period(report.start, report.end),
    )
    story: list[Flowable] = [
        Paragraph(escape(words.title(municipality)), styles["title"]),
        Paragraph(escape(words.period(report.start, report.end)), styles["subtitle"]),
    ]
    for text in words.introduction(report, date.today()):
        story.append(Paragraph(escape(text), styles["body"]))
    story.append(Spacer(1, 4 * mm))
    for table in report.tables:
        story.append(_section(table, styles))
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def _section(table: Table, styles: dict[str, ParagraphStyle]) -> KeepTogether:
    parts: list[Flowable] = [Paragraph(escape(table.title), styles["heading"])]
    drawing = chart(table)
    if drawing is not None:
        parts += [drawing, Spacer(1, 2 * mm)]
    data = [["", *table.columns]] + [
        [label, *(c.text() for c in cells)] for label, cells in table.rows
    ]
    grid = PdfTable(data, colWidths=[70 * mm] + [None] * len(table.columns), repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5)
                if table.rows and table.rows[-1][0] == "Totaal"
                else ("FONT", (0, -1), (-1, -1), "Helvetica", 8.5),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f6")]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    parts += [grid]
    if table.note:
        parts.append(Paragraph(escape(table.note), styles["note"]))
    parts.append(Spacer(1, 5 * mm))
    return KeepTogether(parts)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=18, alignment=0),
        "subtitle": ParagraphStyle("subtitle", parent=base["Normal"], fontSize=11, spaceAfter=8),
        "heading": ParagraphStyle("heading", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=11.5, spaceBefore=4),
        "body": ParagraphStyle("body", parent=base["Normal"], fontSize=9.5, leading=13, spaceAfter=4),
        "note": ParagraphStyle("note", parent=base["Normal"], fontSize=7.5, leading=10, textColor=colors.HexColor("#444444"), spaceBefore=3),
    }  # fmt: skip


def _footer(canvas: Canvas, document: SimpleDocTemplate) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7.5)
    canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"Pagina {document.page}")
    canvas.drawString(20 * mm, 10 * mm, words.FOOTER)
    canvas.restoreState()
