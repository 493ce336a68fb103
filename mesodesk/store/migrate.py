"""Alembic migrations, run in code at start-up from the copy shipped inside the package.

Opening a database file also: refuses a file with a second name (a hard link: SQLite keeps its
write-ahead log and locks by name, so two names mean two logs and lost changes), creates a new
one only when asked (``create``), owner-only, takes the in-use lock every mesodesk process
honours (mesodesk.store.locks), and gives the database its clinic key and witness
(mesodesk.store.integrity.attach).
"""

from __future__ import annotations

import functools
import os
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.pool import StaticPool

from mesodesk import logs
from mesodesk.domain.audit import Actor
from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import DatabaseError
from mesodesk.domain.integrity import SchemaObject
from mesodesk.files import create_private, make_private, os_error_message, private_dir
from mesodesk.store.db import Database, Target, check_sqlite_file, create_db_engine, sqlite_tables
from mesodesk.store.keys import ClinicKey, FileKeyStore, KeyStore
from mesodesk.store.safety import refuse_network_fs
from mesodesk.store.schema import HEAD_REVISION as HEAD_REVISION  # re-exported for services
from mesodesk.store.schema import KEYED_FROM as KEYED_FROM
from mesodesk.store.schema import MIGRATIONS as MIGRATIONS
from mesodesk.store.schema import alembic_config as alembic_config
from mesodesk.store.schema import is_legacy as is_legacy
from mesodesk.store.schema import legacy_revisions as legacy_revisions

if TYPE_CHECKING:
    pass

log = logs.get(__name__)


@functools.lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def head_revision() -> str:
    """The head as Alembic reads it from the scripts (tests compare it with HEAD_REVISION)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _refuse_newer(revision: str | None, where: str) -> None:
    if revision is not None and revision != HEAD_REVISION and revision not in known_revisions():
        raise DatabaseError(
            f"{where} was made by a newer version of mesodesk (schema {revision}). "
            "It was left untouched: update mesodesk to open it."
        )


def _check_before_open(target: Target) -> bool:
    """Look at an existing database without writing to it. Returns whether it exists."""
    if not target.is_sqlite or target.path is None:
        return True
    if not check_sqlite_file(target.path):
        return False
    info = sqlite_tables(target.path)
    user_tables = {t for t in info["tables"] if not t.startswith("sqlite_")}
    if user_tables and "alembic_version" not in user_tables:
        raise DatabaseError(
            f"{target.path} is an SQLite database, but not a mesodesk one. It was left untouched."
        )
    _refuse_newer(info["revision"], str(target.path))
    return True


def upgrade(
    target: Target,
    *,
    keys: KeyStore | None = None,
    identity: ClinicKey | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
    to: str = "head",
) -> None:
    """Bring the schema to head, on a connection of its own that is closed afterwards.

    SQLite batch migrations copy tables, so foreign keys are off while they run; env.py checks
    them (PRAGMA foreign_key_check) before the transaction commits. The connection is thrown
    away so that no pooled connection ever keeps foreign keys off. ``keys`` (where the clinic
    key is kept) and ``identity`` (a clinic to adopt instead of making a new one) are for the
    migration that keys the audit chain (0006).
    """
    from alembic import command

    cfg = alembic_config()
    cfg.attributes.update(
        clinic_keys=keys or FileKeyStore(), clinic_identity=identity, actor=actor, now=now
    )
    engine = create_db_engine(target, pool=False)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            cfg.attributes["connection"] = conn.execution_options(mesodesk_write=True)
            command.upgrade(cfg, to)
    finally:
        engine.dispose()


def build_schema(conn: Any, revision: str = "head") -> None:
    """Build the schema of a revision on a connection, with no data (no clinic, no key): for a
    restore's fresh file and for the schema `check` compares with."""
    from alembic import command

    cfg = alembic_config()
    cfg.attributes.update(connection=conn, schema_only=True)
    command.upgrade(cfg, revision)


