"""Backups and restores.

A backup is made with SQLite's online backup API from a consistent snapshot of the database
(store/safety.py), checked (SQLite's integrity check, and the same number of rows in every
table as the snapshot had), synced to the disk, and only then given its final name: a file named
like a backup is a verified one. Rotation (domain/backups.py) runs after each new backup in the
backup folder and never removes the copy taken before a restore.

A restore first verifies the backup (its integrity, references, audit chain and every record
against the chain) and shows what it holds; another clinic's backup needs its name typed. It
then backs up the database as it is (or, when it is too damaged for that, keeps a plain copy of
its files), builds a fresh database from mesodesk's migrations with the backup's rows only
(mesodesk.store.restore: no trigger, view or index of the backup), adds the restore's entry to
the trail, keeps the record-number counter from going back, and writes it into the database file
through the backup API in one transaction. Every other mesodesk process has closed the database
meanwhile (the in-use lock, mesodesk.store.locks), so no acknowledged change can be lost.

Backups and the copies kept before a restore are owner-only files (0600) in an owner-only folder.

The functions work on files, so that the command line can restore a database too damaged to
open; ``BackupService`` wraps them for an open database (audit entries, reopening).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mesodesk.domain import audit as A
from mesodesk.domain.audit import Actor
from mesodesk.domain.backups import backup_name, parse_backup_name, to_keep
from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import DatabaseError, MesodeskError
from mesodesk.domain.integrity import schema_differences
from mesodesk.domain.patients import RECORD_COUNTER
from mesodesk.files import make_private, os_error_message, private_dir
from mesodesk.paths import default_backup_dir
from mesodesk.services.audit import AuditService
from mesodesk.services.changes import Changes, Result
from mesodesk.services.settings import SettingsService
from mesodesk.store.db import Database, Target, check_sqlite_file, create_db_engine
from mesodesk.store.keys import FileKeyStore, KeyStore
from mesodesk.store.migrate import HEAD_REVISION, known_revisions, upgrade
from mesodesk.store.safety import (
    CopyCancelled,
    _remove_copy,
    connect_read_only,
    copy_into,
    foreign_key_problems,
    fsync_path,
    integrity_problems,
    online_copy,
    replace_file,
    row_counts,
    schema_revision,
    verify_copy,
)

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]
STALE_PARTIAL = timedelta(hours=1)
EVERYTHING = Changes(patients=True, treatment=True, catalogue=True, settings=True, audit=True)
__all__ = ["BackupService", "CopyCancelled", "inspect_backup", "make_backup", "restore_file"]


@dataclass(frozen=True)
class BackupInfo:
    """A backup file in the backup folder."""

    path: Path
    taken_at: datetime  # UTC
    size: int
    before_restore: bool


@dataclass(frozen=True)
class BackupResult:
    path: Path
    taken_at: datetime
    size: int
    rows: dict[str, int]
    removed: list[Path] = field(default_factory=list)

    @property
    def patients(self) -> int:
        return self.rows.get("patient", 0)


@dataclass(frozen=True)
class BackupContents:
    """What a backup file holds, read (and verified) before restoring it: what a person is
    shown before saying yes."""

    path: Path
    revision: str
    rows: dict[str, int]
    taken_at: datetime | None
    clinic_uid: str | None = None  # None: a backup from before clinic identities (0.1)
    clinic_name: str = ""
    newest_entry_at: datetime | None = None
    head_seq: int = 0
    head_hash: str = ""
    record_high: int = 0
    not_restored: tuple[str, ...] = ()  # schema objects of the backup that are left behind
    current_uid: str | None = None  # the clinic of the database it would replace
    current_name: str = ""
    replaces_data: bool = True  # False: there is no database there yet
    file_changed_at: datetime | None = None  # UTC; said when the name carries no time

    @property
    def patients(self) -> int:
        return self.rows.get("patient", 0)

    @property
    def display_name(self) -> str:
        """The name a person types to confirm restoring another clinic's backup."""
        if self.clinic_name:
            return self.clinic_name
        return f"clinic {self.clinic_uid[:8]}" if self.clinic_uid else "a clinic with no name"

    @property
    def other_clinic(self) -> bool:
        """Whether the backup is (or may be) another clinic's than the data it replaces: then a
        person confirms by typing the backup's clinic name."""
        if not self.replaces_data:
            return False
        if self.clinic_uid is not None and self.current_uid is not None:
            return self.clinic_uid != self.current_uid
        if self.current_uid is None and not self.current_name:
            return True  # the database cannot be read: nothing tells it is the same clinic
        return _folded(self.clinic_name) != _folded(self.current_name)

    def confirms(self, typed: str | None) -> bool:
        return typed is not None and _folded(typed) == _folded(self.display_name)


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class RestoreResult:
    source: BackupContents
    saved_before: Path | None  # the current data, kept before they were replaced (if any)
    saved_before_verified: bool  # False: the database was damaged, its files were copied as-is


