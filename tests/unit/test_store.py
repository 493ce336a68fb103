import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from mesodesk.domain.errors import DatabaseError
from mesodesk.store.db import resolve_target
from mesodesk.store.migrate import HEAD_REVISION, head_revision, open_database
from mesodesk.store.models import metadata


def test_head_constant_matches_the_scripts() -> None:
    assert head_revision() == HEAD_REVISION


def test_migrate_empty_database_to_head_matches_the_models(db_path: Path) -> None:
    db = open_database(resolve_target(db_path))
    with db.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            == head_revision()
        )
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    db.close()
    assert diff == []


def test_reopen_keeps_data(db_path: Path) -> None:
    db = open_database(resolve_target(db_path))
    with db.write() as s:
        s.connection().execute(text("INSERT INTO app_setting (key, value) VALUES ('k', 'v')"))
    db.close()
    db = open_database(resolve_target(db_path))
    with db.read() as s:
        assert s.connection().execute(text("SELECT value FROM app_setting")).scalar() == "v"
    db.close()


def test_pragmas_hold_on_every_connection(db_path: Path) -> None:
    db = open_database(resolve_target(db_path))
    for _ in range(3):
        with db.read() as s:
            conn = s.connection()
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    db.close()


def test_write_transactions_begin_immediate(db_path: Path) -> None:
    db = open_database(resolve_target(db_path))
    other = sqlite3.connect(db_path, timeout=0.1, isolation_level=None)
    with db.write() as s:
        s.connection().execute(text("SELECT 1"))
        # The write lock is taken at BEGIN, before anything is written.
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.close()
    db.close()


def test_newer_database_is_refused_and_untouched(db_path: Path) -> None:
    open_database(resolve_target(db_path)).close()
    con = sqlite3.connect(db_path)
    con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    con.commit()
    con.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match="newer version of mesodesk"):
        open_database(resolve_target(db_path))
    assert db_path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty file"),
        (b"hello, this is a text file\n" * 20, "not an SQLite file"),
        (b"SQLite format 3\x00" + b"\x00" * 50, "cannot be read"),
    ],
)
def test_not_a_database_is_refused_and_untouched(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(content)
    with pytest.raises(DatabaseError, match=words):
        open_database(resolve_target(path))
    assert path.read_bytes() == content
    assert not (tmp_path / "x.db-wal").exists()


def test_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(DatabaseError, match="not a mesodesk one"):
        open_database(resolve_target(path))


def test_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_target(tmp_path / "a.db").path == tmp_path / "a.db"
    assert resolve_target(f"sqlite:///{tmp_path}/b.db").path == tmp_path / "b.db"
    assert resolve_target("postgresql://u:secret@host/db").path is None
    assert "secret" not in resolve_target("postgresql://u:secret@host/db").describe()
    monkeypatch.setenv("MESODESK_DB", str(tmp_path / "env.db"))
    assert resolve_target(None).path == tmp_path / "env.db"
    monkeypatch.delenv("MESODESK_DB")
    assert resolve_target(None).path == tmp_path / "home" / "data" / "mesodesk.sqlite3"


def test_folder_is_created_for_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "clinic.db"
    open_database(resolve_target(path)).close()
    assert path.exists()
