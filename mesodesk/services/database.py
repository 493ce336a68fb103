"""The open database as the people at work see it: who is working, whether it may be written,
the start-up check, and the backups' notion of "clean". The engine itself stays here, private
to services: the ui asks these questions instead of reading the store's object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mesodesk.domain.audit import Actor
from mesodesk.store.db import Database

if TYPE_CHECKING:  # health opens Services for the app, which hold this service
    from mesodesk.services.health import HealthReport, Progress


@dataclass(frozen=True)
class DatabaseState:
    """What the ui shows about the open database (a snapshot; ask again after a change)."""

    read_only: bool  # opened read-only (damage found, or a folder that cannot be written)
    read_only_reason: str  # why, when it is not damage ("" otherwise)
    key_missing: bool  # no clinic key: nothing can be sealed in the audit trail
    notice: str  # a warning for the person using it (a network file system), or ""
    path: Path | None  # the file, for a SQLite database
    location: str  # the target as a person reads it


class DatabaseService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def state(self) -> DatabaseState:
        db = self._db
        return DatabaseState(
            read_only=bool(db.read_only),
            read_only_reason=db.read_only_reason,
            key_missing=db.key is None,
            notice=db.notice,
            path=db.target.path,
            location=db.target.describe(),
        )

    # -- who is working ---------------------------------------------------------------------------

    @property
    def working_as(self) -> Actor:
        """Who the audit trail names for the changes made through this database."""
        return self._db.actor

    def work_as(self, actor: Actor) -> None:
        self._db.actor = actor

    # -- the start-up check -----------------------------------------------------------------------

    def hold_writes(self) -> None:
        """Make write transactions wait until ``check_at_start`` has given its verdict (reads
        go on meanwhile). Call it on the GUI thread, before the check's job is queued."""
        self._db.hold_writes()

    def check_at_start(self) -> list[str]:
        """The start-up integrity check ([] when sound). A damaged database is reopened
        read-only before writes may go on, so nothing is ever written to it."""
        from mesodesk.services.health import startup_problems

        db = self._db
        try:
            try:
                problems = startup_problems(db)
            except Exception as exc:  # a file SQLite cannot even check is treated as damaged
                problems = [f"the check could not run ({type(exc).__name__})"]
            if problems:
                db.reopen(read_only=True)
            return problems
        finally:
            db.release_writes()

    def damaged_message(self, problems: list[str], backup_folder: Path | None) -> str:
        from mesodesk.services.health import damaged_message

        path = self._db.target.path
        assert path is not None  # only a file is checked for damage
        return damaged_message(path, problems, backup_folder)

    def check(
        self, *, full: bool = True, progress: Progress | None = None, folders: Sequence[Path] = ()
    ) -> HealthReport:
        """The full check of the database (Tools > Check the database)."""
        from mesodesk.services.health import check_database

        return check_database(
            self._db.target, full=full, progress=progress, folders=folders, keys=self._db.keys
        )
