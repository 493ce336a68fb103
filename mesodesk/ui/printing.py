"""Printing from the app: the system's print dialog, then the PDF to the print service.

- Linux and macOS (CUPS): the print dialog's choices (printer, copies, page range, paper,
  duplex, colour, and what its Properties tab set) become job options, and the PDF goes to CUPS
  as it is (``mesodesk.services.printing``). Fast, and the printer gets text, not pictures.
- "Print to file" in the dialog: the PDF is copied there (it already is one).
- Windows, which has no print service that takes a PDF: Qt prints it, page by page, each page
  drawn in horizontal bands rendered at no more than ``MAX_DPI``. A band is at most
  ``BAND_BYTES``, whatever the printer's resolution, so memory stays flat whatever the page
  count; the old way (a whole page at the printer's 1200 dpi, 557 MB for one A4 page) took
  seconds and gigabytes. This path is tested on Linux too, into Qt's own PDF engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QRect, QRectF, QSize
from PySide6.QtGui import QPageSize, QPainter
from PySide6.QtWidgets import QDialog, QWidget

from mesodesk.domain.errors import MesodeskError
from mesodesk.services.printing import (
    CupsPrinting,
    PrintError,
    PrintJob,
    PrintOptions,
    Sender,
)

MAX_DPI = 300  # plenty for a letter; the printer scales up
BAND_BYTES = 4 * 1024 * 1024  # one band of a page, as 32-bit pixels
CUPS_OPTIONS_KEY = (
    0xFE00  # Qt's PPK_CupsOptions: the Properties tab's CUPS options, name, value, ...
)

_DUPLEX_SIDES = {
    "DuplexNone": "one-sided",
    "DuplexLongSide": "two-sided-long-edge",
    "DuplexShortSide": "two-sided-short-edge",
}


def tr(text: str) -> str:
    return QCoreApplication.translate("Printing", text)


class PrintSetup:
    """The system's print dialog; ``ask`` is what tests replace."""

    @classmethod
    def ask(cls, parent: QWidget, pages: int, title: str, *, page_range: bool = True) -> Any | None:
        """A QPrinter set up by the person, or None when they cancelled."""
        from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(tr("Print"))
        option = QAbstractPrintDialog.PrintDialogOption
        dialog.setOption(option.PrintSelection, False)
        dialog.setOption(option.PrintCurrentPage, False)
        dialog.setOption(option.PrintPageRange, page_range)
        dialog.setOption(option.PrintToFile, True)
        dialog.setOption(option.PrintCollateCopies, True)
        dialog.setMinMax(1, max(1, pages))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return printer


def to_file(printer: Any) -> Path | None:
    """The file "Print to file" writes, when the person chose it."""
    from PySide6.QtPrintSupport import QPrinter

    name = printer.outputFileName()
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and name:
        return Path(name)
    return None


def chosen_pages(printer: Any, pages: int) -> list[int]:
    """The pages the dialog chose (1-based, in order), within the document's ``pages``."""
    ranges = printer.pageRanges()
    if ranges.isEmpty():
        first, last = printer.fromPage(), printer.toPage()
        if first <= 0:
            return list(range(1, pages + 1))
        return [n for n in range(first, (last or pages) + 1) if 1 <= n <= pages]
    chosen: list[int] = []
    for part in ranges.toRangeList():
        chosen += [n for n in range(part.from_, part.to + 1) if 1 <= n <= pages]
    return chosen


def _page_list(chosen: Sequence[int], pages: int) -> str | None:
    if list(chosen) == list(range(1, pages + 1)):
        return None
    parts: list[str] = []
    start = prev = None
    for n in chosen:
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ",".join(parts)


def cups_options(printer: Any) -> tuple[tuple[str, str], ...]:
    """What the dialog's Properties tab set (pages per sheet, banner pages, priority, ...)."""
    from PySide6.QtPrintSupport import QPrintEngine

    engine = printer.printEngine()
    if engine is None:
        return ()
    try:
        values = engine.property(QPrintEngine.PrintEnginePropertyKey(CUPS_OPTIONS_KEY))
    except (ValueError, TypeError):
        return ()
    if not isinstance(values, list | tuple):
        return ()
    pairs = [(str(values[i]), str(values[i + 1])) for i in range(0, len(values) - 1, 2)]
    return tuple((name, value) for name, value in pairs if name and value)


def sides_for(duplex: Any) -> str | None:
    """CUPS's "sides" for the dialog's duplex choice. "Auto" binds on the long edge: the
    summary is portrait."""
    if duplex.name == "DuplexAuto":
        return "two-sided-long-edge"
    return _DUPLEX_SIDES.get(duplex.name)


def job_options(printer: Any, pages: int, title: str) -> PrintOptions:
    """The print dialog's choices as CUPS job options."""
    from PySide6.QtPrintSupport import QPrinter

    size = printer.pageLayout().pageSize()
    media = size.key() if size.isValid() and size.id() != QPageSize.PageSizeId.Custom else None
    duplex = sides_for(printer.duplex())
    colour = "monochrome" if printer.colorMode() == QPrinter.ColorMode.GrayScale else "color"
    copies = max(1, printer.copyCount())
    return PrintOptions(
        printer=printer.printerName() or None,
        copies=copies,
        pages=_page_list(chosen_pages(printer, pages), pages),
        media=media,
        sides=duplex,
        color=colour,
        collate=printer.collateCopies() if copies > 1 else None,
        landscape=printer.pageLayout().orientation().name == "Landscape",
        title=title,
        extra=cups_options(printer),
    ).validated()


