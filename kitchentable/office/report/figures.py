"""The monitoring figures for one period: what a policy adviser and the municipal council ask.

Owns which case counts where, in Dutch, as tables (report.tables): meldingen (by melding
date), gesprekken (by conversation date) and signed plans per month, optionally per team;
whether the investigation ended within six weeks of the melding, within an agreed
extension, or later, and the days from melding to plan (median and 90th percentile, nearest
rank); client support and the personal plan (family group plan for the Jeugdwet) offered
and used; the results per step of the weighing — own strength first, customised support
last — for the Wmo and the Jeugdwet apart; maatwerk per product category and leveringsvorm;
applications; consent for the client experience survey; cases still without a plan whose
term has passed. It also says which figures add up across the tables, so small numbers stay
out of the report as a whole. Never opens received work (report.records does) and never
formats for a medium (pdf, html, files do).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from kitchentable import codelists
from kitchentable.office.report.records import TERM, Case, Plan
from kitchentable.office.report.tables import (
    Cell,
    Line,
    Table,
    count,
    days,
    grid_lines,
    protect,
    share,
)

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
STEPS = {
    "wmo": (
        ("eigen_kracht", "Eigen kracht"),
        ("gebruikelijke_hulp", "Gebruikelijke hulp"),
        ("mantelzorg", "Mantelzorg"),
        ("sociaal_netwerk", "Sociaal netwerk"),
        ("algemene_voorziening", "Algemene voorziening"),
        ("voorliggende_voorziening", "Voorliggende voorziening"),
        ("maatwerkvoorziening", "Maatwerkvoorziening"),
    ),
    "jeugd": (
        ("eigen_mogelijkheden", "Eigen mogelijkheden van het gezin"),
        ("gebruikelijke_hulp", "Gebruikelijke hulp"),
        ("sociaal_netwerk", "Sociaal netwerk"),
        ("vrij_toegankelijke_voorziening", "Vrij toegankelijke voorziening"),
        ("zvw_wlz", "Zvw of Wlz"),
        ("individuele_voorziening", "Jeugdhulp (individuele voorziening)"),
    ),
}
LAWS = (("wmo", "Wmo 2015"), ("jeugd", "Jeugdwet"))
DELIVERY = (("zin", "Zorg in natura"), ("pgb", "Pgb"), ("", "Niet vastgelegd"))
Key = tuple[tuple[int, int], str]  # (year, month), team


@dataclass
class Report:
    start: date
    end: date
    tables: list[Table]
    cases: int
    plans: int


@dataclass
class _Build:
    """While the figures are made: the additive lines across tables, and the shares that
    wait for suppression to finish."""

    lines: list[Line] = field(default_factory=list)
    later: list[tuple[list[Cell], int, Callable[[], Cell]]] = field(default_factory=list)


def month_label(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def figures(cases: list[Case], start: date, end: date, by_team: bool = False) -> Report:
    def within(day: date | None) -> bool:
        return day is not None and start <= day <= end

    signed = [c for c in cases if c.plan is not None and within(c.plan.signed)]
    build = _Build()
    activity, plan_cells = _activity(cases, within, by_team, build)
    terms, term_total = _terms(signed, by_team, plan_cells, build)
    key = _key_figures(cases, signed, end, term_total, plan_cells.get(None), build)
    tables = [activity, terms, key]
    for law, title in LAWS:
        if any(c.law == law for c in signed):
            steps, last = _steps(signed, law, title, build)
            tables += [steps, _maatwerk(signed, law, title, last, build)]
    protect(build.lines)
    for cells, index, make in build.later:
        cells[index] = make()
    return Report(start, end, tables, len(cases), len(signed))


# -- activity and term ------------------------------------------------------------------------


def _key(day: date, case: Case, by_team: bool) -> Key:
    return (day.year, day.month), case.team if by_team else ""


def _label(key: Key) -> str:
    (year, month), team = key
    text = month_label(date(year, month, 1))
    return f"{text} · {team}" if team else text


def _activity(
    cases: list[Case], within: Callable[[date | None], bool], by_team: bool, build: _Build
) -> tuple[Table, dict[Key | None, Cell]]:
    tallies: dict[Key, list[int]] = {}
    for case in cases:
        for index, day in enumerate(
            (case.melding, case.conversation, case.plan.signed if case.plan else None)
        ):
            if day is not None and within(day):
                tallies.setdefault(_key(day, case, by_team), [0, 0, 0])[index] += 1
    table = Table(
        "activiteit",
        "Meldingen, gesprekken en ondertekende plannen per maand" + (" en team" if by_team else ""),
        ["Meldingen", "Gesprekken", "Plannen ondertekend"],
        note="Een melding telt in de maand van de meldingsdatum, een gesprek in de maand van "
        "het gesprek, een plan in de maand waarin het is ondertekend.",
        chart="" if by_team else "bars",
    )
    cells = _grid(table, tallies, build, total_column=False)
    plans: dict[Key | None, Cell] = {
        k: row[2] for k, row in zip(sorted(tallies), cells[:-1], strict=True)
    }
    plans[None] = cells[-1][2]  # all signed plans: the base of several key figures
    return table, plans


def _terms(
    signed: list[Case], by_team: bool, plans: dict[Key | None, Cell], build: _Build
) -> tuple[Table, list[Cell]]:
    tallies: dict[Key, list[int]] = {}
    for case in signed:
        assert case.plan is not None
        kind = _term_kind(case, case.plan)
        if kind is not None:
            tallies.setdefault(_key(case.plan.signed, case, by_team), [0, 0, 0])[kind] += 1
    table = Table(
        "termijn",
        "Onderzoek afgerond binnen de termijn, per maand van ondertekening"
        + (" en team" if by_team else ""),
        ["Binnen zes weken", "Binnen de verlengde termijn", "Later", "Totaal"],
        note="Zes weken na de melding (Wmo 2015 art. 2.3.2 lid 1), of de termijn die in overleg "
        "met de inwoner is verlengd. Afgerond: het plan is ondertekend.",
        chart="" if by_team else "stacked",
    )
    keys = sorted(tallies)
    rows = [[count(v) for v in tallies[k]] for k in keys]
    totals = [count(sum(tallies[k][i] for k in keys)) for i in range(3)]
    for key, row in [*zip(keys, rows, strict=True), (None, totals)]:
        total = sum(int(c.value or 0) for c in row)
        shared = plans.get(key)  # the same plans as the activity table counts: one cell
        row.append(shared if shared is not None and shared.value == total else count(total))
    cells = [*rows, totals]
    table.rows = [(_label(k), r) for k, r in zip(keys, rows, strict=True)] + [("Totaal", totals)]
    build.lines += grid_lines(cells, total_row=True, total_column=True)
    return table, totals


def _term_kind(case: Case, plan: Plan) -> int | None:
    if case.melding is None:
        return None
    if plan.signed <= case.melding + TERM:
        return 0
    if plan.extended_until is not None and plan.signed <= plan.extended_until:
        return 1
    return 2


def _grid(
    table: Table, tallies: dict[Key, list[int]], build: _Build, total_column: bool
) -> list[list[Cell]]:
    keys = sorted(tallies)
    cells = [[count(v) for v in tallies[k]] for k in keys]
    cells.append([count(sum(tallies[k][i] for k in keys)) for i in range(len(table.columns))])
    table.rows = [(_label(k), row) for k, row in zip(keys, cells[:-1], strict=True)]
    table.rows.append(("Totaal", cells[-1]))
    build.lines += grid_lines(cells, total_row=True, total_column=total_column)
    return cells


# -- key figures ------------------------------------------------------------------------------


def _key_figures(
    cases: list[Case],
    signed: list[Case],
    end: date,
    term_total: list[Cell],
    all_plans: Cell | None,
    build: _Build,
) -> Table:
    table = Table(
        "kerncijfers",
        "Kerncijfers over de ondertekende plannen",
        ["Aantal", "Van", "Aandeel"],
        note="'Van' is het aantal ondertekende plannen waarin het is gevraagd. Kleine aantallen "
        "(1 tot en met 4) en wat je daaruit kunt afleiden staan er niet: x.",
    )
    plans = [c.plan for c in signed if c.plan is not None]
    wmo = [c.plan for c in signed if c.law == "wmo" and c.plan is not None]
    jeugd = [c.plan for c in signed if c.law == "jeugd" and c.plan is not None]

    def add(label: str, part: int | Cell, base: int | Cell) -> Cell:
        part_cell = part if isinstance(part, Cell) else count(part)
        base_cell = base if isinstance(base, Cell) else count(base)
        if not base_cell.value:
            return part_cell
        rest = count(int((base_cell.value or 0) - (part_cell.value or 0)))
        build.lines.append([part_cell, rest, base_cell])
        row = [part_cell, base_cell, Cell(None, "percent")]
        table.rows.append((label, row))
        build.later.append((row, 2, share(part_cell, base_cell)))
        return part_cell

    within, extended, _later, timed = term_total
    add("Onderzoek binnen zes weken afgerond", within, timed)
    either = count(int((within.value or 0) + (extended.value or 0)), spare=True)
    build.lines.append([within, extended, either])
    add("Binnen zes weken of de verlengde termijn", either, timed)
    waits = sorted((c.plan.signed - c.melding).days for c in signed if c.plan and c.melding)
    if waits:
        for label, value in (("mediaan", _median(waits)), ("90e percentiel", _rank(waits, 0.9))):
            table.rows.append(
                (
                    f"Dagen van melding tot plan: {label}",
                    [days(value, len(waits)), timed, Cell(None)],
                )
            )
    overdue = sum(
        1 for c in cases if c.plan is None and c.term_end is not None and c.term_end < end
    )
    table.rows.append(
        (
            "Nog zonder ondertekend plan, termijn verstreken",
            [count(overdue), Cell(None), Cell(None)],
        )
    )
    base = all_plans if all_plans is not None and all_plans.value == len(plans) else len(plans)
    add(
        "Gewezen op cliëntondersteuning",
        _true(plans, "checks.client_support_informed"),
        _asked(plans, "checks.client_support_informed"),
    )
    add(
        "Cliëntondersteuner betrokken",
        _true(wmo, "checks.client_support_involved"),
        _asked(wmo, "checks.client_support_involved"),
    )
    add(
        "Gewezen op het persoonlijk plan",
        _true(wmo, "checks.personal_plan_informed"),
        _asked(wmo, "checks.personal_plan_informed"),
    )
    add(
        "Persoonlijk plan ontvangen",
        _true(wmo, "checks.personal_plan_received"),
        _asked(wmo, "checks.personal_plan_received"),
    )
    add(
        "Familiegroepsplan aangeboden (Jeugdwet)",
        _true(jeugd, "checks.family_plan_offered"),
        _asked(jeugd, "checks.family_plan_offered"),
    )
    wish = [p.text("checks.family_plan_wish") for p in jeugd if p.text("checks.family_plan_wish")]
    add(
        "Familiegroepsplan gewenst of al gemaakt",
        sum(w in ("ja", "al_gemaakt") for w in wish),
        len(wish),
    )
    add(
        "Plannen zonder maatwerk",
        sum(not any(r.needs_decision for r in p.results) for p in plans),
        base,
    )
    applied = add("Verslag geldt als aanvraag", sum(p.application for p in wmo), len(wmo))
    against = add(
        "Aanvraag zonder advies voor maatwerk",
        sum(p.application and not any(r.needs_decision for r in p.results) for p in wmo),
        len(wmo),
    )
    # the applications with maatwerk advised are the difference: small, it must stay hidden
    build.lines.append([against, count(int((applied.value or 0) - (against.value or 0))), applied])
    add("Toestemming voor het cliëntervaringsonderzoek", _true(plans, "consents.survey"), base)
    return table  # fmt: skip


def _true(plans: list[Plan], path: str) -> int:
    return sum(p.flag(path) is True for p in plans)


def _asked(plans: list[Plan], path: str) -> int:
    return sum(p.flag(path) is not None for p in plans)


def _median(values: list[int]) -> float:
    middle = len(values) // 2
    return float(values[middle]) if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _rank(values: list[int], fraction: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return float(values[max(math.ceil(fraction * len(values)), 1) - 1])


# -- results and maatwerk ---------------------------------------------------------------------


def _steps(signed: list[Case], law: str, title: str, build: _Build) -> tuple[Table, Cell]:
    tally = Counter(r.level for c in signed if c.law == law and c.plan for r in c.plan.results)
    steps = STEPS[law]
    cells = [count(tally[step]) for step, _label in steps]
    total = count(sum(tally[step] for step, _label in steps))
    table = Table(
        f"stappen_{law}",
        f"Resultaten per stap van de afweging ({title})",
        ["Resultaten", "Aandeel"],
        note="Per resultaat de eerste stap waarmee het bereikt wordt, in de volgorde van de "
        "afweging: eigen kracht eerst, maatwerk als laatste.",
        chart="hbars",
    )
    for (_step, label), cell in [*zip(steps, cells, strict=True), (("", "Totaal"), total)]:
        row = [cell, Cell(None, "percent")]
        table.rows.append((label, row))
        build.later.append((row, 1, share(cell, total)))
    build.lines.append([*cells, total])
    return table, cells[-1]


def _maatwerk(signed: list[Case], law: str, title: str, step: Cell, build: _Build) -> Table:
    """Per category and leveringsvorm; the categories add up to the weighing's last step."""
    tally: Counter[tuple[str, str]] = Counter()
    for case in signed:
        for result in case.plan.results if case.plan and case.law == law else ():
            if result.needs_decision:
                delivery = result.delivery if result.delivery in ("zin", "pgb") else ""
                tally[(result.category, delivery)] += 1
    used = [(k, label) for k, label in DELIVERY if k or any(d == "" for _c, d in tally)]
    table = Table(
        f"maatwerk_{law}",
        f"Advies voor {'jeugdhulp' if law == 'jeugd' else 'maatwerk'} per productcategorie en "
        f"leveringsvorm ({title})",
        [label for _k, label in used] + ["Totaal"],
        note="Beoogd: het advies in het ondertekende plan, nog geen besluit en geen geleverde "
        f"zorg. Categorieën uit {codelists.CATEGORY_LISTS[law]}.",
        chart="stacked",
    )
    grid: list[list[Cell]] = []
    for category in sorted({c for c, _d in tally}, key=lambda c: (len(c), c)):
        values = [tally[(category, k)] for k, _label in used]
        grid.append([count(v) for v in [*values, sum(values)]])
        table.rows.append((_category_name(category), grid[-1]))
    totals = [count(sum(v for (_c, d), v in tally.items() if d == k)) for k, _label in used]
    grand = step if step.value == sum(tally.values()) else count(sum(tally.values()))
    grid.append([*totals, grand])  # the maatwerk of the weighing: one cell in both tables
    table.rows.append(("Totaal", grid[-1]))
    build.lines += grid_lines(grid, total_row=True, total_column=True)
    return table


def _category_name(code: str) -> str:
    if not code:
        return "Categorie niet vastgelegd"
    law = codelists.law_of_category(code)
    if law is None:
        return code
    return f"{code} {codelists.get(codelists.CATEGORY_LISTS[law]).name_of(code)}"
