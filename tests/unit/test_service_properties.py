"""Bad input, proven, for every service that takes what a clinician types besides the patient
form (test_patient_properties.py): the catalogue (practitioners, products, lots) and the treatment
record (courses, sessions with their blends, side effects, outcomes).

Random and hostile values go in. Only a ValidationError comes out, naming fields of the input;
besides it, a NotFoundError for a record that is not there, an AllergyWarning for a blend that
matches an allergy and was not confirmed, and a ConflictError for a side effect already resolved.
A refused change leaves the whole database as it was, audit trail included. An accepted change
stores exactly the validated input and writes one audit entry per row it wrote.

Each test sets up its clinic once and reuses it across examples (hence the suppressed
function-scoped-fixture health check). An update first puts its record back into the same
known state, so an example that failed half-way cannot change what the next one starts from.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
from mesodesk.domain.enums import (
    ActionTaken,
    AEOutcome,
    BodyArea,
    Causality,
    Coded,
    CourseStatus,
    Indication,
    LaterInterval,
    NumbingAgent,
    ReportChannel,
    SideEffectKind,
    Technique,
)
from mesodesk.domain.errors import ConflictError, NotFoundError, ValidationError
from mesodesk.domain.safety import RULES, Level
from mesodesk.domain.treatment import (
    RESOLVED_OUTCOMES,
    BlendInput,
    CourseInput,
    OutcomeInput,
    SessionInput,
    SideEffectInput,
)
from mesodesk.services.treatment import AllergyWarning, SafetyQuestions
from mesodesk.store.models import metadata
from mesodesk.store.rows import audited
from tests.conftest import NOW, patient_input

T = TypeVar("T")
Snapshot = dict[str, list[tuple[Any, ...]]]

# -- values ---------------------------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "\x00",
    "Robert'); DROP TABLE product;--",
    '=HYPERLINK("http://x")',
    "<script>alert(1)</script>",
    "\u202eevil",  # right-to-left override
    "a\u200bb",  # zero-width space
    "\ud800",  # a lone surrogate
    "\udfff",
    "x" * 5000,
    "José\r\nMüller",
    "\t\t",
    "\x1c\x1d\x1e\x1f\x85\u2028\u2029",  # what str.split() takes for white space
    "\x1b[31m",
    "💉" * 30,
    "NULL",
    "%s%s%n",
    "É",
    "ß",
    "İ",
]
any_char = st.characters(exclude_categories=())  # surrogates and controls included
typed_char = st.characters(categories=["L", "M", "N", "P", "S", "Zs"])  # what a keyboard gives
texts = st.one_of(
    st.sampled_from(HOSTILE), st.text(any_char, max_size=300), st.text(typed_char, max_size=80)
)
# Integers SQLite cannot hold (beyond 64 bits) next to ones it can, and the edges between.
HOSTILE_INTS = [
    0,
    -1,
    -(2**31),
    2**31 - 1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    10**30,
    10**400,
]
HOSTILE_FLOATS = [
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    0.0,
    5e-324,  # the smallest subnormal: above 0
    1e-300,
    1e308,
    -1e308,
    1.7976931348623157e308,
    1.0,
    math.nextafter(1.0, 0),
    4.0,
    math.nextafter(4.0, 5),
    100.0,
    math.nextafter(100.0, 101),
    200.0,
    math.nextafter(200.0, 201),
]
MISSING_IDS = [0, -1, 999_999]  # ids no record has, that SQLite can hold
TOO_BIG = [2**63, -(2**63) - 1, 2**64, 10**30, -(10**30)]  # ids SQLite cannot hold at all


def ints(low: int, high: int) -> st.SearchStrategy[int]:
    """In the valid range, just outside it, hostile, or anything."""
    return st.one_of(
        st.integers(low, high),
        st.integers(low - 2, high + 2),
        st.sampled_from(HOSTILE_INTS),
        st.integers(),
    )


def floats(low: float, high: float) -> st.SearchStrategy[float]:
    """In the valid range, around it, hostile (nan, inf, -0.0, subnormal, 1e308), any float, or
    an int."""
    return st.one_of(
        st.floats(low, high),
        st.floats(low - 1, high + 1),
        st.sampled_from(HOSTILE_FLOATS),
        st.floats(),
        st.sampled_from(HOSTILE_INTS),
        st.integers(-5, 300),
    )


def maybe(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), strategy)


def ids(*existing: int) -> st.SearchStrategy[int]:
    """Ids of records that exist, of records that do not, and integers SQLite cannot hold."""
    return st.one_of(
        st.sampled_from(existing),
        st.sampled_from(existing),
        st.sampled_from(MISSING_IDS),
        st.sampled_from(TOO_BIG),
        st.sampled_from(HOSTILE_INTS),
        st.integers(),
    )


def coded(kind: type[Coded]) -> st.SearchStrategy[Any]:
    """A member, its code or label as typed (which validation parses), or any text."""
    members = list(kind)
    return st.one_of(
        st.sampled_from(members),
        st.sampled_from([m.value for m in members] + [m.label.upper() for m in members]),
        texts,
    )


def dates(low: date, high: date) -> st.SearchStrategy[date | None]:
    return st.one_of(st.none(), st.dates(low, high), st.dates())


def moments(low: datetime, high: datetime) -> st.SearchStrategy[datetime | None]:
    return st.one_of(st.none(), st.datetimes(low, high), st.datetimes())


areas = st.one_of(
    st.lists(st.sampled_from(list(BodyArea)), min_size=1, max_size=4),
    st.lists(st.one_of(st.sampled_from(list(BodyArea)), coded(BodyArea)), max_size=20),
).map(tuple)
near_today = dates(date(2026, 9, 1), date(2026, 12, 31))


def changes(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly one to three fields replaced by something random or hostile, so that a value that
    slips past validation meets the database; sometimes everything random."""
    chosen = st.tuples(st.integers(1, 3), st.permutations(sorted(fields))).map(
        lambda n_keys: n_keys[1][: n_keys[0]]
    )
    some = chosen.flatmap(lambda keys: st.fixed_dictionaries({k: fields[k] for k in keys}))
    return st.one_of(some, some, some, st.fixed_dictionaries(fields))


