"""The safety core in the dialogs: the side-effect dialog opened by the real button and the real
shortcut suggests the last session and its blend; every rule says its word beside its field,
and nothing is stored until it is answered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import (
    BodyArea,
    Causality,
    Contraindication,
    Indication,
    ReportChannel,
    Sex,
    SideEffectKind,
)
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from mesodesk.ui.session_dialog import SessionDialog
from mesodesk.ui.side_effect_dialog import WHOLE_BLEND, SideEffectDialog
from mesodesk.ui.widgets import NOTE_STYLE
from tests.conftest import NOW, patient_input
from tests.gui.conftest import settle

REASON = "Pregnancy test negative today; patient not breast-feeding any more."


class Clinic:
    def __init__(self, services: Any, **patient: Any) -> None:
        c = services.catalogue
        ha = c.create_product(ProductInput("Hyaluronic acid 1.5%", ("Hyaluronate",))).value
        vit = c.create_product(ProductInput("Vitamin C 20%", ("Ascorbic acid",))).value
        self.ha = c.create_lot(LotInput(ha.id, "HA-2601-A", date(2027, 6, 30))).value.id
        self.vit = c.create_lot(LotInput(vit.id, "VC-2603-C", date(2027, 6, 30))).value.id
        fields: dict[str, Any] = {
            "first_name": "Ana",
            "last_name": "Silva",
            "sex": Sex.FEMALE,
            "consent_date": date(2026, 9, 1),
        }
        fields.update(patient)
        self.services = services
        self.patient = services.patients.create(patient_input(**fields)).value
        self.course = services.courses.create_course(
            self.patient.id,
            CourseInput(
                Indication.WRINKLES,
                date(2026, 10, 1),
                (BodyArea.FOREHEAD,),
                planned_sessions=3,
                induction_sessions=3,
            ),
        ).value

    def session(self, when: datetime, blend: tuple[int, ...] = (), **answers: Any) -> Any:
        lots = blend or (self.ha,)
        data = SessionInput(
            self.course.id,
            when,
            (BodyArea.FOREHEAD,),
            1.5,
            tuple(BlendInput(lot, 1.0) for lot in lots),
        )
        return self.services.sessions.log_session(self.patient.id, data, **answers).value

    def sessions(self) -> int:
        return len(self.services.treatment.record(self.patient.id).sessions)

    def effects(self) -> int:
        return len(self.services.treatment.record(self.patient.id).side_effects)


def open_record(qtbot: Any, window: Any, patient_id: int) -> Any:
    view = window.open_patient(patient_id)
    qtbot.waitUntil(lambda: view.record is not None)
    return view


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The side-effect dialogs the record opens, kept instead of run modally."""
    dialogs: list[Any] = []

    def keep(dialog: Any) -> int:
        dialogs.append(dialog)
        return 0

    monkeypatch.setattr(SideEffectDialog, "exec", keep)
    return dialogs


def suggested(dialog: SideEffectDialog) -> tuple[Any, bool, tuple[int, ...]]:
    return dialog.session.currentData(), dialog.lots.whole(), dialog.lots.lot_ids()


# -- attribution ----------------------------------------------------------------------------------


def test_the_button_and_the_shortcut_suggest_the_last_session_and_its_blend(
    qtbot: Any, window: Any, services: Any, opened: list[Any]
) -> None:
    clinic = Clinic(services)
    first = clinic.session(datetime(2026, 10, 1, 10))
    last = clinic.session(datetime(2026, 11, 20, 10), blend=(clinic.ha, clinic.vit))
    view = open_record(qtbot, window, clinic.patient.id)

    qtbot.mouseClick(view.side_effect_button, Qt.MouseButton.LeftButton)  # the real button
    assert len(opened) == 1
    assert suggested(opened[0]) == (last.id, True, (clinic.ha, clinic.vit))
    assert opened[0].causality.value() is Causality.POSSIBLE

    window.activateWindow()
    view.session_table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view.session_table)
    qtbot.keyClick(view.session_table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(opened) == 2)
    dialog = opened[1]
    assert suggested(dialog) == (last.id, True, (clinic.ha, clinic.vit))

    # an onset before the last session suggests the one before it, with its blend
    dialog.onset.set_value(date(2026, 10, 5))
    assert suggested(dialog) == (first.id, True, (clinic.ha,))
    dialog.onset.set_value(date(2026, 11, 21))
    assert dialog.session.currentData() == last.id

    # one lot of the blend, ticked by hand, is what is saved
    dialog.lots.tick(WHOLE_BLEND, False)
    dialog.lots.tick(clinic.ha, False)
    assert dialog.lots.lot_ids() == (clinic.vit,)
    dialog.via.set_value(ReportChannel.PHONE)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=15_000)
    effect = dialog.saved.value
    assert effect.session_id == last.id and effect.lot_ids == (clinic.vit,)
    assert not effect.suspects_blend


