"""Patients: what a clinician enters, the rules it must meet, and what services return."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from mesodesk.domain.enums import Contraindication, Sex
from mesodesk.domain.errors import ErrorCollector
from mesodesk.domain.safety import patient_findings
from mesodesk.domain.text import clean_block, clean_line, digits, has_control_chars

RECORD_PREFIX = "MD-"
MIN_BIRTH_DATE = date(1900, 1, 1)

MAX_NAME = 100
MAX_PHONE = 40
MAX_EMAIL = 254
MAX_ADDRESS = 500
MAX_GUARDIAN = 120
MAX_ALLERGY = 100
MAX_ALLERGIES = 40
MAX_SHORT_NOTE = 2000
MAX_NOTES = 20000
MAX_SEARCH = 200

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()./\-]+$")


# The named counter that gives record numbers (never given twice, even across a restore).
RECORD_COUNTER = "patient_record"


def format_record_no(number: int) -> str:
    return f"{RECORD_PREFIX}{number:06d}"


@dataclass(frozen=True)
class PatientInput:
    """A patient as typed into the form; ``validated()`` returns the cleaned, checked copy."""

    first_name: str
    last_name: str
    birth_date: date | None
    sex: Sex = Sex.UNKNOWN
    phone: str = ""
    email: str = ""
    address: str = ""
    allergies: tuple[str, ...] = ()
    contraindications: frozenset[Contraindication] = frozenset()
    contraindication_note: str = ""
    medical_notes: str = ""
    consent_date: date | None = None
    guardian_name: str = ""  # who consented for a patient under 18 (name, relation)

    def validated(self, today: date) -> PatientInput:
        errors = ErrorCollector()
        first = clean_line(self.first_name)
        last = clean_line(self.last_name)
        _check_name(errors, "first_name", "First name", first)
        _check_name(errors, "last_name", "Last name", last)

        if self.birth_date is None:
            errors.add("birth_date", "Date of birth is required.")
        elif self.birth_date > today:
            errors.add("birth_date", "Date of birth cannot be in the future.")
        elif self.birth_date < MIN_BIRTH_DATE:
            errors.add("birth_date", "Date of birth cannot be before 1900.")

        try:
            sex = Sex.parse(self.sex)
        except ValueError:
            errors.add("sex", "Sex must be one of: female, male, other, not recorded.")
            sex = Sex.UNKNOWN

        phone = clean_line(self.phone)
        if phone:
            if len(phone) > MAX_PHONE:
                errors.add("phone", f"Phone is too long (at most {MAX_PHONE} characters).")
            elif not _PHONE_CHARS.match(phone):
                errors.add("phone", "Phone may hold only digits, spaces, + ( ) - . and /.")
            elif not 6 <= len(digits(phone)) <= 15:
                errors.add("phone", "Phone must have between 6 and 15 digits.")

        email = clean_line(self.email)
        if email:
            if len(email) > MAX_EMAIL:
                errors.add("email", f"E-mail is too long (at most {MAX_EMAIL} characters).")
            elif not _EMAIL.match(email) or has_control_chars(email):
                errors.add("email", "E-mail is not a valid address (name@example.com).")

        address = clean_block(self.address)
        _check_text(errors, "address", "Address", address, MAX_ADDRESS)

        allergies: list[str] = []
        for raw in self.allergies:
            item = clean_line(raw)
            if not item:
                continue
            if len(item) > MAX_ALLERGY:
                errors.add("allergies", f"Each allergy is at most {MAX_ALLERGY} characters.")
            elif has_control_chars(item):
                errors.add("allergies", "Allergies hold characters that cannot be stored.")
            elif item.casefold() not in (a.casefold() for a in allergies):
                allergies.append(item)
        if len(allergies) > MAX_ALLERGIES:
            errors.add("allergies", f"At most {MAX_ALLERGIES} allergies can be recorded.")

        contraindications: set[Contraindication] = set()
        for item in self.contraindications:
            try:
                contraindications.add(Contraindication.parse(item))
            except ValueError:
                errors.add("contraindications", f"Unknown contraindication: {item}.")

        for finding in patient_findings(sex, contraindications):
            errors.add(finding.field, finding.message)

        guardian = clean_line(self.guardian_name)
        if len(guardian) > MAX_GUARDIAN:
            errors.add(
                "guardian_name", f"Guardian is too long (at most {MAX_GUARDIAN} characters)."
            )
        elif has_control_chars(guardian):
            errors.add("guardian_name", "Guardian holds characters that cannot be stored.")

        ci_note = clean_block(self.contraindication_note)
        _check_text(
            errors, "contraindication_note", "Contraindication note", ci_note, MAX_SHORT_NOTE
        )
        notes = clean_block(self.medical_notes)
        _check_text(errors, "medical_notes", "Medical notes", notes, MAX_NOTES)

        if self.consent_date is not None:
            if self.consent_date > today:
                errors.add("consent_date", "Consent date cannot be in the future.")
            elif self.consent_date < MIN_BIRTH_DATE:
                errors.add("consent_date", "Consent date cannot be before 1900.")

        errors.raise_if_any()
        return replace(
            self,
            first_name=first,
            last_name=last,
            sex=sex,
            phone=phone,
            email=email,
            address=address,
            allergies=tuple(allergies),
            contraindications=frozenset(contraindications),
            contraindication_note=ci_note,
            medical_notes=notes,
            guardian_name=guardian,
        )


def _check_name(errors: ErrorCollector, key: str, label: str, value: str) -> None:
    if not value:
        errors.add(key, f"{label} is required.")
    elif len(value) > MAX_NAME:
        errors.add(key, f"{label} is too long (at most {MAX_NAME} characters).")
    elif has_control_chars(value):
        errors.add(key, f"{label} holds characters that cannot be stored.")
    elif not any(ch.isalpha() for ch in value):
        errors.add(key, f"{label} must contain at least one letter.")


def _check_text(errors: ErrorCollector, key: str, label: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.add(key, f"{label} is too long (at most {limit:,} characters).")
    elif has_control_chars(value, multiline=True):
        errors.add(key, f"{label} holds characters that cannot be stored.")


@dataclass(frozen=True)
class Patient:
    """A whole patient record as read back from the store."""

    id: int
    record_no: str
    first_name: str
    last_name: str
    birth_date: date
    sex: Sex
    phone: str
    email: str
    address: str
    allergies: tuple[str, ...]
    contraindications: frozenset[Contraindication]
    contraindication_note: str
    medical_notes: str
    consent_date: date | None
    archived: bool
    archived_at: datetime | None
    last_session_at: datetime | None
    next_due: date | None  # the soonest due date of the patient's courses not lapsed today
    created_at: datetime
    updated_at: datetime
    guardian_name: str = ""
    lapsed_since: date | None = None  # from this day on, one of the courses has lapsed

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def initials(self) -> str:
        return "".join(part[0].upper() + "." for part in (self.first_name, self.last_name) if part)

    def as_input(self) -> PatientInput:
        return PatientInput(
            first_name=self.first_name,
            last_name=self.last_name,
            birth_date=self.birth_date,
            sex=self.sex,
            phone=self.phone,
            email=self.email,
            address=self.address,
            allergies=self.allergies,
            contraindications=self.contraindications,
            contraindication_note=self.contraindication_note,
            medical_notes=self.medical_notes,
            consent_date=self.consent_date,
            guardian_name=self.guardian_name,
        )


@dataclass(frozen=True)
class PatientRow:
    """One line of the patient list."""

    id: int
    record_no: str
    first_name: str
    last_name: str
    birth_date: date
    phone: str
    last_session_at: datetime | None
    next_due: date | None  # the soonest due date not lapsed today
    archived: bool
    lapsed_since: date | None = None  # from this day on, one of the courses has lapsed

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    def only_lapsed(self, today: date) -> bool:
        """Nothing due, and a course lapsed: on the lapsed list rather than the due list."""
        return (
            self.next_due is None and self.lapsed_since is not None and today >= self.lapsed_since
        )


@dataclass(frozen=True)
class PatientPage:
    """A slice of a search: the rows from ``offset`` and the total number of matches."""

    rows: list[PatientRow]
    total: int
    offset: int = 0
