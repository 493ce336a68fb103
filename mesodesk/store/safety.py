"""Keeping the database file sound: integrity checks, the file system it lives on, and copies
made with SQLite's online backup API (never by copying the file: a live WAL database copied as a
file can lose every recent row).

Everything here works on plain sqlite3 connections of its own, so it can look at a file that is
damaged, not yet migrated, or in use by the application at the same moment.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mesodesk.domain.errors import DatabaseError
from mesodesk.files import create_private

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]

ALLOW_NETWORK_ENV = "MESODESK_ALLOW_NETWORK_FS"
# File systems on which SQLite's locking or its WAL shared memory cannot be trusted.
NETWORK_FS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "smb2",
        "sshfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
        "davfs",
        "ncpfs",
        "coda",
        "gfs2",
        "ocfs2",
        "vboxsf",
        "drvfs",
        "virtiofs",
    }
)
COPY_STEP_PAGES = 1024  # 4 MiB a step: a progress report every few milliseconds


class CopyCancelled(DatabaseError):
    def __init__(self) -> None:
        super().__init__("The copy was cancelled; nothing was kept.")


# -- the file system ------------------------------------------------------------------------------


def _unescape_mount(text: str) -> str:
    """Mount points in /proc escape space, tab, newline and backslash as octal (\\040)."""
    out = []
    i = 0
    while i < len(text):
        code = text[i + 1 : i + 4]
        if text[i] == "\\" and len(code) == 3 and code.isdigit():
            out.append(chr(int(code, 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _mounts() -> list[tuple[str, str]]:
    """(mount point, file system type) for every mount this process sees (Linux only)."""
    mounts: list[tuple[str, str]] = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                if "-" not in fields:
                    continue
                dash = fields.index("-")
                if len(fields) > dash + 1 and len(fields) > 4:
                    mounts.append((_unescape_mount(fields[4]), fields[dash + 1]))
        return mounts
    except OSError:
        pass
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                if len(fields) >= 3:
                    mounts.append((_unescape_mount(fields[1]), fields[2]))
    except OSError:
        pass
    return mounts


def filesystem_type(path: Path) -> str | None:
    """The type of the file system holding ``path`` ("ext4", "nfs4", "fuse.sshfs", ...), or
    None where it cannot be told (not Linux)."""
    if sys.platform == "win32":
        return "smb" if str(path).startswith("\\\\") else None
    text = str(path.resolve())  # symbolic links followed as far as the path exists
    best: tuple[int, str] | None = None
    for mount, fstype in _mounts():
        inside = text == mount or text.startswith(mount.rstrip("/") + "/") or mount == "/"
        if inside and (best is None or len(mount) >= best[0]):
            best = (len(mount), fstype)
    return best[1] if best else None


def is_network_fs(fstype: str | None) -> bool:
    if not fstype:
        return False
    return fstype in NETWORK_FS or fstype.startswith("fuse.") or fstype == "fuse"


@dataclass(frozen=True)
class Placement:
    """Where a database file lives, and what that means for opening it."""

    fstype: str | None
    network: bool
    allowed: bool  # a network file system, opened anyway in rollback-journal mode

    @property
    def journal_mode(self) -> str:
        return "delete" if self.network else "wal"

    def warning(self) -> str:
        if not self.network:
            return ""
        return (
            f"This database is on a network file system ({self.fstype}). mesodesk opened it in "
            "safe mode (no write-ahead log, one workstation at a time), because "
            f"{ALLOW_NETWORK_ENV} is set. Keep it on this computer's own disk when you can."
        )


def placement(path: Path) -> Placement:
    fstype = filesystem_type(path)
    network = is_network_fs(fstype)
    allowed = network and os.environ.get(ALLOW_NETWORK_ENV, "") not in ("", "0")
    return Placement(fstype, network, allowed)


def refuse_network_fs(path: Path) -> Placement:
    """Refuse a database on a network file system, unless the override is set."""
    where = placement(path)
    if where.network and not where.allowed:
        raise DatabaseError(
            f"{path} is on a network file system ({where.fstype}). SQLite cannot keep a database "
            "safe there (its locks and write-ahead log do not work over the network), so "
            "mesodesk does not open it. Copy the file to this computer's own disk and open that "
            f"copy. To open it anyway, one workstation at a time, set {ALLOW_NETWORK_ENV}=1."
        )
    return where


# -- looking at a file ----------------------------------------------------------------------------


def unwritable_folder(path: Path) -> str:
    """Why the folder of a database cannot be written to ("" when it can): a read-only disk,
    or no permission. SQLite needs to write its log and shared-memory files there."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"the folder {folder} is on a read-only disk"
    except (OSError, AttributeError):
        pass
    if not os.access(folder, os.W_OK):
        return f"you may not write in the folder {folder}"
    return ""


