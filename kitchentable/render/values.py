"""Answers as people read them: option labels, ja/nee, dd-mm-jjjj, units, masked BSN.

Owns formatting a stored answer for a document in one language, using the question it
answers. Pure functions; the composer and the UI both use them.
"""

from __future__ import annotations

from datetime import date

from kitchentable.formengine.model import Question, QuestionType


def format_date(value: object) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d-%m-%Y")
    except ValueError:
        return str(value)


def mask_bsn(bsn: str) -> str:
    """Only the last three digits, as municipalities print them: *****012 is not enough to misuse."""
    digits = "".join(c for c in bsn if c.isdigit())
    return "" if not digits else "•" * (len(digits) - 3) + digits[-3:]


def yes_no(value: object, language: str) -> str:
    if language == "en":
        return "yes" if value else "no"
    return "ja" if value else "nee"


def _number(value: float, language: str) -> str:
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return text.replace(".", ",") if language == "nl" else text


def format_value(question: Question, value: object, language: str) -> str:  # noqa: PLR0911
    if value is None or value in ("", []):
        return ""
    match question.type:
        case QuestionType.YESNO:
            return yes_no(value, language)
        case QuestionType.DATE:
            return format_date(value)
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
            return _number(value, language) + unit
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
