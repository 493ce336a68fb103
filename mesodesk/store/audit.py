"""Writing the audit trail from the store, so that every service is audited without calling it.

Two Session hooks, installed on every session a ``Database`` makes:

- ``after_flush``: each ORM object of an audited table that the flush inserted, changed or
  deleted becomes an entry (create / update / delete; a change of ``archived`` is archive or
  unarchive), with the values before and after, in the same transaction as the change;
- ``do_orm_execute``: UPDATE, DELETE and INSERT statements that a service runs through the
  session on an audited table are audited the same way, row by row.

Every table is audited but the few listed in mesodesk.store.rows.NOT_AUDITED. Each entry that
leaves a row in a new state names the row (``row_key``) and carries the MAC of its content
(``row_mac``), read back from the database inside the same transaction, so that `mesodesk check`
can tell a row changed outside mesodesk from one changed through it.

Only a raw connection (``session.connection().execute``, ``engine.connect()``) bypasses this;
the demo loader, which writes a whole clinic that way, seals its rows in bulk itself
(mesodesk.store.seals).

Entries form a chain sealed with the clinic key (mesodesk.domain.audit). Appending reads the
chain head and moves it forward inside the writing transaction; write transactions begin with
BEGIN IMMEDIATE, so two writers can never extend the chain from the same head.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Connection, Table, event, func, insert, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from mesodesk.domain import audit as A
from mesodesk.domain.audit import Actor, ChainLink, PendingEntry, format_at, to_jsonable
from mesodesk.domain.errors import DatabaseError
from mesodesk.domain.integrity import row_key
from mesodesk.store.models import AuditHead, AuditRow
from mesodesk.store.rows import audited, ignored, macs_of, table_shape
from mesodesk.store.schema import is_legacy

if TYPE_CHECKING:
    from mesodesk.domain.clock import Clock
    from mesodesk.store.keys import ClinicKey


class Database(Protocol):
    """What the audit trail needs of the open database (mesodesk.store.db.Database, which
    installs these hooks: this module does not import it, so the two make no circle)."""

    key: ClinicKey | None
    actor: Actor
    clock: Clock

    def require_key(self) -> ClinicKey: ...

    def appended(self, conn: Any, link: ChainLink) -> None: ...


# The order in which one flush's entries are written (parents before children); tables not
# named here (added later) come after, by name.
ORDER = (
    "clinic",
    "app_setting",
    "counter",
    "practitioner",
    "product",
    "ingredient",
    "product_lot",
    "patient",
    "course",
    "treatment_session",
    "blend_item",
    "side_effect",
    "side_effect_lot",
    "outcome_assessment",
)

ENTRIES = cast(Table, AuditRow.__table__)  # type: ignore[attr-defined]
HEAD = cast(Table, AuditHead.__table__)  # type: ignore[attr-defined]


def _ignored(table: str) -> frozenset[str]:
    return ignored(table)


# -- appending ------------------------------------------------------------------------------------


def append_links(
    conn: Connection,
    entries: Sequence[PendingEntry],
    *,
    key: bytes,
    actor: Actor,
    at: str,
) -> list[ChainLink]:
    """Append entries, sealed with ``key``, inside the caller's (write) transaction."""
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
    actor = actor.cleaned()
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
            row_key=entry.row_key,
            row_mac=entry.row_mac,
        ).sealed(key)
        links.append(link)
        prev = link.hash
    conn.execute(insert(ENTRIES), [_row(link) for link in links])
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=seq, hash=prev))
    return links


def append(conn: Connection, db: Database, entries: Sequence[PendingEntry]) -> list[ChainLink]:
    """Append entries to the chain inside the caller's (write) transaction, sealed with the
    clinic key, as the database's actor at its clock's time."""
    if not entries:
        return []
    if db.key is None and _legacy_schema(conn):
        # a database still at a schema from before the keyed chain (only a test or an upgrade
        # under way builds one): its chain goes on as it was, plain SHA-256
        return _append_legacy(conn, db, entries)
    key = db.require_key()
    links = append_links(
        conn, entries, key=key.secret, actor=db.actor, at=format_at(db.clock.utcnow())
    )
    db.appended(conn, links[-1])
    return links


def _legacy_schema(conn: Connection) -> bool:
    revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return is_legacy(revision)


def _append_legacy(
    conn: Connection, db: Database, entries: Sequence[PendingEntry]
) -> list[ChainLink]:
    head = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one()
    seq, prev = int(head.seq), str(head.hash)
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
        ).sealed(None)
        links.append(link)
        prev = link.hash
    rows = [
        {k: v for k, v in _row(link).items() if k not in ("row_key", "row_mac")} for link in links
    ]
    conn.execute(insert(ENTRIES), rows)
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
        "row_key": link.row_key,
        "row_mac": link.row_mac,
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
        row_key=getattr(row, "row_key", None),
        row_mac=getattr(row, "row_mac", None),
    )


