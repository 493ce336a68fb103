"""The clinic's identity in the database, the keyed chain's start, bulk seals of rows, and the
checks that read them back (mesodesk.domain.integrity says why each exists).

- ``read_clinic``: which clinic a database belongs to (migration 0006's ``clinic`` row).
- ``start_keyed_chain``: migration 0006's data step: the clinic's identity and key, the first
  keyed entry (sealing the entries written before, by their last hash and a digest), and a seal
  of every row as the upgrade found it.
- ``seal_tables``: one ``seal`` entry per table holding the MAC of each of its rows (a bulk
  load, an upgrade); the MACs are stored in ``audit_row_seal``, the entry seals their digest.
- ``verify_trail``: the chain, from its keyed start, with the clinic key.
- ``row_findings``: every row of every audited table against its newest entry or seal.
"""

# ruff: noqa: S608 - table names below come from the database's own catalogue, quoted

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy import inspect as sa_inspect

from mesodesk.domain import audit as A
from mesodesk.domain.audit import (
    GENESIS,
    Actor,
    ChainLink,
    ChainReport,
    LegacyPart,
    PendingEntry,
    legacy_digest,
    verify_chain,
)
from mesodesk.domain.integrity import (
    SEAL_PART_ROWS,
    Expected,
    Replaced,
    RowFinding,
    RowState,
    SchemaObject,
    pack_keys,
    part_digest,
    row_key,
    row_mac,
    schema_objects,
)
from mesodesk.domain.patients import RECORD_COUNTER
from mesodesk.store.audit import (
    ENTRIES,
    HEAD,
    append_links,
    chain_links,
    entry_columns,
    link_from_row,
)
from mesodesk.store.keys import ClinicKey, KeyStore
from mesodesk.store.models import AuditRowSeal, Clinic
from mesodesk.store.rows import audited_tables, iter_macs, quote, table_shape

if TYPE_CHECKING:
    from mesodesk.store.db import Database

CLINIC = cast(Table, Clinic.__table__)  # type: ignore[attr-defined]
SEALS = cast(Table, AuditRowSeal.__table__)  # type: ignore[attr-defined]
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ClinicRecord:
    uid: str
    key_id: str
    keyed_from: int
    created_at: str


def has_table(conn: Connection, name: str) -> bool:
    return bool(sa_inspect(conn).has_table(name))


def read_clinic(conn: Connection) -> ClinicRecord | None:
    """Which clinic the database belongs to; None before migration 0006 or when the row is gone."""
    if not has_table(conn, "clinic"):
        return None
    row = conn.execute(select(CLINIC).where(CLINIC.c.id == 1)).first()
    if row is None:
        return None
    return ClinicRecord(str(row.uid), str(row.key_id), int(row.keyed_from), str(row.created_at))


# -- sealing ---------------------------------------------------------------------------------------


def seal_tables(
    conn: Connection,
    key: ClinicKey,
    tables: Sequence[str],
    *,
    detail: str,
    actor: Actor,
    at: str,
    progress: Progress | None = None,
    skip_empty: bool = True,
) -> list[ChainLink]:
    """Seal every row of each table as it is now, one ``seal`` entry per table. An empty table
    that the trail says nothing of yet needs no seal (``skip_empty``)."""
    links = []
    for index, table in enumerate(tables):
        if progress is not None:
            progress(index, len(tables), f"Sealing {table}")
        if skip_empty and _untouched(conn, table):
            continue
        shape = table_shape(conn, table)
        parts: list[tuple[str, bytes]] = []
        keys: list[str] = []
        macs = bytearray()
        rows = 0
        for found_key, mac in iter_macs(conn, key.secret, shape):
            keys.append(found_key)
            macs += mac
            rows += 1
            if len(keys) == SEAL_PART_ROWS:
                parts.append((pack_keys(keys), bytes(macs)))
                keys, macs = [], bytearray()
        if keys:
            parts.append((pack_keys(keys), bytes(macs)))
        after = {
            "table": table,
            "rows": rows,
            "columns": list(shape.content),
            "parts": [part_digest(packed, data) for packed, data in parts],
        }
        link = append_links(
            conn,
            [PendingEntry(A.SEAL, table, None, None, None, after, detail)],
            key=key.secret,
            actor=actor,
            at=at,
        )[0]
        if parts:
            conn.execute(
                insert(SEALS),
                [
                    {"seq": link.seq, "part": i, "keys": packed, "macs": data}
                    for i, (packed, data) in enumerate(parts)
                ],
            )
        links.append(link)
    return links


