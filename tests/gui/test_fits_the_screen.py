"""Every window and dialog fits the smallest screen a clinic has: 1024 x 768, less a window
manager's title bar and a panel. Each is measured filled with demo data (long names, a full
record), at the size it asks for (its size hint) and the least it can shrink to (its minimum
size hint): either one wider than the screen puts buttons off its right edge."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

from mesodesk.services.demo import generate_demo
from mesodesk.ui.settings import Settings
from tests.chart_data import busy_dashboard
from tests.gui.conftest import wait_jobs

TODAY = date(2026, 11, 24)  # the test clock's day
ROOM = QSize(1024 - 16, 768 - 48)  # a window frame, a title bar and a panel


def fits(widget: QWidget) -> list[str]:
    """What does not fit, in words (empty when everything does)."""
    problems = []
    for what, size in (("size hint", widget.sizeHint()), ("minimum", widget.minimumSizeHint())):
        if size.width() > ROOM.width() or size.height() > ROOM.height():
            problems.append(f"{type(widget).__name__} {what} {size.width()}x{size.height()}")
    # and the size it opens at, on the test's screen (a window resized to a fixed 1100 px
    # ran off a 1024 px screen: each sizes itself to the screen it is on, as fit_screen does)
    size, screen = widget.size(), widget.screen()
    room = ROOM.expandedTo(screen.availableGeometry().size()) if screen is not None else ROOM
    if widget.isWindow() and (size.width() > room.width() or size.height() > room.height()):
        problems.append(f"{type(widget).__name__} opens at {size.width()}x{size.height()}")
    minimum = widget.minimumSize()
    if minimum.width() > ROOM.width() or minimum.height() > ROOM.height():
        problems.append(
            f"{type(widget).__name__} minimum size {minimum.width()}x{minimum.height()}"
        )
    return problems


@pytest.fixture
def demo(qtbot: Any, services: Any) -> Iterator[Any]:
    from mesodesk.ui.main_window import MainWindow

    generate_demo(services._db, 40, 1, today=TODAY)
    window = MainWindow(services, Settings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.model.loading)
    yield window
    window.runner.wait(10_000)
    qtbot.wait(10)
    gc.collect()


def busiest_patient(services: Any) -> int:
    """The demo patient with the most sessions, given the longest names, allergies, practitioner
    and product names the forms accept: the widest record there can be."""
    from mesodesk.domain.catalogue import PractitionerInput, ProductInput
    from tests.conftest import patient_input

    with services._db.engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT c.patient_id FROM treatment_session s JOIN course c ON c.id = s.course_id "
            "GROUP BY c.patient_id ORDER BY count(*) DESC LIMIT 1"
        ).one()
    patient_id = int(row[0])
    long = patient_input(
        first_name="Maria-Magdalena Theresia Josefine Anastasia " * 2,
        last_name="Wolfeschlegelsteinhausenbergerdorff-Oberhausen " * 2,
        allergies=("Lidocaine and every amide local anaesthetic (articaine, bupivacaine)",) * 1,
        contraindication_note="Bleeding disorder under review by haematology; " * 8,
    )
    services.patients.update(patient_id, long)
    name = "Practitioner Wolfeschlegelsteinhausenbergerdorff-Oberhausen-Kirchberg an der Raab"
    services.catalogue.create_practitioner(
        PractitionerInput(name=name, title="Specialist in aesthetic and regenerative medicine")
    )
    product = services.catalogue.products()[0]
    services.catalogue.update_product(
        product.id,
        ProductInput(
            name="Hyaluronic acid non-cross-linked with vitamins, amino acids and coenzymes 3.5%",
            ingredients=tuple(product.ingredients) or ("hyaluronic acid",),
            unit=product.unit,
        ),
    )
    return patient_id


def test_the_main_window_and_its_tabs_fit(qtbot: Any, demo: Any, services: Any) -> None:
    from mesodesk.ui.dashboard import open_dashboard
    from mesodesk.ui.due_view import open_due
    from mesodesk.ui.recall_view import open_recall

    view = demo.open_patient(busiest_patient(services))
    qtbot.waitUntil(lambda: view.record is not None)
    open_due(demo)
    open_recall(demo)
    open_dashboard(demo)
    wait_jobs(qtbot, demo.runner)
    problems = fits(demo)
    for index in range(demo.tabs.count()):
        demo.tabs.setCurrentIndex(index)
        problems += fits(demo.tabs.widget(index))
    # the record's own tabs (courses, sessions, side effects, timeline, chart)
    for tab_widget in view.findChildren(type(demo.tabs)):
        for index in range(tab_widget.count()):
            tab_widget.setCurrentIndex(index)
            problems += fits(tab_widget.widget(index))
    # a database deep in folders (or a long server address) gives way in the status bar
    from mesodesk.ui.widgets import ElidedLabel

    where = demo.statusBar().findChild(ElidedLabel)
    where.set_full_text("/srv/clinic/" + "a-folder-with-a-long-name/" * 12 + "clinic.sqlite3")
    problems += fits(demo.statusBar())
    assert problems == []
    # shrunk to a 1024 x 768 screen, the window takes that size: nothing holds it wider
    demo.tabs.setCurrentWidget(view)
    demo.resize(ROOM)
    qtbot.wait(20)
    assert demo.width() <= ROOM.width() and demo.height() <= ROOM.height()
    button = view.summary_button
    right = button.mapTo(demo, button.rect().topRight()).x()
    assert button.isVisible() and right < demo.width(), right
    count = demo.count_label
    assert count.width() >= count.sizeHint().width(), "the patient count is squeezed out"
    assert where.text().endswith("clinic.sqlite3") and "…" in where.text()
    assert where.toolTip() == where.full


def test_every_dialog_fits(qtbot: Any, demo: Any, services: Any, tmp_path: Path) -> None:
    from mesodesk.domain.audit import Actor
    from mesodesk.ui.audit_view import AuditWindow
    from mesodesk.ui.catalogue_window import open_catalogue
    from mesodesk.ui.clinic_settings_dialog import ClinicSettingsDialog
    from mesodesk.ui.course_dialog import CourseDialog
    from mesodesk.ui.dashboard import LotRatesDialog
    from mesodesk.ui.lot_dialog import LotDialog
    from mesodesk.ui.patient_dialog import PatientDialog
    from mesodesk.ui.practitioner_dialog import PractitionerDialog
    from mesodesk.ui.product_dialog import ProductDialog
    from mesodesk.ui.review_dialog import CourseReviewDialog
    from mesodesk.ui.safety import ProgressDialog, RestoreDialog, WorkingAsDialog
    from mesodesk.ui.session_dialog import SessionDialog
    from mesodesk.ui.side_effect_dialog import ResolveDialog, SideEffectDialog
    from mesodesk.ui.summary_ui import BatchDialog, SummaryDialog

    view = demo.open_patient(busiest_patient(services))
    qtbot.waitUntil(lambda: view.record is not None)
    record = view.record
    course = record.courses[0]
    session = record.sessions[-1]
    effect = record.side_effects[0] if record.side_effects else None
    product = services.catalogue.products()[0]
    runner, formats = demo.runner, demo.formats
    dialogs: list[QWidget] = [
        PatientDialog(services, runner, formats, record.patient),
        CourseDialog(demo.context, record.patient.id, course, view),
        SessionDialog(demo.context, record, None, view),
        SessionDialog(demo.context, record, session, view),
        SideEffectDialog(demo.context, record, None, session.id, view),
        SideEffectDialog(demo.context, record, effect, None, view),
        *([ResolveDialog(demo.context, effect, view)] if effect is not None else []),
        SummaryDialog(demo.context, record.patient, demo),
        BatchDialog(demo.context, demo),
        ProductDialog(services, runner, formats, product),
        LotDialog(services, runner, formats, product),
        PractitionerDialog(services, runner, formats),
        ClinicSettingsDialog(demo.context, services.settings.get(), demo),
        RestoreDialog([], formats, tmp_path, demo),
        WorkingAsDialog(Actor("someone (computer login)"), [], demo),
        ProgressDialog("Backing up", "Copying the database…", True, demo),
        AuditWindow(services, runner, formats),
        open_catalogue(demo),
        CourseReviewDialog(
            services, runner, formats, course, record.sessions, just_completed=True, parent=view
        ),
        LotRatesDialog(busy_dashboard(), formats, lambda _lot: None, demo),
    ]
    problems: list[str] = []
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        if hasattr(dialog, "loaded"):
            qtbot.waitUntil(lambda d=dialog: d.loaded)
        problems += fits(dialog)
        dialog.close()
    assert problems == []
