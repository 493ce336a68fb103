"""The audit trail: who changed what and when, in a hash chain that shows any later tampering.

Each entry stores the hash of the entry before it and its own hash over a canonical
serialisation of its fields (``entry_hash``). Changing an entry breaks its own hash; removing or
inserting one breaks the sequence or the link of the next; removing the newest entries is caught
by the chain head kept apart from the entries (its count and last hash). The hash is not keyed:
someone who can run code against the file can rebuild a consistent chain. What it shows is every
change made by hand or by another tool that did not rebuild the chain, which is what a clinic
needs to notice: an edited or deleted record of who did what.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

GENESIS = "0" * 64

# Actions an entry can record. Record changes come from the store (every service is audited
# without calling anything); the rest are events services record themselves.
CREATE = "create"
UPDATE = "update"
DELETE = "delete"
ARCHIVE = "archive"
UNARCHIVE = "unarchive"
BACKUP = "backup"
RESTORE = "restore"
PDF_EXPORT = "pdf_export"
PDF_PRINT = "pdf_print"
DEMO_LOAD = "demo_load"
EVENTS = frozenset({BACKUP, RESTORE, PDF_EXPORT, PDF_PRINT, DEMO_LOAD})
ACTIONS = (CREATE, UPDATE, DELETE, ARCHIVE, UNARCHIVE, BACKUP, RESTORE, PDF_EXPORT, PDF_PRINT)

MAX_ACTOR = 120
MAX_DETAIL = 500
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Actor:
    """Who is working at this workstation: a practitioner (by id) or a name typed in."""

    name: str
    practitioner_id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        """The operating-system login, for the command line and until someone is chosen."""
        try:
            login = getpass.getuser()
        except Exception:  # no login name at all (some containers and services)
            login = "unknown"
        return cls(f"{login} (computer login)"[:MAX_ACTOR])

    def cleaned(self) -> Actor:
        name = " ".join(self.name.split())[:MAX_ACTOR]
        return Actor(name or Actor.system().name, self.practitioner_id)


def to_jsonable(value: Any) -> Any:
    """A value as it is written into an entry: dates as ISO text, sets sorted, enums by code."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "value"):
        return to_jsonable(value.value)
    return str(value)


