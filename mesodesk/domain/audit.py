"""The audit trail: who changed what and when, in a chain that shows any later tampering.

Each entry stores the seal of the entry before it and its own seal over a canonical
serialisation of its fields. Changing an entry breaks its own seal; removing or inserting one
breaks the sequence or the link of the next. Since mesodesk 0.2 (migration 0006) the seal is an
HMAC-SHA256 under the clinic key, which is kept outside the database file
(mesodesk.store.keys): someone who can edit the file but does not have the key cannot rebuild a
chain that verifies. Removing the newest entries, or all of them, is caught by the anchors kept
outside the file (mesodesk.domain.integrity): a witness file, every backup, every PDF summary.

Entries written before the upgrade were sealed with plain SHA-256 (chain version 1); they are
kept as they were and anchored by the first keyed entry, which seals their last hash and a
digest of them all (``CHAIN_KEYED``).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
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
# The first entry sealed with the clinic key: it names the clinic and its key, and seals the
# entries written before (plain SHA-256, mesodesk 0.1) by their last hash and a digest.
CHAIN_KEYED = "chain_keyed"
# The content of every row of a table, sealed in one entry (a bulk load such as the demo clinic,
# or a schema upgrade that rewrote rows): ``check`` compares each row with it.
SEAL = "seal"
UPGRADE = "upgrade"
EVENTS = frozenset({BACKUP, RESTORE, PDF_EXPORT, PDF_PRINT, DEMO_LOAD, CHAIN_KEYED, SEAL, UPGRADE})
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


def seal(key: bytes | None, data: bytes) -> str:
    """An entry's seal: HMAC-SHA256 under the clinic key, or plain SHA-256 (``key`` None) for
    the entries of chain version 1, written before the chain was keyed."""
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    """The fields of an entry that its seal covers, exactly as stored.

    ``row_key`` and ``row_mac`` (keyed entries only) say which row of ``entity`` the entry
    leaves in which state: the row's primary key as canonical JSON, and the MAC of its content
    after the change (None after a delete); mesodesk.domain.integrity computes both."""

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
    row_key: str | None = None
    row_mac: str | None = None

    def canonical(self, keyed: bool = True) -> bytes:
        body: dict[str, Any] = {
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
        if keyed:
            body["row_key"] = self.row_key
            body["row_mac"] = self.row_mac
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def computed_hash(self, key: bytes | None = None) -> str:
        """The seal under the clinic key, or the plain SHA-256 of chain version 1."""
        return seal(key, self.canonical(keyed=key is not None))

    def sealed(self, key: bytes | None = None) -> ChainLink:
        """This link with its seal filled in."""
        return ChainLink(**{**self.__dict__, "hash": self.computed_hash(key)})


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
    that is wrong or missing, or None when the chain holds. ``problems`` holds what else is
    wrong (an anchor the trail no longer matches, a guard trigger changed); ``cannot_verify``
    says why the chain could not be checked at all (no clinic key): never "intact" then.
    ``notes`` are facts worth saying that are not problems (anchors checked)."""

    entries: int
    head_seq: int
    first_bad: int | None = None
    problem: str = ""
    guard_missing: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    cannot_verify: str = ""
    keyed: bool = False
    head_hash: str = ""
    last_at: str = ""  # the newest entry's time, as stored

    @property
    def ok(self) -> bool:
        return (
            self.first_bad is None
            and not self.problem
            and not self.guard_missing
            and not self.problems
            and not self.cannot_verify
        )

    def with_problems(self, *problems: str) -> ChainReport:
        return replace(self, problems=self.problems + tuple(p for p in problems if p))

    def with_notes(self, *notes: str) -> ChainReport:
        return replace(self, notes=self.notes + tuple(n for n in notes if n))

    def describe(self) -> str:
        if self.ok:
            sealed = "sealed with the clinic key" if self.keyed else "sealed"
            text = f"Audit trail intact: {self.entries:,} entries, each {sealed} and linked."
            return " ".join((text, *self.notes))
        parts = []
        if self.cannot_verify:
            parts.append(self.cannot_verify)
        if self.problem:
            parts.append(self.problem)
        if self.guard_missing:
            parts.append(
                "The database's guard that keeps audit entries from being changed or deleted "
                f"was removed ({', '.join(self.guard_missing)})."
            )
        parts.extend(self.problems)
        return " ".join(parts)


