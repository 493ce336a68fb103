"""Anchors of the audit trail outside the database file: the witness file, and the heads that
backups carry.

The witness (``<config>/witness/<clinic id>-<file id>.json``, owner-only) holds the newest
entry this computer saw committed to one database file: its number, its seal and its time, and
the highest record number given so far. It is sealed with the clinic key, moves forward only
(under a lock, so two processes cannot move it back), and only past an entry whose own seal it
checked. A restore resets it, after writing the restore's entry. A trail that ends before the
witness's entry, or holds another entry there, was cut or rewritten.

Every backup carries the head it had (its own audit_head, and the entry there): the backups in
the backup folder are anchors too, read here without opening them for writing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mesodesk.domain.integrity import Anchor
from mesodesk.domain.patients import RECORD_COUNTER
from mesodesk.files import PRIVATE_FILE, private_dir
from mesodesk.paths import config_dir
from mesodesk.store.keys import ClinicKey

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class WitnessState:
    seq: int
    hash: str
    at: str  # the entry's own time, as the trail stores it
    record_high: int  # the highest record number given so far
    updated: str

    def anchor(self, path: Path) -> Anchor:
        return Anchor(f"the witness file {path}", self.seq, self.hash, self.at)


class WitnessDamaged(Exception):
    pass


def _mac(key: ClinicKey, body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key.secret, b"witness\x00" + text, hashlib.sha256).hexdigest()


class Witness:
    def __init__(self, key: ClinicKey, where: str, folder: Path | None = None) -> None:
        self.key = key
        self.where = where
        self.folder = folder if folder is not None else config_dir() / "witness"
        file_id = hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        self.path = self.folder / f"{key.uid}-{file_id}.json"
        self.failed = ""  # why the last update could not be written (a full disk)

    def read(self) -> WitnessState | None:
        """The witness, or None when there is none yet. Raises WitnessDamaged when the file is
        there but unreadable or not sealed with the clinic key."""
        try:
            with self.path.open("rb") as fh:
                data = fh.read(65_536)  # a witness is a few hundred bytes
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WitnessDamaged(f"cannot be read ({exc.strerror})") from exc
        try:
            doc = json.loads(data)
            body = {k: doc[k] for k in ("clinic", "database", *WitnessState.__annotations__)}
            if doc.get("mac") != _mac(self.key, body) or body["clinic"] != self.key.uid:
                raise WitnessDamaged("is not sealed with this clinic's key (it was changed)")
            return WitnessState(
                int(body["seq"]),
                str(body["hash"]),
                str(body["at"]),
                int(body["record_high"]),
                str(body["updated"]),
            )
        except WitnessDamaged:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise WitnessDamaged("is damaged (it cannot be read as a witness)") from exc

    def _write(self, state: WitnessState) -> None:
        body = {"clinic": self.key.uid, "database": self.where, **asdict(state)}
        doc = {**body, "mac": _mac(self.key, body)}
        fd, temp = tempfile.mkstemp(prefix=".witness-", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def _locked(self) -> int:
        private_dir(self.folder)
        fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def update(
        self, seq: int, seal: str, at: str, record_high: int, *, reset: bool = False
    ) -> bool:
        """Move the witness to entry ``seq`` (forward only, unless ``reset`` after a restore).
        Returns whether it moved. Never raises: a witness that cannot be written (a full disk)
        is noted in ``failed`` and caught up at the next change."""
        try:
            fd = self._locked()
        except OSError as exc:
            self.failed = exc.strerror or type(exc).__name__
            return False
        try:
            try:
                current = self.read()
            except WitnessDamaged:
                if not reset:
                    return False  # keep the evidence for `audit verify`
                current = None
            if not reset and current is not None:
                if seq < current.seq or (seq == current.seq and seal != current.hash):
                    return False
                if seq == current.seq and record_high <= current.record_high:
                    return False
            high = record_high
            if not reset and current is not None:
                high = max(record_high, current.record_high)
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._write(WitnessState(seq, seal, at, high, now))
            self.failed = ""
            return True
        except OSError as exc:
            self.failed = exc.strerror or type(exc).__name__
            return False
        finally:
            os.close(fd)


# -- backups as anchors ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupHead:
    path: Path
    uid: str | None
    seq: int
    hash: str
    at: str
    record_high: int


def backup_head(path: Path) -> BackupHead | None:
    """The clinic and the chain head a backup carries (None when it is not a readable mesodesk
    backup). Read-only; nothing in the file runs."""
    try:
        from mesodesk.store.safety import read_only_suffix

        con = sqlite3.connect(f"{path.resolve().as_uri()}?{read_only_suffix(path)}", uri=True)
    except (sqlite3.Error, ValueError, OSError):
        return None
    try:
        con.execute("PRAGMA query_only=ON")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "audit_head" not in tables:
            return None
        uid = None
        if "clinic" in tables:
            row = con.execute("SELECT uid FROM clinic WHERE id = 1").fetchone()
            uid = str(row[0]) if row else None
        head = con.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        if head is None:
            return None
        entry = con.execute("SELECT at FROM audit_entry WHERE seq = ?", (head[0],)).fetchone()
        high = 0
        if "counter" in tables:
            found = con.execute(
                "SELECT value FROM counter WHERE name = ?", (RECORD_COUNTER,)
            ).fetchone()
            high = int(found[0]) if found else 0
        return BackupHead(
            path, uid, int(head[0]), str(head[1]), str(entry[0]) if entry else "", high
        )
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        con.close()
