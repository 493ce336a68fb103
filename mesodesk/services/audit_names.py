"""What an audit entry is about, in the words a person knows it by: "MD-000123 Müller, José",
"the session of 12/03/2026", "Lidocaine 2% lot L-2208-B", rather than "session 2995" or
"blend item 6579".

Computed when the trail is shown or exported, from the records as they are now (a record
deleted since is named from the values its entry kept): the sealed entries themselves
(store/audit.py, domain/audit.py) are not changed, and what the hash chain covers stays the
same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mesodesk.domain.audit import AuditEntry
from mesodesk.domain.enums import Indication, SideEffectKind
from mesodesk.domain.patients import format_record_no
from mesodesk.store.db import Database


@dataclass(frozen=True)
class RecordName:
    """An entry's record, in parts the window and the CSV put into words of their own."""

    entity: str
    name: str = ""  # a person's or product's name, "Lidocaine 2% lot L-2208-B", an ingredient
    on: date | None = None  # the day it is known by: a session's, an onset, a course's start
    kind: SideEffectKind | None = None  # a side effect's (or a suspected lot's side effect's)
    indication: Indication | None = None  # a course's (or a course review's course's)
    patient: str = ""  # "MD-000123 Müller, José": the patient it belongs to
    gone: bool = False  # deleted since: named from the values its entry kept


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return None
    return None


def _enum(kind: Any, value: Any) -> Any:
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


class _Rows:
    """Rows of a few tables by id, each table read once for the ids asked."""

    COLUMNS = {
        "patient": "id, record_number, last_name, first_name",
        "practitioner": "id, name",
        "product": "id, name",
        "ingredient": "id, product_id, name",
        "product_lot": "id, product_id, lot_number",
        "course": "id, patient_id, indication, started_on",
        "treatment_session": "id, patient_id, course_id, started_at",
        "blend_item": "id, session_id, lot_id",
        "side_effect": "id, patient_id, session_id, kind, onset_on",
        "outcome_assessment": "id, patient_id, course_id, assessed_on",
    }

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.cache: dict[tuple[str, int], dict[str, Any] | None] = {}

    def load(self, table: str, ids: Iterable[Any]) -> None:
        wanted = sorted({i for i in ids if isinstance(i, int) and (table, i) not in self.cache})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT {self.COLUMNS[table]} FROM {table} WHERE id IN ({marks})"  # noqa: S608
            for row in self.conn.exec_driver_sql(sql, tuple(chunk)).mappings():
                self.cache[(table, row["id"])] = dict(row)
            for i in chunk:
                self.cache.setdefault((table, i), None)

    def kept(self, table: str, row_id: Any) -> dict[str, Any]:
        """A deleted record's values as its last entry in the trail kept them (a blend item
        deleted with its session is named by the session's day)."""
        if not isinstance(row_id, int):
            return {}
        key = ("kept:" + table, row_id)
        if key not in self.cache:
            text = self.conn.exec_driver_sql(
                "SELECT coalesce(old_values, new_values) FROM audit_entry "
                "WHERE entity = ? AND entity_id = ? ORDER BY seq DESC LIMIT 1",
                (table, row_id),
            ).scalar()
            try:
                values = json.loads(text) if text else {}
            except ValueError:
                values = {}
            self.cache[key] = values if isinstance(values, dict) else {}
        return self.cache[key] or {}

    def get(self, table: str, row_id: Any) -> dict[str, Any] | None:
        if not isinstance(row_id, int):
            return None
        if (table, row_id) not in self.cache:
            self.load(table, [row_id])
        return self.cache[(table, row_id)]


def name_entries(db: Database, entries: Sequence[AuditEntry]) -> dict[int, RecordName]:
    """Each entry's record named as a person knows it, by entry number (entries about no
    record, such as a backup, are left out)."""
    if not any(e.entity for e in entries):
        return {}
    with db.read() as s:
        rows = _Rows(s.connection())
        # the records themselves first, a table at a time, then what they point to
        by_table: dict[str, list[int]] = {}
        for e in entries:
            if e.entity in _Rows.COLUMNS and e.entity_id is not None:
                by_table.setdefault(e.entity, []).append(e.entity_id)
        for table, ids in by_table.items():
            rows.load(table, ids)
        rows.load("patient", [e.patient_id for e in entries])
        return {e.seq: _name(e, rows) for e in entries if e.entity is not None}


