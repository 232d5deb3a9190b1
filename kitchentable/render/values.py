"""Answers as people read them: option labels, ja/nee, dates in words, units, masked BSN.

Owns formatting a stored answer for a document in one language, using the question it
answers. Every date in a plan reads the same way, written out as Dutch (and English)
letters from the government write it: "30 november 2026" ("30 November 2026"); also a date
a form computes (add_days) or one inside a repeating group. Pure functions; the composer
uses them.
"""

from __future__ import annotations

import re
from datetime import date

from kitchentable.formengine.model import Question, QuestionType
from kitchentable.i18n import N_, translator

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Month names through the catalogue (Dutch in lower case, as Dutch writes them).
MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)


def format_date(value: object, language: str = "nl") -> str:
    """An ISO date (or a date) as "30 november 2026", held together by no-break spaces so a
    narrow column never splits it; anything else as it is."""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    month = translator(language)(MONTHS[day.month - 1])
    return f"{day.day}\u00a0{month}\u00a0{day.year}"


def mask_bsn(bsn: str) -> str:
    """Only the last three digits, as municipalities print them: *****012 is not enough to misuse."""
    digits = "".join(c for c in bsn if c.isdigit())
    return "" if not digits else "•" * (len(digits) - 3) + digits[-3:]


def yes_no(value: object, language: str) -> str:
    if language == "en":
        return "yes" if value else "no"
    return "ja" if value else "nee"


def format_number(value: float | None, language: str) -> str:
    if value is None:
        return ""
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return text.replace(".", ",") if language == "nl" else text


def format_value(question: Question, value: object, language: str) -> str:  # noqa: PLR0911
    if value is None or value in ("", []):
        return ""
    if question.type == QuestionType.YESNO or isinstance(value, bool):
        return yes_no(value, language)  # also a computed "maatwerk nodig": ja, never "True"
    match question.type:
        case QuestionType.DATE:
            return format_date(value, language)
        case QuestionType.CHOICE:
            option = question.option(str(value))
            return option.label.get(language) if option else str(value)
        case QuestionType.MULTICHOICE:
            labels = []
            for item in value if isinstance(value, list) else [value]:
                option = question.option(str(item))
                labels.append(option.label.get(language) if option else str(item))
            return ", ".join(labels)
        case QuestionType.SCALE:
            level = int(value)  # type: ignore[call-overload]
            if 1 <= level <= len(question.levels):
                return f"{level} – {question.levels[level - 1].get(language)}"
            return str(level)
        case QuestionType.NUMBER | QuestionType.COMPUTED if isinstance(
            value, int | float
        ) and not isinstance(value, bool):
            unit = f" {question.unit.get(language)}" if question.unit else ""
            return format_number(value, language) + unit
        case QuestionType.COMPUTED if isinstance(value, str) and ISO_DATE.fullmatch(value):
            return format_date(value, language)  # add_days(...)
        case QuestionType.BSN:
            return mask_bsn(str(value))
        case QuestionType.GROUP:
            return "\n".join(
                "; ".join(
                    f"{f.label.get(language)}: {format_value(f, item.get(f.id), language)}"
                    for f in question.questions
                    if format_value(f, item.get(f.id), language)
                )
                for item in (value if isinstance(value, list) else [])
                if isinstance(item, dict)
            )
    return str(value)
