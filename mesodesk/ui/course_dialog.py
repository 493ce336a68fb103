"""Opening or editing a course: indication, areas, the schedule and the price."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from mesodesk.domain.enums import BodyArea, Indication, LaterInterval
from mesodesk.domain.schedule import (
    MAX_INDUCTION_DAYS,
    MAX_MAINTENANCE_MONTHS,
    MAX_PLANNED,
    MIN_INDUCTION_DAYS,
    MIN_MAINTENANCE_MONTHS,
    MIN_PLANNED,
)
from mesodesk.domain.treatment import Course, CourseInput
from mesodesk.ui.context import AppContext
from mesodesk.ui.form import FormDialog, validated
from mesodesk.ui.i18n import arg
from mesodesk.ui.labels import label
from mesodesk.ui.widgets import DateField, EnumCombo, parse_money


def area_list(selected: tuple[BodyArea, ...] = (), first: tuple[BodyArea, ...] = ()) -> QListWidget:
    """Body areas as a checkable list; ``first`` (e.g. the course's areas) at the top."""
    widget = QListWidget()
    ordered = list(first) + [a for a in BodyArea if a not in first]
    for area in ordered:
        item = QListWidgetItem(label(area))
        item.setData(Qt.ItemDataRole.UserRole, area)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if area in selected else Qt.CheckState.Unchecked)
        widget.addItem(item)
    widget.setMinimumHeight(150)
    return widget


def checked_areas(widget: QListWidget) -> tuple[BodyArea, ...]:
    return tuple(
        widget.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(widget.count())
        if widget.item(i).checkState() == Qt.CheckState.Checked
    )


