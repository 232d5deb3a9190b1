"""Turning typed input into stored values: one normal form per question type.

Owns `coerce` (text, numbers, dates, choices, scale levels, BSN, postcode, phone, e-mail,
group items) and `is_empty`. A value either becomes its stored form or is refused with a
sentence for people (InvalidAnswer). Never decides visibility, rules or topics
(formengine.session does).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kitchentable.errors import InvalidAnswer
from kitchentable.formengine import validators
from kitchentable.formengine.model import Question, QuestionType
from kitchentable.i18n import _

_YES = {"ja", "j", "yes", "y", "true", "1"}
_NO = {"nee", "n", "no", "false", "0"}


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def coerce(question: Question, value: object, today: date | None = None) -> object:
    """Turn input (typed text, a widget's value, an imported JSON value) into the stored value.

    Returns None for an empty answer (which clears it). Raises InvalidAnswer with a message
    for people when the value does not fit the question type. `today` reads short dates
    (a two-digit year, no year); it defaults to the real date.
    """
    if is_empty(value):
        return None
    try:
        return _coerce(question, value, today)
    except ValueError as exc:
        raise InvalidAnswer(question=question.id, message=str(exc)) from exc


def _coerce(question: Question, value: Any, today: date | None) -> object:  # noqa: PLR0911, PLR0912
    match question.type:
        case QuestionType.TEXT | QuestionType.LONGTEXT:
            if not isinstance(value, str):
                raise ValueError(_("Text is needed here."))
            if question.keep_last and question.max_length:
                # "The last 4 characters": what was typed or pasted beyond them goes.
                value = value[-question.max_length :]
            if question.max_length and len(value) > question.max_length:
                raise ValueError(_("At most {n} characters.").format(n=question.max_length))
            return value
        case QuestionType.NUMBER:
            number = validators.normalise_number(value, question.decimals)
            if question.min is not None and number < question.min:
                raise ValueError(_("The lowest value is {n}.").format(n=_fmt(question.min)))
            if question.max is not None and number > question.max:
                raise ValueError(_("The highest value is {n}.").format(n=_fmt(question.max)))
            return number
        case QuestionType.DATE:
            return validators.normalise_date(value, today=today, past=question.birth_date)
        case QuestionType.YESNO:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _YES | _NO:
                return value.strip().lower() in _YES
            raise ValueError(_("Answer yes or no."))
        case QuestionType.CHOICE:
            if not isinstance(value, str) or question.option(value) is None:
                raise ValueError(_("Choose one of the options."))
            return value
        case QuestionType.MULTICHOICE:
            chosen = [value] if isinstance(value, str) else value
            if not isinstance(chosen, list | tuple) or any(
                not isinstance(v, str) or question.option(v) is None for v in chosen
            ):
                raise ValueError(_("Choose from the options."))
            return [o.value for o in question.options if o.value in chosen]
        case QuestionType.SCALE:
            level = validators.normalise_number(value, 0)
            if level not in (1, 2, 3, 4, 5):
                raise ValueError(_("Choose a level from 1 to 5."))
            return level
        case QuestionType.BSN:
            return validators.normalise_bsn(str(value))
        case QuestionType.POSTCODE:
            return validators.normalise_postcode(str(value))
        case QuestionType.PHONE:
            return validators.normalise_phone(str(value))
        case QuestionType.EMAIL:
            return validators.normalise_email(str(value))
        case QuestionType.GROUP:
            return _coerce_group(question, value, today)
        case QuestionType.COMPUTED:
            raise ValueError(_("This value is calculated and cannot be typed."))
    raise ValueError(f"unknown type {question.type}")  # pragma: no cover - schema forbids it


def _coerce_group(question: Question, value: Any, today: date | None) -> list[dict[str, object]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(_("A list of entries is needed here."))
    if question.max_items is not None and len(value) > question.max_items:
        raise ValueError(_("At most {n} entries.").format(n=question.max_items))
    items = []
    for item in value:
        unknown = set(item) - {q.id for q in question.questions}
        if unknown:
            raise ValueError(
                _("Unknown field(s): {names}.").format(names=", ".join(sorted(unknown)))
            )
        clean: dict[str, object] = {}
        for field in question.questions:
            if field.type == QuestionType.COMPUTED or is_empty(item.get(field.id)):
                continue
            try:
                clean[field.id] = _coerce(field, item[field.id], today)
            except ValueError as exc:
                raise ValueError(f"{field.label}: {exc}") from exc
        items.append(clean)
    return items


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