def _untouched(conn: Connection, table: str) -> bool:
    """An empty table with no entry about any of its rows."""
    if conn.exec_driver_sql(f"SELECT 1 FROM {quote(table)} LIMIT 1").first() is not None:
        return False
    said = conn.exec_driver_sql(
        "SELECT 1 FROM audit_entry WHERE entity = ? AND (row_key IS NOT NULL OR action = ?) "
        "LIMIT 1",
        (table, A.SEAL),
    ).first()
    return said is None


def start_keyed_chain(
    conn: Connection,
    *,
    keys: KeyStore,
    identity: ClinicKey | None,
    revision: str,
    actor: Actor,
    at: str,
) -> ClinicKey:
    """Migration 0006's data step, in the migration's transaction: give the database its clinic
    (``identity``, or a new one with a new key) and seal the chain from here on with its key."""
    head = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).first()
    head_seq, head_hash = (int(head.seq), str(head.hash)) if head is not None else (0, GENESIS)
    links = list(chain_links(conn))
    old = verify_chain(links, head_seq, head_hash)
    digest = legacy_digest(links)
    legacy_head = links[-1].hash if links else GENESIS
    # entries cut from the end of an old trail stay missing (verify then names them)
    legacy_end = max(links[-1].seq if links else 0, head_seq)
    key = identity if identity is not None else keys.create(_new_uid())
    conn.execute(
        insert(CLINIC).values(
            id=1, uid=key.uid, key_id=key.key_id, keyed_from=legacy_end + 1, created_at=at
        )
    )
    shape = table_shape(conn, "clinic")
    values = conn.exec_driver_sql(f"{shape.select()} WHERE id = 1").first()
    assert values is not None
    marker = PendingEntry(
        A.CHAIN_KEYED,
        "clinic",
        1,
        None,
        None,
        {
            "clinic": key.uid,
            "key_id": key.key_id,
            "legacy_entries": legacy_end,
            "legacy_digest": digest,
            "legacy_verified": old.ok,
            "legacy_problem": old.describe() if not old.ok else "",
            "schema": revision,
        },
        "the audit trail is sealed with the clinic key from here on",
        row_key=row_key([1]),
        row_mac=row_mac(
            key.secret, "clinic", values[len(shape.key) :], native=conn.dialect.name == "sqlite"
        ),
    )
    if head is None:
        conn.execute(insert(HEAD).values(id=1, seq=legacy_end, hash=legacy_head))
    elif head_seq < legacy_end or (head_seq == legacy_end and head_hash != legacy_head):
        # a head set back by hand: the chain goes on from the entries as they are, and the
        # first keyed entry records what the old check found
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=legacy_end, hash=legacy_head))
    append_links(conn, [marker], key=key.secret, actor=actor, at=at)
    tables = [t for t in audited_tables(conn) if t != "clinic"]
    seal_tables(
        conn,
        key,
        tables,
        detail=f"every record as it was at the upgrade to schema {revision}",
        actor=actor,
        at=at,
    )
    return key


def _new_uid() -> str:
    from mesodesk.store.keys import new_uid

    return new_uid()


# -- verifying the chain ---------------------------------------------------------------------------


def missing_key_message(clinic: ClinicRecord, keys: KeyStore) -> str:
    return (
        "Cannot verify the audit trail without the clinic key: it is not on this computer "
        f"(mesodesk looks for it in {keys.location(clinic.uid)}). Copy the key from the "
        "computer this database comes from (README: Moving to a new computer), or run "
        "mesodesk key import FILE."
    )


