from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesodesk.domain.enums import Contraindication, Sex
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.patients import PatientInput, format_record_no
from tests.conftest import patient_input

TODAY = date(2026, 11, 24)


def errors_of(data: PatientInput) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        data.validated(TODAY)
    return info.value.errors


def test_valid_patient_is_cleaned() -> None:
    clean = patient_input(
        first_name="  Anna  Maria ",
        sex=Sex.FEMALE,
        allergies=("Lidocaine", " lidocaine ", "", "Latex"),
        contraindications=frozenset({"pregnancy"}),
    ).validated(TODAY)
    assert clean.first_name == "Anna Maria"
    assert clean.allergies == ("Lidocaine", "Latex")
    assert clean.contraindications == frozenset({Contraindication.PREGNANCY})


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"first_name": "   "}, "first_name", "required"),
        ({"last_name": ""}, "last_name", "required"),
        ({"first_name": "1234"}, "first_name", "letter"),
        ({"last_name": "x" * 101}, "last_name", "too long"),
        ({"first_name": "Ann\x00a"}, "first_name", "cannot be stored"),
        ({"birth_date": None}, "birth_date", "required"),
        ({"birth_date": date(2026, 11, 25)}, "birth_date", "future"),
        ({"birth_date": date(1899, 12, 31)}, "birth_date", "1900"),
        ({"email": "not-an-address"}, "email", "valid"),
        ({"email": "a@b"}, "email", "valid"),
        ({"phone": "12ab34"}, "phone", "digits"),
        ({"phone": "123"}, "phone", "between 6 and 15"),
        ({"phone": "1" * 16}, "phone", "between 6 and 15"),
        ({"medical_notes": "x" * 20_001}, "medical_notes", "too long"),
        ({"allergies": ("x" * 101,)}, "allergies", "at most"),
        ({"consent_date": date(2027, 1, 1)}, "consent_date", "future"),
        ({"contraindications": frozenset({"nonsense"})}, "contraindications", "Unknown"),
        (
            {"sex": Sex.MALE, "contraindications": frozenset({"pregnancy"})},
            "contraindications",
            "male patient",
        ),
        ({"guardian_name": "x" * 121}, "guardian_name", "too long"),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, object], field: str, words: str) -> None:
    errors = errors_of(patient_input(**changes))
    assert field in errors
    assert words in errors[field]


def test_all_errors_are_reported_at_once() -> None:
    errors = errors_of(patient_input(first_name="", last_name="", birth_date=None, email="x"))
    assert set(errors) == {"first_name", "last_name", "birth_date", "email"}


def test_record_number_format() -> None:
    assert format_record_no(123) == "MD-000123"
    assert format_record_no(1_234_567) == "MD-1234567"


@given(
    first=st.text(max_size=300),
    last=st.text(max_size=300),
    phone=st.text(max_size=60),
    email=st.text(max_size=300),
    notes=st.text(max_size=500),
    born=st.dates(),
)
def test_validation_never_fails_with_anything_but_validation_error(
    first: str, last: str, phone: str, email: str, notes: str, born: date
) -> None:
    data = PatientInput(first, last, born, phone=phone, email=email, medical_notes=notes)
    try:
        clean = data.validated(TODAY)
    except ValidationError as exc:
        assert exc.errors
        return
    assert clean.first_name and clean.last_name
    assert len(clean.first_name) <= 100
