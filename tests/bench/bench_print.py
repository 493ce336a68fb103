"""Issue 18: printing a 7-page summary, before (every page rasterised at the printer's
resolution and painted through Qt, as mesodesk 0.1 did) and after (the PDF handed to CUPS as
it is), against a private CUPS scheduler with a cups-pdf printer (tests/cups_server.py).

Each way runs in a fresh process of its own, so that its peak memory is its own: the figure is
the process's high-water mark (VmHWM, after clear_refs resets it) above its size just before it
printed. The time runs from the start of printing until the print service has the job (for the
raster way, until Qt's print engine has sent it). Both jobs are then waited for, and the PDF
that comes out checked for its 7 pages, so that a fast failure cannot pass for a fast print.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.common import ROOT, Row

MEASURE = """
import sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from PySide6.QtPrintSupport import QPrinter

how, pdf, queue = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

def status(key):
    text = open("/proc/self/status").read()
    return int(text.split(key + ":")[1].split()[0]) / 1024

printer = QPrinter(QPrinter.PrinterMode.HighResolution)
printer.setPrinterName(queue)
printer.setDocName("MD-000001 summary")
if how == "after":
    from mesodesk.ui import printing
    printing.sender_for  # imported before the clock starts, like the app has it
else:
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtPdf import QPdfDocument

before = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")
started = time.perf_counter()
if how == "after":
    job = printing.sender_for(printer, 7, "MD-000001 summary")(pdf, "MD-000001 summary").job_id
else:
    # mesodesk 0.1's print_pdf, the print dialog left out: each page rendered whole at the
    # printer's resolution and painted (Qt's CUPS engine sends the job at painter.end()).
    document = QPdfDocument()
    document.load(str(pdf))
    painter = QPainter()
    painter.begin(printer)
    for index in range(document.pageCount()):
        if index > 0:
            printer.newPage()
        area = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
        image = document.render(index, QSize(area.width(), area.height()))
        painter.drawImage(area, image)
    painter.end()
    job = ""
seconds = time.perf_counter() - started
print(f"seconds {seconds:.4f} extra_mb {status('VmHWM') - before:.1f} "
      f"dpi {printer.resolution()} job {job or '-'}")
"""


def _seven_pages(folder: Path) -> Path:
    from mesodesk.services.registry import Services
    from tests.bench.bench_treatment import _busy_patient, seven_page_options

    services = Services.open(folder / "busy.sqlite3")
    try:
        patient_id = _busy_patient(services)
        out = folder / "seven.pdf"
        written = services.summaries.write(patient_id, out, seven_page_options(services))
    finally:
        services.close()
    if written.pages != 7:
        raise RuntimeError(f"the busy patient's summary has {written.pages} pages, not 7")
    return out


def print_rows() -> list[Row]:
    from tests.cups_server import PrivateCups

    rows = []
    with tempfile.TemporaryDirectory() as folder, PrivateCups() as cups:
        os.environ["MESODESK_HOME"] = folder
        pdf = _seven_pages(Path(folder))
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **cups.env)
        for how, label in (
            ("before", "print a 7-page summary, before (pages as pictures)"),
            ("after", "print a 7-page summary, after (the PDF to CUPS)"),
        ):
            seen_jobs = cups.completed_jobs()
            out = subprocess.run(
                [sys.executable, "-c", MEASURE, how, str(pdf), cups.queue],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=1800,
                check=True,
            ).stdout
            fields = dict(zip(out.split()[::2], out.split()[1::2], strict=True))
            job = fields["job"]
            if job == "-":  # the raster way does not say its job: the next one CUPS finished
                job = _next_job(cups, seen_jobs)
            printed = cups.wait_for_job(job, timeout=600)
            from pypdf import PdfReader

            pages = len(PdfReader(str(printed)).pages)
            size = printed.stat().st_size / 1e6
            note = f"{pages} pages came out, {size:.1f} MB"
            if how == "before":
                note += f", at {fields['dpi']} dpi"
            # the targets are the new way's; the old one is the reference it is measured against
            after = how == "after"
            rows.append(
                Row(f"{label}: time", float(fields["seconds"]), "s", 1.0 if after else None, note)
            )
            rows.append(
                Row(
                    f"{label}: peak extra memory",
                    float(fields["extra_mb"]),
                    "MB",
                    50 if after else None,
                )
            )
    return rows


def _next_job(cups: object, seen: set[str]) -> str:
    import time

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        new = cups.completed_jobs() - seen  # type: ignore[attr-defined]
        if new:
            return sorted(new, key=lambda j: int(j.rsplit("-", 1)[1]))[-1]
        time.sleep(0.5)
    raise RuntimeError("the raster job never completed")
