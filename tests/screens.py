"""Pictures of every main screen, as a person sees them: `./dev screens [DB] [OUT] [RECORD_NO]`
(DB "" for a demo clinic).

Runs on a real X server (./dev starts a virtual one with xvfb-run), opens the main window over a
database (default: a new 1,000-patient demo clinic), then a patient's record with each of its
tabs, the session, side-effect, course and patient dialogs, the due list, the clinic dashboard,
the PDF summary dialog and its preview, the lot recall, the catalogue and the audit trail,
and saves each as a PNG in OUT (default: screens/).
Open them and look: a cut-off label or a cramped form is a bug. Not a test. It exports one PDF
summary (to a temporary folder), which the database's audit trail records like any other.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    from mesodesk.app import make_application
    from mesodesk.services.registry import Services
    from mesodesk.ui.main_window import MainWindow
    from mesodesk.ui.settings import Settings

    workdir = tempfile.mkdtemp(prefix="mesodesk-screens-")
    given = bool(argv and argv[0])  # "" for the demo, to name OUT or RECORD_NO after it
    db = Path(argv[0]) if given else Path(workdir) / "demo.sqlite3"
    out = Path(argv[1]) if len(argv) > 1 else Path("screens")
    record_no = argv[2] if len(argv) > 2 else None
    out.mkdir(parents=True, exist_ok=True)

    app = make_application()
    services = Services.open(db)
    if not given:
        from mesodesk.services.demo import generate_demo

        generate_demo(services._db, 1000, 1)  # the first-start demo: both of its signals show
    window = MainWindow(services, Settings())
    screen = app.primaryScreen().availableGeometry()
    window.resize(screen.width(), screen.height() - 28)
    window.move(0, 0)
    window.show()

    def pump(seconds: float = 0.8) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait(condition: Callable[[], bool], seconds: float = 30) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError("the screen did not get ready")
            app.processEvents()
            time.sleep(0.01)

    def snap(widget: Any, name: str) -> None:
        pump()
        widget.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")

    wait(lambda: window.model.total > 0)
    snap(window, "01-patients")
    window.list_view.search.setText("mu")
    pump(1.0)
    snap(window, "02-search")
    window.list_view.search.setText("")

    if record_no:
        patient_id = services.patients.get_by_record_no(record_no).id
    else:  # the patient with the most side effects: the fullest record
        patient_id = max(
            (window.model.patient_id(i) for i in range(window.model.rowCount())),
            key=lambda pid: len(services.treatment.record(pid).side_effects),
        )
    view = window.open_patient(patient_id)
    wait(lambda: view.record is not None)
    for i in range(view.tabs.count()):
        view.tabs.setCurrentIndex(i)
        pump(1.5)
        snap(window, f"03-record-{i}-{view.tabs.tabText(i).lower().replace(' ', '-')}")

    from mesodesk.ui.course_dialog import CourseDialog
    from mesodesk.ui.patient_dialog import PatientDialog
    from mesodesk.ui.session_dialog import SessionDialog
    from mesodesk.ui.side_effect_dialog import SideEffectDialog
    from mesodesk.ui.summary_ui import PdfPreview, SummaryDialog

    record = view.record
    assert record is not None
    dialogs: list[tuple[str, Callable[[], Any]]] = [
        ("04-session-new", lambda: SessionDialog(window.context, record, None, view)),
        (
            "05-session-edit",
            lambda: SessionDialog(window.context, record, record.sessions[-1], view),
        ),
        ("06-side-effect-new", lambda: SideEffectDialog(window.context, record, None, None, view)),
        ("07-course-new", lambda: CourseDialog(window.context, patient_id, None, view)),
        (
            "08-patient-edit",
            lambda: PatientDialog(services, window.runner, window.formats, record.patient, view),
        ),
        ("09-summary", lambda: SummaryDialog(window.context, record.patient, view)),
    ]
    for name, make in dialogs:
        if name == "05-session-edit" and not record.sessions:
            continue
        dialog = make()
        dialog.show()
        pump(1.0)
        snap(dialog, name)
        dialog.reject()

    pdf = Path(workdir) / "summary.pdf"
    services.summaries.write(patient_id, pdf, services.summaries.options())
    preview = PdfPreview(window.context, pdf, patient_id, "", window)
    preview.resize(900, 700)
    preview.show()
    pump(2.5)
    snap(preview, "10-pdf-preview")
    preview.close()

    from mesodesk.ui.dashboard import open_dashboard
    from mesodesk.ui.due_view import open_due

    open_due(window)
    pump(2.0)
    snap(window, "11-due")
    dashboard = open_dashboard(window)
    wait(lambda: not dashboard.loading and not dashboard.signals_loading)
    pump(3.0)
    snap(window, "12-dashboard")
    from mesodesk.services.demo import BAD_LOT_NUMBER
    from mesodesk.ui.catalogue_window import open_catalogue
    from mesodesk.ui.recall_view import open_recall
    from mesodesk.ui.safety import controller_of

    open_recall(window, BAD_LOT_NUMBER)  # the demo's lot that reacts more
    pump(3.0)
    snap(window, "13-recall")
    catalogue = open_catalogue(window)
    pump(2.0)
    snap(catalogue, "14-catalogue")
    catalogue.close()
    controller = controller_of(window)
    if controller is not None:
        controller.open_audit()
        pump(2.0)
        assert controller.audit_window is not None
        snap(controller.audit_window, "15-audit")
        controller.audit_window.close()
    window.runner.wait(10_000)
    window.close()
    services.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
