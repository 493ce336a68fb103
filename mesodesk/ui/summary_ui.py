"""The specialist's PDF summary in the app: choose what goes in, preview it, save or print it,
and summaries for every patient seen in a period, saved into a folder and/or printed (one job
per letter), with progress and cancel. Printing hands the PDF itself to the print service
(mesodesk.ui.printing)."""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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

from mesodesk.domain.errors import MesodeskError, ValidationError
from mesodesk.domain.settings import Paper
from mesodesk.domain.summary import (
    FreeText,
    Privacy,
    Section,
    SummaryOptions,
    one_time_code,
    redacted_file_name,
)
from mesodesk.services.printing import PrintJob, Sender
from mesodesk.services.summary import BatchOutcome, print_title
from mesodesk.ui.context import AppContext, Host
from mesodesk.ui.files import last_folder, remember, start_in
from mesodesk.ui.form import FormDialog, fit_screen
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import Job, Progress
from mesodesk.ui.labels import label
from mesodesk.ui.printing import PrintSetup, sender_for, to_file
from mesodesk.ui.widgets import DateField, date_problem

if TYPE_CHECKING:
    from mesodesk.domain.patients import Patient


def file_name(patient: Patient, privacy: Privacy, today: date, code: str = "") -> str:
    """A file name that says whose summary it is; a pseudonymised or de-identified one is named
    after its one-time code only."""
    if privacy is not Privacy.IDENTIFIED:
        return redacted_file_name(code, privacy)
    name = re.sub(r"[^\w\- ]+", "", f"{patient.last_name} {patient.first_name}", flags=re.UNICODE)
    return f"{patient.record_no} {' '.join(name.split())[:60]} {today.isoformat()}.pdf"


def pages_text(n: int) -> str:
    tr = QCoreApplication.translate
    return tr("Summary", "1 page") if n == 1 else arg(tr("Summary", "%1 pages"), str(n))


