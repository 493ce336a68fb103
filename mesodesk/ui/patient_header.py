"""A patient's page: identity, and the safety facts (allergies, contraindications) that nobody
may miss, in colour and in words."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.dates import age_on
from mesodesk.domain.patients import Patient
from mesodesk.ui.labels import Formats, label
from mesodesk.ui.widgets import warning_banner


def safety_text(patient: Patient, tr: object) -> str:
    """Allergies and contraindications in words ('' when there are none)."""
    translate = tr  # QObject.tr of the caller, so the text lands in its context
    parts = []
    if patient.allergies:
        parts.append(translate("ALLERGIES: %1").replace("%1", ", ".join(patient.allergies)))  # type: ignore[operator]
    if patient.contraindications:
        items = sorted(label(c) for c in patient.contraindications)
        parts.append(translate("CONTRAINDICATIONS: %1").replace("%1", "; ".join(items)))  # type: ignore[operator]
    if patient.contraindication_note:
        parts.append(patient.contraindication_note)
    return "\n".join(parts)


class PatientHeader(QFrame):
    """Name, record number, age and the safety banner: the top of every patient view."""

    def __init__(self, formats: Formats, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.formats = formats
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel()
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = warning_banner("")
        self.no_alerts = QLabel(self.tr("No known allergies or contraindications recorded."))
        self.no_alerts.setStyleSheet("color: #2e6b30;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.banner)
        layout.addWidget(self.no_alerts)

    def show_patient(self, p: Patient, today: date) -> None:
        archived = self.tr("  [archived]") if p.archived else ""
        self.title.setText(f"{p.last_name}, {p.first_name}{archived}")
        self.subtitle.setText(
            self.tr("%1 · born %2 (%3 years) · %4")
            .replace("%1", p.record_no)
            .replace("%2", self.formats.date(p.birth_date))
            .replace("%3", str(age_on(p.birth_date, today)))
            .replace("%4", label(p.sex))
        )
        text = safety_text(p, self.tr)
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self.no_alerts.setVisible(not text)


class PatientPage(QWidget):
    """The read-only page of one patient, with Edit and Archive at hand."""

    edit_requested = Signal(int)
    archive_requested = Signal(int)

    def __init__(self, formats: Formats, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.formats = formats
        self.patient: Patient | None = None
        self.header = PatientHeader(formats)
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.archive_button = QPushButton(self.tr("&Archive…"))
        self.edit_button.clicked.connect(lambda: self._emit(self.edit_requested))
        self.archive_button.clicked.connect(lambda: self._emit(self.archive_requested))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.archive_button)

        self.details = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for key, caption in (
            ("phone", self.tr("Phone")),
            ("email", self.tr("E-mail")),
            ("address", self.tr("Address")),
            ("consent", self.tr("Consent signed")),
            ("last_session", self.tr("Last session")),
            ("next_due", self.tr("Next due")),
            ("registered", self.tr("Registered")),
        ):
            value = QLabel()
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.values[key] = value
            self.details.addRow(caption, value)
        self.notes = QPlainTextEdit()
        self.notes.setReadOnly(True)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(self.details)
        body_layout.addWidget(QLabel(self.tr("Medical notes")))
        body_layout.addWidget(self.notes, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addLayout(buttons)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)

    def _emit(self, signal: Any) -> None:
        if self.patient is not None:
            signal.emit(self.patient.id)

    def show_patient(self, p: Patient) -> None:
        self.patient = p
        today = date.today()
        self.header.show_patient(p, today)
        f = self.formats
        self.values["phone"].setText(p.phone or "—")
        self.values["email"].setText(p.email or "—")
        self.values["address"].setText(p.address or "—")
        self.values["consent"].setText(f.date(p.consent_date) or self.tr("not recorded"))
        self.values["last_session"].setText(f.datetime(p.last_session_at) or "—")
        self.values["next_due"].setText(f.date(p.next_due) or "—")
        self.values["registered"].setText(f.date(p.created_at.date()))
        self.notes.setPlainText(p.medical_notes)
        self.archive_button.setText(self.tr("Un&archive…") if p.archived else self.tr("&Archive…"))