def read_only_suffix(path: Path) -> str:
    """URI parameters for reading a database without writing anything: on a read-only disk
    SQLite cannot make the shared-memory file WAL needs, and ``immutable`` (safe there: nothing
    can change the file) lets it read anyway (SQLite, "Write-Ahead Logging", read-only)."""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return "mode=ro&immutable=1"
    except (OSError, AttributeError):
        pass
    return "mode=ro"


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection of its own (nothing it does can change the file)."""
    try:
        con = sqlite3.connect(
            f"file:{path}?{read_only_suffix(path)}", uri=True, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise DatabaseError(f"Cannot open {path}: {exc}.") from exc
    con.execute("PRAGMA query_only=ON")
    con.execute("PRAGMA busy_timeout=10000")
    return con


def integrity_problems(path: Path, *, full: bool = False, limit: int = 20) -> list[str]:
    """What SQLite's integrity check finds wrong ([] when sound). ``quick_check`` by default,
    which checks every page and the structure of every table and index in one pass;
    ``full`` also checks that each index matches its table (several times slower)."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        con = connect_read_only(path)
    except DatabaseError as exc:
        return [str(exc)]
    try:
        rows = [str(r[0]) for r in con.execute(f"PRAGMA {pragma}({int(limit)})")]
    except sqlite3.DatabaseError as exc:
        return [f"SQLite cannot read it: {exc}"]
    finally:
        con.close()
    if rows == ["ok"]:
        return []
    lines = [line.strip() for row in rows for line in row.splitlines()]
    return [line for line in lines if line and not line.startswith("***")][:limit] or rows


def foreign_key_problems(path: Path, limit: int = 20) -> list[str]:
    con = connect_read_only(path)
    try:
        rows = con.execute("PRAGMA foreign_key_check").fetchmany(limit + 1)
    except sqlite3.DatabaseError as exc:
        return [f"SQLite cannot read it: {exc}"]
    finally:
        con.close()
    return [f"{r[0]} row {r[1]} refers to a missing {r[2]}" for r in rows[:limit]] + (
        ["and more"] if len(rows) > limit else []
    )


def user_tables(con: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]


def row_counts(con: sqlite3.Connection) -> dict[str, int]:
    """The number of rows of every table (table names come from sqlite_master, quoted)."""
    counts = {}
    for name in user_tables(con):
        quoted = '"' + name.replace('"', '""') + '"'
        counts[name] = int(con.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])  # noqa: S608
    return counts


def schema_revision(con: sqlite3.Connection) -> str | None:
    if "alembic_version" not in user_tables(con):
        return None
    row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


# -- copies ---------------------------------------------------------------------------------------


