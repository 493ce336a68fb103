"""The top of a patient's record: identity, and the safety facts (allergies,
contraindications) that nobody may miss, in colour and in words."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.dates import age_on
from mesodesk.domain.patients import Patient
from mesodesk.ui.i18n import arg
from mesodesk.ui.labels import Formats, label
from mesodesk.ui.widgets import warning_banner


def safety_text(patient: Patient, tr: object) -> str:
    """Allergies and contraindications in words ('' when there are none)."""
    translate = tr  # QObject.tr of the caller, so the text lands in its context
    parts = []
    if patient.allergies:
        parts.append(arg(translate("ALLERGIES: %1"), ", ".join(patient.allergies)))  # type: ignore[operator]
    if patient.contraindications:
        items = sorted(label(c) for c in patient.contraindications)
        parts.append(arg(translate("CONTRAINDICATIONS: %1"), "; ".join(items)))  # type: ignore[operator]
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
        # a long name wraps rather than widening the record (and the main window) past the
        # screen, which would push the record's buttons off its right edge
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel()
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle.setWordWrap(True)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = warning_banner("")
        self.no_alerts = QLabel(self.tr("No known allergies or contraindications recorded."))
        self.no_alerts.setStyleSheet("color: #2e6b30;")
        # the medical notes, read-only, in a box of a few lines that scrolls: on the record
        # screen where they are read before treating, not only under Edit and in the PDF
        self.notes_caption = QLabel(self.tr("Medical notes"))
        self.notes_caption.setStyleSheet("font-weight: bold;")
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("medical_notes")
        self.notes.setReadOnly(True)
        self.notes.setTabChangesFocus(True)
        self.notes.setFrameShape(QFrame.Shape.StyledPanel)
        lines = 3
        margins = self.notes.contentsMargins()
        height = (
            self.notes.fontMetrics().lineSpacing() * lines
            + 2 * int(self.notes.document().documentMargin())
            + margins.top()
            + margins.bottom()
        )
        self.notes.setFixedHeight(height)
        self.notes_caption.setBuddy(self.notes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.banner)
        layout.addWidget(self.no_alerts)
        layout.addWidget(self.notes_caption)
        layout.addWidget(self.notes)

    def show_patient(self, p: Patient, today: date) -> None:
        archived = self.tr("  [archived]") if p.archived else ""
        self.title.setText(f"{p.last_name}, {p.first_name}{archived}")
        self.subtitle.setText(
            arg(
                self.tr("%1 · born %2 (%3 years) · %4"),
                p.record_no,
                self.formats.date(p.birth_date),
                str(age_on(p.birth_date, today)),
                label(p.sex),
            )
        )
        text = safety_text(p, self.tr)
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self.no_alerts.setVisible(not text)
        if self.notes.toPlainText() != p.medical_notes:
            self.notes.setPlainText(p.medical_notes)
        self.notes.setToolTip(
            self.tr("Medical notes, as recorded under Edit patient") if p.medical_notes else ""
        )
        self.notes_caption.setVisible(bool(p.medical_notes))
        self.notes.setVisible(bool(p.medical_notes))
