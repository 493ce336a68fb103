"""Issue 15 items 5 and 13 through the services: the numbing product is a catalogue product with
a lot, checked against allergies and traced; the course-end review is stored once per course,
shown by `show`, printed in the summary and counted by the dashboard's GAIS by indication."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
from mesodesk.domain.enums import BodyArea, CourseStatus, Indication, NumbingAgent
from mesodesk.domain.errors import ConflictError, ValidationError
from mesodesk.domain.summary import SummaryOptions
from mesodesk.domain.treatment import BlendInput, CourseInput, OutcomeInput, SessionInput
from mesodesk.services.treatment import AllergyWarning
from tests.conftest import patient_input


class Clinic:
    def __init__(self, services: Any, allergies: tuple[str, ...] = ("Lidocaine",)) -> None:
        c = services.catalogue
        self.services = services
        ha = c.create_product(ProductInput("Hyaluronic acid", ("Sodium hyaluronate",))).value
        self.ha = c.create_lot(LotInput(ha.id, "HA-1", date(2027, 6, 30))).value.id
        cream = c.create_product(
            ProductInput("Numbing cream 5%", ("Lidocaine", "Prilocaine"), numbing=True)
        ).value
        gel = c.create_product(ProductInput("Tetracaine 4% gel", ("Tetracaine",), numbing=True))
        self.cream_product = cream.id
        self.cream = c.create_lot(LotInput(cream.id, "NC-1", date(2027, 6, 30))).value.id
        self.old_cream = c.create_lot(LotInput(cream.id, "NC-0", date(2026, 10, 31))).value.id
        self.gel = c.create_lot(LotInput(gel.value.id, "TG-7", date(2027, 6, 30))).value.id
        self.patient = services.patients.create(
            patient_input(allergies=allergies, consent_date=date(2026, 9, 1))
        ).value.id
        self.course = services.courses.create_course(
            self.patient,
            CourseInput(
                Indication.WRINKLES,
                date(2026, 10, 1),
                (BodyArea.FOREHEAD,),
                planned_sessions=3,
                induction_sessions=3,
            ),
        ).value.id

    def data(self, when: datetime = datetime(2026, 11, 20, 10), **changes: Any) -> SessionInput:
        base = SessionInput(
            self.course,
            when,
            (BodyArea.FOREHEAD,),
            1.5,
            (BlendInput(self.ha, 2.0),),
            numbing_agent=NumbingAgent.TOPICAL_ANAESTHETIC,
            numbing_lot_id=self.gel,
        )
        return dataclasses.replace(base, **changes)

    def log(self, data: SessionInput, **answers: Any) -> Any:
        return self.services.sessions.log_session(self.patient, data, **answers).value

    def sessions(self) -> int:
        return len(self.services.treatment.record(self.patient).sessions)


def test_the_numbing_product_and_lot_are_stored_and_read_back(services: Any) -> None:
    clinic = Clinic(services)
    saved = clinic.log(clinic.data())
    assert saved.numbing is not None
    assert (saved.numbing.product, saved.numbing.lot_number) == ("Tetracaine 4% gel", "TG-7")
    assert saved.numbing_text == "Tetracaine 4% gel, lot TG-7"
    with services._db.read() as s:
        row = s.connection().exec_driver_sql(
            "SELECT numbing_agent, numbing_lot_id FROM treatment_session WHERE id = ?",
            (saved.id,),
        )
        assert tuple(row.one()) == ("topical", clinic.gel)
    # the lot now has a use: it stays on record
    assert services.catalogue.lot(clinic.gel).uses == 1
    with pytest.raises(ConflictError, match="cannot be deleted"):
        services.catalogue.delete_lot(clinic.gel)


def test_a_lidocaine_allergic_patient_is_warned_of_a_lidocaine_cream(services: Any) -> None:
    clinic = Clinic(services)
    with pytest.raises(AllergyWarning) as raised:
        clinic.log(clinic.data(numbing_lot_id=clinic.cream))
    assert "Lidocaine in Numbing cream 5% (allergy: Lidocaine)" in str(raised.value)
    assert clinic.sessions() == 0
    saved = clinic.log(clinic.data(numbing_lot_id=clinic.cream), allergy_confirmed=True)
    assert saved.numbing.lot_number == "NC-1"


def test_the_allergy_list_is_read_against_the_product_name(services: Any) -> None:
    clinic = Clinic(services, allergies=("numbing cream (blisters in 2024)",))
    assert [
        m.product for m in services.sessions.allergy_warnings(clinic.patient, (), clinic.cream)
    ] == ["Numbing cream 5%"]
    assert services.sessions.allergy_warnings(clinic.patient, (), clinic.gel) == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"numbing_lot_id": None}, "numbing_agent", "Choose the numbing cream or spray"),
        ({"numbing_lot_id": 0}, "numbing_lot_id", "lot"),
        ({"numbing_agent": NumbingAgent.COLD}, "numbing_agent", "topical anaesthetic"),
        ({"numbing_lot_id": "ha"}, "numbing_lot_id", "not a numbing product"),
        ({"numbing_lot_id": "old"}, "numbing_lot_id", "expired on 2026-10-31"),
    ],
)
def test_a_wrong_numbing_choice_is_refused_beside_its_field(
    services: Any, changes: dict[str, Any], field: str, words: str
) -> None:
    clinic = Clinic(services, allergies=())
    named = {"ha": clinic.ha, "old": clinic.old_cream}
    changes = {k: named.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    with pytest.raises(ValidationError) as raised:
        clinic.log(clinic.data(**changes))
    assert words in raised.value.errors[field]
    assert clinic.sessions() == 0


def test_a_session_saved_before_numbing_lots_keeps_its_type(services: Any) -> None:
    clinic = Clinic(services, allergies=())
    saved = clinic.log(clinic.data(numbing_agent=NumbingAgent.NONE, numbing_lot_id=None))
    with services._db.write() as s:  # what a session of version 0.1 holds
        s.connection().exec_driver_sql(
            "UPDATE treatment_session SET numbing_agent = 'topical' WHERE id = ?", (saved.id,)
        )
    old = services.sessions.session(saved.id)
    assert old.numbing is None and old.numbing_text == "Topical anaesthetic cream"
    # edited without choosing a product: kept as it was
    edited = services.sessions.update_session(
        saved.id, dataclasses.replace(old.as_input(), notes="edited")
    ).value
    assert edited.numbing_agent is NumbingAgent.TOPICAL_ANAESTHETIC and edited.numbing is None
    # given its product now: stored
    edited = services.sessions.update_session(
        saved.id, dataclasses.replace(old.as_input(), numbing_lot_id=clinic.gel)
    ).value
    assert edited.numbing.lot_id == clinic.gel


def test_a_product_used_one_way_cannot_turn_into_the_other(services: Any) -> None:
    clinic = Clinic(services, allergies=())
    clinic.log(clinic.data(numbing_lot_id=clinic.cream))
    cream = services.catalogue.product(clinic.cream_product)
    data = ProductInput(cream.name, cream.ingredients, numbing=False)
    with pytest.raises(ValidationError) as raised:
        services.catalogue.update_product(cream.id, data)
    assert "numbing product of 1 session" in raised.value.errors["numbing"]
    assert services.catalogue.product(cream.id).numbing


# -- the course-end review ------------------------------------------------------------------------


def review(clinic: Clinic, **changes: Any) -> OutcomeInput:
    base = OutcomeInput(
        assessed_on=date(2026, 11, 24),
        course_id=clinic.course,
        gais=2,
        satisfaction=8,
        notes="Pleased; wants maintenance.",
        patient_gais=3,
    )
    return dataclasses.replace(base, **changes)


def test_a_course_review_is_stored_once_per_course_and_edited(services: Any) -> None:
    clinic = Clinic(services, allergies=())
    doctor = services.catalogue.create_practitioner(PractitionerInput("Dr. Lena Vogt")).value
    saved = services.outcomes.record_outcome(
        clinic.patient, review(clinic, assessor_id=doctor.id)
    ).value
    assert (saved.gais, saved.patient_gais, saved.satisfaction) == (2, 3, 8)
    assert saved.assessor == "Dr. Lena Vogt"
    assert saved.scores == "GAIS 2 by the practitioner, 3 by the patient; satisfaction 8/10"
    with pytest.raises(ValidationError) as raised:
        services.outcomes.record_outcome(clinic.patient, review(clinic))
    assert "already has its review (of 2026-11-24)" in raised.value.errors["course_id"]
    changed = services.outcomes.update_outcome(
        saved.id, review(clinic, patient_gais=1, gais=None)
    ).value
    assert (changed.gais, changed.patient_gais) == (None, 1)
    record = services.treatment.record(clinic.patient)
    assert record.review_of(clinic.course) == changed
    (line,) = [e for e in record.timeline() if e.kind == "outcome"]
    assert line.text == "Course review: GAIS 1 by the patient; satisfaction 8/10"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"gais": None, "patient_gais": None, "satisfaction": None}, "gais"),
        ({"patient_gais": 6}, "patient_gais"),
        ({"assessed_on": date(2026, 9, 30)}, "assessed_on"),  # before the course started
        ({"assessed_on": date(2026, 11, 25)}, "assessed_on"),  # tomorrow
        ({"assessor_id": 999}, "assessor_id"),
    ],
)
def test_a_wrong_review_is_refused_beside_its_field(
    services: Any, changes: dict[str, Any], field: str
) -> None:
    clinic = Clinic(services, allergies=())
    with pytest.raises(ValidationError) as raised:
        services.outcomes.record_outcome(clinic.patient, review(clinic, **changes))
    assert field in raised.value.errors
    assert services.treatment.record(clinic.patient).outcomes == ()


def test_the_dashboard_counts_the_practitioners_gais_of_each_review(services: Any) -> None:
    clinic = Clinic(services, allergies=())
    services.courses.set_course_status(clinic.course, CourseStatus.COMPLETED)
    services.outcomes.record_outcome(clinic.patient, review(clinic))
    dashboard = services.analytics.dashboard(date(2026, 1, 1), date(2026, 12, 31))
    ((indication, counts),) = [(g.indication, g.counts) for g in dashboard.gais]
    assert indication is Indication.WRINKLES and counts == (0, 1, 0, 0, 0)


def test_show_and_the_summary_name_the_numbing_product_and_the_review(
    services: Any, db_path: Path, tmp_path: Path
) -> None:
    clinic = Clinic(services, allergies=())
    clinic.log(clinic.data())
    services.outcomes.record_outcome(clinic.patient, review(clinic))
    out = tmp_path / "summary.pdf"
    services.summaries.write(clinic.patient, out, SummaryOptions(), action=None)
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Numbing: Tetracaine 4% gel, lot TG-7" in " ".join(text.split())
    words = " ".join(text.split())
    assert "Course review of" in words
    assert "GAIS 2 by the practitioner, 3 by the patient; satisfaction 8/10" in words
    assert "Pleased; wants maintenance." in words
    con = sqlite3.connect(db_path)
    try:
        assert con.execute("SELECT count(*) FROM outcome_assessment").fetchone() == (1,)
    finally:
        con.close()
