"""The tables, for the whole domain.

Value lists are stored by their codes (mesodesk.domain.enums) in short strings, not native enums,
so that adding a value needs no migration on PostgreSQL. Ranges are checked again by CHECK
constraints: the domain validates, the database refuses what slips past.

Times: ``created_at``, ``updated_at`` and ``archived_at`` are instants, stored in UTC and read back
time-zone aware. What a clinician enters (a session's date and time, when a side effect was
reported) is the clinic's wall-clock time, stored and shown as entered, without a zone.

Some columns are caches of derived values, written only by ``mesodesk.store.derived`` in the same
transaction as the change they follow: ``patient.last_session_at`` / ``patient.next_due`` (with
the days it holds for and ``lapsed_since``), ``course.next_due`` / ``course.lapses_on`` and
``product_lot.lot_folded``. They exist so that the 100,000-patient list sorts by them, the due
list is one index range and a lot is found case- and accent-blind, all in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING
metadata = SQLModel.metadata


def _fk(target: str, ondelete: str, *, nullable: bool = False, index: bool = False) -> Column[int]:
    return Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


class Counter(SQLModel, table=True):
    """Named sequences (record numbers) that stay portable across SQLite and PostgreSQL."""

    __tablename__ = "counter"
    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(default=0)


class AppSetting(SQLModel, table=True):
    """Clinic-wide settings shared by every workstation (clinic name, date order, currency)."""

    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(default="", sa_type=Text)


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        Index("ix_patient_name", "archived", "last_folded", "first_folded", "id"),
        Index("ix_patient_record", "archived", "record_number"),
        Index("ix_patient_birth", "archived", "birth_date"),
        Index("ix_patient_phone", "archived", "phone"),
        Index("ix_patient_last_session", "archived", "last_session_at"),
        Index("ix_patient_next_due", "archived", "next_due"),
        Index("ix_patient_created", "archived", "created_at"),
        Index("ix_patient_due_valid_from", "due_valid_from"),
        Index("ix_patient_due_valid_before", "due_valid_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_number: int = Field(unique=True)  # shown as MD-000123
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    first_folded: str = Field(max_length=100)
    last_folded: str = Field(max_length=100)
    birth_date: date
    sex: str = Field(default="unknown", max_length=16)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", sa_type=Text)
    allergies: list[str] = Field(default_factory=list, sa_type=JSON)
    contraindications: list[str] = Field(default_factory=list, sa_type=JSON)
    contraindication_note: str = Field(default="", sa_type=Text)
    medical_notes: str = Field(default="", sa_type=Text)
    consent_date: date | None = None
    # who consented for a patient under 18 (name, relation): DOMAIN.md, "Under 18"
    guardian_name: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})
    archived: bool = Field(default=False)
    archived_at: datetime | None = None
    last_session_at: datetime | None = Field(default=None, sa_type=DateTime)  # clinic time
    next_due: date | None = None  # the soonest due date not lapsed, on the days below
    due_valid_from: date | None = None  # next_due holds from this day (None: any day before)
    due_valid_before: date | None = None  # ... until the day before this one (None: for good)
    lapsed_since: date | None = None  # the first day one of the courses is lapsed
    created_at: datetime
    updated_at: datetime


class PatientToken(SQLModel, table=True):
    """Folded search tokens of a patient (name words, record number, phone groups)."""

    __tablename__ = "patient_token"
    __table_args__ = (Index("ix_patient_token_token", "token", "patient_id", "weight"),)

    patient_id: int = Field(
        sa_column=Column(Integer, ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    )
    token: str = Field(primary_key=True, max_length=64)
    weight: int


class PatientPrefix(SQLModel, table=True):
    """The first one to three characters of a patient's name words and record number, each with
    its rank and the patient's sort key, so that a search of one to three letters - the first
    keystrokes, matching thousands of patients - is one ordered range of one index."""

    __tablename__ = "patient_prefix"
    __table_args__ = (
        Index("ix_patient_prefix_lookup", "prefix", "archived", "rank", "sort_key", "patient_id"),
    )

    patient_id: int = Field(
        sa_column=Column(Integer, ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    )
    prefix: str = Field(primary_key=True, max_length=3)
    archived: bool = Field(default=False)
    rank: int  # lower first: MAX_SCORE minus the best score of the tokens it starts
    sort_key: str = Field(max_length=201)


class Practitioner(SQLModel, table=True):
    __tablename__ = "practitioner"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    title: str = Field(default="", max_length=60)
    active: bool = Field(default=True)
    created_at: datetime
    updated_at: datetime


class Product(SQLModel, table=True):
    __tablename__ = "product"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    manufacturer: str = Field(default="", max_length=120)
    category: str = Field(default="", max_length=60)
    unit: str = Field(default="ml", max_length=16)
    notes: str = Field(default="", sa_type=Text)
    active: bool = Field(default=True)
    # a numbing cream or spray, chosen as a session's numbing product (migration 0007)
    numbing: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    created_at: datetime
    updated_at: datetime


class Ingredient(SQLModel, table=True):
    __tablename__ = "ingredient"
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(sa_column=_fk("product.id", "CASCADE", index=True))
    name: str = Field(max_length=120)
    folded: str = Field(max_length=120, index=True)
    position: int = Field(default=0)


class ProductLot(SQLModel, table=True):
    __tablename__ = "product_lot"
    __table_args__ = (
        Index("uq_product_lot_product_number", "product_id", "lot_number", unique=True),
        Index("ix_product_lot_folded", "lot_folded", "product_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(sa_column=_fk("product.id", "RESTRICT"))
    lot_number: str = Field(max_length=60, index=True)
    lot_folded: str = Field(max_length=120)  # store.derived.fold_lot_number(lot_number)
    expiry_date: date
    received_on: date | None = None
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime
    updated_at: datetime


class Course(SQLModel, table=True):
    __tablename__ = "course"
    __table_args__ = (
        CheckConstraint("planned_sessions BETWEEN 3 AND 15", name="planned_sessions"),
        CheckConstraint(
            "induction_sessions BETWEEN 1 AND planned_sessions", name="induction_sessions"
        ),
        CheckConstraint("induction_interval_days BETWEEN 7 AND 10", name="induction_interval"),
        CheckConstraint("maintenance_interval_months BETWEEN 3 AND 5", name="maintenance_interval"),
        CheckConstraint("price_per_session_cents >= 0", name="price"),
        Index("ix_course_status_due", "status", "next_due"),
        Index("ix_course_lapses_on", "lapses_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(sa_column=_fk("patient.id", "RESTRICT", index=True))
    indication: str = Field(max_length=32)
    indication_note: str = Field(default="", max_length=200)
    areas: list[str] = Field(default_factory=list, sa_type=JSON)
    planned_sessions: int
    induction_sessions: int
    induction_interval_days: int
    later_interval: str = Field(max_length=8)
    maintenance_interval_months: int | None = None
    price_per_session_cents: int | None = None
    status: str = Field(default="active", max_length=16)
    started_on: date
    ended_on: date | None = None
    end_reason: str = Field(default="", max_length=500)
    notes: str = Field(default="", sa_type=Text)
    next_due: date | None = None
    lapses_on: date | None = None  # maintenance: the day it counts as lapsed
    created_at: datetime
    updated_at: datetime


class TreatmentSession(SQLModel, table=True):
    __tablename__ = "treatment_session"
    __table_args__ = (
        CheckConstraint("depth_mm >= 1 AND depth_mm <= 4", name="depth"),
        CheckConstraint("pain_nrs BETWEEN 0 AND 10", name="pain_nrs"),
        CheckConstraint("gais BETWEEN 1 AND 5", name="gais"),
        CheckConstraint("satisfaction BETWEEN 0 AND 10", name="satisfaction"),
        CheckConstraint("price_cents >= 0", name="price"),
        CheckConstraint("injection_points >= 0", name="injection_points"),
        CheckConstraint("total_volume_ml >= 0", name="total_volume"),
        Index("ix_treatment_session_patient_start", "patient_id", "started_at"),
        Index("ix_treatment_session_course_start", "course_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(sa_column=_fk("patient.id", "RESTRICT"))
    course_id: int = Field(sa_column=_fk("course.id", "RESTRICT"))
    practitioner_id: int | None = Field(
        default=None, sa_column=_fk("practitioner.id", "SET NULL", nullable=True)
    )
    started_at: datetime = Field(index=True, sa_type=DateTime)  # clinic wall-clock time
    areas: list[str] = Field(default_factory=list, sa_type=JSON)
    depth_mm: float
    numbing_agent: str = Field(default="none", max_length=16)
    # the numbing product's lot (migration 0007); sessions saved before keep their agent only
    numbing_lot_id: int | None = Field(
        default=None, sa_column=_fk("product_lot.id", "RESTRICT", nullable=True, index=True)
    )
    technique: str = Field(default="nappage", max_length=16)
    injection_points: int | None = None
    total_volume_ml: float | None = None
    pain_nrs: int | None = None
    gais: int | None = None
    satisfaction: int | None = None
    price_cents: int | None = None
    notes: str = Field(default="", sa_type=Text)
    # The safety rules (mesodesk.domain.safety) the practitioner confirmed or overrode when the
    # session was saved, by code, and why a blocking contraindication was overridden.
    safety_confirmed: list[str] = Field(
        default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"}
    )
    override_reason: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    created_at: datetime
    updated_at: datetime


class BlendItem(SQLModel, table=True):
    """One product lot in a session's blend, with the amount injected."""

    __tablename__ = "blend_item"
    __table_args__ = (
        CheckConstraint("amount_ml > 0", name="amount"),
        Index("ix_blend_item_lot_session", "lot_id", "session_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(sa_column=_fk("treatment_session.id", "CASCADE", index=True))
    lot_id: int = Field(sa_column=_fk("product_lot.id", "RESTRICT"))
    amount_ml: float
    position: int = Field(default=0)


class SideEffect(SQLModel, table=True):
    """A reported side effect. Duration is derived from onset and resolution, never stored."""

    __tablename__ = "side_effect"
    __table_args__ = (
        CheckConstraint("grade BETWEEN 1 AND 5", name="grade"),
        CheckConstraint("pain_nrs BETWEEN 0 AND 10", name="pain_nrs"),
        CheckConstraint("resolved_on IS NULL OR resolved_on >= onset_on", name="resolution"),
        Index("ix_side_effect_patient_onset", "patient_id", "onset_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(sa_column=_fk("patient.id", "RESTRICT"))
    session_id: int | None = Field(
        default=None, sa_column=_fk("treatment_session.id", "SET NULL", nullable=True, index=True)
    )
    # The suspected lots are in side_effect_lot; with suspects_blend, every lot the session used
    # (its blend's and its numbing product's) is suspected, and linked there too, so that
    # counting stays one join.
    suspects_blend: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    kind: str = Field(max_length=32, index=True)
    kind_note: str = Field(default="", max_length=200)
    onset_on: date = Field(index=True)
    resolved_on: date | None = None
    grade: int
    pain_nrs: int | None = None
    serious: bool = Field(default=False)
    outcome: str = Field(max_length=32)
    causality: str = Field(max_length=32)
    body_area: str | None = Field(default=None, max_length=32)
    body_area_note: str = Field(default="", max_length=200)
    action_taken: str = Field(default="none", max_length=32)
    action_note: str = Field(default="", max_length=200)
    reported_via: str = Field(max_length=32)
    reported_at: datetime = Field(sa_type=DateTime)  # clinic wall-clock time
    recorded_by_id: int | None = Field(
        default=None, sa_column=_fk("practitioner.id", "SET NULL", nullable=True)
    )
    notes: str = Field(default="", sa_type=Text)
    # the coherence questions (mesodesk.domain.safety) the clinician confirmed, by code
    safety_confirmed: list[str] = Field(
        default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"}
    )
    created_at: datetime
    updated_at: datetime


class SideEffectLot(SQLModel, table=True):
    """A lot a side effect suspects (migration 0004): one its suspected session used, in the
    blend or as the numbing product (mesodesk.store.session_lots)."""

    __tablename__ = "side_effect_lot"
    __table_args__ = (Index("ix_side_effect_lot_lot", "lot_id", "side_effect_id"),)

    side_effect_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("side_effect.id", ondelete="CASCADE"), primary_key=True
        )
    )
    lot_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("product_lot.id", ondelete="RESTRICT"), primary_key=True
        )
    )