def entry_columns(conn: Connection) -> list[Any]:
    """The columns of audit_entry this database has (row_key and row_mac came with 0006)."""
    present = {c["name"] for c in inspect(conn).get_columns("audit_entry")}
    return [c for c in ENTRIES.c if c.name in present]


def chain_links(conn: Connection, batch: int = 5000, start: int = 0) -> Iterable[ChainLink]:
    """Every entry in sequence order (after ``start``), read in batches."""
    last = start
    columns = entry_columns(conn)
    while True:
        rows = conn.execute(
            select(*columns).where(ENTRIES.c.seq > last).order_by(ENTRIES.c.seq).limit(batch)
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield link_from_row(row)
        last = rows[-1].seq


# -- ORM objects (after_flush) --------------------------------------------------------------------


def _table_of(obj: Any) -> str | None:
    table = getattr(type(obj), "__tablename__", None)
    return table if isinstance(table, str) and audited(table) else None


def _columns(obj: Any) -> list[tuple[str, str]]:
    """(attribute key, column name) of each column of an ORM object."""
    return [(prop.key, prop.columns[0].name) for prop in inspect(type(obj)).column_attrs]


def _loaded_values(obj: Any, table: str) -> dict[str, Any]:
    """The values an object holds, without loading anything (no SQL inside the flush)."""
    loaded = inspect(obj).dict
    skip = _ignored(table)
    return {
        column: loaded[key] for key, column in _columns(obj) if key in loaded and column not in skip
    }


def _key_values(obj: Any) -> tuple[Any, ...]:
    """The primary key of an ORM object, in the table's key order."""
    return tuple(inspect(type(obj)).primary_key_from_instance(obj))


def _entity_id(key: Sequence[Any]) -> int | None:
    return key[0] if len(key) == 1 and isinstance(key[0], int) else None


def _changes(obj: Any, table: str) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    skip = _ignored(table)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, column in _columns(obj):
        if column in skip:
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
        session_id = values.get("session_id")
        if isinstance(session_id, int) and table != "treatment_session":
            if session_id not in self.sessions:
                found = self.conn.exec_driver_sql(
                    "SELECT patient_id FROM treatment_session WHERE id = ?", (session_id,)
                ).scalar()
                self.sessions[session_id] = found
            return self.sessions[session_id]
        return None


class _Batch:
    """The entries of one flush or statement, with the rows whose MACs they need."""

    def __init__(self, conn: Connection, db: Database) -> None:
        self.conn = conn
        self.db = db
        self.entries: list[PendingEntry] = []
        self.needs: dict[str, list[tuple[PendingEntry, tuple[Any, ...]]]] = {}

    def add(self, entry: PendingEntry, table: str, key: Sequence[Any]) -> None:
        entry.row_key = row_key(key)
        self.entries.append(entry)
        if entry.action != A.DELETE:
            self.needs.setdefault(table, []).append((entry, tuple(key)))

    def write(self) -> None:
        if not self.entries:
            return
        if self.db.key is None and _legacy_schema(self.conn):
            for entry in self.entries:
                entry.row_key = None
            append(self.conn, self.db, self.entries)  # chain version 1: no row seals yet
            return
        secret = self.db.require_key().secret
        for table, wanted in self.needs.items():
            shape = table_shape(self.conn, table)
            macs = macs_of(self.conn, secret, shape, [k for _e, k in wanted])
            for entry, _key in wanted:
                entry.row_mac = macs.get(entry.row_key or "")
        append(self.conn, self.db, self.entries)


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

    batch = _Batch(conn, db)
    for obj, table in sorted(new, key=_order):
        values = _loaded_values(obj, table)
        key = _key_values(obj)
        entity_id = _entity_id(key)
        batch.add(
            PendingEntry(
                A.CREATE, table, entity_id, patient_of(table, entity_id, values), None, values
            ),
            table,
            key,
        )
    for obj, table in sorted(dirty, key=_order):
        before, after = _changes(obj, table)
        if not after:
            continue
        key = _key_values(obj)
        entity_id = _entity_id(key)
        context = {**_loaded_values(obj, table), **after}
        batch.add(
            PendingEntry(
                _update_action(table, before, after),
                table,
                entity_id,
                patient_of(table, entity_id, context),
                before,
                after,
            ),
            table,
            key,
        )
    for obj, table in sorted(deleted, key=_order):
        values = _loaded_values(obj, table)
        key = _key_values(obj)
        entity_id = _entity_id(key)
        batch.add(
            PendingEntry(
                A.DELETE, table, entity_id, patient_of(table, entity_id, values), values, None
            ),
            table,
            key,
        )
    batch.write()


def _table_rank(table: str) -> tuple[int, str]:
    return (ORDER.index(table), "") if table in ORDER else (len(ORDER), table)


def _order(item: tuple[Any, str]) -> tuple[tuple[int, str], str]:
    obj, table = item
    return _table_rank(table), repr(_key_values(obj))


# -- statements (do_orm_execute) ------------------------------------------------------------------


def _dml_table(state: ORMExecuteState) -> Table | None:
    statement: Any = state.statement
    table = getattr(statement, "table", None)
    if isinstance(table, Table) and audited(table.name):
        return table
    return None


def _on_execute(db: Database, state: ORMExecuteState) -> Any:
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    table = _dml_table(state)
    if table is None:
        return None
    key_columns = list(table.primary_key.columns)
    conn = state.session.connection()
    params = state.parameters
    many = isinstance(params, list | tuple)
    statement: Any = state.statement
    skip = _ignored(table.name)

    def key_of(mapping: Any) -> tuple[Any, ...]:
        return tuple(mapping[c.name] for c in key_columns)

    def rows(where: Any, bind: Any = None) -> dict[tuple[Any, ...], dict[str, Any]]:
        found = conn.execute(select(table).where(where), bind or {})
        return {
            key_of(r._mapping): {c: v for c, v in r._mapping.items() if c not in skip}
            for r in found
        }

    def where_keys(keys: Sequence[tuple[Any, ...]]) -> Any:
        if len(key_columns) == 1:
            return key_columns[0].in_([k[0] for k in keys])
        from sqlalchemy import tuple_

        return tuple_(*key_columns).in_(list(keys))

    if state.is_insert:
        listed: list[Any] = (
            list(cast(Sequence[Any], params)) if many else [params] if params else []
        )
        if listed and all(all(c.key in p for c in key_columns) for p in listed):
            result = state.invoke_statement()
            keys = [tuple(p[c.key] for c in key_columns) for p in listed]
            made = rows(where_keys(keys)) if keys else {}
        elif len(key_columns) == 1:
            pk = key_columns[0]
            floor = conn.execute(select(func.coalesce(func.max(pk), 0))).scalar_one()
            result = state.invoke_statement()
            made = rows(pk > floor)
        else:
            existing = set(rows(key_columns[0].is_not(None)))
            result = state.invoke_statement()
            made = {k: v for k, v in rows(key_columns[0].is_not(None)).items() if k not in existing}
        _write(conn, db, table.name, [(k, None, v) for k, v in sorted(made.items())])
        return result

    if many:
        keys = [
            tuple(p[c.key] for c in key_columns)
            for p in cast(Sequence[Any], params)
            if all(c.key in p for c in key_columns)
        ]
        before = rows(where_keys(keys)) if keys else {}
    else:
        where = (
            statement.whereclause
            if statement.whereclause is not None
            else key_columns[0].is_not(None)
        )
        before = rows(where, params or None)
    result = state.invoke_statement()
    if state.is_delete:
        _write(conn, db, table.name, [(k, v, None) for k, v in sorted(before.items())])
        return result
    after = rows(where_keys(list(before))) if before else {}
    changes = []
    for key, old in sorted(before.items()):
        new = after.get(key, {})
        changed = [c for c in new if to_jsonable(new[c]) != to_jsonable(old.get(c))]
        if changed:
            changes.append((key, {c: old.get(c) for c in changed}, {c: new[c] for c in changed}))
    _write(conn, db, table.name, changes, context=after)
    return result


def _write(
    conn: Connection,
    db: Database,
    table: str,
    changes: Sequence[tuple[tuple[Any, ...], dict[str, Any] | None, dict[str, Any] | None]],
    context: dict[tuple[Any, ...], dict[str, Any]] | None = None,
) -> None:
    if not changes:
        return
    patient_of = _PatientOf(conn)
    batch = _Batch(conn, db)
    for key, before, after in changes:
        if before is None:
            action = A.CREATE
        elif after is None:
            action = A.DELETE
        else:
            action = _update_action(table, before, after)
        values = {**(before or {}), **((context or {}).get(key, {})), **(after or {})}
        entity_id = _entity_id(key)
        batch.add(
            PendingEntry(
                action, table, entity_id, patient_of(table, entity_id, values), before, after
            ),
            table,
            key,
        )
    batch.write()


# -- installing -----------------------------------------------------------------------------------


def install(db: Database, maker: sessionmaker[Any]) -> None:
    """Audit every session that ``maker`` makes for ``db``."""
    event.listen(maker, "after_flush", partial(_after_flush, db))
    event.listen(maker, "do_orm_execute", partial(_on_execute, db))
