"""Alembic migrations, run in code at start-up from the copy shipped inside the package."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from mesodesk import logs
from mesodesk.domain.errors import DatabaseError
from mesodesk.store.db import Database, Target, check_sqlite_file, create_db_engine, sqlite_tables
from mesodesk.store.safety import refuse_network_fs
from mesodesk.store.schema import HEAD_REVISION as HEAD_REVISION  # re-exported for services

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logs.get(__name__)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


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


def upgrade(target: Target) -> None:
    """Bring the schema to head, on a connection of its own that is closed afterwards.

    SQLite batch migrations copy tables, so foreign keys are off while they run; env.py checks
    them (PRAGMA foreign_key_check) before the transaction commits. The connection is thrown
    away so that no pooled connection ever keeps foreign keys off.
    """
    from alembic import command

    cfg = alembic_config()
    engine = create_db_engine(target, pool=False)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            cfg.attributes["connection"] = conn.execution_options(mesodesk_write=True)
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def open_database(target: Target, *, create: bool = True, read_only: bool = False) -> Database:
    """Open (and create, and migrate) a mesodesk database, refusing anything that is not one."""
    where = None
    if target.is_sqlite and target.path is not None:
        where = refuse_network_fs(target.path)  # before anything touches the file
    exists = _check_before_open(target)
    if not exists:
        if not create:
            raise DatabaseError(f"There is no database at {target.describe()}.")
        if read_only:
            raise DatabaseError(f"There is no database at {target.describe()} to open read-only.")
        assert target.path is not None
        try:
            target.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"Cannot create the folder {target.path.parent}: {exc.strerror}."
            ) from exc
    engine = create_db_engine(target, read_only=read_only)
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
            upgrade(target)
            log.info(
                "schema upgraded from %s to %s in %.2f s",
                revision or "an empty database",
                HEAD_REVISION,
                time.perf_counter() - started,
            )
    except DatabaseError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        raise DatabaseError(f"Cannot open {target.describe()}: {exc}") from exc
    db = Database(engine, target, read_only=read_only)
    db.notice = where.warning() if where is not None else ""
    return db