def _scaled(progress: Progress | None, start: int, end: int) -> Progress | None:
    """Report a step's progress as a part (start..end of 100) of the whole."""
    if progress is None:
        return None

    def report(done: int, total: int, message: str) -> None:
        part = done / total if total else 1.0
        progress(start + int((end - start) * part), 100, message)

    return report


def database_file(target: Target) -> Path:
    if not target.is_sqlite or target.path is None:
        raise DatabaseError(
            "Backups made by mesodesk are for a database file; a database server is backed up "
            "with its own tools."
        )
    return target.path


def list_backups(folder: Path, stem: str) -> list[BackupInfo]:
    """The backups of the database named ``stem`` in a folder, newest first."""
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for path in entries:
        name = parse_backup_name(path.name)
        if name is None or name.stem != stem or not path.is_file():
            continue
        found.append(BackupInfo(path, name.taken_at, path.stat().st_size, name.before_restore))
    found.sort(key=lambda b: (b.taken_at, b.path.name), reverse=True)
    return found


def rotate(
    folder: Path, stem: str, protect: Path | None = None, now: datetime | None = None
) -> list[Path]:
    """Remove the regular backups that rotation does not keep; returns what was removed.
    Backups made by an older mesodesk are made owner-only on the way."""
    found = list_backups(folder, stem)
    for backup in found:
        make_private(backup.path)
    regular = [b for b in found if not b.before_restore]
    keep = to_keep((b.taken_at for b in regular), now=now)
    removed = []
    for backup in regular:
        if backup.taken_at not in keep and backup.path != protect:
            try:
                backup.path.unlink()
                removed.append(backup.path)
            except OSError:
                pass
    return removed


def _free_name(folder: Path, stem: str, now: datetime, before_restore: bool) -> Path:
    """A name later than every backup there (names are stamped to the second, and rotation
    takes the newest as the one to keep)."""
    existing = list_backups(folder, stem)
    if existing:
        now = max(now, existing[0].taken_at + timedelta(seconds=1))
    for extra in range(3600):
        instant = now + timedelta(seconds=extra)
        path = folder / backup_name(stem, instant, before_restore=before_restore)
        if not path.exists() and not Path(f"{path}.partial").exists():
            return path
    raise DatabaseError(f"Too many backups in {folder} at once.")


