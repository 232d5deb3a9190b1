"""The report's CSV files and how every report file is written.

Owns three CSV layouts: the report's figures in long form (table, row, column, value; a
hidden small number is `<5` and nothing else), the GMSD-shaped list of advised maatwerk per
inhabitant (marked `beoogd`: the intended support in the signed plan, not delivered care;
columns after the CBS Gemeentelijke Monitor Sociaal Domein's Wmo file as far as known: BSN,
product category, leveringsvorm, start, end, omvang), and the sampling frame for the
client experience survey (only inhabitants who consented, with or without maatwerk). Cells
a spreadsheet would run as a formula are neutralised. Every file is written owner-only
(0600), never through a symbolic link. Never computes figures.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from kitchentable.office.export import neutral
from kitchentable.office.report.figures import Report
from kitchentable.office.report.records import Case

REPORT_COLUMNS = ("tabel", "titel", "rij", "kolom", "waarde")
GMSD_COLUMNS = (
    "status", "bsn", "wet", "productcategorie", "productcode", "leveringsvorm",
    "begindatum", "einddatum", "volume", "eenheid", "frequentie", "budget_eurocent",
    "melding", "plan_ondertekend",
)  # fmt: skip
FRAME_COLUMNS = (
    "naam", "straat", "postcode", "plaats", "kanaal", "contact", "wet",
    "maatwerk_geadviseerd", "melding", "plan_ondertekend",
)  # fmt: skip


def report_rows(report: Report) -> list[dict[str, str]]:
    return [
        {"tabel": t.key, "titel": t.title, "rij": label, "kolom": column, "waarde": cell.text()}
        for t in report.tables
        for label, cells in t.rows
        for column, cell in zip(t.columns, cells, strict=True)
    ]


def signed_in(cases: Iterable[Case], start: date, end: date) -> list[Case]:
    return [c for c in cases if c.plan is not None and start <= c.plan.signed <= end]


def gmsd_rows(cases: Iterable[Case], start: date, end: date) -> list[dict[str, Any]]:
    rows = []
    for case in signed_in(cases, start, end):
        assert case.plan is not None
        for result in case.plan.results:
            if not (result.needs_decision and result.category):
                continue
            rows.append(
                {
                    "status": "beoogd",
                    "bsn": _text(case.person.get("bsn")),
                    "wet": case.law,
                    "productcategorie": result.category,
                    "productcode": result.product,
                    "leveringsvorm": result.delivery.upper(),
                    "begindatum": result.start,
                    "einddatum": result.end,
                    "volume": _number(result.volume),
                    "eenheid": result.unit if result.volume is not None else "",
                    "frequentie": result.frequency if result.volume is not None else "",
                    "budget_eurocent": round(result.budget * 100) if result.budget else "",
                    "melding": case.reference,
                    "plan_ondertekend": case.plan.signed.isoformat(),
                }
            )
    return rows


def frame_rows(cases: Iterable[Case], start: date, end: date) -> list[dict[str, Any]]:
    """Everyone whose plan (signed in the period) says they may be asked about their
    experience, with the channel they chose — also those who got no maatwerk."""
    rows = []
    for case in signed_in(cases, start, end):
        plan = case.plan
        assert plan is not None
        if plan.flag("consents.survey") is not True:
            continue
        channel = plan.text("consents.survey_channel")
        address = case.person.get("address")
        address = address if isinstance(address, Mapping) else {}
        street, postcode, city = (_text(address.get(k)) for k in ("street", "postcode", "city"))
        contact = {
            "post": f"{street}, {postcode} {city}".strip(", "),
            "email": plan.text("consents.survey_email") or _text(case.person.get("email")),
            "telefoon": plan.text("consents.survey_phone") or _text(case.person.get("phone")),
        }.get(channel, "")
        rows.append(
            {
                "naam": plan.text("consents.survey_name") or _text(case.person.get("name")),
                "straat": street,
                "postcode": postcode,
                "plaats": city,
                "kanaal": channel,
                "contact": contact,
                "wet": case.law,
                "maatwerk_geadviseerd": "ja"
                if any(r.needs_decision for r in plan.results)
                else "nee",
                "melding": case.reference,
                "plan_ondertekend": plan.signed.isoformat(),
            }
        )
    return rows


def csv_text(columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutral(row.get(column, "")) for column in columns])
    return buffer.getvalue()


def write_private(path: Path, data: bytes) -> None:
    """An owner-only file (0600, also when it existed), never through a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data)
    finally:
        if fd != -1:
            os.close(fd)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
