"""The PDF summary from the app: save, preview, print and batch."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from mesodesk.domain.audit import AuditQuery
from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import BodyArea, Indication
from mesodesk.domain.summary import FreeText, Privacy
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput
from mesodesk.ui import summary_ui
from mesodesk.ui.summary_ui import BatchDialog, PdfPreview, SummaryDialog
from tests.conftest import patient_input


def seen_patient(services: Any, first: str, day: int) -> Any:
    ha = services.catalogue.products()
    if not ha:
        product = services.catalogue.create_product(
            ProductInput("HA", ("Sodium hyaluronate",))
        ).value
        services.catalogue.create_lot(LotInput(product.id, "L-1", date(2030, 1, 1)))
    lot = services.catalogue.lots()[0]
    p = services.patients.create(patient_input(first_name=first)).value
    course = services.courses.create_course(
        p.id, CourseInput(Indication.WRINKLES, date(2026, 11, 1), (BodyArea.FOREHEAD,))
    ).value
    services.sessions.log_session(
        p.id,
        SessionInput(
            course.id,
            datetime(2026, 11, day, 10),
            (BodyArea.FOREHEAD,),
            1.5,
            (BlendInput(lot.id, 1.0),),
        ),
    )
    return p


def test_save_pdf_and_offer_the_folder(
    qtbot: Any, window: Any, services: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    patient = seen_patient(services, "Ana", 3)
    dialog = SummaryDialog(window.context, patient, window)
    qtbot.addWidget(dialog)
    target = tmp_path / "out.pdf"
    opened: list[Path] = []
    suggested: list[Path] = []

    def choose(name: Path) -> Path:
        suggested.append(name)
        return target

    monkeypatch.setattr(dialog, "choose_file", choose)
    monkeypatch.setattr(dialog, "offer_open_folder", opened.append)
    dialog.box.privacy.setCurrentIndex(dialog.box.privacy.findData(Privacy.PSEUDONYMISED.value))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=20_000)
    assert opened == [target]
    text = PdfReader(str(target)).pages[0].extract_text()
    assert "MD-000001" not in text and "Müller" not in text and "Ana" not in text
    entries = services.audit.search(AuditQuery(patient_id=patient.id, action="pdf_export"))
    assert entries.total == 1
    # the file name suggested, the PDF and the audit entry carry the same one-time code
    code = re.search(r"P-[0-9A-Z]{8}", suggested[0].name).group(0)  # type: ignore[union-attr]
    assert "MD-000001" not in suggested[0].name and "Müller" not in suggested[0].name
    assert code in text and code in dialog.status.text()
    assert code in str(entries.entries[0].after)


def test_bad_period_is_said_beside_it(qtbot: Any, window: Any, services: Any) -> None:
    patient = seen_patient(services, "Ana", 3)
    dialog = SummaryDialog(window.context, patient, window)
    qtbot.addWidget(dialog)
    dialog.box.date_from.set_value(date(2026, 11, 20))
    dialog.box.date_to.set_value(date(2026, 11, 1))
    dialog.save_button.click()
    assert "before its start" in dialog.form_error.text()


def test_preview_shows_the_pdf(
    qtbot: Any, window: Any, services: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    patient = seen_patient(services, "Ana", 3)
    shown: list[PdfPreview] = []
    original = PdfPreview.show_file

    def capture(
        win: Any, path: Path, patient_id: int, record_no: str = "", owner: Any = None
    ) -> PdfPreview:
        preview = original(win, path, patient_id, record_no, owner)
        shown.append(preview)
        return preview

    monkeypatch.setattr(PdfPreview, "show_file", staticmethod(capture))
    dialog = SummaryDialog(window.context, patient, window)
    qtbot.addWidget(dialog)
    dialog.preview_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    preview = shown[0]
    assert preview.document.pageCount() == 1
    # the preview prints its own file ("Print to file" here: tests/gui/test_print_ui.py has CUPS)
    from tests.gui.test_print_ui import qprinter

    target = tmp_path / "printed.pdf"
    monkeypatch.setattr(
        summary_ui.PrintSetup, "ask", classmethod(lambda cls, *a, **k: qprinter(file=target))
    )
    preview.print_()
    qtbot.waitUntil(
        lambda: (
            services.audit.search(AuditQuery(patient_id=patient.id, action="pdf_print")).total == 1
        )
    )
    assert target.read_bytes() == preview.path.read_bytes()
    assert "Sent to" in preview.statusBar().currentMessage()
    preview.close()


def test_the_preview_opens_in_front_of_the_summary_dialog_and_outlives_it(
    qtbot: Any, window: Any, services: Any
) -> None:
    """The Summary dialog is modal: a preview behind it could be neither raised nor used."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    patient = seen_patient(services, "Ana", 3)
    dialog = SummaryDialog(window.context, patient, window)
    qtbot.addWidget(dialog)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)  # as exec() shows it
    dialog.show()
    qtbot.waitExposed(dialog)
    assert QApplication.activeModalWidget() is dialog
    dialog.preview_button.click()
    qtbot.waitUntil(lambda: bool(dialog.findChildren(PdfPreview)), timeout=20_000)
    preview = dialog.findChildren(PdfPreview)[0]
    qtbot.waitExposed(preview)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is preview)
    # the person can use it: its toolbar takes a click while the dialog is still open
    assert preview.isVisible() and preview.isWindow()
    # closing the dialog leaves the preview open, now the main window's
    dialog.reject()
    qtbot.waitUntil(lambda: preview.parentWidget() is window and preview.isVisible())
    assert preview.document.pageCount() == 1
    preview.close()


