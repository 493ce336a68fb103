"""Integrity rules that need no database: the content seal of a row, the schema a database must
have, and what an anchor of the audit trail proves.

Why these rules (HIPAA 164.312(b) audit controls and 164.312(c)(1) integrity: "protect ePHI from
improper alteration or destruction", with "a mechanism to corroborate" it; SQLite's "How To
Corrupt An SQLite Database File"):

- **Row seals.** Every audit entry that leaves a row in a new state carries the MAC of that
  row's content (its table, and its columns in name order, as the database stores them, minus
  caches derived from other rows). A row's content that does not match the MAC of its newest
  entry was changed outside mesodesk; a row without any entry was added outside it; a row whose
  newest entry is not a delete, but that is gone, was deleted outside it. Rows written in bulk
  (the demo clinic, a schema upgrade) are sealed together, a table at a time (``SEAL`` entries).
  The MAC is keyed BLAKE2b under the clinic key, 8 bytes: 2^-64 to guess one without the key.
- **Schema.** Tables, indexes, triggers and views must be exactly what the migrations build:
  a trigger is code that runs inside every write, so a planted or neutered one (``WHEN 0``) is
  as bad as an edited row. SQL is compared after normalising only spelling (case, quotes,
  spaces), never meaning.
- **Anchors.** The chain's head is copied outside the file (a witness file, every backup, the
  footer of every PDF summary). An anchor ``(seq, hash)`` holds when the trail still has that
  entry with that seal; a trail that is shorter than an anchor was cut (truncated or wiped). A
  restore legitimately replaces the chain: the restore's entry names the head it replaced, so
  anchors of the replaced chain are accounted for.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

ROW_MAC_BYTES = 8
SEAL_PART_ROWS = 50_000  # rows of one table sealed in one stored part

# -- rows ------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as the canonical form of a row holds it: what SQLite itself returns (None, int,
    float, str, bytes); other drivers' types as text."""
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, int | float | str | bytes):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat(" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return str(value)


def row_key(values: Sequence[Any]) -> str:
    """A row's primary key as canonical JSON: ``[12]``, ``["record_number"]``, ``[5,7]``."""
    if len(values) == 1 and type(values[0]) is int:
        return f"[{values[0]}]"
    return json.dumps([_plain(v) for v in values], ensure_ascii=False, separators=(",", ":"))


def row_content(table: str, values: Sequence[Any], *, native: bool = False) -> bytes:
    """The bytes a row's MAC covers: its table and its values (columns in name order).
    ``native``: the values are already what SQLite returns (the fast path for every row)."""
    shown = tuple(values) if native else tuple(_plain(v) for v in values)
    return (table + "\x1f" + repr(shown)).encode("utf-8", "surrogatepass")


def row_mac_bytes(key: bytes, table: str, values: Sequence[Any], *, native: bool = False) -> bytes:
    """Keyed BLAKE2b of a row's content, 8 bytes: a MAC under the clinic key at a third of the
    cost of HMAC-SHA256 (it runs for every row of a clinic in `check`)."""
    content = row_content(table, values, native=native)
    return hashlib.blake2b(content, key=key, digest_size=ROW_MAC_BYTES).digest()


def row_mac(key: bytes, table: str, values: Sequence[Any], *, native: bool = False) -> str:
    return row_mac_bytes(key, table, values, native=native).hex()


def _int_key(key: str) -> int | None:
    inner = key[1:-1]
    if key.startswith("[") and key.endswith("]") and inner.isdigit() and inner.isascii():
        return int(inner)
    return None


def pack_keys(keys: Sequence[str]) -> str:
    """The row keys of a seal part, in order: ``runs:[[FIRST,COUNT],...]`` for integer keys
    (runs of consecutive ids, the usual case), else a JSON list."""
    runs: list[list[int]] = []
    for key in keys:
        number = _int_key(key)
        if number is None:
            return json.dumps(list(keys), ensure_ascii=False, separators=(",", ":"))
        if runs and runs[-1][0] + runs[-1][1] == number:
            runs[-1][1] += 1
        else:
            runs.append([number, 1])
    return "runs:" + json.dumps(runs, separators=(",", ":"))


def _runs(packed: str) -> list[tuple[int, int]]:
    runs = json.loads(packed[len("runs:") :])
    if not isinstance(runs, list):
        raise ValueError("not runs of row keys")
    return [(int(first), int(count)) for first, count in runs]


def unpack_keys(packed: str) -> list[str]:
    if packed.startswith("runs:"):
        return [f"[{i}]" for first, count in _runs(packed) for i in range(first, first + count)]
    keys = json.loads(packed)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValueError("not a list of row keys")
    return keys


def part_digest(packed_keys: str, macs: bytes) -> str:
    """What a seal entry records of each stored part, so that the part cannot change."""
    digest = hashlib.sha256(packed_keys.encode())
    digest.update(b"\x00")
    digest.update(macs)
    return digest.hexdigest()


@dataclass(frozen=True)
class RowState:
    """What the trail says a row should be: present with this MAC, or gone (``mac`` None)."""

    seq: int
    mac: str | None


@dataclass(frozen=True)
class RowFinding:
    table: str
    key: str
    what: str  # "changed", "added", "deleted"
    seq: int | None = None  # the entry the row no longer matches

    def describe(self) -> str:
        key = self.key[1:-1] if self.key.startswith("[") else self.key
        if self.what == "changed":
            return (
                f"{self.table} {key} no longer matches audit entry {self.seq:,} "
                "(changed outside mesodesk)"
            )
        if self.what == "deleted":
            return (
                f"{self.table} {key} is gone, but the trail never deleted it (entry {self.seq:,})"
            )
        return f"{self.table} {key} is not in the audit trail (added outside mesodesk)"


class Expected:
    """What the trail says every row of one table should be: the newest complete seal of the
    table (its stored parts: runs of integer keys or a list of keys, with 8-byte MACs),
    overridden by each row's own newer entries. Rows are looked up by binary search in the
    runs, so that a table of millions of rows costs little more than its packed MACs."""

    def __init__(
        self,
        seal_seq: int | None,
        parts: Sequence[tuple[str, bytes]],
        newer: Mapping[str, RowState],
    ) -> None:
        self.seal_seq = seal_seq
        self.newer = dict(newer)
        runs: list[tuple[int, int, bytes, int]] = []  # first id, count, macs, offset in macs
        self.listed: dict[str, bytes] = {}
        for packed, macs in parts:
            if packed.startswith("runs:"):
                offset = 0
                for first, count in _runs(packed):
                    runs.append((first, count, macs, offset))
                    offset += count
            else:
                for i, key in enumerate(unpack_keys(packed)):
                    self.listed[key] = macs[i * ROW_MAC_BYTES : (i + 1) * ROW_MAC_BYTES]
        runs.sort()
        self.starts = [r[0] for r in runs]
        self.runs = runs
        self.seen = [bytearray(r[1]) for r in runs]
        self.listed_seen: set[str] = set()
        self.newer_seen: set[str] = set()

    def _sealed(self, key: str) -> bytes | None:
        if key in self.listed:
            self.listed_seen.add(key)
            return self.listed[key]
        number = _int_key(key)
        if number is None:
            return None
        at = bisect.bisect_right(self.starts, number) - 1
        if at < 0:
            return None
        first, count, macs, offset = self.runs[at]
        if number >= first + count:
            return None
        self.seen[at][number - first] = 1
        i = offset + number - first
        return macs[i * ROW_MAC_BYTES : (i + 1) * ROW_MAC_BYTES]

    def check(self, table: str, key: str, mac: bytes) -> RowFinding | None:
        """One row as it is now, against what the trail says."""
        state = self.newer.get(key)
        if state is not None:
            self.newer_seen.add(key)
            if state.mac is None:
                return RowFinding(table, key, "added", state.seq)
            return None if state.mac == mac.hex() else RowFinding(table, key, "changed", state.seq)
        sealed = self._sealed(key)
        if sealed is None:
            return RowFinding(table, key, "added")
        return None if sealed == mac else RowFinding(table, key, "changed", self.seal_seq)

    def missing(self, table: str) -> Iterable[RowFinding]:
        """Rows the trail says are there, but that were not seen (deleted outside mesodesk)."""
        for key, state in self.newer.items():
            if state.mac is not None and key not in self.newer_seen:
                yield RowFinding(table, key, "deleted", state.seq)
        for key in self.listed:
            if key not in self.listed_seen and key not in self.newer:
                yield RowFinding(table, key, "deleted", self.seal_seq)
        for (first, _count, _macs, _offset), seen in zip(self.runs, self.seen, strict=True):
            at = seen.find(0)
            while at != -1:
                key = f"[{first + at}]"
                if key not in self.newer:
                    yield RowFinding(table, key, "deleted", self.seal_seq)
                at = seen.find(0, at + 1)


# -- schema ----------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""'(?:[^']|'')*'      # a string literal, kept as written
      | "(?:[^"]|"")*"      # a quoted identifier
      | `(?:[^`]|``)*`
      | \[[^\]]*\]
      | [A-Za-z_][A-Za-z0-9_$]*
      | \d+(?:\.\d*)?
      | \S""",
    re.VERBOSE,
)


def normalize_sql(sql: str | None) -> str:
    """SQL with only its spelling normalised: keywords and identifiers in lower case, quotes
    around identifiers dropped, one space between words and none around punctuation. Two
    statements that normalise alike mean the same; any change of meaning shows."""
    if sql is None:
        return ""
    out: list[str] = []
    for token in _TOKEN.findall(sql):
        if token[0] == "'":
            word = token
        elif token[0] in '"`[':
            word = token[1:-1].replace('""', '"').replace("``", "`").lower()
        else:
            word = token.lower()
        out.append(word)
    text = ""
    for word in out:
        if (
            text
            and (text[-1].isalnum() or text[-1] in "_'$")
            and (word[0].isalnum() or word[0] in "_'$")
        ):
            text += " "
        text += word
    return text.rstrip(";")


# how a table constraint starts once normalised (no space before a parenthesis), so that a
# column named unique_code or checked_at is never taken for one
_TABLE_CONSTRAINT = ("constraint ", "primary key(", "foreign key(", "unique(", "check(")


def _top_level_items(body: str) -> list[str]:
    """The comma-separated items of a normalised CREATE TABLE body, outside parentheses and
    string literals."""
    items: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, char in enumerate(body):
        if char == "'":
            quoted = not quoted  # '' inside a literal toggles twice: still inside
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items.append(body[start:])
    return items


def canonical_table_sql(sql: str) -> str:
    """A normalised CREATE TABLE with its table constraints in one fixed order. Alembic's batch
    mode (a copied table, as migrations 0004 and 0005 make) writes them in an order that
    depends on Python's hash seed, and their order means nothing to SQLite; the columns keep
    theirs, which does mean something."""
    open_at = sql.find("(")
    close_at = sql.rfind(")")
    if not sql.startswith("create table") or open_at < 0 or close_at < open_at:
        return sql
    items = _top_level_items(sql[open_at + 1 : close_at])
    columns = [i for i in items if not i.startswith(_TABLE_CONSTRAINT)]
    constraints = sorted(i for i in items if i.startswith(_TABLE_CONSTRAINT))
    return sql[: open_at + 1] + ",".join(columns + constraints) + sql[close_at:]


@dataclass(frozen=True)
class SchemaObject:
    kind: str  # table, index, trigger, view
    name: str
    table: str
    sql: str  # normalised


def schema_objects(rows: Iterable[tuple[str, str, str, str | None]]) -> dict[str, SchemaObject]:
    """sqlite_master rows (type, name, tbl_name, sql) as comparable objects. SQLite's own
    objects (sqlite_*: autoindexes, statistics) are left out: SQLite makes them itself."""
    found = {}
    for kind, name, table, sql in rows:
        if name.startswith("sqlite_"):
            continue
        text = normalize_sql(sql)
        if kind == "table":
            text = canonical_table_sql(text)
        found[name] = SchemaObject(kind, name, table, text)
    return found


def schema_differences(
    expected: Mapping[str, SchemaObject], actual: Mapping[str, SchemaObject]
) -> list[str]:
    """What differs between the schema the migrations build and the one a file has."""
    problems = []
    for name in sorted(set(expected) | set(actual)):
        want, have = expected.get(name), actual.get(name)
        if want is None and have is not None:
            problems.append(
                f"{have.kind} {name} on {have.table} is not one that mesodesk makes "
                "(added outside mesodesk)"
            )
        elif have is None and want is not None:
            problems.append(f"{want.kind} {name} on {want.table} is missing")
        elif (
            want is not None
            and have is not None
            and (want.kind, want.sql)
            != (
                have.kind,
                have.sql,
            )
        ):
            problems.append(
                f"{have.kind} {name} on {have.table} differs from the one mesodesk makes "
                "(changed outside mesodesk)"
            )
    return problems


# -- anchors ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A copy of the chain's head kept outside the database: entry ``seq`` had seal ``hash``
    (or a prefix of it, as a printed page carries). ``source`` says where it was found; ``at``
    is the anchored entry's time as the trail stores it (empty when unknown)."""

    source: str
    seq: int
    hash: str
    at: str = ""

    def matches(self, stored: str) -> bool:
        return len(self.hash) >= 12 and stored.startswith(self.hash)


@dataclass(frozen=True)
class Replaced:
    """A restore's entry (at ``at``): the trail was replaced by a backup's; the trail it
    replaced ended at entry ``head_seq``."""

    at: str
    head_seq: int


def anchor_problem(
    anchor: Anchor,
    stored: str | None,
    trail_end: int,
    replaced: Sequence[Replaced] = (),
) -> str | None:
    """What an anchor shows about the trail (None: it holds, or a restore accounts for it).
    ``stored`` is the seal the trail holds for entry ``anchor.seq`` (None: no such entry).

    An anchor taken before a restore, of an entry the replaced trail had, belongs to that
    trail: the restore's own (sealed) entry accounts for it. Times are the trail's own UTC text
    (sealed), never a file's date."""
    if anchor.seq == 0:
        return None
    if stored is not None and anchor.matches(stored):
        return None
    for restore in replaced:
        if anchor.at and anchor.at <= restore.at and anchor.seq <= restore.head_seq:
            return None
    when = f" ({anchor.at[:16].replace('T', ' ')} UTC)" if anchor.at else ""
    if stored is None:
        if trail_end == 0:
            return (
                f"The audit trail was wiped: it holds no entries, but {anchor.source} "
                f"holds entry {anchor.seq:,}{when}."
            )
        return (
            f"The audit trail was cut short: {anchor.source} holds entry {anchor.seq:,}{when}, "
            f"but the trail ends at entry {trail_end:,} (entries {trail_end + 1:,} to "
            f"{anchor.seq:,} are missing)."
        )
    return (
        f"Entry {anchor.seq:,} of the audit trail is not the one {anchor.source} holds{when}: "
        "it was rewritten."
    )


def digest_text(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(key: bytes) -> str:
    """A clinic key's public name: the first 16 hex digits of an HMAC of a fixed text, which
    tells keys apart without revealing them."""
    return hmac.new(key, b"mesodesk clinic key id", hashlib.sha256).hexdigest()[:16]