@dataclass(frozen=True)
class LegacyPart:
    """The entries written before the chain was keyed (chain version 1, plain SHA-256), as the
    first keyed entry sealed them: how many, a digest of them all, and what the upgrade found
    (``broken`` is empty when they verified then)."""

    end: int
    digest: str
    broken: str = ""


def legacy_digest(links: Iterable[ChainLink]) -> str:
    """A digest of the version-1 entries as stored (their contents and their hashes), which the
    first keyed entry seals so that none of them can change later unnoticed, whether or not
    they verified at the upgrade."""
    digest = hashlib.sha256()
    for link in links:
        digest.update(link.canonical(keyed=False))
        digest.update(link.hash.encode())
    return digest.hexdigest()


def verify_chain(
    links: Iterable[ChainLink],
    head_seq: int,
    head_hash: str,
    *,
    key: bytes | None = None,
    legacy: LegacyPart | None = None,
) -> ChainReport:
    """Walk the entries in sequence order and report the first that breaks the chain.

    With ``key``, entries after ``legacy.end`` must carry the clinic key's seal; the entries up
    to ``legacy.end`` are version 1 (plain SHA-256) and must also match the digest sealed for
    them. Without a key every entry is taken as version 1 (a database not yet upgraded)."""
    expected_seq = 1
    prev = GENESIS
    count = 0
    keyed = key is not None
    legacy_end = legacy.end if legacy is not None else (0 if keyed else None)
    old = hashlib.sha256()
    last_at = ""

    def broken(first_bad: int, problem: str) -> ChainReport:
        return ChainReport(count - 1, head_seq, first_bad, problem, keyed=keyed)

    for link in links:
        count += 1
        last_at = link.at
        if link.seq != expected_seq:
            if link.seq > expected_seq:
                missing = (
                    f"entry {expected_seq:,} is missing"
                    if link.seq == expected_seq + 1
                    else f"entries {expected_seq:,} to {link.seq - 1:,} are missing"
                )
                return broken(
                    expected_seq,
                    f"The audit trail is broken: {missing} (deleted after it was written).",
                )
            return broken(
                link.seq,
                f"The audit trail is broken at entry {link.seq:,}: it appears out of sequence.",
            )
        in_legacy = legacy_end is None or link.seq <= legacy_end
        if in_legacy and legacy is not None:
            old.update(link.canonical(keyed=False))
            old.update(link.hash.encode())
        lenient = in_legacy and legacy is not None and bool(legacy.broken)
        if not lenient and link.prev_hash != prev:
            return broken(
                link.seq,
                f"The audit trail is broken at entry {link.seq:,} ({_what(link)}): it does not "
                "follow the entry before it (an entry was replaced or inserted).",
            )
        if not lenient and link.computed_hash(None if in_legacy else key) != link.hash:
            how = (
                "its contents do not match its seal (it was changed after it was written)"
                if not keyed or in_legacy
                else "its seal is not the clinic key's (it was changed, forged or re-sealed "
                "outside mesodesk)"
            )
            return broken(
                link.seq, f"The audit trail is broken at entry {link.seq:,} ({_what(link)}): {how}."
            )
        if legacy is not None and link.seq == legacy.end and old.hexdigest() != legacy.digest:
            return broken(
                1,
                f"The audit trail's entries 1 to {legacy.end:,}, written before the trail was "
                "keyed, were changed after mesodesk sealed them.",
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
                keyed=keyed,
            )
        return ChainReport(
            count,
            head_seq,
            head_seq + 1 if count > head_seq else max(count, 1),
            f"The audit trail does not end where its head says (entry {head_seq:,}); "
            "entries were added or the head was changed outside mesodesk.",
            keyed=keyed,
        )
    if legacy is not None and legacy.end > count:
        return ChainReport(
            count,
            head_seq,
            count + 1,
            f"The audit trail is broken: it should start with {legacy.end:,} entries from "
            "before the trail was keyed, and holds fewer.",
            keyed=keyed,
        )
    report = ChainReport(count, head_seq, keyed=keyed, head_hash=prev, last_at=last_at)
    if legacy is not None and legacy.broken:
        return report.with_problems(
            f"Entries 1 to {legacy.end:,}, written before the trail was keyed, were already "
            f"broken when mesodesk sealed them at the upgrade: {legacy.broken}"
        )
    return report


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
    row_key: str | None = None  # the row the entry leaves in a new state (see ChainLink)
    row_mac: str | None = None
