"""The report's tables and how a small number is kept out of all of them at once.

Owns the shape every output reads (a table: title, columns, rows of cells) and the
disclosure rule. A count of 1 to 4 is never shown, and neither is anything it could be
worked out from, in any table of the report:

- primary suppression hides every count from 1 to 4;
- a quantity that appears in two tables is one `Cell` object in both, so hiding it hides it
  everywhere;
- complementary suppression works on every additive line — cells that add up to a total,
  within a table (a row, a column) or across tables (the Wmo and Jeugdwet maatwerk making
  up all maatwerk) — until no line has exactly one hidden cell (else it is the total minus
  the others); it hides a `spare` cell (a figure that repeats others) first, else the
  smallest other non-zero one;
- a share or a number of days follows after that: hidden when its count, its base or its
  complement is hidden or small, or when it rests on fewer than five.

Every hidden cell reads `x`, a small count and a complementary one alike: telling them
apart would let a reader narrow a hidden count down. Never reads received work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SMALL = 5  # counts from 1 up to this (exclusive) are not shown
HIDDEN = "x"  # every hidden cell (CBS writes x for a cell kept secret)

Line = list["Cell"]  # cells, the last one their total


@dataclass(eq=False)  # a cell is a quantity: two cells are the same only when identical
class Cell:
    value: float | None  # None: nothing to show (no base)
    kind: str = "count"  # count | percent | days
    hidden: bool = False
    spare: bool = False  # repeats other figures: hidden first when one more must go

    def text(self) -> str:
        if self.hidden:
            return HIDDEN
        if self.value is None:
            return "–"
        if self.kind == "percent":
            return f"{self.value:.0f}%"
        return f"{self.value:.0f}"

    @property
    def shown(self) -> float | None:
        """The value an output may use (a chart's bar): None when hidden or empty."""
        return None if self.hidden or self.value is None else self.value


@dataclass
class Table:
    key: str  # stable name (CSV)
    title: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    note: str = ""
    chart: str = ""  # "" | "hbars" | "bars" | "stacked"


def small(value: float | None) -> bool:
    return value is not None and 0 < value < SMALL


def count(value: int, spare: bool = False) -> Cell:
    return Cell(float(value), "count", small(value), spare)


def protect(lines: list[Line]) -> None:
    """Complementary suppression over every additive line of the report."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell.hidden for cell in line) != 1:
                continue
            others = [c for c in line if not c.hidden and c.value]
            if others:
                pick = min(others, key=lambda c: (not c.spare, c.value or 0))
                pick.hidden = changed = True


def grid_lines(cells: list[list[Cell]], total_row: bool, total_column: bool) -> list[Line]:
    """The additive lines of a grid whose last row and/or last column holds the totals."""
    lines: list[Line] = []
    if total_column:
        lines += [list(row) for row in cells]
    if total_row and cells:
        lines += [[row[c] for row in cells] for c in range(len(cells[0]))]
    return lines


def share(part: Cell, base: Cell) -> Callable[[], Cell]:
    """The percentage `part` is of `base`, made once suppression is done (the caller puts
    part, the rest and base on a line, so a small rest hides the part or the base)."""

    def make() -> Cell:
        value = 100.0 * (part.value or 0) / base.value if base.value else None
        hidden = part.hidden or base.hidden or (base.value or 0) < SMALL
        return Cell(value, "percent", hidden)

    return make


def days(value: float | None, base: int) -> Cell:
    return Cell(value, "days", value is not None and base < SMALL)
