"""Value rules for typed answers: BSN 11-proef, postcode, phone, e-mail, dates and numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from kitchentable.formengine.validators import (
    bsn_is_valid,
    normalise_bsn,
    normalise_date,
    normalise_email,
    normalise_number,
    normalise_phone,
    normalise_postcode,
)

# -- BSN ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bsn", ["999990019", "111222333", "123456782", "999 99 0019", "9999.90.019"]
)
def test_bsn_that_passes_the_11_proef_is_valid(bsn: str) -> None:
    assert bsn_is_valid(bsn)


@pytest.mark.parametrize(
    "bsn",
    [
        "123456789",  # fails the 11-proef
        "999990018",  # one digit off
        "000000000",  # passes the arithmetic, never issued
        "00000000",
        "1234567",  # too short
        "9999900190",  # too long
        "99999001A",  # letters
        "abcdefghi",
        "",
        "12345678²",  # a superscript digit is a digit to str.isdigit(), not to int()
        "٩٩٩٩٩٠٠١٩",  # Arabic-Indic digits of 999990019: a BSN is written in 0-9
        "-99999001",
    ],
)
def test_bsn_that_fails_is_refused(bsn: str) -> None:
    assert not bsn_is_valid(bsn)
    with pytest.raises(ValueError, match="not a valid BSN"):
        normalise_bsn(bsn)


def test_bsn_is_stored_as_nine_plain_digits() -> None:
    assert normalise_bsn(" 9999.90.019 ") == "999990019"
    assert normalise_bsn("111 222 333") == "111222333"


def test_eight_digit_bsn_gets_its_leading_zero() -> None:
    # Old BSNs were issued with 8 digits; the 11-proef works on the zero-padded form.
    assert bsn_is_valid("12345672")
    assert normalise_bsn("12345672") == "012345672"


# -- postcode -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("9601AB", "9601 AB"),
        ("9601 AB", "9601 AB"),
        ("9601ab", "9601 AB"),
        (" 9601  ab ", "9601 AB"),
        ("1000 AA", "1000 AA"),
    ],
)
def test_postcode_is_stored_as_four_digits_space_two_capitals(typed: str, stored: str) -> None:
    assert normalise_postcode(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "0123 AB",
        "960 AB",
        "96011 AB",
        "9601 A",
        "9601 ABC",
        "9601 SA",
        "9601 sd",
        "9601SS",
        "AB 9601",
        "",
    ],
)
def test_postcode_that_is_not_dutch_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="not a Dutch postcode"):
        normalise_postcode(typed)


# -- phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12345678", "06 12345678"),
        ("0612345678", "0612345678"),
        ("+31 50 1234567", "+31 50 1234567"),
        ("050-1234567", "050-1234567"),
        ("(050) 123 45 67", "(050) 123 45 67"),
        ("  06   12345678 ", "06 12345678"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),
    ],
)
def test_phone_numbers_people_write_are_accepted(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["12345", "06-1234", "bel me", "06 1234abcd", "612345678", "06+12345678", "+31 50 12+34567"],
)
def test_phone_that_is_not_a_number_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(typed)


# -- e-mail ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["an@example.nl", " an.de.vries+wmo@gemeente.groningen.nl ", "zoë@exämple.nl"]
)
def test_email_address_is_accepted(typed: str) -> None:
    assert normalise_email(typed) == typed.strip()


@pytest.mark.parametrize(
    "typed", ["an", "an@", "@example.nl", "an@example", "an de vries@example.nl", "an@@example.nl"]
)
def test_text_that_is_not_an_email_address_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="not an e-mail address"):
        normalise_email(typed)


# -- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2026-03-15", "2026-03-15"),
        ("15-03-2026", "2026-03-15"),
        ("15/03/2026", "2026-03-15"),
        ("5-3-2026", "2026-03-05"),
        (" 2024-02-29 ", "2024-02-29"),
        (dt.date(2026, 3, 15), "2026-03-15"),
        (dt.datetime(2026, 3, 15, 14, 30), "2026-03-15"),
    ],
)
def test_dates_are_stored_as_iso(typed: object, stored: str) -> None:
    assert normalise_date(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["gisteren", "2026-02-30", "31-04-2026", "15-03-2", "15-03-202", "1-2-3-4", "", 20260315, None],
)
def test_nonsense_date_is_refused(typed: object) -> None:
    with pytest.raises(ValueError, match="not a date"):
        normalise_date(typed)


NOV_1 = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("30-11-26", "2026-11-30"),
        ("30-11", "2026-11-30"),
        ("30 11 2026", "2026-11-30"),
        ("30/11/2026", "2026-11-30"),
        ("30.11.26", "2026-11-30"),
        ("30112026", "2026-11-30"),
        ("301126", "2026-11-30"),
        ("2026/11/30", "2026-11-30"),
        ("15-03-26", "2026-03-15"),
        ("30-11-80", "1980-11-30"),  # 80 years back is still near: a melding of long ago
        ("30-11-45", "2045-11-30"),  # up to 20 years ahead: an evaluation, an end date
        ("30-11-47", "1947-11-30"),
        ("3-1", "2027-01-03"),  # without a year: the nearest such day
        ("29-2-28", "2028-02-29"),
    ],
)
def test_short_dates_are_read_near_today(typed: str, stored: str) -> None:
    assert normalise_date(typed, today=NOV_1) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("30-11-26", "1926-11-30"),  # not yet 30 November 2026: a birth date is in the past
        ("01-11-26", "2026-11-01"),  # born today
        ("15-03-50", "1950-03-15"),
        ("15-03-12", "2012-03-15"),
        ("30-11", "2025-11-30"),
    ],
)
def test_short_birth_dates_are_read_in_the_past(typed: str, stored: str) -> None:
    assert normalise_date(typed, today=NOV_1, past=True) == stored


# -- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("12", 12),
        ("-3", -3),
        ("1,5", 1.5),
        ("1.5", 1.5),
        (" 2,25 ", 2.25),
        (7, 7),
        (7.5, 7.5),
    ],
)
def test_numbers_accept_a_decimal_comma(typed: object, stored: float) -> None:
    number = normalise_number(typed)
    assert number == stored
    assert type(number) is type(stored)


@pytest.mark.parametrize(
    "typed", ["twaalf", "1.234,5", "1_000", "1e5", "nan", "inf", "-Infinity", "", True, None, [1]]
)
def test_text_that_is_not_a_number_is_refused(typed: object) -> None:
    with pytest.raises(ValueError, match="number is needed"):
        normalise_number(typed)


def test_whole_number_question_refuses_a_fraction_and_keeps_whole_floats() -> None:
    assert normalise_number("4,0", decimals=0) == 4
    assert type(normalise_number(4.0, decimals=0)) is int
    with pytest.raises(ValueError, match="whole number"):
        normalise_number("4,5", decimals=0)


def test_number_is_rounded_half_up_to_the_decimals_the_question_allows() -> None:
    assert normalise_number("1,25", decimals=2) == 1.25
    assert normalise_number("1,25", decimals=1) == 1.3
    assert normalise_number("2,675", decimals=2) == 2.68
    assert normalise_number(0.1 + 0.2, decimals=1) == 0.3
    assert normalise_number(3.0000000000000004, decimals=0) == 3


def test_number_with_more_digits_than_python_converts_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="number is needed"):
        normalise_number("9" * 5000)