def fsync_path(path: Path, *, directory: bool = False) -> None:
    """Push a file (or a folder's entries, after a rename) to the disk."""
    flags = os.O_RDONLY
    if directory:
        if sys.platform == "win32":
            return  # Windows cannot open a folder for fsync; NTFS journals the rename
        flags |= getattr(os, "O_DIRECTORY", 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _step_reporter(
    progress: Progress | None, cancelled: Cancelled | None, message: str
) -> Callable[[int, int, int], None]:
    def report(_status: int, remaining: int, total: int) -> None:
        if cancelled is not None and cancelled():
            raise CopyCancelled()
        if progress is not None:
            progress(total - remaining, total, message)

    return report


def online_copy(
    source: Path,
    dest: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    message: str = "Copying",
) -> dict[str, int]:
    """Copy a database into a new file with SQLite's online backup API, and return the row
    counts of every table as they were in the copy.

    The source is read inside one read transaction: the copy is a consistent snapshot even while
    another process writes, and the counts belong to that same snapshot. The copy is turned into
    an ordinary rollback-journal file, so that it opens anywhere, read-only, without side files.
    """
    if dest.exists():
        raise DatabaseError(f"{dest} already exists; it was left untouched.")
    src = sqlite3.connect(
        f"file:{source}?{read_only_suffix(source)}", uri=True, isolation_level=None, timeout=10
    )
    try:
        src.execute("PRAGMA query_only=ON")
        src.execute("BEGIN")
        counts = row_counts(src)
        create_private(dest)  # owner-only; SQLite fills the empty file
        dst = sqlite3.connect(dest, isolation_level=None)
        try:
            src.backup(
                dst,
                pages=COPY_STEP_PAGES,
                progress=_step_reporter(progress, cancelled, message),
            )
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
        src.execute("COMMIT")
    except BaseException:
        _remove_copy(dest)
        raise
    finally:
        src.close()
    return counts


def _remove_copy(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


def verify_copy(path: Path, expected: dict[str, int] | None, *, full: bool = False) -> None:
    """Check a copy before it counts: SQLite's integrity check, and the same rows in every table
    as the source had. Raises DatabaseError naming what differs."""
    problems = integrity_problems(path, full=full)
    if problems:
        raise DatabaseError(
            f"The copy {path.name} failed SQLite's integrity check ({problems[0]})."
        )
    if expected is None:
        return
    con = connect_read_only(path)
    try:
        counts = row_counts(con)
    finally:
        con.close()
    if counts != expected:
        differ = sorted(
            name for name in set(counts) | set(expected) if counts.get(name) != expected.get(name)
        )
        raise DatabaseError(
            f"The copy {path.name} does not hold the same rows as the database "
            f"(tables {', '.join(differ[:5])})."
        )


def copy_into(
    source: Path,
    dest: Path,
    *,
    progress: Progress | None = None,
    message: str = "Restoring",
) -> None:
    """Replace the contents of the database ``dest`` with those of ``source``, through the
    backup API in one transaction on ``dest``: readers see the old data or the new, a crash
    half-way leaves the old. The caller makes sure that nothing else writes meanwhile."""
    src = connect_read_only(source)
    try:
        dst = sqlite3.connect(dest, isolation_level=None, timeout=10)
        try:
            dst.execute("PRAGMA busy_timeout=10000")
            src.backup(dst, pages=COPY_STEP_PAGES, progress=_step_reporter(progress, None, message))
            if dst.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            dst.close()
    finally:
        src.close()


def replace_file(source: Path, dest: Path, *, progress: Progress | None = None) -> None:
    """When ``dest`` is too damaged for the backup API to write into it: build the restored
    database beside it (through the backup API), then move it into place. The damaged file's
    write-ahead log goes first, since SQLite would replay it onto the new file."""
    fresh = dest.with_name(dest.name + ".replacing")
    _remove_copy(fresh)
    create_private(fresh)
    src = connect_read_only(source)
    try:
        dst = sqlite3.connect(fresh, isolation_level=None)
        try:
            src.backup(dst, pages=COPY_STEP_PAGES, progress=_step_reporter(progress, None, ""))
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    fsync_path(fresh)
    for side in (Path(f"{dest}-wal"), Path(f"{dest}-shm"), Path(f"{dest}-journal")):
        side.unlink(missing_ok=True)
    os.replace(fresh, dest)
    fsync_path(dest.parent, directory=True)
