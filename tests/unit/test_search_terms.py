from datetime import date

import pytest

from mesodesk.domain.dates import DateOrder
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.search import parse_search, patient_tokens, phone_tokens, prefix_entries


def terms(text: str, order: DateOrder = DateOrder.DMY) -> tuple[tuple[str, ...], tuple[date, ...]]:
    t = parse_search(text, order, date(2026, 11, 24))
    return t.prefixes, t.birth_dates


def test_words_are_folded() -> None:
    assert terms("José  MÜL") == (("jose", "mul"), ())


def test_joined_names_and_separators() -> None:
    assert terms("O'Brien") == (("obrien",), ())
    assert terms("garcia, ana") == (("garcia", "ana"), ())


def test_record_numbers() -> None:
    assert terms("MD-000123") == (("#000123",), ())
    assert terms("md123") == (("#000123",), ())


def test_phone_typed_in_groups_is_one_number() -> None:
    assert terms("+1 555 123 4567") == (("15551234567",), ())


def test_birth_dates_in_clinic_order() -> None:
    assert terms("24/03/1985") == ((), (date(1985, 3, 24),))
    assert terms("03/24/1985", DateOrder.MDY) == ((), (date(1985, 3, 24),))


def test_too_long_search_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        parse_search("a" * 10_000, DateOrder.DMY)
    assert "search" in info.value.errors


def test_long_pasted_text_keeps_the_longest_words() -> None:
    prefixes, _ = terms("a bb ccc dddd eeeee ffffff ggggggg")
    assert len(prefixes) == 6 and "a" not in prefixes


def test_phone_tokens_allow_the_last_groups() -> None:
    assert phone_tokens("+1 (555) 123-4567") == ["15551234567", "5551234567", "1234567", "4567"]
    assert "612345678" in phone_tokens("06 12 34 56 78")


def test_tokens_and_prefixes() -> None:
    tokens = patient_tokens("Ana", "García", 42, "+34 600 000 000")
    assert tokens["garcia"] == 3 and tokens["ana"] == 2 and tokens["#000042"] == 4
    prefixes = prefix_entries(tokens)
    assert prefixes["g"] == 3 and prefixes["ana"] == 4  # an exact short name counts double
    assert "6" not in prefixes  # phones need four digits
    assert prefixes["42"] == 8
