"""Registering a patient or editing one: every field with its error right beside it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.enums import Contraindication, Sex
from mesodesk.domain.patients import (
    MAX_EMAIL,
    MAX_GUARDIAN,
    MAX_NAME,
    MAX_PHONE,
    Patient,
    PatientInput,
)
from mesodesk.services.registry import Services
from mesodesk.ui.form import FormDialog, validated
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats, label
from mesodesk.ui.widgets import DateField, EnumCombo, ask_yes_no


class PatientDialog(FormDialog):
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
            else arg(self.tr("Edit patient %1"), patient.record_no)
        )

        identity = self._identity_group(formats)

        safety = self._safety_group()

        self.medical_notes = QPlainTextEdit()
        self.medical_notes.setTabChangesFocus(True)
        self.medical_notes.setPlaceholderText(self.tr("Medical history, medication, remarks"))
        notes_box = QGroupBox(self.tr("Medical notes"))
        notes_layout = QVBoxLayout(notes_box)
        notes_layout.addWidget(self.medical_notes)
        self.add_error_for("medical_notes", self.medical_notes, notes_layout)

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

    def _identity_group(self, formats: Formats) -> QGroupBox:
        """Identity and contact: names, birth date, sex, phone, e-mail, address, consent and
        guardian."""
        self.first_name = self._line("first_name", MAX_NAME)
        self.last_name = self._line("last_name", MAX_NAME)
        self.birth_date = DateField(formats)
        self.sex = EnumCombo(Sex)
        self.phone = self._line("phone", MAX_PHONE)
        self.phone.setPlaceholderText("+1 555 123 4567")
        self.email = self._line("email", MAX_EMAIL)
        self.email.setPlaceholderText("name@example.com")
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(56)
        self.consent_date = DateField(formats)
        self.guardian = self._line("guardian_name", MAX_GUARDIAN)
        self.guardian.setPlaceholderText(self.tr("Under 18: who consented (name, relation)"))

        identity = QGroupBox(self.tr("Identity and contact"))
        form = QFormLayout(identity)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.add_row(form, self.tr("First name *"), "first_name", self.first_name)
        self.add_row(form, self.tr("Last name *"), "last_name", self.last_name)
        self.add_row(form, self.tr("Date of birth *"), "birth_date", self.birth_date)
        self.add_row(form, self.tr("Sex"), "sex", self.sex)
        self.add_row(form, self.tr("Phone"), "phone", self.phone)
        self.add_row(form, self.tr("E-mail"), "email", self.email)
        self.add_row(form, self.tr("Address"), "address", self.address)
        self.add_row(form, self.tr("Consent signed on"), "consent_date", self.consent_date)
        self.add_row(form, self.tr("Guardian"), "guardian_name", self.guardian)
        return identity

    def _safety_group(self) -> QGroupBox:
        """Allergies and the contraindications asked at consultation (domain.safety), with a
        note."""
        self.allergies = QLineEdit()
        self.allergies.setPlaceholderText(self.tr("e.g. Lidocaine, Latex (separate with commas)"))
        self.checks: dict[Contraindication, QCheckBox] = {}
        safety = QGroupBox(self.tr("Safety"))
        safety_layout = QVBoxLayout(safety)
        allergy_form = QFormLayout()
        self.add_row(allergy_form, self.tr("Allergies"), "allergies", self.allergies)
        safety_layout.addLayout(allergy_form)
        safety_layout.addWidget(QLabel(self.tr("Contraindications asked at consultation:")))
        grid = QGridLayout()
        grid.setContentsMargins(12, 0, 0, 0)
        for i, item in enumerate(Contraindication):
            box = QCheckBox(label(item))
            self.checks[item] = box
            grid.addWidget(box, i, 0)
        safety_layout.addLayout(grid)
        self.add_error_for("contraindications", QWidget(), safety_layout)
        self.contraindication_note = QPlainTextEdit()
        self.contraindication_note.setTabChangesFocus(True)
        self.contraindication_note.setPlaceholderText(self.tr("Details, medication, dates…"))
        self.contraindication_note.setFixedHeight(56)
        note_form = QFormLayout()
        self.add_row(
            note_form, self.tr("Note"), "contraindication_note", self.contraindication_note
        )
        safety_layout.addLayout(note_form)
        safety_layout.addStretch(1)
        return safety

    # -- building ------------------------------------------------------------------------------

    def _line(self, key: str, limit: int) -> QLineEdit:
        edit = QLineEdit()
        edit.setMaxLength(limit)
        return edit

    def _load(self, p: Patient) -> None:
        self.first_name.setText(p.first_name)
        self.last_name.setText(p.last_name)
        self.birth_date.set_value(p.birth_date)
        self.sex.set_value(p.sex)
        self.phone.setText(p.phone)
        self.email.setText(p.email)
        self.address.setPlainText(p.address)
        self.consent_date.set_value(p.consent_date)
        self.guardian.setText(p.guardian_name)
        self.allergies.setText(", ".join(p.allergies))
        for item, box in self.checks.items():
            box.setChecked(item in p.contraindications)
        self.contraindication_note.setPlainText(p.contraindication_note)
        self.medical_notes.setPlainText(p.medical_notes)

    # -- saving --------------------------------------------------------------------------------

    def collect(self) -> PatientInput:
        """What the form holds, checked by the domain rules. Raises ValidationError."""
        problems: dict[str, str] = {}
        birth_date = self.date_of(self.birth_date, "birth_date", problems, self.tr("Date of birth"))
        consent_date = self.date_of(
            self.consent_date, "consent_date", problems, self.tr("Consent date")
        )
        data = PatientInput(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            birth_date=birth_date,
            sex=self.sex.value(),
            phone=self.phone.text(),
            email=self.email.text(),
            address=self.address.toPlainText(),
            allergies=tuple(a for a in self.allergies.text().replace(";", ",").split(",")),
            contraindications=frozenset(c for c, box in self.checks.items() if box.isChecked()),
            contraindication_note=self.contraindication_note.toPlainText(),
            medical_notes=self.medical_notes.toPlainText(),
            consent_date=consent_date,
            guardian_name=self.guardian.text(),
        )
        return validated(problems, lambda: data.validated(self.services.clock.today()))

    def save(self) -> None:
        data = self.checked_input()
        if data is None:
            return
        patients = self.services.patients
        patient = self.patient
        if patient is not None:
            self.runner.run(lambda: patients.update(patient.id, data)).success(
                self.saved_value
            ).failure(self.failed)
            return
        self.runner.run(
            lambda: patients.find_same_person(data.first_name, data.last_name, data.birth_date)
        ).success(lambda same: self._create(data, same)).failure(self.failed)

    def _create(self, data: PatientInput, same: list[Any]) -> None:
        if same and not self.confirm_second_record(", ".join(r.record_no for r in same)):
            self.buttons.setEnabled(True)
            return
        patients = self.services.patients
        self.runner.run(lambda: patients.create(data)).success(self.saved_value).failure(
            self.failed
        )

    def confirm_second_record(self, numbers: str) -> bool:
        """Warn before a second record for the same person."""
        return ask_yes_no(
            self,
            self.tr("Already registered?"),
            arg(
                self.tr(
                    "A patient with the same name and date of birth is already registered (%1). "
                    "Register a new record anyway?"
                ),
                numbers,
            ),
        )

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
        return cls(services, runner, formats, patient, parent).result_if_saved()
