"""The specialist's PDF summary in the app: choose what goes in, preview it, save or print it,
and summaries for every patient seen in a period, in a folder, with progress and cancel."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.errors import ValidationError
from mesodesk.domain.settings import Paper
from mesodesk.domain.summary import Section, SummaryOptions
from mesodesk.ui.form import FormDialog
from mesodesk.ui.jobs import Progress
from mesodesk.ui.widgets import DateField

if TYPE_CHECKING:
    from mesodesk.domain.patients import Patient
    from mesodesk.ui.main_window import MainWindow


def file_name(patient: Patient, deidentify: bool, today: date) -> str:
    """A file name that says whose summary it is (only the record number when de-identified)."""
    if deidentify:
        return f"{patient.record_no} summary {today.isoformat()}.pdf"
    name = re.sub(r"[^\w\- ]+", "", f"{patient.last_name} {patient.first_name}", flags=re.UNICODE)
    return f"{patient.record_no} {' '.join(name.split())[:60]} {today.isoformat()}.pdf"


class OptionsBox(QGroupBox):
    """The choices of a summary: the period, the sections, de-identified, the paper."""

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("What goes in"))
        self.window_ = window
        formats = window.formats
        self.date_from = DateField(formats)
        self.date_to = DateField(formats)
        self.sections: dict[Section, QCheckBox] = {}
        grid = QGridLayout()
        for i, section in enumerate(Section):
            box = QCheckBox(self.tr(section.label))
            box.setChecked(True)
            self.sections[section] = box
            grid.addWidget(box, i // 2, i % 2)
        self.deidentify = QCheckBox(
            self.tr(
                "De-identified (initials and record number only: no name, date of birth or contact)"
            )
        )
        self.paper = QComboBox()
        self.paper.addItem(self.tr("A4"), Paper.A4.value)
        self.paper.addItem(self.tr("US Letter"), Paper.LETTER.value)
        clinic_paper = window.services.settings.get().paper
        self.paper.setCurrentIndex(max(0, self.paper.findData(clinic_paper.value)))
        self.form = QFormLayout(self)
        period = QWidget()
        row = QHBoxLayout(period)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(self.tr("from")))
        row.addWidget(self.date_from, 1)
        row.addWidget(QLabel(self.tr("to")))
        row.addWidget(self.date_to, 1)
        self.period = period
        self.form.addRow(self.tr("Period (empty: everything)"), period)
        sections = QWidget()
        sections.setLayout(grid)
        self.form.addRow(self.tr("Sections"), sections)
        self.form.addRow("", self.deidentify)
        self.form.addRow(self.tr("Paper"), self.paper)

    def options(self) -> SummaryOptions:
        problems: dict[str, str] = {}
        values = {}
        for key, field in (("date_from", self.date_from), ("date_to", self.date_to)):
            try:
                values[key] = field.value()
            except ValueError:
                problems[key] = self.tr("Not a date; write it as %1.").replace(
                    "%1", self.window_.formats.date_hint
                )
                values[key] = None
        if problems:
            raise ValidationError(problems)
        return SummaryOptions(
            date_from=values["date_from"],
            date_to=values["date_to"],
            sections=frozenset(s for s, box in self.sections.items() if box.isChecked()),
            deidentify=self.deidentify.isChecked(),
            paper=Paper(self.paper.currentData()),
        ).validated()


class SummaryDialog(FormDialog):
    """From a patient's record: preview, save as PDF, or print the summary."""

    def __init__(self, window: MainWindow, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        self.patient = patient
        self.setWindowTitle(
            self.tr("Summary for the specialist · %1").replace("%1", patient.record_no)
        )
        self.box = OptionsBox(window)
        self.errors["date_from"] = self.errors["date_to"] = self.form_error
        self.fields["date_from"] = self.box.date_from
        self.fields["date_to"] = self.box.date_to
        self.preview_button = QPushButton(self.tr("Preview…"))
        self.save_button = QPushButton(self.tr("Save PDF…"))
        self.print_button = QPushButton(self.tr("Print…"))
        self.preview_button.clicked.connect(lambda: self.run("preview"))
        self.save_button.clicked.connect(lambda: self.run("save"))
        self.print_button.clicked.connect(lambda: self.run("print"))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.box)
        layout.addWidget(self.form_error)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(720, 320)

    def save(self) -> None:  # the dialog has no single Save: each button does its own
        self.run("save")

    def choose_file(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the summary"), str(suggested), self.tr("PDF files (*.pdf)")
        )
        if not path:
            return None
        return Path(path if path.lower().endswith(".pdf") else path + ".pdf")

    def run(self, what: str) -> None:
        try:
            options = self.box.options()
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        self.show_errors({})
        today = self.window_.services.clock.today()
        name = file_name(self.patient, options.deidentify, today)
        if what == "save":
            target = self.choose_file(Path.home() / name)
            if target is None:
                return
            action = "pdf_export"
        else:
            target = Path(tempfile.mkdtemp(prefix="mesodesk-")) / name
            action = "pdf_export" if what == "preview" else "pdf_print"
        summaries = self.window_.services.summaries
        patient_id = self.patient.id
        self.status.setText(self.tr("Making the summary…"))
        for button in (self.preview_button, self.save_button, self.print_button):
            button.setEnabled(False)
        job = self.window_.runner.run(
            lambda: summaries.write(patient_id, target, options, action=action)
        )
        job.success(lambda written: self._written(what, written)).failure(self._failed)

    def _failed(self, error: BaseException) -> None:
        for button in (self.preview_button, self.save_button, self.print_button):
            button.setEnabled(True)
        self.status.setText("")
        self.failed(error)

    def _written(self, what: str, written: Any) -> None:
        for button in (self.preview_button, self.save_button, self.print_button):
            button.setEnabled(True)
        self.status.setText(
            self.tr("Summary ready: %1 (%2 pages).")
            .replace("%1", str(written.path))
            .replace("%2", str(written.pages))
        )
        if written.replaced_characters:
            self.status.setText(
                self.status.text()
                + " "
                + self.tr(
                    "Some characters are in a script the PDF cannot print; the summary says so."
                )
            )
        if what == "save":
            self.offer_open_folder(written.path)
        elif what == "preview":
            PdfPreview.show_file(self.window_, written.path, self.patient.id)
        else:
            print_pdf(self, written.path)

    def offer_open_folder(self, path: Path) -> None:
        answer = QMessageBox.question(
            self,
            self.tr("Summary saved"),
            self.tr("The summary was saved as %1. Open its folder?").replace("%1", path.name),
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Close,
            QMessageBox.StandardButton.Close,
        )
        if answer == QMessageBox.StandardButton.Open:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    @classmethod
    def ask(cls, window: MainWindow, patient: Patient) -> None:
        dialog = cls(window, patient, window)
        dialog.exec()


