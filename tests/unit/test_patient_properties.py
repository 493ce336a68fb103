"""Bad input, proven: random and hostile values through the patient service. Only a
ValidationError (or NotFoundError for a record that is not there) ever comes out, and a refused
change stores nothing: no patient, no search rows, no audit entry."""

import contextlib
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from mesodesk.domain.enums import Contraindication, Sex
from mesodesk.domain.errors import NotFoundError, ValidationError
from mesodesk.domain.patients import PatientInput
from mesodesk.domain.search import PatientQuery
from tests.conftest import patient_input

HOSTILE = [
    "",
    " ",
    "\x00",
    "Robert'); DROP TABLE patient;--",
    '=HYPERLINK("http://x")',
    "<script>alert(1)</script>",
    "\u202eevil",  # right-to-left override
    "a\u200bb",  # zero-width space
    "\ud800",  # a lone surrogate (from a mis-decoded file name or clipboard)
    "x" * 5000,
    "José\r\nMüller",
    "\t\t",
    "💉" * 30,
    "NULL",
    "%s%s%n",
]
any_char = st.characters(exclude_categories=())  # surrogates and controls included
texts = st.one_of(st.sampled_from(HOSTILE), st.text(any_char, max_size=300))
dates = st.one_of(st.none(), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
sexes = st.one_of(st.sampled_from(list(Sex)), st.sampled_from(["", "x", "FEMALE"]))
contraindications = st.frozensets(
    st.one_of(st.sampled_from(list(Contraindication)), texts), max_size=4
)
FIELDS = {
    "first_name": texts,
    "last_name": texts,
    "birth_date": dates,
    "sex": sexes,
    "phone": texts,
    "email": texts,
    "address": texts,
    "allergies": st.lists(texts, max_size=5).map(tuple),
    "contraindications": contraindications,
    "contraindication_note": texts,
    "medical_notes": texts,
    "consent_date": dates,
}
# Mostly a valid patient with one to three fields replaced by something random or hostile, so
# that a value that slips past validation meets the database; sometimes everything random.
inputs = st.one_of(
    st.dictionaries(st.sampled_from(sorted(FIELDS)), st.none(), min_size=1, max_size=3)
    .flatmap(lambda chosen: st.fixed_dictionaries({k: FIELDS[k] for k in chosen}))
    .map(lambda changes: patient_input(**changes)),
    st.builds(PatientInput, **FIELDS),
)
PROPERTY = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def footprint(services: Any) -> tuple[int, ...]:
    with services._db.read() as s:
        conn = s.connection()
        return tuple(
            int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("patient", "patient_token", "patient_prefix", "audit_entry", "counter")
        )


@PROPERTY
@given(data=inputs)
def test_create_raises_only_validation_errors_and_stores_nothing_on_error(
    services: Any, data: PatientInput
) -> None:
    before = footprint(services)
    try:
        patient = services.patients.create(data).value
    except ValidationError as exc:
        assert exc.errors and all(isinstance(m, str) and m for m in exc.errors.values())
        assert footprint(services) == before[:4] + footprint(services)[4:]
        assert footprint(services)[:4] == before[:4]
        return
    clean = data.validated(services.clock.today())
    stored = services.patients.get(patient.id)
    assert stored.as_input() == clean
    assert footprint(services)[0] == before[0] + 1
    assert footprint(services)[3] == before[3] + 1  # exactly one audit entry
    assert services.patients.get_by_record_no(stored.record_no).id == patient.id


@PROPERTY
@given(data=inputs)
def test_update_raises_only_validation_errors_and_keeps_the_record(
    services: Any, data: PatientInput
) -> None:
    if not hasattr(services, "_victim"):
        services._victim = services.patients.create(patient_input()).value.id
    patient_id = services._victim
    before = services.patients.get(patient_id)
    counts = footprint(services)
    try:
        services.patients.update(patient_id, data)
    except ValidationError:
        assert services.patients.get(patient_id) == before
        assert footprint(services) == counts
        return
    assert services.patients.get(patient_id).as_input() == data.validated(services.clock.today())
    services.patients.update(patient_id, before.as_input())


@PROPERTY
@given(value=texts)
def test_lookups_and_searches_raise_only_their_own_errors(services: Any, value: str) -> None:
    with contextlib.suppress(ValidationError, NotFoundError):
        services.patients.get_by_record_no(value)
    with contextlib.suppress(ValidationError):
        services.patients.search(PatientQuery(value))