def path_id(record: int) -> st.SearchStrategy[int]:
    """The id a service is called with: mostly the record's, sometimes one that is not there."""
    return st.sampled_from([record] * 2 * len(MISSING_IDS) + MISSING_IDS)


PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# -- the clinic -----------------------------------------------------------------------------------


class Clinic:
    """A practitioner, products and lots (one expired, one with an ingredient the patient is
    allergic to, one with a number SQLite cannot change the case of), a patient with a course
    and a session, another patient with theirs, and a stopped course."""

    def __init__(self, services: Any) -> None:
        c = services.catalogue
        self.doctor = c.create_practitioner(PractitionerInput("Dr. Amelia Hart", "MD")).value.id
        self.ha = c.create_product(
            ProductInput("Hyaluronic acid", ("Sodium hyaluronate",))
        ).value.id
        self.lido = c.create_product(ProductInput("Lidocaine 2%", ("Lidocaine HCl",))).value.id
        self.elastin = c.create_product(ProductInput("Élastine", ("Élastine",))).value.id
        self.ha_lot = c.create_lot(LotInput(self.ha, "HA-2601-A", date(2027, 6, 30))).value.id
        self.ha_old = c.create_lot(LotInput(self.ha, "HA-2401-A", date(2026, 1, 31))).value.id
        self.ha_accent = c.create_lot(LotInput(self.ha, "é-7", date(2027, 3, 31))).value.id
        self.lido_lot = c.create_lot(LotInput(self.lido, "LD-2602-B", date(2027, 12, 31))).value.id
        self.lots = (self.ha_lot, self.ha_old, self.ha_accent, self.lido_lot)
        # numbing products: one the lidocaine-allergic patient tolerates, one they do not
        gel = c.create_product(ProductInput("Tetracaine 4% gel", ("Tetracaine",), numbing=True))
        cream = c.create_product(
            ProductInput("Numbing cream 5%", ("Lidocaine", "Prilocaine"), numbing=True)
        )
        self.gel_lot = c.create_lot(LotInput(gel.value.id, "TG-1", date(2027, 5, 31))).value.id
        self.cream_lot = c.create_lot(LotInput(cream.value.id, "NC-1", date(2027, 5, 31))).value.id
        self.numbing_lots = (self.gel_lot, self.cream_lot, self.ha_lot)
        self.patient = services.patients.create(patient_input(allergies=("Lidocaine",))).value.id
        self.other = services.patients.create(
            patient_input(first_name="Ana", last_name="Silva")
        ).value.id
        self.course = services.courses.create_course(self.patient, COURSE).value.id
        self.other_course = services.courses.create_course(self.other, COURSE).value.id
        self.stopped = services.courses.create_course(self.patient, COURSE).value.id
        services.courses.set_course_status(self.stopped, CourseStatus.STOPPED)
        self.courses = (self.course, self.other_course, self.stopped)
        blend = (BlendInput(self.ha_lot, 2.0),)
        first = SessionInput(
            self.course, datetime(2026, 10, 1, 10), (BodyArea.FOREHEAD,), 1.5, blend
        )
        self.session = services.sessions.log_session(self.patient, first).value.id
        self.other_session = services.sessions.log_session(
            self.other, dataclasses.replace(first, course_id=self.other_course)
        ).value.id
        self.sessions = (self.session, self.other_session)


COURSE = CourseInput(
    Indication.WRINKLES,
    date(2026, 10, 1),
    (BodyArea.FOREHEAD, BodyArea.PERIORBITAL),
    planned_sessions=6,
    induction_sessions=3,
    price_per_session_cents=35000,
)


def clinic_of(services: Any) -> Clinic:
    if not hasattr(services, "_clinic"):
        services._clinic = Clinic(services)
    clinic: Clinic = services._clinic
    return clinic


# -- the database, before and after ---------------------------------------------------------------


# The records a change writes, each with an audit entry (the statistics tables are caches).
RECORDS = (*sorted(t for t in metadata.tables if audited(t)), "audit_entry")