def print_pdf(parent: QWidget, path: Path) -> bool:
    """Print a PDF through the system's print dialog, page by page at the printer's resolution."""
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    document = QPdfDocument(parent)
    if document.load(str(path)) != QPdfDocument.Error.None_:
        QMessageBox.warning(
            parent, parent.tr("Print"), parent.tr("The summary could not be opened for printing.")
        )
        return False
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(path.stem)
    dialog = QPrintDialog(printer, parent)
    dialog.setMinMax(1, document.pageCount())
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    painter = QPainter()
    if not painter.begin(printer):
        QMessageBox.warning(
            parent, parent.tr("Print"), parent.tr("The printer could not be started.")
        )
        return False
    try:
        first = max(1, printer.fromPage() or 1) - 1
        last = (printer.toPage() or document.pageCount()) - 1
        for index in range(first, last + 1):
            if index > first:
                printer.newPage()
            area = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
            image = document.render(index, QSize(area.width(), area.height()))
            painter.drawImage(area, image)
    finally:
        painter.end()
    return True


class PdfPreview(QMainWindow):
    """The summary as it will print, before it is printed or sent."""

    def __init__(self, window: MainWindow, path: Path, patient_id: int) -> None:
        super().__init__(window)
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        self.window_ = window
        self.path = path
        self.patient_id = patient_id
        self.setWindowTitle(self.tr("Preview · %1").replace("%1", path.name))
        self.document = QPdfDocument(self)
        self.document.load(str(path))
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.setCentralWidget(self.view)
        tools = QToolBar()
        self.addToolBar(tools)
        print_action = QAction(self.tr("Print…"), self)
        print_action.triggered.connect(self.print_)
        save_action = QAction(self.tr("Save a copy…"), self)
        save_action.triggered.connect(self.save_copy)
        tools.addAction(print_action)
        tools.addAction(save_action)
        self.resize(900, 720)

    def print_(self) -> None:
        if print_pdf(self, self.path):
            audit = self.window_.services.audit
            patient_id, name = self.patient_id, self.path.name
            self.window_.runner.run(
                lambda: audit.record_event(
                    "pdf_print", patient_id=patient_id, details={"file": name}
                )
            )

    def save_copy(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Save a copy"),
            str(Path.home() / self.path.name),
            self.tr("PDF files (*.pdf)"),
        )
        if path:
            import shutil

            try:
                shutil.copyfile(self.path, path)
            except OSError as exc:
                QMessageBox.warning(self, self.tr("Save a copy"), str(exc))

    @classmethod
    def show_file(cls, window: MainWindow, path: Path, patient_id: int) -> PdfPreview:
        preview = cls(window, path, patient_id)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        preview.show()
        return preview


