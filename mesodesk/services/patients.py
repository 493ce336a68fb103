"""Registering, finding, editing and archiving patients."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from mesodesk.domain.clock import Clock
from mesodesk.domain.enums import Contraindication, Sex
from mesodesk.domain.errors import NotFoundError, ValidationError
from mesodesk.domain.patients import (
    RECORD_COUNTER,
    Patient,
    PatientInput,
    PatientPage,
    PatientRow,
    format_record_no,
)
from mesodesk.domain.search import (
    MAX_SCORE,
    SHORT_PREFIX,
    PatientQuery,
    PatientSort,
    parse_search,
    patient_tokens,
    prefix_entries,
    prefix_upper_bound,
    sort_key,
)
from mesodesk.domain.text import fold
from mesodesk.services.changes import Result, patient_changed
from mesodesk.services.settings import SettingsService
from mesodesk.store.db import Database
from mesodesk.store.derived import refresh_stale, stale_patients
from mesodesk.store.models import Counter, PatientPrefix, PatientToken
from mesodesk.store.models import Patient as PatientTable

PATIENTS = PatientTable.__table__  # type: ignore[attr-defined]
P = PATIENTS.c
T = PatientToken.__table__  # type: ignore[attr-defined]
X = PatientPrefix.__table__  # type: ignore[attr-defined]
MAX_PAGE = 1000

_ROW_COLUMNS = (
    P.id,
    P.record_number,
    P.first_name,
    P.last_name,
    P.birth_date,
    P.phone,
    P.last_session_at,
    P.next_due,
    P.archived,
    P.lapsed_since,
)
_RECORD_NO = re.compile(r"^\s*(?:md)?[\s\-]*0*(\d{1,9})\s*$", re.IGNORECASE)


def parse_record_no(text: str) -> int | None:
    """The number in "MD-000123", "md123" or "123"; None when the text is not a record number."""
    match = _RECORD_NO.match(text)
    return int(match.group(1)) if match else None


def next_counter(session: Session, name: str, floor: int = 0) -> int:
    """Take the next value of a named counter inside the current write transaction."""
    done = session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1)  # type: ignore[arg-type]
    )
    if done.rowcount == 0:  # type: ignore[attr-defined]
        session.add(Counter(name=name, value=floor + 1))
        session.flush()
    counters = Counter.__table__.c  # type: ignore[attr-defined]
    value = session.execute(select(counters.value).where(counters.name == name)).scalar_one()
    return int(value)


def search_rows(
    patient_id: int,
    record_number: int,
    first_name: str,
    last_name: str,
    phone: str,
    archived: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of a patient in the token and prefix tables."""
    tokens = patient_tokens(first_name, last_name, record_number, phone)
    key = sort_key(fold(first_name)[:100], fold(last_name)[:100])
    token_rows = [{"patient_id": patient_id, "token": t, "weight": w} for t, w in tokens.items()]
    prefix_rows = [
        {
            "patient_id": patient_id,
            "prefix": prefix,
            "archived": archived,
            "rank": MAX_SCORE - value,
            "sort_key": key,
        }
        for prefix, value in prefix_entries(tokens).items()
    ]
    return token_rows, prefix_rows


def write_search_index(session: Session, row: PatientTable) -> None:
    """Rewrite a patient's search tokens and prefixes (after any change to the patient)."""
    assert row.id is not None
    session.execute(delete(T).where(T.c.patient_id == row.id))
    session.execute(delete(X).where(X.c.patient_id == row.id))
    tokens, prefixes = search_rows(
        row.id, row.record_number, row.first_name, row.last_name, row.phone, row.archived
    )
    if tokens:
        session.execute(insert(T), tokens)
    if prefixes:
        session.execute(insert(X), prefixes)