class CourseDialog(FormDialog):
    def __init__(
        self,
        context: AppContext,
        patient_id: int,
        course: Course | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.patient_id = patient_id
        self.course = course
        self.setWindowTitle(self.tr("New course") if course is None else self.tr("Edit course"))
        formats = context.formats

        self.indication = EnumCombo(Indication)
        self.indication_note = QLineEdit()
        self.indication_note.setMaxLength(200)
        self.indication_note.setPlaceholderText(self.tr("What the course is for, when Other"))
        self.started_on = DateField(formats)
        self.started_on.set_value(context.services.clock.today())
        self.areas = area_list()

        self._make_schedule_fields()

        what = QGroupBox(self.tr("The course"))
        form = QFormLayout(what)
        self.add_row(form, self.tr("Indication *"), "indication", self.indication)
        self.add_row(form, self.tr("Details"), "indication_note", self.indication_note)
        self.add_row(form, self.tr("Starts on *"), "started_on", self.started_on)
        self.add_row(form, self.tr("Treated areas *"), "areas", self.areas)

        plan = self._plan_group()

        columns = QHBoxLayout()
        columns.addWidget(what, 1)
        columns.addWidget(plan, 1)
        self.finish_layout(columns)
        self.resize(900, 520)
        if course is not None:
            self._load(course)
        self._indication_changed()
        self._explain()

    def _make_schedule_fields(self) -> None:
        """The plan (domain.schedule's limits): planned sessions, the induction and its
        interval, what follows, maintenance; the price and notes."""
        self.planned = QSpinBox()
        self.planned.setRange(MIN_PLANNED, MAX_PLANNED)
        self.planned.setValue(10)
        self.planned.setSuffix(self.tr(" sessions"))
        self.induction = QSpinBox()
        self.induction.setRange(1, MAX_PLANNED)
        self.induction.setValue(5)
        self.induction.setSuffix(self.tr(" sessions"))
        self.induction_days = QSpinBox()
        self.induction_days.setRange(MIN_INDUCTION_DAYS, MAX_INDUCTION_DAYS)
        self.induction_days.setValue(7)
        self.induction_days.setPrefix(self.tr("every "))
        self.induction_days.setSuffix(self.tr(" days"))
        self.later = EnumCombo(LaterInterval)
        self.maintenance_on = QCheckBox(self.tr("Maintenance afterwards"))
        self.maintenance_on.setChecked(True)
        self.maintenance = QSpinBox()
        self.maintenance.setRange(MIN_MAINTENANCE_MONTHS, MAX_MAINTENANCE_MONTHS)
        self.maintenance.setValue(4)
        self.maintenance.setPrefix(self.tr("every "))
        self.maintenance.setSuffix(self.tr(" months"))
        self.maintenance_on.toggled.connect(self.maintenance.setEnabled)
        self.price = QLineEdit()
        self.price.setPlaceholderText(self.tr("e.g. 350.00"))
        self.price.setMaxLength(12)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(70)

    def _plan_group(self) -> QGroupBox:
        """The schedule and price in a form, with the plan said in words under it."""
        formats = self.context.formats
        plan = QGroupBox(self.tr("Schedule and price"))
        plan_form = QFormLayout(plan)
        self.add_row(plan_form, self.tr("Planned sessions"), "planned_sessions", self.planned)
        induction = QWidget()
        grid = QGridLayout(induction)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.induction, 0, 0)
        grid.addWidget(self.induction_days, 0, 1)
        self.add_row(plan_form, self.tr("Induction"), "induction_sessions", induction)
        self.errors["induction_interval_days"] = self.errors["induction_sessions"]
        self.add_row(plan_form, self.tr("Then"), "later_interval", self.later)
        maintenance = QWidget()
        row = QHBoxLayout(maintenance)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.maintenance_on)
        row.addWidget(self.maintenance, 1)
        self.add_row(
            plan_form, self.tr("After the course"), "maintenance_interval_months", maintenance
        )
        self.add_row(
            plan_form,
            arg(self.tr("Price per session (%1)"), formats.currency),
            "price_per_session_cents",
            self.price,
        )
        self.add_row(plan_form, self.tr("Notes"), "notes", self.notes)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.explain.setStyleSheet("color: #555555;")
        plan_form.addRow(self.explain)
        for widget in (self.planned, self.induction, self.induction_days, self.maintenance):
            widget.valueChanged.connect(self._explain)
        self.later.currentIndexChanged.connect(self._explain)
        self.maintenance_on.toggled.connect(self._explain)
        self.indication.currentIndexChanged.connect(self._indication_changed)
        return plan

    def _indication_changed(self) -> None:
        other = self.indication.value() is Indication.OTHER
        self.indication_note.setEnabled(other)

    def _explain(self) -> None:
        self.induction.setMaximum(self.planned.value())
        later = (
            self.tr("every 2 weeks")
            if self.later.value() is LaterInterval.BIWEEKLY
            else self.tr("monthly")
        )
        text = arg(
            self.tr("%1 sessions every %2 days, then %3 until session %4"),
            str(self.induction.value()),
            str(self.induction_days.value()),
            later,
            str(self.planned.value()),
        )
        if self.maintenance_on.isChecked():
            text += arg(
                self.tr(", then maintenance every %1 months."), str(self.maintenance.value())
            )
        else:
            text += self.tr("; no maintenance.")
        self.explain.setText(text)

    def _load(self, c: Course) -> None:
        self.indication.set_value(c.indication)
        self.indication_note.setText(c.indication_note)
        self.started_on.set_value(c.started_on)
        for i in range(self.areas.count()):
            item = self.areas.item(i)
            item.setCheckState(
                Qt.CheckState.Checked
                if item.data(Qt.ItemDataRole.UserRole) in c.areas
                else Qt.CheckState.Unchecked
            )
        self.planned.setValue(c.plan.planned_sessions)
        self.induction.setValue(c.plan.induction_sessions)
        self.induction_days.setValue(c.plan.induction_interval_days)
        self.later.set_value(c.plan.later_interval)
        self.maintenance_on.setChecked(c.plan.maintenance_interval_months is not None)
        if c.plan.maintenance_interval_months is not None:
            self.maintenance.setValue(c.plan.maintenance_interval_months)
        if c.price_per_session_cents is not None:
            self.price.setText(f"{c.price_per_session_cents / 100:.2f}")
        self.notes.setPlainText(c.notes)

    def collect(self) -> CourseInput:
        problems: dict[str, str] = {}
        started = self.date_of(self.started_on, "started_on", problems)
        try:
            price = parse_money(self.price.text())
        except ValueError:
            price = None
            problems["price_per_session_cents"] = self.tr(
                "Write the price as a number, such as 350 or 350.00."
            )
        data = CourseInput(
            indication=self.indication.value(),
            started_on=started,
            areas=checked_areas(self.areas),
            planned_sessions=self.planned.value(),
            induction_sessions=self.induction.value(),
            induction_interval_days=self.induction_days.value(),
            later_interval=self.later.value(),
            maintenance_interval_months=self.maintenance.value()
            if self.maintenance_on.isChecked()
            else None,
            price_per_session_cents=price,
            indication_note=self.indication_note.text() if self.indication_note.isEnabled() else "",
            notes=self.notes.toPlainText(),
        )
        return validated(problems, lambda: data.validated(self.context.services.clock.today()))

    def save(self) -> None:
        data = self.checked_input()
        if data is None:
            return
        service = self.context.services.courses
        course = self.course
        if course is None:
            patient_id = self.patient_id
            job = self.context.runner.run(lambda: service.create_course(patient_id, data))
        else:
            job = self.context.runner.run(lambda: service.update_course(course.id, data))
        job.success(self.saved_result).failure(self.failed)

    @classmethod
    def ask(
        cls, parent: QWidget, context: AppContext, patient_id: int, course: Course | None
    ) -> Any:
        """The service's Result once saved; None when cancelled."""
        dialog = cls(context, patient_id, course, parent)
        dialog.exec()
        return dialog.saved
