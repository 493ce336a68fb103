"""What the specialist's PDF summary holds, and the choices a clinician makes for it: the
period, the sections, the paper, and how much of the patient's identity goes out with it
(identified, pseudonymised or de-identified; ``redact`` applies the choice to the record)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from mesodesk.domain.dates import age_on
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.i18n import QT_TRANSLATE_NOOP
from mesodesk.domain.settings import ClinicSettings, Paper
from mesodesk.domain.treatment import PatientRecord


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
            "safety": QT_TRANSLATE_NOOP("Values", "Allergies and contraindications"),
            "courses": QT_TRANSLATE_NOOP("Values", "Courses"),
            "sessions": QT_TRANSLATE_NOOP("Values", "Sessions"),
            "side_effects": QT_TRANSLATE_NOOP("Values", "Side effects"),
            "charts": QT_TRANSLATE_NOOP("Values", "Charts"),
            "notes": QT_TRANSLATE_NOOP("Values", "Notes"),
        }[self.value]


class Privacy(StrEnum):
    """How much of the patient's identity the summary carries.

    - identified: name, record number, date of birth, contact details, everything typed.
    - pseudonymised: a one-time code instead of name, initials and record number; no date of
      birth or contact details (sex and age band instead); dates kept; free text left out
      unless the practitioner includes each field (``FreeText``).
    - de-identified, in the manner of HIPAA's Safe Harbor method (45 CFR 164.514(b)(2)): the
      one-time code; every date as days from the first session (only years kept); age in
      bands, 90 and over as one; no free text; no practitioner names.
    """

    IDENTIFIED = "identified"
    PSEUDONYMISED = "pseudonymised"
    DEIDENTIFIED = "deidentified"

    @property
    def label(self) -> str:
        return {
            "identified": QT_TRANSLATE_NOOP("Values", "Identified"),
            "pseudonymised": QT_TRANSLATE_NOOP("Values", "Pseudonymised"),
            "deidentified": QT_TRANSLATE_NOOP("Values", "De-identified"),
        }[self.value]


class FreeText(StrEnum):
    """The fields a person types freely: any of them may name the patient, so a pseudonymised
    summary leaves each out unless the practitioner includes it."""

    ALLERGIES = "allergies"
    CONTRAINDICATION_NOTE = "contraindication_note"
    MEDICAL_NOTES = "medical_notes"
    COURSE_NOTES = "course_notes"
    SESSION_NOTES = "session_notes"
    SIDE_EFFECT_NOTES = "side_effect_notes"

    @property
    def label(self) -> str:
        return {
            "allergies": QT_TRANSLATE_NOOP("Values", "Allergies (as typed)"),
            "contraindication_note": QT_TRANSLATE_NOOP("Values", "Contraindication note"),
            "medical_notes": QT_TRANSLATE_NOOP("Values", "Medical notes"),
            "course_notes": QT_TRANSLATE_NOOP(
                "Values", "Course notes, other indications and reasons for stopping"
            ),
            "session_notes": QT_TRANSLATE_NOOP("Values", "Session notes"),
            "side_effect_notes": QT_TRANSLATE_NOOP("Values", "Side-effect descriptions and notes"),
        }[self.value]

    @classmethod
    def parse(cls, value: str) -> FreeText:
        text = value.strip().lower().replace("-", "_")
        for member in cls:
            if text in (member.value, member.name.lower()):
                return member
        raise ValueError(value)


@dataclass(frozen=True)
class SummaryOptions:
    date_from: date | None = None
    date_to: date | None = None
    sections: frozenset[Section] = frozenset(Section)
    privacy: Privacy = Privacy.IDENTIFIED
    # the free-text fields a pseudonymised summary includes (identified: all; de-identified:
    # none)
    free_text: frozenset[FreeText] = frozenset()
    paper: Paper = Paper.A4

    def validated(self) -> SummaryOptions:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValidationError.single("date_to", "The end of the period is before its start.")
        if self.privacy is Privacy.DEIDENTIFIED and self.free_text:
            raise ValidationError.single(
                "free_text", "A de-identified summary carries no free text: choose pseudonymised."
            )
        return self

    @property
    def redacted(self) -> bool:
        return self.privacy is not Privacy.IDENTIFIED

    @property
    def relative_dates(self) -> bool:
        return self.privacy is Privacy.DEIDENTIFIED

    def shows(self, text: FreeText) -> bool:
        if self.privacy is Privacy.IDENTIFIED:
            return True
        return self.privacy is Privacy.PSEUDONYMISED and text in self.free_text

    def includes(self, day: date) -> bool:
        return (self.date_from is None or day >= self.date_from) and (
            self.date_to is None or day <= self.date_to
        )


# -- de-identification -------------------------------------------------------------------------

# no 0/O, 1/I/L: a code read over the phone is not misheard
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def one_time_code() -> str:
    """A code for one pseudonymised or de-identified summary: random, so not derived from
    anything about the patient (Safe Harbor allows such a re-identification code, 45 CFR
    164.514(c)); the clinic finds the patient again through the audit entry of the export."""
    return "P-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def redacted_file_name(code: str, privacy: Privacy) -> str:
    """The file name of a pseudonymised or de-identified summary: its code, nothing of the
    patient's (nor, de-identified, the date)."""
    return f"Summary {code} ({privacy.label.lower()}).pdf"


