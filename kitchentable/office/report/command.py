"""`kitchentable-office report`: the monitoring report, the GMSD-shaped list and the survey's
sampling frame, made where the office key is.

Owns the command's options (`--from`, `--to`, `--out FILE.pdf|.html|.csv`, `--team`,
`--survey-frame`, `--gmsd`, `--municipality`) and its run: check the options first (one
sentence per mistake), then ask for the office passphrase (the received work must be opened,
so this is an administrator's command like `export` and never part of `serve`), collect the
cases, compute, write the file owner-only and say what was written — and, for the two lists
of people, that the file is not encrypted. Never prints personal data.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kitchentable.office.keys import OfficePrivateKeys
from kitchentable.office.report import files, html, pdf
from kitchentable.office.report.figures import figures
from kitchentable.office.report.records import collect
from kitchentable.office.store import Store

FORMATS = (".pdf", ".html", ".csv")
NOT_ENCRYPTED = (
    "This file is NOT encrypted and holds personal data: keep it on the municipality's "
    "protected storage and delete it when the survey or the delivery is done."
)


class ReportRefused(Exception):
    """Options the report cannot be made with; the message says which and why."""


@dataclass(frozen=True)
class Options:
    start: date
    end: date
    out: Path
    team: bool
    survey_frame: bool
    gmsd: bool
    municipality: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", required=True, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", required=True, help="last day (YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, required=True, help="report.pdf, .html or .csv")
    parser.add_argument("--team", action="store_true", help="per month and team")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--survey-frame",
        action="store_true",
        help="the inhabitants who consented to the client experience survey (CSV)",
    )
    which.add_argument(
        "--gmsd", action="store_true", help="advised maatwerk per inhabitant, GMSD-shaped (CSV)"
    )
    parser.add_argument("--municipality", default="", help="the name on the report")


def options(args: argparse.Namespace) -> Options:
    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    if start > end:
        raise ReportRefused("--from is after --to: the period would be empty.")
    suffix = args.out.suffix.lower()
    if suffix not in FORMATS:
        raise ReportRefused(f"--out must end in {', '.join(FORMATS)}, not {args.out.name!r}.")
    if (args.survey_frame or args.gmsd) and suffix != ".csv":
        raise ReportRefused("--survey-frame and --gmsd write a CSV file: --out must end in .csv.")
    if args.out.is_dir() or not args.out.resolve().parent.is_dir():
        raise ReportRefused(f"--out must be a file in an existing folder: {args.out}.")
    return Options(
        start, end, args.out, args.team, args.survey_frame, args.gmsd, args.municipality.strip()
    )


def run(store: Store, unlock: Callable[[], OfficePrivateKeys], chosen: Options) -> list[str]:
    """Make the file; returns the lines to print."""
    collected = collect(store, unlock())
    lines = []
    if collected.unreadable:
        lines.append(
            f"{collected.unreadable} received version(s) could not be opened and are left out."
        )
    if chosen.survey_frame:
        rows = files.frame_rows(collected.cases, chosen.start, chosen.end)
        files.write_private(chosen.out, files.csv_text(files.FRAME_COLUMNS, rows).encode())
        return [
            *lines,
            f"Sampling frame with {len(rows)} inhabitant(s) who consented: {chosen.out}",
            NOT_ENCRYPTED,
        ]
    if chosen.gmsd:
        rows = files.gmsd_rows(collected.cases, chosen.start, chosen.end)
        files.write_private(chosen.out, files.csv_text(files.GMSD_COLUMNS, rows).encode())
        return [
            *lines,
            f"GMSD-shaped list with {len(rows)} advised (beoogd) provision(s): {chosen.out}",
            NOT_ENCRYPTED,
        ]
    report = figures(collected.cases, chosen.start, chosen.end, chosen.team)
    suffix = chosen.out.suffix.lower()
    if suffix == ".pdf":
        data = pdf.render(report, chosen.municipality)
    elif suffix == ".html":
        data = html.render(report, chosen.municipality).encode("utf-8")
    else:
        data = files.csv_text(files.REPORT_COLUMNS, files.report_rows(report)).encode("utf-8")
    files.write_private(chosen.out, data)
    return [
        *lines,
        f"Report on {report.cases} case(s), {report.plans} plan(s) signed in the period: {chosen.out}",
        "Small numbers (1 to 4), and what they could be worked out from, are left out: x.",
    ]


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ReportRefused(
            f"{option} must be a date written as YYYY-MM-DD, not {text!r}."
        ) from exc
