"""Recording a side effect with every field of DOMAIN.md, the CTCAE grade definitions at hand,
the suspected session (the last one before the onset) and the lots it used chosen for you, and the
coherence rules (mesodesk.domain.safety) said beside the fields before anything is saved."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.catalogue import Practitioner
from mesodesk.domain.enums import (
    ActionTaken,
    AEOutcome,
    BodyArea,
    Causality,
    Grade,
    ReportChannel,
    SideEffectKind,
)
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.safety import Finding, Level
from mesodesk.domain.treatment import (
    OPEN_OUTCOMES,
    PatientRecord,
    Session,
    SideEffect,
    SideEffectInput,
    suspected_session,
)
from mesodesk.services.treatment import SafetyQuestions
from mesodesk.ui.context import AppContext
from mesodesk.ui.form import FormDialog, fit_screen, validated
from mesodesk.ui.i18n import arg
from mesodesk.ui.labels import grade_definition, label
from mesodesk.ui.session_dialog import NONE, score_combo, set_combo
from mesodesk.ui.widgets import DateField, EnumCombo, compact_combo

WHOLE_BLEND = -1  # the item data of "Every lot of the session" in the list of suspected lots


def grade_text(grade: Grade) -> str:
    """The grade and its CTCAE definition in one line: "1 Mild: no or mild symptoms; …".

    The definitions begin with the grade's word ("Mild: …", "Severe or medically significant
    …"), so that word is said once, by the label, not a second time by the definition.
    """
    name = label(grade)
    word = name.partition(" ")[2]
    definition = grade_definition(grade)
    if word and definition.casefold().startswith(word.casefold()):
        return name + definition[len(word) :]
    return f"{name}: {definition}"


class SuspectedLots(QListWidget):
    """The lots the suspected session used (Session.used_lots: its blend's and its numbing
    product's), one line per lot to tick, and "Every lot of the session" first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMaximumHeight(110)
        self.itemChanged.connect(self._changed)
        self._filling = False

    def show_blend(self, session: Session | None, ticked: Iterable[int], whole: bool) -> None:
        """The lots ``session`` used, ``ticked`` ones ticked (all of them with ``whole``): its
        blend's, then its numbing product's."""
        self._filling = True
        self.clear()
        if session is not None:
            # short enough for the list's width at 1024x768; the lots are listed under it
            self._add(self.tr("Every lot of the session"), WHOLE_BLEND, whole)
            chosen = set(ticked)
            for line in session.used_lots:
                text = f"{line.product} · {self.tr('lot')} {line.lot_number}"
                if line is session.numbing:
                    text += " · " + self.tr("numbing")
                self._add(text, line.lot_id, whole or line.lot_id in chosen)
        self._filling = False
        self._follow_whole()

    def _add(self, text: str, data: int, checked: bool) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, data)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.addItem(item)

    def _changed(self, item: QListWidgetItem) -> None:
        if not self._filling and item.data(Qt.ItemDataRole.UserRole) == WHOLE_BLEND:
            self._follow_whole()

    def _follow_whole(self) -> None:
        """With "Every lot of the session" ticked every lot is, and cannot be unticked one by
        one."""
        whole = self.whole()
        self._filling = True
        for i in range(1, self.count()):
            item = self.item(i)
            if whole:
                item.setCheckState(Qt.CheckState.Checked)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            else:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEnabled)
        self._filling = False

    def whole(self) -> bool:
        first = self.item(0)
        return first is not None and first.checkState() == Qt.CheckState.Checked

    def lot_ids(self) -> tuple[int, ...]:
        """The lots ticked one by one (all of them with "Every lot of the session")."""
        return tuple(
            self.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(1, self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        )

    def tick(self, data: int, checked: bool = True) -> None:
        for i in range(self.count()):
            item = self.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == data:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)


