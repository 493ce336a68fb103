"""The audit trail: recording events, listing and exporting entries, verifying the chain.

Changes to records are audited by the store on their own (store/audit.py); what a service does
that is not a change of a record - a PDF exported or printed, a backup, a restore - it records
with ``record_event``::

    services.audit.record_event(PDF_EXPORT, patient_id=p.id, details={"file": name})
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Select, Table, func, select
from sqlalchemy import inspect as sa_inspect

from mesodesk.domain import audit as A
from mesodesk.domain.audit import (
    AuditEntry,
    AuditPage,
    AuditQuery,
    ChainReport,
    PendingEntry,
    csv_safe,
    format_at,
    parse_at,
    verify_chain,
)
from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import DatabaseError, ValidationError
from mesodesk.domain.patients import format_record_no
from mesodesk.services.audit_names import RecordName, name_entries, plain_words
from mesodesk.services.changes import Changes, Result
from mesodesk.store import audit as store_audit
from mesodesk.store.db import Database
from mesodesk.store.models import Patient as PatientTable

E = store_audit.ENTRIES.c
H = store_audit.HEAD.c
PATIENTS = cast(Table, PatientTable.__table__)  # type: ignore[attr-defined]
P = PATIENTS.c
MAX_PAGE = 1000
GUARD_TRIGGERS = (
    "audit_entry_no_update",
    "audit_entry_no_delete",
    "audit_head_no_delete",
    "audit_head_forward_only",
)
CSV_HEADERS = (
    "entry",
    "when (UTC)",
    "who",
    "practitioner id",
    "action",
    "record type",
    "record id",
    "patient",
    "before",
    "after",
    "detail",
    "hash",
    # what a person knows the record by, worked out when exported (services/audit_names.py)
    "record named",
    "patient named",
)
AUDIT_CHANGED = Changes(audit=True)


class AuditService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or Clock()

    # -- writing --------------------------------------------------------------------------------

    def record_event(
        self,
        action: str,
        *,
        patient_id: int | None = None,
        entity: str | None = None,
        entity_id: int | None = None,
        details: Mapping[str, Any] | None = None,
        detail: str = "",
    ) -> Result[int]:
        """Append an event (a PDF exported or printed, a backup, a restore) to the trail in a
        transaction of its own; the entry's sequence number comes back."""
        if not action or len(action) > 24:
            raise ValidationError.single("action", "An audit action is 1 to 24 characters.")
        with self.db.write() as s:
            links = store_audit.append(
                s.connection(),
                self.db,
                [PendingEntry(action, entity, entity_id, patient_id, None, details, detail)],
            )
        return Result(links[0].seq, AUDIT_CHANGED)

    # -- reading --------------------------------------------------------------------------------

    def _filtered(self, query: AuditQuery) -> Select[Any]:
        stmt = select(
            store_audit.ENTRIES,
            P.record_number.label("record_number"),
        ).select_from(
            store_audit.ENTRIES.outerjoin(PATIENTS, P.id == E.patient_id),
        )
        if query.patient_id is not None:
            stmt = stmt.where(E.patient_id == query.patient_id)
        if query.actor:
            stmt = stmt.where(E.actor == query.actor)
        if query.action:
            stmt = stmt.where(E.action == query.action)
        if query.since is not None:
            stmt = stmt.where(E.at >= format_at(query.since))
        if query.until is not None:
            stmt = stmt.where(E.at < format_at(query.until))
        return stmt

    def search(
        self, query: AuditQuery, *, offset: int = 0, limit: int = 200, newest_first: bool = True
    ) -> AuditPage:
        if not 0 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be 0..{MAX_PAGE}")
        stmt = self._filtered(query)
        counted = stmt.with_only_columns(func.count(), maintain_column_froms=True)
        order = E.seq.desc() if newest_first else E.seq.asc()
        with self.db.read() as s:
            total = s.execute(counted).scalar_one()
            rows = s.execute(stmt.order_by(order).offset(offset).limit(limit)).fetchall()
        return AuditPage([_entry(r) for r in rows], total, offset)

    def names(self, entries: list[AuditEntry]) -> dict[int, RecordName]:
        """Each entry's record as a person knows it, by entry number (audit_names)."""
        return name_entries(self.db, entries)

    def actors(self) -> list[str]:
        """Everyone who appears in the trail, for a filter."""
        with self.db.read() as s:
            return [r[0] for r in s.execute(select(E.actor).distinct().order_by(E.actor))]

    def count(self) -> int:
        with self.db.read() as s:
            return int(s.execute(select(H.seq).where(H.id == 1)).scalar() or 0)

    # -- verifying ------------------------------------------------------------------------------

    def verify(self) -> ChainReport:
        with self.db.read() as s:
            return verify_connection(s.connection())

    # -- exporting ------------------------------------------------------------------------------

    def export_csv(
        self,
        path: Path,
        query: AuditQuery,
        progress: Callable[[int, int, str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> int:
        """Write the matching entries, oldest first, to a CSV file (UTF-8 with a byte-order
        mark, which spreadsheets need to read accents); returns how many. Cells that a
        spreadsheet would take for a formula are neutralised (domain.audit.csv_safe)."""
        written = 0
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8-sig", newline="") as fh:
                out = csv.writer(fh)
                out.writerow(CSV_HEADERS)
                offset = 0
                total = None
                while True:
                    page = self.search(query, offset=offset, limit=MAX_PAGE, newest_first=False)
                    total = page.total if total is None else total
                    names = self.names(page.entries)
                    for e in page.entries:
                        named = names.get(e.seq)
                        out.writerow(
                            [
                                csv_safe(v)
                                for v in (
                                    e.seq,
                                    A.format_at(e.at),
                                    e.actor,
                                    e.actor_id,
                                    e.action,
                                    e.entity,
                                    e.entity_id,
                                    e.record_no,
                                    _json(e.before),
                                    _json(e.after),
                                    e.detail,
                                    e.hash,
                                    plain_words(named) if named else "",
                                    named.patient if named else "",
                                )
                            ]
                        )
                    written += len(page.entries)
                    if progress is not None:
                        progress(written, total or 0, f"{written:,} of {total or 0:,} entries")
                    if cancelled is not None and cancelled():
                        raise DatabaseError("The export was cancelled; no file was written.")
                    if len(page.entries) < MAX_PAGE:
                        break
                    offset += MAX_PAGE
            partial.replace(path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise DatabaseError(f"Cannot write {path}: {exc.strerror}.") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return written


def _json(values: dict[str, Any] | None) -> str:
    if values is None:
        return ""
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        seq=r.seq,
        at=parse_at(r.at),
        actor=r.actor,
        actor_id=r.actor_id,
        action=r.action,
        entity=r.entity,
        entity_id=r.entity_id,
        patient_id=r.patient_id,
        record_no=format_record_no(r.record_number) if r.record_number is not None else None,
        before=_loads(r.old_values),
        after=_loads(r.new_values),
        detail=r.detail,
        hash=r.hash,
    )


def _loads(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"?": text}
    return value if isinstance(value, dict) else {"?": value}


def verify_connection(conn: Connection) -> ChainReport:
    """Verify the chain over a connection (the app's, or a read-only one on any file)."""
    names = set(sa_inspect(conn).get_table_names())
    if "audit_entry" not in names or "audit_head" not in names:
        return ChainReport(
            0, 0, None, "This database has no audit trail yet (it opens with mesodesk to add one)."
        )
    head = conn.execute(select(H.seq, H.hash).where(H.id == 1)).one_or_none()
    if head is None:
        return ChainReport(0, 0, 1, "The audit trail's head is missing (deleted outside mesodesk).")
    report = verify_chain(store_audit.chain_links(conn), int(head.seq), str(head.hash))
    if conn.dialect.name == "sqlite":
        triggers = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")
        present = {r[0] for r in triggers}
        missing = tuple(t for t in GUARD_TRIGGERS if t not in present)
        if missing:
            report = ChainReport(
                report.entries, report.head_seq, report.first_bad, report.problem, missing
            )
    return report
