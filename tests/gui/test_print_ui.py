"""Printing from the app against a real (private) CUPS scheduler with a cups-pdf printer: the
print dialog's choices reach CUPS as job options, the PDF goes as a document (its text comes
out), memory stays small; and the Qt fallback for Windows (bands at a bounded resolution),
tested here on Linux into Qt's own PDF engine."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from mesodesk.domain.audit import AuditQuery
from mesodesk.services.printing import PrintJob
from mesodesk.ui import printing, summary_ui
from mesodesk.ui.summary_ui import BatchDialog, SummaryDialog
from tests.unit.test_printing import seen_patient


def qprinter(name: str = "", **choices: Any) -> Any:
    """A QPrinter as the print dialog leaves it."""
    from PySide6.QtGui import QPageRanges, QPageSize
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if name:
        printer.setPrinterName(name)
    if "paper" in choices:
        printer.setPageSize(QPageSize(choices["paper"]))
    if "pages" in choices:
        ranges = QPageRanges()
        for first, last in choices["pages"]:
            ranges.addRange(first, last)
        printer.setPageRanges(ranges)
        printer.setPrintRange(QPrinter.PrintRange.PageRange)
    if "copies" in choices:
        printer.setCopyCount(choices["copies"])
    if "duplex" in choices:
        printer.setDuplex(choices["duplex"])
    if "grey" in choices:
        printer.setColorMode(QPrinter.ColorMode.GrayScale)
    if "file" in choices:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(choices["file"]))
    return printer


def pages_of(path: Path) -> int:
    return len(PdfReader(str(path)).pages)


def text_of(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def peak_extra_mb(work: Any) -> float:
    """The most memory this process held above where it started, while ``work`` ran (Linux:
    clear_refs resets the high-water mark to the present size)."""

    def status(key: str) -> float:
        text = Path("/proc/self/status").read_text()
        return int(text.split(key + ":")[1].split()[0]) / 1024

    before = status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    work()
    return status("VmHWM") - before


def test_the_print_dialogs_choices_become_job_options(qtbot: Any) -> None:
    from PySide6.QtGui import QPageSize
    from PySide6.QtPrintSupport import QPrinter

    printer = qprinter(
        paper=QPageSize.PageSizeId.Letter, pages=[(2, 3), (5, 5)], copies=2, grey=True
    )
    options = printing.job_options(printer, 7, "MD-000001 summary")
    assert (options.pages, options.copies, options.media) == ("2-3,5", 2, "Letter")
    assert (options.color, options.collate) == ("monochrome", printer.collateCopies())
    assert options.title == "MD-000001 summary"
    # duplex, as a printer that has it reports the dialog's choice
    duplex = QPrinter.DuplexMode
    assert [printing.sides_for(d) for d in duplex] == [
        "one-sided",
        "two-sided-long-edge",  # Auto: the summary is portrait
        "two-sided-long-edge",
        "two-sided-short-edge",
    ]
    whole = printing.job_options(qprinter(), 7, "t")
    assert (whole.pages, whole.copies, whole.sides, whole.color) == (None, 1, "one-sided", "color")


def test_print_from_the_summary_dialog_reaches_cups_as_a_document(
    qtbot: Any, cups: Any, window: Any, services: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    import tempfile

    from PySide6.QtGui import QPageSize

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # to see the temporary PDF go
    patient = seen_patient(services)
    chosen = qprinter(cups.queue, paper=QPageSize.PageSizeId.Letter)
    asked: list[int] = []

    def ask(parent: Any, pages: int, title: str, **_: Any) -> Any:
        asked.append(pages)
        assert title == f"{patient.record_no} summary"  # the queue shows no name
        return chosen

    monkeypatch.setattr(printing.PrintSetup, "ask", classmethod(lambda cls, *a, **k: ask(*a, **k)))
    dialog = SummaryDialog(window.context, patient, window)
    qtbot.addWidget(dialog)
    dialog.print_button.click()
    qtbot.waitUntil(lambda: "Sent to the printer" in dialog.status.text(), timeout=30_000)
    status = dialog.status.text()
    assert f"Sent to the printer {cups.queue} as job {cups.queue}-" in status
    job_id = status.split(" as job ")[1].split()[0]
    out = cups.wait_for_job(job_id)
    assert pages_of(out) == asked[0] == 1
    assert "Holloway, Beatrix" in text_of(out)  # text, not pictures
    page = PdfReader(str(out)).pages[0].mediabox
    assert (round(page.width), round(page.height)) == (612, 792)  # the dialog's Letter paper
    qtbot.waitUntil(
        lambda: (
            services.audit.search(AuditQuery(patient_id=patient.id, action="pdf_print")).total == 1
        )
    )
    entry = services.audit.search(AuditQuery(patient_id=patient.id, action="pdf_print"))
    assert entry.entries[0].after["job"] == job_id
    assert not list(tmp_path.glob("mesodesk-*"))  # gone once CUPS had its own copy
    # printing is no export
    assert services.audit.search(AuditQuery(patient_id=patient.id, action="pdf_export")).total == 0


def test_a_cancelled_print_dialog_prints_and_audits_nothing(
    qtbot: Any, window: Any, services: Any, monkeypatch: Any
) -> None:
    patient = seen_patient(services)
    monkeypatch.setattr(printing.PrintSetup, "ask", classmethod(lambda cls, *a, **k: None))
    dialog = SummaryDialog(window.context, patient, window)
    qtbot.addWidget(dialog)
    dialog.print_button.click()
    qtbot.waitUntil(lambda: dialog.status.text() == "Nothing was printed.", timeout=20_000)
    window.runner.wait(5_000)
    actions = {e.action for e in services.audit.search(AuditQuery(patient_id=patient.id)).entries}
    assert not actions & {"pdf_print", "pdf_export"}


def test_a_refusal_is_said_in_words_beside_the_buttons(
    qtbot: Any, cups: Any, window: Any, services: Any, monkeypatch: Any
) -> None:
    patient = seen_patient(services)
    chosen = qprinter(cups.queue)
    assert chosen.printerName() == cups.queue
    monkeypatch.setattr(printing.PrintSetup, "ask", classmethod(lambda cls, *a, **k: chosen))
    dialog = SummaryDialog(window.context, patient, window)
    qtbot.addWidget(dialog)
    cups.lp_tool("cupsreject", "-r", "moving office", cups.queue)
    try:
        dialog.print_button.click()
        qtbot.waitUntil(lambda: "refused" in dialog.form_error.text(), timeout=30_000)
    finally:
        cups.lp_tool("cupsaccept", cups.queue)
    assert f'Destination "{cups.queue}" is not accepting jobs' in dialog.form_error.text()
    assert dialog.status.text() == "Nothing was printed."
    assert dialog.print_button.isEnabled()
    assert services.audit.search(AuditQuery(patient_id=patient.id, action="pdf_print")).total == 0


def test_seven_pages_go_to_cups_in_a_blink_of_memory(
    qtbot: Any, cups: Any, seven_page_summary: Path
) -> None:
    """The hand-over itself: a page range, and how much memory it takes (the raster way took
    gigabytes; tests/bench has the time)."""
    chosen = qprinter(cups.queue, pages=[(2, 4), (7, 7)])
    send = printing.sender_for(chosen, 7, "MD-000001 summary")
    jobs: list[PrintJob] = []
    extra = peak_extra_mb(lambda: jobs.append(send(seven_page_summary, "MD-000001 summary")))
    assert extra <= 50, f"{extra:.0f} MB"
    out = cups.wait_for_job(jobs[0].job_id)
    assert pages_of(out) == 4
    assert "(pages 2-4,7 of 7)" in summary_ui.describe_job(jobs[0], 7)
    assert "MD-000001" in text_of(out)
    whole = printing.sender_for(qprinter(cups.queue), 7, "t")(seven_page_summary, "t")
    assert pages_of(cups.wait_for_job(whole.job_id)) == 7


def test_print_to_file_writes_the_pdf_itself(
    qtbot: Any, tmp_path: Path, seven_page_summary: Path
) -> None:
    target = tmp_path / "printed.pdf"
    send = printing.sender_for(qprinter(file=target), 7, "t")
    job = send(seven_page_summary, "t")
    assert target.read_bytes() == seven_page_summary.read_bytes()
    assert job.printer == str(target)


def test_the_windows_way_prints_in_bands_with_flat_memory(
    qtbot: Any, tmp_path: Path, seven_page_summary: Path
) -> None:
    """Where there is no CUPS, Qt prints: each page in bands of at most BAND_BYTES, rendered at
    no more than MAX_DPI, whatever the printer's resolution (Qt's PDF engine says 1200 dpi)."""
    target = tmp_path / "banded.pdf"
    printer = qprinter(file=target)
    assert printer.resolution() > printing.MAX_DPI
    bands: list[int] = []
    done: list[int] = []
    extra = peak_extra_mb(
        lambda: done.append(
            printing.print_in_bands(printer, seven_page_summary, on_band=bands.append)
        )
    )
    assert done == [7] and pages_of(target) == 7
    assert max(bands) <= printing.BAND_BYTES
    assert len(bands) >= 7 * 2  # a page is never one picture
    assert extra <= 50, f"{extra:.0f} MB"
    # and the chosen pages only
    some = tmp_path / "some.pdf"
    assert printing.print_in_bands(qprinter(file=some, pages=[(6, 7)]), seven_page_summary) == 2
    assert pages_of(some) == 2


def test_bands_put_together_are_the_page(qtbot: Any, seven_page_summary: Path) -> None:
    """QPdfDocument squeezes a clipped render by a pixel; render_band makes up for it. The
    bands stitched together must be the page rendered whole."""
    import numpy as np
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    document.load(str(seven_page_summary))
    points = document.pagePointSize(0)
    size = QSize(round(points.width() * 120 / 72), round(points.height() * 120 / 72))
    whole = document.render(0, size).convertToFormat(QImage.Format.Format_RGB32)
    stitched = QImage(size, QImage.Format.Format_RGB32)
    painter = QPainter(stitched)
    rows = 97  # bands that cut through lines of text
    for y in range(0, size.height(), rows):
        band = printing.render_band(document, 0, size, y, min(rows, size.height() - y))
        painter.drawImage(0, y, band)
    painter.end()
    document.close()

    def pixels(image: Any) -> Any:
        data = np.frombuffer(image.constBits(), np.uint8)
        return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width(), :3]

    diff = np.abs(pixels(whole).astype(int) - pixels(stitched).astype(int)).max(axis=2)
    # A squeezed band moves every line of text in it by a pixel: most rows that hold text would
    # differ. What remains is the hinting of a few bold header lines (a couple of rows in a
    # hundred), which Qt renders a shade differently when clipped.
    rows_off = (diff > 128).any(axis=1).mean()
    assert rows_off < 0.03 and diff.mean() < 4, (rows_off, diff.mean())  # a 1-px shift: 0.065, 6.5


def test_the_batch_prints_one_job_per_letter(
    qtbot: Any, cups: Any, window: Any, services: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    from tests.gui.test_summary_ui import seen_patient as seen

    names = ["Ada", "Bea", "Cleo"]
    for i, name in enumerate(names):
        seen(services, name, 3 + i)
    monkeypatch.setattr(summary_ui.QDesktopServices, "openUrl", staticmethod(lambda url: True))
    monkeypatch.setattr(
        printing.PrintSetup, "ask", classmethod(lambda cls, *a, **k: qprinter(cups.queue))
    )
    dialog = BatchDialog(window.context, window)
    qtbot.addWidget(dialog)
    dialog.folder = tmp_path / "batch"
    dialog.save_box.setChecked(False)
    dialog.print_box.setChecked(True)
    assert dialog.buttons.button(dialog.buttons.StandardButton.Save).text() == "Print"
    dialog.box.date_from.set_value(date(2026, 11, 1))
    dialog.box.date_to.set_value(date(2026, 11, 24))
    dialog.box.sections[summary_ui.Section.CHARTS].setChecked(False)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=60_000)
    outcome = dialog.outcome
    assert outcome is not None and len(outcome.printed) == 3 and not outcome.written
    assert "3 of 3 summaries sent to the printer" in dialog.form_error.text()
    assert not (tmp_path / "batch").exists()  # printing only: nothing saved
    printed = [text_of(cups.wait_for_job(p.job.job_id)) for p in outcome.printed]
    for record_no, text in zip(["MD-000001", "MD-000002", "MD-000003"], printed, strict=True):
        assert record_no in text
    assert services.audit.search(AuditQuery(action="pdf_print")).total == 3  # one entry per letter