def test_a_session_chosen_by_hand_stays_when_the_onset_changes(
    qtbot: Any, window: Any, services: Any, opened: list[Any]
) -> None:
    clinic = Clinic(services)
    first = clinic.session(datetime(2026, 10, 1, 10))
    clinic.session(datetime(2026, 11, 20, 10))
    view = open_record(qtbot, window, clinic.patient.id)
    # from the sessions table's menu
    view.session_menu(first.id).actions()[1].trigger()
    (dialog,) = opened
    assert suggested(dialog) == (first.id, True, (clinic.ha,))
    dialog.onset.set_value(date(2026, 11, 22))
    assert dialog.session.currentData() == first.id  # chosen: it stays


def test_the_timeline_menu_records_for_its_session(
    qtbot: Any, window: Any, services: Any, opened: list[Any]
) -> None:
    from mesodesk.ui.tables import ID_ROLE

    clinic = Clinic(services)
    first = clinic.session(datetime(2026, 10, 1, 10))
    clinic.session(datetime(2026, 11, 20, 10))
    view = open_record(qtbot, window, clinic.patient.id)
    item = next(
        view.timeline.item(i)
        for i in range(view.timeline.count())
        if view.timeline.item(i).data(ID_ROLE) == ("session", first.id)
    )
    view.timeline_menu(item).actions()[1].trigger()
    (dialog,) = opened
    assert suggested(dialog) == (first.id, True, (clinic.ha,))


def test_without_a_session_causality_is_not_yet_assessed_and_reported_via_is_asked(
    qtbot: Any, window: Any, services: Any, opened: list[Any]
) -> None:
    clinic = Clinic(services)
    view = open_record(qtbot, window, clinic.patient.id)
    view.side_effect_button.click()
    (dialog,) = opened
    assert dialog.session.currentData() is None and dialog.lots.count() == 0
    assert dialog.causality.value() is Causality.NOT_ASSESSED
    assert dialog.via.value() is None
    dialog.save()
    assert "how" in dialog.errors["reported_at"].text()
    settle(qtbot, window.runner)
    assert clinic.effects() == 0


# -- the session dialog ---------------------------------------------------------------------------


def session_dialog(qtbot: Any, window: Any, view: Any) -> SessionDialog:
    dialog = SessionDialog(window.context, view.record, None, view)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded)
    dialog.add_button.click()
    return dialog


def note(dialog: Any, field: str) -> str:
    label = dialog.errors[field]
    assert label.isVisibleTo(dialog) and label.styleSheet() == NOTE_STYLE, label.text()
    return str(label.text())


def error(dialog: Any, field: str) -> str:
    label = dialog.errors[field]
    assert label.isVisibleTo(dialog) and label.styleSheet() != NOTE_STYLE, label.text()
    return str(label.text())


def pressed(qtbot: Any, dialog: Any) -> None:
    """Save pressed, and its check answered."""
    dialog.save()
    # (a generous wait: the suite shares a busy machine)
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled() or dialog.saved is not None, timeout=15_000)