SIDE_EFFECT_LOT_COLUMNS = ("side_effect_id", "lot_id")


def suspected_lot_rows(effect_id: int, lot_ids: Iterable[int]) -> list[tuple[int, int]]:
    """The side_effect_lot rows of a side effect that suspects ``lot_ids``, for loaders that
    write rows in bulk (the demo clinic): one row per distinct lot, in the columns
    ``SIDE_EFFECT_LOT_COLUMNS``. Since migration 0004 a side effect has no lot_id column."""
    return [(effect_id, lot) for lot in dict.fromkeys(lot_ids)]


class OutcomeAssessment(SQLModel, table=True):
    """An outcome recorded at a course review (GAIS by the practitioner and by the patient,
    satisfaction), apart from session scores."""

    __tablename__ = "outcome_assessment"
    __table_args__ = (
        CheckConstraint("gais BETWEEN 1 AND 5", name="gais"),
        CheckConstraint("satisfaction BETWEEN 0 AND 10", name="satisfaction"),
        CheckConstraint("patient_gais BETWEEN 1 AND 5", name="patient_gais"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(sa_column=_fk("patient.id", "RESTRICT", index=True))
    course_id: int | None = Field(
        default=None, sa_column=_fk("course.id", "CASCADE", nullable=True, index=True)
    )
    session_id: int | None = Field(
        default=None, sa_column=_fk("treatment_session.id", "SET NULL", nullable=True)
    )
    assessed_on: date
    gais: int | None = None  # by the practitioner
    patient_gais: int | None = None  # by the patient (migration 0007)
    satisfaction: int | None = None
    assessor_id: int | None = Field(
        default=None, sa_column=_fk("practitioner.id", "SET NULL", nullable=True)
    )
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime
    updated_at: datetime


class AuditRow(SQLModel, table=True):
    """One entry of the audit trail (mesodesk.domain.audit): append-only and hash-chained.

    No foreign keys: an entry outlives what it is about. ``at`` is stored as the exact UTC text
    that the entry's hash covers; ``old_values``/``new_values`` are canonical JSON.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_patient", "patient_id", "seq"),
        Index("ix_audit_entry_actor", "actor", "seq"),
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_row", "entity", "row_key", "seq"),
    )

    seq: int = Field(primary_key=True)  # 1, 2, 3 ... without gaps
    at: str = Field(max_length=32)
    actor: str = Field(max_length=120)
    actor_id: int | None = None  # the practitioner, when one was chosen at the workstation
    action: str = Field(max_length=24)
    entity: str | None = Field(default=None, max_length=40)
    entity_id: int | None = None
    patient_id: int | None = None
    old_values: str | None = Field(default=None, sa_type=Text)
    new_values: str | None = Field(default=None, sa_type=Text)
    detail: str = Field(default="", sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # (migration 0006) the row the entry leaves in a new state, and the MAC of its content
    row_key: str | None = Field(default=None, sa_type=Text)
    row_mac: str | None = Field(default=None, max_length=32)


class AuditRowSeal(SQLModel, table=True):
    """The row MACs of a ``seal`` entry (rows written in bulk), in parts of up to 50,000 rows:
    the packed row keys and their 8-byte MACs, one after the other. The entry seals each part's
    digest, so a part cannot change unnoticed (mesodesk.domain.integrity)."""

    __tablename__ = "audit_row_seal"
    seq: int = Field(primary_key=True)
    part: int = Field(primary_key=True)
    keys: str = Field(sa_type=Text)
    macs: bytes


class Clinic(SQLModel, table=True):
    """Which clinic this database belongs to (one row, migration 0006): its id, the id of its
    key (the key itself is outside the file, mesodesk.store.keys), and the entry from which the
    audit trail is sealed with that key."""

    __tablename__ = "clinic"
    id: int = Field(primary_key=True)
    uid: str = Field(max_length=32)
    key_id: str = Field(max_length=16)
    keyed_from: int
    created_at: str = Field(max_length=32)


class AuditHead(SQLModel, table=True):
    """The end of the audit chain (one row): how many entries there are and the last one's
    hash, so that deleting the newest entries is detected as surely as changing one."""

    __tablename__ = "audit_head"
    id: int = Field(primary_key=True)
    seq: int = Field(default=0)
    hash: str = Field(max_length=64)


# -- the clinic dashboard's running totals (migration 0003) ---------------------------------------
# Kept by SQLite triggers in the same transaction as every change to sessions, blends, side effects
# and course indications, so that the dashboard sums a few thousand rows instead of joining a
# million sessions to their blends and side effects (mesodesk/services/analytics.py).


class StatsSessionDay(SQLModel, table=True):
    """Sessions per day: ``dim`` 'indication' (code: the course's indication; one row per session,
    so these rows sum to all sessions), 'area' (code: each treated area of the session) or 'lot'
    (code: the lot id of each blend line, as text)."""

    __tablename__ = "stats_session_day"
    __table_args__ = ({"sqlite_with_rowid": False},)

    dim: str = Field(primary_key=True, max_length=16)
    code: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    sessions: int


class StatsEffectDay(SQLModel, table=True):
    """Side effects by the day of their suspected session, per grade: ``dim`` 'kind', 'indication'
    (of the session's course) or 'area' (the side effect's body area). Side effects without a
    suspected session are not counted here."""

    __tablename__ = "stats_effect_day"
    __table_args__ = ({"sqlite_with_rowid": False},)

    dim: str = Field(primary_key=True, max_length=16)
    code: str = Field(primary_key=True, max_length=40)
    grade: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    effects: int


class StatsLotReaction(SQLModel, table=True):
    """Each session with at least one side effect that names one of its lots as suspected: the
    numerator of a lot's reaction rate (sessions with a reaction / sessions that used the lot)."""

    __tablename__ = "stats_lot_reaction"
    __table_args__ = (
        Index("ix_stats_lot_reaction_lot_day", "lot_id", "day"),
        Index("ix_stats_lot_reaction_session", "session_id"),
        {"sqlite_with_rowid": False},
    )

    lot_id: int = Field(primary_key=True)
    session_id: int = Field(primary_key=True)
    day: date
    effects: int