def uses_cups() -> bool:
    return CupsPrinting().available()


def sender_for(printer: Any, pages: int, title: str) -> Sender:
    """How this printer prints one PDF: a copy for "Print to file", CUPS where there is CUPS,
    Qt in bands elsewhere. Each returns the job the print service took."""
    target = to_file(printer)
    if target is not None:
        chosen = chosen_pages(printer, pages)
        if len(chosen) == pages:

            def copy(path: Path, _title: str) -> PrintJob:
                from mesodesk.files import copy_atomically

                try:  # whole or not at all, owner-only, never through a link (issue 12)
                    copy_atomically(path, target)
                except MesodeskError as exc:
                    raise PrintError(str(exc)) from None
                return PrintJob(printer=str(target), job_id="")

            return copy
    elif uses_cups():
        cups = CupsPrinting()
        base = job_options(printer, pages, title)
        return cups.sender(base)

    def bands(path: Path, _title: str) -> PrintJob:
        printed = print_in_bands(printer, path)
        if printed == 0:
            raise PrintError(tr("No page was printed."))
        name = str(to_file(printer) or printer.printerName() or tr("the printer"))
        chosen = _page_list(chosen_pages(printer, pages), pages) or ""
        return PrintJob(name, "", copies=max(1, printer.copyCount()), pages=chosen)

    return bands


def print_in_bands(
    printer: Any,
    path: Path,
    pages: Sequence[int] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    on_band: Callable[[int], None] | None = None,
) -> int:
    """Print a PDF through Qt, each page drawn in bands of at most ``BAND_BYTES`` at no more
    than ``MAX_DPI``; the number of pages printed. ``pages``: 1-based, default the dialog's
    range. ``on_band`` receives each band's size in bytes (tests)."""
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import QPrinter

    document = QPdfDocument()
    try:
        if document.load(str(path)) != QPdfDocument.Error.None_:
            raise PrintError(tr("The summary could not be opened for printing."))
        count = document.pageCount()
        wanted = list(pages) if pages is not None else chosen_pages(printer, count)
        wanted = [n for n in wanted if 1 <= n <= count]
        if not wanted:
            return 0
        printer.setFullPage(True)
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintError(tr("The printer could not be started."))
        printed = 0
        try:
            for i, number in enumerate(wanted):
                if cancelled is not None and cancelled():
                    break
                if i > 0:
                    printer.newPage()
                paper = QRectF(printer.paperRect(QPrinter.Unit.DevicePixel))
                _draw_page(painter, document, number - 1, paper, printer.resolution(), on_band)
                printed += 1
                if progress is not None:
                    progress(printed, len(wanted))
        finally:
            painter.end()
        return printed
    finally:
        document.close()


def _draw_page(
    painter: QPainter,
    document: Any,
    index: int,
    paper: QRectF,
    printer_dpi: int,
    on_band: Callable[[int], None] | None,
) -> None:

    points = document.pagePointSize(index)  # 1/72 inch
    if points.width() <= 0 or points.height() <= 0:
        return
    # The page fills the paper, its proportions kept, centred.
    scale = min(paper.width() / points.width(), paper.height() / points.height())
    width, height = points.width() * scale, points.height() * scale
    left = paper.left() + (paper.width() - width) / 2
    top = paper.top() + (paper.height() - height) / 2
    dpi = min(MAX_DPI, max(72, printer_dpi))
    pixels = QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72))
    rows = max(1, BAND_BYTES // (4 * pixels.width()))
    step = height / pixels.height()  # device pixels per rendered row
    for y in range(0, pixels.height(), rows):
        band = min(rows, pixels.height() - y)
        image = render_band(document, index, pixels, y, band)
        if on_band is not None:
            on_band(image.sizeInBytes())
        painter.drawImage(QRectF(left, top + y * step, width, band * step), image)
        del image


def render_band(document: Any, index: int, pixels: QSize, y: int, rows: int) -> Any:
    """Rows ``y`` to ``y + rows`` of a page rendered at ``pixels``, as a QImage of that band.

    QPdfDocument scales a clipped render by (clip width - 1) / image width across and by
    (clip height - 1) / image height down (its matrix uses QRect's right() and bottom()), so a
    band would come out squeezed by one pixel and the bands would drift apart down the page;
    the scaled size asked for makes up for it (tests/gui/test_print_ui.py stitches the bands
    and compares them with a whole-page render).
    """
    from PySide6.QtPdf import QPdfDocumentRenderOptions

    width = pixels.width()
    options = QPdfDocumentRenderOptions()
    options.setScaledSize(
        QSize(
            round(width * width / (width - 1)) if width > 1 else width,
            round(pixels.height() * rows / (rows - 1)) if rows > 1 else pixels.height(),
        )
    )
    options.setScaledClipRect(QRect(0, y, width, rows))
    return document.render(index, QSize(width, rows), options)
