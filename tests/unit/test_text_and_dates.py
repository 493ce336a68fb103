from datetime import date

import pytest

from mesodesk.domain.dates import DateOrder, NoSuchDay, age_on, parse_date, read_date
from mesodesk.domain.text import clean_block, clean_line, fold, has_control_chars, name_tokens


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("José", "jose"),
        ("MÜLLER", "muller"),
        ("Łukasz Wójcik", "lukasz wojcik"),
        ("Søren Ødegaard", "soren odegaard"),
        ("Straße", "strasse"),
        ("Παπαδόπουλος", "παπαδοπουλοσ"),
        ("Фёдорова", "федорова"),
        ("Nguyễn", "nguyen"),
        ("Çelik Şahin", "celik sahin"),
    ],
)
def test_fold_is_case_and_accent_blind(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_name_tokens_split_words_and_join_parts() -> None:
    assert name_tokens("O'Brien") == ["o", "brien", "obrien"]
    assert name_tokens("García-López de la Fuente") == [
        "garcia",
        "lopez",
        "garcialopez",
        "de",
        "la",
        "fuente",
    ]


def test_clean_line_and_block() -> None:
    assert clean_line("  Anna   Maria \t") == "Anna Maria"
    assert clean_block("line one  \r\nline two\r\n\r\n") == "line one\nline two"
    assert has_control_chars("a\x00b")
    assert not has_control_chars("a\nb", multiline=True)
    assert has_control_chars("a\nb")


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("24/03/1985", DateOrder.DMY, date(1985, 3, 24)),
        ("24.3.85", DateOrder.DMY, date(1985, 3, 24)),
        ("03/24/1985", DateOrder.MDY, date(1985, 3, 24)),
        ("1985-03-24", DateOrder.MDY, date(1985, 3, 24)),
        ("24031985", DateOrder.DMY, date(1985, 3, 24)),
        ("19850324", DateOrder.DMY, date(1985, 3, 24)),
        ("01/02/07", DateOrder.DMY, date(2007, 2, 1)),
        ("31/02/1985", DateOrder.DMY, None),
        ("24/03", DateOrder.DMY, None),
        ("maria", DateOrder.DMY, None),
    ],
)
def test_parse_date_as_the_clinic_writes_it(
    text: str, order: DateOrder, expected: date | None
) -> None:
    assert parse_date(text, order, today=date(2026, 11, 24)) == expected


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("31/02/1990", DateOrder.DMY, NoSuchDay(1990, 2, 31)),
        ("02/31/1990", DateOrder.MDY, NoSuchDay(1990, 2, 31)),
        ("29.2.91", DateOrder.DMY, NoSuchDay(1991, 2, 29)),
        ("1990-13-01", DateOrder.DMY, NoSuchDay(1990, 13, 1)),
        ("00/01/2020", DateOrder.DMY, NoSuchDay(2020, 1, 0)),
        ("31021990", DateOrder.DMY, NoSuchDay(1990, 2, 31)),
        ("29/02/1992", DateOrder.DMY, date(1992, 2, 29)),
        ("31/02", DateOrder.DMY, None),
        ("31/02/199", DateOrder.DMY, None),
        ("next week", DateOrder.DMY, None),
    ],
)
def test_a_date_in_the_right_form_that_names_no_day_says_so(
    text: str, order: DateOrder, expected: object
) -> None:
    assert read_date(text, order, today=date(2026, 11, 24)) == expected
    assert parse_date(text, order, today=date(2026, 11, 24)) == (
        expected if isinstance(expected, date) else None
    )


def test_no_such_day_knows_its_month() -> None:
    assert NoSuchDay(1990, 2, 31).days_in_month == 28
    assert NoSuchDay(2028, 2, 30).days_in_month == 29
    assert NoSuchDay(2026, 4, 31).days_in_month == 30
    assert NoSuchDay(2026, 13, 1).days_in_month == 0 and not NoSuchDay(2026, 13, 1).month_exists
    assert NoSuchDay(0, 1, 1).days_in_month == 0


def test_two_digit_year_is_in_the_past() -> None:
    assert parse_date("01/01/30", DateOrder.DMY, today=date(2026, 11, 24)) == date(1930, 1, 1)


def test_age() -> None:
    assert age_on(date(1985, 3, 24), date(2026, 3, 23)) == 40
    assert age_on(date(1985, 3, 24), date(2026, 3, 24)) == 41


def test_date_order_formats() -> None:
    d = date(2026, 1, 9)
    assert DateOrder.DMY.show(d) == "09/01/2026"
    assert DateOrder.MDY.show(d) == "01/09/2026"
    assert DateOrder.YMD.show(d) == "2026-01-09"
    assert DateOrder.DMY.show(None) == ""