class SideEffectDialog(FormDialog):
    def __init__(
        self,
        context: AppContext,
        record: PatientRecord,
        effect: SideEffect | None,
        session_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.record = record
        self.effect = effect
        patient = record.patient
        self.patient = patient
        # Only a real id chooses the session: a signal's `checked` flag (False) must not.
        given = session_id if type(session_id) is int else None
        self.session_chosen_by_hand = effect is not None or given is not None
        self.lots_chosen_by_hand = effect is not None
        self.causality_chosen_by_hand = effect is not None
        self.setWindowTitle(
            (self.tr("Record a side effect") if effect is None else self.tr("Edit side effect"))
            + f" · {patient.last_name}, {patient.first_name} · {patient.record_no}"
        )
        today = context.services.clock.today()
        self._make_what_fields(today)
        self._make_where_fields(record, today)
        what = self._what_group()
        where = self._where_group()

        columns = QHBoxLayout()
        columns.addWidget(what, 1)
        columns.addWidget(where, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)
        fit_screen(self, 1000, 700)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.onset.changed.connect(self._onset_changed)
        self.session.currentIndexChanged.connect(self._session_changed)
        self.session.activated.connect(self._session_chosen)
        self.action.currentIndexChanged.connect(self._notes_enabled)
        self.area.currentIndexChanged.connect(self._notes_enabled)
        if effect is not None:
            self._load(effect)
        elif given is not None:
            set_combo(self.session, given)
        else:
            self._onset_changed()
        self._session_changed()
        self._kind_changed()
        self._grade_changed()
        self._load_practitioners()

    def _make_what_fields(self, today: date) -> None:
        """What happened and how bad: kind, onset, resolution, CTCAE grade, pain, outcome and
        causality."""
        formats = self.context.formats
        self.kind = EnumCombo(SideEffectKind)
        self.kind_note = QLineEdit()
        self.kind_note.setMaxLength(200)
        self.kind_note.setPlaceholderText(self.tr("Describe it (needed for Other)"))
        self.onset = DateField(formats)
        self.onset.set_value(today)
        self.ongoing = QCheckBox(self.tr("Ongoing"))
        self.ongoing.setChecked(True)
        self.resolved = DateField(formats)
        self.resolved.setEnabled(False)
        self.ongoing.toggled.connect(self._ongoing_toggled)
        # A spin box that can hold a wrong grade, so that the rule is said in words beside it.
        self.grade = QSpinBox()
        self.grade.setRange(0, 9)
        self.grade.setSpecialValueText(NONE)
        self.grade.setValue(1)
        self.grade_help = QLabel()
        self.grade_help.setWordWrap(True)
        self.grade_help.setStyleSheet("color: #555555;")
        self.grade.valueChanged.connect(self._grade_changed)
        self.grade.setToolTip("\n".join(grade_text(g) for g in Grade))
        self.pain = score_combo(0, 10)
        self.serious = QCheckBox(self.tr("Serious (FHIR seriousness)"))
        self.outcome = EnumCombo(AEOutcome)
        self.outcome.set_value(AEOutcome.ONGOING)
        self.causality = EnumCombo(Causality)
        self.causality.set_value(Causality.NOT_ASSESSED)
        self.causality.activated.connect(self._causality_chosen)

    def _make_where_fields(self, record: PatientRecord, today: date) -> None:
        """Where, why and what was done: the suspected session and lots, the area, the action, how
        it was reported, by whom, notes."""
        formats = self.context.formats
        self.session = QComboBox()
        self.session.addItem(self.tr("No session"), None)
        for s in reversed(record.sessions):
            self.session.addItem(
                arg(self.tr("%1 · session %2"), formats.datetime(s.started_at), str(s.number)),
                s.id,
            )
        self.lots = SuspectedLots()
        self.lots.itemChanged.connect(self._lots_chosen)
        self.area = EnumCombo(BodyArea, (), NONE)
        self.area_note = QLineEdit()
        self.area_note.setMaxLength(200)
        self.area_note.setPlaceholderText(self.tr("Where exactly (needed for Other)"))
        self.action = EnumCombo(ActionTaken)
        self.action_note = QLineEdit()
        self.action_note.setMaxLength(200)
        self.action_note.setPlaceholderText(self.tr("Which treatment, to whom (needed for Other)"))
        # no silent default: the clinician says how it was reported
        self.via = EnumCombo(ReportChannel, None, self.tr("How? (choose)"))
        self.reported_day = DateField(formats)
        self.reported_day.set_value(today)
        self.reported_at = QTimeEdit()
        self.reported_at.setDisplayFormat("HH:mm")
        now = self.context.services.clock.now()
        self.reported_at.setTime(QTime(now.hour, now.minute))
        self.recorded_by = compact_combo(QComboBox(), 24)
        self.recorded_by.addItem(NONE, None)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(50)

        # Long choices ("Redness and bumps at injection sites") are shown whole in the list
        # and may be cut in the closed box, so that the two columns fit a 1024-pixel screen.
        for combo in (self.kind, self.session, self.causality, self.action, self.via):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(14)

    def _what_group(self) -> QGroupBox:
        """The first column's fields in a form."""
        what = QGroupBox(self.tr("What and how bad"))
        form = QFormLayout(what)
        self.add_row(form, self.tr("Side effect *"), "kind", self.kind)
        self.add_row(form, self.tr("Description"), "kind_note", self.kind_note)
        self.add_row(form, self.tr("Onset *"), "onset_on", self.onset)
        resolution = QWidget()
        row = QHBoxLayout(resolution)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.ongoing)
        row.addWidget(QLabel(self.tr("or resolved on")))
        row.addWidget(self.resolved, 1)
        self.add_row(form, self.tr("Resolution"), "resolved_on", resolution)
        grade = QWidget()
        grade_layout = QVBoxLayout(grade)
        grade_layout.setContentsMargins(0, 0, 0, 0)
        grade_layout.addWidget(self.grade)
        grade_layout.addWidget(self.grade_help)
        self.add_row(form, self.tr("Grade (CTCAE) *"), "grade", grade)
        self.fields["grade"] = self.grade
        self.add_row(form, self.tr("Pain (NRS 0–10)"), "pain_nrs", self.pain)
        self.add_row(form, "", "serious", self.serious)
        self.add_row(form, self.tr("Outcome"), "outcome", self.outcome)
        return what

    def _where_group(self) -> QGroupBox:
        """The second column's fields in a form."""
        where = QGroupBox(self.tr("Where, why, and what was done"))
        where_form = QFormLayout(where)
        self.add_row(where_form, self.tr("Suspected session"), "session_id", self.session)
        self.add_row(
            where_form,
            self.tr("Suspected products"),
            "lot_ids",
            self.lots,
            changed=self.lots.itemChanged,
        )
        self.errors["suspects_blend"] = self.errors["lot_ids"]
        self.add_row(where_form, self.tr("Causality (WHO-UMC)"), "causality", self.causality)
        self.add_row(where_form, self.tr("Body area"), "body_area", self.area)
        self.add_row(where_form, self.tr("Area details"), "body_area_note", self.area_note)
        self.add_row(where_form, self.tr("Action taken"), "action_taken", self.action)
        self.add_row(where_form, self.tr("Action details"), "action_note", self.action_note)
        reported = QWidget()
        rep = QHBoxLayout(reported)
        rep.setContentsMargins(0, 0, 0, 0)
        # the channel takes the room left; the date keeps the width of a whole date
        rep.addWidget(self.via, 1)
        rep.addWidget(self.reported_day)
        rep.addWidget(self.reported_at)
        self.add_row(where_form, self.tr("Reported *"), "reported_at", reported)
        self.errors["reported_via"] = self.errors["reported_at"]
        self.fields["reported_via"] = self.via
        self.via.currentIndexChanged.connect(self._clearer("reported_via"))
        self.add_row(where_form, self.tr("Recorded by"), "recorded_by_id", self.recorded_by)
        self.add_row(where_form, self.tr("Notes"), "notes", self.notes)
        return where

    # -- dependent fields ---------------------------------------------------------------------

    def _ongoing_toggled(self, ongoing: bool) -> None:
        self.resolved.setEnabled(not ongoing)
        if ongoing and self.outcome.value() in (AEOutcome.RESOLVED, AEOutcome.SEQUELAE):
            self.outcome.set_value(AEOutcome.ONGOING)
        elif not ongoing:
            if not self.resolved.text():
                self.resolved.set_value(self.context.services.clock.today())
            if self.outcome.value() in OPEN_OUTCOMES:
                self.outcome.set_value(AEOutcome.RESOLVED)

    def _grade_changed(self) -> None:
        value = self.grade.value()
        if 1 <= value <= len(Grade):
            g = Grade(value)
            self.grade_help.setText(grade_text(g))
            if g >= Grade.LIFE_THREATENING:
                self.serious.setChecked(True)
        else:
            self.grade_help.setText(self.tr("Choose a grade from 1 (mild) to 5 (death)."))

    def _kind_changed(self) -> None:
        kind = self.kind.value()
        self.pain.setEnabled(kind is SideEffectKind.PAIN)
        if kind is not SideEffectKind.PAIN:
            self.pain.setCurrentIndex(0)
        systemic = isinstance(kind, SideEffectKind) and kind.systemic
        self.area.setEnabled(not systemic)
        self._notes_enabled()

    def _notes_enabled(self) -> None:
        self.kind_note.setEnabled(self.kind.value() is SideEffectKind.OTHER)
        self.area_note.setEnabled(self.area.isEnabled() and self.area.value() is BodyArea.OTHER)
        self.action_note.setEnabled(self.action.value() is ActionTaken.OTHER)

    def _session_chosen(self, _index: int) -> None:
        self.session_chosen_by_hand = True

    def _lots_chosen(self, _item: QListWidgetItem) -> None:
        if not self.lots._filling:
            self.lots_chosen_by_hand = True

    def _causality_chosen(self, _index: int) -> None:
        self.causality_chosen_by_hand = True

    def _onset_changed(self) -> None:
        """While nobody chose one by hand, the suspected session is the last one on or before
        the onset."""
        if self.session_chosen_by_hand:
            return
        try:
            onset = self.onset.value()
        except ValueError:
            return
        if onset is None:
            return
        best = suspected_session(self.record.sessions, onset)
        set_combo(self.session, best.id if best else None)

    def chosen_session(self) -> Session | None:
        session_id = self.session.currentData()
        return next((s for s in self.record.sessions if s.id == session_id), None)

    def _session_changed(self) -> None:
        session = self.chosen_session()
        if self.lots_chosen_by_hand and self.effect is not None and session is not None:
            ticked: tuple[int, ...] = self.lots.lot_ids() if self.lots.count() else ()
            self.lots.show_blend(session, ticked, self.lots.whole())
        else:
            # a session suggested, or chosen: every lot it used is suspected until the clinician
            # ticks fewer
            self.lots.show_blend(session, (), True)
            self.lots_chosen_by_hand = False
        self.lots.setEnabled(session is not None)
        if not self.causality_chosen_by_hand:
            self.causality.set_value(
                Causality.POSSIBLE if session is not None else Causality.NOT_ASSESSED
            )
        # the session's areas first, then every other area
        first = list(session.areas) if session else []
        had_area = self.area.value() is not None
        self.area.set_values(first + [a for a in BodyArea if a not in first], NONE)
        if not had_area and first:
            self.area.set_value(first[0])

    def _load_practitioners(self) -> None:
        catalogue = self.context.services.catalogue
        self.context.runner.run(catalogue.practitioners).success(self._practitioners_loaded)

    def _practitioners_loaded(self, practitioners: list[Practitioner]) -> None:
        chosen = self.effect.recorded_by_id if self.effect else None
        untouched = not self.has_changes()
        for p in practitioners:
            if p.active or p.id == chosen:
                self.recorded_by.addItem(p.display, p.id)
        set_combo(self.recorded_by, chosen)
        if untouched:  # the list filled in is not a change the person made
            self.mark_unchanged()

    def _load(self, e: SideEffect) -> None:
        self.kind.set_value(e.kind)
        self.kind_note.setText(e.kind_note)
        self.onset.set_value(e.onset_on)
        self.ongoing.setChecked(e.resolved_on is None)
        self.resolved.set_value(e.resolved_on)
        self.grade.setValue(int(e.grade))
        set_combo(self.pain, e.pain_nrs)
        self.serious.setChecked(e.serious)
        self.outcome.set_value(e.outcome)
        self.causality.set_value(e.causality)
        set_combo(self.session, e.session_id)
        self.lots.show_blend(self.chosen_session(), e.lot_ids, e.suspects_blend)
        self.area.set_value(e.body_area)
        self.area_note.setText(e.body_area_note)
        self.action.set_value(e.action_taken)
        self.action_note.setText(e.action_note)
        self.via.set_value(e.reported_via)
        self.reported_day.set_value(e.reported_at.date())
        self.reported_at.setTime(QTime(e.reported_at.hour, e.reported_at.minute))
        self.notes.setPlainText(e.notes)
        self.safety_seen = set(e.safety_confirmed)

    # -- saving -------------------------------------------------------------------------------

    def collect(self) -> SideEffectInput:
        problems: dict[str, str] = {}
        onset = self.date_of(self.onset, "onset_on", problems)
        resolved = (
            None
            if self.ongoing.isChecked()
            else self.date_of(self.resolved, "resolved_on", problems)
        )
        if not self.ongoing.isChecked() and resolved is None and "resolved_on" not in problems:
            problems["resolved_on"] = self.tr("Give the resolution date, or tick Ongoing.")
        reported_day = self.date_of(self.reported_day, "reported_at", problems)
        t = self.reported_at.time()
        reported = (
            datetime.combine(reported_day, time(t.hour(), t.minute())) if reported_day else None
        )
        session = self.chosen_session()
        whole = session is not None and self.lots.whole()
        lot_ids = self.lots.lot_ids() if session is not None and not whole else ()
        data = SideEffectInput(
            kind=self.kind.value(),
            onset_on=onset,
            grade=self.grade.value() or None,
            outcome=self.outcome.value(),
            causality=self.causality.value(),
            resolved_on=resolved,
            pain_nrs=self.pain.currentData() if self.pain.isEnabled() else None,
            serious=self.serious.isChecked(),
            body_area=self.area.value() if self.area.isEnabled() else None,
            session_id=session.id if session else None,
            lot_ids=lot_ids,
            suspects_blend=whole,
            action_taken=self.action.value(),
            reported_via=self.via.value(),
            reported_at=reported,
            recorded_by_id=self.recorded_by.currentData(),
            kind_note=self.kind_note.text() if self.kind_note.isEnabled() else "",
            body_area_note=self.area_note.text() if self.area_note.isEnabled() else "",
            action_note=self.action_note.text() if self.action_note.isEnabled() else "",
            notes=self.notes.toPlainText(),
        )
        first = None
        if session is not None:
            same = [
                s.started_at.date()
                for s in self.record.sessions
                if s.course_id == session.course_id
            ]
            first = min(same)
        elif self.record.sessions:
            first = min(s.started_at.date() for s in self.record.sessions)
        return validated(
            problems,
            lambda: data.validated(
                self.context.services.clock.now(),
                first_session_on=first,
                suspected_session_on=session.started_at.date() if session else None,
            ),
        )

    def save(self) -> None:
        """Save once the coherence rules are answered: the first Save shows their questions
        and warnings beside the fields; a Save with nothing new to show confirms them."""
        data = self.checked_input()
        if data is None:
            return
        service = self.context.services.side_effects
        patient_id = self.patient.id
        effect_id = self.effect.id if self.effect else None
        self.context.runner.run(
            lambda: service.side_effect_findings(patient_id, data, effect_id)
        ).success(lambda findings: self._reviewed(data, findings)).failure(self.failed)

    def _reviewed(self, data: SideEffectInput, findings: list[Finding]) -> None:
        self.buttons.setEnabled(True)
        if not self.review_findings(findings):
            return
        confirmed = [f.rule for f in findings if f.level is Level.ASK]
        service = self.context.services.side_effects
        effect = self.effect
        if effect is None:
            patient_id = self.patient.id
            job = self.context.runner.run(
                lambda: service.record_side_effect(patient_id, data, confirmed=confirmed)
            )
        else:
            job = self.context.runner.run(
                lambda: service.update_side_effect(effect.id, data, confirmed=confirmed)
            )
        self.buttons.setEnabled(False)
        job.success(self.saved_result).failure(self._save_failed)

    def _save_failed(self, error: BaseException) -> None:
        if isinstance(error, SafetyQuestions):  # the record changed meanwhile: ask again
            self.buttons.setEnabled(True)
            self.safety_seen -= {f.rule for f in error.questions}
            self.review_findings(error.findings)
            return
        self.failed(error)

    @classmethod
    def ask(
        cls,
        parent: QWidget,
        context: AppContext,
        record: PatientRecord,
        effect: SideEffect | None,
        session_id: int | None = None,
    ) -> Any:
        """The service's Result once saved; None when cancelled."""
        dialog = cls(context, record, effect, session_id, parent)
        dialog.exec()
        return dialog.saved


