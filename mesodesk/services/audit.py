"""The audit trail: recording events, listing and exporting entries, verifying the chain.

Changes to records are audited by the store on their own (store/audit.py); what a service does
that is not a change of a record - a PDF exported or printed, a backup, a restore - it records
with ``record_event``::

    services.audit.record_event(PDF_EXPORT, patient_id=p.id, details={"file": name})
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Mapping, Sequence
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
)
from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import DatabaseError, ValidationError
from mesodesk.domain.integrity import Anchor, anchor_problem
from mesodesk.domain.patients import format_record_no
from mesodesk.services.audit_names import RecordName, name_entries, plain_words
from mesodesk.services.changes import Changes, Result
from mesodesk.store import audit as store_audit
from mesodesk.store.db import Database
from mesodesk.store.integrity import (
    entry_seal,
    load_key,
    replaced_heads,
    verify_trail,
    witness_where,
)
from mesodesk.store.keys import ClinicKey, KeyStore
from mesodesk.store.models import Patient as PatientTable

E = store_audit.ENTRIES.c
H = store_audit.HEAD.c
PATIENTS = cast(Table, PatientTable.__table__)  # type: ignore[attr-defined]
P = PATIENTS.c
MAX_PAGE = 1000
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

    def anchor(self) -> str:
        """The trail's head as a summary prints it: "ENTRY:SEAL" (its first 16 digits), so a
        printed page can later prove the trail then held that entry."""
        with self.db.read() as s:
            head = s.execute(select(H.seq, H.hash).where(H.id == 1)).first()
        return f"{head.seq}:{head.hash[:16]}" if head is not None and head.seq else ""

    def count(self) -> int:
        with self.db.read() as s:
            return int(s.execute(select(H.seq).where(H.id == 1)).scalar() or 0)

    # -- verifying ------------------------------------------------------------------------------

    def verify(self, folders: Sequence[Path] = (), anchors: Sequence[Anchor] = ()) -> ChainReport:
        """Verify the trail and its anchors: the witness, the backups in ``folders``, and
        anchors given (from printed summaries)."""
        where = witness_where(self.db)
        with self.db.read() as s:
            return verify_connection(
                s.connection(), keys=self.db.keys, where=where, folders=folders, anchors=anchors
            )

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
        from mesodesk.files import write_text_atomically

        def write(fh: Any) -> int:
            written = 0
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
                    return written
                offset += MAX_PAGE

        written = write_text_atomically(Path(path), write, encoding="utf-8-sig")
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


GUARDED = ("audit_entry", "audit_head", "audit_row_seal", "clinic")
_PDF_ANCHOR = re.compile(rb"mesodesk audit anchor (\d{1,12}):([0-9a-f]{16,64})")


def guard_problems(conn: Connection) -> list[str]:
    """The guard triggers of the trail (and any other trigger on its tables) against those the
    migrations build: not by name only, by what they do (a same-name trigger made harmless with
    ``WHEN 0`` is a changed trigger)."""
    if conn.dialect.name != "sqlite":
        return []
    from mesodesk.domain.integrity import schema_differences
    from mesodesk.store.integrity import actual_schema
    from mesodesk.store.migrate import expected_schema, known_revisions
    from mesodesk.store.safety import schema_revision

    revision = schema_revision(conn.connection.driver_connection)  # type: ignore[arg-type]
    if revision is None or revision not in known_revisions():
        return []
    expected = {
        n: o
        for n, o in expected_schema(revision).items()
        if o.kind == "trigger" and o.table in GUARDED
    }
    actual = {
        n: o for n, o in actual_schema(conn).items() if o.kind == "trigger" and o.table in GUARDED
    }
    return [f"The audit trail's guard: {p}." for p in schema_differences(expected, actual)]


def pdf_anchor(path: Path) -> Anchor:
    """The anchor a PDF summary carries (its footer prints it; its metadata holds it too)."""
    from mesodesk.files import read_input

    data = read_input(path, limit=200_000_000, what="PDF summary")
    found = _PDF_ANCHOR.search(data)
    if found is None:
        raise DatabaseError(f"{path} is not a PDF summary made by this version of mesodesk.")
    return Anchor(f"the PDF summary {path.name}", int(found[1]), found[2].decode())


def parse_anchor(text: str) -> Anchor:
    """An anchor typed from a printed page: ``ENTRY:SEAL`` (the seal's first 16 digits)."""
    number, _, seal_text = text.replace(",", "").replace(" ", "").partition(":")
    if not number.isdigit() or len(number) > 12 or not re.fullmatch(r"[0-9a-f]{12,64}", seal_text):
        raise ValidationError.single(
            "anchor",
            "An anchor is the entry number and the seal printed on a summary, such as "
            "1234:9f2c4e1a0b3d5c7e.",
        )
    return Anchor("the anchor given", int(number), seal_text)


def verify_connection(
    conn: Connection,
    *,
    keys: KeyStore | None = None,
    where: str | None = None,
    folders: Sequence[Path] = (),
    anchors: Sequence[Anchor] = (),
) -> ChainReport:
    """Verify the trail over a connection (the app's, or a read-only one on any file): the
    chain with the clinic key, the guard triggers, and every anchor that can be found: the
    witness file of this database, the backups in ``folders``, and ``anchors`` given."""
    from mesodesk.store.keys import FileKeyStore

    keys = keys or FileKeyStore()
    report, clinic = verify_trail(conn, keys)
    if conn.dialect.name == "sqlite" and "audit_entry" in set(sa_inspect(conn).get_table_names()):
        guards = guard_problems(conn)
        if guards:
            report = report.with_problems(*guards)
    if clinic is None or report.cannot_verify:
        return report
    key, _why = load_key(clinic, keys)
    if key is None:
        return report
    return check_anchors(conn, report, key, where, folders, anchors)


def check_anchors(
    conn: Connection,
    report: ChainReport,
    key: ClinicKey,
    where: str | None,
    folders: Sequence[Path],
    anchors: Sequence[Anchor],
) -> ChainReport:
    from mesodesk.store.anchors import Witness, WitnessDamaged, backup_head

    found: list[Anchor] = list(anchors)
    problems: list[str] = []
    notes: list[str] = []
    witnessed = 0
    if where is not None:
        witness = Witness(key, where)
        try:
            seen = witness.read()
        except WitnessDamaged as exc:
            problems.append(f"The witness file {witness.path} {exc}.")
            seen = None
        if seen is not None:
            found.append(seen.anchor(witness.path))
            witnessed = 1
        elif not problems:
            notes.append(
                f"There is no witness file for this database on this computer yet ({witness.path})."
            )
    backups = 0
    for folder in dict.fromkeys(folders):
        try:
            files = sorted(folder.glob("*.sqlite3"))
        except OSError:
            continue
        for path in files:
            head = backup_head(path)
            if head is None or head.uid != key.uid or head.seq == 0:
                continue
            backups += 1
            found.append(Anchor(f"the backup {path.name}", head.seq, head.hash, head.at))
    end = int(conn.execute(select(func.coalesce(func.max(E.seq), 0))).scalar_one())
    replaced: list[Any] | None = None
    for anchor in found:
        stored = entry_seal(conn, anchor.seq)
        if stored is not None and anchor.matches(stored):
            continue
        if replaced is None:
            replaced = replaced_heads(conn)
        problem = anchor_problem(anchor, stored, end, replaced)
        if problem:
            problems.append(problem)
    given = len(anchors)
    parts = []
    if witnessed:
        parts.append("the witness file")
    if backups:
        parts.append(f"{backups} backup{'s' if backups != 1 else ''}")
    if given:
        parts.append(f"{given} anchor{'s' if given != 1 else ''} given")
    if parts:
        notes.insert(0, f"Checked against {', '.join(parts)}.")
    return report.with_problems(*problems).with_notes(*notes)
