"""Every safety rule (mesodesk.domain.safety) through the treatment service: what it refuses,
asks or warns, on which field, that nothing is stored on a refusal, and what is kept with the
record once the practitioner has answered."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.audit import AuditQuery
from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import (
    AEOutcome,
    BodyArea,
    Causality,
    Contraindication,
    Indication,
    ReportChannel,
    Sex,
    SideEffectKind,
)
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.safety import (
    CTCAE_TERMS,
    DEPTH_LIMITS_MM,
    RULES,
    Level,
    areas_overlap,
    nrs_grade,
)
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from mesodesk.services.treatment import SafetyQuestions
from tests.conftest import patient_input

REASON = "Cleared by her haematologist in writing, 2026-10-01."
COURSE_START = date(2026, 10, 1)


class Clinic:
    """A woman of 41 who signed her consent before the course, a course of 3 planned sessions
    on the forehead and cheeks, and two products in date."""

    def __init__(self, services: Any, start: date = COURSE_START, **patient: Any) -> None:
        self.s = services
        if not hasattr(services, "_lots"):  # one catalogue for every patient of a test
            c = services.catalogue
            ha = c.create_product(ProductInput("Hyaluronic acid 1.5%", ("Hyaluronate",))).value
            vit = c.create_product(ProductInput("Vitamin C 20%", ("Ascorbic acid",))).value
            services._lots = (
                c.create_lot(LotInput(ha.id, "HA-2601-A", date(2027, 6, 30))).value.id,
                c.create_lot(LotInput(vit.id, "VC-2603-C", date(2027, 6, 30))).value.id,
            )
        self.ha, self.vit = services._lots
        fields: dict[str, Any] = {
            "first_name": "Ana",
            "last_name": "Silva",
            "sex": Sex.FEMALE,
            "birth_date": date(1985, 3, 24),
            "consent_date": date(2026, 9, 15),
        }
        fields.update(patient)
        self.patient = services.patients.create(patient_input(**fields)).value
        self.course = services.courses.create_course(
            self.patient.id,
            CourseInput(
                Indication.WRINKLES,
                start,
                (BodyArea.FOREHEAD, BodyArea.CHEEKS),
                planned_sessions=3,
                induction_sessions=3,
                maintenance_interval_months=3,
            ),
        ).value

    def data(self, when: datetime, **changes: Any) -> SessionInput:
        base = SessionInput(
            course_id=self.course.id,
            started_at=when,
            areas=(BodyArea.FOREHEAD,),
            depth_mm=1.5,
            blend=(BlendInput(self.ha, 2.0), BlendInput(self.vit, 1.0)),
            total_volume_ml=3.0,
        )
        return replace(base, **changes)

    def session(self, when: datetime, **kw: Any) -> Any:
        answers = {
            k: kw.pop(k) for k in ("confirmed", "override_reason", "extend_course") if k in kw
        }
        return self.s.sessions.log_session(self.patient.id, self.data(when, **kw), **answers).value

    def effect_data(self, **changes: Any) -> SideEffectInput:
        base = SideEffectInput(
            kind=SideEffectKind.SWELLING,
            onset_on=date(2026, 10, 2),
            grade=1,
            body_area=BodyArea.FOREHEAD,
            reported_via=ReportChannel.PHONE,
            reported_at=datetime(2026, 10, 3, 9),
        )
        return replace(base, **changes)

    def counts(self) -> tuple[int, ...]:
        with self.s._db.read() as s:
            con = s.connection()
            return tuple(
                con.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
                for t in (
                    "treatment_session",
                    "blend_item",
                    "side_effect",
                    "side_effect_lot",
                    "audit_entry",
                    "course",
                )
            )


@pytest.fixture
def clinic(services: Any) -> Clinic:
    return Clinic(services)


def refused(clinic: Clinic, call: Any) -> Exception:
    """The call is refused, and nothing at all is stored."""
    before = clinic.counts()
    with pytest.raises((ValidationError, SafetyQuestions)) as info:
        call()
    assert clinic.counts() == before
    return info.value


def question(clinic: Clinic, call: Any, rule: str, field: str, words: str) -> None:
    error = refused(clinic, call)
    assert isinstance(error, SafetyQuestions), error
    (found,) = [f for f in error.questions if f.rule == rule]
    assert found.field == field and words in found.message, found


def block(clinic: Clinic, call: Any, field: str, words: str) -> None:
    error = refused(clinic, call)
    assert isinstance(error, ValidationError), error
    assert words in error.errors[field], error.errors


# -- the tables and the catalogue of rules -------------------------------------------------------


def test_every_kind_has_its_ctcae_term_and_every_area_its_depth_limit() -> None:
    assert {k.value for k in SideEffectKind} <= set(CTCAE_TERMS)
    assert CTCAE_TERMS["bruising"].high == 2 and CTCAE_TERMS["redness_bumps"].high == 4
    assert CTCAE_TERMS["infection"].low == 2  # CTCAE v5 "Skin infection" has no grade 1
    assert set(DEPTH_LIMITS_MM) == set(BodyArea)
    assert all(1.0 <= limit <= 4.0 for limit in DEPTH_LIMITS_MM.values())
    for rule in RULES.values():
        assert rule.source and rule.title
        assert not rule.overridable or rule.level is Level.BLOCK


def test_nrs_bridges_to_the_pain_grade() -> None:
    assert [nrs_grade(n) for n in range(11)] == [None, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3]


def test_whole_face_holds_its_parts() -> None:
    assert areas_overlap(BodyArea.FACE, BodyArea.CHEEKS)
    assert areas_overlap(BodyArea.PERIORBITAL, BodyArea.FACE)
    assert not areas_overlap(BodyArea.CHEEKS, BodyArea.FOREHEAD)
    assert not areas_overlap(BodyArea.FACE, BodyArea.THIGHS)
    assert areas_overlap(BodyArea.OTHER, BodyArea.THIGHS)


# -- contraindications ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        Contraindication.PREGNANCY,
        Contraindication.SKIN_INFECTION,
        Contraindication.ANTICOAGULANT,
        Contraindication.BLEEDING_DISORDER,
    ],
)
def test_an_absolute_contraindication_blocks_unless_a_reason_is_recorded(
    services: Any, item: Contraindication
) -> None:
    clinic = Clinic(services, contraindications=frozenset({item}))
    when = datetime(2026, 10, 5, 10)
    question(clinic, lambda: clinic.session(when), f"ci.{item.value}", "patient", "override reason")
    # a reason of a word or two is not a reason
    question(
        clinic,
        lambda: clinic.session(when, override_reason="ok fine"),
        f"ci.{item.value}",
        "patient",
        "Contraindication",
    )
    saved = clinic.session(when, override_reason=REASON)
    assert saved.override_reason == REASON and f"ci.{item.value}" in saved.safety_confirmed
    # the override is in the audit trail, with the session it allowed
    entries = services.audit.search(AuditQuery(patient_id=clinic.patient.id)).entries
    created = [e for e in entries if e.entity == "treatment_session" and e.action == "create"]
    assert created and created[0].after is not None
    assert created[0].after["override_reason"] == REASON


@pytest.mark.parametrize(
    "item",
    [
        Contraindication.AUTOIMMUNE,
        Contraindication.DIABETES,
        Contraindication.CANCER,
        Contraindication.KELOID,
    ],
)
def test_a_relative_contraindication_asks(services: Any, item: Contraindication) -> None:
    clinic = Clinic(services, contraindications=frozenset({item}))
    when = datetime(2026, 10, 5, 10)
    question(clinic, lambda: clinic.session(when), f"ci.{item.value}", "patient", "Relative")
    saved = clinic.session(when, confirmed=[f"ci.{item.value}"])
    assert saved.safety_confirmed == (f"ci.{item.value}",) and saved.override_reason == ""


def test_an_allergy_ticked_without_a_name_asks(services: Any) -> None:
    clinic = Clinic(services, contraindications=frozenset({Contraindication.INGREDIENT_ALLERGY}))
    when = datetime(2026, 10, 5, 10)
    question(clinic, lambda: clinic.session(when), "ci.ingredient_allergy", "patient", "none is")
    named = Clinic(
        services,
        first_name="Eva",
        allergies=("Latex",),
        contraindications=frozenset({Contraindication.INGREDIENT_ALLERGY}),
    )
    assert named.session(when).safety_confirmed == ()  # the named allergy is matched instead


def test_pregnancy_is_refused_for_a_male_patient(services: Any) -> None:
    with pytest.raises(ValidationError) as info:
        services.patients.create(
            patient_input(sex=Sex.MALE, contraindications=frozenset({Contraindication.PREGNANCY}))
        )
    assert "male patient" in info.value.errors["contraindications"]
    with services._db.read() as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM patient").scalar_one() == 0


# -- the patient's dates --------------------------------------------------------------------------


def test_a_session_before_birth_or_before_the_consent_is_refused(services: Any) -> None:
    born = Clinic(services, birth_date=date(2026, 10, 10), guardian_name="Ana Silva (mother)")
    block(born, lambda: born.session(datetime(2026, 10, 5, 10)), "started_at", "birth")
    later = Clinic(services, first_name="Eva", consent_date=date(2026, 10, 10))
    block(later, lambda: later.session(datetime(2026, 10, 5, 10)), "started_at", "consent")
    assert later.session(datetime(2026, 10, 10, 10)).id


def test_a_minor_needs_a_recorded_guardian_consent(services: Any) -> None:
    child = Clinic(services, birth_date=date(2015, 2, 1))
    block(child, lambda: child.session(datetime(2026, 10, 5, 10)), "patient", "is 11")
    consented = Clinic(
        services,
        first_name="Eva",
        birth_date=date(2009, 2, 1),
        guardian_name="Maria Silva (mother)",
    )
    assert consented.session(datetime(2026, 10, 5, 10)).id
    no_date = Clinic(services, first_name="Rui", birth_date=date(2009, 2, 1), consent_date=None)
    services.patients.update(
        no_date.patient.id, replace(no_date.patient.as_input(), guardian_name="Paula (mother)")
    )
    block(no_date, lambda: no_date.session(datetime(2026, 10, 5, 10)), "patient", "consent")


def test_no_consent_date_is_a_warning_only(services: Any) -> None:
    clinic = Clinic(services, consent_date=None)
    data = clinic.data(datetime(2026, 10, 5, 10))
    findings = services.sessions.session_findings(clinic.patient.id, data)
    assert [(f.rule, f.level) for f in findings] == [("patient.no_consent", Level.WARN)]
    assert clinic.session(datetime(2026, 10, 5, 10)).safety_confirmed == ()


# -- open side effects at the treated area --------------------------------------------------------


def test_an_open_side_effect_at_a_treated_area_blocks(clinic: Clinic) -> None:
    first = clinic.session(datetime(2026, 10, 1, 10))
    infection = clinic.s.side_effects.record_side_effect(
        clinic.patient.id,
        clinic.effect_data(
            kind=SideEffectKind.INFECTION,
            grade=3,
            serious=True,
            onset_on=date(2026, 10, 4),
            reported_at=datetime(2026, 10, 4, 9),
            session_id=first.id,
        ),
    ).value
    when = datetime(2026, 10, 8, 10)
    question(clinic, lambda: clinic.session(when), "session.open_effect", "areas", "An infection")
    # another area is not blocked
    assert clinic.session(when, areas=(BodyArea.CHEEKS,)).id
    # once resolved (before the session) it no longer blocks
    clinic.s.side_effects.resolve_side_effect(infection.id, date(2026, 10, 9))
    assert clinic.session(datetime(2026, 10, 16, 10), override_reason="").id


def test_an_open_effect_on_the_whole_face_blocks_a_session_on_the_cheeks(clinic: Clinic) -> None:
    first = clinic.session(datetime(2026, 10, 1, 10))
    clinic.s.side_effects.record_side_effect(
        clinic.patient.id,
        clinic.effect_data(body_area=BodyArea.FACE, session_id=first.id),
    )
    when = datetime(2026, 10, 8, 10)
    question(
        clinic,
        lambda: clinic.session(when, areas=(BodyArea.CHEEKS,)),
        "session.open_effect",
        "areas",
        "Swelling",
    )
    saved = clinic.session(when, areas=(BodyArea.CHEEKS,), override_reason=REASON)
    assert "session.open_effect" in saved.safety_confirmed


# -- timing and the plan --------------------------------------------------------------------------


def test_two_sessions_the_same_day_ask(clinic: Clinic) -> None:
    clinic.session(datetime(2026, 10, 1, 10))
    later = datetime(2026, 10, 1, 16)
    question(clinic, lambda: clinic.session(later), "session.same_day", "started_at", "same day")
    assert clinic.session(later, confirmed=["session.same_day", "session.interval"]).id


def test_a_session_too_soon_after_the_previous_one_asks(clinic: Clinic) -> None:
    clinic.session(datetime(2026, 10, 1, 10))
    soon = datetime(2026, 10, 2, 10)
    question(clinic, lambda: clinic.session(soon), "session.interval", "started_at", "1 day")
    assert clinic.session(datetime(2026, 10, 8, 10)).safety_confirmed == ()  # 7 days: fine


def test_more_sessions_than_planned_ask_and_the_course_can_be_extended(clinic: Clinic) -> None:
    for day in (1, 8, 15):
        clinic.session(datetime(2026, 10, day, 10))
    fourth = datetime(2026, 10, 22, 10)
    question(clinic, lambda: clinic.session(fourth), "session.beyond_plan", "course_id", "4 of")
    extended = clinic.session(fourth, extend_course=True)
    assert extended.safety_confirmed == ()
    course = clinic.s.treatment.record(clinic.patient.id).courses[0]
    assert course.plan.planned_sessions == 4 and course.sessions_done == 4
    # or confirmed without extending
    fifth = datetime(2026, 10, 29, 10)
    saved = clinic.session(fifth, confirmed=["session.beyond_plan"])
    assert saved.safety_confirmed == ("session.beyond_plan",)


def test_a_maintenance_session_past_the_plan_is_not_asked(services: Any) -> None:
    clinic = Clinic(services, start=date(2026, 6, 1), consent_date=date(2026, 5, 20))
    for day in (1, 8, 15):
        clinic.session(datetime(2026, 6, day, 10))
    # sooner than the course's maintenance interval (3 months, less a month's leeway) it is a
    # session past the plan
    question(
        clinic,
        lambda: clinic.session(datetime(2026, 8, 10, 10)),
        "session.beyond_plan",
        "course_id",
        "4 of",
    )
    assert clinic.session(datetime(2026, 8, 20, 10)).safety_confirmed == ()


def test_a_course_cannot_be_extended_past_fifteen_sessions(services: Any) -> None:
    clinic = Clinic(services, start=date(2026, 1, 1), consent_date=date(2025, 12, 1))
    start = datetime(2026, 1, 5, 10)
    with services._db.write() as s:  # a long course, planned for 15, already given
        s.connection().exec_driver_sql(
            "UPDATE course SET planned_sessions = 15 WHERE id = ?", (clinic.course.id,)
        )
    for i in range(15):
        clinic.session(start + timedelta(days=7 * i))
    sixteenth = start + timedelta(days=7 * 15)
    block(
        clinic,
        lambda: clinic.session(sixteenth, extend_course=True),
        "course_id",
        "at most 15",
    )


# -- what was injected ----------------------------------------------------------------------------


def test_a_total_volume_other_than_the_blend_asks(clinic: Clinic) -> None:
    when = datetime(2026, 10, 5, 10)
    question(
        clinic,
        lambda: clinic.session(when, total_volume_ml=4.5),
        "session.volume",
        "total_volume_ml",
        "add up to (3 ml)",
    )
    assert clinic.session(when, total_volume_ml=3.02).safety_confirmed == ()  # rounding


def test_a_depth_past_the_areas_limit_asks(clinic: Clinic) -> None:
    when = datetime(2026, 10, 5, 10)
    question(
        clinic,
        lambda: clinic.session(when, areas=(BodyArea.PERIORBITAL, BodyArea.FOREHEAD)),
        "session.depth",
        "depth_mm",
        "1 mm for Around the eyes",
    )
    assert clinic.session(when, depth_mm=2.0).safety_confirmed == ()  # forehead: up to 2 mm


# -- side effects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (
            {
                "grade": 5,
                "serious": True,
                "outcome": AEOutcome.FATAL,
                "resolved_on": date(2026, 10, 3),
            },
            "grades 1 to 3",
        ),
        ({"kind": SideEffectKind.BRUISING, "grade": 3}, "grades 1 to 2"),
        ({"kind": SideEffectKind.INFECTION, "grade": 1}, "grades 2 to 5"),
    ],
)
def test_a_grade_the_ctcae_term_does_not_have_is_refused(
    clinic: Clinic, changes: dict[str, Any], words: str
) -> None:
    block(
        clinic,
        lambda: clinic.s.side_effects.record_side_effect(
            clinic.patient.id, clinic.effect_data(**changes)
        ),
        "grade",
        words,
    )


@pytest.mark.parametrize(("grade", "nrs"), [(1, 9), (3, 1), (2, 0)])
def test_a_pain_grade_the_nrs_contradicts_asks(clinic: Clinic, grade: int, nrs: int) -> None:
    data = clinic.effect_data(kind=SideEffectKind.PAIN, grade=grade, pain_nrs=nrs)
    question(
        clinic,
        lambda: clinic.s.side_effects.record_side_effect(clinic.patient.id, data),
        "effect.pain_nrs",
        "pain_nrs",
        f"NRS {nrs}",
    )
    saved = clinic.s.side_effects.record_side_effect(
        clinic.patient.id, data, confirmed=["effect.pain_nrs"]
    ).value
    assert saved.safety_confirmed == ("effect.pain_nrs",)
    # what agrees is not asked
    fine = replace(data, grade=2, pain_nrs=5)
    assert clinic.s.side_effects.record_side_effect(clinic.patient.id, fine).value.id


def test_a_mild_event_marked_serious_asks_and_a_severe_one_not_serious_warns(
    clinic: Clinic,
) -> None:
    mild = clinic.effect_data(serious=True)
    question(
        clinic,
        lambda: clinic.s.side_effects.record_side_effect(clinic.patient.id, mild),
        "effect.serious_mild",
        "serious",
        "grade 1",
    )
    severe = clinic.effect_data(grade=3)
    findings = clinic.s.side_effects.side_effect_findings(clinic.patient.id, severe)
    assert [(f.rule, f.level, f.field) for f in findings] == [
        ("effect.severe_not_serious", Level.WARN, "serious")
    ]
    assert clinic.s.side_effects.record_side_effect(clinic.patient.id, severe).value.id


def test_a_causality_needs_a_suspected_session(clinic: Clinic) -> None:
    certain = clinic.effect_data(causality=Causality.CERTAIN)
    block(
        clinic,
        lambda: clinic.s.side_effects.record_side_effect(clinic.patient.id, certain),
        "causality",
        "suspected session",
    )
    for value in (Causality.NOT_ASSESSED, Causality.UNASSESSABLE):
        saved = clinic.s.side_effects.record_side_effect(
            clinic.patient.id, clinic.effect_data(causality=value)
        ).value
        assert saved.causality is value
    assert SideEffectInput(SideEffectKind.PAIN, None, None).causality is Causality.NOT_ASSESSED


def test_how_it_was_reported_has_no_default(clinic: Clinic) -> None:
    block(
        clinic,
        lambda: clinic.s.side_effects.record_side_effect(
            clinic.patient.id, clinic.effect_data(reported_via=None)
        ),
        "reported_via",
        "how",
    )


def test_an_area_the_session_did_not_treat_warns(clinic: Clinic) -> None:
    session = clinic.session(datetime(2026, 10, 1, 10))
    away = clinic.effect_data(session_id=session.id, body_area=BodyArea.THIGHS)
    findings = clinic.s.side_effects.side_effect_findings(clinic.patient.id, away)
    assert [(f.rule, f.level, f.field) for f in findings] == [
        ("effect.area", Level.WARN, "body_area")
    ]
    assert "Forehead" in findings[0].message
    assert clinic.s.side_effects.record_side_effect(clinic.patient.id, away).value.id


# -- attribution ----------------------------------------------------------------------------------


def test_a_side_effect_suspects_some_lots_or_the_whole_blend(clinic: Clinic) -> None:
    session = clinic.session(datetime(2026, 10, 1, 10))
    one = clinic.s.side_effects.record_side_effect(
        clinic.patient.id, clinic.effect_data(session_id=session.id, lot_ids=(clinic.vit,))
    ).value
    assert one.lot_ids == (clinic.vit,) and not one.suspects_blend
    whole = clinic.s.side_effects.record_side_effect(
        clinic.patient.id, clinic.effect_data(session_id=session.id, suspects_blend=True)
    ).value
    assert whole.suspects_blend and set(whole.lot_ids) == {clinic.ha, clinic.vit}
    assert "every lot of the session" in whole.lots_text
    # a lot that is not in the session's blend is refused
    other = clinic.s.catalogue.create_lot(LotInput(1, "HA-2702-X", date(2027, 9, 30))).value.id
    block(
        clinic,
        lambda: clinic.s.side_effects.record_side_effect(
            clinic.patient.id, clinic.effect_data(session_id=session.id, lot_ids=(other,))
        ),
        "lot_ids",
        "not one that session used",
    )
    # the blend changes: a lot that left it is no longer suspected; the whole blend follows it
    clinic.s.sessions.update_session(
        session.id,
        clinic.data(
            datetime(2026, 10, 1, 10),
            blend=(BlendInput(clinic.ha, 2.0), BlendInput(other, 1.0)),
        ),
        confirmed=["session.volume"],
    )
    assert clinic.s.side_effects.side_effect(one.id).lot_ids == ()
    assert set(clinic.s.side_effects.side_effect(whole.id).lot_ids) == {clinic.ha, other}


def test_the_dashboard_counts_every_suspected_lot(clinic: Clinic) -> None:
    session = clinic.session(datetime(2026, 10, 1, 10))
    clinic.s.side_effects.record_side_effect(
        clinic.patient.id, clinic.effect_data(session_id=session.id, suspects_blend=True)
    )
    dash = clinic.s.analytics.dashboard(date(2026, 10, 1), date(2026, 10, 31))
    assert {lot.lot_number: lot.rate.events for lot in dash.lots} == {
        "HA-2601-A": 1,
        "VC-2603-C": 1,
    }
    assert clinic.s.analytics.drift() == dict.fromkeys(
        ("stats_session_day", "stats_effect_day", "stats_lot_reaction"), 0
    )


# -- records saved before the rules ---------------------------------------------------------------


def test_check_lists_records_that_break_a_rule_and_changes_nothing(
    services: Any, db_path: Path, capsys: Any
) -> None:
    from mesodesk.cli import main

    clinic = Clinic(services)
    session = clinic.session(datetime(2026, 10, 1, 10))
    confirmed = clinic.session(datetime(2026, 10, 2, 10), confirmed=["session.interval"])
    clinic.s.side_effects.record_side_effect(
        clinic.patient.id, clinic.effect_data(session_id=session.id)
    )
    from sqlalchemy import update

    from mesodesk.store.models import Patient, SideEffect

    # saved before the rules, as a clinic's older records were (by an older mesodesk, so in
    # the audit trail: a change past it would be reported as tampering): a grade bruising has
    # not, and a pregnancy recorded after the sessions
    with services._db.write() as s:
        s.execute(update(SideEffect).values(kind="bruising", grade=3))
        s.execute(update(Patient).values(contraindications=["pregnancy"]))
    services.close()
    con = sqlite3.connect(db_path)
    before = con.execute("SELECT * FROM side_effect UNION ALL SELECT * FROM side_effect").fetchall()
    con.close()
    assert main(["--db", str(db_path), "check"]) == 0
    out = capsys.readouterr().out
    assert "warn  effect.grade_range: 1" in out
    assert "warn  ci.pregnancy: 1" in out and "2 sessions, 2026-10-01 10:00 on" in out
    assert "session.interval" not in out  # confirmed when it was saved
    assert f"{clinic.patient.record_no} side effect 2026-10-02 (Bruising)" in out
    assert "The database is sound." in out
    con = sqlite3.connect(db_path)
    after = con.execute("SELECT * FROM side_effect UNION ALL SELECT * FROM side_effect").fetchall()
    con.close()
    assert after == before
    assert confirmed.safety_confirmed == ("session.interval",)
