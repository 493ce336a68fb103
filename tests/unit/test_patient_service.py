from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text

from mesodesk.domain.errors import NotFoundError, ValidationError
from mesodesk.domain.search import PatientQuery, PatientSort
from mesodesk.store.models import Patient as PatientTable
from tests.conftest import patient_input


def names(page: Any) -> list[str]:
    return [f"{r.first_name} {r.last_name}" for r in page.rows]


def count_patients(services: Any) -> int:
    with services._db.read() as s:
        return s.execute(select(func.count()).select_from(PatientTable)).scalar_one()


def test_create_gives_record_numbers_and_reads_back(services: Any) -> None:
    a = services.patients.create(patient_input()).value
    b = services.patients.create(patient_input(first_name="Anna", last_name="Smith")).value
    assert (a.record_no, b.record_no) == ("MD-000001", "MD-000002")
    again = services.patients.get(a.id)
    assert again.first_name == "José" and again.birth_date == date(1985, 3, 24)
    assert services.patients.get_by_record_no("md-1").id == a.id
    assert services.patients.get_by_record_no("2").id == b.id


def test_invalid_patient_stores_nothing(services: Any) -> None:
    with pytest.raises(ValidationError):
        services.patients.create(patient_input(first_name="   "))
    assert count_patients(services) == 0
    with services._db.read() as s:
        assert s.connection().execute(text("SELECT count(*) FROM patient_token")).scalar() == 0


def test_update_changes_search(services: Any) -> None:
    p = services.patients.create(patient_input()).value
    services.patients.update(p.id, patient_input(last_name="Schneider"))
    assert names(services.patients.search(PatientQuery("schn"))) == ["José Schneider"]
    assert services.patients.search(PatientQuery("mül")).total == 0
    assert services.patients.search(PatientQuery("mu")).total == 0


def test_failed_update_keeps_the_old_record(services: Any) -> None:
    p = services.patients.create(patient_input()).value
    with pytest.raises(ValidationError):
        services.patients.update(p.id, patient_input(last_name="", email="bad"))
    assert services.patients.get(p.id).last_name == "Müller"


def test_missing_patient(services: Any) -> None:
    with pytest.raises(NotFoundError):
        services.patients.get(999)
    with pytest.raises(NotFoundError):
        services.patients.archive(999)
    with pytest.raises(ValidationError):
        services.patients.get_by_record_no("not a number")


@pytest.fixture
def clinic(services: Any) -> Any:
    for first, last, born, phone in [
        ("José", "Müller", date(1985, 3, 24), "+1 (555) 123-4567"),
        ("Josephine", "Martin", date(1990, 1, 2), "+33 6 12 34 56 78"),
        ("Anna", "Josefsson", date(1970, 5, 5), "+46 70 111 22 33"),
        ("Ольга", "Иванова", date(1980, 8, 8), "+7 912 345-67-89"),
        ("Μαρία", "Παπαδοπούλου", date(1975, 2, 14), "+30 210 123 4567"),
        ("Zoë", "Adams", date(2001, 12, 31), "+1 555 987 6543"),
    ]:
        services.patients.create(
            patient_input(first_name=first, last_name=last, birth_date=born, phone=phone)
        )
    return services


def test_search_is_accent_and_case_blind(clinic: Any) -> None:
    assert names(clinic.patients.search(PatientQuery("muller"))) == ["José Müller"]
    assert names(clinic.patients.search(PatientQuery("MÜLLER"))) == ["José Müller"]
    assert names(clinic.patients.search(PatientQuery("zoe"))) == ["Zoë Adams"]
    assert names(clinic.patients.search(PatientQuery("ольга"))) == ["Ольга Иванова"]
    assert names(clinic.patients.search(PatientQuery("μαρια"))) == ["Μαρία Παπαδοπούλου"]


@pytest.mark.parametrize("text", ["j", "jo", "jos", "JOS"])
def test_prefix_of_any_word_ranks_by_relevance_then_name(clinic: Any, text: str) -> None:
    # Last-name matches rank above first-name matches; ties by last name.
    assert names(clinic.patients.search(PatientQuery(text))) == [
        "Anna Josefsson",
        "Josephine Martin",
        "José Müller",
    ]


@pytest.mark.parametrize("text", ["jose", "JOSÉ"])
def test_a_whole_word_ranks_first(clinic: Any, text: str) -> None:
    assert names(clinic.patients.search(PatientQuery(text))) == [
        "José Müller",
        "Anna Josefsson",
        "Josephine Martin",
    ]


