"""The disclosure rule on its own: small counts hidden, and every line that adds up to a
total left with none or at least two hidden cells, across tables too."""

from __future__ import annotations

from kitchentable.office.report.tables import Cell, count, days, grid_lines, protect, share


def test_a_line_with_one_small_cell_loses_its_smallest_other_cell() -> None:
    zin, pgb, total = count(5), count(1), count(6)
    protect([[zin, pgb, total]])
    assert (zin.text(), pgb.text(), total.text()) == ("x", "x", "6")


def test_a_spare_figure_goes_before_a_smaller_real_one() -> None:
    within, extended, either = count(10), count(2), count(12, spare=True)
    protect([[within, extended, either]])
    assert (within.text(), extended.text(), either.text()) == ("10", "x", "x")


def test_hiding_spreads_through_shared_cells_and_crossing_lines() -> None:
    grid = [[count(5), count(1), count(6)], [count(7), count(0), count(7)]]
    totals = [count(12), count(1), count(13)]
    step = totals[2]  # the same quantity in another table: one cell
    other_law, everything = count(2), count(15)
    protect([*grid_lines([*grid, totals], True, True), [step, other_law, everything]])
    for line in [*grid_lines([*grid, totals], True, True), [step, other_law, everything]]:
        assert sum(cell.hidden for cell in line) != 1
    assert all(cell.text() in ("x", "0") or cell.value >= 5 for row in grid for cell in row)
    assert step.hidden == (step.text() == "x")


def test_shares_and_days_follow_what_they_rest_on() -> None:
    part, base = count(3), count(20)
    assert share(part, base)().text() == "x"
    assert share(count(10), count(20))().text() == "50%"
    assert share(count(0), count(3))().text() == "x"  # a base below five
    assert days(12.0, 4).text() == "x" and days(12.0, 5).text() == "12"
    assert Cell(None).text() == "–"