def load_key(clinic: ClinicRecord, keys: KeyStore) -> tuple[ClinicKey | None, str]:
    """The clinic's key, or why it cannot be used."""
    from mesodesk.domain.errors import DatabaseError

    try:
        key = keys.load(clinic.uid)
    except DatabaseError as exc:
        return None, f"Cannot verify the audit trail: {exc}"
    if key is None:
        return None, missing_key_message(clinic, keys)
    if key.key_id != clinic.key_id:
        return None, (
            f"Cannot verify the audit trail: the clinic key in {keys.location(clinic.uid)} is "
            f"not the one this database was sealed with (key {clinic.key_id})."
        )
    return key, ""


def _marker(
    conn: Connection, clinic: ClinicRecord, key: ClinicKey
) -> tuple[LegacyPart | None, str]:
    row = conn.execute(
        select(*entry_columns(conn)).where(ENTRIES.c.seq == clinic.keyed_from)
    ).first()
    if row is None:
        return None, (
            f"The audit trail's keyed start, entry {clinic.keyed_from:,}, is missing (the trail "
            "was cut or wiped)."
        )
    link = link_from_row(row)
    try:
        facts = json.loads(link.after or "{}")
    except ValueError:
        facts = {}
    genuine = (
        link.action == A.CHAIN_KEYED
        and link.computed_hash(key.secret) == link.hash
        and facts.get("clinic") == clinic.uid
        and facts.get("legacy_entries") == clinic.keyed_from - 1
    )
    if not genuine:
        return None, (
            f"The audit trail's keyed start, entry {clinic.keyed_from:,}, is not the one "
            "mesodesk wrote: its seal is not the clinic key's, or it names another clinic (the "
            "trail or the clinic's identity was changed outside mesodesk)."
        )
    problem = str(facts.get("legacy_problem") or "") if not facts.get("legacy_verified") else ""
    return LegacyPart(clinic.keyed_from - 1, str(facts.get("legacy_digest", "")), problem), ""


def verify_trail(conn: Connection, keys: KeyStore) -> tuple[ChainReport, ClinicRecord | None]:
    """Verify the chain: keyed from the clinic's keyed start, plain SHA-256 before it (or all
    of it, in a database not yet upgraded to 0006)."""
    names = set(sa_inspect(conn).get_table_names())
    if "audit_entry" not in names or "audit_head" not in names:
        return ChainReport(
            0, 0, None, "This database has no audit trail yet (it opens with mesodesk to add one)."
        ), None
    head = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one_or_none()
    if head is None:
        return ChainReport(
            0, 0, 1, "The audit trail's head is missing (deleted outside mesodesk)."
        ), read_clinic(conn)
    clinic = read_clinic(conn)
    if clinic is None:
        from mesodesk.store.migrate import is_legacy

        revision = (
            conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            if "alembic_version" in names
            else None
        )
        if not is_legacy(revision):
            return ChainReport(
                0,
                int(head.seq),
                1,
                "The database's clinic identity was deleted outside mesodesk, so its audit "
                "trail cannot be verified.",
            ), None
        report = verify_chain(chain_links(conn), int(head.seq), str(head.hash))
        return report, None
    key, why = load_key(clinic, keys)
    if key is None:
        return ChainReport(0, int(head.seq), None, cannot_verify=why), clinic
    legacy, problem = _marker(conn, clinic, key)
    if legacy is None:
        return ChainReport(0, int(head.seq), clinic.keyed_from, problem, keyed=True), clinic
    report = verify_chain(
        chain_links(conn), int(head.seq), str(head.hash), key=key.secret, legacy=legacy
    )
    return report, clinic


def replaced_heads(conn: Connection) -> list[Replaced]:
    """The restores recorded in the trail, with the head of the trail each replaced."""
    found = []
    rows = conn.execute(
        select(ENTRIES.c.at, ENTRIES.c.new_values).where(ENTRIES.c.action == A.RESTORE)
    ).fetchall()
    for at, values in rows:
        try:
            facts = json.loads(values or "{}")
            found.append(Replaced(str(at), int(facts.get("replaced_head_seq") or 0)))
        except (ValueError, TypeError):
            continue
    return found


def entry_seal(conn: Connection, seq: int) -> str | None:
    return conn.execute(select(ENTRIES.c.hash).where(ENTRIES.c.seq == seq)).scalar()