class OptionsBox(QGroupBox):
    """The choices of a summary: the period, the sections, how much of the patient's identity
    goes with it (and which free text a pseudonymised one carries), the paper."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("What goes in"))
        self.context = context
        formats = context.formats
        self.date_from = DateField(formats)
        self.date_to = DateField(formats)
        self.sections: dict[Section, QCheckBox] = {}
        grid = QGridLayout()
        for i, section in enumerate(Section):
            box = QCheckBox(label(section))
            box.setChecked(True)
            self.sections[section] = box
            grid.addWidget(box, i // 3, i % 3)
        self.privacy = QComboBox()
        self.privacy.addItem(
            self.tr("Identified: name, record number, date of birth, contact details"),
            Privacy.IDENTIFIED.value,
        )
        self.privacy.addItem(
            self.tr("Pseudonymised: a one-time code, dates kept"), Privacy.PSEUDONYMISED.value
        )
        self.privacy.addItem(
            self.tr("De-identified (HIPAA Safe Harbor style)"), Privacy.DEIDENTIFIED.value
        )
        self.privacy_note = QLabel()
        self.privacy_note.setWordWrap(True)
        self.free_text: dict[FreeText, QCheckBox] = {}
        self._chosen: set[FreeText] = set()  # the pseudonymised choices, kept across modes
        free = QGridLayout()
        free.setContentsMargins(0, 0, 0, 0)
        for i, field in enumerate(FreeText):
            box = QCheckBox(label(field))
            box.toggled.connect(lambda on, f=field: self._ticked(f, on))
            self.free_text[field] = box
            free.addWidget(box, i // 2, i % 2)
        self.free_box = QWidget()
        self.free_box.setLayout(free)
        self.privacy.currentIndexChanged.connect(self._privacy_changed)
        self.paper = QComboBox()
        self.paper.addItem(self.tr("A4"), Paper.A4.value)
        self.paper.addItem(self.tr("US Letter"), Paper.LETTER.value)
        clinic_paper = context.services.settings.get().paper
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
        self.form.addRow(self.tr("Patient's identity"), self.privacy)
        self.form.addRow("", self.privacy_note)
        self.form.addRow(self.tr("Free text to include"), self.free_box)
        self.form.addRow(self.tr("Paper"), self.paper)
        self._privacy_changed()

    def current_privacy(self) -> Privacy:
        return Privacy(self.privacy.currentData())

    def _ticked(self, field: FreeText, on: bool) -> None:
        if self.current_privacy() is Privacy.PSEUDONYMISED:
            if on:
                self._chosen.add(field)
            else:
                self._chosen.discard(field)

    def _privacy_changed(self) -> None:
        privacy = self.current_privacy()
        notes = {
            Privacy.IDENTIFIED: self.tr(
                "Everything typed goes in, with the patient's name and contact details."
            ),
            Privacy.PSEUDONYMISED: self.tr(
                "No name, initials, record number, date of birth or contact details: sex, age "
                "band and a one-time code (the audit trail links it to the patient). Dates are "
                "kept. Free text may name the patient: only the fields ticked below go in."
            ),
            Privacy.DEIDENTIFIED: self.tr(
                "As pseudonymised, and also: dates as days from the first session, no free "
                "text, no practitioner names."
            ),
        }
        self.privacy_note.setText(notes[privacy])
        for field, box in self.free_text.items():
            box.blockSignals(True)
            box.setChecked(
                privacy is Privacy.IDENTIFIED
                or (privacy is Privacy.PSEUDONYMISED and field in self._chosen)
            )
            box.setEnabled(privacy is Privacy.PSEUDONYMISED)
            box.blockSignals(False)

    def options(self) -> SummaryOptions:
        problems: dict[str, str] = {}
        values = {}
        for key, field in (("date_from", self.date_from), ("date_to", self.date_to)):
            try:
                values[key] = field.value()
            except ValueError as exc:
                problems[key] = date_problem(exc, self.context.formats)
                values[key] = None
        if problems:
            raise ValidationError(problems)
        privacy = self.current_privacy()
        return SummaryOptions(
            date_from=values["date_from"],
            date_to=values["date_to"],
            sections=frozenset(s for s, box in self.sections.items() if box.isChecked()),
            privacy=privacy,
            free_text=frozenset(self._chosen) if privacy is Privacy.PSEUDONYMISED else frozenset(),
            paper=Paper(self.paper.currentData()),
        ).validated()


class SummaryDialog(FormDialog):
    """From a patient's record: preview, save as PDF, or print the summary."""

    ask_before_discarding = False  # options to choose, nothing typed to lose

    def __init__(
        self, context: AppContext, patient: Patient, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.patient = patient
        self.setWindowTitle(arg(self.tr("Summary for the specialist · %1"), patient.record_no))
        self.box = OptionsBox(context)
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
        today = self.context.services.clock.today()
        code = one_time_code() if options.redacted else None
        name = file_name(self.patient, options.privacy, today, code or "")
        action: str | None
        if what == "save":
            target = self.choose_file(Path(start_in(name)))
            if target is None:
                return
            remember(target)
            action = "pdf_export"
        else:
            target = Path(tempfile.mkdtemp(prefix="mesodesk-")) / name
            # A print is audited once the print service has taken it (the print dialog may be
            # cancelled); a preview is an export as before (it can save a copy).
            action = "pdf_export" if what == "preview" else None
        summaries = self.context.services.summaries
        patient_id = self.patient.id
        self.status.setText(self.tr("Making the summary…"))
        self._enable(False)
        job = self.context.runner.run(
            lambda: summaries.write(patient_id, target, options, action=action, code=code)
        )
        job.success(lambda written: self._written(what, written, options)).failure(self._failed)

    def _enable(self, enabled: bool) -> None:
        for button in (self.preview_button, self.save_button, self.print_button):
            button.setEnabled(enabled)

    def _failed(self, error: BaseException) -> None:
        self._enable(True)
        self.status.setText("")
        self.failed(error)

    def _written(self, what: str, written: Any, options: SummaryOptions) -> None:
        self._enable(True)
        if what == "print":
            self._print(written, options)
            return
        self.status.setText(
            arg(self.tr("Summary ready: %1 (%2)."), str(written.path), pages_text(written.pages))
        )
        if written.code:
            self.status.setText(
                self.status.text()
                + " "
                + arg(
                    self.tr("Its one-time code is %1; the audit trail links it to %2."),
                    written.code,
                    self.patient.record_no,
                )
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
        else:
            PdfPreview.show_file(
                self.context, written.path, self.patient.id, self.patient.record_no, owner=self
            )

    def _print(self, written: Any, options: SummaryOptions) -> None:
        """The print dialog, then the PDF to the print service; the temporary file goes as soon
        as the print service has its own copy (or nothing was printed)."""

        def forget() -> None:
            shutil.rmtree(written.path.parent, ignore_errors=True)

        self.status.setText(self.tr("Choose the printer…"))
        job = print_pdf(
            self.context,
            self,
            written.path,
            written.pages,
            self.patient.id,
            options,
            print_title(self.patient.record_no),
        )
        if job is None:
            forget()
            self.status.setText(self.tr("Nothing was printed."))
            return
        self._enable(False)
        self.status.setText(self.tr("Sending the summary to the printer…"))

        def sent(printed: PrintJob) -> None:
            forget()
            self._enable(True)
            self.status.setText(describe_job(printed, written.pages))

        def refused(error: BaseException) -> None:
            forget()
            self._enable(True)
            self.status.setText(self.tr("Nothing was printed."))
            self.failed(error)

        job.success(sent).failure(refused)

    def offer_open_folder(self, path: Path) -> None:
        answer = QMessageBox.question(
            self,
            self.tr("Summary saved"),
            arg(self.tr("The summary was saved as %1. Open its folder?"), path.name),
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Close,
            QMessageBox.StandardButton.Close,
        )
        if answer == QMessageBox.StandardButton.Open:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    def done(self, result: int) -> None:
        # the previews opened from here outlive the dialog: they go to the main window, where
        # they stay open (and can be raised) once nothing modal is in front of them
        for preview in self.findChildren(
            PdfPreview, options=Qt.FindChildOption.FindDirectChildrenOnly
        ):
            geometry = preview.geometry()
            preview.setParent(self.parentWidget(), preview.windowFlags())
            preview.setGeometry(geometry)
            preview.show()
        super().done(result)

    @classmethod
    def ask(cls, context: AppContext, patient: Patient, parent: QWidget) -> None:
        dialog = cls(context, patient, parent)
        dialog.exec()


def describe_job(job: PrintJob, pages: int) -> str:
    """What the person reads once the print service has the summary."""
    tr = QCoreApplication.translate
    if job.job_id:
        text = tr("Printing", "Sent to the printer %1 as job %2 (%3%4).")
    else:
        text = tr("Printing", "Sent to %1 (%3%4).")
    what = (
        arg(tr("Printing", "pages %1 of %2"), job.pages, str(pages))
        if job.pages
        else tr("Printing", "1 page")
        if pages == 1
        else arg(tr("Printing", "%1 pages"), str(pages))
    )
    copies = arg(tr("Printing", ", %1 copies"), str(job.copies)) if job.copies > 1 else ""
    text = arg(text, job.printer, job.job_id, what, copies)
    if job.warning:
        text += " " + job.warning
    return text


def print_pdf(
    context: AppContext,
    parent: QWidget,
    path: Path,
    pages: int,
    patient_id: int,
    options: SummaryOptions | None,
    title: str,
) -> Job[PrintJob] | None:
    """The system's print dialog, then the PDF to the print service off the GUI thread; the
    audit entry once the print service has taken it. None when the person cancelled."""
    printer = PrintSetup.ask(parent, pages, title)
    if printer is None:
        return None
    send = sender_for(printer, pages, title)
    summaries = context.services.summaries
    runner = context.runner
    job = runner.run(lambda: send(path, title))

    def audit(printed: PrintJob) -> None:
        runner.run(lambda: summaries.record_printed(patient_id, printed, pages, options))

    return job.success(audit)


class PdfPreview(QMainWindow):
    """The summary as it will print, before it is printed or sent."""

    def __init__(
        self,
        context: AppContext,
        path: Path,
        patient_id: int,
        record_no: str = "",
        owner: QWidget | None = None,
    ) -> None:
        # A window owned by the modal Summary dialog sits in front of it and takes the keyboard
        # and mouse; one owned by the main window would open behind the dialog, blocked by it.
        super().__init__(owner)
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        self.context = context
        self.path = path
        self.patient_id = patient_id
        self.record_no = record_no
        self.setWindowTitle(arg(self.tr("Preview · %1"), path.name))
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

    def print_(self) -> None:
        pages = self.document.pageCount()
        title = print_title(self.record_no) if self.record_no else "mesodesk summary"
        job = print_pdf(self.context, self, self.path, pages, self.patient_id, None, title)
        if job is None:
            return
        self.statusBar().showMessage(self.tr("Sending the summary to the printer…"))

        def refused(error: BaseException) -> None:
            self.statusBar().clearMessage()
            QMessageBox.warning(self, self.tr("Print"), str(error))

        job.success(
            lambda printed: self.statusBar().showMessage(describe_job(printed, pages))
        ).failure(refused)

    def save_copy(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Save a copy"),
            start_in(self.path.name),
            self.tr("PDF files (*.pdf)"),
        )
        if path:
            remember(path)
            from mesodesk.files import copy_atomically

            try:  # whole or not at all, owner-only, never through a link (issue 12)
                copy_atomically(self.path, Path(path))
            except MesodeskError as exc:
                QMessageBox.warning(self, self.tr("Save a copy"), str(exc))

    @classmethod
    def show_file(
        cls,
        context: AppContext,
        path: Path,
        patient_id: int,
        record_no: str = "",
        owner: QWidget | None = None,
    ) -> PdfPreview:
        preview = cls(context, path, patient_id, record_no, owner)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fit_screen(preview, 900, 720)
        preview.show()
        preview.raise_()
        preview.activateWindow()
        return preview


class BatchDialog(FormDialog):
    """Summaries for every patient seen in a period: saved into a folder, printed (one job per
    letter, after one print dialog for the whole batch), or both."""

    ask_before_discarding = False

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Summaries for a period"))
        self.box = OptionsBox(context)
        today = context.services.clock.today()
        self.box.date_from.set_value(today.replace(day=1))
        self.box.date_to.set_value(today)
        self.folder = last_folder() or Path.home() / "mesodesk summaries"
        self.save_box = QCheckBox(self.tr("Save into:"))
        self.save_box.setChecked(True)
        self.folder_label = QLabel(str(self.folder))
        choose = QPushButton(self.tr("Choose folder…"))
        choose.clicked.connect(self._choose)
        self.print_box = QCheckBox(self.tr("Print each summary (one print job per letter)"))
        self.printer: Any = None  # a QPrinter, once the print dialog has been through
        self.printer_label = QLabel(self.tr("The print dialog opens when you start."))
        self.printer_button = QPushButton(self.tr("Printer…"))
        self.printer_button.clicked.connect(self._choose_printer)
        grid = QGridLayout()
        grid.addWidget(self.save_box, 0, 0)
        grid.addWidget(self.folder_label, 0, 1)
        grid.addWidget(choose, 0, 2)
        grid.addWidget(self.print_box, 1, 0)
        grid.addWidget(self.printer_label, 1, 1)
        grid.addWidget(self.printer_button, 1, 2)
        grid.setColumnStretch(1, 1)
        self.errors["date_from"] = self.errors["date_to"] = self.form_error
        self.fields["date_from"] = self.box.date_from
        self.fields["date_to"] = self.box.date_to
        for box in (self.save_box, self.print_box):
            box.toggled.connect(self._update_buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.box)
        layout.addLayout(grid)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)
        self.resize(720, 400)
        self.written: list[Any] = []
        self.outcome: BatchOutcome | None = None
        self._save_icon = self.buttons.button(QDialogButtonBox.StandardButton.Save).icon()
        self._update_buttons()

    def _update_buttons(self) -> None:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        saving, printing = self.save_box.isChecked(), self.print_box.isChecked()
        button.setText(
            self.tr("Save and print")
            if saving and printing
            else self.tr("Print")
            if printing
            else self.tr("Save")
        )
        button.setIcon(self._save_icon if saving else QIcon())
        button.setEnabled(saving or printing)
        self.printer_label.setEnabled(printing)
        self.printer_button.setEnabled(printing)

    def _choose(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, self.tr("Folder for the summaries"), str(self.folder)
        )
        if path:
            remember(path)
            self.folder = Path(path)
            self.folder_label.setText(path)

    def _choose_printer(self) -> bool:
        """One print dialog for the whole batch (no page range: every letter prints whole)."""
        printer = PrintSetup.ask(self, 1, self.tr("mesodesk summaries"), page_range=False)
        if printer is None:
            return False
        if to_file(printer) is not None:
            self.show_errors(
                {
                    "printer": self.tr(
                        "Print to file would write every letter over the last one: "
                        "save them into a folder instead."
                    )
                }
            )
            return False
        self.printer = printer
        copies = printer.copyCount()
        self.printer_label.setText(
            (printer.printerName() or self.tr("the default printer"))
            + (arg(self.tr(", %1 copies"), str(copies)) if copies > 1 else "")
        )
        self.print_box.setChecked(True)
        return True

    def save(self) -> None:
        try:
            options = self.box.options()
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        if options.date_from is None or options.date_to is None:
            self.show_errors({"date_from": self.tr("Give both ends of the period.")})
            return
        saving, printing = self.save_box.isChecked(), self.print_box.isChecked()
        if not saving and not printing:
            self.show_errors({"": self.tr("Choose to save the summaries, print them, or both.")})
            return
        self.show_errors({})
        if printing and self.printer is None and not self._choose_printer():
            return
        send: Sender | None = (
            sender_for(self.printer, 1, self.tr("mesodesk summaries")) if printing else None
        )
        printer_name = self.printer.printerName() if printing else None
        services = self.context.services
        folder = self.folder if saving else None
        today = services.clock.today()

        def work(progress: Progress) -> BatchOutcome:
            ids = services.summaries.seen_between(options.date_from, options.date_to)  # type: ignore[arg-type]
            patients = {pid: services.patients.get(pid) for pid in ids} if saving else {}
            return services.summaries.run_batch(
                ids,
                options,
                folder=folder,
                name_of=lambda pid: file_name(patients[pid], options.privacy, today),
                send=send,
                progress=progress.report,
                cancelled=progress.cancelled,
            )

        dialog = QProgressDialog(self.tr("Making the summaries…"), self.tr("Cancel"), 0, 100, self)
        dialog.setWindowTitle(self.tr("Summaries"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        job = self.context.runner.run_long(work)

        def show(done: int, total: int, message: str) -> None:
            dialog.setMaximum(max(total, 1))
            dialog.setValue(done)
            dialog.setLabelText(message)

        job.progressed.connect(show)
        dialog.canceled.connect(job.cancel)
        self.buttons.setEnabled(False)
        self.progress = dialog

        def done(outcome: BatchOutcome) -> None:
            dialog.reset()
            self.outcome = outcome
            self.written = outcome.written
            self.buttons.setEnabled(True)
            self.form_error.setStyleSheet("")
            self.form_error.show_message(self.report(outcome, folder, printer_name))
            if outcome.written and folder is not None:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

        def failed(error: BaseException) -> None:
            dialog.reset()
            self.failed(error)

        job.success(done).failure(failed)

    def report(self, outcome: BatchOutcome, folder: Path | None, printer: str | None) -> str:
        """What the batch did, in one paragraph (``printer`` None: it did not print)."""
        parts = []
        if folder is not None:
            parts.append(
                arg(
                    self.tr("1 summary written to %2.")
                    if len(outcome.written) == 1
                    else self.tr("%1 summaries written to %2."),
                    str(len(outcome.written)),
                    str(folder),
                )
            )
        if printer is not None:
            jobs = [p.job.job_id for p in outcome.printed if p.job.job_id]
            text = arg(
                self.tr("%1 of %2 summaries sent to the printer %3"),
                str(len(outcome.printed)),
                str(outcome.total),
                printer or self.tr("(default)"),
            )
            if jobs:
                text += (
                    " " + arg(self.tr("(jobs %1 to %2)"), jobs[0], jobs[-1])
                    if len(jobs) > 1
                    else " " + arg(self.tr("(job %1)"), jobs[0])
                )
            parts.append(text + ".")
            warnings = {p.job.warning for p in outcome.printed if p.job.warning}
            parts += sorted(warnings)
        if outcome.failure:
            parts.append(arg(self.tr("Printing stopped there: %1"), outcome.failure))
        if outcome.cancelled:
            parts.append(self.tr("(Cancelled before the end.)"))
        return " ".join(parts)

    @classmethod
    def ask(cls, context: AppContext, parent: QWidget) -> None:
        dialog = cls(context, parent)
        dialog.exec()


def install(host: Host) -> None:
    """Tools ▸ Summaries for a period…, Tools ▸ Clinic settings…"""
    from mesodesk.ui.clinic_settings_dialog import ClinicSettingsDialog

    context, window = host.context, host.window()
    tools = host.menu("tools")
    tr = QCoreApplication.translate
    batch = QAction(tr("MainWindow", "Summaries for a period…"), window)
    batch.triggered.connect(lambda: BatchDialog.ask(context, window))
    tools.addAction(batch)
    settings = QAction(tr("MainWindow", "Clinic settings…"), window)

    def edit_settings() -> None:
        result = ClinicSettingsDialog.ask(context, window)
        if result is not None:
            context.apply(result.changes)

    settings.triggered.connect(edit_settings)
    tools.addAction(settings)