def _name(entry: AuditEntry, rows: _Rows) -> RecordName:
    entity = entry.entity or ""
    own = rows.get(entity, entry.entity_id) if entity in _Rows.COLUMNS else None
    # what the entry kept (all the columns of a record created or deleted, the changed ones
    # of a change), under what the record holds now
    kept = {**(entry.before or {}), **(entry.after or {})}
    values = {**kept, **(own or {})}
    gone = own is None and entity in _Rows.COLUMNS and entity != "side_effect_lot"
    patient = _patient(rows.get("patient", entry.patient_id))

    def lot_name(lot_id: Any) -> str:
        lot = rows.get("product_lot", lot_id)
        if lot is None:
            return ""
        product = rows.get("product", lot["product_id"])
        return f"{product['name'] if product else '?'} lot {lot['lot_number']}"

    def session_day(session_id: Any) -> date | None:
        session = rows.get("treatment_session", session_id)
        if session is None:
            session = rows.kept("treatment_session", session_id)
        return _day(session.get("started_at"))

    name = RecordName(entity, patient=patient, gone=gone)
    if entity == "patient":
        return RecordName(entity, patient=patient, gone=gone)
    if entity in ("practitioner", "product"):
        return RecordName(entity, name=str(values.get("name", "")), gone=gone)
    if entity == "ingredient":
        product = rows.get("product", values.get("product_id"))
        of = f" in {product['name']}" if product else ""
        return RecordName(entity, name=f"{values.get('name', '')}{of}", gone=gone)
    if entity == "product_lot":
        product = rows.get("product", values.get("product_id"))
        text = f"{product['name'] if product else '?'} lot {values.get('lot_number', '')}"
        return RecordName(entity, name=text, gone=gone)
    if entity == "course":
        return RecordName(
            entity,
            on=_day(values.get("started_on")),
            indication=_enum(Indication, values.get("indication")),
            patient=patient,
            gone=gone,
        )
    if entity == "treatment_session":
        return RecordName(entity, on=_day(values.get("started_at")), patient=patient, gone=gone)
    if entity == "blend_item":
        return RecordName(
            entity,
            name=lot_name(values.get("lot_id")),
            on=session_day(values.get("session_id")),
            patient=patient,
            gone=gone,
        )
    if entity == "side_effect":
        return RecordName(
            entity,
            on=_day(values.get("onset_on")),
            kind=_enum(SideEffectKind, values.get("kind")),
            patient=patient,
            gone=gone,
        )
    if entity == "side_effect_lot":
        effect = rows.get("side_effect", values.get("side_effect_id"))
        return RecordName(
            entity,
            name=lot_name(values.get("lot_id")),
            on=_day(effect["onset_on"]) if effect else None,
            kind=_enum(SideEffectKind, effect["kind"]) if effect else None,
            patient=patient,
        )
    if entity == "outcome_assessment":
        course = rows.get("course", values.get("course_id"))
        return RecordName(
            entity,
            on=_day(values.get("assessed_on")),
            indication=_enum(Indication, course["indication"]) if course else None,
            patient=patient,
            gone=gone,
        )
    return name


def _patient(row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    return f"{format_record_no(row['record_number'])} {row['last_name']}, {row['first_name']}"


def plain_words(name: RecordName) -> str:
    """The record in plain English with ISO dates (the CSV export, read by spreadsheets)."""
    day = name.on.isoformat() if name.on else "?"
    kind = name.kind.label.lower() if name.kind else "side effect"
    indication = name.indication.label if name.indication else "course"
    text = {
        "patient": f"patient {name.patient}",
        "practitioner": f"practitioner {name.name}",
        "product": f"product {name.name}",
        "ingredient": f"ingredient {name.name}",
        "product_lot": name.name,
        "course": f"course {indication} started {day}",
        "treatment_session": f"session of {day}",
        "blend_item": f"{name.name} in the session of {day}",
        "side_effect": f"{kind} of {day}",
        "side_effect_lot": f"{name.name} suspected in the {kind} of {day}",
        "outcome_assessment": f"course review ({indication}) of {day}",
    }.get(name.entity, name.entity)
    return text + (" (deleted since)" if name.gone else "")
