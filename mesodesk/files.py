"""Files mesodesk writes: private to their owner, whole or absent, and never through a link.

Patients' data end up in many files besides the database: its write-ahead log, backups, copies
kept before a restore, CSV, PNG, SVG and PDF exports. On POSIX each is created owner-only
(0600; folders mesodesk creates 0700), so that another account on the same computer cannot read
them (HIPAA 164.312(a)(1), access control). SQLite creates the database's -wal and -shm files
with the database file's own mode, so a private database keeps private logs.

An export goes to a temporary file beside its target and is renamed into place once complete
and on the disk; a target that is a link, a folder or a device is refused, since a rename would
replace the link or the device node itself rather than write a file.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from mesodesk.domain.errors import MesodeskError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
T = TypeVar("T")
POSIX = os.name == "posix"


def private_umask() -> None:
    """New files of this process are owner-only (the command line and the app set it first)."""
    if POSIX:
        os.umask(0o077)


def private_dir(path: Path) -> Path:
    """Create a folder and any missing parents owner-only (0700). Folders that exist already
    are left as they are: they may be the person's own, shared on purpose."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue
        if POSIX:
            os.chmod(folder, PRIVATE_DIR)
    return path


def make_private(path: Path) -> None:
    """Take group and others' access away from a file of ours (a database or backup made by an
    older mesodesk). Best effort: a file of another owner or a read-only disk is left alone."""
    if not POSIX:
        return
    try:
        info = os.stat(path, follow_symlinks=False)
        if stat.S_ISREG(info.st_mode) and info.st_mode & 0o077 and info.st_uid == os.getuid():
            os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    except OSError:
        pass


def create_private(path: Path) -> None:
    """Create an empty file owner-only; an existing one is left untouched."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    os.close(fd)


def os_error_message(exc: OSError, path: Path | str, doing: str = "write") -> str:
    """Clear words for an error of the operating system, naming the file, never a record."""
    where = str(path)
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return (
            f"The disk is full: cannot {doing} {where}. Nothing was written; free some space "
            "and try again."
        )
    if code == errno.EROFS:
        return f"Cannot {doing} {where}: that disk is read-only."
    if code in (errno.EACCES, errno.EPERM):
        return f"Cannot {doing} {where}: no permission."
    if code == errno.ENAMETOOLONG:
        return f"Cannot {doing} {where}: the name is too long."
    if code == errno.EISDIR:
        return f"Cannot {doing} {where}: it is a folder; give a file name."
    if code == errno.ENOENT:
        return f"Cannot {doing} {where}: the folder does not exist."
    if code == errno.ENOTDIR:
        return f"Cannot {doing} {where}: part of the path is not a folder."
    return f"Cannot {doing} {where}: {exc.strerror or type(exc).__name__}."


def check_output_target(path: Path) -> Path:
    """Refuse an export target that is not a plain file name in an existing folder: a link, a
    folder, a device or a pipe. Returns the path to write."""
    text = os.fspath(path)
    if not text or "\x00" in text:
        raise MesodeskError(f"{text!r} is not a file name.")
    path = Path(text).expanduser()
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise MesodeskError(os_error_message(exc, path)) from exc
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise MesodeskError(
                f"{path} is a link; mesodesk does not write through links. Choose another name."
            )
        if stat.S_ISDIR(info.st_mode):
            raise MesodeskError(f"{path} is a folder; give a file name.")
        if not stat.S_ISREG(info.st_mode):
            raise MesodeskError(
                f"{path} is not an ordinary file (a device, a pipe or a socket); choose "
                "another name."
            )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise MesodeskError(f"The folder {folder} does not exist.")
    return path


def write_atomically(path: Path, write: Callable[[IO[bytes]], T], *, what: str = "") -> T:
    """Write a file whole or not at all: into a private temporary file beside it, synced, then
    renamed over the target (checked again just before). Nothing is left behind on failure."""
    path = check_output_target(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=".mesodesk-", suffix=".part", dir=folder)
    except OSError as exc:
        raise MesodeskError(os_error_message(exc, path)) from exc
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                result = write(fh)
                fh.flush()
                os.fsync(fh.fileno())
            check_output_target(path)
            os.replace(temp, path)
        except OSError as exc:
            raise MesodeskError(os_error_message(exc, path)) from exc
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    if sys.platform != "win32":
        try:
            dir_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass  # the file is complete; only the rename's durability is at stake
    return result


def write_text_atomically(
    path: Path, write: Callable[[IO[str]], T], *, encoding: str = "utf-8", newline: str = ""
) -> T:
    """``write_atomically`` for text (CSV exports: ``utf-8-sig`` for spreadsheets)."""
    import io

    def text(fh: IO[bytes]) -> T:
        wrapper = io.TextIOWrapper(fh, encoding=encoding, newline=newline)
        try:
            result = write(wrapper)
            wrapper.flush()
        finally:
            wrapper.detach()
        return result

    return write_atomically(path, text)


def copy_atomically(source: Path, path: Path) -> None:
    """A copy of a file mesodesk made (a PDF summary saved or printed to a file), written as
    an export is: whole or not at all, owner-only, never through a link or onto a device."""
    import shutil

    try:
        src = open(source, "rb")  # noqa: SIM115 - the with below closes it
    except OSError as exc:
        raise MesodeskError(os_error_message(exc, source, "read")) from exc
    with src:
        write_atomically(path, lambda fh: shutil.copyfileobj(src, fh))


def read_input(path: Path, *, limit: int, what: str = "file") -> bytes:
    """Read a file a person named (a key to import, a PDF to check): an ordinary file only
    (a device such as /dev/zero never ends), and no more than ``limit`` bytes."""
    text = os.fspath(path)
    if not text or "\x00" in text:
        raise MesodeskError(f"{text!r} is not a file name.")
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise MesodeskError(f"{path} is a folder, not a {what}.")
        if not stat.S_ISREG(info.st_mode):
            raise MesodeskError(f"{path} is not an ordinary file (a device or a pipe).")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise MesodeskError(os_error_message(exc, path, "read")) from exc
    if len(data) > limit:
        raise MesodeskError(f"{path} is too large to be a {what}.")
    return data
