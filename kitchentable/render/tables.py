"""Column widths from the words in the cells, so no word has to break inside.

Owns measuring cells (the widest word sets a column's minimum, the longest line its natural
width) and sharing a table's width out: a column never gets less than its widest word
while the table has room, the widths a composer asked for are kept where they allow that,
and otherwise the room goes to the columns with the most text (the automatic table layout
of CSS 2.1, 17.5.2.2). When even the widest words do not fit side by side, each column gets
its share of them and render.paragraphs hyphenates what still does not fit.
Never builds flowables (render.pdf does).
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.styles import ParagraphStyle

from kitchentable.render import fonts
from kitchentable.render import textruns as tr

Cell = tuple[str, ParagraphStyle]


def measure(text: str, style: ParagraphStyle) -> tuple[float, float]:
    """(widest word, longest line) of `text` in `style`, in points."""
    size = style.fontSize
    space = fonts.font(style.fontName).stringWidth(" ", size)
    widest = longest = 0.0
    for line in tr.shape(text, style.fontName).lines:
        widths = [tr.width(word, size) for word in line]
        widest = max([widest, *widths])
        longest = max(longest, sum(widths) + space * max(len(widths) - 1, 0))
    return widest, longest


def _spread(base: list[float], extra: float, weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    if total <= 0:
        return [b + extra / len(base) for b in base]
    return [b + extra * w / total for b, w in zip(base, weights, strict=True)]


def _from_hints(hints: Sequence[float], minimum: list[float], total: float) -> list[float] | None:
    """The composer's fractions, each column raised to its minimum, the room for that taken
    from the columns above theirs; None when there is not enough room."""
    scale = sum(hints)
    wanted = [h / scale * total for h in hints]
    short = sum(max(m - w, 0.0) for w, m in zip(wanted, minimum, strict=True))
    if not short:
        return wanted
    slack = [max(w - m, 0.0) for w, m in zip(wanted, minimum, strict=True)]
    if sum(slack) < short:
        return None
    return [
        max(w, m) - short * s / sum(slack) for w, m, s in zip(wanted, minimum, slack, strict=True)
    ]


def column_widths(
    rows: Sequence[Sequence[Cell]],
    total: float,
    padding: float | Sequence[float],
    hints: Sequence[float] = (),
) -> list[float]:
    """Widths (points, summing to `total`) for a table whose cells are (text, style);
    `padding` is the left plus right padding of a cell, per column or for all."""
    count = max(len(row) for row in rows)
    pads = [padding] * count if isinstance(padding, int | float) else list(padding)
    minimum, natural = [0.0] * count, [0.0] * count
    for row in rows:
        for column, (text, style) in enumerate(row):
            widest, longest = measure(text, style)
            minimum[column] = max(minimum[column], widest + pads[column])
            natural[column] = max(natural[column], longest + pads[column])
    if len(hints) == count and sum(hints) > 0:
        kept = _from_hints(hints, minimum, total)
        if kept is not None:
            return kept
    if sum(natural) <= total:
        return _spread(natural, total - sum(natural), natural)
    if sum(minimum) <= total:
        return _spread(
            minimum, total - sum(minimum), [n - m for n, m in zip(natural, minimum, strict=True)]
        )
    return [m * total / sum(minimum) for m in minimum]
