"""The coded advice per result in words: what, how much, how often, how long.

Owns turning a result's codes (product category, the municipality's product, volume with
unit and frequency, or a budget, the intended start and end) into the words its reader
reads — "2,5 uur per week", "een budget van € 1.250,00", "van 1 december 2026 tot en met
30 november 2027" (the annex shows the codes: render.annex). A plan made before
the advice was coded keeps its own words (extent, duration). Never reads storage.
"""

from __future__ import annotations

from kitchentable.domain.plan import Result
from kitchentable.formengine.model import Form
from kitchentable.render.annex import result_value
from kitchentable.render.values import format_date, format_number
from kitchentable.render.wording import Say


def what(result: Result, form: Form, language: str) -> str:
    """The kind in words: the category, the municipality's product after it."""
    category = result_value(form, "category", result.category, language)
    product = result_value(form, "product", result.product, language)
    kind = category or result_value(form, "support_kind", result.support_kind, language)
    return ": ".join(x for x in (kind, product if product != result.product else "") if x)


def amount(result: Result, say: Say) -> str:
    """How much and how often; a budget as an amount; else the words the plan had."""
    if result.budget is not None:
        return say("A budget of {amount}").format(amount=euros(result.budget, say.language))
    if result.volume is None or not result.unit:
        return result.extent
    number = format_number(result.volume, say.language)
    unit = unit_words(say, result.unit, result.volume == 1)
    often = frequency_words(say, result.frequency)
    return " ".join(x for x in (number, unit, often) if x)


def euros(amount: float, language: str) -> str:
    """€ 1.250,00 in Dutch, €1,250.00 in English (cents always, as on a decision)."""
    text = f"{amount:,.2f}"
    if language == "en":
        return f"€{text}"
    return "€\u00a0" + text.replace(",", " ").replace(".", ",").replace(" ", ".")


def period(result: Result, say: Say) -> str:
    """From the intended start to the intended end; without an end, from the start on."""
    start = format_date(result.start_date, say.language) if result.start_date else ""
    end = format_date(result.end_date, say.language) if result.end_date else ""
    if start and end:
        return say("From {start} up to and including {end}").format(start=start, end=end)
    if end:
        return say("Up to and including {end}").format(end=end)
    if start and (result.category or result.volume is not None or result.budget is not None):
        return say("From {start}, without an end date").format(start=start)
    return result.duration


def unit_words(say: Say, code: str, one: bool) -> str:  # noqa: PLR0911 - one word per code
    """A WJ756 unit as counted words (1 uur, 2 uur; 1 dagdeel, 2 dagdelen)."""
    match code:
        case "01":
            return say("minute") if one else say("minutes")
        case "04":
            return say("hour") if one else say("hours")
        case "14":
            return say("day and night (24 hours)") if one else say("days and nights (24 hours)")
        case "16":
            return say("half-day (4 hours)") if one else say("half-days (4 hours)")
        case "82" | "84":
            return say("piece") if one else say("pieces")
        case "83":
            return say("euro") if one else say("euros")
    return code


def frequency_words(say: Say, code: str) -> str:
    """A WMO757 frequency as words after an amount."""
    return {
        "1": say("a day"),
        "2": say("a week"),
        "4": say("a month"),
        "6": say("in total, for the whole period"),
    }.get(code, code)
