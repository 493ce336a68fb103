"""The audit trail in the app: entries filtered by patient, by who and by date, each with its
values before and after; the chain verified on request; the selection exported to CSV."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain import audit as A
from mesodesk.domain.audit import AuditEntry, AuditPage, AuditQuery
from mesodesk.domain.errors import MesodeskError
from mesodesk.services.audit_names import RecordName
from mesodesk.services.registry import Services
from mesodesk.ui.files import remember, start_in
from mesodesk.ui.form import fit_screen
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner, Progress
from mesodesk.ui.labels import Formats, label
from mesodesk.ui.tables import RIGHT, Index, ListTableModel, make_table
from mesodesk.ui.widgets import ERROR_STYLE, DateField, date_problem

PAGE = 200


def action_label(action: str) -> str:
    tr = QCoreApplication.translate
    return {
        A.CREATE: tr("Audit", "created"),
        A.UPDATE: tr("Audit", "changed"),
        A.DELETE: tr("Audit", "deleted"),
        A.ARCHIVE: tr("Audit", "archived"),
        A.UNARCHIVE: tr("Audit", "unarchived"),
        A.BACKUP: tr("Audit", "backup"),
        A.RESTORE: tr("Audit", "restore"),
        A.PDF_EXPORT: tr("Audit", "PDF exported"),
        A.PDF_PRINT: tr("Audit", "PDF printed"),
        A.DEMO_LOAD: tr("Audit", "demo loaded"),
    }.get(action, action)


def entity_label(entity: str | None) -> str:
    tr = QCoreApplication.translate
    if entity is None:
        return ""
    return {
        "patient": tr("Audit", "patient"),
        "practitioner": tr("Audit", "practitioner"),
        "product": tr("Audit", "product"),
        "ingredient": tr("Audit", "ingredient"),
        "product_lot": tr("Audit", "product lot"),
        "course": tr("Audit", "course"),
        "treatment_session": tr("Audit", "session"),
        "blend_item": tr("Audit", "blend item"),
        "side_effect": tr("Audit", "side effect"),
        "side_effect_lot": tr("Audit", "suspected lot"),
        "outcome_assessment": tr("Audit", "outcome"),
    }.get(entity, entity)


def record_words(name: RecordName, formats: Formats) -> str:
    """An entry's record as a person knows it ("the session of 12/03/2026", "Lidocaine 2% lot
    L-2208-B"), in the clinic's date format."""
    tr = QCoreApplication.translate
    day = formats.date(name.on) if name.on else "?"
    kind = label(name.kind).lower() if name.kind else tr("Audit", "side effect")
    indication = label(name.indication) if name.indication else tr("Audit", "course")
    templates = {
        "patient": arg(tr("Audit", "patient %1"), name.patient),
        "practitioner": arg(tr("Audit", "practitioner %1"), name.name),
        "product": arg(tr("Audit", "product %1"), name.name),
        "ingredient": arg(tr("Audit", "ingredient %1"), name.name),
        "product_lot": name.name,
        "course": arg(tr("Audit", "course %1 started %2"), indication, day),
        "treatment_session": arg(tr("Audit", "session of %1"), day),
        "blend_item": arg(tr("Audit", "%1 in the session of %2"), name.name, day),
        "side_effect": arg(tr("Audit", "%1 of %2"), kind, day),
        "side_effect_lot": arg(tr("Audit", "%1 suspected in the %2 of %3"), name.name, kind, day),
        "outcome_assessment": arg(tr("Audit", "course review (%1) of %2"), indication, day),
    }
    text = templates.get(name.entity, entity_label(name.entity))
    return text + (tr("Audit", " (deleted since)") if name.gone else "")


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def describe(entry: AuditEntry, formats: Formats, name: RecordName | None = None) -> str:
    """The whole entry for the detail pane (``name``: its record as a person knows it)."""
    when = formats.datetime(entry.at.astimezone().replace(tzinfo=None))
    lines = [
        arg(
            QCoreApplication.translate("Audit", "Entry %1 · %2 · %3"),
            str(entry.seq),
            when,
            entry.actor,
        ),
    ]
    what = action_label(entry.action)
    if name is not None:
        what += " " + record_words(name, formats)
        if name.patient and name.entity != "patient":
            what += f" ({name.patient})"
    elif entry.entity:
        what += f" {entity_label(entry.entity)} {entry.entity_id or ''}".rstrip()
    if name is None and entry.record_no:
        what += f" ({entry.record_no})"
    if entry.entity and entry.entity_id is not None:
        # the internal id still, for whoever checks the trail against the database
        what += " · " + arg(
            QCoreApplication.translate("Audit", "%1 #%2"),
            entity_label(entry.entity),
            str(entry.entity_id),
        )
    if entry.detail:
        what += f" — {entry.detail}"
    lines += [what, ""]
    before, after = entry.before or {}, entry.after or {}
    if entry.before is not None and entry.after is not None:
        for key in entry.changed_fields():
            lines.append(f"{key}: {_value(before.get(key))}  →  {_value(after.get(key))}")
    else:
        for key in entry.changed_fields():
            lines.append(f"{key}: {_value(after.get(key, before.get(key)))}")
    lines += ["", arg(QCoreApplication.translate("Audit", "Seal: %1"), entry.hash)]
    return "\n".join(lines)


