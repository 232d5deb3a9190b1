"""The two lists of people `report` makes: the sampling frame for the client experience
survey (exactly the inhabitants whose signed plan says they may be asked, also those who got
no maatwerk; owner-only; "not encrypted" said aloud) and the GMSD-shaped list of advised
maatwerk (marked beoogd). And the command's refusals, before any passphrase is asked."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import SCENARIOS
from zgwkit import OFFICE_PASSPHRASE, SignedOffice

from kitchentable.office.cli import main
from kitchentable.office.custody import PASSPHRASE_ENV
from tests.coded_cases import TODAY

PERIOD = ["--from", (TODAY - timedelta(days=200)).isoformat(), "--to", TODAY.isoformat()]


def run(office: SignedOffice, out: Path, *extra: str) -> int:
    return main(["report", "--data", str(office.data), *PERIOD, "--out", str(out), *extra])


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_survey_frame_holds_exactly_the_inhabitants_who_consented(
    reported_office: SignedOffice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, OFFICE_PASSPHRASE)
    out = tmp_path / "frame.csv"
    out.write_text("an older file, readable by all\n")
    out.chmod(0o644)
    assert run(reported_office, out, "--survey-frame") == 0
    printed = capsys.readouterr().out
    assert "NOT encrypted" in printed and "Kerkstraat" not in printed  # no personal data printed
    assert out.stat().st_mode & 0o777 == 0o600
    frame = {r["melding"]: r for r in rows(out)}
    consented = {s.reference: s for s in SCENARIOS if s.signed and s.survey}
    assert set(frame) == set(consented)  # not U02: consent in a conversation never signed
    for reference, scenario in consented.items():
        row = frame[reference]
        assert row["kanaal"] == scenario.survey
        assert row["maatwerk_geadviseerd"] == ("ja" if scenario.maatwerk else "nee")
        assert row["wet"] == scenario.kind
    assert frame["W03"]["maatwerk_geadviseerd"] == "nee"  # those the standard survey misses
    assert (frame["W01"]["naam"], frame["W01"]["contact"]) == (
        "Anna Aalders",
        "Kerkstraat 12, 9601 AB Hoogezand",
    )
    assert (frame["W01"]["straat"], frame["W01"]["postcode"], frame["W01"]["plaats"]) == (
        "Kerkstraat 12",
        "9601 AB",
        "Hoogezand",
    )
    assert frame["W03"]["contact"] == "w03@example.nl"
    assert frame["W05"]["contact"] == "06 12345678"
    assert frame["J01"]["naam"] == "Sandra Visser"  # the family's contact, not the child


def test_the_gmsd_list_holds_every_advised_provision_as_codes_marked_beoogd(
    reported_office: SignedOffice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, OFFICE_PASSPHRASE)
    out = tmp_path / "gmsd.csv"
    assert run(reported_office, out, "--gmsd") == 0
    assert "NOT encrypted" in capsys.readouterr().out
    assert out.stat().st_mode & 0o777 == 0o600
    found = rows(out)
    assert len(found) == sum(len(s.maatwerk) for s in SCENARIOS if s.signed)
    assert {r["status"] for r in found} == {"beoogd"}
    scooter = next(r for r in found if r["productcode"] == "14H01")
    assert (scooter["melding"], scooter["wet"], scooter["productcategorie"]) == ("W11", "wmo", "14")
    assert (scooter["leveringsvorm"], scooter["budget_eurocent"], scooter["volume"]) == (
        "ZIN",
        "240000",
        "",
    )
    help_ = next(r for r in found if r["melding"] == "W04")
    assert (help_["productcategorie"], help_["volume"], help_["eenheid"], help_["frequentie"]) == (
        "02",
        "4",
        "04",
        "2",
    )
    assert help_["bsn"] == "999990019"
    youth = [r for r in found if r["wet"] == "jeugd"]
    assert sorted(r["leveringsvorm"] for r in youth) == ["PGB", "ZIN"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-12-01", "--to", "2026-11-01", "--out", "r.pdf"], "--from is after --to"),
        (["--from", "1-11-2026", "--to", "2026-11-30", "--out", "r.pdf"], "--from must be a date"),
        (["--from", "2026-11-01", "--to", "2026-11-30", "--out", "r.docx"], "--out must end in"),
        (
            ["--from", "2026-11-01", "--to", "2026-11-30", "--out", "f.pdf", "--survey-frame"],
            "--out must end in .csv",
        ),
        (
            ["--from", "2026-11-01", "--to", "2026-11-30", "--out", "nowhere/r.csv"],
            "a file in an existing folder",
        ),
    ],
)
def test_wrong_options_are_refused_in_one_sentence_before_the_passphrase(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--data", str(tmp_path), *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_report_needs_the_office_passphrase(
    reported_office: SignedOffice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    assert run(reported_office, tmp_path / "r.csv") == 1
    assert "No office passphrase" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()
    monkeypatch.setenv(PASSPHRASE_ENV, "not the office passphrase at all")
    assert run(reported_office, tmp_path / "r.csv") == 1
    assert "passphrase is not correct" in capsys.readouterr().err


def test_a_file_is_never_written_through_a_symbolic_link(
    reported_office: SignedOffice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, OFFICE_PASSPHRASE)
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours")
    link = tmp_path / "frame.csv"
    link.symlink_to(target)
    assert run(reported_office, link, "--survey-frame") == 1
    assert "Traceback" not in capsys.readouterr().err
    assert target.read_text() == "not yours"
