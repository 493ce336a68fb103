"""The database's in-use lock, honoured by every mesodesk process, the app and every command.

Each process that opens a database file holds a shared lock on ``<database>.inuse`` (an
``flock`` beside it, owner-only) for as long as it has the database open; a restore holds it
exclusively. So a restore waits until no other mesodesk has the database open - none can have
an acknowledged write in flight, or data read before the restore that it would write back after
- and a process that starts meanwhile waits until the restore is done. The operating system
drops the lock of a process that dies, so a crash never leaves it behind.

SQLite's own locks keep transactions apart; this one keeps a restore apart from everything else.
On systems without ``flock`` (Windows) the lock is not taken; the app's one-instance lock still
keeps two windows off one database.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

from mesodesk.domain.errors import DatabaseError
from mesodesk.files import PRIVATE_FILE, os_error_message

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".inuse"
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.02


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + SUFFIX)


class InUseLock:
    """A database's in-use lock held by this process: ``shared`` to use it, ``exclusive`` to
    restore it."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        self.fd: int | None = None
        self.mode = ""

    def _open(self) -> int:
        if self.fd is None:
            try:
                self.fd = os.open(
                    self.path,
                    os.O_RDWR
                    | os.O_CREAT
                    | getattr(os, "O_NOFOLLOW", 0)
                    | getattr(os, "O_CLOEXEC", 0),
                    PRIVATE_FILE,
                )
            except OSError as exc:
                raise DatabaseError(
                    os_error_message(exc, self.path, "create the lock file")
                    + " mesodesk needs it to keep a restore apart from other work."
                ) from exc
        return self.fd

    def _take(self, flag: int, wait: float) -> bool:
        if fcntl is None:  # pragma: no cover - Windows
            return True
        fd = self._open()
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, flag | fcntl.LOCK_NB)
                return True
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise DatabaseError(os_error_message(exc, self.path, "lock")) from exc
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)

    def shared(self, wait: float = WAIT_SECONDS) -> None:
        """Use the database: waits while a restore runs, then refuses."""
        if self.mode == "shared":
            return
        if not self._take(fcntl.LOCK_SH if fcntl else 0, wait):
            self.close()
            raise DatabaseError(
                f"A restore of {self.database} is under way in another mesodesk; try again "
                "when it has finished."
            )
        self.mode = "shared"

    def exclusive(self, wait: float = WAIT_SECONDS) -> None:
        """Restore the database: waits for every other mesodesk to close it, then refuses."""
        if self.mode == "exclusive":
            return
        if not self._take(fcntl.LOCK_EX if fcntl else 0, wait):
            # a shared lock held before is given up by a failed conversion: take it again
            if self.mode == "shared":
                self.mode = ""
                self.shared()
            raise DatabaseError(
                f"Another mesodesk has {self.database} open (the app on this computer, or a "
                "command that is still running). A restore replaces every record, so it waits "
                "until every other mesodesk has closed the database; close it and try again."
            )
        self.mode = "exclusive"

    def downgrade(self) -> None:
        """Back to shared use after a restore."""
        if self.mode == "exclusive" and fcntl is not None:
            fcntl.flock(self._open(), fcntl.LOCK_SH)
            self.mode = "shared"

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None
        self.mode = ""