def snapshot(services: Any) -> Snapshot:
    """Every row of every table: what "nothing stored" is checked against."""
    with services._db.read() as s:
        conn = s.connection()
        names = list(
            conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            ).scalars()
        )
        return {
            name: sorted(
                (tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr
            )
            for name in names
        }


def grown(before: Snapshot, after: Snapshot) -> dict[str, int]:
    """Records added (or, negative, removed) per table."""
    return {t: len(after[t]) - len(before[t]) for t in RECORDS if len(after[t]) != len(before[t])}


def attempt(
    services: Any,
    call: Callable[[], Any],
    input_type: type,
    allowed: tuple[type[Exception], ...] = (),
) -> tuple[Any, Snapshot, Exception | None]:
    """Run a change. A refusal must be a ValidationError naming fields of the input (or one of
    ``allowed``) and must leave every table as it was."""
    before = snapshot(services)
    try:
        result = call()
        event("stored")
        return result, before, None
    except ValidationError as exc:
        fields = {f.name for f in dataclasses.fields(input_type)}
        assert isinstance(exc.errors, dict) and exc.errors
        assert all(isinstance(m, str) and m.strip() for m in exc.errors.values()), exc.errors
        assert set(exc.errors) <= fields, exc.errors
        refused: Exception = exc
    except allowed as exc:
        assert str(exc)
        refused = exc
    event(f"refused: {type(refused).__name__}")
    assert snapshot(services) == before, f"a refused change stored something ({refused!r})"
    return None, before, refused


def assert_stored(before: Snapshot, services: Any, **rows: int) -> None:
    """The change wrote exactly these rows, with one audit entry for each."""
    expected = {table: n for table, n in rows.items() if n}
    audit = sum(rows.values()) if "audit_entry" not in rows else rows["audit_entry"]
    if audit:
        expected["audit_entry"] = audit
    assert grown(before, snapshot(services)) == expected


# -- practitioners --------------------------------------------------------------------------------

PRACTITIONER = PractitionerInput("Dr. Lena Vogel", "Dermatologist")
PRACTITIONER_FIELDS = {"name": texts, "title": texts, "active": st.booleans()}


@PROPERTY
@given(data=st.data())
def test_create_practitioner(services: Any, data: st.DataObject) -> None:
    clinic_of(services)
    given_input = dataclasses.replace(PRACTITIONER, **data.draw(changes(PRACTITIONER_FIELDS)))
    result, before, _ = attempt(
        services, lambda: services.catalogue.create_practitioner(given_input), PractitionerInput
    )
    if result is None:
        return
    (stored,) = [p for p in services.catalogue.practitioners() if p.id == result.value.id]
    assert PractitionerInput(stored.name, stored.title, stored.active) == given_input.validated()
    assert_stored(before, services, practitioner=1)


@PROPERTY
@given(data=st.data())
def test_update_practitioner(services: Any, data: st.DataObject) -> None:
    clinic = clinic_of(services)
    services.catalogue.update_practitioner(clinic.doctor, PRACTITIONER)
    target = data.draw(path_id(clinic.doctor), label="practitioner_id")
    given_input = dataclasses.replace(PRACTITIONER, **data.draw(changes(PRACTITIONER_FIELDS)))
    result, before, refused = attempt(
        services,
        lambda: services.catalogue.update_practitioner(target, given_input),
        PractitionerInput,
        (NotFoundError,),
    )
    assert not isinstance(refused, NotFoundError) or target != clinic.doctor
    if result is None:
        return
    clean = given_input.validated()
    (stored,) = [p for p in services.catalogue.practitioners() if p.id == target]
    assert PractitionerInput(stored.name, stored.title, stored.active) == clean
    assert_stored(before, services, audit_entry=int(clean != PRACTITIONER.validated()))


# -- products -------------------------------------------------------------------------------------

# Names SQLite's lower() and Python's lower() disagree on, and names that exist already.
PRODUCT_NAMES = ["Hyaluronic acid", "HYALURONIC ACID", "Élastine", "É", "é", "ß", "SS", "İ", "Ǆ"]
PRODUCT = ProductInput("Vitamin C 10%", ("Ascorbic acid", "Water"), "Meso Labs", "Vitamins")
PRODUCT_FIELDS = {
    "name": st.one_of(st.sampled_from(PRODUCT_NAMES), texts),
    "ingredients": st.lists(
        st.one_of(st.sampled_from(["Lidocaine", "lidocaine", "Élastine", "ÉLASTINE"]), texts),
        max_size=42,
    ).map(tuple),
    "manufacturer": texts,
    "category": texts,
    "unit": st.one_of(st.sampled_from(["ml", "mg", "vial"]), texts),
    "notes": texts,
    "active": st.booleans(),
}


def product_input(services: Any, product_id: int) -> ProductInput:
    p = services.catalogue.product(product_id)
    return ProductInput(
        p.name, p.ingredients, p.manufacturer, p.category, p.unit, p.notes, p.active
    )


@PROPERTY
@given(data=st.data())
def test_create_product(services: Any, data: st.DataObject) -> None:
    clinic_of(services)
    serial = data.draw(st.integers(0, 10**9), label="serial")
    base = dataclasses.replace(PRODUCT, name=f"Vitamin C {serial}")
    given_input = dataclasses.replace(base, **data.draw(changes(PRODUCT_FIELDS)))
    result, before, _ = attempt(
        services, lambda: services.catalogue.create_product(given_input), ProductInput
    )
    if result is None:
        return
    clean = given_input.validated()
    assert product_input(services, result.value.id) == clean
    assert_stored(before, services, product=1, ingredient=len(clean.ingredients))


@PROPERTY
@given(data=st.data())
def test_update_product(services: Any, data: st.DataObject) -> None:
    clinic_of(services)
    if not hasattr(services, "_product"):
        services._product = services.catalogue.create_product(PRODUCT).value.id
    victim: int = services._product
    services.catalogue.update_product(victim, PRODUCT)
    target = data.draw(path_id(victim), label="product_id")
    given_input = dataclasses.replace(PRODUCT, **data.draw(changes(PRODUCT_FIELDS)))
    result, before, refused = attempt(
        services,
        lambda: services.catalogue.update_product(target, given_input),
        ProductInput,
        (NotFoundError,),
    )
    assert not isinstance(refused, NotFoundError) or target != victim
    if result is None:
        return
    clean = given_input.validated()
    assert product_input(services, victim) == clean
    row_changed = dataclasses.replace(clean, ingredients=()) != dataclasses.replace(
        PRODUCT.validated(), ingredients=()
    )
    old, new = len(PRODUCT.ingredients), len(clean.ingredients)
    churn = old + new if clean.ingredients != PRODUCT.ingredients else 0
    assert_stored(before, services, ingredient=new - old, audit_entry=int(row_changed) + churn)


# -- lots -----------------------------------------------------------------------------------------

# Numbers that exist (on the product "Hyaluronic acid"), in other cases, and ones SQLite's upper()
# does not change while Python's does.
LOT_NUMBERS = ["HA-2601-A", "ha-2601-a", "é-7", "É-7", "ß", "SS", "LOT 1", "lot 1"]


def lot_fields(clinic: Clinic) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "product_id": ids(clinic.ha, clinic.lido, clinic.elastin),
        "lot_number": st.one_of(st.sampled_from(LOT_NUMBERS), texts),
        "expiry_date": dates(date(2025, 1, 1), date(2030, 12, 31)),
        "received_on": dates(date(2025, 1, 1), date(2027, 1, 1)),
        "notes": texts,
    }


