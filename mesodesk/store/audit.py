"""Writing the audit trail from the store, so that every service is audited without calling it.

Two Session hooks, installed on every session a ``Database`` makes:

- ``after_flush``: each ORM object of an audited table that the flush inserted, changed or
  deleted becomes an entry (create / update / delete; a change of ``archived`` is archive or
  unarchive), with the values before and after, in the same transaction as the change;
- ``do_orm_execute``: UPDATE, DELETE and INSERT statements that a service runs through the
  session on an audited table are audited the same way, row by row.

Only a raw connection (``session.connection().execute``, ``engine.connect()``) bypasses this;
the demo loader, which writes a whole clinic that way, appends one entry itself (``append``).

Entries form a hash chain (mesodesk.domain.audit). Appending reads the chain head and moves it
forward inside the writing transaction; write transactions begin with BEGIN IMMEDIATE, so two
writers can never extend the chain from the same head.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, event, func, insert, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from mesodesk.domain import audit as A
from mesodesk.domain.audit import ChainLink, PendingEntry, format_at, to_jsonable
from mesodesk.domain.errors import DatabaseError
from mesodesk.store.models import AuditHead, AuditRow

if TYPE_CHECKING:
    from mesodesk.store.db import Database

AUDITED = (
    "patient",
    "practitioner",
    "product",
    "ingredient",
    "product_lot",
    "course",
    "treatment_session",
    "blend_item",
    "side_effect",
    "side_effect_lot",
    "outcome_assessment",
)
_AUDITED = frozenset(AUDITED)
# Columns an entry leaves out: stamps the entry's own time already gives, and caches derived
# from other records (whose own changes are audited).
_ALWAYS_IGNORED = frozenset({"created_at", "updated_at"})
IGNORED = {
    "patient": frozenset(
        {
            "first_folded",
            "last_folded",
            "last_session_at",
            "next_due",
            "due_valid_from",
            "due_valid_before",
            "lapsed_since",
        }
    ),
    "course": frozenset({"next_due", "lapses_on"}),
    "ingredient": frozenset({"folded"}),
    "product_lot": frozenset({"lot_folded"}),
}

ENTRIES = cast(Table, AuditRow.__table__)  # type: ignore[attr-defined]
HEAD = cast(Table, AuditHead.__table__)  # type: ignore[attr-defined]


def _ignored(table: str) -> frozenset[str]:
    return _ALWAYS_IGNORED | IGNORED.get(table, frozenset())


# -- appending ------------------------------------------------------------------------------------


def append(conn: Connection, db: Database, entries: Sequence[PendingEntry]) -> list[ChainLink]:
    """Append entries to the chain inside the caller's (write) transaction."""
    if not entries:
        return []
    head = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1).with_for_update())
    row = head.one_or_none()
    if row is None:
        raise DatabaseError(
            "The audit trail's head is missing, so no change can be recorded. Run "
            "`mesodesk check` and restore the database from a backup."
        )
    seq, prev = int(row.seq), str(row.hash)
    at = format_at(db.clock.utcnow())
    actor = db.actor.cleaned()
    links = []
    for entry in entries:
        seq += 1
        link = ChainLink(
            seq=seq,
            at=at,
            actor=actor.name,
            actor_id=actor.practitioner_id,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            patient_id=entry.patient_id,
            before=A.dump_values(entry.before),
            after=A.dump_values(entry.after),
            detail=entry.detail[: A.MAX_DETAIL],
            prev_hash=prev,
        ).sealed()
        links.append(link)
        prev = link.hash
    conn.execute(insert(ENTRIES), [_row(link) for link in links])
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=seq, hash=prev))
    return links


def _row(link: ChainLink) -> dict[str, Any]:
    return {
        "seq": link.seq,
        "at": link.at,
        "actor": link.actor,
        "actor_id": link.actor_id,
        "action": link.action,
        "entity": link.entity,
        "entity_id": link.entity_id,
        "patient_id": link.patient_id,
        "old_values": link.before,
        "new_values": link.after,
        "detail": link.detail,
        "prev_hash": link.prev_hash,
        "hash": link.hash,
    }


