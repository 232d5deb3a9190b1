"""Checks and normal forms for typed answers: BSN (11-proef), Dutch postcode, phone, e-mail.

Owns value-level rules only; which questions are visible or required is the session's job.
Each `normalise_*` returns the stored form or raises ValueError with a sentence for people.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal

from kitchentable.i18n import _

_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*([A-Za-z]{2})\s*$")
# Letter pairs never issued as postcodes (PostNL): SA, SD and SS.
_POSTCODE_EXCLUDED = {"SA", "SD", "SS"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A + only opens an international number; digits are 0-9 (\d would also take other scripts).
_PHONE_CHARS = re.compile(r"\+?[0-9 ()-]+")
_BSN = re.compile(r"[0-9]{8,9}")
_DATE_TEXT = re.compile(r"[0-9]+(?:[\s./-]+[0-9]+){0,2}")
_DATE_PARTS = re.compile(r"[\s./-]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")


def bsn_is_valid(value: str) -> bool:
    """The 11-proef: 9 digits d1..d9, sum(d_i * (10 - i)) for i=1..8 minus d9 divisible by 11."""
    digits = re.sub(r"[\s.]", "", value)
    if not _BSN.fullmatch(digits):
        return False
    digits = digits.zfill(9)
    if digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    total -= int(digits[8])
    return total % 11 == 0


def normalise_bsn(value: str) -> str:
    digits = re.sub(r"[\s.]", "", value).zfill(9)
    if not bsn_is_valid(value):
        raise ValueError(_("This is not a valid BSN: it must be 9 digits and pass the 11-check."))
    return digits


def normalise_postcode(value: str) -> str:
    match = _POSTCODE.match(value)
    if not match or match.group(2).upper() in _POSTCODE_EXCLUDED:
        raise ValueError(_("This is not a Dutch postcode. Write it as 1234 AB."))
    return f"{match.group(1)} {match.group(2).upper()}"


def normalise_phone(value: str) -> str:
    text = value.strip()
    digits = re.sub(r"\D", "", text)
    if not _PHONE_CHARS.fullmatch(text) or not 10 <= len(digits) <= 15:
        raise ValueError(
            _("This is not a phone number. Write for example 06 12345678 or +31 50 1234567.")
        )
    if not text.startswith("+") and not digits.startswith("0"):
        raise ValueError(_("A Dutch phone number starts with 0, an international one with +."))
    return re.sub(r"\s+", " ", text)


def normalise_email(value: str) -> str:
    text = value.strip()
    if not _EMAIL.match(text) or len(text) > 254:
        raise ValueError(_("This is not an e-mail address. Write it as name@example.nl."))
    return text


def normalise_date(value: object, *, today: dt.date | None = None, past: bool = False) -> str:
    """A date as ISO text, from a date or from what people type: 30-11-2026, 30/11/2026,
    30 11 2026, 30-11-26, 30-11, 30112026, 2026-11-30.

    A two-digit year is read in the hundred years from 80 years before `today` to 20 after
    (a visit, a melding, an evaluation: near now); with `past` (a birth date) in the hundred
    years up to `today`. Without a year, the nearest such day to `today` (with `past`, the
    latest one not after it).
    """
    if isinstance(value, dt.datetime):  # a datetime is a date too, but its isoformat has a time
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        found = _typed_date(value.strip(), today or dt.date.today(), past)
        if found is not None:
            return found.isoformat()
    raise ValueError(_("This is not a date. Write it as dd-mm-yyyy."))


def _typed_date(text: str, today: dt.date, past: bool) -> dt.date | None:
    parts = _DATE_PARTS.split(text) if _DATE_TEXT.fullmatch(text) else []
    if len(parts) == 1:  # digits only: ddmmyyyy, ddmmyy or ddmm
        digits = parts[0]
        parts = [digits[:2], digits[2:4], digits[4:]] if len(digits) in (6, 8) else []
        parts = [digits[:2], digits[2:]] if len(digits) == 4 else parts
    if len(parts) == 3 and len(parts[0]) == 4:  # 2026-11-30, 2026/11/30
        parts = [parts[2], parts[1], parts[0]]
    if len(parts) not in (2, 3) or any(len(p) > 2 for p in parts[:2]):
        return None
    day, month = int(parts[0]), int(parts[1])
    if len(parts) == 2:
        years = [today.year - 1, today.year, today.year + 1]
        return _pick(day, month, years, today, past, nearest=True)
    year = parts[2]
    if len(year) == 4:
        return _date_or_none(int(year), month, day)
    if len(year) != 2:
        return None
    century = today.year // 100 * 100
    years = [century - 100 + int(year), century + int(year), century + 100 + int(year)]
    return _pick(day, month, years, today, past, nearest=False)


def _pick(
    day: int, month: int, years: list[int], today: dt.date, past: bool, nearest: bool
) -> dt.date | None:
    candidates = [d for y in years if (d := _date_or_none(y, month, day)) is not None]
    if past:
        earlier = [d for d in candidates if d <= today]
        return max(earlier) if earlier else None
    if nearest:
        return min(candidates, key=lambda d: (abs((d - today).days), d), default=None)
    low, high = _years_from(today, -80), _years_from(today, 20)
    return next((d for d in candidates if low <= d < high), None)


def _years_from(today: dt.date, years: int) -> dt.date:
    day = today.day if (today.month, today.day) != (2, 29) else 28
    return today.replace(year=today.year + years, day=day)


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def normalise_number(value: object, decimals: int | None = None) -> int | float:
    """A number from a widget or typed text (decimal comma or point), within `decimals`."""
    if isinstance(value, bool):
        raise ValueError(_("A number is needed here."))
    if isinstance(value, int | float):
        number: int | float = value
    elif isinstance(value, str):
        # Plain digits only: float() would also take '1_000', '1e5', 'nan' and 'inf'.
        text = value.strip().replace(",", ".")
        if not _NUMBER.fullmatch(text):
            raise ValueError(_("A number is needed here."))
        try:
            number = float(text) if "." in text else int(text)
        except ValueError as exc:  # more digits than int() converts
            raise ValueError(_("A number is needed here.")) from exc
    else:
        raise ValueError(_("A number is needed here."))
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(_("A number is needed here."))
    if decimals is None or isinstance(number, int):
        return number
    # Through str() so 2.675 rounds the way it was typed, half up, not as its binary double.
    rounded = float(Decimal(str(number)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))
    if decimals == 0:
        # Float noise from a widget (3.0000000000000004) is still a whole number; 4.5 is not.
        if abs(rounded - number) > 1e-9 * max(1.0, abs(number)):
            raise ValueError(_("A whole number is needed here."))
        return int(rounded)
    return rounded