def row_to_patient(row: PatientTable) -> Patient:
    assert row.id is not None
    return Patient(
        id=row.id,
        record_no=format_record_no(row.record_number),
        first_name=row.first_name,
        last_name=row.last_name,
        birth_date=row.birth_date,
        sex=Sex.parse(row.sex) if row.sex in Sex.codes() else Sex.UNKNOWN,
        phone=row.phone,
        email=row.email,
        address=row.address,
        allergies=tuple(row.allergies or ()),
        contraindications=frozenset(
            Contraindication.parse(c)
            for c in row.contraindications or ()
            if c in Contraindication.codes()
        ),
        contraindication_note=row.contraindication_note,
        medical_notes=row.medical_notes,
        consent_date=row.consent_date,
        guardian_name=row.guardian_name or "",
        archived=row.archived,
        archived_at=row.archived_at,
        last_session_at=row.last_session_at,
        next_due=row.next_due,
        created_at=row.created_at,
        updated_at=row.updated_at,
        lapsed_since=row.lapsed_since,
    )


def _apply_input(row: PatientTable, clean: PatientInput) -> None:
    assert clean.birth_date is not None
    row.first_name = clean.first_name
    row.last_name = clean.last_name
    row.first_folded = fold(clean.first_name)[:100]
    row.last_folded = fold(clean.last_name)[:100]
    row.birth_date = clean.birth_date
    row.sex = clean.sex.value
    row.phone = clean.phone
    row.email = clean.email
    row.address = clean.address
    row.allergies = list(clean.allergies)
    row.contraindications = sorted(c.value for c in clean.contraindications)
    row.contraindication_note = clean.contraindication_note
    row.medical_notes = clean.medical_notes
    row.consent_date = clean.consent_date
    row.guardian_name = clean.guardian_name


