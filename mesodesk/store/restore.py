"""A restore that cannot hurt: a fresh database built from the migrations, with the backup's
data rows copied into it, and nothing else.

A backup is a file anyone could have edited. Its triggers, views and indexes are code and
structure that would run inside every later write (a trigger planted in a backup deleted every
side effect on the next new patient), so none of them is taken: the fresh file gets its schema
from mesodesk's own migrations, for the backup's revision, and only the rows of its tables are
copied, column by column, with every trigger of the fresh schema set aside while they go in (the
dashboard's running totals are counted again afterwards, from the rows).
"""

# ruff: noqa: S608 - table and column names come from the fresh schema's own catalogue, quoted

from __future__ import annotations

import sqlite3
from pathlib import Path

from mesodesk.domain.errors import DatabaseError
from mesodesk.files import create_private
from mesodesk.store.migrate import schema_image
from mesodesk.store.rows import quote
from mesodesk.store.safety import read_only_suffix

# Derived tables that are counted again after a restore rather than copied.
RECOUNTED = ("stats_session_day", "stats_effect_day", "stats_lot_reaction")
NOT_COPIED = frozenset({"alembic_version", *RECOUNTED})


def _columns(con: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [str(r[1]) for r in con.execute(f"PRAGMA {schema}.table_info({quote(table)})")]


def build_fresh(source: Path, fresh: Path, revision: str) -> dict[str, int]:
    """Make ``fresh`` (which must not exist): the schema of ``revision`` from the migrations,
    and the rows of the backup ``source``. Returns the rows copied per table."""
    create_private(fresh)
    image = sqlite3.connect(":memory:")
    try:
        image.deserialize(schema_image(revision))
        target = sqlite3.connect(fresh)
        try:
            image.backup(target)
        finally:
            target.close()
    finally:
        image.close()
    con = sqlite3.connect(fresh, isolation_level=None)
    copied: dict[str, int] = {}
    try:
        con.execute("PRAGMA foreign_keys=OFF")
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("PRAGMA synchronous=OFF")
        con.execute(
            "ATTACH DATABASE ? AS backup",
            (f"{source.resolve().as_uri()}?{read_only_suffix(source)}",),
        )
        con.execute("BEGIN IMMEDIATE")
        triggers = con.execute(
            "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger'"
        ).fetchall()
        for name, _sql in triggers:
            con.execute(f"DROP TRIGGER main.{quote(name)}")
        theirs = {
            str(r[0])
            for r in con.execute("SELECT name FROM backup.sqlite_master WHERE type = 'table'")
        }
        ours = [
            str(r[0])
            for r in con.execute(
                "SELECT name FROM main.sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        for table in ours:
            if table in NOT_COPIED or table not in theirs:
                continue
            available = set(_columns(con, "backup", table))
            columns = [c for c in _columns(con, "main", table) if c in available]
            names = ", ".join(quote(c) for c in columns)
            con.execute(f"DELETE FROM main.{quote(table)}")  # rows a migration put there
            cursor = con.execute(
                f"INSERT INTO main.{quote(table)} ({names}) "
                f"SELECT {names} FROM backup.{quote(table)}"
            )
            copied[table] = cursor.rowcount
        for _name, sql in triggers:
            con.execute(sql)
        broken = con.execute("PRAGMA main.foreign_key_check").fetchmany(1)
        if broken:
            raise DatabaseError(
                "The backup's records refer to records it does not hold "
                f"({broken[0][0]} refers to a missing {broken[0][2]}); it cannot be restored."
            )
        con.execute("COMMIT")
        con.execute("DETACH DATABASE backup")
    except sqlite3.Error as exc:
        raise DatabaseError(
            f"The backup's records do not fit mesodesk's schema ({exc}); it cannot be restored."
        ) from exc
    finally:
        con.close()
    return copied
