"""What every page of a plan carries around its text: letterhead, header, footer, page x of
y, and on a draft the CONCEPT mark.

Owns drawing single lines on the canvas (any script: render.textruns), the page furniture,
the "page x of y" canvas (it holds pages back until the total is known), and the draft mark:
drawn as glyph outlines (vector paths from HarfBuzz, once per document as a form) inside an
/Artifact marked-content sequence, so it is plainly visible on every page but not part of
the text layer: copying or extracting a draft's text never picks up "CONCEPT".
Never decides what a page says (render.compose) or lays out the story (render.pdf).
"""

from __future__ import annotations

from typing import Any

import uharfbuzz as hb
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from kitchentable.render import document as d
from kitchentable.render import fonts
from kitchentable.render import textruns as tr

PAGE_W, PAGE_H = A4
MARGIN_X = 20 * mm
GREY = colors.HexColor("#5b6470")
LINE = colors.HexColor("#c9d1da")
DRAFT_RED = colors.HexColor("#a61b1b")
DRAFT_FORM = "KTDraftMark"


def draw_line(
    canvas: Canvas, x: float, y: float, text: str, face: str, size: float, align: str = "left"
) -> float:
    """One line of text at (x, y), aligned left, right or centre on x; returns its width."""
    pieces = tr.line_pieces(text, face)
    width = sum(fonts.font(p.font).stringWidth(p.glyphs, size) for p in pieces)
    start = {"left": x, "right": x - width, "centre": x - width / 2}[align]
    line = canvas.beginText(start, y)
    for piece in pieces:
        line.setFont(piece.font, size)
        line.textOut(piece.glyphs)
    canvas.drawText(line)
    return width


class _OutlinePen:
    """HarfBuzz's glyph outline (font units) onto a reportlab path (points)."""

    def __init__(self, path: PDFPathObject, x: float, y: float, scale: float) -> None:
        self.path, self.x, self.y, self.scale = path, x, y, scale
        self.current = (0.0, 0.0)

    def _pt(self, point: tuple[float, float]) -> tuple[float, float]:
        return self.x + point[0] * self.scale, self.y + point[1] * self.scale

    def moveTo(self, point: tuple[float, float]) -> None:
        self.current = self._pt(point)
        self.path.moveTo(*self.current)

    def lineTo(self, point: tuple[float, float]) -> None:
        self.current = self._pt(point)
        self.path.lineTo(*self.current)

    def curveTo(self, *points: tuple[float, float]) -> None:
        (x1, y1), (x2, y2), (x3, y3) = (self._pt(p) for p in points)
        self.path.curveTo(x1, y1, x2, y2, x3, y3)
        self.current = (x3, y3)

    def qCurveTo(self, *points: tuple[float, float]) -> None:
        (qx, qy), (x, y) = (self._pt(p) for p in points)
        (sx, sy) = self.current
        self.path.curveTo(
            sx + 2 / 3 * (qx - sx),
            sy + 2 / 3 * (qy - sy),
            x + 2 / 3 * (qx - x),
            y + 2 / 3 * (qy - y),
            x,
            y,
        )
        self.current = (x, y)

    def closePath(self) -> None:
        self.path.close()


def outline_text(
    canvas: Canvas, text: str, face: str, size: float, x: float, y: float, centre: bool = True
) -> float:
    """`text` as filled glyph outlines (no text object), centred on x or starting there."""
    font = fonts.font(face)
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font.hb_font, buffer, {"kern": True})
    scale = size / font.upem
    width = float(sum(p.x_advance for p in buffer.glyph_positions) * scale)
    path = canvas.beginPath()
    pen_x = x - width / 2 if centre else x
    for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
        pen = _OutlinePen(
            path, pen_x + position.x_offset * scale, y + position.y_offset * scale, scale
        )
        font.hb_font.draw_glyph_with_pen(info.codepoint, pen)
        pen_x += position.x_advance * scale
    canvas.drawPath(path, stroke=0, fill=1)
    return width


def draft_mark(canvas: Canvas, mark: str, note: str) -> None:
    """The diagonal mark and the footer note of a draft: paths, marked as an artifact.

    The mark is one form for the whole document; its transparency is set on the page (a
    form's own resources would need the graphics state too)."""
    if not canvas.hasForm(DRAFT_FORM):
        canvas.beginForm(DRAFT_FORM)
        canvas.setFillColor(colors.Color(0.75, 0.1, 0.1))
        canvas.translate(PAGE_W / 2, PAGE_H / 2)
        canvas.rotate(45)
        outline_text(canvas, mark, fonts.BOLD, 96, 0, -30)
        canvas.endForm()
    canvas.addLiteral("/Artifact BMC")
    canvas.saveState()
    canvas.setFillAlpha(0.13)
    canvas.doForm(DRAFT_FORM)
    canvas.restoreState()
    if note:
        canvas.setFillColor(DRAFT_RED)
        outline_text(canvas, note, fonts.BOLD, 8, MARGIN_X, 17 * mm, centre=False)
    canvas.addLiteral("EMC")


class NumberedCanvas(Canvas):
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
            self.setFillColor(GREY)
            draw_line(
                self,
                PAGE_W - MARGIN_X,
                11 * mm,
                self.label.format(x=number, y=total),
                fonts.FONT,
                7.5,
                "right",
            )
            super().showPage()
        super().save()


def furniture(canvas: Canvas, doc: d.Document, first: bool) -> None:
    """Accent bar, letterhead (first page) or running header, footer, and the draft mark."""
    meta, brand = doc.meta, doc.branding
    canvas.saveState()
    accent = colors.HexColor(brand.color)
    canvas.setFillColor(accent)
    canvas.rect(0, PAGE_H - 6 * mm, PAGE_W, 6 * mm, stroke=0, fill=1)
    if first:
        letterhead(canvas, brand, accent)
    else:
        canvas.setFillColor(colors.black)
        draw_line(canvas, MARGIN_X, PAGE_H - 15 * mm, brand.municipality, fonts.BOLD, 8.5)
        canvas.setFillColor(GREY)
        right = f"{meta.title} · {meta.header_right}"
        draw_line(canvas, PAGE_W - MARGIN_X, PAGE_H - 15 * mm, right, fonts.FONT, 8.5, "right")
        canvas.setStrokeColor(LINE)
        canvas.line(MARGIN_X, PAGE_H - 18 * mm, PAGE_W - MARGIN_X, PAGE_H - 18 * mm)
    canvas.setStrokeColor(LINE)
    canvas.line(MARGIN_X, 15 * mm, PAGE_W - MARGIN_X, 15 * mm)
    canvas.setFillColor(GREY)
    footer = f"{doc.labels.get('document', 'Document')} {meta.document_id} · {meta.form}"
    draw_line(canvas, MARGIN_X, 11 * mm, footer, fonts.FONT, 7.5)
    if meta.draft:
        draft_mark(canvas, doc.labels.get("draft", "CONCEPT"), doc.labels.get("draft_note", ""))
    canvas.restoreState()


def letterhead(canvas: Canvas, brand: d.Branding, accent: colors.Color) -> None:
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
    draw_line(canvas, x, top - 6 * mm, brand.municipality, fonts.BOLD, 14)
    canvas.setFillColor(accent)
    draw_line(canvas, x, top - 11 * mm, brand.department, fonts.FONT, 9)
    canvas.setFillColor(GREY)
    y = top - 1 * mm
    for line in (*brand.address, *brand.contact):
        if line:
            draw_line(canvas, PAGE_W - MARGIN_X, y, line, fonts.FONT, 8, "right")
            y -= 3.6 * mm
