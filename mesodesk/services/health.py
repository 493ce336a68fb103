"""Is the database sound? The checks behind `mesodesk check` and the app's start-up.

`check_database` looks at a file without opening it as the app does (no migration, nothing
written): its header, SQLite's integrity check, foreign keys, the schema revision and the audit
chain. `open_for_app` opens a database for the app: when it needs a schema upgrade it is
checked first (a damaged file is never migrated); otherwise the app checks it in the background
right after start-up (`startup_problems`), before any change can be saved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine

from mesodesk.domain.audit import ChainReport
from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import DatabaseError
from mesodesk.domain.integrity import Anchor, RowFinding, schema_differences
from mesodesk.services.audit import verify_connection
from mesodesk.services.backup import database_file, list_backups
from mesodesk.services.registry import Services
from mesodesk.services.safety_check import RecordWarning, safety_warnings
from mesodesk.store.db import Database, Target, check_sqlite_file, create_db_engine, sqlite_tables
from mesodesk.store.derived import drift
from mesodesk.store.integrity import (
    actual_schema,
    load_key,
    read_clinic,
    record_number_problem,
    row_findings,
)
from mesodesk.store.keys import ClinicKey, FileKeyStore, KeyStore
from mesodesk.store.migrate import HEAD_REVISION, expected_schema, known_revisions
from mesodesk.store.safety import (
    connect_read_only,
    foreign_key_problems,
    integrity_problems,
    placement,
    schema_revision,
)

Progress = Callable[[int, int, str], None]
MAX_SHOWN = 12


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    message: str
    needs_key: bool = False  # failed only because the clinic key is not on this computer


@dataclass(frozen=True)
class HealthReport:
    path: Path
    findings: list[Finding]
    # stored records that break a safety rule (mesodesk.services.safety_check): listed, never
    # a failure of the check; None when they were not looked at (a damaged file, or a schema
    # mesodesk has still to bring up to date)
    warnings: list[RecordWarning] | None = None

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def only_the_key_is_missing(self) -> bool:
        """Nothing failed but what needs the clinic key: the remedy is the key, not a restore
        (a backup's trail needs the same key)."""
        return not self.ok and all(f.ok or f.needs_key for f in self.findings)


def check_database(
    target: Target,
    *,
    full: bool = True,
    progress: Progress | None = None,
    folders: Sequence[Path] = (),
    anchors: Sequence[Anchor] = (),
    keys: KeyStore | None = None,
) -> HealthReport:
    path = database_file(target)
    report = progress or (lambda done, total, message: None)
    findings: list[Finding] = []
    done = HealthReport(path, findings)
    try:
        if not check_sqlite_file(path):
            findings.append(Finding("file", False, f"There is no database at {path}."))
            return done
    except DatabaseError as exc:
        findings.append(Finding("file", False, str(exc)))
        return done
    where = placement(path)
    findings.append(
        Finding(
            "file",
            not where.network or where.allowed,
            f"{path} ({path.stat().st_size:,} bytes"
            + (f", on {where.fstype}" if where.fstype else "")
            + ")"
            + (f". It is on a network file system: {where.warning()}" if where.network else ""),
        )
    )
    report(1, 6, "Checking every page (integrity check)")
    problems = integrity_problems(path, full=full)
    findings.append(
        Finding(
            "integrity",
            not problems,
            "no damage found" + (" (full integrity check)" if full else " (quick check)")
            if not problems
            else "damage found: " + "; ".join(problems[:5]),
        )
    )
    report(2, 6, "Checking references between records")
    try:
        broken = foreign_key_problems(path)
    except DatabaseError as exc:
        broken = [str(exc)]
    findings.append(
        Finding(
            "references",
            not broken,
            "every reference between records resolves"
            if not broken
            else "broken references: " + "; ".join(broken[:5]),
        )
    )
    report(3, 6, "Checking the schema")
    try:
        con = connect_read_only(path)
        try:
            revision = schema_revision(con)
        finally:
            con.close()
    except (sqlite3.DatabaseError, DatabaseError) as exc:
        findings.append(Finding("schema", False, f"cannot be read ({exc})"))
        return done
    if revision is None:
        findings.append(Finding("schema", False, "this is not a mesodesk database"))
        return done
    if revision == HEAD_REVISION:
        findings.append(Finding("schema", True, f"revision {revision} (current)"))
    elif revision in known_revisions():
        findings.append(
            Finding(
                "schema",
                True,
                f"revision {revision}; mesodesk brings it to {HEAD_REVISION} when it opens it",
            )
        )
    else:
        findings.append(
            Finding(
                "schema",
                False,
                f"revision {revision} was made by a newer version of mesodesk; update mesodesk",
            )
        )
        return done
    findings.append(schema_finding(target, revision))
    report(4, 6, "Checking the audit trail")
    keys = keys or FileKeyStore()
    engine = create_db_engine(target, read_only=True, pool=False)
    try:
        with engine.connect() as conn:
            chain = verify_connection(
                conn, keys=keys, where=str(path), folders=folders, anchors=anchors
            )
            clinic = read_clinic(conn)
            numbers = ""
            if clinic is not None and not chain.cannot_verify:
                key, _why = load_key(clinic, keys)
                report(5, 6, "Checking every record against the audit trail")
                found, damaged = row_findings(conn, key) if key is not None else ([], [])
                numbers = record_number_problem(conn, _witnessed_high(key, str(path)))
            else:
                found, damaged = [], []
        derived = _derived_finding(engine) if revision == HEAD_REVISION else None
    except Exception as exc:
        findings.append(Finding("audit trail", False, f"cannot be read ({type(exc).__name__})"))
        return done
    finally:
        engine.dispose()
    if revision != HEAD_REVISION and not chain.entries and "no audit trail" in chain.problem:
        findings.append(Finding("audit trail", True, "none yet (added when mesodesk opens it)"))
    elif chain.ok:
        findings.append(Finding("audit trail", True, _intact(chain)))
    else:
        findings.append(
            Finding(
                "audit trail",
                False,
                chain.describe(),
                # nothing else found wrong (a guard changed, an anchor not matched)
                needs_key=bool(chain.cannot_verify) and chain.describe() == chain.cannot_verify,
            )
        )
    if clinic is None:
        findings.append(
            Finding(
                "records",
                revision != HEAD_REVISION,
                "sealed when mesodesk upgrades the database"
                if revision != HEAD_REVISION
                else "cannot be checked: the database's clinic identity is missing",
            )
        )
    elif chain.cannot_verify:
        findings.append(
            Finding(
                "records",
                False,
                "cannot be checked without the clinic key (see above)",
                needs_key=True,
            )
        )
    else:
        findings.append(records_finding(found, damaged))
        findings.append(
            Finding(
                "record numbers",
                not numbers,
                numbers or "the counter has never given a number twice",
            )
        )
    if derived is not None:
        findings.append(derived)
    if revision == HEAD_REVISION and done.ok:  # a damaged file is not read further
        done = replace(done, warnings=safety_warnings(target, progress=report))
    report(6, 6, "Done")
    return done


def _derived_finding(engine: Engine) -> Finding:
    """The cached due dates and folded lot numbers against a recomputation (store.derived)."""
    try:
        with engine.connect() as conn:
            off = drift(conn, Clock().today())
    except Exception as exc:
        return Finding("derived values", False, f"cannot be read ({type(exc).__name__})")
    if not off:
        return Finding("derived values", True, "due dates and lot keys match a recomputation")
    return Finding(
        "derived values",
        False,
        "out of step with the records (changed outside mesodesk?): "
        + "; ".join(off[:5])
        + ". Any change to the patient's record recomputes them.",
    )


def _witnessed_high(key: ClinicKey | None, where: str) -> int:
    from mesodesk.store.anchors import Witness, WitnessDamaged

    if key is None:
        return 0
    try:
        seen = Witness(key, where).read()
    except WitnessDamaged:
        return 0
    return seen.record_high if seen is not None else 0


def _intact(chain: ChainReport) -> str:
    text = f"intact, {chain.entries:,} entries sealed with the clinic key and linked."
    if not chain.keyed:
        text = f"intact, {chain.entries:,} entries sealed and linked."
    return " ".join((text, *chain.notes))


def records_finding(found: list[RowFinding], damaged: list[str]) -> Finding:
    if not found and not damaged:
        return Finding("records", True, "every record matches its newest entry in the audit trail")
    shown = [*damaged, *(f.describe() for f in found[:MAX_SHOWN])]
    more = len(found) - MAX_SHOWN
    text = (
        f"{len(found):,} record(s) no longer match the audit trail: "
        + "; ".join(shown)
        + (f"; and {more:,} more" if more > 0 else "")
    )
    return Finding("records", False, text)


def schema_finding(target: Target, revision: str) -> Finding:
    """The file's tables, indexes, triggers and views against those the migrations build for
    its revision (not names alone: what each does)."""
    engine = create_db_engine(target, read_only=True, pool=False)
    try:
        with engine.connect() as conn:
            actual = actual_schema(conn)
    finally:
        engine.dispose()
    differences = schema_differences(expected_schema(revision), actual)
    if not differences:
        return Finding(
            "schema objects", True, "tables, indexes, triggers and views as mesodesk makes them"
        )
    return Finding("schema objects", False, "; ".join(differences[:MAX_SHOWN]))


def startup_problems(db: Database) -> list[str]:
    """The quick integrity check of an open database file ([] when sound)."""
    if not db.target.is_sqlite or db.target.path is None:
        return []
    return integrity_problems(db.target.path)


def damaged_message(path: Path, problems: list[str], backup_folder: Path | None) -> str:
    newest = None
    if backup_folder is not None:
        found = list_backups(backup_folder, path.stem)
        newest = found[0] if found else None
    where = (
        f" The newest backup is {newest.path.name}, in {newest.path.parent}."
        if newest is not None
        else f" Backups are kept in {backup_folder}."
        if backup_folder is not None
        else ""
    )
    return (
        f"mesodesk found damage in the database {path} ({problems[0]}). It is open read-only, so "
        "that nothing more can be lost: you can look records up, but not change them. To work "
        "on it again, restore it from a backup: Tools > Restore from backup…, or on the command "
        f"line: mesodesk restore BACKUP-FILE.{where}"
    )


@dataclass
class Opened:
    services: Services
    checked: bool  # the integrity check already ran (before a schema upgrade)


def open_for_app(target: Target, clock: Clock | None = None) -> Opened:
    """Open a database for the app. One that needs a schema upgrade is checked first: a damaged
    one is refused (with how to restore it) rather than migrated."""
    path = target.path if target.is_sqlite else None
    if path is not None and check_sqlite_file(path):
        revision = sqlite_tables(path)["revision"]
        if revision is not None and revision != HEAD_REVISION:
            problems = integrity_problems(path)
            if problems:
                raise DatabaseError(
                    f"{path} is damaged ({problems[0]}) and left untouched. Restore it from a "
                    "backup: on the command line, mesodesk restore BACKUP-FILE."
                )
            return Opened(Services.open(target, clock=clock), checked=True)
    return Opened(Services.open(target, clock=clock), checked=False)
