"""Issue 3: opening a full record, lot recall over a million sessions, the due list."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from tests.bench.common import Row, median_ms


def _busy_patient(services: object) -> int:
    """A patient with 60 sessions and 150 side effects, entered through the services."""
    from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
    from mesodesk.domain.enums import AEOutcome, BodyArea, Indication, ReportChannel, SideEffectKind
    from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
    from tests.conftest import patient_input

    s = services  # type: ignore[assignment]
    doctor = s.catalogue.create_practitioner(PractitionerInput("Dr. Bench")).value  # type: ignore[attr-defined]
    product = s.catalogue.create_product(ProductInput("HA", ("Sodium hyaluronate",))).value  # type: ignore[attr-defined]
    lot = s.catalogue.create_lot(LotInput(product.id, "B-1", date(2030, 1, 1))).value  # type: ignore[attr-defined]
    patient = s.patients.create(patient_input()).value  # type: ignore[attr-defined]
    start = date(2022, 1, 3)
    sessions = []
    for c in range(5):
        course = s.courses.create_course(  # type: ignore[attr-defined]
            patient.id,
            CourseInput(
                Indication.REJUVENATION,
                start + timedelta(days=150 * c),
                (BodyArea.FACE,),
                planned_sessions=12,
            ),
        ).value
        for i in range(12):
            when = datetime.combine(
                start + timedelta(days=150 * c + 9 * i), datetime.min.time()
            ).replace(hour=10)
            sessions.append(
                s.sessions.log_session(  # type: ignore[attr-defined]
                    patient.id,
                    SessionInput(
                        course.id,
                        when,
                        (BodyArea.FACE,),
                        1.5,
                        (BlendInput(lot.id, 2.0),),
                        practitioner_id=doctor.id,
                        pain_nrs=3,
                        gais=2,
                    ),
                ).value
            )
    kinds = [SideEffectKind.PAIN, SideEffectKind.SWELLING, SideEffectKind.BRUISING]
    for i in range(150):
        session = sessions[i % 60]
        onset = session.started_at.date() + timedelta(days=i % 3)
        s.side_effects.record_side_effect(  # type: ignore[attr-defined]
            patient.id,
            SideEffectInput(
                kinds[i % 3],
                onset,
                1 + i % 2,
                body_area=BodyArea.FACE,
                session_id=session.id,
                lot_ids=(lot.id,),
                resolved_on=onset + timedelta(days=3),
                outcome=AEOutcome.RESOLVED,
                reported_at=datetime.combine(onset, datetime.min.time()),
                reported_via=ReportChannel.PHONE,
            ),
        )
    return int(patient.id)


def record_rows() -> list[Row]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from mesodesk.services.registry import Services

    with tempfile.TemporaryDirectory() as folder:
        os.environ["MESODESK_HOME"] = folder
        services = Services.open(Path(folder) / "busy.sqlite3")
        patient_id = _busy_patient(services)
        load = median_ms(lambda: services.treatment.record(patient_id), 15, 2)

        from mesodesk.app import make_application
        from mesodesk.ui.main_window import MainWindow
        from mesodesk.ui.record_view import PatientRecordView
        from mesodesk.ui.settings import Settings

        app = make_application()
        window = MainWindow(services, Settings())
        views = []

        def open_and_fill() -> None:
            """Opening the patient: a new record view, its data loaded, every tab filled."""
            view = PatientRecordView(window.context, patient_id)
            view.resize(1366, 700)
            view.show()
            view.show_record(services.treatment.record(patient_id))
            app.processEvents()
            views.append(view)

        fill = median_ms(open_and_fill, 15, 2)
        for view in views:
            view.close()
        window.runner.wait()
        window.close()
        services.close()
    return [
        Row("record: load 60 sessions + 150 side effects", load, "ms"),
        Row("record view filled (load + tables + timeline)", fill, "ms", 150),
    ]


def clinic_rows(db_path: Path) -> list[Row]:
    import shutil

    from mesodesk.domain.clock import FixedClock
    from mesodesk.domain.search import PatientQuery, PatientSort
    from mesodesk.services.registry import Services
    from mesodesk.store.derived import stale_patients

    services = Services.open(db_path)
    with services._db.read() as s:
        sessions = s.connection().exec_driver_sql("SELECT count(*) FROM treatment_session").scalar()
    recall = median_ms(lambda: services.recall.recall("PCD-2405-B"), 9, 1)
    found = services.recall.recall("PCD-2405-B")
    today = services.clock.today()
    due = median_ms(lambda: services.courses.due(today), 9, 1)
    listed = len(services.courses.due(today))
    lapsed = median_ms(lambda: services.courses.due(today, lapsed=True), 9, 1)
    lapsed_count = len(services.courses.due(today, lapsed=True))
    by_due = PatientQuery(sort=PatientSort.NEXT_DUE)
    sort = median_ms(lambda: services.patients.search(by_due), 9, 1)
    services.close()
    # The first read of the patient list a month later: the patients whose course lapsed in
    # between are recomputed first (on a copy: the bench database stays as built).
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "later.sqlite3"
        shutil.copyfile(db_path, copy)
        month_on = datetime.combine(today + timedelta(days=30), datetime.min.time())
        later = Services.open(copy, clock=FixedClock(month_on))
        with later._db.read() as s:
            stale = len(stale_patients(s.connection(), month_on.date()))
        started = time.perf_counter()
        later.patients.search(by_due)
        first_read = (time.perf_counter() - started) * 1000
        later.close()
    return [
        Row(
            f"lot recall over {sessions:,} sessions ({len(found.entries):,} exposures)",
            recall,
            "ms",
            100,
        ),
        Row(f"due list over the clinic ({listed:,} courses due)", due, "ms", 200),
        Row(f"lapsed list over the clinic ({lapsed_count:,} courses)", lapsed, "ms", 200),
        Row("patient list sorted by next due (first page + count)", sort, "ms"),
        Row(
            f"patient list 30 days on: {stale:,} patients recomputed, then the first page",
            first_read,
            "ms",
        ),
    ]


def seven_page_options(services: object) -> object:
    """The options that make the busy patient's summary 7 pages, the document the printing tests
    and benchmark send: all but the sessions table (the whole summary is 10 pages since each
    session says its procedure, issue 15)."""
    from mesodesk.domain.summary import Section

    return services.summaries.options(  # type: ignore[attr-defined]
        sections=set(Section) - {Section.SESSIONS}
    )
