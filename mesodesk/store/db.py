"""Opening a database safely and running transactions on it.

SQLite is opened in WAL mode with synchronous=FULL (a committed record survives a power cut) and
foreign keys on, on every connection. Write transactions start with BEGIN IMMEDIATE: in WAL a
read-then-write transaction that began deferred fails at once with "database is locked" when
another writer got there first, whatever the busy timeout.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import configure_mappers, sessionmaker
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from mesodesk.domain.audit import Actor, ChainLink
from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import DatabaseError
from mesodesk.domain.patients import RECORD_COUNTER
from mesodesk.store.target import Target as Target  # re-exported: its old home
from mesodesk.store.target import resolve_target as resolve_target

if TYPE_CHECKING:
    from mesodesk.store.anchors import Witness
    from mesodesk.store.integrity import ClinicRecord
    from mesodesk.store.keys import ClinicKey, KeyStore
    from mesodesk.store.locks import InUseLock

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
_WRITE = "mesodesk_write"
_HEAD = "mesodesk_new_head"  # on a connection's info: the head its transaction appended


def check_sqlite_file(path: Path) -> bool:
    """Refuse a file that is not a SQLite database before anything writes to it.

    Returns False when the file does not exist yet (it will be created).
    """
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file.")
    if not path.exists():
        return False
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseError(f"Cannot read {path}: {exc.strerror}.") from exc
    if not header:
        raise DatabaseError(
            f"{path} is an empty file, not a mesodesk database. It was left untouched; "
            "choose another file or remove it to start a new database."
        )
    if header != SQLITE_HEADER:
        raise DatabaseError(
            f"{path} is not a mesodesk database (it is not an SQLite file). It was left untouched."
        )
    _refuse_truncated(path)
    return True


def _refuse_truncated(path: Path) -> None:
    """A file shorter than the size its own header states has lost its end (a copy cut short, a
    full disk): refuse it before SQLite reads half a table."""
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100:
        return  # too short to say; SQLite itself refuses it
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The size in the header is valid only when written by SQLite 3.7.0 or later, which also
    # stamps the change counter into "version-valid-for".
    if header[24:28] != header[92:96] or not pages:
        return
    size = path.stat().st_size
    if size < pages * page_size and _log_completes(path):
        return
    if size < pages * page_size:
        raise DatabaseError(
            f"{path} is damaged: it is shorter than SQLite says it should be ({size:,} of "
            f"{pages * page_size:,} bytes), as if cut off. It was left untouched. Restore the "
            "database from a backup (in the app: Tools > Restore from backup; on the command "
            "line: mesodesk restore FILE)."
        )


def _log_completes(path: Path) -> bool:
    """A file shorter than its header says is sound when its write-ahead log holds the rest: a
    checkpoint that a full disk stopped half-way leaves exactly that, and SQLite reads the
    pages from the log. SQLite's own quick check decides (SQLite, "Write-Ahead Logging")."""
    wal = Path(f"{path}-wal")
    try:
        if not wal.exists() or wal.stat().st_size == 0:
            return False
    except OSError:
        return False
    from mesodesk.store.safety import integrity_problems

    return not integrity_problems(path)


def sqlite_tables(path: Path) -> dict[str, Any]:
    """Read-only look at a SQLite file: its tables and its schema revision, if any."""
    from mesodesk.store.safety import read_only_suffix

    uri = f"file:{path}?{read_only_suffix(path)}"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(f"Cannot open {path}: {exc}.") from exc
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        revision = None
        if "alembic_version" in tables:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return {"tables": tables, "revision": revision}
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(
            f"{path} cannot be read as a database ({exc}). It was left untouched."
        ) from exc
    finally:
        con.close()