def lot_input(services: Any, lot_id: int) -> LotInput:
    lot = services.catalogue.lot(lot_id)
    return LotInput(lot.product_id, lot.lot_number, lot.expiry_date, lot.received_on, lot.notes)


@PROPERTY
@given(data=st.data())
def test_create_lot(services: Any, data: st.DataObject) -> None:
    clinic = clinic_of(services)
    serial = data.draw(st.integers(0, 10**9), label="serial")
    base = LotInput(clinic.ha, f"VC-{serial}", date(2027, 6, 30), date(2026, 11, 1), "Fridge 2")
    given_input = dataclasses.replace(base, **data.draw(changes(lot_fields(clinic))))
    result, before, _ = attempt(
        services, lambda: services.catalogue.create_lot(given_input), LotInput
    )
    if result is None:
        return
    assert lot_input(services, result.value.id) == given_input.validated(NOW.date())
    assert_stored(before, services, product_lot=1)


@PROPERTY
@given(data=st.data())
def test_update_lot(services: Any, data: st.DataObject) -> None:
    clinic = clinic_of(services)
    base = LotInput(clinic.ha, "V-1", date(2027, 6, 30), date(2026, 11, 1), "Fridge 2")
    if not hasattr(services, "_lot"):
        services._lot = services.catalogue.create_lot(base).value.id
    victim: int = services._lot
    services.catalogue.update_lot(victim, base)
    target = data.draw(path_id(victim), label="lot_id")
    given_input = dataclasses.replace(base, **data.draw(changes(lot_fields(clinic))))
    result, before, refused = attempt(
        services,
        lambda: services.catalogue.update_lot(target, given_input),
        LotInput,
        (NotFoundError,),
    )
    assert not isinstance(refused, NotFoundError) or target != victim
    if result is None:
        return
    # A lot keeps its product: update_lot does not move it to another one.
    clean = dataclasses.replace(given_input.validated(NOW.date()), product_id=clinic.ha)
    assert lot_input(services, victim) == clean
    assert_stored(before, services, audit_entry=int(clean != base.validated(NOW.date())))


# -- courses --------------------------------------------------------------------------------------

COURSE_FIELDS = {
    "indication": coded(Indication),
    "started_on": near_today,
    "areas": areas,
    "planned_sessions": ints(3, 15),
    "induction_sessions": ints(1, 15),
    "induction_interval_days": ints(7, 10),
    "later_interval": coded(LaterInterval),
    "maintenance_interval_months": maybe(ints(3, 5)),
    "price_per_session_cents": maybe(ints(0, 10_000_000)),
    "indication_note": texts,
    "notes": texts,
}
NEW_COURSE = CourseInput(
    Indication.CELLULITE,
    date(2026, 11, 20),
    (BodyArea.THIGHS, BodyArea.BUTTOCKS),
    planned_sessions=10,
    induction_sessions=4,
    later_interval=LaterInterval.MONTHLY,
    price_per_session_cents=40000,
    notes="Photos taken.",
)


def stored_course(services: Any, patient_id: int, course_id: int) -> CourseInput:
    (course,) = [c for c in services.treatment.record(patient_id).courses if c.id == course_id]
    as_input: CourseInput = course.as_input()
    return as_input


