"""The report's own Dutch words: its title, the period, and what its figures are and are not.

Owns the fixed texts every output shares (PDF, HTML), written for a municipal management
team and council in plain Dutch. The report is a Dutch management document by purpose, so
these texts are Dutch here rather than in the app's translation catalogue (the office has
no language setting). Never computes figures.
"""

from __future__ import annotations

from datetime import date

from kitchentable.office.report.figures import MONTHS, Report

FOOTER = "Kitchentable · monitor sociaal domein · x: weggelaten (kleine aantallen, 1 tot en met 4)"


def day(value: date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def title(municipality: str = "") -> str:
    text = "Monitor keukentafelgesprekken en gezinsplannen"
    return f"{text} – {municipality}" if municipality else text


def period(start: date, end: date) -> str:
    return f"Periode: {day(start)} tot en met {day(end)}"


def introduction(report: Report, today: date) -> list[str]:
    return [
        f"Dit overzicht telt wat de gemeente van de consulenten heeft ontvangen: "
        f"{report.cases} zaken, waarvan {report.plans} met een plan dat in deze periode is "
        "ondertekend. Het is gemaakt op " + day(today) + ".",
        "Wat het plan adviseert over maatwerk en jeugdhulp is beoogd: het advies aan het eind "
        "van het onderzoek, nog geen besluit (beschikking) en geen geleverde zorg.",
        "Om inwoners te beschermen staan kleine aantallen (1 tot en met 4) er niet in, en ook "
        "niets waaruit je ze kunt afleiden. Daar staat een x. Ook in de grafieken ontbreken ze.",
        "De afweging per resultaat volgt de wet: eerst eigen kracht, gebruikelijke hulp, "
        "mantelzorg en het netwerk, dan algemene en voorliggende voorzieningen, en pas daarna "
        "maatwerk. Zo is te zien of eigen kracht echt eerst komt.",
    ]