def link_from_row(row: Any) -> ChainLink:
    return ChainLink(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        actor_id=row.actor_id,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        patient_id=row.patient_id,
        before=row.old_values,
        after=row.new_values,
        detail=row.detail,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def chain_links(conn: Connection, batch: int = 5000) -> Iterable[ChainLink]:
    """Every entry in sequence order, read in batches."""
    last = 0
    while True:
        rows = conn.execute(
            select(ENTRIES).where(ENTRIES.c.seq > last).order_by(ENTRIES.c.seq).limit(batch)
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield link_from_row(row)
        last = rows[-1].seq


# -- ORM objects (after_flush) --------------------------------------------------------------------


def _table_of(obj: Any) -> str | None:
    table = getattr(type(obj), "__tablename__", None)
    return table if table in _AUDITED else None


def _columns(obj: Any) -> list[tuple[str, str]]:
    """(attribute key, column name) of each column of an ORM object."""
    return [(prop.key, prop.columns[0].name) for prop in inspect(type(obj)).column_attrs]


def _loaded_values(obj: Any, table: str) -> dict[str, Any]:
    """The values an object holds, without loading anything (no SQL inside the flush)."""
    loaded = inspect(obj).dict
    ignored = _ignored(table)
    return {
        column: loaded[key]
        for key, column in _columns(obj)
        if key in loaded and column not in ignored
    }


def _primary_key(obj: Any) -> int | None:
    key = inspect(type(obj)).primary_key_from_instance(obj)
    return key[0] if len(key) == 1 and isinstance(key[0], int) else None


def _changes(obj: Any, table: str) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    ignored = _ignored(table)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, column in _columns(obj):
        if column in ignored:
            continue
        history = state.attrs[key].history
        if not history.added and not history.deleted:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if to_jsonable(old) == to_jsonable(new):
            continue
        before[column] = old
        after[column] = new
    return before, after


def _update_action(table: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    if "archived" in after and table == "patient":
        return A.ARCHIVE if after["archived"] else A.UNARCHIVE
    return A.UPDATE


class _PatientOf:
    """Which patient an entry concerns: the row's own patient_id, or, for a blend item, that of
    its session (looked up among the objects of the flush first, then in the database); for a
    suspected lot, that of its side effect."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sessions: dict[int, int | None] = {}

    def note_session(self, session_id: int | None, patient_id: Any) -> None:
        if session_id is not None and isinstance(patient_id, int):
            self.sessions[session_id] = patient_id

    def __call__(self, table: str, entity_id: int | None, values: dict[str, Any]) -> int | None:
        if table == "patient":
            return entity_id
        patient = values.get("patient_id")
        if isinstance(patient, int):
            return patient
        if table == "side_effect_lot":
            effect_id = values.get("side_effect_id")
            if not isinstance(effect_id, int):
                return None
            found = self.conn.exec_driver_sql(
                "SELECT patient_id FROM side_effect WHERE id = ?", (effect_id,)
            ).scalar()
            return found if isinstance(found, int) else None
        if table == "blend_item":
            session_id = values.get("session_id")
            if not isinstance(session_id, int):
                return None
            if session_id not in self.sessions:
                found = self.conn.exec_driver_sql(
                    "SELECT patient_id FROM treatment_session WHERE id = ?", (session_id,)
                ).scalar()
                self.sessions[session_id] = found
            return self.sessions[session_id]
        return None


def _after_flush(db: Database, session: Session, _context: Any) -> None:
    new = [(obj, t) for obj in session.new if (t := _table_of(obj))]
    dirty = [(obj, t) for obj in session.dirty if (t := _table_of(obj))]
    deleted = [(obj, t) for obj in session.deleted if (t := _table_of(obj))]
    if not (new or dirty or deleted):
        return
    conn = session.connection()
    patient_of = _PatientOf(conn)
    for obj, table in (*new, *dirty, *deleted):
        if table == "treatment_session":
            values = inspect(obj).dict
            patient_of.note_session(values.get("id"), values.get("patient_id"))

    entries: list[PendingEntry] = []
    for obj, table in sorted(new, key=_order):
        values = _loaded_values(obj, table)
        entity_id = _primary_key(obj)
        entries.append(
            PendingEntry(
                A.CREATE, table, entity_id, patient_of(table, entity_id, values), None, values
            )
        )
    for obj, table in sorted(dirty, key=_order):
        before, after = _changes(obj, table)
        if not after:
            continue
        entity_id = _primary_key(obj)
        context = {**_loaded_values(obj, table), **after}
        entries.append(
            PendingEntry(
                _update_action(table, before, after),
                table,
                entity_id,
                patient_of(table, entity_id, context),
                before,
                after,
            )
        )
    for obj, table in sorted(deleted, key=_order):
        values = _loaded_values(obj, table)
        entity_id = _primary_key(obj)
        entries.append(
            PendingEntry(
                A.DELETE, table, entity_id, patient_of(table, entity_id, values), values, None
            )
        )
    append(conn, db, entries)


def _order(item: tuple[Any, str]) -> tuple[int, int]:
    obj, table = item
    return AUDITED.index(table), _primary_key(obj) or 0


# -- statements (do_orm_execute) ------------------------------------------------------------------


def _dml_table(state: ORMExecuteState) -> Table | None:
    statement: Any = state.statement
    table = getattr(statement, "table", None)
    if isinstance(table, Table) and table.name in _AUDITED:
        return table
    return None


def _on_execute(db: Database, state: ORMExecuteState) -> Any:
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    table = _dml_table(state)
    if table is None:
        return None
    key_columns = list(table.primary_key.columns)
    if len(key_columns) != 1:
        return None
    key = key_columns[0]
    conn = state.session.connection()
    params = state.parameters
    many = isinstance(params, list | tuple)
    statement: Any = state.statement
    ignored = _ignored(table.name)

    def rows(where: Any, bind: Any = None) -> dict[int, dict[str, Any]]:
        found = conn.execute(select(table).where(where), bind or {})
        return {
            r._mapping[key.name]: {c: v for c, v in r._mapping.items() if c not in ignored}
            for r in found
        }

    if state.is_insert:
        floor = conn.execute(select(func.coalesce(func.max(key), 0))).scalar_one()
        result = state.invoke_statement()
        made = rows(key > floor)
        _write(conn, db, table.name, [(i, None, v) for i, v in sorted(made.items())])
        return result

    if many:
        ids = [p[key.key] for p in cast(Sequence[Any], params) if key.key in p]
        where = key.in_(ids)
        before = rows(where)
    else:
        where = statement.whereclause if statement.whereclause is not None else key.is_not(None)
        before = rows(where, params or None)
    result = state.invoke_statement()
    if state.is_delete:
        _write(conn, db, table.name, [(i, v, None) for i, v in sorted(before.items())])
        return result
    after = rows(key.in_(list(before))) if before else {}
    changes = []
    for entity_id, old in sorted(before.items()):
        new = after.get(entity_id, {})
        changed = [c for c in new if to_jsonable(new[c]) != to_jsonable(old.get(c))]
        if changed:
            changes.append(
                (entity_id, {c: old.get(c) for c in changed}, {c: new[c] for c in changed})
            )
    _write(conn, db, table.name, changes, context=after)
    return result


def _write(
    conn: Connection,
    db: Database,
    table: str,
    changes: Sequence[tuple[int, dict[str, Any] | None, dict[str, Any] | None]],
    context: dict[int, dict[str, Any]] | None = None,
) -> None:
    if not changes:
        return
    patient_of = _PatientOf(conn)
    entries = []
    for entity_id, before, after in changes:
        if before is None:
            action = A.CREATE
        elif after is None:
            action = A.DELETE
        else:
            action = _update_action(table, before, after)
        values = {**(before or {}), **((context or {}).get(entity_id, {})), **(after or {})}
        entries.append(
            PendingEntry(
                action, table, entity_id, patient_of(table, entity_id, values), before, after
            )
        )
    append(conn, db, entries)


# -- installing -----------------------------------------------------------------------------------


def install(db: Database, maker: sessionmaker[Any]) -> None:
    """Audit every session that ``maker`` makes for ``db``."""
    event.listen(maker, "after_flush", partial(_after_flush, db))
    event.listen(maker, "do_orm_execute", partial(_on_execute, db))