@PROPERTY
@given(data=st.data())
def test_create_course(services: Any, data: st.DataObject) -> None:
    clinic = clinic_of(services)
    patient = data.draw(path_id(clinic.patient), label="patient_id")
    given_input = dataclasses.replace(NEW_COURSE, **data.draw(changes(COURSE_FIELDS)))
    result, before, refused = attempt(
        services,
        lambda: services.courses.create_course(patient, given_input),
        CourseInput,
        (NotFoundError,),
    )
    assert not isinstance(refused, NotFoundError) or patient != clinic.patient
    if result is None:
        return
    clean = given_input.validated(NOW.date())
    assert stored_course(services, patient, result.value.id) == clean
    assert_stored(before, services, course=1)


@PROPERTY
@given(data=st.data())
def test_update_course(services: Any, data: st.DataObject) -> None:
    """The clinic's course, which has a session on 2026-10-01: it cannot start after it."""
    clinic = clinic_of(services)
    services.courses.update_course(clinic.course, COURSE)
    target = data.draw(path_id(clinic.course), label="course_id")
    base = dataclasses.replace(COURSE, notes="Reviewed.")
    given_input = dataclasses.replace(base, **data.draw(changes(COURSE_FIELDS)))
    result, before, refused = attempt(
        services,
        lambda: services.courses.update_course(target, given_input),
        CourseInput,
        (NotFoundError,),
    )
    assert not isinstance(refused, NotFoundError) or target != clinic.course
    if isinstance(refused, ValidationError) and refused.errors.keys() == {"started_on"}:
        # refused by the service for a start after the first session, or by validation
        assert given_input.started_on != COURSE.started_on
    if result is None:
        return
    clean = given_input.validated(NOW.date())
    assert clean.started_on is not None and clean.started_on <= date(2026, 10, 1)
    assert stored_course(services, clinic.patient, clinic.course) == clean
    assert_stored(before, services, audit_entry=int(clean != COURSE.validated(NOW.date())))


# -- sessions -------------------------------------------------------------------------------------


def usual_blend(clinic: Clinic) -> st.SearchStrategy[tuple[BlendInput, ...]]:
    """One to three of the clinic's lots (one expired, one the patient is allergic to)."""
    line = st.builds(BlendInput, st.sampled_from(clinic.lots), st.floats(0.1, 5.0))
    return st.lists(line, min_size=1, max_size=3, unique_by=lambda b: b.lot_id).map(tuple)


def session_fields(clinic: Clinic) -> dict[str, st.SearchStrategy[Any]]:
    lot = st.builds(BlendInput, ids(*clinic.lots), floats(0, 100))
    any_lot = st.builds(BlendInput, ids(*clinic.lots), st.floats(0.1, 5.0))  # amounts that pass
    blend = st.one_of(
        usual_blend(clinic),
        st.lists(any_lot, min_size=1, max_size=3).map(tuple),
        st.lists(lot, max_size=14).map(tuple),
    )
    return {
        "course_id": maybe(ids(*clinic.courses)),
        "started_at": moments(datetime(2026, 9, 25), datetime(2026, 11, 26)),
        "areas": areas,
        "depth_mm": maybe(floats(1, 4)),
        "blend": blend,
        "practitioner_id": maybe(ids(clinic.doctor)),
        "numbing_agent": coded(NumbingAgent),
        "numbing_lot_id": maybe(ids(*clinic.numbing_lots)),
        "technique": coded(Technique),
        "injection_points": maybe(ints(0, 5000)),
        "total_volume_ml": maybe(floats(0, 200)),
        "pain_nrs": maybe(ints(0, 10)),
        "gais": maybe(ints(1, 5)),
        "satisfaction": maybe(ints(0, 10)),
        "price_cents": maybe(ints(0, 10_000_000)),
        "notes": texts,
    }


def session_base(clinic: Clinic) -> SessionInput:
    return SessionInput(
        course_id=clinic.course,
        started_at=datetime(2026, 11, 20, 10),
        areas=(BodyArea.FOREHEAD, BodyArea.CHEEKS),
        depth_mm=1.5,
        blend=(BlendInput(clinic.ha_lot, 2.0), BlendInput(clinic.ha_accent, 0.5)),
        practitioner_id=clinic.doctor,
        numbing_agent=NumbingAgent.TOPICAL_ANAESTHETIC,
        numbing_lot_id=clinic.gel_lot,
        injection_points=120,
        total_volume_ml=2.5,
        pain_nrs=3,
        gais=3,
        satisfaction=8,
        price_cents=35000,
        notes="Tolerated well.",
    )


# Every question the safety rules can ask, confirmed, and a reason for every override: what a
# practitioner who has read them all answers.
EVERY_QUESTION = tuple(code for code, rule in RULES.items() if rule.level is Level.ASK)
REASON = "Discussed with the patient's physician; benefit outweighs the risk."


def answers(data: st.DataObject) -> dict[str, Any]:
    """The practitioner's answers to the safety rules: all of them, or none."""
    if data.draw(st.booleans(), label="answered"):
        return {"confirmed": EVERY_QUESTION, "override_reason": REASON}
    return {}


def allergy_allowed(clinic: Clinic, data: SessionInput, confirmed: bool) -> None:
    """An allergy warning only for a session with the lidocaine lot in its blend or the
    lidocaine cream as its numbing product, and only unconfirmed."""
    assert not confirmed
    assert data.numbing_lot_id == clinic.cream_lot or any(
        b.lot_id == clinic.lido_lot for b in data.blend
    )


