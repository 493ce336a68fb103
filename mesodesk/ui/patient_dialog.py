"""Registering a patient or editing one: every field with its error right beside it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.enums import Contraindication, Sex
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.patients import (
    MAX_EMAIL,
    MAX_NAME,
    MAX_PHONE,
    Patient,
    PatientInput,
)
from mesodesk.services.registry import Services
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats, label
from mesodesk.ui.widgets import DateField, ErrorLabel, mark_invalid


class PatientDialog(QDialog):
    def __init__(
        self,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        patient: Patient | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.formats = formats
        self.patient = patient
        self.saved: Patient | None = None
        self.setWindowTitle(
            self.tr("New patient")
            if patient is None
            else self.tr("Edit patient %1").replace("%1", patient.record_no)
        )
        self.setModal(True)
        self.errors: dict[str, ErrorLabel] = {}
        self.fields: dict[str, QWidget] = {}

        self.first_name = self._line("first_name", MAX_NAME)
        self.last_name = self._line("last_name", MAX_NAME)
        self.birth_date = DateField(formats)
        self.sex = QComboBox()
        for value in Sex:
            self.sex.addItem(label(value), value)
        self.phone = self._line("phone", MAX_PHONE)
        self.phone.setPlaceholderText("+1 555 123 4567")
        self.email = self._line("email", MAX_EMAIL)
        self.email.setPlaceholderText("name@example.com")
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(56)
        self.consent_date = DateField(formats)

        identity = QGroupBox(self.tr("Identity and contact"))
        form = QFormLayout(identity)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self._add(form, self.tr("First name *"), "first_name", self.first_name)
        self._add(form, self.tr("Last name *"), "last_name", self.last_name)
        self._add(form, self.tr("Date of birth *"), "birth_date", self.birth_date)
        self._add(form, self.tr("Sex"), "sex", self.sex)
        self._add(form, self.tr("Phone"), "phone", self.phone)
        self._add(form, self.tr("E-mail"), "email", self.email)
        self._add(form, self.tr("Address"), "address", self.address)
        self._add(form, self.tr("Consent signed on"), "consent_date", self.consent_date)

        self.allergies = QLineEdit()
        self.allergies.setPlaceholderText(self.tr("e.g. Lidocaine, Latex (separate with commas)"))
        self.checks: dict[Contraindication, QCheckBox] = {}
        safety = QGroupBox(self.tr("Safety"))
        safety_layout = QVBoxLayout(safety)
        allergy_form = QFormLayout()
        self._add(allergy_form, self.tr("Allergies"), "allergies", self.allergies)
        safety_layout.addLayout(allergy_form)
        safety_layout.addWidget(QLabel(self.tr("Contraindications asked at consultation:")))
        grid = QGridLayout()
        grid.setContentsMargins(12, 0, 0, 0)
        for i, item in enumerate(Contraindication):
            box = QCheckBox(label(item))
            self.checks[item] = box
            grid.addWidget(box, i, 0)
        safety_layout.addLayout(grid)
        self.errors["contraindications"] = ErrorLabel()
        safety_layout.addWidget(self.errors["contraindications"])
        self.contraindication_note = QPlainTextEdit()
        self.contraindication_note.setTabChangesFocus(True)
        self.contraindication_note.setPlaceholderText(self.tr("Details, medication, dates…"))
        self.contraindication_note.setFixedHeight(56)
        note_form = QFormLayout()
        self._add(note_form, self.tr("Note"), "contraindication_note", self.contraindication_note)
        safety_layout.addLayout(note_form)
        safety_layout.addStretch(1)

        self.medical_notes = QPlainTextEdit()
        self.medical_notes.setTabChangesFocus(True)
        self.medical_notes.setPlaceholderText(self.tr("Medical history, medication, remarks"))
        notes_box = QGroupBox(self.tr("Medical notes"))
        notes_layout = QVBoxLayout(notes_box)
        notes_layout.addWidget(self.medical_notes)
        self.fields["medical_notes"] = self.medical_notes
        self.errors["medical_notes"] = ErrorLabel()
        notes_layout.addWidget(self.errors["medical_notes"])

        self.form_error = ErrorLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        columns = QHBoxLayout()
        columns.addWidget(identity, 1)
        columns.addWidget(safety, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(notes_box, 1)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)
        self.resize(900, 640)

        if patient is not None:
            self._load(patient)
        for widget in self.fields.values():
            signal = getattr(widget, "textChanged", None) or getattr(widget, "changed", None)
            if signal is not None:
                signal.connect(self._clear_errors_of(widget))

    # -- building ------------------------------------------------------------------------------

    def _line(self, key: str, limit: int) -> QLineEdit:
        edit = QLineEdit()
        edit.setMaxLength(limit)
        return edit

    def _add(self, form: QFormLayout, text: str, key: str, widget: QWidget) -> None:
        error = ErrorLabel()
        self.errors[key] = error
        self.fields[key] = widget
        box = QWidget()
        inner = QVBoxLayout(box)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(1)
        inner.addWidget(widget)
        inner.addWidget(error)
        caption = QLabel(text)
        caption.setBuddy(widget)
        form.addRow(caption, box)

    def _clear_errors_of(self, widget: QWidget) -> Any:
        def clear() -> None:
            for key, field in self.fields.items():
                if field is widget:
                    self.errors[key].show_message("")
                    mark_invalid(field, False)

        return clear

    def _load(self, p: Patient) -> None:
        self.first_name.setText(p.first_name)
        self.last_name.setText(p.last_name)
        self.birth_date.set_value(p.birth_date)
        self.sex.setCurrentIndex(max(0, self.sex.findData(p.sex)))
        self.phone.setText(p.phone)
        self.email.setText(p.email)
        self.address.setPlainText(p.address)
        self.consent_date.set_value(p.consent_date)
        self.allergies.setText(", ".join(p.allergies))
        for item, box in self.checks.items():
            box.setChecked(item in p.contraindications)
        self.contraindication_note.setPlainText(p.contraindication_note)
        self.medical_notes.setPlainText(p.medical_notes)

    # -- saving --------------------------------------------------------------------------------

    def collect(self) -> PatientInput:
        """What the form holds, checked by the domain rules. Raises ValidationError."""
        problems: dict[str, str] = {}
        dates = {}
        for key, field, name in (
            ("birth_date", self.birth_date, self.tr("Date of birth")),
            ("consent_date", self.consent_date, self.tr("Consent date")),
        ):
            try:
                dates[key] = field.value()
            except ValueError:
                problems[key] = (
                    self.tr("%1 is not a date; write it as %2.")
                    .replace("%1", name)
                    .replace("%2", self.formats.date_hint)
                )
                dates[key] = None
        data = PatientInput(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            birth_date=dates["birth_date"],
            sex=self.sex.currentData(),
            phone=self.phone.text(),
            email=self.email.text(),
            address=self.address.toPlainText(),
            allergies=tuple(a for a in self.allergies.text().replace(";", ",").split(",")),
            contraindications=frozenset(c for c, box in self.checks.items() if box.isChecked()),
            contraindication_note=self.contraindication_note.toPlainText(),
            medical_notes=self.medical_notes.toPlainText(),
            consent_date=dates["consent_date"],
        )
        try:
            clean = data.validated(self.services.clock.today())
        except ValidationError as exc:
            # A date that could not be read already has its own message.
            for key, message in exc.errors.items():
                problems.setdefault(key, message)
        if problems:
            raise ValidationError(problems)
        return clean

    def show_errors(self, errors: dict[str, str]) -> None:
        first: QWidget | None = None
        for key, label_widget in self.errors.items():
            message = errors.get(key, "")
            label_widget.show_message(message)
            field = self.fields.get(key)
            if field is not None:
                mark_invalid(field, bool(message))
                if message and first is None:
                    first = field
        unknown = [m for k, m in errors.items() if k not in self.errors]
        self.form_error.show_message(" ".join(unknown))
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def save(self) -> None:
        try:
            data = self.collect()
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        self.show_errors({})
        self.buttons.setEnabled(False)
        patients = self.services.patients
        patient = self.patient
        if patient is not None:
            self.runner.run(lambda: patients.update(patient.id, data)).success(self._saved).failure(
                self._failed
            )
            return
        self.runner.run(
            lambda: patients.find_same_person(data.first_name, data.last_name, data.birth_date)
        ).success(lambda same: self._create(data, same)).failure(self._failed)

    def _create(self, data: PatientInput, same: list[Any]) -> None:
        if same and not self.confirm_second_record(", ".join(r.record_no for r in same)):
            self.buttons.setEnabled(True)
            return
        patients = self.services.patients
        self.runner.run(lambda: patients.create(data)).success(self._saved).failure(self._failed)

    def confirm_second_record(self, numbers: str) -> bool:
        """Warn before a second record for the same person."""
        answer = QMessageBox.question(
            self,
            self.tr("Already registered?"),
            self.tr(
                "A patient with the same name and date of birth is already registered (%1). "
                "Register a new record anyway?"
            ).replace("%1", numbers),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _saved(self, result: Any) -> None:
        self.saved = result.value
        self.changes = result.changes
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(error, ValidationError):
            self.show_errors(error.errors)
        else:
            self.form_error.show_message(str(error) or type(error).__name__)

    @classmethod
    def ask(
        cls,
        parent: QWidget,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        patient: Patient | None = None,
    ) -> Any:
        """Open the dialog; the service's Result once saved, None when cancelled."""
        dialog = cls(services, runner, formats, patient, parent)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.saved is not None:
            from mesodesk.services.changes import Result

            return Result(dialog.saved, dialog.changes)
        return None