def _clear_stale_partials(folder: Path, stem: str) -> None:
    """Remove what killed backups left (``.partial`` files over an hour old: a younger one may
    be another process's backup under way)."""
    limit = time.time() - STALE_PARTIAL.total_seconds()
    for path in folder.glob(f"{stem}-*.partial"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def make_backup(
    source: Path,
    *,
    now: datetime,
    folder: Path | None = None,
    out: Path | None = None,
    before_restore: bool = False,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> BackupResult:
    """Back up a database file into ``out``, or into ``folder`` under a dated name (then
    rotate the folder). The file appears under its name only once verified and on the disk."""
    stem = source.stem
    if out is not None:
        final = out.expanduser().resolve()
        if final == source.resolve():
            raise DatabaseError("A backup cannot be written over the database itself.")
        if final.exists():
            raise DatabaseError(f"{final} already exists; choose a new file name for the backup.")
        if not final.parent.is_dir():
            raise DatabaseError(f"The folder {final.parent} does not exist.")
    else:
        assert folder is not None
        try:
            private_dir(folder)
        except OSError as exc:
            raise DatabaseError(os_error_message(exc, folder, "create the backup folder")) from exc
        _clear_stale_partials(folder, stem)
        final = _free_name(folder, stem, now, before_restore)
    partial = final.with_name(final.name + ".partial")
    report = progress or (lambda done, total, message: None)
    try:
        counts = online_copy(
            source, partial, progress=_scaled(progress, 0, 70), cancelled=cancelled
        )
        report(70, 100, "Checking the copy")
        verify_copy(partial, counts)
        report(95, 100, "Writing it to the disk")
        fsync_path(partial)
        os.replace(partial, final)
        fsync_path(final.parent, directory=True)
    except sqlite3.Error as exc:
        _unlink(partial)
        raise DatabaseError(f"The backup failed: {exc}. No backup was kept.") from exc
    except OSError as exc:
        _unlink(partial)
        raise DatabaseError(
            f"The backup could not be written to {final.parent}: {exc.strerror}. "
            "No backup was kept."
        ) from exc
    except BaseException:
        _unlink(partial)
        raise
    removed = rotate(final.parent, stem, final, now) if out is None and not before_restore else []
    report(100, 100, "Backup done")
    named = parse_backup_name(final.name)
    taken = named.taken_at if named is not None and out is None else now
    return BackupResult(final, taken, final.stat().st_size, counts, removed)


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def inspect_backup(
    path: Path, *, dest: Path | None = None, keys: KeyStore | None = None
) -> BackupContents:
    """Check that a file is a sound mesodesk backup this version can restore: SQLite's
    integrity check, its references, its audit chain (with its clinic's key) and every record
    against that chain. ``dest`` is the database it would replace (to tell another clinic)."""
    path = path.expanduser().resolve()
    keys = keys or FileKeyStore()
    if not path.exists():
        raise DatabaseError(f"There is no file {path}.")
    if not path.is_file():
        raise DatabaseError(f"{path} is not a backup file.")
    check_sqlite_file(path)
    problems = integrity_problems(path)
    if problems:
        raise DatabaseError(
            f"{path.name} is damaged ({problems[0]}); it cannot be restored. Choose another backup."
        )
    con = connect_read_only(path)
    try:
        revision = schema_revision(con)
        rows = row_counts(con)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path.name} cannot be read ({exc}).") from exc
    finally:
        con.close()
    if revision is None or "patient" not in rows:
        raise DatabaseError(f"{path.name} is not a mesodesk backup.")
    if revision != HEAD_REVISION and revision not in known_revisions():
        raise DatabaseError(
            f"{path.name} was made by a newer version of mesodesk (schema {revision}); update "
            "mesodesk to restore it."
        )
    broken = foreign_key_problems(path, limit=3)
    if broken:
        raise DatabaseError(
            f"{path.name} holds broken references ({broken[0]}); it cannot be restored. Choose "
            "another backup."
        )
    facts = _verify_backup(path, revision, keys)
    name = parse_backup_name(path.name)
    current_uid, current_name, replaces = _current_clinic(dest)
    return BackupContents(
        path,
        revision,
        {t: n for t, n in rows.items() if not t.startswith("sqlite_")},
        name.taken_at if name else None,
        current_uid=current_uid,
        current_name=current_name,
        replaces_data=replaces,
        file_changed_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
        **facts,
    )


def _verify_backup(path: Path, revision: str, keys: KeyStore) -> dict[str, Any]:
    from sqlalchemy import inspect as sa_inspect

    from mesodesk.domain.audit import parse_at
    from mesodesk.services.audit import verify_connection
    from mesodesk.store.integrity import actual_schema, load_key, read_clinic, row_findings
    from mesodesk.store.migrate import expected_schema

    engine = create_db_engine(Target(f"sqlite:///{path}", path), read_only=True, pool=False)
    try:
        with engine.connect() as conn:
            chain = verify_connection(conn, keys=keys)
            if chain.cannot_verify:
                raise DatabaseError(
                    f"{path.name} cannot be restored: its audit trail cannot be verified. "
                    + chain.cannot_verify
                )
            if not chain.ok and not (chain.entries == 0 and "no audit trail" in chain.problem):
                raise DatabaseError(
                    f"{path.name} cannot be restored: its audit trail is not intact. "
                    + chain.describe()
                )
            clinic = read_clinic(conn)
            if clinic is not None:
                key, _why = load_key(clinic, keys)
                assert key is not None  # the chain verified with it
                found, damaged = row_findings(conn, key)
                if found or damaged:
                    shown = "; ".join([*damaged, *(f.describe() for f in found[:3])])
                    raise DatabaseError(
                        f"{path.name} cannot be restored: {len(found) + len(damaged):,} of its "
                        f"records no longer match its audit trail ({shown})."
                    )
            extra = [
                d
                for d in schema_differences(expected_schema(revision), actual_schema(conn))
                if "not one that mesodesk makes" in d or "differs" in d
            ]
            tables = set(sa_inspect(conn).get_table_names())
            head = newest = high = name = None
            if "audit_head" in tables:
                head = conn.exec_driver_sql("SELECT seq, hash FROM audit_head WHERE id = 1").first()
                newest = conn.exec_driver_sql(
                    "SELECT at FROM audit_entry ORDER BY seq DESC LIMIT 1"
                ).scalar()
            if "counter" in tables:
                high = conn.exec_driver_sql(
                    "SELECT value FROM counter WHERE name = ?", (RECORD_COUNTER,)
                ).scalar()
            if "app_setting" in tables:
                name = conn.exec_driver_sql(
                    "SELECT value FROM app_setting WHERE key = 'clinic_name'"
                ).scalar()
    except DatabaseError:
        raise
    except Exception as exc:
        raise DatabaseError(
            f"{path.name} cannot be read as a backup ({type(exc).__name__})."
        ) from exc
    finally:
        engine.dispose()
    return {
        "clinic_uid": clinic.uid if clinic is not None else None,
        "clinic_name": str(name or ""),
        "newest_entry_at": parse_at(str(newest)) if newest else None,
        "head_seq": int(head[0]) if head else 0,
        "head_hash": str(head[1]) if head else "",
        "record_high": int(high or 0),
        "not_restored": tuple(extra),
    }


def _current_clinic(dest: Path | None) -> tuple[str | None, str, bool]:
    """The clinic of the database a restore would replace: (id, name, whether it holds data).
    A database that cannot be read gives (None, "", True): another clinic is then possible."""
    if dest is None or not dest.exists():
        return None, "", False
    try:
        con = connect_read_only(dest)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            uid = None
            if "clinic" in tables:
                row = con.execute("SELECT uid FROM clinic WHERE id = 1").fetchone()
                uid = str(row[0]) if row else None
            name = ""
            if "app_setting" in tables:
                row = con.execute(
                    "SELECT value FROM app_setting WHERE key = 'clinic_name'"
                ).fetchone()
                name = str(row[0]) if row else ""
            holds = any(
                table in tables and con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()  # noqa: S608
                for table in ("patient", "product", "practitioner")
            )
            return uid, name, bool(holds)
        finally:
            con.close()
    except (sqlite3.Error, DatabaseError):
        return None, "", True


def _keep_damaged(dest: Path, folder: Path, now: datetime) -> Path:
    """Keep a plain copy of a damaged database's files (no SQLite connection can read it
    whole, and nothing is writing to it) before the restore replaces them."""
    private_dir(folder)
    kept = _free_name(folder, dest.stem, now, before_restore=True)
    kept = kept.with_name(kept.name.replace(".sqlite3", "-damaged.sqlite3"))
    shutil.copyfile(dest, kept)
    make_private(kept)
    wal = Path(f"{dest}-wal")
    if wal.exists():
        shutil.copyfile(wal, Path(f"{kept}-wal"))
        make_private(Path(f"{kept}-wal"))
    fsync_path(kept)
    return kept


def restore_file(
    target: Target,
    source: Path,
    *,
    folder: Path,
    now: datetime,
    progress: Progress | None = None,
    confirmed_name: str | None = None,
    keys: KeyStore | None = None,
    actor: Actor | None = None,
    contents: BackupContents | None = None,
) -> RestoreResult:
    """Replace a database's data with a backup's. The caller holds the database's in-use lock
    exclusively (no other mesodesk has it open), so nothing acknowledged can be lost.

    The backup is verified first; another clinic's backup needs its name (``confirmed_name``).
    A fresh file is built from the migrations and gets the backup's rows only; the restore's
    own entry (naming the trail it replaces) goes into it; the record-number counter never goes
    back; then it is written into the database in one transaction of the backup API."""
    dest = database_file(target)
    refuse_restore_target(dest)
    keys = keys or FileKeyStore()
    actor = actor or Actor.system()
    source = source.expanduser().resolve()
    if source == dest.resolve():
        raise DatabaseError("That file is the database itself; choose a backup.")
    report = progress or (lambda done, total, message: None)
    report(0, 100, "Checking the backup")
    if contents is None or contents.path != source:
        contents = inspect_backup(source, dest=dest, keys=keys)
    if contents.other_clinic and not contents.confirms(confirmed_name):
        raise DatabaseError(
            f"{source.name} is a backup of {contents.display_name}, not of "
            f"{contents.current_name or 'the clinic in this database'}. To replace this "
            f"database with it, confirm by typing that clinic's name: {contents.display_name}."
        )
    report(5, 100, "Backing up the current data")
    verified = True
    replaced = _current_head(dest)
    if not dest.exists():
        saved = None
    elif integrity_problems(dest):
        verified = False
        saved = _keep_damaged(dest, folder, now)
    else:
        saved = make_backup(
            dest,
            now=now,
            folder=folder,
            before_restore=True,
            progress=_scaled(progress, 5, 40),
        ).path
    report(40, 100, "Building the restored database")
    fresh = dest.with_name(dest.name + ".restoring")
    _remove_copy(fresh)
    try:
        _build(contents, fresh, dest, keys, actor, now, replaced, saved)
        report(70, 100, "Restoring")
        try:
            copy_into(fresh, dest, progress=_scaled(progress, 70, 90))
        except sqlite3.Error:
            # Too damaged for SQLite to write into: put the restored file in its place instead.
            replace_file(fresh, dest, progress=_scaled(progress, 70, 90))
    finally:
        _remove_copy(fresh)
    report(90, 100, "Checking the restored database")
    problems = integrity_problems(dest)
    if problems:
        raise DatabaseError(
            f"The restored database failed SQLite's integrity check ({problems[0]}). "
            f"The data from before the restore are in {saved}."
        )
    _reset_witness(target, keys)
    report(100, 100, "Restore done")
    return RestoreResult(contents, saved, verified)


def refuse_restore_target(dest: Path) -> None:
    """A restore writes over a mesodesk database (damaged or not) or makes a new one; never
    over a device, a folder, a link or a file that is not a database."""
    import stat as st

    try:
        info = os.lstat(dest)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DatabaseError(os_error_message(exc, dest, "restore into")) from exc
    if not st.S_ISREG(info.st_mode):
        raise DatabaseError(
            f"{dest} is not an ordinary database file (a folder, a link or a device); "
            "nothing was restored."
        )
    with dest.open("rb") as fh:
        header = fh.read(16)
    if header != b"SQLite format 3\x00":
        raise DatabaseError(
            f"{dest} is not a mesodesk database; it was left untouched and nothing was restored."
        )


@dataclass(frozen=True)
class _Head:
    seq: int
    hash: str
    record_high: int


def _current_head(dest: Path) -> _Head:
    """The head of the trail a restore replaces, and the highest record number given in it
    (read as far as the file can be read)."""
    from mesodesk.store.anchors import backup_head

    found = backup_head(dest) if dest.exists() else None
    if found is None:
        return _Head(0, "", 0)
    return _Head(found.seq, found.hash, found.record_high)


def _build(
    contents: BackupContents,
    fresh: Path,
    dest: Path,
    keys: KeyStore,
    actor: Actor,
    now: datetime,
    replaced: _Head,
    saved: Path | None,
) -> None:
    from mesodesk.domain.audit import format_at
    from mesodesk.services.analytics import recount_stats
    from mesodesk.store.integrity import load_key, read_clinic
    from mesodesk.store.restore import build_fresh

    build_fresh(contents.path, fresh, contents.revision)
    target = Target(f"sqlite:///{fresh}", fresh)
    if contents.revision != HEAD_REVISION:
        # A backup from before the keyed trail: it becomes this database's clinic (the one it
        # replaces, when that can be read and is the same clinic by name), keyed with its key.
        identity = None
        current_uid, _name, _holds = _current_clinic(dest)
        if current_uid is not None and not contents.other_clinic:
            identity = keys.load(current_uid)
        upgrade(target, keys=keys, identity=identity, actor=actor, now=now)
    high = max(contents.record_high, replaced.record_high, _witnessed_high(dest, keys))
    engine = create_db_engine(target, pool=False)
    try:
        with engine.connect() as conn, conn.begin():
            clinic = read_clinic(conn)
            if clinic is None:
                raise DatabaseError("The restored database has no clinic identity.")
            key, why = load_key(clinic, keys)
            if key is None:
                raise DatabaseError(why)
            recount_stats(conn)
            _append_restore(conn, key, actor, format_at(now), contents, replaced, saved, high)
    finally:
        engine.dispose()


def _witnessed_high(dest: Path, keys: KeyStore) -> int:
    """The highest record number the witness of this database saw given (even when the
    database itself can no longer be read)."""
    from mesodesk.store.anchors import Witness, WitnessDamaged

    uid, _name, _holds = _current_clinic(dest)
    key = keys.load(uid) if uid is not None else None
    if key is None:
        return 0
    try:
        seen = Witness(key, str(dest)).read()
    except WitnessDamaged:
        return 0
    return seen.record_high if seen is not None else 0


def _append_restore(
    conn: Any,
    key: Any,
    actor: Actor,
    at: str,
    contents: BackupContents,
    replaced: _Head,
    saved: Path | None,
    high: int,
) -> None:
    from mesodesk.domain.audit import PendingEntry
    from mesodesk.store.audit import append_links

    restore = [
        PendingEntry(
            A.RESTORE,
            after={
                "backup": contents.path.name,
                "backup_folder": str(contents.path.parent),
                "backup_taken_at": contents.taken_at,
                "backup_head_seq": contents.head_seq,
                "backup_head": contents.head_hash,
                "backup_clinic": contents.display_name,
                "patients": contents.patients,
                "replaced_head_seq": replaced.seq,
                "replaced_head": replaced.hash,
                "saved_before_as": str(saved) if saved else None,
                "not_restored": list(contents.not_restored),
            },
            detail="data replaced from a backup",
        )
    ]
    current = conn.exec_driver_sql(
        "SELECT value FROM counter WHERE name = ?", (RECORD_COUNTER,)
    ).scalar()
    if high > int(current or 0):
        # record numbers given since the backup stay given: the counter never goes back
        conn.exec_driver_sql(
            "INSERT INTO counter (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (RECORD_COUNTER, high),
        )
    restore[0].after = {**(restore[0].after or {}), "record_numbers_given_up_to": high}
    append_links(conn, restore, key=key.secret, actor=actor, at=at)


def _reset_witness(target: Target, keys: KeyStore) -> None:
    """After a restore the witness follows the restored trail (whose restore entry names the
    trail it replaced)."""
    from mesodesk.store.anchors import Witness
    from mesodesk.store.audit import link_from_row
    from mesodesk.store.integrity import load_key, read_clinic

    engine = create_db_engine(target, read_only=True, pool=False)
    try:
        with engine.connect() as conn:
            clinic = read_clinic(conn)
            if clinic is None:
                return
            key, _why = load_key(clinic, keys)
            if key is None:
                return
            row = conn.exec_driver_sql(
                "SELECT * FROM audit_entry WHERE seq = (SELECT seq FROM audit_head WHERE id = 1)"
            ).first()
            high = conn.exec_driver_sql(
                "SELECT value FROM counter WHERE name = ?", (RECORD_COUNTER,)
            ).scalar()
    finally:
        engine.dispose()
    if row is not None:
        link = link_from_row(row)
        Witness(key, str(target.path)).update(
            link.seq, link.hash, link.at, int(high or 0), reset=True
        )


class BackupService:
    """Backups of the open database, with audit entries; ``folder`` is where they go."""

    def __init__(
        self,
        db: Database,
        audit: AuditService,
        settings: SettingsService,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.audit = audit
        self.settings = settings
        self.clock = clock or Clock()
        self.folder: Path = default_backup_dir()
        self.commits_at_backup: int | None = None  # db.commits just after this run's last backup

    @property
    def available(self) -> bool:
        return self.db.target.is_sqlite and self.db.target.path is not None

    @property
    def source(self) -> Path:
        return database_file(self.db.target)

    def backups(self) -> list[BackupInfo]:
        return list_backups(self.folder, self.source.stem) if self.available else []

    def newest(self) -> BackupInfo | None:
        found = self.backups()
        return found[0] if found else None

    def due(self, max_age: timedelta = timedelta(days=1)) -> bool:
        """Whether the newest backup is older than ``max_age`` (or there is none)."""
        if not self.available:
            return False
        newest = self.newest()
        return newest is None or self.clock.utcnow() - newest.taken_at >= max_age

    def mark_clean(self) -> None:
        """Count the database as backed up as it is now (at start-up, and after a restore
        that replaced it with a backup)."""
        self.commits_at_backup = self.db.commits

    def changed_since_backup(self) -> bool:
        """Whether anything was written since this run's last backup (True before the first)."""
        return self.commits_at_backup is None or self.db.commits != self.commits_at_backup

    def back_up(
        self,
        out: Path | None = None,
        *,
        reason: str = "by hand",
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Result[BackupResult]:
        """Back up the open database. It reads through connections of its own, so it may run
        beside the app's database jobs; a change saved meanwhile counts as not backed up."""
        commits = self.db.commits
        result = make_backup(
            self.source,
            now=self.clock.utcnow(),
            folder=None if out is not None else self.folder,
            out=out,
            progress=progress,
            cancelled=cancelled,
        )
        changes = Changes()
        warning = ""
        if not self.db.read_only:
            try:
                changes = self.audit.record_event(
                    A.BACKUP,
                    details={
                        "file": result.path.name,
                        "folder": str(result.path.parent),
                        "reason": reason,
                        "patients": result.patients,
                        "rotated_out": len(result.removed),
                    },
                    detail=reason,
                ).changes
                commits += 1  # the entry
            except MesodeskError as exc:
                # The backup is written and verified: say so, and why its entry is missing.
                warning = f"the backup is sound, but its audit entry could not be written: {exc}"
        self.commits_at_backup = commits
        return Result(result, changes, warning)

    def inspect(self, source: Path) -> BackupContents:
        """What a backup holds, verified, compared with this database's clinic."""
        return inspect_backup(source, dest=self.source, keys=self.db.keys)

    def restore(
        self,
        source: Path,
        *,
        progress: Progress | None = None,
        confirmed_name: str | None = None,
    ) -> Result[RestoreResult]:
        """Replace the open database's data with a backup's, then reopen it. Run it as the only
        database job (the app's job runner has one thread)."""
        target = self.db.target
        lock = self.db.lock
        if lock is not None:
            lock.exclusive()  # every other mesodesk has closed the database, or it refuses
        self.db.engine.dispose()
        try:
            result = restore_file(
                target,
                source,
                folder=self.folder,
                now=self.clock.utcnow(),
                progress=progress,
                confirmed_name=confirmed_name,
                keys=self.db.keys,
                actor=self.db.actor,
            )
        except BaseException:
            self.db.reopen(read_only=self.db.read_only)
            raise
        finally:
            if lock is not None:
                lock.downgrade()
        self.db.reopen(read_only=False)  # a damaged database opened read-only is sound again
        self.settings.invalidate()
        self.commits_at_backup = None
        return Result(result, EVERYTHING)
