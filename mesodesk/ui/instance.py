"""One mesodesk per database: a lock file beside the database (Qt's QLockFile).

The lock file holds the process id, the host name and the program of whoever holds it. A lock
left by a crashed mesodesk on this computer is stale (its process is gone) and is taken over at
once. Age alone never makes a lock stale (``setStaleLockTime(0)``): mesodesk keeps its lock for
as long as it is open, hours or days. A lock held on another computer cannot be checked from
here; the message names that computer.

`mesodesk restore` on the command line takes the same lock for as long as it works.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLockFile

from mesodesk.ui.i18n import arg

LOCK_SUFFIX = ".lock"


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    program: str

    @property
    def here(self) -> bool:
        return not self.host or self.host == socket.gethostname()


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = QLockFile(str(path))
        self.file.setStaleLockTime(0)
        self.took_over = False  # the lock of a mesodesk that did not close was taken over

    @classmethod
    def for_database(cls, database: Path) -> InstanceLock:
        return cls(database.with_name(database.name + LOCK_SUFFIX))

    def acquire(self) -> bool:
        """Take the lock (or a stale one); False when a running mesodesk holds it."""
        if self.file.isLocked():
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        left_behind = self.path.exists()
        if not self.file.tryLock(0):
            return False
        self.took_over = left_behind
        return True

    def release(self) -> None:
        if self.file.isLocked():
            self.file.unlock()

    @property
    def error(self) -> QLockFile.LockError:
        return self.file.error()

    def holder(self) -> Holder | None:
        info = self.file.getLockInfo()
        # PySide6 returns (pid, hostname, appname); an empty or missing file gives pid 0
        if not isinstance(info, tuple) or len(info) < 3 or not info[0]:
            return None
        pid, host, program = info[0], info[1], info[2]
        return Holder(int(pid), str(host), str(program))

    def refusal(self) -> str:
        """Why the lock could not be taken, for the person."""
        tr = QCoreApplication.translate
        if self.file.error() == QLockFile.LockError.PermissionError:
            return arg(
                tr(
                    "InstanceLock",
                    "mesodesk cannot create its lock file %1 (no permission to write in that "
                    "folder), so it cannot make sure that no other mesodesk uses this database.",
                ),
                str(self.path),
            )
        holder = self.holder()
        if holder is None:
            return tr(
                "InstanceLock",
                "This database is already open in another mesodesk. Switch to that window.",
            )
        if holder.here:
            text = tr(
                "InstanceLock",
                "This database is already open in mesodesk on this computer (process %1). "
                "Switch to that window, or close it first.",
            )
            return arg(text, str(holder.pid))
        text = tr(
            "InstanceLock",
            "This database is already open in mesodesk on the computer “%1” (process %2). "
            "Close it there first. If that computer crashed while mesodesk was open, delete "
            "the lock file %3 and try again.",
        )
        return arg(text, holder.host, str(holder.pid), str(self.path))