@pytest.mark.parametrize(
    ("setup", "field", "words"),
    [
        # a second session the same day
        (lambda c, d: c.session(datetime(2026, 11, 24, 8)), "started_at", "same day"),
        # too soon after the previous one
        (lambda c, d: c.session(datetime(2026, 11, 21, 10)), "started_at", "3 days"),
        # more sessions than planned
        (
            lambda c, d: [c.session(datetime(2026, 10, day, 10)) for day in (1, 8, 15)],
            "course_id",
            "session 4 of a course planned for 3",
        ),
        # deeper than the area's limit
        (lambda c, d: d.depth_mm.setValue(3.0), "depth_mm", "usual 2 mm for Forehead"),
        # a total volume the blend does not add up to
        (lambda c, d: d.volume.setText("4.5"), "total_volume_ml", "add up to (1 ml)"),
        # a relative contraindication
        (None, "patient", "Relative contraindication: History of keloid scarring"),
    ],
)
def test_a_question_is_said_beside_its_field_and_saved_only_once_confirmed(
    qtbot: Any, window: Any, services: Any, setup: Any, field: str, words: str
) -> None:
    extra = {} if setup else {"contraindications": frozenset({Contraindication.KELOID})}
    clinic = Clinic(services, **extra)
    view = open_record(qtbot, window, clinic.patient.id)
    dialog = session_dialog(qtbot, window, view)
    if setup:
        setup(clinic, dialog)
        before = clinic.sessions()
        view.reload()
        qtbot.waitUntil(lambda: len(view.record.sessions) == before)
        dialog.record = view.record
    before = clinic.sessions()
    pressed(qtbot, dialog)
    assert words in note(dialog, field)
    assert dialog.saved is None and clinic.sessions() == before
    assert dialog.buttons.button(dialog.buttons.StandardButton.Save).text() == "Save anyway"
    if field == "course_id":
        assert dialog.extend.isVisibleTo(dialog)
        dialog.extend.setChecked(True)
    pressed(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=15_000)
    assert clinic.sessions() == before + 1
    saved = dialog.saved.value
    if field == "course_id":
        assert services.treatment.record(clinic.patient.id).courses[0].plan.planned_sessions == 4
        assert saved.safety_confirmed == ()
    else:
        assert saved.safety_confirmed


def test_an_absolute_contraindication_needs_an_override_reason(
    qtbot: Any, window: Any, services: Any
) -> None:
    clinic = Clinic(services, contraindications=frozenset({Contraindication.PREGNANCY}))
    view = open_record(qtbot, window, clinic.patient.id)
    dialog = session_dialog(qtbot, window, view)
    pressed(qtbot, dialog)
    assert "Pregnancy or breast-feeding" in note(dialog, "patient")
    assert dialog.override_box.isVisibleTo(dialog)
    pressed(qtbot, dialog)  # no reason yet
    assert "Say why" in error(dialog, "override_reason")
    assert clinic.sessions() == 0
    dialog.override.setPlainText(REASON)
    pressed(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=15_000)
    saved = dialog.saved.value
    assert saved.override_reason == REASON and saved.safety_confirmed == ("ci.pregnancy",)
    # shown on the record
    view.reload()
    qtbot.waitUntil(lambda: len(view.record.sessions) == 1)
    row = view.session_model.rows[0]
    assert row.cells[-1].startswith("Override: Pregnancy test negative")
    assert "Overridden: Pregnancy or breast-feeding" in row.tooltip


@pytest.mark.parametrize(
    ("patient", "field", "words"),
    [
        ({"consent_date": NOW.date()}, "started_at", "before the consent"),
        ({"birth_date": date(2015, 3, 1)}, "patient", "The patient is 11"),
    ],
)
def test_a_session_the_rules_refuse_is_never_saved(
    qtbot: Any, window: Any, services: Any, patient: dict[str, Any], field: str, words: str
) -> None:
    clinic = Clinic(services, **patient)
    view = open_record(qtbot, window, clinic.patient.id)
    dialog = session_dialog(qtbot, window, view)
    if field == "started_at":
        dialog.day.set_value(date(2026, 11, 20))
    for _ in range(2):  # pressing again does not save it either
        pressed(qtbot, dialog)
        assert words in error(dialog, field)
    assert dialog.saved is None and clinic.sessions() == 0


def test_an_open_side_effect_at_the_area_blocks_the_session(
    qtbot: Any, window: Any, services: Any
) -> None:
    clinic = Clinic(services)
    first = clinic.session(datetime(2026, 11, 10, 10))
    services.side_effects.record_side_effect(
        clinic.patient.id,
        SideEffectInput(
            SideEffectKind.INFECTION,
            date(2026, 11, 12),
            2,
            body_area=BodyArea.FOREHEAD,
            session_id=first.id,
            reported_via=ReportChannel.IN_CLINIC,
            reported_at=datetime(2026, 11, 12, 9),
        ),
    )
    view = open_record(qtbot, window, clinic.patient.id)
    dialog = session_dialog(qtbot, window, view)
    pressed(qtbot, dialog)
    assert "An infection (grade 2, since 2026-11-12) is still open at Forehead" in note(
        dialog, "areas"
    )
    assert dialog.override_box.isVisibleTo(dialog) and clinic.sessions() == 1