def named_page(
    audit: Any, query: AuditQuery, offset: int
) -> tuple[AuditPage, dict[int, RecordName]]:
    """A page of entries and their records' names (off the GUI thread)."""
    page = audit.search(query, offset=offset, limit=PAGE)
    return page, audit.names(page.entries)


class AuditTableModel(ListTableModel[AuditEntry]):
    """Audit entries over SQL, newest first, fetched a page at a time as the view scrolls."""

    loaded = Signal(int)  # the total number of matching entries
    failed = Signal(str)

    def __init__(
        self, services: Services, runner: JobRunner, formats: Formats, parent: Any = None
    ) -> None:
        super().__init__(parent=parent)
        self.services = services
        self.runner = runner
        self.formats = formats
        self.query = AuditQuery()
        self.names: dict[int, RecordName] = {}  # by entry number, for the entries fetched
        self.total = 0
        self.loading = False
        self._generation = 0
        self.headers = [
            self.tr("Entry"),
            self.tr("When"),
            self.tr("Who"),
            self.tr("Action"),
            self.tr("Record"),
            self.tr("Patient"),
            self.tr("Fields"),
        ]

    @property
    def entries(self) -> list[AuditEntry]:
        """The entries fetched so far."""
        return self.rows

    def set_query(self, query: AuditQuery) -> None:
        self.query = query
        self.refresh()

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        query = self.query
        audit = self.services.audit
        self.loading = True
        self.runner.run(lambda: named_page(audit, query, 0)).success(
            lambda found: self._replace(generation, *found)
        ).failure(lambda error: self._failed(generation, error))

    def _replace(self, generation: int, page: AuditPage, names: dict[int, RecordName]) -> None:
        if generation != self._generation:
            return
        self.names = dict(names)
        self.total = page.total
        self.set_rows(page.entries)
        self.loading = False
        self.loaded.emit(self.total)

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self.loading = False
            self.failed.emit(str(error) if isinstance(error, MesodeskError) else "")

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self.loading and len(self.entries) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        generation = self._generation
        query = self.query
        offset = len(self.entries)
        audit = self.services.audit
        self.loading = True
        self.runner.run(lambda: named_page(audit, query, offset)).success(
            lambda found: self._append(generation, *found)
        ).failure(lambda error: self._failed(generation, error))

    def _append(self, generation: int, page: AuditPage, names: dict[int, RecordName]) -> None:
        if generation != self._generation:
            return
        self.loading = False
        if page.offset != len(self.entries) or not page.entries:
            return
        self.names.update(names)
        first = len(self.entries)
        self.beginInsertRows(QModelIndex(), first, first + len(page.entries) - 1)
        self.entries.extend(page.entries)
        self.endInsertRows()

    def display(self, entry: AuditEntry, column: int) -> str:
        if column == 0:
            return str(entry.seq)
        if column == 1:
            return self.formats.datetime(entry.at.astimezone().replace(tzinfo=None))
        if column == 2:
            return entry.actor
        if column == 3:
            return action_label(entry.action)
        if column == 4:
            name = self.names.get(entry.seq)
            if entry.entity == "patient":
                return entity_label(entry.entity)  # the Patient column names it
            if name is not None:
                return record_words(name, self.formats)
            if entry.entity:
                return f"{entity_label(entry.entity)} {entry.entity_id or ''}".rstrip()
            return entry.detail
        if column == 5:
            name = self.names.get(entry.seq)
            if name is not None and name.patient:
                return name.patient
            return entry.record_no or ""
        if column == 6:
            return ", ".join(entry.changed_fields())
        return ""

    def role_data(self, entry: AuditEntry, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and column == 6:
            return ", ".join(entry.changed_fields())
        return None


class AuditWindow(QWidget):
    """A window of its own (Tools > Audit trail…), so it can stay open beside the records."""

    def __init__(
        self,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(self.tr("Audit trail"))
        self.setObjectName("audit_window")
        self.services = services
        self.runner = runner
        self.formats = formats
        self.model = AuditTableModel(services, runner, formats, self)

        filters = self._filter_row(formats)

        splitter = self._entries_and_detail()

        bottom = self._bottom_row()

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.filter_error)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

        self.apply_button.clicked.connect(self.apply_filters)
        self.patient.returnPressed.connect(self.apply_filters)
        self.user.activated.connect(lambda _i: self.apply_filters())
        self.verify_button.clicked.connect(self.verify)
        self.export_button.clicked.connect(self.export)
        self.close_button.clicked.connect(self.close)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._show_filter_error)
        fit_screen(self, 1100, 640)  # or less, on a 1024 x 768 screen
        self._load_actors()
        self.model.set_query(AuditQuery())

    def _filter_row(self, formats: Formats) -> QHBoxLayout:
        """The filters (patient, who, from, to) and Show; the line that says what is wrong with
        them."""
        self.patient = QLineEdit()
        self.patient.setObjectName("patient_filter")
        self.patient.setPlaceholderText(self.tr("MD-000123"))
        self.patient.setMaxLength(20)
        self.patient.setClearButtonEnabled(True)
        self.patient.setMinimumWidth(110)
        self.user = QComboBox()
        self.user.setObjectName("user_filter")
        self.user.setMinimumWidth(200)
        self.user.addItem(self.tr("Everyone"), None)
        self.since = DateField(formats)
        self.until = DateField(formats)
        for field in (self.since, self.until):
            field.setMinimumWidth(130)
        self.apply_button = QPushButton(self.tr("Show"))
        self.apply_button.setDefault(True)
        filters = QHBoxLayout()
        for text, widget in (
            (self.tr("Patient:"), self.patient),
            (self.tr("Who:"), self.user),
            (self.tr("From:"), self.since),
            (self.tr("To:"), self.until),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addWidget(self.apply_button)
        filters.addStretch(1)
        self.filter_error = QLabel()
        self.filter_error.setStyleSheet(ERROR_STYLE)
        self.filter_error.hide()
        return filters

    def _entries_and_detail(self) -> QSplitter:
        """The entries, and the values of the one selected under them."""
        self.table = make_table(
            self.model,
            "audit_entries",
            # the record and the patient in words need the room; the fields take what is left
            widths=(55, 125, 160, 95, 290, 200),
            stretch=6,
            qt_header=True,
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._show_entry)

        self.detail = QPlainTextEdit()
        self.detail.setObjectName("audit_detail")
        self.detail.setReadOnly(True)
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.detail.setPlaceholderText(self.tr("Select an entry to see its values."))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        return splitter

    def _bottom_row(self) -> QHBoxLayout:
        """The count, the trail's verdict, and Verify, Export, Close."""
        self.count = QLabel()
        self.verdict = QLabel()
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.verify_button = QPushButton(self.tr("Verify the trail"))
        self.export_button = QPushButton(self.tr("Export CSV…"))
        self.close_button = QPushButton(self.tr("Close"))
        bottom = QHBoxLayout()
        bottom.addWidget(self.count)
        bottom.addWidget(self.verdict, 1)
        bottom.addWidget(self.verify_button)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.close_button)
        return bottom

    # -- filters ----------------------------------------------------------------------------------

    def _load_actors(self) -> None:
        audit = self.services.audit
        self.runner.run(audit.actors).success(self._set_actors)

    def _set_actors(self, actors: list[str]) -> None:
        current = self.user.currentData()
        self.user.clear()
        self.user.addItem(self.tr("Everyone"), None)
        for name in actors:
            self.user.addItem(name, name)
        index = self.user.findData(current)
        self.user.setCurrentIndex(max(index, 0))

    def _show_filter_error(self, message: str) -> None:
        self.filter_error.setText(message or self.tr("The entries could not be read."))
        self.filter_error.setVisible(True)

    def _dates(self) -> tuple[date | None, date | None] | None:
        try:
            since, until = self.since.value(), self.until.value()
        except ValueError as exc:
            self._show_filter_error(date_problem(exc, self.formats))
            return None
        if since and until and until < since:
            self._show_filter_error(self.tr("The “To” date is before the “From” date."))
            return None
        return since, until

    def apply_filters(self) -> None:
        self.filter_error.hide()
        dates = self._dates()
        if dates is None:
            return
        since, until = dates
        actor = self.user.currentData()
        text = self.patient.text().strip()

        def query(patient_id: int | None) -> AuditQuery:
            return AuditQuery(
                patient_id=patient_id,
                actor=actor,
                since=datetime.combine(since, time()).astimezone() if since else None,
                until=(
                    datetime.combine(until + timedelta(days=1), time()).astimezone()
                    if until
                    else None
                ),
            )

        if not text:
            self.model.set_query(query(None))
            return
        patients = self.services.patients
        self.runner.run(lambda: patients.get_by_record_no(text)).success(
            lambda patient: self.model.set_query(query(patient.id))
        ).failure(lambda error: self._show_filter_error(str(error)))

    def refresh(self) -> None:
        self._load_actors()
        self.model.refresh()

    def _loaded(self, total: int) -> None:
        self.count.setText(
            self.tr("1 entry") if total == 1 else arg(self.tr("%1 entries"), f"{total:,}")
        )
        self.detail.clear()
        if total:
            self.table.selectRow(0)

    def _show_entry(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry = self.model.item(current.row())
        self.detail.setPlainText(
            describe(entry, self.formats, self.model.names.get(entry.seq)) if entry else ""
        )

    # -- verify and export ------------------------------------------------------------------------

    def verify(self) -> None:
        self.verdict.setText(self.tr("Verifying…"))
        self.verdict.setStyleSheet("")
        audit = self.services.audit
        backups = getattr(self.services, "backups", None)
        folders = [backups.folder] if backups is not None and backups.available else []
        self.runner.run(lambda: audit.verify(folders=folders)).success(self._verified).failure(
            lambda error: self._verdict(False, str(error))
        )

    def _verified(self, report: Any) -> None:
        if report.ok:
            self._verdict(
                True,
                arg(
                    self.tr(
                        "The trail is intact: %1 entries, each sealed with the clinic key and "
                        "linked. %2"
                    ),
                    f"{report.entries:,}",
                    " ".join(report.notes),
                ),
            )
        else:
            self._verdict(False, report.describe())

    def _verdict(self, ok: bool, text: str) -> None:
        self.verdict.setText(text)
        self.verdict.setStyleSheet(
            "color: #1b5e20; font-weight: bold;" if ok else ERROR_STYLE + " font-weight: bold;"
        )

    def ask_save_path(self) -> Path | None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Export the audit trail"),
            start_in("audit-trail.csv"),
            self.tr("CSV files (*.csv)"),
        )
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix else path.with_suffix(".csv")

    def export(self) -> None:
        path = self.ask_save_path()
        if path is None:
            return
        remember(path)
        audit = self.services.audit
        query = self.model.query
        self.export_button.setEnabled(False)
        self.verdict.setStyleSheet("")
        self.verdict.setText(self.tr("Exporting…"))

        def work(progress: Progress) -> int:
            return audit.export_csv(path, query, progress.report, progress.cancelled)

        job = self.runner.run_long(work)
        job.progressed.connect(
            lambda done, total, _m: self.verdict.setText(
                arg(self.tr("Exporting… %1 of %2"), f"{done:,}", f"{total:,}")
            )
        )

        def done(count: int) -> None:
            self.export_button.setEnabled(True)
            self._verdict(
                True,
                arg(self.tr("%1 entries exported to %2."), f"{count:,}", str(path)),
            )

        def failed(error: BaseException) -> None:
            self.export_button.setEnabled(True)
            self._verdict(False, str(error) if isinstance(error, MesodeskError) else "")

        job.success(done).failure(failed)
