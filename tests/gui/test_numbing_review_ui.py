"""Log session picks the numbing product and its lot (and warns of an allergy to it), says the
total-volume question beside the total as it is typed; completing a course offers its review,
which the record then shows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QInputDialog

from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import CourseStatus
from mesodesk.ui.review_dialog import CourseReviewDialog
from mesodesk.ui.session_dialog import SessionDialog
from mesodesk.ui.tables import select_id
from tests.gui.test_safety_dialogs import Clinic, note, open_record, pressed, session_dialog


class NumbingClinic(Clinic):
    def __init__(self, services: Any, **patient: Any) -> None:
        super().__init__(services, **patient)
        c = services.catalogue
        cream = c.create_product(
            ProductInput("Numbing cream 5%", ("Lidocaine", "Prilocaine"), numbing=True)
        ).value
        gel = c.create_product(ProductInput("Tetracaine 4% gel", ("Tetracaine",), numbing=True))
        self.cream_late = c.create_lot(LotInput(cream.id, "NC-LATE", date(2027, 9, 30))).value.id
        self.cream_soon = c.create_lot(LotInput(cream.id, "NC-SOON", date(2027, 1, 31))).value.id
        c.create_lot(LotInput(cream.id, "NC-GONE", date(2026, 1, 31)))  # expired
        self.gel = c.create_lot(LotInput(gel.value.id, "TG-1", date(2027, 6, 30))).value.id


def choose(dialog: SessionDialog, name: str) -> None:
    agent = dialog.numbing.agent
    index = agent.findText(name)
    assert index >= 0, [agent.itemText(i) for i in range(agent.count())]
    agent.setCurrentIndex(index)


def test_the_numbing_product_is_picked_with_its_lot_and_checked_for_allergies(
    qtbot: Any, window: Any, services: Any
) -> None:
    clinic = NumbingClinic(services, allergies=("Lidocaine",))
    view = open_record(qtbot, window, clinic.patient.id)
    dialog = session_dialog(qtbot, window, view)
    agent = dialog.numbing.agent
    offered = [agent.itemText(i) for i in range(agent.count())]
    # ice stays a choice of its own; the numbing products are not offered for the blend
    assert offered == ["None", "Cold / ice", "Numbing cream 5%", "Tetracaine 4% gel", "Other"]
    blend_products = dialog.blend.cellWidget(0, 0)
    assert "Numbing cream 5%" not in [
        blend_products.itemText(i) for i in range(blend_products.count())
    ]
    assert not dialog.numbing.lot.isVisibleTo(dialog)
    choose(dialog, "Numbing cream 5%")
    lots = dialog.numbing.lot
    # the lots in date, the soonest to expire first (first-expiry-first-out)
    assert [lots.itemData(i) for i in range(lots.count())] == [
        clinic.cream_soon,
        clinic.cream_late,
    ]
    assert lots.isVisibleTo(dialog) and lots.currentData() == clinic.cream_soon
    assert dialog.allergy.isVisibleTo(dialog)
    assert "Lidocaine in Numbing cream 5% matches the recorded allergy to Lidocaine" in (
        dialog.allergy.text()
    )
    choose(dialog, "Tetracaine 4% gel")
    assert not dialog.allergy.isVisibleTo(dialog)
    pressed(qtbot, dialog)  # the relative contraindications' questions, then saved
    if dialog.saved is None:
        pressed(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=15_000)
    saved = dialog.saved.value
    assert saved.numbing.lot_id == clinic.gel
    # the record's sessions table names it
    view.reload()
    qtbot.waitUntil(lambda: len(view.record.sessions) == 1)
    blend = view.session_model.index(0, 4).data()
    assert "numbing: Tetracaine 4% gel · TG-1" in blend


def test_a_cream_without_a_lot_in_date_is_refused_beside_the_numbing(
    qtbot: Any, window: Any, services: Any
) -> None:
    clinic = NumbingClinic(services)
    c = services.catalogue
    spray = c.create_product(ProductInput("Lidocaine spray", ("Lidocaine",), numbing=True)).value
    c.create_lot(LotInput(spray.id, "LS-OLD", date(2026, 2, 28)))
    view = open_record(qtbot, window, clinic.patient.id)
    dialog = session_dialog(qtbot, window, view)
    choose(dialog, "Lidocaine spray")
    assert dialog.numbing.lot.currentData() is None
    before = clinic.sessions()
    dialog.save()
    assert "no lot in date" in dialog.errors["numbing_agent"].text()
    assert dialog.saved is None and clinic.sessions() == before


def test_the_volume_question_is_beside_the_total_as_it_is_typed(
    qtbot: Any, window: Any, services: Any
) -> None:
    clinic = Clinic(services)
    view = open_record(qtbot, window, clinic.patient.id)
    dialog = session_dialog(qtbot, window, view)  # one product at 1 ml
    dialog.volume.setText("5")
    assert "The total volume (5 ml) is not what the blend's amounts add up to (1 ml)" in note(
        dialog, "total_volume_ml"
    )
    dialog.blend.cellWidget(0, 2).setValue(5.0)  # the blend catches up
    assert not dialog.errors["total_volume_ml"].isVisibleTo(dialog)
    dialog.volume.setText("3.5")
    assert "add up to (5 ml)" in note(dialog, "total_volume_ml")
    dialog.volume.setText("")
    assert not dialog.errors["total_volume_ml"].isVisibleTo(dialog)


@pytest.fixture
def reviews(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> list[CourseReviewDialog]:
    """Each review dialog the record opens, filled in and saved as a clinician would."""
    opened: list[CourseReviewDialog] = []

    def run(dialog: CourseReviewDialog) -> int:
        opened.append(dialog)
        qtbot.waitUntil(lambda: dialog.buttons.isEnabled())
        dialog.gais.setCurrentIndex(dialog.gais.findData(2))
        dialog.patient_gais.setCurrentIndex(dialog.patient_gais.findData(3))
        dialog.satisfaction.setCurrentIndex(dialog.satisfaction.findData(8))
        dialog.notes.setPlainText("Pleased; wants maintenance.")
        dialog.save()
        qtbot.waitUntil(lambda: dialog.saved is not None, timeout=15_000)
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(CourseReviewDialog, "exec", run)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", True))
    return opened


def test_completing_a_course_offers_its_review_which_the_record_shows(
    qtbot: Any, window: Any, services: Any, reviews: list[CourseReviewDialog]
) -> None:
    clinic = Clinic(services)
    view = open_record(qtbot, window, clinic.patient.id)
    select_id(view.course_table, clinic.course.id)
    view.course_actions["complete"].click()
    qtbot.waitUntil(lambda: len(reviews) == 1, timeout=15_000)
    assert "The course is completed" in reviews[0].findChildren(type(view.summary))[0].text()
    qtbot.waitUntil(lambda: view.record.review_of(clinic.course.id) is not None, timeout=15_000)
    stored = services.treatment.record(clinic.patient.id)
    assert stored.courses[0].status is CourseStatus.COMPLETED
    review = stored.review_of(clinic.course.id)
    assert (review.gais, review.patient_gais, review.satisfaction) == (2, 3, 8)
    # on the record: the course's row and the timeline
    column = view.course_model.headers.index("Review")
    assert view.course_model.index(0, column).data() == "GAIS 2 (patient 3), 8/10"
    lines = [view.timeline.item(i).text() for i in range(view.timeline.count())]
    assert any(
        "Course review of Wrinkles" in line
        and "GAIS 2 by the practitioner, 3 by the patient; satisfaction 8/10" in line
        for line in lines
    ), lines
    # the course's menu opens the same review again (and saving it changes it, not adds one)
    menu = view.course_menu(clinic.course.id)
    texts = [a.text() for a in menu.actions()]
    assert "Open the review…" in texts
    next(a for a in menu.actions() if a.text() == "Open the review…").trigger()
    assert len(reviews) == 2 and reviews[1].review is not None
    assert len(services.treatment.record(clinic.patient.id).outcomes) == 1


def test_the_review_and_session_dialogs_fit_a_1024_by_768_screen(
    qtbot: Any, window: Any, services: Any
) -> None:
    clinic = NumbingClinic(services)
    view = open_record(qtbot, window, clinic.patient.id)
    review = CourseReviewDialog(
        services,
        window.runner,
        window.formats,
        view.record.courses[0],
        view.record.sessions,
        just_completed=True,
        parent=view,
    )
    qtbot.addWidget(review)
    dialogs = [review, session_dialog(qtbot, window, view)]
    choose(dialogs[1], "Numbing cream 5%")
    for dialog in dialogs:
        hint = dialog.minimumSizeHint()
        assert hint.width() <= 1024 - 16 and hint.height() <= 768 - 48, (dialog, hint)