# -- the side-effect dialog -----------------------------------------------------------------------


def effect_dialog(qtbot: Any, window: Any, view: Any) -> SideEffectDialog:
    dialog = SideEffectDialog(window.context, view.record, None, None, view)
    qtbot.addWidget(dialog)
    dialog.via.set_value(ReportChannel.PHONE)
    return dialog


@pytest.mark.parametrize(
    ("setup", "field", "words"),
    [
        (
            lambda d: (d.kind.set_value(SideEffectKind.PAIN), d.pain.setCurrentIndex(10)),
            "pain_nrs",
            "NRS 9 is severe pain, and the grade is 1",
        ),
        (lambda d: d.serious.setChecked(True), "serious", "grade 1 (mild) event is marked serious"),
        (lambda d: d.area.set_value(BodyArea.THIGHS), "body_area", "was not treated"),
        (lambda d: d.grade.setValue(3), "serious", "Grade 3 means hospitalisation"),
    ],
)
def test_a_coherence_question_or_warning_is_said_beside_its_field(
    qtbot: Any, window: Any, services: Any, setup: Any, field: str, words: str
) -> None:
    clinic = Clinic(services)
    clinic.session(datetime(2026, 11, 20, 10))
    view = open_record(qtbot, window, clinic.patient.id)
    dialog = effect_dialog(qtbot, window, view)
    setup(dialog)
    pressed(qtbot, dialog)
    assert words in note(dialog, field)
    assert dialog.saved is None and clinic.effects() == 0
    pressed(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=15_000)
    assert clinic.effects() == 1


@pytest.mark.parametrize(
    ("setup", "field", "words"),
    [
        (
            lambda d: (d.kind.set_value(SideEffectKind.BRUISING), d.grade.setValue(3)),
            "grade",
            "“Bruising”, which has grades 1 to 2 only",
        ),
        (
            lambda d: (d.grade.setValue(5), d.serious.setChecked(True)),
            "grade",
            "grades 1 to 3 only",
        ),
        (
            lambda d: (d.session.setCurrentIndex(0), d.causality.set_value(Causality.CERTAIN)),
            "causality",
            "suspected session",
        ),
    ],
)
def test_an_incoherent_side_effect_is_refused_beside_its_field(
    qtbot: Any, window: Any, services: Any, setup: Any, field: str, words: str
) -> None:
    clinic = Clinic(services)
    clinic.session(datetime(2026, 11, 20, 10))
    view = open_record(qtbot, window, clinic.patient.id)
    dialog = effect_dialog(qtbot, window, view)
    setup(dialog)
    dialog.save()
    assert words in error(dialog, field)
    settle(qtbot, window.runner)
    assert dialog.saved is None and clinic.effects() == 0


# -- the patient form, and the sizes ------------------------------------------------------------


def test_pregnancy_for_a_male_patient_is_refused_beside_the_checklist(
    qtbot: Any, services: Any, runner: Any, formats: Any
) -> None:
    from mesodesk.ui.patient_dialog import PatientDialog

    dialog = PatientDialog(services, runner, formats)
    qtbot.addWidget(dialog)
    dialog.first_name.setText("José")
    dialog.last_name.setText("Müller")
    dialog.birth_date.set_value(date(1985, 3, 24))
    dialog.sex.set_value(Sex.MALE)
    dialog.checks[Contraindication.PREGNANCY].setChecked(True)
    dialog.save()
    assert "male patient" in dialog.errors["contraindications"].text()
    settle(qtbot, runner)
    assert dialog.saved is None and services.patients.count() == 0


def test_the_safety_dialogs_fit_a_1024_by_768_screen(
    qtbot: Any, window: Any, services: Any
) -> None:
    clinic = Clinic(services, contraindications=frozenset({Contraindication.PREGNANCY}))
    clinic.session(datetime(2026, 11, 10, 10), override_reason=REASON)
    view = open_record(qtbot, window, clinic.patient.id)
    dialogs = [session_dialog(qtbot, window, view), effect_dialog(qtbot, window, view)]
    dialogs[0].override_box.show()
    dialogs[0].extend.show()
    for dialog in dialogs:
        hint = dialog.minimumSizeHint()
        assert hint.width() <= 1024 - 16 and hint.height() <= 768 - 48, (dialog, hint)