@pytest.mark.parametrize("text", ["muller", "Müller", "MULLER", "müller birgit"])
def test_a_whole_surname_ranks_above_a_surname_that_holds_the_word(
    services: Any, text: str
) -> None:
    """Issue 15 item 8: "muller" + Enter opens Müller, not Becker-Müller (listed first by name)."""
    for first, last in [
        ("Birgit", "Becker-Müller"),
        ("Birgit", "Müller"),
        ("Birgit", "Müller Schmidt"),
        ("Birgit", "Müllerová"),
    ]:
        services.patients.create(patient_input(first_name=first, last_name=last))
    found = names(services.patients.search(PatientQuery(text)))
    assert found[0] == "Birgit Müller"
    assert set(found[1:3]) == {"Birgit Becker-Müller", "Birgit Müller Schmidt"}
    if " " not in text:
        assert found[3:] == ["Birgit Müllerová"]


def test_exact_word_ranks_above_prefix(services: Any) -> None:
    services.patients.create(patient_input(first_name="Ann", last_name="Zed"))
    services.patients.create(patient_input(first_name="Annabel", last_name="Able"))
    assert names(services.patients.search(PatientQuery("ann"))) == ["Ann Zed", "Annabel Able"]
    assert names(services.patients.search(PatientQuery("anna"))) == ["Annabel Able"]


def test_several_words_must_all_match(clinic: Any) -> None:
    assert names(clinic.patients.search(PatientQuery("jos mar"))) == ["Josephine Martin"]
    assert names(clinic.patients.search(PatientQuery("martin josephine"))) == ["Josephine Martin"]
    assert clinic.patients.search(PatientQuery("jose adams")).total == 0


def test_search_by_record_number_phone_and_birth_date(clinic: Any) -> None:
    assert names(clinic.patients.search(PatientQuery("MD-000002"))) == ["Josephine Martin"]
    assert names(clinic.patients.search(PatientQuery("555 123"))) == ["José Müller"]
    assert names(clinic.patients.search(PatientQuery("4567"))) == [
        "José Müller",
        "Μαρία Παπαδοπούλου",
    ]
    assert names(clinic.patients.search(PatientQuery("5551234567"))) == ["José Müller"]
    assert names(clinic.patients.search(PatientQuery("0612345678"))) == ["Josephine Martin"]
    assert names(clinic.patients.search(PatientQuery("24/03/1985"))) == ["José Müller"]
    assert names(clinic.patients.search(PatientQuery("1985-03-24"))) == ["José Müller"]
    assert names(clinic.patients.search(PatientQuery("jose 24.03.85"))) == ["José Müller"]


def test_archived_only_when_asked(clinic: Any) -> None:
    jose = clinic.patients.search(PatientQuery("muller")).rows[0]
    clinic.patients.archive(jose.id)
    for typed in ("muller", "mu", "jose", ""):
        assert "José Müller" not in names(clinic.patients.search(PatientQuery(typed)))
        assert "José Müller" in names(
            clinic.patients.search(PatientQuery(typed, include_archived=True), limit=50)
        )
    assert names(clinic.patients.search(PatientQuery("", archived_only=True))) == ["José Müller"]
    clinic.patients.unarchive(jose.id)
    assert names(clinic.patients.search(PatientQuery("mu"))) == ["José Müller"]


def test_paging_and_totals(clinic: Any) -> None:
    everyone = clinic.patients.search(PatientQuery(""), limit=100)
    assert everyone.total == 6
    first = clinic.patients.search(PatientQuery(""), limit=4)
    rest = clinic.patients.search(PatientQuery(""), offset=4, limit=4)
    assert names(first) + names(rest) == names(everyone)
    assert clinic.patients.search(PatientQuery(""), limit=0).rows == []


def test_sorting_by_columns(clinic: Any) -> None:
    by_birth = clinic.patients.search(PatientQuery("", sort=PatientSort.BIRTH_DATE))
    assert [r.birth_date for r in by_birth.rows] == sorted(r.birth_date for r in by_birth.rows)
    newest = clinic.patients.search(PatientQuery("", sort=PatientSort.RECORD_NO, descending=True))
    assert newest.rows[0].record_no == "MD-000006"
    by_name_in_search = clinic.patients.search(PatientQuery("jo", sort=PatientSort.NAME))
    assert names(by_name_in_search) == ["Anna Josefsson", "Josephine Martin", "José Müller"]


def test_double_registration_is_found(clinic: Any) -> None:
    same = clinic.patients.find_same_person(" JOSÉ ", "muller", date(1985, 3, 24))
    assert [r.record_no for r in same] == ["MD-000001"]
    assert (
        clinic.patients.find_same_person("José", "Müller", date(1985, 3, 24), exclude_id=same[0].id)
        == []
    )


def test_counts_with_and_without_archived(services: Any) -> None:
    assert services.patients.count(PatientQuery(include_archived=True)) == 0
    p = services.patients.create(patient_input()).value
    services.patients.create(patient_input(first_name="Ann"))
    services.patients.archive(p.id)
    assert services.patients.count(PatientQuery(include_archived=True)) == 2
    assert services.patients.count(PatientQuery()) == 1
    assert services.patients.count(PatientQuery(archived_only=True)) == 1