@PROPERTY
@given(data=st.data())
def test_log_session(services: Any, data: st.DataObject) -> None:
    clinic = clinic_of(services)
    patient = data.draw(path_id(clinic.patient), label="patient_id")
    confirmed = data.draw(st.booleans(), label="allergy_confirmed")
    base = dataclasses.replace(session_base(clinic), blend=data.draw(usual_blend(clinic)))
    given_input = dataclasses.replace(base, **data.draw(changes(session_fields(clinic))))
    answered = answers(data)
    result, before, refused = attempt(
        services,
        lambda: services.sessions.log_session(
            patient, given_input, allergy_confirmed=confirmed, **answered
        ),
        SessionInput,
        (NotFoundError, AllergyWarning, SafetyQuestions),
    )
    assert not isinstance(refused, NotFoundError) or patient != clinic.patient
    if isinstance(refused, AllergyWarning):
        allergy_allowed(clinic, given_input, confirmed)
    if isinstance(refused, SafetyQuestions):
        assert not answered and refused.questions  # only questions nobody answered
    if result is None:
        return
    clean = given_input.validated(NOW)
    stored = services.sessions.session(result.value.id)
    assert stored.as_input() == clean
    assert set(stored.safety_confirmed) <= set(EVERY_QUESTION) | {
        code for code, rule in RULES.items() if rule.overridable
    }
    assert stored.override_reason in ("", REASON)
    assert clinic.ha_old not in {b.lot_id for b in clean.blend}  # expired before any session
    assert_stored(before, services, treatment_session=1, blend_item=len(clean.blend))


@PROPERTY
@given(data=st.data())
def test_update_session(services: Any, data: st.DataObject) -> None:
    clinic = clinic_of(services)
    base = session_base(clinic)
    if not hasattr(services, "_session"):
        services._session = services.sessions.log_session(clinic.patient, base).value.id
    victim: int = services._session
    services.sessions.update_session(victim, base)
    answers_before = _answers_of(services.sessions.session(victim))
    target = data.draw(path_id(victim), label="session_id")
    confirmed = data.draw(st.booleans(), label="allergy_confirmed")
    usual = dataclasses.replace(base, blend=data.draw(usual_blend(clinic)))
    given_input = dataclasses.replace(usual, **data.draw(changes(session_fields(clinic))))
    answered = answers(data)
    result, before, refused = attempt(
        services,
        lambda: services.sessions.update_session(
            target, given_input, allergy_confirmed=confirmed, **answered
        ),
        SessionInput,
        (NotFoundError, AllergyWarning, SafetyQuestions),
    )
    assert not isinstance(refused, NotFoundError) or target != victim
    if isinstance(refused, AllergyWarning):
        allergy_allowed(clinic, given_input, confirmed)
    if isinstance(refused, SafetyQuestions):
        assert not answered and refused.questions
    if result is None:
        return
    clean = given_input.validated(NOW)
    assert services.sessions.session(victim).as_input() == clean
    # the row changes with its fields, or with the answers to the safety rules stored with it
    # (a question the new blend raises, confirmed)
    row_changed = (
        dataclasses.replace(clean, blend=()) != dataclasses.replace(base.validated(NOW), blend=())
        or _answers_of(services.sessions.session(victim)) != answers_before
    )
    old, new = len(base.blend), len(clean.blend)
    churn = old + new if clean.blend != base.blend else 0
    assert_stored(before, services, blend_item=new - old, audit_entry=int(row_changed) + churn)


def _answers_of(session: Any) -> tuple[Any, str]:
    return tuple(session.safety_confirmed), session.override_reason


# -- side effects ---------------------------------------------------------------------------------


def effect_fields(clinic: Clinic) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "kind": coded(SideEffectKind),
        "onset_on": near_today,
        "grade": maybe(ints(1, 5)),
        "outcome": coded(AEOutcome),
        "causality": coded(Causality),
        "resolved_on": near_today,
        "pain_nrs": maybe(ints(0, 10)),
        "serious": st.booleans(),
        "body_area": maybe(coded(BodyArea)),
        "session_id": maybe(ids(*clinic.sessions)),
        "lot_ids": st.lists(ids(*clinic.lots), max_size=3).map(tuple),
        "suspects_blend": st.booleans(),
        "action_taken": coded(ActionTaken),
        "reported_via": maybe(coded(ReportChannel)),
        "reported_at": moments(datetime(2026, 9, 25), datetime(2026, 11, 26)),
        "recorded_by_id": maybe(ids(clinic.doctor)),
        "kind_note": texts,
        "body_area_note": texts,
        "action_note": texts,
        "notes": texts,
    }


def effect_base(clinic: Clinic) -> SideEffectInput:
    return SideEffectInput(
        kind=SideEffectKind.SWELLING,
        onset_on=date(2026, 10, 2),
        grade=2,
        causality=Causality.PROBABLE,
        body_area=BodyArea.FOREHEAD,
        session_id=clinic.session,
        lot_ids=(clinic.ha_lot,),
        action_taken=ActionTaken.COLD_COMPRESS,
        reported_at=datetime(2026, 10, 3, 9),
        recorded_by_id=clinic.doctor,
        notes="Called back the next day.",
        reported_via=ReportChannel.PHONE,
    )


def effect_answers(data: st.DataObject) -> dict[str, Any]:
    if data.draw(st.booleans(), label="answered"):
        return {"confirmed": EVERY_QUESTION}
    return {}


