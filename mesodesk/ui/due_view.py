"""Who is due: the clinic's courses due on or before a date, the most overdue first; or, with the
"Lapsed maintenance" filter, the courses whose maintenance has lapsed (overdue by twice its
interval: domain.schedule), which leave the due list.

A tab of the main window (View ▸ Due and overdue). The list follows every change to the
treatment record or to patients, so that a session logged in another tab takes its course off
the list at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.errors import MesodeskError
from mesodesk.domain.treatment import DueEntry
from mesodesk.services.changes import Changes
from mesodesk.services.registry import Services
from mesodesk.ui.context import Host
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats, label
from mesodesk.ui.tables import (
    ALERT,
    CAUTION,
    ID_ROLE,
    MUTED,
    RIGHT,
    ListTableModel,
    SortProxy,
    bold,
    brush,
    make_table,
    select_id,
    selected_id,
    while_alive,
)
from mesodesk.ui.widgets import DateField, ErrorLabel, date_problem, mark_invalid, placeholder

DATE_DELAY_MS = 300  # a typed date is looked up once the typing pauses
SHOWN = 20_000  # rows the table holds at most; the summary says when there are more


def lateness(due_on: date, today: date) -> tuple[str, int]:
    """How late a course is, in words, and how urgent: 2 overdue, 1 due today, 0 not yet."""
    days = (today - due_on).days
    tr = QCoreApplication.translate
    if days > 1:
        return arg(tr("Due", "Overdue by %1 days"), str(days)), 2
    if days == 1:
        return tr("Due", "Overdue by 1 day"), 2
    if days == 0:
        return tr("Due", "Due today"), 1
    if days == -1:
        return tr("Due", "Due tomorrow"), 0
    return arg(tr("Due", "Due in %1 days"), str(-days)), 0


def progress_text(done: int, planned: int) -> str:
    """'4 of 10', or '10 of 10 + 2 maintenance' once the course is over."""
    tr = QCoreApplication.translate
    text = arg(tr("Due", "%1 of %2"), str(min(done, planned)), str(planned))
    if done > planned:
        text += arg(tr("Due", " + %1 maintenance"), str(done - planned))
    return text


class DueTableModel(ListTableModel[DueEntry]):
    """The due list: one row per course, as the service orders them (soonest due first)."""

    def __init__(self, formats: Formats, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.formats = formats
        self.today = date.today()
        self.lapsed_list = False
        self.headers = [
            self.tr("Due date"),
            self.tr("Overdue"),
            self.tr("Record no."),
            self.tr("Name"),
            self.tr("Phone"),
            self.tr("Course"),
            self.tr("Sessions"),
            self.tr("Last session"),
        ]

    def set_entries(self, entries: Sequence[DueEntry], today: date, lapsed: bool = False) -> None:
        self.today = today
        self.lapsed_list = lapsed
        self.set_rows(entries)

    def lapsed_words(self, e: DueEntry) -> str:
        assert e.lapses_on is not None
        when = self.formats.date(e.lapses_on)
        if e.lapsed(self.today):
            return arg(self.tr("Lapsed since %1"), when)
        return arg(self.tr("Lapses on %1"), when)

    def overdue(self) -> int:
        return sum(1 for e in self.rows if e.due_on < self.today)

    def id_of(self, e: DueEntry) -> int:
        return e.patient_id  # a row opens the patient

    def display(self, e: DueEntry, column: int) -> str:
        if column == 0:
            return self.formats.date(e.due_on)
        if column == 1:
            if self.lapsed_list or e.lapsed(self.today):
                return self.lapsed_words(e)
            return lateness(e.due_on, self.today)[0]
        if column == 2:
            return e.record_no
        if column == 3:
            return f"{e.last_name}, {e.first_name}"
        if column == 4:
            return e.phone
        if column == 5:
            return label(e.indication)
        if column == 6:
            return progress_text(e.sessions_done, e.planned_sessions)
        if column == 7:
            return self.formats.date(e.last_session_on)
        return ""

    def sort_key(self, e: DueEntry, column: int) -> Any:
        if column in (0, 1):
            # most overdue first when sorted ascending by either column
            return e.due_on.isoformat() if column == 0 else (self.today - e.due_on).days
        if column == 6:
            return e.sessions_done * 100 + e.planned_sessions
        if column == 7:
            return e.last_session_on.isoformat() if e.last_session_on else ""
        return super().sort_key(e, column)

    def role_data(self, e: DueEntry, column: int, role: int) -> Any:
        lapsed = self.lapsed_list or e.lapsed(self.today)
        urgency = 0 if lapsed else lateness(e.due_on, self.today)[1]
        if role == Qt.ItemDataRole.ToolTipRole and column == 1 and lapsed:
            return arg(
                self.tr(
                    "Overdue by %1 days: twice the maintenance interval. The course has left the "
                    "due list; a session brings it back."
                ),
                str(e.days_overdue(self.today)),
            )
        if role == Qt.ItemDataRole.ForegroundRole and column in (0, 1):
            return brush(ALERT if urgency == 2 else CAUTION if urgency == 1 else MUTED)
        if role == Qt.ItemDataRole.FontRole and column == 1 and urgency:
            return bold()
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return self.display(e, column)  # long names are cut in the column
        if role == Qt.ItemDataRole.ToolTipRole and column == 5 and e.indication.value == "other":
            return self.tr("Indication: other (see the course in the patient's record)")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 6:
            return RIGHT
        return None


class DueView(QWidget):
    """The due list with its date and the quick choices; Enter or a double-click opens the
    patient."""

    open_requested = Signal(int)

    def __init__(
        self,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("due_view")
        self.services = services
        self.runner = runner
        self.formats = formats
        self.by = services.clock.today()
        self.loading = False
        self._generation = 0

        top = self._top_row(formats)

        self.model = DueTableModel(formats, self)
        self.proxy = SortProxy(self.model, self)
        self.table = make_table(
            self.proxy,
            "due",
            widths=(90, 170, 90, 230, 125, 150, 150, 85),  # the name takes the room left
            stretch=3,
            sort=(0, Qt.SortOrder.AscendingOrder),
        )
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)

        self.empty = placeholder()
        self.empty.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.date_error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.setFocusProxy(self.table)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DATE_DELAY_MS)
        self._timer.timeout.connect(self._apply_typed_date)
        self._mark_quick()
        self.reload()

    def _top_row(self, formats: Formats) -> QHBoxLayout:
        """The date the list runs to, its quick choices, due or lapsed, and Refresh; the summary
        line is made here and shown under the row."""
        self.date = DateField(formats)
        self.date.setObjectName("due_date")
        self.date.edit.setMaximumWidth(130)
        self.date.set_value(self.by)
        self.date.changed.connect(self._date_typed)
        self.date_error = ErrorLabel()
        caption = QLabel(self.tr("Due on or &before"))
        caption.setBuddy(self.date)
        self.quick: dict[int, QPushButton] = {}
        top = QHBoxLayout()
        top.addWidget(caption)
        top.addWidget(self.date)
        quick_choices = ((0, self.tr("Today")), (7, self.tr("+7 days")), (30, self.tr("+30 days")))
        for days, text in quick_choices:
            button = QPushButton(text)
            button.setAutoDefault(False)
            button.setCheckable(True)
            button.clicked.connect(lambda _checked=False, d=days: self.show_days_ahead(d))
            self.quick[days] = button
            top.addWidget(button)
        top.addSpacing(12)
        self.show_lapsed = QComboBox()
        self.show_lapsed.setObjectName("due_show")
        self.show_lapsed.addItem(self.tr("Due and overdue"), False)
        self.show_lapsed.addItem(self.tr("Lapsed maintenance"), True)
        self.show_lapsed.setToolTip(
            self.tr(
                "A maintenance overdue by twice its interval has lapsed: it leaves the due list "
                "for the lapsed list."
            )
        )
        self.show_lapsed.currentIndexChanged.connect(lambda _i: self.reload())
        show_caption = QLabel(self.tr("Sho&w"))
        show_caption.setBuddy(self.show_lapsed)
        top.addWidget(show_caption)
        top.addWidget(self.show_lapsed)
        top.addSpacing(12)
        self.summary = QLabel()
        self.summary.setObjectName("due_summary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)  # on its own line: a long one must not widen the window
        top.addStretch(1)
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(lambda _checked=False: self.reload())
        top.addWidget(self.refresh_button)
        return top

    # -- the date ------------------------------------------------------------------------------

    def show_days_ahead(self, days: int) -> None:
        self.show_by(self.services.clock.today() + timedelta(days=days))

    def show_by(self, by: date) -> None:
        self._timer.stop()
        self.by = by
        self.date.changed.disconnect(self._date_typed)
        self.date.set_value(by)
        self.date.changed.connect(self._date_typed)
        self._show_date_error("")
        self.reload()

    def _date_typed(self) -> None:
        self._timer.start()

    def _apply_typed_date(self) -> None:
        try:
            value = self.date.value()
        except ValueError as exc:
            self._show_date_error(date_problem(exc, self.formats))
            return
        if value is None or value.year < 2000:
            self._show_date_error(arg(self.tr("Write the date as %1."), self.formats.date_hint))
            return
        self._show_date_error("")
        if value != self.by:
            self.by = value
            self.reload()

    def _show_date_error(self, message: str) -> None:
        self.date_error.show_message(message)
        mark_invalid(self.date, bool(message))

    def _mark_quick(self) -> None:
        today = self.services.clock.today()
        for days, button in self.quick.items():
            button.setChecked(self.by == today + timedelta(days=days))

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        self.loading = True
        self._mark_quick()
        by = self.by
        lapsed = self.lapsed_shown()
        service = self.services.courses
        self.runner.run(lambda: service.due(by, lapsed=lapsed, limit=SHOWN + 1)).success(
            while_alive(self, lambda entries: self._loaded(generation, by, lapsed, entries))
        ).failure(while_alive(self, self._failed))

    def lapsed_shown(self) -> bool:
        return bool(self.show_lapsed.currentData())

    def _loaded(self, generation: int, by: date, lapsed: bool, entries: list[DueEntry]) -> None:
        if generation != self._generation:
            return
        self.loading = False
        keep = selected_id(self.table)
        today = self.services.clock.today()
        more = len(entries) > SHOWN
        entries = entries[:SHOWN]
        self.model.set_entries(entries, today, lapsed)
        overdue = self.model.overdue()
        when = self.formats.date(by)
        if lapsed:
            self._show_lapsed(entries, when)
        elif not entries:
            self.summary.setText(arg(self.tr("Nobody is due on or before %1."), when))
            self.empty.setText(
                arg(self.tr("No course is due on or before %1. Try +7 days or +30 days."), when)
            )
            self.empty.show()
        else:
            text = (
                self.tr("1 course due on or before %2, %3 overdue")
                if len(entries) == 1
                else self.tr("%1 courses due on or before %2, %3 overdue")
            )
            self.summary.setText(arg(text, f"{len(entries):,}", when, f"{overdue:,}"))
            self.empty.hide()
        if more:
            text = (
                self.tr("More than %1 courses with a maintenance lapsed by %2")
                if lapsed
                else self.tr("More than %1 courses due on or before %2")
            )
            self.summary.setText(
                arg(text, f"{SHOWN:,}", when)
                + arg(
                    self.tr(
                        ": the first %1 are shown (choose an earlier date, or use mesodesk due)."
                    ),
                    f"{SHOWN:,}",
                )
            )
        select_id(self.table, keep)

    def _show_lapsed(self, entries: list[DueEntry], when: str) -> None:
        if not entries:
            self.summary.setText(arg(self.tr("No maintenance has lapsed by %1."), when))
            self.empty.setText(arg(self.tr("No maintenance has lapsed by %1."), when))
            self.empty.show()
            return
        text = (
            self.tr("1 course with a maintenance lapsed by %2")
            if len(entries) == 1
            else self.tr("%1 courses with a maintenance lapsed by %2")
        )
        self.summary.setText(arg(text, f"{len(entries):,}", when))
        self.empty.hide()

    def _failed(self, error: BaseException) -> None:
        self.loading = False
        if isinstance(error, MesodeskError):
            self.summary.setText(str(error))
        else:
            self.runner.report_error(error)

    def apply_changes(self, changes: Changes) -> None:
        if changes.treatment or changes.patients or changes.settings:
            self.reload()

    # -- opening a patient ---------------------------------------------------------------------

    def _open_index(self, index: QModelIndex) -> None:
        patient_id = index.data(ID_ROLE)
        if patient_id is not None:
            self.open_requested.emit(patient_id)


# -- installing -----------------------------------------------------------------------------------


def open_due(host: Host) -> DueView:
    """Show the due list's tab (next to the patient list), opening it when it is not open yet."""
    view = host.find_view(DueView)
    if view is None:
        context = host.context
        view = DueView(context.services, context.runner, context.formats)
        view.open_requested.connect(context.open_patient)
        context.changes_applied.connect(view.apply_changes)
    host.show_view(view, QCoreApplication.translate("Due", "Due and overdue"), position=1)
    view.table.setFocus()
    return view


def install(host: Host) -> None:
    action = QAction(QCoreApplication.translate("Due", "&Due and overdue"), host.window())
    action.setObjectName("open_due")
    action.setShortcut(QKeySequence("Ctrl+Shift+D"))
    action.triggered.connect(lambda _checked=False: open_due(host))
    host.menu("view").addAction(action)
