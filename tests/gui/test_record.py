"""The patient record and its dialogs: courses, sessions, side effects, through the GUI."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
from mesodesk.domain.enums import (
    AEOutcome,
    BodyArea,
    Causality,
    CourseStatus,
    Indication,
    ReportChannel,
    SideEffectKind,
)
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from mesodesk.services.changes import Result, patient_changed
from mesodesk.ui.course_dialog import CourseDialog
from mesodesk.ui.session_dialog import SessionDialog
from mesodesk.ui.side_effect_dialog import SideEffectDialog
from tests.conftest import NOW, patient_input
from tests.gui.conftest import settle


@pytest.fixture
def clinic(services: Any) -> dict[str, Any]:
    c = services.catalogue
    doctor = c.create_practitioner(PractitionerInput("Dr. Amelia Hart", "Dermatologist")).value
    ha = c.create_product(ProductInput("Hyaluronic acid 1.5%", ("Sodium hyaluronate",))).value
    lido = c.create_product(ProductInput("Lidocaine 2%", ("Lidocaine hydrochloride",))).value
    ha_lot = c.create_lot(LotInput(ha.id, "HA-2601-A", date(2027, 6, 30))).value
    ha_old = c.create_lot(LotInput(ha.id, "HA-2410-Z", date(2026, 11, 1))).value
    lido_lot = c.create_lot(LotInput(lido.id, "LD-2602-B", date(2027, 12, 31))).value
    patient = services.patients.create(
        patient_input(allergies=("Lidocaine",), consent_date=date(2026, 9, 1))
    ).value
    return {
        "doctor": doctor,
        "ha": ha,
        "lido": lido,
        "ha_lot": ha_lot,
        "ha_old": ha_old,
        "lido_lot": lido_lot,
        "patient": patient,
    }


def open_record(qtbot: Any, window: Any, patient_id: int) -> Any:
    view = window.open_patient(patient_id)
    qtbot.waitUntil(lambda: view.record is not None)
    return view


def reload(qtbot: Any, view: Any) -> None:
    before = view.record
    view.reload()
    qtbot.waitUntil(lambda: view.record is not before)


def with_course(services: Any, clinic: dict[str, Any], start: date = date(2026, 10, 1)) -> Any:
    return services.courses.create_course(
        clinic["patient"].id,
        CourseInput(
            Indication.WRINKLES,
            start,
            (BodyArea.FOREHEAD,),
            planned_sessions=6,
            induction_sessions=3,
            price_per_session_cents=35000,
        ),
    ).value


def session_dialog(qtbot: Any, window: Any, view: Any, session: Any = None) -> SessionDialog:
    dialog = SessionDialog(window.context, view.record, session, view)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded)
    return dialog


def test_record_shows_identity_safety_and_everything(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    course = with_course(services, clinic)
    s = services.sessions.log_session(
        clinic["patient"].id,
        SessionInput(
            course.id,
            datetime(2026, 10, 1, 10),
            (BodyArea.FOREHEAD,),
            1.5,
            (BlendInput(clinic["ha_lot"].id, 2.0),),
            practitioner_id=clinic["doctor"].id,
        ),
    ).value
    services.side_effects.record_side_effect(
        clinic["patient"].id,
        SideEffectInput(
            SideEffectKind.SWELLING,
            date(2026, 10, 2),
            2,
            body_area=BodyArea.FOREHEAD,
            session_id=s.id,
            lot_ids=(clinic["ha_lot"].id,),
            reported_at=datetime(2026, 10, 2, 9),
            reported_via=ReportChannel.PHONE,
        ),
    )
    view = open_record(qtbot, window, clinic["patient"].id)
    assert "ALLERGIES: Lidocaine" in view.header.banner.text()
    assert view.header.banner.isVisibleTo(view)
    assert view.course_model.rowCount() == 1 and view.session_model.rowCount() == 1
    assert view.course_model.rows[0].cells[4] == "1 of 6"
    assert "HA-2601-A" in view.session_model.rows[0].cells[4]
    effect_row = view.effect_model.rows[0]
    assert effect_row.cells[1] == "Swelling" and effect_row.cells[4] == "ongoing"
    assert view.timeline.count() == 3  # course, session, side effect
    lines = [view.timeline.item(i).text() for i in range(3)]
    assert "Side effect: Swelling, grade" in lines[0] and "Side effect: Side effect" not in lines[0]
    assert "Session 1 of " in lines[1] and "HA-2601-A" in lines[1]
    assert "Course started: " in lines[2] and "Course: Course" not in lines[2]
    # the timeline says which way it runs, and runs the other way when asked
    assert view.timeline_order.currentText() == "Newest first"
    view.timeline_order.setCurrentIndex(view.timeline_order.findText("Oldest first"))
    assert [view.timeline.item(i).text() for i in range(3)] == lines[::-1]
    assert "Ongoing side effects: Swelling" in view.summary.text()
    assert window.tabs.tabText(window.tabs.indexOf(view)) == "Müller, José"


def test_model_tester_on_record_tables(
    qtbot: Any, qtmodeltester: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    course = with_course(services, clinic)
    for day in (1, 8):
        services.sessions.log_session(
            clinic["patient"].id,
            SessionInput(
                course.id,
                datetime(2026, 10, day, 10),
                (BodyArea.FOREHEAD,),
                1.5,
                (BlendInput(clinic["ha_lot"].id, 2.0),),
            ),
        )
    view = open_record(qtbot, window, clinic["patient"].id)
    for model in (view.course_model, view.session_model, view.effect_model):
        qtmodeltester.check(model)
    proxy = view.session_table.model()
    first = proxy.index(0, 0).data()
    assert first.startswith("08/10/2026")  # newest first


def test_course_dialog_happy_path(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    dialog = CourseDialog(window.context, clinic["patient"].id, None)
    qtbot.addWidget(dialog)
    dialog.indication.setCurrentIndex(dialog.indication.findData(Indication.HAIR_LOSS))
    dialog.areas.item(
        [
            dialog.areas.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dialog.areas.count())
        ].index(BodyArea.SCALP)
    ).setCheckState(Qt.CheckState.Checked)
    dialog.planned.setValue(8)
    dialog.induction.setValue(4)
    dialog.price.setText("300")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None)
    course = dialog.saved.value
    assert course.indication is Indication.HAIR_LOSS and course.areas == (BodyArea.SCALP,)
    assert course.plan.planned_sessions == 8 and course.price_per_session_cents == 30000
    assert course.next_due is not None and course.next_due.on == NOW.date()


@pytest.mark.parametrize(
    ("setup", "field", "words"),
    [
        (lambda d: None, "areas", "at least one"),
        (
            lambda d: d.indication.setCurrentIndex(d.indication.findData(Indication.OTHER)),
            "indication_note",
            "Other",
        ),
        (lambda d: d.started_on.edit.setText("31/02/2026"), "started_on", "does not exist"),
        (lambda d: d.started_on.edit.setText("next week"), "started_on", "Not a date"),
        (lambda d: d.price.setText("lots"), "price_per_session_cents", "number"),
    ],
)
def test_course_dialog_errors(
    qtbot: Any,
    window: Any,
    services: Any,
    clinic: dict[str, Any],
    setup: Any,
    field: str,
    words: str,
) -> None:
    dialog = CourseDialog(window.context, clinic["patient"].id, None)
    qtbot.addWidget(dialog)
    setup(dialog)
    dialog.save()
    assert words in dialog.errors[field].text() and dialog.errors[field].isVisibleTo(dialog)
    settle(qtbot, window.runner)
    assert dialog.saved is None
    assert services.treatment.record(clinic["patient"].id).courses == ()


def test_the_record_shows_the_medical_notes(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    """Issue 15 item 9: the notes are on the record screen, not only under Edit and in the PDF."""
    patient = clinic["patient"]
    view = open_record(qtbot, window, patient.id)
    assert not view.header.notes.isVisibleTo(view)  # none recorded: nothing shown
    notes = "Takes warfarin since 2024.\nKeloid on the left shoulder.\n" + "More. " * 400
    services.patients.update(
        patient.id, patient_input(medical_notes=notes, allergies=("Lidocaine",))
    )
    window.apply(patient_changed(patient.id))
    qtbot.waitUntil(lambda: view.header.notes.isVisibleTo(view))
    stored = services.patients.get(patient.id).medical_notes
    assert view.header.notes.toPlainText() == stored
    assert stored.startswith("Takes warfarin since 2024.\nKeloid on the left shoulder.")
    assert view.header.notes.isReadOnly()
    # long notes scroll in their box: the record keeps its room for the tables
    assert view.header.notes.height() < 120 and view.tabs.height() > 200


def test_session_dialog_defaults_and_save(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    with_course(services, clinic)
    view = open_record(qtbot, window, clinic["patient"].id)
    dialog = session_dialog(qtbot, window, view)
    assert dialog.course.currentData() == view.record.courses[0].id
    assert dialog.day.value() == NOW.date()
    assert dialog.price.text() == "350.00"
    # the lot picker offers only lots in date on the session day
    dialog.add_button.click()
    lots = [
        dialog.blend.cellWidget(0, 1).itemText(i)
        for i in range(dialog.blend.cellWidget(0, 1).count())
    ]
    assert len(lots) == 1 and lots[0].startswith("HA-2601-A")
    dialog.pain.setCurrentIndex(dialog.pain.findData(3))
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None)
    session = dialog.saved.value
    assert session.blend[0].lot_number == "HA-2601-A" and session.pain_nrs == 3
    assert session.areas == (BodyArea.FOREHEAD,) and session.price_cents == 35000


def test_the_lot_picker_offers_the_soonest_expiring_lot_first(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    """First-expiry-first-out: a later-expiring lot received after HA-2601-A (30/06/2027) is
    offered, but not pre-filled; expiries read as the clinic writes dates."""
    with_course(services, clinic)
    c = services.catalogue
    c.create_lot(LotInput(clinic["ha"].id, "HA-2611-C", date(2028, 3, 31)))
    c.create_lot(LotInput(clinic["ha"].id, "HA-2612-D", date(2027, 9, 30)))
    view = open_record(qtbot, window, clinic["patient"].id)
    dialog = session_dialog(qtbot, window, view)
    dialog.add_button.click()
    combo = dialog.blend.cellWidget(0, 1)
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert offered == [
        "HA-2601-A (exp. 30/06/2027)",
        "HA-2612-D (exp. 30/09/2027)",
        "HA-2611-C (exp. 31/03/2028)",
    ]
    assert combo.currentText() == offered[0]
    assert dialog.blend.lines()[0][1] == clinic["ha_lot"].id


@pytest.mark.parametrize("depth", [0.0, 7.0])
def test_session_dialog_depth_out_of_range(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any], depth: float
) -> None:
    with_course(services, clinic)
    view = open_record(qtbot, window, clinic["patient"].id)
    dialog = session_dialog(qtbot, window, view)
    dialog.add_button.click()
    dialog.depth_mm.setValue(depth)
    dialog.save()
    assert "between 1 and 4 mm" in dialog.errors["depth_mm"].text()
    assert dialog.errors["depth_mm"].isVisibleTo(dialog)
    settle(qtbot, window.runner)
    assert services.treatment.record(clinic["patient"].id).sessions == ()


def test_session_dialog_needs_a_blend(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    with_course(services, clinic)
    view = open_record(qtbot, window, clinic["patient"].id)
    dialog = session_dialog(qtbot, window, view)
    dialog.save()
    assert "at least one product" in dialog.errors["blend"].text()


def test_expired_lot_from_the_last_blend_is_refused(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    course = with_course(services, clinic)
    # the last session used a lot that has expired since, and the product has no other lot in date
    services.catalogue.delete_lot(clinic["ha_lot"].id)
    services.sessions.log_session(
        clinic["patient"].id,
        SessionInput(
            course.id,
            datetime(2026, 10, 1, 10),
            (BodyArea.FOREHEAD,),
            1.5,
            (BlendInput(clinic["ha_old"].id, 2.0),),
        ),
    )
    view = open_record(qtbot, window, clinic["patient"].id)
    dialog = session_dialog(qtbot, window, view)
    dialog.same_blend()
    assert dialog.blend.rowCount() == 1
    dialog.save()
    qtbot.waitUntil(lambda: dialog.errors["blend"].isVisibleTo(dialog))
    assert "HA-2410-Z expired" in dialog.errors["blend"].text()
    assert len(services.treatment.record(clinic["patient"].id).sessions) == 1


def test_same_blend_replaces_an_expired_lot_by_one_in_date(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    course = with_course(services, clinic)
    services.sessions.log_session(
        clinic["patient"].id,
        SessionInput(
            course.id,
            datetime(2026, 10, 1, 10),
            (BodyArea.FOREHEAD,),
            1.5,
            (BlendInput(clinic["ha_old"].id, 2.5),),
        ),
    )
    # a later-expiring lot in date is not the one to use first
    services.catalogue.create_lot(LotInput(clinic["ha"].id, "HA-2611-C", date(2028, 3, 31)))
    view = open_record(qtbot, window, clinic["patient"].id)
    dialog = session_dialog(qtbot, window, view)
    dialog.same_blend()
    assert dialog.blend.lines() == [(clinic["ha"].id, clinic["ha_lot"].id, 2.5)]
    assert "HA-2410-Z has expired" in dialog.blend_info.text()


def test_allergy_warns_before_the_session_is_saved(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any], monkeypatch: Any
) -> None:
    with_course(services, clinic)
    view = open_record(qtbot, window, clinic["patient"].id)
    dialog = session_dialog(qtbot, window, view)
    dialog.add_button.click()
    dialog.add_button.click()
    dialog.blend.cellWidget(1, 0).setCurrentIndex(
        dialog.blend.cellWidget(1, 0).findData(clinic["lido"].id)
    )
    assert dialog.allergy.isVisibleTo(dialog) and "Lidocaine hydrochloride" in dialog.allergy.text()
    asked: list[str] = []
    monkeypatch.setattr(dialog, "confirm_allergy", lambda text: asked.append(text) or False)
    dialog.save()
    qtbot.waitUntil(lambda: bool(asked))
    settle(qtbot, window.runner)
    assert dialog.saved is None and services.treatment.record(clinic["patient"].id).sessions == ()
    monkeypatch.setattr(dialog, "confirm_allergy", lambda text: True)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None)
    assert len(dialog.saved.value.blend) == 2


def effect_dialog(
    qtbot: Any, window: Any, view: Any, effect: Any = None, session_id: int | None = None
) -> SideEffectDialog:
    dialog = SideEffectDialog(window.context, view.record, effect, session_id, view)
    qtbot.addWidget(dialog)
    return dialog


def logged(services: Any, clinic: dict[str, Any], course: Any, when: datetime) -> Any:
    return services.sessions.log_session(
        clinic["patient"].id,
        SessionInput(
            course.id,
            when,
            (BodyArea.FOREHEAD, BodyArea.PERIORBITAL),
            1.0,
            (BlendInput(clinic["ha_lot"].id, 2.0),),
        ),
    ).value


def test_side_effect_defaults_to_the_last_session_before_onset(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any]
) -> None:
    course = with_course(services, clinic)
    first = logged(services, clinic, course, datetime(2026, 10, 1, 10))
    second = logged(services, clinic, course, datetime(2026, 10, 8, 10))
    view = open_record(qtbot, window, clinic["patient"].id)
    dialog = effect_dialog(qtbot, window, view)
    dialog.onset.set_value(date(2026, 10, 3))
    assert dialog.session.currentData() == first.id
    assert dialog.lots.whole() and dialog.lots.lot_ids() == (clinic["ha_lot"].id,)
    assert dialog.causality.value() is Causality.POSSIBLE  # a session is suspected
    assert dialog.area.value() is BodyArea.FOREHEAD  # the session's areas first
    dialog.onset.set_value(date(2026, 10, 9))
    assert dialog.session.currentData() == second.id
    assert "hospitalisation" in dialog.grade.toolTip()
    dialog.grade.setValue(2)
    assert "Moderate" in dialog.grade_help.text()
    dialog.via.set_value(ReportChannel.IN_CLINIC)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None)
    effect = dialog.saved.value
    assert effect.session_id == second.id and effect.grade == 2 and effect.ongoing
    assert effect.suspects_blend and effect.lot_ids == (clinic["ha_lot"].id,)
    assert effect.reported_via is ReportChannel.IN_CLINIC


@pytest.mark.parametrize(
    ("setup", "field", "words"),
    [
        (lambda d: d.grade.setValue(6), "grade", "between 1 and 5"),
        (lambda d: d.onset.set_value(date(2026, 9, 20)), "onset_on", "first session"),
        (
            lambda d: (d.ongoing.setChecked(False), d.resolved.set_value(date(2026, 10, 1))),
            "resolved_on",
            "before the onset",
        ),
        (lambda d: d.onset.set_value(date(2027, 1, 1)), "onset_on", "future"),
        (
            lambda d: d.kind.setCurrentIndex(d.kind.findData(SideEffectKind.OTHER)),
            "kind_note",
            "Describe",
        ),
        (lambda d: d.area.setCurrentIndex(0), "body_area", "where it appeared"),
    ],
)
def test_side_effect_errors_beside_their_field(
    qtbot: Any,
    window: Any,
    services: Any,
    clinic: dict[str, Any],
    setup: Any,
    field: str,
    words: str,
) -> None:
    course = with_course(services, clinic)
    logged(services, clinic, course, datetime(2026, 10, 1, 10))
    view = open_record(qtbot, window, clinic["patient"].id)
    dialog = effect_dialog(qtbot, window, view)
    dialog.onset.set_value(date(2026, 10, 5))
    setup(dialog)
    dialog.save()
    assert words in dialog.errors[field].text(), dialog.errors[field].text()
    assert dialog.errors[field].isVisibleTo(dialog)
    settle(qtbot, window.runner)
    assert services.treatment.record(clinic["patient"].id).side_effects == ()


def test_mark_resolved_asks_the_day_and_can_be_undone(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any], monkeypatch: Any
) -> None:
    from mesodesk.ui.side_effect_dialog import ResolveDialog

    course = with_course(services, clinic)
    s = logged(services, clinic, course, datetime(2026, 10, 1, 10))
    effect = services.side_effects.record_side_effect(
        clinic["patient"].id,
        SideEffectInput(
            SideEffectKind.PAIN,
            date(2026, 10, 1),
            1,
            body_area=BodyArea.FOREHEAD,
            session_id=s.id,
            pain_nrs=2,
            reported_at=datetime(2026, 10, 1, 12),
            reported_via=ReportChannel.PHONE,
        ),
    ).value
    view = open_record(qtbot, window, clinic["patient"].id)
    view.select("side_effect", effect.id)
    asked: list[ResolveDialog] = []

    def answer(dialog: ResolveDialog, typed: str) -> Any:
        asked.append(dialog)
        assert dialog.day.value() == NOW.date()  # today proposed
        dialog.day.edit.setText(typed)
        dialog.save()
        error = dialog.errors["resolved_on"]
        qtbot.waitUntil(lambda: dialog.saved is not None or bool(error.text()))
        if error.text():
            return None  # the person would see the message and correct it, or cancel
        return Result(dialog.saved, dialog.changes)

    # Cancel (or a day before the onset, refused beside the field): nothing changes
    monkeypatch.setattr(ResolveDialog, "result_if_saved", lambda d: answer(d, "30/09/2026"))
    view.effect_actions["resolve"].click()
    assert "before the onset" in asked[-1].errors["resolved_on"].text()
    assert services.side_effects.side_effect(effect.id).ongoing
    monkeypatch.setattr(ResolveDialog, "result_if_saved", lambda d: answer(d, "31/10/2026"))
    view.effect_actions["resolve"].click()
    qtbot.waitUntil(lambda: not services.side_effects.side_effect(effect.id).ongoing)
    resolved = services.side_effects.side_effect(effect.id)
    assert resolved.resolved_on == date(2026, 10, 31) and resolved.outcome is AEOutcome.RESOLVED
    qtbot.waitUntil(
        lambda: view.effect_model.rows and view.effect_model.rows[0].cells[4] == "31/10/2026"
    )
    # and undone: the same button reopens it
    view.select("side_effect", effect.id)
    assert view.effect_actions["resolve"].text() == "Reopen…"
    monkeypatch.setattr(view, "confirm", lambda *a: True)
    view.effect_actions["resolve"].click()
    qtbot.waitUntil(lambda: services.side_effects.side_effect(effect.id).ongoing)
    assert services.side_effects.side_effect(effect.id).outcome is AEOutcome.ONGOING


def test_delete_session_asks_about_its_side_effects(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any], monkeypatch: Any
) -> None:
    course = with_course(services, clinic)
    s = logged(services, clinic, course, datetime(2026, 10, 1, 10))
    effect = services.side_effects.record_side_effect(
        clinic["patient"].id,
        SideEffectInput(
            SideEffectKind.BRUISING,
            date(2026, 10, 1),
            1,
            body_area=BodyArea.FOREHEAD,
            session_id=s.id,
            reported_at=datetime(2026, 10, 1, 12),
            reported_via=ReportChannel.PHONE,
        ),
    ).value
    view = open_record(qtbot, window, clinic["patient"].id)
    view.select("session", s.id)
    asked: list[int] = []
    monkeypatch.setattr(
        view, "ask_delete_session", lambda session, linked: asked.append(linked) or "keep"
    )
    view.session_actions["delete"].click()
    qtbot.waitUntil(lambda: services.treatment.record(clinic["patient"].id).sessions == ())
    assert asked == [1]
    kept = services.side_effects.side_effect(effect.id)
    assert kept.session_id is None


def test_course_complete_and_stop(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any], monkeypatch: Any
) -> None:
    from PySide6.QtWidgets import QInputDialog

    course = with_course(services, clinic)
    view = open_record(qtbot, window, clinic["patient"].id)
    view.select("course", course.id)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Moved away", True)))
    view.course_actions["stop"].click()
    qtbot.waitUntil(
        lambda: (
            services.treatment.record(clinic["patient"].id).courses[0].status
            is CourseStatus.STOPPED
        )
    )
    assert services.treatment.record(clinic["patient"].id).courses[0].end_reason == "Moved away"
    qtbot.waitUntil(lambda: not view.log_session_button.isEnabled())


def test_gui_entries_appear_in_show_json(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any], db_path: Path, capsys: Any
) -> None:
    """A course, a session and a side effect entered through the GUI, found by `mesodesk show`."""
    view = open_record(qtbot, window, clinic["patient"].id)
    course_dialog = CourseDialog(window.context, clinic["patient"].id, None)
    qtbot.addWidget(course_dialog)
    course_dialog.areas.item(0).setCheckState(Qt.CheckState.Checked)  # forehead
    course_dialog.started_on.set_value(NOW.date() - timedelta(days=3))
    course_dialog.save()
    qtbot.waitUntil(lambda: course_dialog.saved is not None)
    reload(qtbot, view)

    dialog = session_dialog(qtbot, window, view)
    dialog.day.set_value(NOW.date() - timedelta(days=2))
    dialog.add_button.click()
    dialog.blend.cellWidget(0, 2).setValue(1.75)
    dialog.gais.setCurrentIndex(dialog.gais.findData(2))
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None)
    reload(qtbot, view)

    effect = effect_dialog(qtbot, window, view)
    effect.kind.setCurrentIndex(effect.kind.findData(SideEffectKind.REDNESS_BUMPS))
    effect.onset.set_value(NOW.date() - timedelta(days=1))
    effect.grade.setValue(1)
    effect.via.set_value(ReportChannel.PHONE)
    effect.save()
    qtbot.waitUntil(lambda: effect.saved is not None)

    from mesodesk.cli import main

    assert main(["--db", str(db_path), "show", clinic["patient"].record_no, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["patient"]["record_no"] == "MD-000001"
    assert [c["indication"] for c in shown["courses"]] == ["wrinkles"]
    (session,) = shown["sessions"]
    assert session["date"].startswith((NOW.date() - timedelta(days=2)).isoformat())
    assert session["blend"] == [
        {
            "product": "Hyaluronic acid 1.5%",
            "lot": "HA-2601-A",
            "amount": 1.75,
            "expiry": "2027-06-30",
        }
    ]
    (side,) = shown["side_effects"]
    assert side["kind"] == "redness_bumps" and side["grade"] == 1 and side["resolved"] is None
    assert side["outcome"] == "ongoing" and side["suspects_blend"] is True
    assert side["lots"] == [{"product": "Hyaluronic acid 1.5%", "lot": "HA-2601-A"}]


def test_chart_tab_draws_the_timeline_and_a_click_opens_the_side_effect(
    qtbot: Any, window: Any, services: Any, clinic: dict[str, Any], monkeypatch: Any
) -> None:
    course = with_course(services, clinic)
    s = logged(services, clinic, course, datetime(2026, 10, 1, 10))
    effect = services.side_effects.record_side_effect(
        clinic["patient"].id,
        SideEffectInput(
            SideEffectKind.SWELLING,
            date(2026, 10, 2),
            2,
            body_area=BodyArea.FOREHEAD,
            session_id=s.id,
            reported_at=datetime(2026, 10, 2, 9),
            reported_via=ReportChannel.PHONE,
        ),
    ).value
    view = open_record(qtbot, window, clinic["patient"].id)
    assert view.chart is None  # nothing drawn until the tab is shown
    opened: list[int] = []
    monkeypatch.setattr(view, "edit_side_effect", lambda effect_id=None: opened.append(effect_id))
    view.tabs.setCurrentWidget(view.chart_tab)
    assert view.chart is not None
    bar = view.chart.bar_center(effect.id)
    assert bar is not None  # the side effect is drawn as a bar
    view.chart.side_effect_clicked.emit(effect.id)
    assert opened == [effect.id]