# -- rows ------------------------------------------------------------------------------------------


def _expected(conn: Connection, table: str) -> tuple[Expected, list[str]]:
    """What the trail says of every row of a table, and any damage to the stored seals."""
    problems: list[str] = []
    seal = conn.execute(
        select(ENTRIES.c.seq, ENTRIES.c.new_values)
        .where(ENTRIES.c.action == A.SEAL, ENTRIES.c.entity == table)
        .order_by(ENTRIES.c.seq.desc())
        .limit(1)
    ).first()
    seal_seq: int | None = None
    parts: list[tuple[str, bytes]] = []
    if seal is not None:
        seal_seq = int(seal.seq)
        try:
            digests = list(json.loads(seal.new_values or "{}").get("parts", []))
        except (ValueError, AttributeError):
            digests = []
        stored = conn.execute(
            select(SEALS.c["keys"], SEALS.c["macs"])
            .where(SEALS.c.seq == seal_seq)
            .order_by(SEALS.c.part)
        ).fetchall()
        parts = [(str(r[0]), bytes(r[1])) for r in stored]
        if [part_digest(k, m) for k, m in parts] != digests:
            problems.append(
                f"The row seals of audit entry {seal_seq:,} ({table}) were changed outside "
                "mesodesk."
            )
            parts = []
    newer: dict[str, RowState] = {}
    rows = conn.exec_driver_sql(
        "SELECT row_key, action, row_mac, max(seq) FROM audit_entry "
        "WHERE entity = ? AND row_key IS NOT NULL AND seq > ? GROUP BY row_key",
        (table, seal_seq or 0),
    )
    for key, action, mac, seq in rows:
        newer[str(key)] = RowState(int(seq), None if action == A.DELETE else mac)
    try:
        return Expected(seal_seq, parts, newer), problems
    except (ValueError, TypeError):
        problems.append(
            f"The row seals of audit entry {seal_seq:,} ({table}) cannot be read (changed "
            "outside mesodesk)."
        )
        return Expected(seal_seq, [], newer), problems


def _superseded_seal_damage(conn: Connection, table: str, newest: int | None) -> list[str]:
    """The older seals of a table (a later seal replaced them) must still match the digests
    their entries sealed: an upgrade or a bulk load seals every row again, and the seals it
    replaced stay part of the record."""
    problems: list[str] = []
    older = conn.execute(
        select(ENTRIES.c.seq, ENTRIES.c.new_values)
        .where(ENTRIES.c.action == A.SEAL, ENTRIES.c.entity == table)
        .where(ENTRIES.c.seq < (newest or 0))
        .order_by(ENTRIES.c.seq)
    ).fetchall()
    for seal in older:
        try:
            digests = list(json.loads(seal.new_values or "{}").get("parts", []))
        except (ValueError, AttributeError):
            digests = []
        stored = conn.execute(
            select(SEALS.c["keys"], SEALS.c["macs"])
            .where(SEALS.c.seq == int(seal.seq))
            .order_by(SEALS.c.part)
        ).fetchall()
        if [part_digest(str(r[0]), bytes(r[1])) for r in stored] != digests:
            problems.append(
                f"The row seals of audit entry {int(seal.seq):,} ({table}) were changed "
                "outside mesodesk."
            )
    return problems


def row_findings(
    conn: Connection, key: ClinicKey, progress: Progress | None = None
) -> tuple[list[RowFinding], list[str]]:
    """Every row of every audited table against the trail: the rows that were changed, added
    or deleted outside mesodesk, and any damage to the stored seals."""
    findings: list[RowFinding] = []
    problems: list[str] = []
    tables = audited_tables(conn)
    for index, table in enumerate(tables):
        if progress is not None:
            progress(index, len(tables), f"Checking {table}")
        expected, damaged = _expected(conn, table)
        problems.extend(damaged)
        problems.extend(_superseded_seal_damage(conn, table, expected.seal_seq))
        shape = table_shape(conn, table)
        for found_key, mac in iter_macs(conn, key.secret, shape):
            finding = expected.check(table, found_key, mac)
            if finding is not None:
                findings.append(finding)
        findings.extend(expected.missing(table))
    return findings, problems