def expected_effect(services: Any, given_input: SideEffectInput) -> SideEffectInput:
    """What a side effect stores of its input: the whole blend's lots when it suspects the
    whole blend, in no particular order."""
    clean = given_input.validated(NOW)
    lots = clean.lot_ids
    if clean.suspects_blend and clean.session_id is not None:
        lots = tuple(b.lot_id for b in services.sessions.session(clean.session_id).blend)
    return dataclasses.replace(clean, lot_ids=tuple(sorted(lots)))


def as_stored(effect: Any) -> SideEffectInput:
    return dataclasses.replace(effect.as_input(), lot_ids=tuple(sorted(effect.lot_ids)))


def victim_effect(services: Any, clinic: Clinic) -> int:
    """A side effect of the clinic's patient, put back to ongoing as at first."""
    base = effect_base(clinic)
    if not hasattr(services, "_effect"):
        services._effect = services.side_effects.record_side_effect(clinic.patient, base).value.id
    effect: int = services._effect
    services.side_effects.update_side_effect(effect, base)
    return effect


@PROPERTY
@given(data=st.data())
def test_record_side_effect(services: Any, data: st.DataObject) -> None:
    clinic = clinic_of(services)
    patient = data.draw(path_id(clinic.patient), label="patient_id")
    given_input = dataclasses.replace(
        effect_base(clinic), **data.draw(changes(effect_fields(clinic)))
    )
    answered = effect_answers(data)
    result, before, refused = attempt(
        services,
        lambda: services.side_effects.record_side_effect(patient, given_input, **answered),
        SideEffectInput,
        (NotFoundError, SafetyQuestions),
    )
    assert not isinstance(refused, NotFoundError) or patient != clinic.patient
    if isinstance(refused, SafetyQuestions):
        assert not answered and refused.questions
    if result is None:
        return
    stored = services.side_effects.side_effect(result.value.id)
    expected = expected_effect(services, given_input)
    assert as_stored(stored) == expected
    assert_stored(before, services, side_effect=1, side_effect_lot=len(expected.lot_ids))


@PROPERTY
@given(data=st.data())
def test_update_side_effect(services: Any, data: st.DataObject) -> None:
    clinic = clinic_of(services)
    victim = victim_effect(services, clinic)
    base = effect_base(clinic)
    target = data.draw(path_id(victim), label="effect_id")
    given_input = dataclasses.replace(base, **data.draw(changes(effect_fields(clinic))))
    answered = effect_answers(data)
    result, before, refused = attempt(
        services,
        lambda: services.side_effects.update_side_effect(target, given_input, **answered),
        SideEffectInput,
        (NotFoundError, SafetyQuestions),
    )
    assert not isinstance(refused, NotFoundError) or target != victim
    if isinstance(refused, SafetyQuestions):
        assert not answered and refused.questions
    if result is None:
        return
    expected = expected_effect(services, given_input)
    assert as_stored(services.side_effects.side_effect(victim)) == expected
    was = expected_effect(services, base)
    row_changed = dataclasses.replace(expected, lot_ids=()) != dataclasses.replace(was, lot_ids=())
    links = len(set(expected.lot_ids) ^ set(was.lot_ids))
    assert_stored(
        before,
        services,
        side_effect_lot=len(expected.lot_ids) - len(was.lot_ids),
        audit_entry=int(row_changed) + links,
    )


@PROPERTY
@given(
    data=st.data(),
    on=st.one_of(st.dates(date(2026, 10, 2), NOW.date()), near_today, st.dates()),
    outcome=st.one_of(
        st.sampled_from(sorted(RESOLVED_OUTCOMES)),
        st.sampled_from(sorted(RESOLVED_OUTCOMES)),
        coded(AEOutcome),
    ),
)
def test_resolve_side_effect(
    services: Any, data: st.DataObject, on: date | None, outcome: Any
) -> None:
    clinic = clinic_of(services)
    victim = victim_effect(services, clinic)
    if not hasattr(services, "_resolved"):
        resolved = dataclasses.replace(
            effect_base(clinic), resolved_on=date(2026, 10, 6), outcome=AEOutcome.RESOLVED
        )
        services._resolved = services.side_effects.record_side_effect(clinic.patient, resolved)
    already: int = services._resolved.value.id
    target = data.draw(
        st.one_of(path_id(victim), path_id(victim), st.just(already)), label="effect_id"
    )
    current = services.side_effects.side_effect(victim)
    result, before, refused = attempt(
        services,
        lambda: services.side_effects.resolve_side_effect(target, on, outcome),
        SideEffectInput,
        (NotFoundError, ConflictError),
    )
    assert not isinstance(refused, NotFoundError) or target not in (victim, already)
    if isinstance(refused, ConflictError):
        assert target == already  # only a side effect already resolved
    if result is None:
        return
    stored = services.side_effects.side_effect(victim)
    assert stored.resolved_on == (on or NOW.date())
    assert stored.outcome is AEOutcome.parse(outcome)
    unchanged = dataclasses.replace(stored.as_input(), resolved_on=None, outcome=current.outcome)
    assert unchanged == current.as_input()
    assert_stored(before, services, audit_entry=1)


# -- outcomes -------------------------------------------------------------------------------------