def dump_values(values: Mapping[str, Any] | None) -> str | None:
    """Canonical JSON of before/after values: the exact text stored and hashed."""
    if values is None:
        return None
    return json.dumps(
        to_jsonable(values), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


@dataclass(frozen=True)
class ChainLink:
    """The fields of an entry that its hash covers, exactly as stored."""

    seq: int
    at: str  # ISO 8601, UTC, "2026-11-24T10:30:00.000000Z"
    actor: str
    actor_id: int | None
    action: str
    entity: str | None
    entity_id: int | None
    patient_id: int | None
    before: str | None
    after: str | None
    detail: str
    prev_hash: str
    hash: str = ""

    def canonical(self) -> bytes:
        body = {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "actor_id": self.actor_id,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "patient_id": self.patient_id,
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
            "prev": self.prev_hash,
        }
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def computed_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    def sealed(self) -> ChainLink:
        """This link with its hash filled in."""
        return ChainLink(**{**self.__dict__, "hash": self.computed_hash()})


def format_at(instant: datetime) -> str:
    """How an entry's time is stored: UTC, microseconds, a Z (sorts as text)."""
    from datetime import UTC

    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class ChainReport:
    """What verifying the chain found. ``first_bad`` is the sequence number of the first entry
    that is wrong or missing, or None when the chain holds."""

    entries: int
    head_seq: int
    first_bad: int | None = None
    problem: str = ""
    guard_missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.first_bad is None and not self.problem and not self.guard_missing

    def describe(self) -> str:
        if self.ok:
            return f"Audit trail intact: {self.entries:,} entries, each sealed and linked."
        parts = []
        if self.problem:
            parts.append(self.problem)
        if self.guard_missing:
            parts.append(
                "The database's guard that keeps audit entries from being changed or deleted "
                f"was removed ({', '.join(self.guard_missing)})."
            )
        return " ".join(parts)


def verify_chain(links: Iterable[ChainLink], head_seq: int, head_hash: str) -> ChainReport:
    """Walk the entries in sequence order and report the first that breaks the chain."""
    expected_seq = 1
    prev = GENESIS
    count = 0
    for link in links:
        count += 1
        if link.seq != expected_seq:
            if link.seq > expected_seq:
                missing = (
                    f"entry {expected_seq} is missing"
                    if link.seq == expected_seq + 1
                    else f"entries {expected_seq} to {link.seq - 1} are missing"
                )
                return ChainReport(
                    count - 1,
                    head_seq,
                    expected_seq,
                    f"The audit trail is broken: {missing} (deleted after it was written).",
                )
            return ChainReport(
                count - 1,
                head_seq,
                link.seq,
                f"The audit trail is broken at entry {link.seq}: it appears out of sequence.",
            )
        if link.prev_hash != prev:
            return ChainReport(
                count - 1,
                head_seq,
                link.seq,
                f"The audit trail is broken at entry {link.seq} ({_what(link)}): it does not "
                "follow the entry before it (an entry was replaced or inserted).",
            )
        if link.computed_hash() != link.hash:
            return ChainReport(
                count - 1,
                head_seq,
                link.seq,
                f"The audit trail is broken at entry {link.seq} ({_what(link)}): its contents "
                "do not match its seal (it was changed after it was written).",
            )
        prev = link.hash
        expected_seq += 1
    if count != head_seq or prev != (head_hash or GENESIS):
        if count < head_seq:
            lost = (
                f"the newest entry, entry {head_seq:,}, is missing"
                if head_seq - count == 1
                else f"the newest {head_seq - count:,} entries, {count + 1:,} to {head_seq:,}, "
                "are missing"
            )
            return ChainReport(
                count,
                head_seq,
                count + 1,
                f"The audit trail is broken: {lost} (deleted outside mesodesk).",
            )
        return ChainReport(
            count,
            head_seq,
            head_seq + 1 if count > head_seq else max(count, 1),
            f"The audit trail does not end where its head says (entry {head_seq:,}); "
            "entries were added or the head was changed outside mesodesk.",
        )
    return ChainReport(count, head_seq)


def _what(link: ChainLink) -> str:
    what = f"{link.at[:16].replace('T', ' ')} UTC, {link.action}"
    if link.entity:
        what += f" {link.entity}"
        if link.entity_id is not None:
            what += f" {link.entity_id}"
    return what


def csv_safe(value: Any) -> str:
    """A cell for a CSV file that a spreadsheet opens: text that starts like a formula
    (= + - @, tab, carriage return) is prefixed with an apostrophe so that it stays text."""
    text = "" if value is None else str(value)
    if text.startswith(_CSV_TRIGGERS):
        return "'" + text
    return text


@dataclass(frozen=True)
class AuditQuery:
    """Which entries to list: by patient, by who, and by time (UTC instants, ``until``
    exclusive)."""

    patient_id: int | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """An audit entry as read back, with the patient's record number when it concerns one."""

    seq: int
    at: datetime
    actor: str
    actor_id: int | None
    action: str
    entity: str | None
    entity_id: int | None
    patient_id: int | None
    record_no: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str
    hash: str

    def changed_fields(self) -> list[str]:
        keys: set[str] = set()
        for side in (self.before, self.after):
            if side:
                keys.update(side)
        return sorted(keys)


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    offset: int = 0


@dataclass
class PendingEntry:
    """An entry about to be appended (the store fills in sequence, time and hashes)."""

    action: str
    entity: str | None = None
    entity_id: int | None = None
    patient_id: int | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    detail: str = ""
