"""What the specialist's PDF summary holds, and the choices a clinician makes for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from mesodesk.domain.errors import ValidationError
from mesodesk.domain.settings import ClinicSettings, Paper


class Section(StrEnum):
    SAFETY = "safety"
    COURSES = "courses"
    SESSIONS = "sessions"
    SIDE_EFFECTS = "side_effects"
    CHARTS = "charts"
    NOTES = "notes"

    @property
    def label(self) -> str:
        return {
            "safety": "Allergies and contraindications",
            "courses": "Courses",
            "sessions": "Sessions",
            "side_effects": "Side effects",
            "charts": "Charts",
            "notes": "Notes",
        }[self.value]


@dataclass(frozen=True)
class SummaryOptions:
    date_from: date | None = None
    date_to: date | None = None
    sections: frozenset[Section] = frozenset(Section)
    deidentify: bool = False
    paper: Paper = Paper.A4

    def validated(self) -> SummaryOptions:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValidationError.single("date_to", "The end of the period is before its start.")
        return self

    def includes(self, day: date) -> bool:
        return (self.date_from is None or day >= self.date_from) and (
            self.date_to is None or day <= self.date_to
        )


@dataclass(frozen=True)
class SummaryInput:
    """Everything the summary prints: the record, the clinic, and the figures already drawn."""

    record: object  # mesodesk.domain.treatment.PatientRecord
    clinic: ClinicSettings
    made_at: datetime
    author: str = ""
    charts: tuple[object, ...] = field(default=())  # matplotlib Figures, drawn by the caller
    anchor: str = ""  # the audit trail's head when it was made: "ENTRY:SEAL16", in the footer
