"""The clinic key: the secret that seals the audit trail, kept outside the database file.

One small interface (``KeyStore``) says where a clinic's key is kept, loads it, makes one for a
new clinic and installs one carried from another computer. ``FileKeyStore`` keeps each key in
the user's config folder (``<config>/keys/<clinic id>.key``, owner-only 0600 in a 0700 folder):
someone who can edit or copy the database file but not read that folder cannot forge the trail.
Accounts and encryption (later) wrap the same key with each account's password-derived key
behind this interface; nothing else reads the file.

A key missing from this computer is never guessed or replaced silently: verifying the trail then
says "cannot verify without the clinic key", and changes are refused until the key is copied
here (README, "Moving to a new computer").
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mesodesk.domain.errors import DatabaseError
from mesodesk.domain.integrity import fingerprint
from mesodesk.files import PRIVATE_FILE, make_private, os_error_message, private_dir
from mesodesk.paths import config_dir

KEY_BYTES = 32
_HEADER = "mesodesk clinic key 1"
_UID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class ClinicKey:
    """A clinic's identity (``uid``, 32 hex digits) and its secret key."""

    uid: str
    secret: bytes

    @property
    def key_id(self) -> str:
        return fingerprint(self.secret)

    def __repr__(self) -> str:  # never print the secret
        return f"ClinicKey({self.uid}, id {self.key_id})"


def new_uid() -> str:
    return secrets.token_hex(16)


def valid_uid(uid: str) -> bool:
    return bool(_UID.match(uid))


class KeyStore(Protocol):
    def load(self, uid: str) -> ClinicKey | None:
        """The clinic's key, or None when it is not on this computer."""

    def create(self, uid: str) -> ClinicKey:
        """Make and keep a new key for a new clinic."""

    def install(self, key: ClinicKey) -> Path:
        """Keep a key carried from another computer."""

    def location(self, uid: str) -> str:
        """Where the key of this clinic is (or would be) kept, for messages."""


def _encode(key: ClinicKey) -> bytes:
    return f"{_HEADER}\nclinic {key.uid}\nkey {key.secret.hex()}\n".encode()


def parse_key_file(data: bytes, where: str) -> ClinicKey:
    """Read a key file (as kept, or as exported to carry to another computer)."""
    try:
        lines = data.decode("ascii").split("\n")
        if lines[0] != _HEADER:
            raise ValueError
        uid = lines[1].removeprefix("clinic ")
        secret = bytes.fromhex(lines[2].removeprefix("key "))
        if not valid_uid(uid) or len(secret) != KEY_BYTES:
            raise ValueError
    except (ValueError, IndexError, UnicodeDecodeError):
        raise DatabaseError(f"{where} is not a mesodesk clinic key file.") from None
    return ClinicKey(uid, secret)


class FileKeyStore:
    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder

    @property
    def folder(self) -> Path:
        return self._folder if self._folder is not None else config_dir() / "keys"

    def path(self, uid: str) -> Path:
        if not valid_uid(uid):
            raise DatabaseError("The database names its clinic wrongly; it was changed by hand.")
        return self.folder / f"{uid}.key"

    def location(self, uid: str) -> str:
        return str(self.path(uid)) if valid_uid(uid) else str(self.folder)

    def load(self, uid: str) -> ClinicKey | None:
        path = self.path(uid)
        try:
            with path.open("rb") as fh:
                data = fh.read(4096)  # a key file is 131 bytes
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DatabaseError(os_error_message(exc, path, "read the clinic key")) from exc
        make_private(path)
        key = parse_key_file(data, str(path))
        if key.uid != uid:
            raise DatabaseError(f"{path} holds the key of another clinic.")
        return key

    def create(self, uid: str) -> ClinicKey:
        key = ClinicKey(uid, secrets.token_bytes(KEY_BYTES))
        self._write(key, exclusive=True)
        return key

    def install(self, key: ClinicKey) -> Path:
        existing = self.load(key.uid)
        if existing is not None:
            if existing.secret != key.secret:
                raise DatabaseError(
                    f"A different key for this clinic is already kept in {self.path(key.uid)}; "
                    "it was left untouched."
                )
            return self.path(key.uid)
        return self._write(key, exclusive=True)

    def _write(self, key: ClinicKey, *, exclusive: bool) -> Path:
        path = self.path(key.uid)
        try:
            private_dir(self.folder)
            flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
            fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
            try:
                os.write(fd, _encode(key))
                os.fsync(fd)
            finally:
                os.close(fd)
        except FileExistsError:
            raise DatabaseError(f"{path} exists already; it was left untouched.") from None
        except OSError as exc:
            raise DatabaseError(os_error_message(exc, path, "keep the clinic key in")) from exc
        return path


def export_key(key: ClinicKey) -> bytes:
    """The key as a file to carry to another computer (keep it as safe as the data)."""
    return _encode(key)