class ResolveDialog(FormDialog):
    """When an ongoing side effect resolved: the day asked (today proposed), and whether it left
    anything behind. Nothing is changed until Save, so a click on Mark resolved by mistake
    costs nothing."""

    def __init__(self, context: AppContext, effect: SideEffect, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.effect = effect
        formats = context.formats
        self.setWindowTitle(self.tr("Mark resolved"))
        intro = QLabel(
            arg(
                self.tr("“%1”, onset %2: on which day did it resolve?"),
                effect.title,
                formats.date(effect.onset_on),
            )
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.day = DateField(formats)
        self.day.set_value(max(context.services.clock.today(), effect.onset_on))
        self.outcome = EnumCombo(AEOutcome, (AEOutcome.RESOLVED, AEOutcome.SEQUELAE))
        form = QFormLayout()
        self.add_row(form, self.tr("Resolved on *"), "resolved_on", self.day, marked=self.day.edit)
        self.add_row(form, self.tr("Outcome"), "outcome", self.outcome)
        self.finish_layout(intro, form)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 60)
        self.day.edit.setFocus()
        self.day.edit.selectAll()

    def collect(self) -> tuple[Any, AEOutcome]:
        problems: dict[str, str] = {}
        day = self.date_of(self.day, "resolved_on", problems)
        if day is None and not problems:
            problems["resolved_on"] = self.tr("Say on which day it resolved.")
        if problems:
            raise ValidationError(problems)
        return day, self.outcome.value()

    def save(self) -> None:
        data = self.checked_input()
        if data is None:
            return
        day, outcome = data
        service = self.context.services.side_effects
        effect_id = self.effect.id
        self.context.runner.run(
            lambda: service.resolve_side_effect(effect_id, day, outcome)
        ).success(self.saved_value).failure(self.failed)

    @classmethod
    def ask(cls, context: AppContext, effect: SideEffect, parent: QWidget | None = None) -> Any:
        """The service's Result once saved; None when cancelled."""
        return cls(context, effect, parent).result_if_saved()