class PatientService:
    def __init__(self, db: Database, settings: SettingsService, clock: Clock | None = None) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or Clock()

    # -- changes ---------------------------------------------------------------------------

    def create(self, data: PatientInput) -> Result[Patient]:
        clean = data.validated(self.clock.today())
        now = self.clock.utcnow()
        with self.db.write() as s:
            floor = s.execute(select(func.coalesce(func.max(P.record_number), 0))).scalar_one()
            number = next_counter(s, RECORD_COUNTER, floor)
            row = PatientTable(
                record_number=number,
                first_name="",
                last_name="",
                first_folded="",
                last_folded="",
                birth_date=clean.birth_date,  # type: ignore[arg-type]
                created_at=now,
                updated_at=now,
            )
            _apply_input(row, clean)
            s.add(row)
            s.flush()
            write_search_index(s, row)
            patient = row_to_patient(row)
        return Result(patient, patient_changed(patient.id))

    def update(self, patient_id: int, data: PatientInput) -> Result[Patient]:
        clean = data.validated(self.clock.today())
        with self.db.write() as s:
            row = self._load(s, patient_id)
            _apply_input(row, clean)
            row.updated_at = self.clock.utcnow()
            s.flush()
            write_search_index(s, row)
            patient = row_to_patient(row)
        return Result(patient, patient_changed(patient_id))

    def archive(self, patient_id: int) -> Result[Patient]:
        return self._set_archived(patient_id, True)

    def unarchive(self, patient_id: int) -> Result[Patient]:
        return self._set_archived(patient_id, False)

    def _set_archived(self, patient_id: int, archived: bool) -> Result[Patient]:
        with self.db.write() as s:
            row = self._load(s, patient_id)
            now = self.clock.utcnow()
            row.archived = archived
            row.archived_at = now if archived else None
            row.updated_at = now
            s.flush()
            s.execute(update(X).where(X.c.patient_id == patient_id).values(archived=archived))
            patient = row_to_patient(row)
        return Result(patient, patient_changed(patient_id))

    # -- reading ---------------------------------------------------------------------------

    def keep_due_current(self) -> int:
        """Bring the cached next due dates up to today where a course lapsed since they were
        written (store.derived): two index probes, and a short write on the first read of a
        day on which some course lapsed. Returns how many patients changed."""
        with self.db.read() as s:
            if not self._due_stale(s):
                return 0
        return self._refresh_due()

    def _due_stale(self, s: Session) -> bool:
        return bool(stale_patients(s.connection(), self.clock.today(), limit=1))

    def _refresh_due(self) -> int:
        if self.db.read_only:
            return 0  # shown as last written; a read-only database cannot be brought up to date
        with self.db.write() as s:
            return refresh_stale(s.connection(), self.clock.today())

    def get(self, patient_id: int) -> Patient:
        with self.db.read() as s:
            if not self._due_stale(s):
                return row_to_patient(self._load(s, patient_id))
        self._refresh_due()
        with self.db.read() as s:
            return row_to_patient(self._load(s, patient_id))

    def get_by_record_no(self, text: str) -> Patient:
        number = parse_record_no(text)
        if number is None:
            raise ValidationError.single(
                "record_no", f"{text[:40]!r} is not a record number (such as MD-000123)."
            )
        self.keep_due_current()
        with self.db.read() as s:
            row = s.execute(
                select(PatientTable).where(P.record_number == number)
            ).scalar_one_or_none()
            if row is None:
                raise NotFoundError(f"There is no patient {format_record_no(number)}.")
            return row_to_patient(row)

    def count(self, query: PatientQuery | None = None) -> int:
        return self.search(query or PatientQuery(), limit=0).total

    def search(
        self, query: PatientQuery, *, offset: int = 0, limit: int = 200, with_total: bool = True
    ) -> PatientPage:
        """One page of the patients matching a query, in its order, and how many match in all
        (-1 when ``with_total`` is False)."""
        if not 0 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be 0..{MAX_PAGE}")
        terms = parse_search(query.text, self.settings.get().date_order, self.clock.today())
        short = (
            len(terms.prefixes) == 1
            and len(terms.prefixes[0]) <= SHORT_PREFIX
            and not terms.birth_dates
        )
        if short:
            base, order, counted = self._by_prefix(query, terms.prefixes[0])
        else:
            base, order = self._by_tokens(query, terms.prefixes, terms.birth_dates)
            counted = base.with_only_columns(func.count(), maintain_column_froms=True)

        def read(s: Session) -> PatientPage:
            total = s.execute(counted).scalar_one() if with_total else -1
            rows: list[PatientRow] = []
            if limit:
                page = base.order_by(*order).offset(offset).limit(limit)
                rows = [_to_row(r) for r in s.execute(page)]
            return PatientPage(rows=rows, total=total, offset=offset)

        with self.db.read() as s:
            if not self._due_stale(s):
                return read(s)
        self._refresh_due()
        with self.db.read() as s:
            return read(s)

    def find_same_person(
        self, first_name: str, last_name: str, birth_date: Any, exclude_id: int | None = None
    ) -> list[PatientRow]:
        """Patients with the same folded names and date of birth: a likely double registration."""
        stmt = select(*_ROW_COLUMNS).where(
            P.first_folded == fold(" ".join(first_name.split()))[:100],
            P.last_folded == fold(" ".join(last_name.split()))[:100],
            P.birth_date == birth_date,
        )
        if exclude_id is not None:
            stmt = stmt.where(P.id != exclude_id)
        with self.db.read() as s:
            return [_to_row(r) for r in s.execute(stmt.limit(10))]

    # -- internals -------------------------------------------------------------------------

    def _load(self, s: Session, patient_id: int) -> PatientTable:
        row = s.get(PatientTable, patient_id)
        if row is None:
            raise NotFoundError("This patient no longer exists.")
        return row

    def _archived(self, query: PatientQuery, column: Any) -> ColumnElement[bool] | None:
        # "= 0", not "IS 0": only an equality lets SQLite walk the index in order.
        if query.archived_only:
            return cast(ColumnElement[bool], column == True)  # noqa: E712
        if not query.include_archived:
            return cast(ColumnElement[bool], column == False)  # noqa: E712
        return None

    def _by_prefix(
        self, query: PatientQuery, prefix: str
    ) -> tuple[Select[Any], list[Any], Select[Any]]:
        """One to three characters: the prefix table holds the matches ranked and sorted, and
        counts them without touching the patient table."""
        conditions = [X.c.prefix == prefix]
        archived = self._archived(query, X.c.archived)
        if archived is not None:
            conditions.append(archived)
        joined = X.join(PATIENTS, X.c.patient_id == P.id)
        stmt = select(*_ROW_COLUMNS).select_from(joined).where(*conditions)
        counted = select(func.count()).select_from(X).where(*conditions)
        if query.sort is PatientSort.RELEVANCE:
            return stmt, [X.c.rank, X.c.sort_key, X.c.patient_id], counted
        return stmt, self._order(query, None), counted

    def _by_tokens(
        self, query: PatientQuery, prefixes: Sequence[str], dates: Sequence[Any]
    ) -> tuple[Select[Any], list[Any]]:
        """Longer or several words: the most selective word (the longest) picks the candidates
        from the token table; each other word must match one of the candidate's own tokens."""
        stmt = select(*_ROW_COLUMNS)
        score: ColumnElement[Any] | None = None
        if prefixes:
            driver, *others = sorted(prefixes, key=len, reverse=True)
            best = func.max(T.c.weight * case((T.c.token == driver, 2), else_=1))
            match = (
                select(T.c.patient_id.label("pid"), best.label("score"))
                .where(T.c.token >= driver, T.c.token < prefix_upper_bound(driver))
                .group_by(T.c.patient_id)
                .subquery("m")
            )
            stmt = stmt.select_from(match.join(PATIENTS, match.c.pid == P.id))
            score = match.c.score
            for i, term in enumerate(others):
                tok = T.alias(f"t{i}")
                term_score = (
                    select(func.max(tok.c.weight * case((tok.c.token == term, 2), else_=1)))
                    .where(
                        tok.c.patient_id == P.id,
                        tok.c.token >= term,
                        tok.c.token < prefix_upper_bound(term),
                    )
                    .scalar_subquery()
                )
                stmt = stmt.where(term_score.is_not(None))
                score = score + term_score
        if dates:
            stmt = stmt.where(or_(*(P.birth_date == d for d in dates)))
        archived = self._archived(query, P.archived)
        if archived is not None:
            stmt = stmt.where(archived)
        order = self._order(query, score)
        if score is not None and query.sort is PatientSort.RELEVANCE:
            # "muller" + Enter opens Müller, not Becker-Müller: among equal matches, a surname
            # that is the typed word itself comes before one that only holds it
            whole = case((or_(*(P.last_folded == term for term in prefixes)), 0), else_=1)
            order.insert(1, whole)
        return stmt, order

    def _order(self, query: PatientQuery, score: ColumnElement[Any] | None) -> list[Any]:
        name = [P.last_folded, P.first_folded, P.id]
        desc = query.descending
        sort = query.sort
        if sort is PatientSort.RELEVANCE:
            if score is None:
                sort = PatientSort.NAME
            else:
                return [score.desc(), *name]
        if sort is PatientSort.NAME:
            return [c.desc() for c in name] if desc else name
        key = {
            PatientSort.RECORD_NO: P.record_number,
            PatientSort.BIRTH_DATE: P.birth_date,
            PatientSort.PHONE: P.phone,
            PatientSort.LAST_SESSION: P.last_session_at,
            PatientSort.NEXT_DUE: P.next_due,
            PatientSort.CREATED: P.created_at,
        }[sort]
        primary = key.desc() if desc else key.asc()
        if sort in (PatientSort.LAST_SESSION, PatientSort.NEXT_DUE):
            primary = primary.nulls_last()
        return [primary, *name]


def _to_row(r: Any) -> PatientRow:
    return PatientRow(
        id=r.id,
        record_no=format_record_no(r.record_number),
        first_name=r.first_name,
        last_name=r.last_name,
        birth_date=r.birth_date,
        phone=r.phone,
        last_session_at=r.last_session_at,
        next_due=r.next_due,
        archived=bool(r.archived),
        lapsed_since=r.lapsed_since,
    )


__all__ = ["PatientService", "next_counter", "parse_record_no", "search_rows", "write_search_index"]