def outcome_fields(clinic: Clinic) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "assessed_on": near_today,
        "course_id": maybe(ids(*clinic.courses)),
        "gais": maybe(ints(1, 5)),
        "satisfaction": maybe(ints(0, 10)),
        "notes": texts,
    }


@PROPERTY
@given(data=st.data())
def test_record_outcome(services: Any, data: st.DataObject) -> None:
    clinic = clinic_of(services)
    patient = data.draw(path_id(clinic.patient), label="patient_id")
    base = OutcomeInput(date(2026, 11, 20), clinic.course, gais=2, satisfaction=8, notes="Happy.")
    given_input = dataclasses.replace(base, **data.draw(changes(outcome_fields(clinic))))
    result, before, refused = attempt(
        services,
        lambda: services.outcomes.record_outcome(patient, given_input),
        OutcomeInput,
        (NotFoundError,),
    )
    assert not isinstance(refused, NotFoundError) or patient != clinic.patient
    if result is None:
        return
    (stored,) = [o for o in services.treatment.record(patient).outcomes if o.id == result.value.id]
    assert OutcomeInput(
        stored.assessed_on, stored.course_id, stored.gais, stored.satisfaction, stored.notes
    ) == given_input.validated(NOW.date())
    assert_stored(before, services, outcome_assessment=1)


# -- ids SQLite cannot hold, one field at a time --------------------------------------------------

ID_FIELDS = [
    ("create_lot", "product_id"),
    ("log_session", "course_id"),
    ("log_session", "practitioner_id"),
    ("log_session", "blend"),
    ("update_session", "blend"),
    ("record_side_effect", "session_id"),
    ("record_side_effect", "lot_ids"),
    ("record_side_effect", "recorded_by_id"),
    ("update_side_effect", "session_id"),
    ("record_outcome", "course_id"),
]


@pytest.mark.parametrize(("method", "field"), ID_FIELDS)
@pytest.mark.parametrize(
    "big", [2**63, -(2**63) - 1, 10**400], ids=["2**63", "-(2**63)-1", "10**400"]
)
def test_an_id_sqlite_cannot_hold_is_refused_like_a_missing_one(
    services: Any, method: str, field: str, big: int
) -> None:
    """Not OverflowError from the database driver: the field's own "no such record" message."""
    clinic = clinic_of(services)
    calls: dict[str, Callable[[], Any]] = {}
    if method == "create_lot":
        lot = LotInput(big, "BIG-1", date(2027, 6, 30))
        calls[method] = lambda: services.catalogue.create_lot(lot)
    elif method in ("log_session", "update_session"):
        value: Any = (BlendInput(big, 1.0),) if field == "blend" else big
        session = dataclasses.replace(session_base(clinic), **{field: value})
        calls["log_session"] = lambda: services.sessions.log_session(clinic.patient, session)
        calls["update_session"] = lambda: services.sessions.update_session(clinic.session, session)
    elif method in ("record_side_effect", "update_side_effect"):
        change: dict[str, Any] = {field: (big,) if field == "lot_ids" else big}
        effect = dataclasses.replace(effect_base(clinic), **change)
        victim = victim_effect(services, clinic)
        calls["record_side_effect"] = lambda: services.side_effects.record_side_effect(
            clinic.patient, effect
        )
        calls["update_side_effect"] = lambda: services.side_effects.update_side_effect(
            victim, effect
        )
    else:
        outcome = OutcomeInput(date(2026, 11, 20), big, gais=2)
        calls[method] = lambda: services.outcomes.record_outcome(clinic.patient, outcome)
    before = snapshot(services)
    with pytest.raises(ValidationError) as info:
        calls[method]()
    assert list(info.value.errors) == [field]
    assert snapshot(services) == before


# -- names SQLite cannot change the case of -------------------------------------------------------


@pytest.mark.parametrize("name", ["Élastine", "ÉLASTINE", "Ǆ", "İ"])
def test_a_product_name_taken_is_refused_in_any_script(services: Any, name: str) -> None:
    """Not IntegrityError from the UNIQUE constraint: SQLite's lower() leaves "É" as it is."""
    c = services.catalogue
    c.create_product(ProductInput(name, ("Water",)))
    other = c.create_product(ProductInput("Vitamin C", ("Ascorbic acid",))).value.id
    before = snapshot(services)
    for call in (
        lambda: c.create_product(ProductInput(name, ("Water",))),
        lambda: c.update_product(other, ProductInput(name, ("Ascorbic acid",))),
    ):
        with pytest.raises(ValidationError) as info:
            call()
        assert list(info.value.errors) == ["name"]
    assert snapshot(services) == before


@pytest.mark.parametrize("number", ["é-7", "lot-ü", "ß-1"])
def test_a_lot_number_taken_is_refused_in_any_script(services: Any, number: str) -> None:
    c = services.catalogue
    product = c.create_product(ProductInput("Élastine", ("Élastine",))).value.id
    c.create_lot(LotInput(product, number, date(2027, 6, 30)))
    other = c.create_lot(LotInput(product, "E-8", date(2027, 6, 30))).value.id
    before = snapshot(services)
    for call in (
        lambda: c.create_lot(LotInput(product, number, date(2027, 6, 30))),
        lambda: c.update_lot(other, LotInput(product, number, date(2027, 6, 30))),
    ):
        with pytest.raises(ValidationError) as info:
            call()
        assert list(info.value.errors) == ["lot_number"]
    assert snapshot(services) == before
