"""Which tables the audit trail covers, and the content of their rows as it is sealed.

Every table is audited - every write to it is an entry of the trail, with the MAC of the row it
leaves - except the few listed in ``NOT_AUDITED``, each with the reason. A table added later
(by any migration) is audited without anything to do here; a test fails when a table's rows are
written in a way the trail does not see (tests/unit/test_integrity.py), so a new derived cache
must be listed here with its reason.

A row's content is read straight from the database (``SELECT`` with the driver's own values, no
type conversion), its columns in name order, minus the columns ``IGNORED`` (stamps the entry
already gives, and caches derived from other rows, which services rewrite without an entry).
"""

# ruff: noqa: S608 - table and column names below come from the database's own catalogue, quoted

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import inspect as sa_inspect

from mesodesk.domain.integrity import ROW_MAC_BYTES, row_key, row_mac_bytes

NOT_AUDITED: dict[str, str] = {
    "audit_entry": "the trail itself: append-only, each entry sealed and chained",
    "audit_head": "the trail's head, checked against the entries and the anchors",
    "audit_row_seal": "part of the trail: row MACs of a seal entry, which seals their digest",
    "alembic_version": "the schema revision, compared with the schema by `mesodesk check`",
    "counter": "the record-number sequence: each number it gives is in its patient's own entry, "
    "and `mesodesk check` compares it with the highest number given (and the witness's)",
    "patient_token": "search index, derived from the patient rows (rebuilt from them)",
    "patient_prefix": "search index, derived from the patient rows (rebuilt from them)",
    "stats_session_day": "dashboard running totals, kept by triggers from sessions and blends",
    "stats_effect_day": "dashboard running totals, kept by triggers from side effects",
    "stats_lot_reaction": "dashboard running totals, kept by triggers from side effects",
}

# Columns an entry leaves out: stamps the entry's own time already gives, and caches derived
# from other records (whose own changes are audited).
ALWAYS_IGNORED = frozenset({"created_at", "updated_at"})
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
BATCH = 500


def audited(table: str) -> bool:
    return table not in NOT_AUDITED and not table.startswith("sqlite_")


def ignored(table: str) -> frozenset[str]:
    return ALWAYS_IGNORED | IGNORED.get(table, frozenset())


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableShape:
    name: str
    key: tuple[str, ...]  # primary key columns, in key order
    content: tuple[str, ...]  # the sealed columns, in name order

    def select(self) -> str:
        columns = ", ".join(quote(c) for c in (*self.key, *self.content))
        return f"SELECT {columns} FROM {quote(self.name)}"


def table_shape(conn: Connection, table: str) -> TableShape:
    if conn.dialect.name == "sqlite":
        info = conn.exec_driver_sql(f"PRAGMA table_info({quote(table)})").fetchall()
        names = [str(r[1]) for r in info]
        key = tuple(str(r[1]) for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
    else:  # pragma: no cover - other engines come with issue 16
        inspector = sa_inspect(conn)
        names = [c["name"] for c in inspector.get_columns(table)]
        key = tuple(inspector.get_pk_constraint(table)["constrained_columns"])
    if not key:
        key = ("rowid",)
    skip = ignored(table)
    return TableShape(table, key, tuple(sorted(n for n in names if n not in skip)))


def database_tables(conn: Connection) -> list[str]:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        return [str(r[0]) for r in rows if not str(r[0]).startswith("sqlite_")]
    return sorted(sa_inspect(conn).get_table_names())  # pragma: no cover


def audited_tables(conn: Connection) -> list[str]:
    return [t for t in database_tables(conn) if audited(t)]


def _split(row: Sequence[Any], width: int) -> tuple[Sequence[Any], Sequence[Any]]:
    return row[:width], row[width:]


def iter_macs(
    conn: Connection, key: bytes, shape: TableShape, batch: int = 20_000
) -> Iterator[tuple[str, bytes]]:
    """(row key, MAC) of every row of a table, in primary-key order, read in batches."""
    width = len(shape.key)
    order = ", ".join(quote(c) for c in shape.key)
    sql = f"{shape.select()} ORDER BY {order}"
    if conn.dialect.name != "sqlite":  # pragma: no cover - other engines come with issue 16
        for row in conn.exec_driver_sql(sql):
            yield row_key(row[:width]), row_mac_bytes(key, shape.name, row[width:])
        return
    # The hot loop of `check` and of bulk seals (millions of rows): the driver's own tuples,
    # and the same bytes as domain.integrity.row_content, put together inline.
    raw: Any = conn.connection.driver_connection
    cursor = raw.execute(sql)
    prefix = (shape.name + "\x1f").encode()
    blake = hashlib.blake2b
    size = ROW_MAC_BYTES
    single = width == 1
    while True:
        rows = cursor.fetchmany(batch)
        if not rows:
            return
        for row in rows:
            first = row[0]
            found = f"[{first}]" if single and type(first) is int else row_key(row[:width])
            content = prefix + repr(row[width:]).encode("utf-8", "surrogatepass")
            yield found, blake(content, key=key, digest_size=size).digest()


def macs_of(
    conn: Connection, key: bytes, shape: TableShape, keys: Sequence[Sequence[Any]]
) -> dict[str, str]:
    """The MAC of the current content of some rows (by primary key values), as hex."""
    found: dict[str, str] = {}
    width = len(shape.key)
    native = conn.dialect.name == "sqlite"
    if width == 1:
        for start in range(0, len(keys), BATCH):
            part = [k[0] for k in keys[start : start + BATCH]]
            marks = ", ".join("?" * len(part))
            rows = conn.exec_driver_sql(
                f"{shape.select()} WHERE {quote(shape.key[0])} IN ({marks})", tuple(part)
            ).fetchall()
            for row in rows:
                ids, values = _split(row, width)
                found[row_key(ids)] = row_mac_bytes(key, shape.name, values, native=native).hex()
        return found
    where = " AND ".join(f"{quote(c)} = ?" for c in shape.key)
    for values_of_key in keys:
        one = conn.exec_driver_sql(f"{shape.select()} WHERE {where}", tuple(values_of_key)).first()
        if one is not None:
            ids, values = _split(one, width)
            found[row_key(ids)] = row_mac_bytes(key, shape.name, values, native=native).hex()
    return found
