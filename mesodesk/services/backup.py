"""Backups and restores.

A backup is made with SQLite's online backup API from a consistent snapshot of the database
(store/safety.py), checked (SQLite's integrity check, and the same number of rows in every
table as the snapshot had), synced to the disk, and only then given its final name: a file named
like a backup is a verified one. Rotation (domain/backups.py) runs after each new backup in the
backup folder and never removes the copy taken before a restore.

A restore first backs up the database as it is (or, when it is too damaged for that, keeps a
plain copy of its files), then writes the backup's contents into the database file through the
backup API in one transaction, checks the result and brings its schema up to date.

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
from datetime import datetime, timedelta
from pathlib import Path

from mesodesk.domain import audit as A
from mesodesk.domain.backups import backup_name, parse_backup_name, to_keep
from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import DatabaseError
from mesodesk.paths import default_backup_dir
from mesodesk.services.audit import AuditService
from mesodesk.services.changes import Changes, Result
from mesodesk.services.settings import SettingsService
from mesodesk.store.db import Database, Target, check_sqlite_file
from mesodesk.store.migrate import HEAD_REVISION, known_revisions, upgrade
from mesodesk.store.safety import (
    CopyCancelled,
    connect_read_only,
    copy_into,
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
    """What a backup file holds, read before restoring it."""

    path: Path
    revision: str
    rows: dict[str, int]
    taken_at: datetime | None

    @property
    def patients(self) -> int:
        return self.rows.get("patient", 0)


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


def rotate(folder: Path, stem: str, protect: Path | None = None) -> list[Path]:
    """Remove the regular backups that rotation does not keep; returns what was removed."""
    regular = [b for b in list_backups(folder, stem) if not b.before_restore]
    keep = to_keep(b.taken_at for b in regular)
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
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"Cannot create the backup folder {folder}: {exc.strerror}."
            ) from exc
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
    removed = rotate(final.parent, stem, final) if out is None and not before_restore else []
    report(100, 100, "Backup done")
    named = parse_backup_name(final.name)
    taken = named.taken_at if named is not None and out is None else now
    return BackupResult(final, taken, final.stat().st_size, counts, removed)


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def inspect_backup(path: Path) -> BackupContents:
    """Check that a file is a sound mesodesk backup this version can restore."""
    path = path.expanduser().resolve()
    if not path.exists():
        raise DatabaseError(f"There is no file {path}.")
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
    name = parse_backup_name(path.name)
    return BackupContents(path, revision, rows, name.taken_at if name else None)


def _keep_damaged(dest: Path, folder: Path, now: datetime) -> Path:
    """Keep a plain copy of a damaged database's files (no SQLite connection can read it
    whole, and nothing is writing to it) before the restore replaces them."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = _free_name(folder, dest.stem, now, before_restore=True)
    kept = kept.with_name(kept.name.replace(".sqlite3", "-damaged.sqlite3"))
    shutil.copyfile(dest, kept)
    wal = Path(f"{dest}-wal")
    if wal.exists():
        shutil.copyfile(wal, Path(f"{kept}-wal"))
    fsync_path(kept)
    return kept


def restore_file(
    target: Target,
    source: Path,
    *,
    folder: Path,
    now: datetime,
    progress: Progress | None = None,
) -> RestoreResult:
    """Replace a database's data with a backup's. Nothing else may write to the database
    meanwhile: the app runs it as its only database job, the command line under the lock."""
    dest = database_file(target)
    source = source.expanduser().resolve()
    if source == dest.resolve():
        raise DatabaseError("That file is the database itself; choose a backup.")
    report = progress or (lambda done, total, message: None)
    report(0, 100, "Checking the backup")
    contents = inspect_backup(source)
    report(5, 100, "Backing up the current data")
    verified = True
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
            progress=_scaled(progress, 5, 50),
        ).path
    report(50, 100, "Restoring")
    try:
        copy_into(source, dest, progress=_scaled(progress, 50, 90))
    except sqlite3.Error:
        # Too damaged for SQLite to write into: build the restored file beside it instead.
        replace_file(source, dest, progress=_scaled(progress, 50, 90))
    report(90, 100, "Checking the restored database")
    problems = integrity_problems(dest)
    if problems:
        raise DatabaseError(
            f"The restored database failed SQLite's integrity check ({problems[0]}). "
            f"The data from before the restore are in {saved}."
        )
    if contents.revision != HEAD_REVISION:
        upgrade(target)
    report(100, 100, "Restore done")
    return RestoreResult(contents, saved, verified)


def restore_event(result: RestoreResult) -> dict[str, object]:
    return {
        "backup": result.source.path.name,
        "backup_folder": str(result.source.path.parent),
        "backup_taken_at": result.source.taken_at,
        "patients": result.source.patients,
        "saved_before_as": str(result.saved_before) if result.saved_before else None,
    }


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
        if not self.db.read_only:
            commits += 1  # the entry below
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
        self.commits_at_backup = commits
        return Result(result, changes)

    def restore(self, source: Path, *, progress: Progress | None = None) -> Result[RestoreResult]:
        """Replace the open database's data with a backup's, then reopen it. Run it as the only
        database job (the app's job runner has one thread)."""
        target = self.db.target
        self.db.engine.dispose()
        try:
            result = restore_file(
                target, source, folder=self.folder, now=self.clock.utcnow(), progress=progress
            )
        except BaseException:
            self.db.reopen(read_only=self.db.read_only)
            raise
        self.db.reopen(read_only=False)  # a damaged database opened read-only is sound again
        self.settings.invalidate()
        self.audit.record_event(
            A.RESTORE, details=restore_event(result), detail="data replaced from a backup"
        )
        self.commits_at_backup = None
        return Result(result, EVERYTHING)
