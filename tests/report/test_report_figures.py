"""`kitchentable-office report`: its figures equal counts made here, independently, from the
known answers of the conversations a real laptop synced (conftest.SCENARIOS), and no small
number (1 to 4) is shown — nor anything it could be worked out from — in the CSV, the HTML
(tables and charts) or the PDF (its text, read with pdftotext)."""

from __future__ import annotations

import csv
import math
import re
import statistics
import subprocess
from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import SCENARIOS
from zgwkit import OFFICE_PASSPHRASE, SignedOffice

from kitchentable.office.cli import main
from kitchentable.office.custody import PASSPHRASE_ENV
from kitchentable.office.report.figures import month_label
from tests.coded_cases import TODAY, Scenario

START, END = TODAY - timedelta(days=200), TODAY
SIGNED = [s for s in SCENARIOS if s.signed]
WMO = [s for s in SIGNED if s.kind == "wmo"]


@pytest.fixture(scope="module")
def outputs(reported_office: SignedOffice, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PASSPHRASE_ENV, OFFICE_PASSPHRASE)
        for name, extra in (
            ("report.csv", []),
            ("report.html", []),
            ("report.pdf", []),
            ("team.csv", ["--team"]),
        ):
            code = main(["report", "--data", str(reported_office.data), "--from", START.isoformat(),
                         "--to", END.isoformat(), "--out", str(folder / name), *extra])  # fmt: skip
            assert code == 0
    layout = subprocess.run(
        ["pdftotext", "-layout", str(folder / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        "csv": _cells(folder / "report.csv"),
        "team": _cells(folder / "team.csv"),
        "html": (folder / "report.html").read_text(encoding="utf-8"),
        "pdf": layout,
        "folder": folder,
    }  # fmt: skip


def _cells(path: Path) -> dict[tuple[str, str, str], str]:
    with path.open(encoding="utf-8") as handle:
        return {(r["tabel"], r["rij"], r["kolom"]): r["waarde"] for r in csv.DictReader(handle)}


# -- what the test counts itself --------------------------------------------------------------


def term_kind(s: Scenario) -> str:
    if s.melding_days_ago <= 42:
        return "within"
    if s.extended_days is not None and s.melding_days_ago <= 42 + s.extended_days:
        return "extended"
    return "later"


def expected() -> dict[tuple[str, str, str], int]:
    """Every count the report should show if nothing were small, keyed like its CSV."""
    counts: dict[tuple[str, str, str], int] = Counter()
    for s in SCENARIOS:
        counts[("activiteit", month_label(s.melding_date), "Meldingen")] += 1
        talk = s.melding_date + timedelta(days=5) if s.signed else TODAY
        counts[("activiteit", month_label(talk), "Gesprekken")] += 1
        if s.signed:
            counts[("activiteit", month_label(TODAY), "Plannen ondertekend")] += 1
    for column in ("Meldingen", "Gesprekken"):
        counts[("activiteit", "Totaal", column)] = len(SCENARIOS)
    counts[("activiteit", "Totaal", "Plannen ondertekend")] = len(SIGNED)
    kinds = Counter(term_kind(s) for s in SIGNED)
    names = {
        "within": "Binnen zes weken",
        "extended": "Binnen de verlengde termijn",
        "later": "Later",
    }
    for row in (month_label(TODAY), "Totaal"):
        for kind, column in names.items():
            counts[("termijn", row, column)] = kinds[kind]
        counts[("termijn", row, "Totaal")] = len(SIGNED)
    steps = {
        "wmo": Counter(step for s in WMO for step in s.steps),
        "jeugd": Counter(step for s in SIGNED if s.kind == "jeugd" for step in s.steps),
    }
    labels = {"eigen_kracht": "Eigen kracht", "maatwerkvoorziening": "Maatwerkvoorziening", "mantelzorg": "Mantelzorg", "eigen_mogelijkheden": "Eigen mogelijkheden van het gezin"}  # fmt: skip
    for law, tally in steps.items():
        for step, label in labels.items():
            if step in tally:
                counts[(f"stappen_{law}", label, "Resultaten")] = tally[step]
        counts[(f"stappen_{law}", "Totaal", "Resultaten")] = sum(tally.values())
    for s in SIGNED:
        for coded in s.maatwerk:
            name = {"01": "01 Hulp bij het huishouden", "02": "02 Begeleiding", "14": "14 Overige hulpmiddelen", "45": "45 Jeugdhulp ambulant"}[coded.category]  # fmt: skip
            column = "Zorg in natura" if coded.delivery == "zin" else "Pgb"
            counts[(f"maatwerk_{s.kind}", name, column)] += 1
            counts[(f"maatwerk_{s.kind}", name, "Totaal")] += 1
            counts[(f"maatwerk_{s.kind}", "Totaal", column)] += 1
            counts[(f"maatwerk_{s.kind}", "Totaal", "Totaal")] += 1
    key = "kerncijfers"
    counts[(key, "Onderzoek binnen zes weken afgerond", "Aantal")] = kinds["within"]
    counts[(key, "Onderzoek binnen zes weken afgerond", "Van")] = len(SIGNED)
    counts[(key, "Cliëntondersteuner betrokken", "Aantal")] = sum(
        s.client_support_involved for s in WMO
    )
    counts[(key, "Cliëntondersteuner betrokken", "Van")] = len(WMO)
    counts[(key, "Persoonlijk plan ontvangen", "Aantal")] = sum(
        s.personal_plan_received for s in WMO
    )
    counts[(key, "Gewezen op cliëntondersteuning", "Aantal")] = len(SIGNED)  # a duty: always
    counts[(key, "Gewezen op het persoonlijk plan", "Aantal")] = len(WMO)
    counts[(key, "Verslag geldt als aanvraag", "Aantal")] = sum(s.application for s in WMO)
    counts[(key, "Plannen zonder maatwerk", "Aantal")] = sum(not s.maatwerk for s in SIGNED)
    counts[(key, "Toestemming voor het cliëntervaringsonderzoek", "Aantal")] = sum(
        bool(s.survey) for s in SIGNED
    )
    counts[(key, "Nog zonder ondertekend plan, termijn verstreken", "Aantal")] = sum(
        1 for s in SCENARIOS if not s.signed and s.melding_days_ago > 42
    )
    return counts  # fmt: skip


# -- the figures ------------------------------------------------------------------------------


def test_every_count_shown_equals_the_count_made_here_and_small_ones_are_hidden(outputs) -> None:
    report = outputs["csv"]
    shown = 0
    for where, value in expected().items():
        found = report[where]
        if 0 < value < 5:
            assert found == "x", (where, value, found)
        else:
            assert found in (str(value), "x"), (where, value, found)
            shown += found == str(value)
    assert shown >= 20  # the suppression keeps what it may show
    # The figures a council asks first are there, equal to the counts made here.
    assert report[("activiteit", "Totaal", "Meldingen")] == str(len(SCENARIOS))
    assert report[("termijn", "Totaal", "Binnen zes weken")] == "10"
    assert (
        report[("kerncijfers", "Onderzoek binnen zes weken afgerond", "Aandeel")]
        == f"{100 * 10 / 19:.0f}%"
    )
    assert report[("stappen_wmo", "Eigen kracht", "Resultaten")] == "10"
    assert report[("stappen_wmo", "Maatwerkvoorziening", "Resultaten")] == "12"
    assert report[("stappen_wmo", "Eigen kracht", "Aandeel")] == f"{100 * 10 / 30:.0f}%"
    assert report[("maatwerk_wmo", "Totaal", "Totaal")] == "12"
    assert report[("kerncijfers", "Gewezen op cliëntondersteuning", "Aandeel")] == "100%"  # fmt: skip


def test_days_from_melding_to_plan_are_the_median_and_nearest_rank_90th_percentile(outputs) -> None:
    waits = sorted(s.melding_days_ago for s in SIGNED)  # signed today
    p90 = waits[math.ceil(0.9 * len(waits)) - 1]
    report = outputs["csv"]
    assert (
        report[("kerncijfers", "Dagen van melding tot plan: mediaan", "Aantal")]
        == f"{statistics.median(waits):.0f}"
    )
    assert report[("kerncijfers", "Dagen van melding tot plan: 90e percentiel", "Aantal")] == f"{p90:.0f}"  # fmt: skip


def test_no_line_that_adds_up_has_exactly_one_hidden_cell(outputs) -> None:
    """Else the hidden cell is the total minus the others: rows and columns with a total,
    and the maatwerk of each law in both its tables."""
    report = outputs["csv"]
    tables: dict[str, dict[tuple[str, str], str]] = {}
    for (table, row, column), value in report.items():
        tables.setdefault(table, {})[(row, column)] = value
    for name in ("termijn", "maatwerk_wmo", "maatwerk_jeugd"):
        cells = tables[name]
        rows = {r for r, _c in cells}
        columns = {c for _r, c in cells}
        for row in rows:
            assert [cells[(row, c)] for c in columns].count("x") != 1, (name, row)
        for column in columns:
            assert [cells[(r, column)] for r in rows].count("x") != 1, (name, column)
    for law in ("wmo", "jeugd"):
        assert report[(f"maatwerk_{law}", "Totaal", "Totaal")] == report[(f"stappen_{law}", "Jeugdhulp (individuele voorziening)" if law == "jeugd" else "Maatwerkvoorziening", "Resultaten")]  # fmt: skip
    # 12 of 19 within six weeks or the extension would give away the 2 within the extension.
    assert report[("kerncijfers", "Binnen zes weken of de verlengde termijn", "Aantal")] == "x"


def test_small_numbers_are_not_in_the_html_tables_or_charts(outputs) -> None:
    page = outputs["html"]
    rows = _html_rows(page)
    assert rows["termijn"][month_label(TODAY)] == ["10", "x", "x", "19"]
    assert rows["kerncijfers"]["Cliëntondersteuner betrokken"] == ["x", "16", "x"]
    assert rows["maatwerk_wmo"]["01 Hulp bij het huishouden"] == ["x", "x", "6"]
    steps_chart = re.search(r'<section id="stappen_wmo">.*?</figure>', page, re.S)
    assert steps_chart is not None
    numbers = re.findall(r">\s*(\d+)\s*</text>", steps_chart.group(0))
    assert sorted(numbers) == ["10", "12"]  # only the shown bars carry a number
    assert steps_chart.group(0).count(">x</text>") == 5  # the five hidden steps


def test_small_numbers_are_not_in_the_pdf_text(outputs) -> None:
    text = outputs["pdf"]
    assert "Monitor keukentafelgesprekken en gezinsplannen" in text and "Pagina 1" in text
    for pattern in (
        rf"{month_label(TODAY)}\s+10\s+x\s+x\s+19",  # the term: 2 extended, 7 later hidden
        r"Cliëntondersteuner betrokken\s+x\s+16\s+x",  # 3 of 16
        r"Verslag geldt als aanvraag\s+x\s+16\s+x",
        r"01 Hulp bij het huishouden\s+x\s+x\s+6",  # 5 zin, 1 pgb
        r"Mantelzorg\s+x\s+x",
        r"Binnen zes weken of de verlengde termijn\s+x\s+19\s+x",
    ):
        assert re.search(pattern, text), pattern
    for leak in (
        r"Binnen de verlengde termijn\s+2\b",
        r"Mantelzorg\s+2\b",
        r"Cliëntondersteuner betrokken\s+3\b",
    ):
        assert not re.search(leak, text), leak  # fmt: skip


def test_per_team_the_rows_add_up_to_the_same_totals(outputs) -> None:
    team = outputs["team"]
    labels = {row for (table, row, _c) in team if table == "activiteit"}
    assert f"{month_label(TODAY)} · Wijkteam Zuid" in labels and "Totaal" in labels
    assert team[("activiteit", "Totaal", "Meldingen")] == str(len(SCENARIOS))
    per_team = Counter(s.team for s in SIGNED)
    for name, number in per_team.items():
        found = team[("activiteit", f"{month_label(TODAY)} · {name}", "Plannen ondertekend")]
        assert found == (str(number) if number >= 5 else "x") or found == "x", (name, found)
    assert (
        team[("activiteit", f"{month_label(TODAY)} · Wijkteam Noord", "Plannen ondertekend")] == "9"
    )


def _html_rows(page: str) -> dict[str, dict[str, list[str]]]:
    """Per section id: each table row's label and cells."""

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: dict[str, dict[str, list[str]]] = {}
            self.section = ""
            self.row: list[str] | None = None
            self.text: str | None = None

        def handle_starttag(self, tag: str, attrs) -> None:
            if tag == "section":
                self.section = dict(attrs).get("id", "")
            elif tag == "tr":
                self.row = []
            elif tag == "td" and self.row is not None:
                self.text = ""

        def handle_data(self, data: str) -> None:
            if self.text is not None:
                self.text += data

        def handle_endtag(self, tag: str) -> None:
            if tag == "td" and self.row is not None and self.text is not None:
                self.row.append(self.text.strip())
                self.text = None
            elif tag == "tr" and self.row:
                self.found.setdefault(self.section, {})[self.row[0]] = self.row[1:]
                self.row = None

    parser = Rows()
    parser.feed(page)
    return parser.found


def test_the_period_counts_only_what_falls_in_it(
    reported_office: SignedOffice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, OFFICE_PASSPHRASE)
    last_month = TODAY.replace(day=1) - timedelta(days=1)
    out = tmp_path / "earlier.csv"
    assert main(["report", "--data", str(reported_office.data), "--from", "2000-01-01", "--to", last_month.isoformat(), "--out", str(out)]) == 0  # fmt: skip
    report = _cells(out)
    before = [s for s in SCENARIOS if s.melding_date <= last_month]
    assert report[("activiteit", "Totaal", "Meldingen")] == str(len(before))
    assert report[("activiteit", "Totaal", "Plannen ondertekend")] == "0"  # all signed today
    assert not any(table.startswith("stappen") for table, _r, _c in report)


def test_dates_are_as_expected_by_the_scenarios() -> None:
    assert all(s.melding_date >= START for s in SCENARIOS) and date.today() == TODAY
