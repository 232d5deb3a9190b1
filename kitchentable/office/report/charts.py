"""Charts where people would rather look than read: bars drawn with reportlab's graphics.

Owns turning a table into a `reportlab.graphics` Drawing — one drawing serves the PDF (as a
vector flowable) and the HTML (as inline SVG through `renderSVG`), so both show the same
bars and no second charting library is needed. Horizontal bars for the steps of the
weighing (own strength on top, customised support at the bottom), grouped bars per month,
stacked bars for the term and for maatwerk per category. A hidden (small) number is never
drawn: its bar is left out and `<5` is written where it would be. Never computes figures.
"""

from __future__ import annotations

import re

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from kitchentable.office.report.tables import HIDDEN, Cell, Table

WIDTH = 460.0
FONT = "Helvetica"
PALETTE = (
    colors.HexColor("#1f5f8b"),
    colors.HexColor("#e08a1e"),
    colors.HexColor("#7a7a7a"),
    colors.HexColor("#4c9a5b"),
)
GREY = colors.HexColor("#b8c2cc")
LABEL_WIDTH = 190.0
ROW = 18.0


def chart(table: Table) -> Drawing | None:
    rows = [(label, cells) for label, cells in table.rows if label != "Totaal"]
    if not table.chart or not rows:
        return None
    series = [c for c in table.columns if c != "Totaal"]
    if table.chart == "bars":
        return _grouped(rows, series)
    return _horizontal(rows, series, stacked=table.chart == "stacked")


def svg(drawing: Drawing) -> str:
    """The drawing as an inline <svg> element (no XML declaration or doctype)."""
    text = renderSVG.drawToString(drawing)
    return text[text.index("<svg") :] if "<svg" in text else text


def _horizontal(rows: list[tuple[str, list[Cell]]], series: list[str], stacked: bool) -> Drawing:
    peak = max(
        max(sum(c.shown or 0 for c in cells[: len(series)]), cells[-1].shown or 0)
        if stacked
        else (cells[0].shown or 0)
        for _label, cells in rows
    )
    scale = (WIDTH - LABEL_WIDTH - 70) / peak if peak else 0.0
    legend = 16.0 if stacked and len(series) > 1 else 0.0
    height = ROW * len(rows) + 10 + legend
    drawing = Drawing(WIDTH, height)
    for index, (label, cells) in enumerate(rows):
        y = height - legend - ROW * (index + 1)
        drawing.add(String(0, y + 4, _short(label), fontName=FONT, fontSize=8))
        x = LABEL_WIDTH
        parts = cells[: len(series)] if stacked else cells[:1]
        hidden = any(c.hidden for c in parts)
        whole = cells[-1] if stacked and len(cells) > len(series) else None
        if hidden and whole is not None and whole.shown:
            # some parts are kept out but the row's total is shown: the shown parts in their
            # colour, the rest grey (the table gives that rest too: total minus the shown)
            for number, cell in enumerate(parts):
                if cell.shown:
                    drawing.add(_bar(x, y + 2, cell.shown * scale, ROW - 6, PALETTE[number % 4]))
                    x += cell.shown * scale
            rest = whole.shown - sum(c.shown or 0 for c in parts)
            drawing.add(_bar(x, y + 2, rest * scale, ROW - 6, GREY))
            x += rest * scale
            note = f"{whole.shown:.0f} (grijs: {HIDDEN})"
        else:
            for number, cell in enumerate(parts):
                if cell.shown:
                    width = cell.shown * scale
                    drawing.add(_bar(x, y + 2, width, ROW - 6, PALETTE[number % 4]))
                    x += width
            total = sum(c.shown or 0 for c in parts)
            note = HIDDEN if hidden else (f"{total:.0f}" if total else "0")
        drawing.add(String(x + 4, y + 4, note, fontName=FONT, fontSize=8))
    drawing.add(Line(LABEL_WIDTH, 0, LABEL_WIDTH, height - legend, strokeWidth=0.5))
    if legend:
        _legend(drawing, series, height - 12)
    return drawing


def _grouped(rows: list[tuple[str, list[Cell]]], series: list[str]) -> Drawing:
    height = 170.0
    base, top = 30.0, height - 24
    peak = max((c.shown or 0) for _label, cells in rows for c in cells[: len(series)])
    scale = (top - base) / peak if peak else 0.0
    slot = (WIDTH - 20) / len(rows)
    bar = min(16.0, (slot - 8) / len(series))
    drawing = Drawing(WIDTH, height)
    for index, (label, cells) in enumerate(rows):
        x0 = 20 + index * slot + (slot - bar * len(series)) / 2
        for number, cell in enumerate(cells[: len(series)]):
            x = x0 + number * bar
            if cell.shown is None:
                if cell.hidden:
                    drawing.add(String(x, base + 2, HIDDEN, fontName=FONT, fontSize=6))
                continue
            size = cell.shown * scale
            drawing.add(_bar(x, base, bar - 1, size, PALETTE[number % 4]))
            drawing.add(String(x, base + size + 2, f"{cell.shown:.0f}", fontName=FONT, fontSize=6))
        drawing.add(String(x0, base - 12, _short(label, 18), fontName=FONT, fontSize=7))
    drawing.add(Line(15, base, WIDTH, base, strokeWidth=0.5))
    _legend(drawing, series, height - 12)
    return drawing


def _bar(x: float, y: float, width: float, height: float, color: colors.Color) -> Rect:
    rect = Rect(x, y, width, height)
    rect.fillColor = color
    rect.strokeWidth = 0
    return rect


def _legend(drawing: Drawing, series: list[str], y: float) -> None:
    x = 0.0
    for number, name in enumerate(series):
        drawing.add(_bar(x, y, 8, 8, PALETTE[number % 4]))
        drawing.add(String(x + 11, y + 1, name, fontName=FONT, fontSize=8))
        x += 20 + 4.6 * len(name)


def _short(text: str, limit: int = 40) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