class BatchDialog(FormDialog):
    """Summaries for every patient seen in a period, into a folder."""

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        self.setWindowTitle(self.tr("Summaries for a period"))
        self.box = OptionsBox(window)
        today = window.services.clock.today()
        self.box.date_from.set_value(today.replace(day=1))
        self.box.date_to.set_value(today)
        self.folder = Path.home() / "mesodesk summaries"
        self.folder_label = QLabel(str(self.folder))
        choose = QPushButton(self.tr("Choose folder…"))
        choose.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Into:")))
        row.addWidget(self.folder_label, 1)
        row.addWidget(choose)
        self.errors["date_from"] = self.errors["date_to"] = self.form_error
        self.fields["date_from"] = self.box.date_from
        self.fields["date_to"] = self.box.date_to
        layout = QVBoxLayout(self)
        layout.addWidget(self.box)
        layout.addLayout(row)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)
        self.resize(720, 380)
        self.written: list[Any] = []

    def _choose(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, self.tr("Folder for the summaries"), str(self.folder)
        )
        if path:
            self.folder = Path(path)
            self.folder_label.setText(path)

    def save(self) -> None:
        try:
            options = self.box.options()
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        if options.date_from is None or options.date_to is None:
            self.show_errors({"date_from": self.tr("Give both ends of the period.")})
            return
        self.show_errors({})
        services = self.window_.services
        folder = self.folder
        today = services.clock.today()

        def work(progress: Progress) -> list[Any]:
            ids = services.summaries.seen_between(options.date_from, options.date_to)  # type: ignore[arg-type]
            patients = {pid: services.patients.get(pid) for pid in ids}
            return services.summaries.write_batch(
                ids,
                folder,
                options,
                lambda pid: file_name(patients[pid], options.deidentify, today),
                progress=progress.report,
                cancelled=progress.cancelled,
            )

        dialog = QProgressDialog(self.tr("Making the summaries…"), self.tr("Cancel"), 0, 100, self)
        dialog.setWindowTitle(self.tr("Summaries"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        job = self.window_.runner.run_long(work)

        def show(done: int, total: int, message: str) -> None:
            dialog.setMaximum(max(total, 1))
            dialog.setValue(done)
            dialog.setLabelText(message)

        job.progressed.connect(show)
        dialog.canceled.connect(job.cancel)
        self.buttons.setEnabled(False)
        self.progress = dialog

        def done(written: list[Any]) -> None:
            dialog.reset()
            self.written = written
            self.buttons.setEnabled(True)
            self.form_error.setStyleSheet("")
            self.form_error.show_message(
                self.tr("%1 summaries written to %2.")
                .replace("%1", str(len(written)))
                .replace("%2", str(folder))
                + (self.tr(" (Cancelled before the end.)") if job.cancelled else "")
            )
            if written:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

        def failed(error: BaseException) -> None:
            dialog.reset()
            self.failed(error)

        job.success(done).failure(failed)

    @classmethod
    def ask(cls, window: MainWindow) -> None:
        dialog = cls(window, window)
        dialog.exec()


def install(window: MainWindow) -> None:
    """Tools ▸ Summaries for a period…, Tools ▸ Clinic settings…"""
    from mesodesk.ui.clinic_settings_dialog import ClinicSettingsDialog

    tools = window.menus["tools"]
    batch = QAction(window.tr("Summaries for a period…"), window)
    batch.triggered.connect(lambda: BatchDialog.ask(window))
    tools.addAction(batch)
    settings = QAction(window.tr("Clinic settings…"), window)

    def edit_settings() -> None:
        result = ClinicSettingsDialog.ask(window)
        if result is not None:
            window.apply(result.changes)

    settings.triggered.connect(edit_settings)
    tools.addAction(settings)