def test_batch_writes_a_summary_per_patient_seen(
    qtbot: Any, window: Any, services: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    for i, name in enumerate(["Ana", "Bea", "Cleo"]):
        seen_patient(services, name, 3 + i)
    services.patients.create(patient_input(first_name="Unseen"))
    monkeypatch.setattr(summary_ui.QDesktopServices, "openUrl", staticmethod(lambda url: True))
    dialog = BatchDialog(window.context, window)
    qtbot.addWidget(dialog)
    dialog.folder = tmp_path / "batch"
    dialog.box.date_from.set_value(date(2026, 11, 1))
    dialog.box.date_to.set_value(date(2026, 11, 24))
    dialog.box.sections[summary_ui.Section.CHARTS].setChecked(False)
    dialog.save()
    qtbot.waitUntil(lambda: len(dialog.written) == 3, timeout=30_000)
    names = sorted(p.name for p in (tmp_path / "batch").iterdir())
    assert len(names) == 3 and names[0].startswith("MD-000001 Müller Ana")
    assert "3 summaries written" in dialog.form_error.text()


def test_file_names() -> None:
    from mesodesk.domain.enums import Sex  # noqa: F401 - the patient below needs its enums

    class P:
        record_no = "MD-000007"
        last_name = "O'Brien/../x"
        first_name = "Zoë"

    day = date(2026, 11, 24)
    assert (
        summary_ui.file_name(P(), Privacy.IDENTIFIED, day)  # type: ignore[arg-type]
        == "MD-000007 OBrienx Zoë 2026-11-24.pdf"
    )
    for privacy in (Privacy.PSEUDONYMISED, Privacy.DEIDENTIFIED):
        name = summary_ui.file_name(P(), privacy, day, "P-ABCDEFGH")  # type: ignore[arg-type]
        assert name.startswith("Summary P-ABCDEFGH (")
        assert "MD-000007" not in name and "Brien" not in name and "2026" not in name
    assert summary_ui.pages_text(1) == "1 page" and summary_ui.pages_text(3) == "3 pages"


def test_free_text_is_chosen_field_by_field_when_pseudonymised(
    qtbot: Any, window: Any, services: Any
) -> None:
    patient = seen_patient(services, "Ana", 3)
    dialog = SummaryDialog(window.context, patient, window)
    qtbot.addWidget(dialog)
    box = dialog.box
    boxes = box.free_text
    # identified: everything goes in, nothing to choose
    assert all(b.isChecked() and not b.isEnabled() for b in boxes.values())
    assert box.options().privacy is Privacy.IDENTIFIED
    box.privacy.setCurrentIndex(box.privacy.findData(Privacy.PSEUDONYMISED.value))
    assert all(b.isEnabled() and not b.isChecked() for b in boxes.values())
    boxes[FreeText.ALLERGIES].setChecked(True)
    boxes[FreeText.SESSION_NOTES].setChecked(True)
    options = box.options()
    assert options.privacy is Privacy.PSEUDONYMISED
    assert options.free_text == {FreeText.ALLERGIES, FreeText.SESSION_NOTES}
    # de-identified: no free text at all, and the ticks come back with pseudonymised
    box.privacy.setCurrentIndex(box.privacy.findData(Privacy.DEIDENTIFIED.value))
    assert not any(b.isChecked() or b.isEnabled() for b in boxes.values())
    assert box.options().free_text == frozenset()
    assert "days from the first session" in box.privacy_note.text()
    box.privacy.setCurrentIndex(box.privacy.findData(Privacy.PSEUDONYMISED.value))
    assert box.options().free_text == {FreeText.ALLERGIES, FreeText.SESSION_NOTES}


def test_the_summary_dialogs_fit_a_1024_by_768_screen(
    qtbot: Any, window: Any, services: Any
) -> None:
    """With the identity choices and the free-text fields, both dialogs still fit the smallest
    screen a clinic has (a window manager's title bar and a panel take about 70 pixels)."""
    patient = seen_patient(services, "Ana", 3)
    for dialog in (
        SummaryDialog(window.context, patient, window),
        BatchDialog(window.context, window),
    ):
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        for size in (dialog.sizeHint(), dialog.minimumSizeHint(), dialog.size()):
            assert size.width() <= 1024 and size.height() <= 768 - 70, (dialog, size)
        # the longest explanation wraps inside the dialog instead of widening it
        box = dialog.box
        box.privacy.setCurrentIndex(box.privacy.findData(Privacy.PSEUDONYMISED.value))
        assert dialog.sizeHint().width() <= 1024