# -- schema ----------------------------------------------------------------------------------------


def actual_schema(conn: Connection) -> dict[str, SchemaObject]:
    rows = conn.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return schema_objects((str(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows)


__all__ = [
    "CLINIC",
    "ClinicRecord",
    "actual_schema",
    "entry_seal",
    "load_key",
    "quote",
    "read_clinic",
    "replaced_heads",
    "row_findings",
    "seal_tables",
    "start_keyed_chain",
    "verify_trail",
]


# -- the open database: its key and its witness ----------------------------------------------------


def witness_where(db: Database) -> str:
    return str(db.target.path) if db.target.path is not None else db.target.describe()


def attach(db: Database, keys: KeyStore) -> None:
    """Give an open database its clinic key and witness, and compare the trail's end with the
    witness (a file read and two lookups: nothing that start-up would notice)."""
    db.keys = keys
    with db.engine.connect() as conn:
        clinic = read_clinic(conn)
    db.clinic = clinic
    if clinic is None:
        db.key_problem = (
            "This database's clinic identity is missing (removed outside mesodesk), so no "
            "change can be sealed in its audit trail. Restore it from a backup."
        )
        return
    key, why = load_key(clinic, keys)
    if key is None:
        db.key_problem = why.replace(
            "Cannot verify the audit trail without the clinic key",
            "mesodesk cannot save changes to this database without its clinic key, which seals "
            "every change in the audit trail",
        )
        return
    db.key = key
    from mesodesk.store.anchors import Witness

    db.witness = Witness(key, witness_where(db))
    if not db.read_only:
        db.anchor_problem = sync_witness(db)


def sync_witness(db: Database) -> str:
    """Compare the trail with the witness and, when it still holds, move the witness to the
    trail's head (entries another process or a bulk load appended). Returns what the witness
    shows wrong ("" when nothing)."""
    from mesodesk.store.anchors import WitnessDamaged

    witness, key = db.witness, db.key
    if witness is None or key is None:
        return ""
    try:
        seen = witness.read()
    except WitnessDamaged as exc:
        return f"The witness file {witness.path} {exc}."
    with db.engine.connect() as conn:
        head = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).first()
        if head is None:
            return "The audit trail's head is missing (deleted outside mesodesk)."
        if seen is not None and seen.seq > 0:
            stored = entry_seal(conn, seen.seq)
            if stored != seen.hash:
                from mesodesk.domain.integrity import anchor_problem

                problem = anchor_problem(
                    seen.anchor(witness.path), stored, int(head.seq), replaced_heads(conn)
                )
                if problem:
                    return problem
        row = conn.execute(
            select(*entry_columns(conn)).where(ENTRIES.c.seq == int(head.seq))
        ).first()
        high = conn.exec_driver_sql(
            "SELECT value FROM counter WHERE name = ?", (RECORD_COUNTER,)
        ).scalar()
    if row is None:
        return ""
    link = link_from_row(row)
    if link.computed_hash(key.secret) != link.hash or link.hash != str(head.hash):
        return ""  # not a head mesodesk sealed: `audit verify` names it; the witness stays
    if witness.update(link.seq, link.hash, link.at, int(high or 0)):
        db._witnessed = (link.seq, link.hash)
    elif seen is not None:
        db._witnessed = (seen.seq, seen.hash)
    return ""


# -- upgrades after 0006 ---------------------------------------------------------------------------


class UpgradeSeal:
    """A schema upgrade of a database whose rows are sealed: a migration may add columns or
    rewrite rows, which would no longer match their seals. So the rows are checked against the
    trail before the migrations run, and every row is sealed again afterwards, in the same
    transaction, after an ``upgrade`` entry that records what the check found (a change made
    outside mesodesk before the upgrade stays on record instead of being sealed over)."""

    def __init__(
        self, key: ClinicKey, start: str | None, findings: list[str], actor: Actor
    ) -> None:
        self.key = key
        self.start = start
        self.findings = findings
        self.actor = actor

    @classmethod
    def before(cls, conn: Connection, attributes: dict[str, object]) -> UpgradeSeal | None:
        from alembic.runtime.migration import MigrationContext

        from mesodesk.store.schema import HEAD_REVISION

        clinic = read_clinic(conn)
        if clinic is None:
            return None  # before 0006: its own data step seals everything
        if MigrationContext.configure(conn).get_current_revision() == HEAD_REVISION:
            return None
        keys = cast("KeyStore | None", attributes.get("clinic_keys"))
        if keys is None:
            from mesodesk.store.keys import FileKeyStore

            keys = FileKeyStore()
        key, why = load_key(clinic, keys)
        if key is None:
            from mesodesk.domain.errors import DatabaseError

            raise DatabaseError(
                why.replace("Cannot verify the audit trail", "Cannot upgrade this database")
            )
        found, problems = row_findings(conn, key)
        notes = problems + [f.describe() for f in found[:50]]
        if len(found) > 50:
            notes.append(f"and {len(found) - 50:,} more rows")
        start = MigrationContext.configure(conn).get_current_revision()
        actor = cast("Actor | None", attributes.get("actor")) or Actor.system()
        return cls(key, start, notes, actor)

    def after(self, conn: Connection) -> None:
        from alembic.runtime.migration import MigrationContext

        from mesodesk.domain.audit import format_at
        from mesodesk.domain.clock import Clock

        end = MigrationContext.configure(conn).get_current_revision()
        if end == self.start:
            return
        at = format_at(Clock().utcnow())
        append_links(
            conn,
            [
                PendingEntry(
                    A.UPGRADE,
                    None,
                    None,
                    None,
                    {"schema": self.start},
                    {
                        "schema": end,
                        "rows_not_matching_before": self.findings,
                    },
                    f"schema upgraded from {self.start} to {end}",
                )
            ],
            key=self.key.secret,
            actor=self.actor,
            at=at,
        )
        seal_tables(
            conn,
            self.key,
            audited_tables(conn),
            detail=f"every record as it was after the upgrade to schema {end}",
            actor=self.actor,
            at=at,
            skip_empty=False,
        )


# -- bulk loads ------------------------------------------------------------------------------------


def append_bulk_load(
    conn: Connection, db: Database, entries: Sequence[PendingEntry]
) -> list[ChainLink]:
    """What a bulk load (the demo clinic) writes to the trail in its own transaction: its
    entries, then a seal of every row of every audited table, since its rows went in past the
    per-row audit (mesodesk.store.audit)."""
    from mesodesk.domain.audit import format_at
    from mesodesk.store.audit import append

    links = append(conn, db, entries)
    if db.key is None and not has_table(conn, "clinic"):
        return links  # a schema from before the keyed chain: sealed at its upgrade
    links += seal_tables(
        conn,
        db.require_key(),
        audited_tables(conn),
        detail=entries[0].detail if entries else "rows written in bulk",
        actor=db.actor,
        at=format_at(db.clock.utcnow()),
    )
    db.appended(conn, links[-1])
    return links


# -- record numbers --------------------------------------------------------------------------------


def record_number_problem(conn: Connection, witnessed_high: int = 0) -> str:
    """A record-number counter that went back (set by hand, or a restore of an older file by
    another tool) would give a number twice: it must be at least the highest number a patient
    holds, and the highest the witness saw given."""
    if not has_table(conn, "counter") or not has_table(conn, "patient"):
        return ""
    value = conn.exec_driver_sql(
        "SELECT value FROM counter WHERE name = ?", (RECORD_COUNTER,)
    ).scalar()
    highest = conn.exec_driver_sql("SELECT max(record_number) FROM patient").scalar()
    value, highest = int(value or 0), int(highest or 0)
    if value < highest:
        return (
            f"The record-number counter stands at {value:,}, below the highest record number "
            f"a patient holds ({highest:,}): numbers would be given twice (changed outside "
            "mesodesk)."
        )
    if value < witnessed_high:
        return (
            f"The record-number counter stands at {value:,}, but this computer saw numbers up "
            f"to {witnessed_high:,} given: numbers would be given twice (changed outside "
            "mesodesk)."
        )
    return ""