def age_band(birth: date, on: date) -> str:
    """Five-year bands; 90 and over as one category (Safe Harbor, 45 CFR
    164.514(b)(2)(i)(C): ages over 89 are aggregated into a single category of 90 or older).
    Under 18 is its own band: a minor needs a guardian's consent (DOMAIN.md)."""
    age = age_on(birth, on)
    if age >= 90:
        return "90 or older"
    if age < 18:
        return "under 18"
    low = max(18, age - age % 5)
    high = age - age % 5 + 4
    return f"{low}–{high}"


def first_day(record: PatientRecord, today: date) -> date:
    """Day 0 of a de-identified summary: the patient's first session (else the first course
    start or side effect, else today)."""
    days = [s.started_at.date() for s in record.sessions]
    if not days:
        days = [c.started_on for c in record.courses] + [e.onset_on for e in record.side_effects]
    return min(days) if days else today


def relative_day(day: date, zero: date) -> str:
    n = (day - zero).days
    return f"day {n}" if n >= 0 else f"day −{-n}"


@dataclass(frozen=True)
class Redacted:
    """A record with what the chosen privacy leaves out taken out, and what was: the
    renderer prints from this record only, so a field it forgets cannot leak."""

    record: PatientRecord
    code: str
    left_out: dict[FreeText, int]  # how many entries of each field were left out


def redact(record: PatientRecord, options: SummaryOptions, code: str) -> Redacted:
    """The record as a pseudonymised or de-identified summary may show it (identified: as
    it is). Names, initials, contact details and the record number go (the record number
    becomes the one-time code); free text goes unless ``options.shows`` it; practitioner names
    go when de-identified. The date of birth stays in the record for the age band, and is never
    printed by a redacted summary."""
    if not options.redacted:
        return Redacted(record, "", {})
    left: dict[FreeText, int] = {}

    def keep(kind: FreeText, value: str) -> str:
        if not value:
            return value
        if options.shows(kind):
            return value
        left[kind] = left.get(kind, 0) + 1
        return ""

    p = record.patient
    allergies = tuple(p.allergies)
    if allergies and not options.shows(FreeText.ALLERGIES):
        left[FreeText.ALLERGIES] = len(allergies)
        allergies = ()
    patient = replace(
        p,
        record_no=code,
        first_name="",
        last_name="",
        phone="",
        email="",
        address="",
        guardian_name="",
        allergies=allergies,
        contraindication_note=keep(FreeText.CONTRAINDICATION_NOTE, p.contraindication_note),
        medical_notes=keep(FreeText.MEDICAL_NOTES, p.medical_notes),
        consent_date=None,
    )
    courses = tuple(
        replace(
            c,
            notes=keep(FreeText.COURSE_NOTES, c.notes),
            indication_note=keep(FreeText.COURSE_NOTES, c.indication_note),
            end_reason=keep(FreeText.COURSE_NOTES, c.end_reason),
        )
        for c in record.courses
    )
    anonymous = options.privacy is Privacy.DEIDENTIFIED
    sessions = tuple(
        replace(
            s,
            notes=keep(FreeText.SESSION_NOTES, s.notes),
            override_reason=keep(FreeText.SESSION_NOTES, s.override_reason),
            practitioner="" if anonymous else s.practitioner,
            practitioner_id=None if anonymous else s.practitioner_id,
        )
        for s in record.sessions
    )
    effects = tuple(
        replace(
            e,
            kind_note=keep(FreeText.SIDE_EFFECT_NOTES, e.kind_note),
            body_area_note=keep(FreeText.SIDE_EFFECT_NOTES, e.body_area_note),
            action_note=keep(FreeText.SIDE_EFFECT_NOTES, e.action_note),
            notes=keep(FreeText.SIDE_EFFECT_NOTES, e.notes),
            recorded_by_id=None if anonymous else e.recorded_by_id,
        )
        for e in record.side_effects
    )
    outcomes = tuple(
        replace(
            o,
            notes=keep(FreeText.COURSE_NOTES, o.notes),
            assessor="" if anonymous else o.assessor,
            assessor_id=None if anonymous else o.assessor_id,
        )
        for o in record.outcomes
    )
    redacted = replace(
        record,
        patient=patient,
        courses=courses,
        sessions=sessions,
        side_effects=effects,
        outcomes=outcomes,
    )
    return Redacted(redacted, code, left)


@dataclass(frozen=True)
class SummaryInput:
    """Everything the summary prints: the record (already redacted when the summary is
    pseudonymised or de-identified), the clinic, and the figures already drawn."""

    record: PatientRecord
    clinic: ClinicSettings
    made_at: datetime
    author: str = ""
    charts: tuple[object, ...] = field(default=())  # matplotlib Figures, drawn by the caller
    code: str = ""  # the one-time code of a pseudonymised or de-identified summary
    # what redaction left out (FreeText -> entries), for the summary to say so
    left_out: dict[FreeText, int] = field(default_factory=dict)
    anchor: str = ""  # the audit trail's head when it was made: "ENTRY:SEAL16", in the footer