@functools.lru_cache(maxsize=4)
def schema_image(revision: str = HEAD_REVISION) -> bytes:
    """An empty database of ``revision`` as the migrations build it, made in memory once per
    process (half a second) and never read from a file that could have been edited."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with engine.connect() as conn:
            build_schema(conn, revision)
            conn.commit()
            raw = conn.connection.driver_connection
            assert raw is not None
            return bytes(raw.serialize())
    finally:
        engine.dispose()


@functools.lru_cache(maxsize=4)
def expected_schema(revision: str = HEAD_REVISION) -> dict[str, SchemaObject]:
    """The tables, indexes, triggers and views the migrations build up to ``revision``."""
    import sqlite3

    from mesodesk.domain.integrity import schema_objects

    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(schema_image(revision))
        rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    finally:
        con.close()
    return schema_objects((str(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows)


def refuse_second_name(path: Path) -> None:
    """A database file reachable by two names (a hard link) is refused: SQLite keeps a write-
    ahead log and locks per name, so changes made through one name can be lost through the
    other (SQLite, "How To Corrupt An SQLite Database File", 2.3 and 2.4)."""
    try:
        links = os.stat(path).st_nlink
    except OSError:
        return
    if links > 1:
        raise DatabaseError(
            f"{path} has {links} names on this disk (hard links). SQLite keeps its log and its "
            "locks beside each name, so two names for one database lose changes. It was left "
            f"untouched. Remove the other name (find it with: find / -xdev -samefile {path}) "
            "or copy the database to a new file with mesodesk backup --out, and open that."
        )


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def no_database_message(target: Target) -> str:
    return (
        f"There is no database at {target.describe()}. Check the name; to start a new, empty "
        "database there, add --create."
    )


def _make_new(path: Path) -> None:
    """A new database file: its folders (0700) and the file itself (0600) before SQLite opens
    it, so that SQLite makes its log files with the same owner-only mode."""
    try:
        private_dir(path.parent)
        create_private(path)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(os_error_message(exc, path, "create the database")) from exc


def _make_private(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        make_private(name)


def _driver_missing(target: Target, exc: BaseException) -> DatabaseError:
    return DatabaseError(
        f"Cannot open {target.describe()}: this mesodesk has no driver for that kind of "
        f"database ({getattr(exc, 'name', None) or exc.__class__.__name__}). Only SQLite "
        "database files are supported so far."
    )


def open_database(
    target: Target,
    *,
    create: bool = True,
    read_only: bool = False,
    keys: KeyStore | None = None,
    now: datetime | None = None,
    clock: Clock | None = None,
) -> Database:
    """Open (and create, and migrate) a mesodesk database, refusing anything that is not one.
    ``clock`` gives the audit trail its time (and ``now``, unless given)."""
    if now is None and clock is not None:
        now = clock.utcnow()
    keys = keys or FileKeyStore()
    where = None
    lock = None
    if target.is_sqlite and target.path is not None:
        where = refuse_network_fs(target.path)  # before anything touches the file
        refuse_second_name(target.path)
    exists = _check_before_open(target)
    read_only_reason = ""
    if exists and not read_only and target.is_sqlite and target.path is not None:
        from mesodesk.store.safety import unwritable_folder

        why = unwritable_folder(target.path)
        if why:
            # not damage: the file is sound, it just cannot be written where it is
            read_only = True
            read_only_reason = (
                f"mesodesk opened {target.path} read-only because {why}. Nothing is wrong with "
                "the database; to change records, open it from a folder you can write to "
                "(copy it with mesodesk backup --out FILE)."
            )
    if not exists:
        if not create:
            raise DatabaseError(no_database_message(target))
        if read_only:
            raise DatabaseError(f"There is no database at {target.describe()} to open read-only.")
        assert target.path is not None
        _make_new(target.path)
    if target.is_sqlite and target.path is not None:
        from mesodesk.store.locks import InUseLock

        if not read_only:
            _make_private(target.path)
        lock = InUseLock(target.path)
        try:
            lock.shared()
        except DatabaseError:
            if not read_only:
                raise
            lock = None  # reading needs no lock where the folder cannot be written to
    try:
        engine = create_db_engine(target, read_only=read_only)
    except (ImportError, ModuleNotFoundError) as exc:
        if lock is not None:
            lock.close()
        raise _driver_missing(target, exc) from exc
    except Exception as exc:
        if lock is not None:
            lock.close()
        raise DatabaseError(f"Cannot open {target.describe()}: {exc}") from exc
    try:
        revision = current_revision(engine)
        _refuse_newer(revision, target.describe())
        if revision != HEAD_REVISION:
            if read_only:
                raise DatabaseError(
                    f"{target.describe()} needs an update of its schema, "
                    "which read-only mode forbids."
                )
            started = time.perf_counter()
            upgrade(target, keys=keys, now=now)
            log.info(
                "schema upgraded from %s to %s in %.2f s",
                revision or "an empty database",
                HEAD_REVISION,
                time.perf_counter() - started,
            )
    except DatabaseError:
        engine.dispose()
        if lock is not None:
            lock.close()
        raise
    except (ImportError, ModuleNotFoundError) as exc:
        engine.dispose()
        if lock is not None:
            lock.close()
        raise _driver_missing(target, exc) from exc
    except Exception as exc:
        engine.dispose()
        if lock is not None:
            lock.close()
        raise DatabaseError(f"Cannot open {target.describe()}: {_reason(exc)}") from exc
    db = Database(engine, target, read_only=read_only, clock=clock)
    db.lock = lock
    db.read_only_reason = read_only_reason
    db.notice = where.warning() if where is not None else ""
    try:
        from mesodesk.store.integrity import attach

        attach(db, keys)
    except BaseException:
        db.close()
        raise
    notes = [n for n in (read_only_reason, db.notice, db.anchor_problem, db.key_problem) if n]
    db.notice = "\n\n".join(notes)
    return db


def _reason(exc: BaseException) -> str:
    """The cause of a failure to open, without the SQL (which may hold a record's values)."""
    orig = getattr(exc, "orig", None)
    return str(orig) if orig is not None else type(exc).__name__