def _install_sqlite_hooks(engine: Engine, *, read_only: bool, journal: str = "wal") -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's own transaction handling would get in the
        # way of BEGIN IMMEDIATE and of PRAGMAs that only work outside a transaction.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if read_only:
                cur.execute("PRAGMA query_only=ON")
            else:
                # WAL, except on a network file system opened in safe mode (store/safety.py)
                cur.execute(f"PRAGMA journal_mode={'DELETE' if journal == 'delete' else 'WAL'}")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """An open database: short sessions, one transaction each.

    Every session it makes writes the audit trail (store/audit.py) as ``actor``, at
    ``clock``'s time. ``commits`` counts the write transactions committed through it (the
    automatic backups use it to tell whether anything changed).
    """

    def __init__(
        self,
        engine: Engine,
        target: Target,
        *,
        read_only: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self.target = target
        self.actor: Actor = Actor.system()
        self.clock: Clock = clock or Clock()
        self.commits = 0
        self.notice = ""  # a warning for the person using it (a network file system)
        self._writable = threading.Event()  # cleared while the file is being checked
        self._writable.set()
        # The clinic and its key (mesodesk.store.integrity.attach fills these in at open)
        self.clinic: ClinicRecord | None = None
        self.key: ClinicKey | None = None
        self.keys: KeyStore | None = None
        self.key_problem = ""  # why changes cannot be sealed (the key is not on this computer)
        self.witness: Witness | None = None
        self.anchor_problem = ""  # the witness found the trail cut or rewritten
        self.lock: InUseLock | None = None
        self.read_only_reason = ""  # why it is open read-only, when that is not damage
        self._witnessed: tuple[int, str] | None = None  # the witness's entry, as last seen
        self._use(engine, read_only)

    # -- the audit trail's key and anchors --------------------------------------------------------

    def require_key(self) -> ClinicKey:
        """The clinic key that seals new entries; without it nothing can be changed."""
        if self.key is None:
            raise DatabaseError(
                self.key_problem
                or "This database has no clinic key to seal changes with; open it with mesodesk."
            )
        return self.key

    def appended(self, conn: Any, link: ChainLink) -> None:
        """Called inside the transaction that appended ``link``: remember the new head, for
        the witness once the transaction is committed. A trail that no longer holds the
        witness's entry keeps the witness where it is (the evidence of a cut)."""
        witness_entry = self._witnessed
        if witness_entry is not None and witness_entry[0] > 0:
            stored = conn.exec_driver_sql(
                "SELECT hash FROM audit_entry WHERE seq = ?", (witness_entry[0],)
            ).scalar()
            if stored != witness_entry[1]:
                conn.info[_HEAD] = None
                return
        high = conn.exec_driver_sql(
            "SELECT value FROM counter WHERE name = ?", (RECORD_COUNTER,)
        ).scalar()
        conn.info[_HEAD] = (link.seq, link.hash, link.at, int(high or 0))

    def _advance_witness(self, head: tuple[int, str, str, int] | None) -> None:
        if head is None or self.witness is None:
            return
        if self.witness.update(*head):
            self._witnessed = (head[0], head[1])

    def _use(self, engine: Engine, read_only: bool) -> None:
        from mesodesk.store import audit

        self.engine = engine
        self.read_only = read_only
        self._read = sessionmaker(bind=engine, class_=Session, expire_on_commit=False)
        self._write = sessionmaker(
            bind=engine.execution_options(**{_WRITE: True}),
            class_=Session,
            expire_on_commit=False,
        )
        for maker in (self._read, self._write):
            audit.install(self, maker)
        # The ORM's mappers are set up once per process, at the first query otherwise: here,
        # a record saved first thing (or by a process forked from this one) does not wait
        # for it.
        configure_mappers()
        event.listen(engine, "commit", self._committed)
        event.listen(engine, "rollback", _forget_head)

    def _committed(self, _conn: Any) -> None:
        self.commits += 1

    def hold_writes(self) -> None:
        """Make write transactions wait (the integrity check at start-up runs meanwhile, on a
        connection of its own, while reads go on)."""
        self._writable.clear()

    def release_writes(self) -> None:
        self._writable.set()

    def reopen(self, *, read_only: bool) -> None:
        """Close every connection and open the file again, read-only or not (a damaged database
        found at start-up; a restore that replaced the data)."""
        self.engine.dispose()
        self._use(create_db_engine(self.target, read_only=read_only), read_only)
        if self.keys is not None:
            from mesodesk.store.integrity import attach

            self.key = self.witness = self.clinic = None
            self.key_problem = self.anchor_problem = ""
            self._witnessed = None
            attach(self, self.keys)

    @property
    def is_sqlite(self) -> bool:
        return self.target.is_sqlite

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, _translate_errors(self.target):
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        self._writable.wait()
        if self.read_only:
            raise DatabaseError(
                self.read_only_reason
                or "This database is open read-only; nothing can be changed. "
                "Restore it from a backup to work on it again."
            )
        head = None
        with self._write() as session, _translate_errors(self.target):
            try:
                yield session
                if session.in_transaction():
                    head = session.connection().info.pop(_HEAD, None)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        self._advance_witness(head)

    def close(self) -> None:
        if self.witness is not None and self.key is not None and not self.read_only:
            from mesodesk.store.integrity import sync_witness

            # closing must not fail over a witness; the next open catches it up
            with contextlib.suppress(Exception):
                sync_witness(self)
        self.engine.dispose()
        if self.lock is not None:
            self.lock.close()


def _forget_head(conn: Any) -> None:
    """A rolled-back transaction's new head never happened."""
    conn.info.pop(_HEAD, None)


@contextmanager
def _translate_errors(target: Target) -> Iterator[None]:
    try:
        yield
    except DBAPIError as exc:
        text = str(exc.orig)
        if "database is locked" in text or "database is busy" in text:
            raise DatabaseError(
                "The database is busy with another change; please try again in a moment."
            ) from exc
        if "readonly" in text or "read-only" in text:
            raise DatabaseError(f"{target.describe()} cannot be written to ({text}).") from exc
        if "disk is full" in text:
            raise DatabaseError(
                f"The disk holding {target.describe()} is full: this change was not saved, "
                "and nothing of it was stored. The database itself is unharmed; free some "
                "space on that disk and save again."
            ) from exc
        if "disk I/O" in text:
            raise DatabaseError(
                f"Saving to {target.describe()} failed: the disk reported an error ({text}). "
                "Nothing of this change was stored."
            ) from exc
        raise


def create_db_engine(target: Target, *, read_only: bool = False, pool: bool = True) -> Engine:
    """An engine for the target; ``pool=False`` for one-off work whose connections must not be
    reused (migrations, backups)."""
    extra: dict[str, Any] = {} if pool else {"poolclass": NullPool}
    if target.is_sqlite:
        from mesodesk.store.safety import placement

        url = target.url
        connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_MS / 1000}
        journal = "wal"
        if target.path is not None:
            journal = placement(target.path).journal_mode
        if read_only and target.path is not None:
            from mesodesk.store.safety import read_only_suffix

            url = f"sqlite:///file:{target.path}?{read_only_suffix(target.path)}&uri=true"
        engine = create_engine(url, connect_args=connect_args, **extra)
        _install_sqlite_hooks(engine, read_only=read_only, journal=journal)
        return engine
    try:
        return create_engine(target.url, pool_pre_ping=True, **extra)
    except ImportError as exc:  # the driver of that kind of database is not installed
        raise DatabaseError(
            f"Cannot open {target.describe()}: this mesodesk has no driver for that kind of "
            f"database ({getattr(exc, 'name', None) or 'not installed'}). Only SQLite database "
            "files are supported so far."
        ) from exc
    except Exception as exc:  # NoSuchModuleError, ArgumentError: not a database URL
        raise DatabaseError(
            f"{target.describe()} is not a database mesodesk can open "
            f"({type(exc).__name__}). Give a database file."
        ) from exc
