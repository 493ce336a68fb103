"""A patient's record: identity and safety on top, then the courses, the sessions, the side
effects and a timeline of everything in date order, with the actions of a clinic's day."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.enums import CourseStatus, Grade
from mesodesk.domain.safety import RULES
from mesodesk.domain.treatment import (
    Course,
    OutcomeAssessment,
    PatientRecord,
    Session,
    SideEffect,
)
from mesodesk.ui.context import AppContext
from mesodesk.ui.i18n import arg
from mesodesk.ui.labels import grade_definition, label, safety_text, suspected_lots
from mesodesk.ui.patient_header import PatientHeader
from mesodesk.ui.tables import (
    ID_ROLE,
    Row,
    RowsModel,
    SortProxy,
    fit_columns_once,
    make_table,
    select_id,
    selected_id,
    while_alive,
)
from mesodesk.ui.widgets import ask_yes_no

GRADE_COLOURS = {1: "#1b5e20", 2: "#8a5a00", 3: "#b00020", 4: "#b00020", 5: "#b00020"}


class PatientRecordView(QWidget):
    """The whole record of one patient, in a tab of the main window."""

    loaded = Signal(object)  # the PatientRecord shown

    def __init__(self, context: AppContext, patient_id: int) -> None:
        super().__init__()
        self.context = context
        self.patient_id = patient_id
        self.record: PatientRecord | None = None
        self.today = date.today()
        self._build_buttons()
        self._build_courses()
        self._build_sessions()
        self._build_effects()
        self._build_tabs()
        self._build_layout()
        self._update_actions()
        for table in (self.course_table, self.session_table, self.effect_table):
            table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        context.read_only_changed.connect(self._read_only_changed)

    def _build_buttons(self) -> None:
        """The record's own actions (edit, archive, the PDF summary) and the day's three, with
        their shortcuts."""
        context, formats = self.context, self.context.formats
        self.header = PatientHeader(formats)
        self.edit_patient_button = QPushButton(self.tr("Edit patient…"))
        self.edit_patient_button.clicked.connect(lambda: context.edit_patient(self.patient_id))
        self.archive_button = QPushButton(self.tr("Archive…"))
        self.archive_button.clicked.connect(lambda: context.archive_patient(self.patient_id))
        self.summary_button = QPushButton(self.tr("PDF summary…"))
        self.summary_button.setToolTip(
            self.tr("Preview, save or print the summary for the specialist")
        )
        self.summary_button.clicked.connect(self.pdf_summary)
        self.new_course_button = QPushButton(self.tr("New course…"))
        self.new_course_button.clicked.connect(self.new_course)
        self.log_session_button = QPushButton(self.tr("Log session…"))
        self.log_session_button.setDefault(True)
        self.log_session_button.clicked.connect(self.log_session)
        self.side_effect_button = QPushButton(self.tr("Record side effect…"))
        # clicked(bool) would hand its `checked` flag (False) to record_side_effect as the
        # session id, and the dialog would open on "No session" instead of suggesting one
        self.side_effect_button.clicked.connect(lambda: self.record_side_effect())
        for button, shortcut in (
            (self.log_session_button, "Ctrl+L"),
            (self.side_effect_button, "Ctrl+R"),
            (self.new_course_button, "Ctrl+Shift+N"),
        ):
            action = QAction(self)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(button.click)
            self.addAction(action)
            button.setToolTip(
                QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)
            )

    def _build_courses(self) -> None:
        """The courses table and the buttons under it."""
        self.course_model = RowsModel(
            [
                self.tr("Indication"),
                self.tr("Areas"),
                self.tr("Status"),
                self.tr("Started"),
                self.tr("Sessions"),
                self.tr("Next due"),
                self.tr("Price per session"),
                self.tr("Total"),
                self.tr("Review"),
            ]
        )
        self.course_table = self._table(self.course_model, "courses", stretch=1, date_column=3)
        self.course_table.doubleClicked.connect(lambda _i: self.edit_course())
        self.course_table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.course_table.customContextMenuRequested.connect(self._course_menu)
        self.course_actions = self._action_bar(
            ("edit", self.tr("Edit…"), self.edit_course),
            ("review", self.tr("Review…"), lambda: self.review_course()),
            (
                "complete",
                self.tr("Complete…"),
                lambda: self.set_course_status(CourseStatus.COMPLETED),
            ),
            ("stop", self.tr("Stop…"), lambda: self.set_course_status(CourseStatus.STOPPED)),
            (
                "activate",
                self.tr("Make active"),
                lambda: self.set_course_status(CourseStatus.ACTIVE),
            ),
            ("delete", self.tr("Delete…"), self.delete_course),
        )

    def _build_sessions(self) -> None:
        """The sessions table and the buttons under it."""
        self.session_model = RowsModel(
            [
                self.tr("Date"),
                self.tr("No."),
                self.tr("Course"),
                self.tr("Areas"),
                self.tr("Blend (product, lot, ml)"),
                self.tr("Depth"),
                self.tr("Practitioner"),
                self.tr("Pain"),
                self.tr("GAIS"),
                self.tr("Price"),
                self.tr("Safety"),
            ]
        )
        self.session_table = self._table(self.session_model, "sessions", stretch=4)
        self.session_table.doubleClicked.connect(lambda _i: self.edit_session())
        self.session_table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.session_table.customContextMenuRequested.connect(self._session_menu)
        self.session_actions = self._action_bar(
            ("edit", self.tr("Edit…"), self.edit_session),
            (
                "effect",
                self.tr("Record side effect for this session…"),
                self.side_effect_for_session,
            ),
            ("delete", self.tr("Delete…"), self.delete_session),
        )

    def _build_effects(self) -> None:
        """The side effects table and the buttons under it."""
        self.effect_model = RowsModel(
            [
                self.tr("Onset"),
                self.tr("Side effect"),
                self.tr("Grade"),
                self.tr("Area"),
                self.tr("Resolved"),
                self.tr("Days"),
                self.tr("Outcome"),
                self.tr("Causality"),
                self.tr("Action"),
                self.tr("Suspected lot"),
            ]
        )
        self.effect_table = self._table(self.effect_model, "side_effects", stretch=1)
        self.effect_table.doubleClicked.connect(lambda _i: self.edit_side_effect())
        self.effect_actions = self._action_bar(
            ("resolve", self.tr("Mark resolved…"), self.mark_resolved),
            ("edit", self.tr("Edit…"), self.edit_side_effect),
            ("delete", self.tr("Delete…"), self.delete_side_effect),
        )

    def _build_tabs(self) -> None:
        """The tables' pages, the timeline (a list of everything in date order) and the chart,
        made only when its tab is first shown."""
        self.timeline = QListWidget()
        self.timeline.setAlternatingRowColors(True)
        self.timeline.itemDoubleClicked.connect(self._open_timeline_item)
        self.timeline.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.timeline.customContextMenuRequested.connect(self._timeline_menu)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._page(self.course_table, self.course_actions), self.tr("Courses"))
        self.tabs.addTab(self._page(self.session_table, self.session_actions), self.tr("Sessions"))
        self.tabs.addTab(
            self._page(self.effect_table, self.effect_actions), self.tr("Side effects")
        )
        # which way the timeline runs, said and chosen above it
        self.timeline_order = QComboBox()
        self.timeline_order.addItem(self.tr("Newest first"), True)
        self.timeline_order.addItem(self.tr("Oldest first"), False)
        self.timeline_order.currentIndexChanged.connect(self._timeline_order_changed)
        order_caption = QLabel(self.tr("&Order:"))
        order_caption.setBuddy(self.timeline_order)
        timeline_page = QWidget()
        timeline_layout = QVBoxLayout(timeline_page)
        timeline_layout.setContentsMargins(0, 4, 0, 0)
        order_row = QHBoxLayout()
        order_row.addWidget(order_caption)
        order_row.addWidget(self.timeline_order)
        order_row.addStretch(1)
        timeline_layout.addLayout(order_row)
        timeline_layout.addWidget(self.timeline, 1)
        self.tabs.addTab(timeline_page, self.tr("Timeline"))
        # The chart is made when its tab is first shown: matplotlib loads only then.
        self.chart: Any = None
        self.chart_tab = QWidget()
        self.chart_layout = QVBoxLayout(self.chart_tab)
        self.chart_layout.setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self.chart_tab, self.tr("Chart over time"))
        self.tabs.currentChanged.connect(self._tab_changed)

    def _timeline_order_changed(self, _index: int) -> None:
        if self.record is not None:
            self._fill_timeline(self.record)

    def _build_layout(self) -> None:
        """The header and its buttons on top, the summary line, the day's actions, then the tabs."""
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        side = QVBoxLayout()
        side.addWidget(self.edit_patient_button)
        side.addWidget(self.archive_button)
        side.addWidget(self.summary_button)
        side.addStretch(1)
        top.addLayout(side)
        actions = QHBoxLayout()
        actions.addWidget(self.log_session_button)
        actions.addWidget(self.side_effect_button)
        actions.addWidget(self.new_course_button)
        actions.addStretch(1)
        self.more = QToolButton()
        self.more.setText(self.tr("More"))
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_menu = QMenu(self.more)
        self.more.setMenu(self.more_menu)
        self.more.hide()
        actions.addWidget(self.more)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addLayout(actions)
        layout.addWidget(self.tabs, 1)

    def _table(self, model: RowsModel, name: str, stretch: int, date_column: int = 0) -> QTableView:
        """Newest first by its date column, one column stretched, the others fitted to the rows."""
        table = make_table(
            SortProxy(model, self),
            name,
            stretch=stretch,
            sort=(date_column, Qt.SortOrder.DescendingOrder),
            qt_header=True,
        )
        fit_columns_once(table, model)
        return table

    def _action_bar(self, *items: tuple[str, str, Any]) -> dict[str, QPushButton]:
        """Buttons under a table, by key: (key, text, slot)."""
        buttons = {}
        for key, text, slot in items:
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons[key] = button
        return buttons

    def _page(self, table: QTableView, buttons: dict[str, QPushButton]) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(table, 1)
        row = QHBoxLayout()
        for button in buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        return page

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        treatment = self.context.services.treatment
        patient_id = self.patient_id
        # the tab may be closed before the record comes back
        self.context.runner.run(lambda: treatment.record(patient_id)).success(
            while_alive(self, self.show_record)
        )

    def show_record(self, record: PatientRecord) -> None:
        self.record = record
        self.today = date.today()
        patient = record.patient
        self.header.show_patient(patient, self.today)
        self.archive_button.setText(
            self.tr("Unarchive…") if patient.archived else self.tr("Archive…")
        )
        self._fill_courses(record.courses)
        self._fill_sessions(record)
        self._fill_effects(record.side_effects)
        self._fill_timeline(record)
        self._fill_summary(record)
        if self.chart is not None:
            self.chart.show_record(record, self.today)
        self._update_actions()
        self.loaded.emit(record)

    def _fill_summary(self, record: PatientRecord) -> None:
        f = self.context.formats
        active = [
            c
            for c in record.courses
            if c.status is not CourseStatus.STOPPED
            and c.next_due
            and not c.next_due.lapsed(self.today)
        ]
        lapsed = [c for c in record.courses if c.next_due and c.next_due.lapsed(self.today)]
        parts = []
        if active:
            soonest = min(active, key=lambda c: c.next_due.on)  # type: ignore[union-attr]
            due = soonest.next_due
            assert due is not None
            when = f.date(due.on)
            late = due.days_overdue(self.today)
            state = arg(self.tr("overdue by %1 days"), str(late)) if late else self.tr("due")
            parts.append(
                arg(
                    self.tr("Next session: %1 (%2, %3 of %4)"),
                    when,
                    state,
                    label(due.phase),
                    soonest.title,
                )
            )
        if lapsed:
            parts.append(arg(self.tr("Maintenance lapsed: %1"), ", ".join(c.title for c in lapsed)))
        ongoing = [e for e in record.side_effects if e.ongoing]
        if ongoing:
            parts.append(
                arg(
                    self.tr("Ongoing side effects: %1"),
                    ", ".join(f"{e.title} (grade {int(e.grade)})" for e in ongoing),
                )
            )
        self.summary.setText("   ·   ".join(parts))
        self.summary.setVisible(bool(parts))

    def _fill_courses(self, courses: tuple[Course, ...]) -> None:
        f = self.context.formats
        rows = []
        for c in reversed(courses):  # newest first
            due = c.next_due
            due_text = ""
            colour = ""
            if due is not None:
                due_text = f"{f.date(due.on)} ({label(due.phase)})"
                if due.lapsed(self.today):
                    assert due.lapses_on is not None
                    due_text += " " + arg(self.tr("lapsed since %1"), f.date(due.lapses_on))
                    colour = "#6b6b6b"
                elif due.on < self.today:
                    due_text += " " + self.tr("overdue")
                    colour = "#b00020"
            elif c.maintenance_ended_by is not None:
                due_text = self.tr("— (maintenance ended by a newer course)")
            rows.append(
                Row(
                    c.id,
                    [
                        c.title,
                        ", ".join(label(a) for a in c.areas),
                        label(c.status),
                        f.date(c.started_on),
                        c.progress,
                        due_text,
                        f.money(c.price_per_session_cents),
                        f.money(c.total_price_cents),
                        self._review_cell(self.record.review_of(c.id) if self.record else None),
                    ],
                    sort_keys=[
                        None,
                        None,
                        None,
                        c.started_on,
                        c.sessions_done,
                        due.on if due else date.max,
                        c.price_per_session_cents or 0,
                        c.total_price_cents,
                    ],
                    colour=colour if c.status is not CourseStatus.STOPPED else "#777777",
                    tooltip=self._review_tip(c),
                )
            )
        self.course_model.set_rows(rows)

    def _review_tip(self, course: Course) -> str:
        review = self.record.review_of(course.id) if self.record else None
        if review is None:
            return ""
        return "\n".join(
            x
            for x in (
                arg(
                    self.tr("Course review of %1: %2"),
                    self.context.formats.date(review.assessed_on),
                    self._review_words(review),
                ),
                review.notes,
            )
            if x
        )

    def _review_cell(self, review: OutcomeAssessment | None) -> str:
        """A course's end review in its row: the scores recorded, or nothing."""
        if review is None:
            return ""
        parts = []
        if review.gais is not None:
            parts.append(arg(self.tr("GAIS %1"), str(review.gais)))
        if review.patient_gais is not None:
            parts.append(arg(self.tr("(patient %1)"), str(review.patient_gais)))
        text = " ".join(parts)
        if review.satisfaction is not None:
            satisfaction = arg(self.tr("%1/10"), str(review.satisfaction))
            text = f"{text}, {satisfaction}" if text else satisfaction
        return text or self.tr("reviewed")

    def _review_words(self, review: OutcomeAssessment) -> str:
        """The whole review in words (the timeline, the row's tooltip)."""
        nobody = "—"
        text = arg(
            self.tr("GAIS %1 by the practitioner, %2 by the patient; satisfaction %3/10"),
            nobody if review.gais is None else str(review.gais),
            nobody if review.patient_gais is None else str(review.patient_gais),
            nobody if review.satisfaction is None else str(review.satisfaction),
        )
        if review.assessor:
            text += " " + arg(self.tr("(assessed by %1)"), review.assessor)
        return text

    def _fill_sessions(self, record: PatientRecord) -> None:
        f = self.context.formats
        titles = {c.id: c.title for c in record.courses}
        rows = []
        for s in reversed(record.sessions):
            blend = "; ".join(f"{b.product} · {b.lot_number} · {b.amount_ml:g} ml" for b in s.blend)
            if s.numbing is not None:
                blend += "; " + arg(
                    self.tr("numbing: %1 · %2"), s.numbing.product, s.numbing.lot_number
                )
            safety, safety_tip = self._session_safety(s)
            rows.append(
                Row(
                    s.id,
                    [
                        f.datetime(s.started_at),
                        str(s.number),
                        titles.get(s.course_id, ""),
                        ", ".join(label(a) for a in s.areas),
                        blend,
                        f"{s.depth_mm:g} mm",
                        s.practitioner,
                        "" if s.pain_nrs is None else str(s.pain_nrs),
                        "" if s.gais is None else str(s.gais),
                        f.money(s.price_cents),
                        safety,
                    ],
                    sort_keys=[
                        s.started_at,
                        s.number,
                        None,
                        None,
                        None,
                        s.depth_mm,
                        None,
                        s.pain_nrs if s.pain_nrs is not None else -1,
                        s.gais or 0,
                        s.price_cents or 0,
                    ],
                    tooltip="\n".join(x for x in (blend, safety_tip, s.notes) if x),
                    colour="#8a5a00" if s.override_reason else "",
                )
            )
        self.session_model.set_rows(rows)

    def _session_safety(self, s: Session) -> tuple[str, str]:
        """What the safety rules said when the session was saved, for its row: a short cell
        (an override and its reason first) and the whole of it for the tooltip."""
        overridden = [c for c in s.safety_confirmed if c in RULES and RULES[c].overridable]
        confirmed = [c for c in s.safety_confirmed if c in RULES and not RULES[c].overridable]

        def titles(codes: list[str]) -> str:
            return "; ".join(safety_text(RULES[c].title) for c in codes)

        lines = []
        if overridden:
            lines.append(
                arg(self.tr("Overridden: %1. Reason: %2"), titles(overridden), s.override_reason)
            )
        if confirmed:
            lines.append(arg(self.tr("Confirmed: %1"), titles(confirmed)))
        if not lines:
            return "", ""
        cell = (
            arg(self.tr("Override: %1"), s.override_reason)
            if overridden
            else arg(self.tr("Confirmed: %1"), titles(confirmed))
        )
        return (cell if len(cell) <= 60 else cell[:59] + "…"), "\n".join(lines)

    def _fill_effects(self, effects: tuple[SideEffect, ...]) -> None:
        f = self.context.formats
        rows = []
        for e in reversed(effects):
            grade = Grade(e.grade)
            resolved = f.date(e.resolved_on) if e.resolved_on else self.tr("ongoing")
            area = label(e.body_area) if e.body_area else self.tr("systemic")
            if e.body_area_note:
                area += f" ({e.body_area_note})"
            lot = suspected_lots(e)
            serious = self.tr(" · serious") if e.serious else ""
            rows.append(
                Row(
                    e.id,
                    [
                        f.date(e.onset_on),
                        e.title + (f" · NRS {e.pain_nrs}" if e.pain_nrs is not None else ""),
                        label(grade) + serious,
                        area,
                        resolved,
                        str(e.duration_days(self.today)),
                        label(e.outcome),
                        label(e.causality),
                        label(e.action_taken) + (f": {e.action_note}" if e.action_note else ""),
                        lot,
                    ],
                    sort_keys=[
                        e.onset_on,
                        None,
                        int(grade),
                        None,
                        e.resolved_on or date.max,
                        e.duration_days(self.today),
                    ],
                    tooltip=grade_definition(grade) + (f"\n{e.notes}" if e.notes else ""),
                    colour=GRADE_COLOURS[int(grade)] if e.ongoing else "",
                    bold=e.ongoing,
                )
            )
        self.effect_model.set_rows(rows)

    def _fill_timeline(self, record: PatientRecord) -> None:
        f = self.context.formats
        self.timeline.clear()
        events = record.timeline()  # oldest first
        for event in reversed(events) if self.timeline_order.currentData() else events:
            when = f.datetime(event.when) if event.kind == "session" else f.date(event.when.date())
            item = QListWidgetItem(
                f"{when}    {self._timeline_text(record, event.kind, event.ref_id)}"
            )
            item.setData(ID_ROLE, (event.kind, event.ref_id))
            if event.kind == "side_effect":
                item.setForeground(Qt.GlobalColor.darkRed)
            self.timeline.addItem(item)

    def _timeline_text(self, record: PatientRecord, kind: str, ref_id: int) -> str:
        """One line of the timeline, in the clinic's language."""
        courses = {c.id: c for c in record.courses}
        if kind == "course":
            course = courses[ref_id]
            return arg(
                self.tr("Course started: %1 (%2 sessions planned)"),
                course.title,
                str(course.plan.planned_sessions),
            )
        if kind == "session":
            session = next(s for s in record.sessions if s.id == ref_id)
            course_of = courses.get(session.course_id)
            blend = ", ".join(f"{b.product} ({b.lot_number})" for b in session.blend)
            return arg(
                self.tr("Session %1 of %2: %3"),
                str(session.number),
                course_of.title if course_of else "",
                blend,
            )
        if kind in ("side_effect", "resolved"):
            effect = next(e for e in record.side_effects if e.id == ref_id)
            if kind == "resolved":
                return arg(self.tr("Resolved: %1"), effect.title)
            return arg(self.tr("Side effect: %1, grade %2"), effect.title, str(int(effect.grade)))
        outcome = next(o for o in record.outcomes if o.id == ref_id)
        course_of = courses.get(outcome.course_id) if outcome.course_id is not None else None
        return arg(
            self.tr("Course review of %1: %2"),
            course_of.title if course_of else "",
            self._review_words(outcome),
        )

    def _open_timeline_item(self, item: QListWidgetItem) -> None:
        kind, ref = item.data(ID_ROLE)
        if kind == "session":
            self.edit_session(ref)
        elif kind in ("side_effect", "resolved"):
            self.edit_side_effect(ref)
        elif kind == "course":
            self.edit_course(ref)
        elif kind == "outcome" and self.record is not None:
            outcome = next((o for o in self.record.outcomes if o.id == ref), None)
            if outcome is not None and outcome.course_id is not None:
                self.review_course(outcome.course_id)

    def session_menu(self, session_id: int) -> QMenu:
        """What can be done from a session (the sessions table's and the timeline's menu)."""
        menu = QMenu(self)
        menu.addAction(self.tr("Edit session…"), lambda: self.edit_session(session_id))
        menu.addAction(
            self.tr("Record side effect for this session…"),
            lambda: self.record_side_effect(session_id),
        )
        return self._offered(menu)

    def course_menu(self, course_id: int) -> QMenu:
        """What can be done from a course (its row's menu): the buttons under the table."""
        menu = QMenu(self)
        course = self._course(course_id)
        menu.addAction(self.tr("Edit course…"), lambda: self.edit_course(course_id))
        review = self.record.review_of(course_id) if self.record else None
        menu.addAction(
            self.tr("Review…") if review is None else self.tr("Open the review…"),
            lambda: self.review_course(course_id),
        )
        if course is not None:
            menu.addSeparator()
            for key, status in (
                ("complete", CourseStatus.COMPLETED),
                ("stop", CourseStatus.STOPPED),
                ("activate", CourseStatus.ACTIVE),
            ):
                button = self.course_actions[key]
                action = menu.addAction(button.text(), self._status_action(status, course_id))
                action.setEnabled(
                    (course.status is CourseStatus.ACTIVE)
                    if key == "complete"
                    else course.status is not status
                )
        return self._offered(menu)

    def _status_action(self, status: CourseStatus, course_id: int) -> Any:
        return lambda: self.set_course_status(status, course_id)

    def _course_menu(self, pos: Any) -> None:
        index = self.course_table.indexAt(pos)
        course_id = index.data(ID_ROLE) if index.isValid() else None
        if course_id is None:
            course_id = selected_id(self.course_table)
        if course_id is not None:
            self.course_menu(course_id).exec(self.course_table.viewport().mapToGlobal(pos))

    def _session_menu(self, pos: Any) -> None:
        index = self.session_table.indexAt(pos)
        session_id = index.data(ID_ROLE) if index.isValid() else None
        if session_id is None:
            session_id = selected_id(self.session_table)
        if session_id is not None:
            self.session_menu(session_id).exec(self.session_table.viewport().mapToGlobal(pos))

    def timeline_menu(self, item: QListWidgetItem) -> QMenu:
        """What can be done from a line of the timeline (a session's: as in its table)."""
        kind, ref = item.data(ID_ROLE)
        if kind == "session":
            return self.session_menu(ref)
        menu = QMenu(self)
        menu.addAction(self.tr("Open…"), lambda: self._open_timeline_item(item))
        menu.addAction(self.tr("Record side effect…"), lambda: self.record_side_effect())
        return self._offered(menu)

    def _timeline_menu(self, pos: Any) -> None:
        item = self.timeline.itemAt(pos)
        if item is not None:
            self.timeline_menu(item).exec(self.timeline.viewport().mapToGlobal(pos))

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.chart_tab:
            self.show_chart()

    def show_chart(self) -> None:
        """Make the timeline chart (the first time) and draw the record in it."""
        if self.chart is None:
            from mesodesk.ui.charts import PatientTimelineView

            self.chart = PatientTimelineView(self.context.formats)
            self.chart.side_effect_clicked.connect(self.edit_side_effect)
            self.chart_layout.addWidget(self.chart)
            if self.record is not None:
                self.chart.show_record(self.record, self.today)
        self.tabs.setCurrentWidget(self.chart_tab)

    def _update_actions(self) -> None:
        record = self.record
        for button in (
            self.edit_patient_button,
            self.archive_button,
            self.new_course_button,
            self.side_effect_button,
        ):
            button.setEnabled(not self.context.read_only)
        has_course = bool(
            record and any(c.status is not CourseStatus.STOPPED for c in record.courses)
        )
        self.log_session_button.setEnabled(has_course)
        self.log_session_button.setToolTip(
            "" if has_course else self.tr("Open a course first: sessions belong to a course.")
        )
        course = self._course(selected_id(self.course_table))
        for button in self.course_actions.values():
            button.setEnabled(course is not None)
        if course is not None:
            self.course_actions["activate"].setEnabled(course.status is not CourseStatus.ACTIVE)
            self.course_actions["complete"].setEnabled(course.status is CourseStatus.ACTIVE)
            self.course_actions["stop"].setEnabled(course.status is not CourseStatus.STOPPED)
            self.course_actions["delete"].setEnabled(course.sessions_done == 0)
        session = selected_id(self.session_table)
        for button in self.session_actions.values():
            button.setEnabled(session is not None)
        effect = self._effect(selected_id(self.effect_table))
        for button in self.effect_actions.values():
            button.setEnabled(effect is not None)
        # a resolved side effect can be reopened: marking it resolved is never a one-way step
        resolve = self.effect_actions["resolve"]
        resolve.setEnabled(effect is not None)
        resolve.setText(
            self.tr("Reopen…")
            if effect is not None and not effect.ongoing
            else self.tr("Mark resolved…")
        )
        if self.context.read_only:
            for button in self.writing_buttons():
                button.setEnabled(False)

    def _read_only_changed(self, _read_only: bool) -> None:
        self._update_actions()

    def writing_buttons(self) -> list[QPushButton]:
        """The buttons that change the record: all of them but the PDF summary. While the
        database is read-only they are disabled, and each action they start returns at once
        (a double click, a shortcut or a row's menu reaches it too)."""
        return [
            self.edit_patient_button,
            self.archive_button,
            self.new_course_button,
            self.log_session_button,
            self.side_effect_button,
            *self.course_actions.values(),
            *self.session_actions.values(),
            *self.effect_actions.values(),
        ]

    def _offered(self, menu: QMenu) -> QMenu:
        """A row's menu: every entry changes the record, so none while read-only."""
        if self.context.read_only:
            for action in menu.actions():
                action.setEnabled(False)
        return menu

    # -- lookups ------------------------------------------------------------------------------

    def _course(self, course_id: int | None) -> Course | None:
        if self.record is None or course_id is None:
            return None
        return next((c for c in self.record.courses if c.id == course_id), None)

    def _session(self, session_id: int | None) -> Session | None:
        if self.record is None or session_id is None:
            return None
        return next((s for s in self.record.sessions if s.id == session_id), None)

    def _effect(self, effect_id: int | None) -> SideEffect | None:
        if self.record is None or effect_id is None:
            return None
        return next((e for e in self.record.side_effects if e.id == effect_id), None)

    def select(self, kind: str, item_id: int) -> None:
        """Show and select a course, session or side effect (after it was saved, or clicked)."""
        table, tab = {
            "course": (self.course_table, 0),
            "session": (self.session_table, 1),
            "side_effect": (self.effect_table, 2),
        }[kind]
        self.tabs.setCurrentIndex(tab)
        select_id(table, item_id)

    # -- actions ------------------------------------------------------------------------------

    def confirm(self, title: str, text: str) -> bool:
        return ask_yes_no(self, title, text)

    def _applied(self, result: Any, kind: str | None = None) -> None:
        if result is None:
            return
        self.context.apply(result.changes)
        if kind is not None and getattr(result.value, "id", None) is not None:
            self.loaded.connect(self._select_once(kind, result.value.id))

    def _select_once(self, kind: str, item_id: int) -> Any:
        def select(_record: Any) -> None:
            self.loaded.disconnect(select)
            self.select(kind, item_id)

        return select

    def pdf_summary(self) -> None:
        from mesodesk.ui.summary_ui import SummaryDialog

        if self.record is not None:
            SummaryDialog.ask(self.context, self.record.patient, self.window())

    def new_course(self) -> None:
        if self.context.read_only:
            return
        from mesodesk.ui.course_dialog import CourseDialog

        self._applied(CourseDialog.ask(self, self.context, self.patient_id, None), "course")

    def edit_course(self, course_id: int | None = None) -> None:
        if self.context.read_only:
            return
        from mesodesk.ui.course_dialog import CourseDialog

        course = self._course(course_id or selected_id(self.course_table))
        if course is not None:
            self._applied(CourseDialog.ask(self, self.context, self.patient_id, course), "course")

    def set_course_status(self, status: CourseStatus, course_id: int | None = None) -> None:
        if self.context.read_only:
            return
        course = self._course(course_id or selected_id(self.course_table))
        if course is None:
            return
        reason = ""
        if status is CourseStatus.ACTIVE:
            if not self.confirm(
                self.tr("Make the course active"),
                arg(
                    self.tr("Make “%1” active again? Its sessions will be due again."), course.title
                ),
            ):
                return
        else:
            question = arg(
                self.tr(
                    "Complete “%1”? Maintenance sessions stay due if the course has a "
                    "maintenance interval."
                )
                if status is CourseStatus.COMPLETED
                else self.tr("Stop “%1”? Nothing more will be due for it. Why is it stopped?"),
                course.title,
            )
            text, ok = QInputDialog.getText(
                self,
                self.tr("Complete the course")
                if status is CourseStatus.COMPLETED
                else self.tr("Stop the course"),
                question + "\n" + self.tr("Reason or note (optional):"),
            )
            if not ok:
                return
            reason = text
        service = self.context.services.courses
        self.context.runner.run(
            lambda: service.set_course_status(course.id, status, reason=reason)
        ).success(lambda result: self._status_set(result, status))

    def _status_set(self, result: Any, status: CourseStatus) -> None:
        """A course's status changed; one just completed is offered its end review (unless it
        has one)."""
        self._applied(result, "course")
        course = result.value
        if (
            status is CourseStatus.COMPLETED
            and self.record is not None
            and self.record.review_of(course.id) is None
        ):
            self.review_course(course.id, course=course, just_completed=True)

    def review_course(
        self,
        course_id: int | None = None,
        *,
        course: Course | None = None,
        just_completed: bool = False,
    ) -> None:
        """Record a course's end review, or open the one it has."""
        if self.context.read_only:
            return
        from mesodesk.ui.review_dialog import CourseReviewDialog

        course = course or self._course(course_id or selected_id(self.course_table))
        if course is None or self.record is None:
            return
        w = self.context
        result = CourseReviewDialog.ask(
            self,
            w.services,
            w.runner,
            w.formats,
            course,
            self.record.sessions,
            self.record.review_of(course.id),
            just_completed=just_completed,
        )
        self._applied(result)

    def delete_course(self) -> None:
        if self.context.read_only:
            return
        course = self._course(selected_id(self.course_table))
        if course is None or not self.confirm(
            self.tr("Delete the course"),
            arg(self.tr("Delete the course “%1”? It has no sessions."), course.title),
        ):
            return
        service = self.context.services.courses
        self.context.runner.run(lambda: service.delete_course(course.id)).success(self._applied)

    def log_session(self) -> None:
        if self.context.read_only:
            return
        from mesodesk.ui.session_dialog import SessionDialog

        if self.record is None:
            return
        self._applied(SessionDialog.ask(self, self.context, self.record, None), "session")

    def edit_session(self, session_id: int | None = None) -> None:
        if self.context.read_only:
            return
        from mesodesk.ui.session_dialog import SessionDialog

        session = self._session(session_id or selected_id(self.session_table))
        if session is not None and self.record is not None:
            self._applied(SessionDialog.ask(self, self.context, self.record, session), "session")

    def delete_session(self) -> None:
        if self.context.read_only:
            return
        session = self._session(selected_id(self.session_table))
        if session is None or self.record is None:
            return
        linked = [e for e in self.record.side_effects if e.session_id == session.id]
        choice = self.ask_delete_session(session, len(linked))
        if choice is None:
            return
        service = self.context.services.sessions
        self.context.runner.run(lambda: service.delete_session(session.id, choice)).success(
            self._applied
        )

    def ask_delete_session(self, session: Session, linked: int) -> Literal["keep", "delete"] | None:
        """'keep' or 'delete' for the session's side effects; None to cancel."""
        when = self.context.formats.datetime(session.started_at)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Delete the session"))
        if not linked:
            box.setText(arg(self.tr("Delete the session of %1 and its blend?"), when))
            delete = box.addButton(self.tr("Delete"), QMessageBox.ButtonRole.DestructiveRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.exec()
            return "keep" if box.clickedButton() is delete else None
        box.setText(
            arg(
                self.tr(
                    "The session of %1 has %2 side effect(s) recorded against it. What should "
                    "happen to them?"
                ),
                when,
                str(linked),
            )
        )
        keep = box.addButton(
            self.tr("Keep them (no longer tied to a session)"), QMessageBox.ButtonRole.AcceptRole
        )
        delete = box.addButton(self.tr("Delete them too"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is keep:
            return "keep"
        if box.clickedButton() is delete:
            return "delete"
        return None

    def record_side_effect(self, session_id: int | None = None) -> None:
        if self.context.read_only:
            return
        from mesodesk.ui.side_effect_dialog import SideEffectDialog

        if self.record is not None:
            self._applied(
                SideEffectDialog.ask(self, self.context, self.record, None, session_id),
                "side_effect",
            )

    def side_effect_for_session(self) -> None:
        if self.context.read_only:
            return
        session_id = selected_id(self.session_table)
        if session_id is not None:
            self.record_side_effect(session_id)

    def edit_side_effect(self, effect_id: int | None = None) -> None:
        if self.context.read_only:
            return
        from mesodesk.ui.side_effect_dialog import SideEffectDialog

        effect = self._effect(effect_id or selected_id(self.effect_table))
        if effect is not None and self.record is not None:
            self._applied(
                SideEffectDialog.ask(self, self.context, self.record, effect), "side_effect"
            )

    def mark_resolved(self) -> None:
        """Ask on which day the selected side effect resolved (today proposed); on one already
        resolved, offer to reopen it."""
        if self.context.read_only:
            return
        from mesodesk.ui.side_effect_dialog import ResolveDialog

        effect = self._effect(selected_id(self.effect_table))
        if effect is None:
            return
        if effect.ongoing:
            self._applied(ResolveDialog.ask(self.context, effect, self), "side_effect")
            return
        assert effect.resolved_on is not None
        if not self.confirm(
            self.tr("Reopen the side effect"),
            arg(
                self.tr("“%1” is recorded as resolved on %2. Mark it ongoing again?"),
                effect.title,
                self.context.formats.date(effect.resolved_on),
            ),
        ):
            return
        service = self.context.services.side_effects
        self.context.runner.run(lambda: service.reopen_side_effect(effect.id)).success(
            lambda result: self._applied(result, "side_effect")
        )

    def delete_side_effect(self) -> None:
        if self.context.read_only:
            return
        effect = self._effect(selected_id(self.effect_table))
        if effect is None or not self.confirm(
            self.tr("Delete the side effect"),
            arg(
                self.tr("Delete the record of “%1” (onset %2)? This cannot be undone."),
                effect.title,
                self.context.formats.date(effect.onset_on),
            ),
        ):
            return
        service = self.context.services.side_effects
        self.context.runner.run(lambda: service.delete_side_effect(effect.id)).success(
            self._applied
        )
