"""Backups, restore, checks and the audit trail: `mesodesk backup`, `restore`, `check`, `audit`.

`restore` takes the same one-instance lock as the app (mesodesk.ui.instance, a QLockFile next
to the database): it refuses while mesodesk is open on the database, takes over the lock of a
crashed app, and holds it while it works, so the app cannot start on a half-restored file. The
other commands need no lock: SQLite keeps concurrent readers and writers apart, and a backup
reads one consistent snapshot.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from mesodesk.cli import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    TerminalProgress,
    UsageError,
    iso_date,
    open_services,
    positive,
    print_json,
    print_table,
)


def register(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    backup = sub.add_parser(
        "backup", help="back up the database (verified; into the backup folder, rotated)"
    )
    db_option(backup)
    backup.add_argument(
        "--out", metavar="FILE", type=Path, help="write the backup to FILE (not rotated)"
    )
    _folder_option(backup)
    backup.set_defaults(run=cmd_backup)

    restore = sub.add_parser(
        "restore",
        help="replace the database's data with a backup (the current data are backed up first)",
    )
    db_option(restore)
    restore.add_argument("file", metavar="FILE", type=Path, help="the backup to restore")
    restore.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (for scripts)"
    )
    _folder_option(restore)
    restore.set_defaults(run=cmd_restore)

    check = sub.add_parser(
        "check",
        help="check the database: integrity, references, schema, audit trail (exit 0 when sound)",
    )
    db_option(check)
    check.add_argument(
        "--quick", action="store_true", help="SQLite's quick check instead of the full one"
    )
    check.add_argument(
        "--all-warnings",
        action="store_true",
        help="list every record that breaks a safety rule (default: the first few per rule)",
    )
    check.set_defaults(run=cmd_check)

    audit = sub.add_parser("audit", help="the audit trail: verify it, list entries")
    db_option(audit)
    audit.set_defaults(run=lambda args: _audit_usage(audit))
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=type(audit))
    verify = actions.add_parser("verify", help="check the hash chain (exit 0 when intact)")
    db_option(verify)
    verify.set_defaults(run=cmd_audit_verify)
    listing = actions.add_parser("list", help="list entries, newest first")
    db_option(listing)
    listing.add_argument("--patient", metavar="MD-NNNNNN", help="entries about one patient")
    listing.add_argument("--user", metavar="NAME", help="entries made by one person")
    listing.add_argument("--since", type=iso_date, metavar="DATE", help="from this day on")
    listing.add_argument("--until", type=iso_date, metavar="DATE", help="up to this day")
    listing.add_argument("--limit", type=positive(1_000_000), default=None, metavar="N")
    out = listing.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", metavar="FILE", type=Path, help="write every match to a CSV file")
    listing.set_defaults(run=cmd_audit_list)


def _folder_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--folder",
        metavar="DIR",
        type=Path,
        default=None,
        help="the backup folder (default: the backups folder in the user's data folder)",
    )


def _backup_folder(args: argparse.Namespace) -> Path:
    from mesodesk.paths import default_backup_dir

    folder: Path | None = args.folder
    return folder.expanduser().resolve() if folder is not None else default_backup_dir()


def _audit_usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("mesodesk audit: choose an action: verify or list", file=sys.stderr)
    return EXIT_USAGE


def _size(size: int) -> str:
    return f"{size / 1_048_576:,.1f} MB" if size >= 1_048_576 else f"{size / 1024:,.0f} kB"


def _local(instant: datetime | None) -> str:
    return instant.astimezone().strftime("%Y-%m-%d %H:%M") if instant else "an unknown time"


# -- backup, restore, check -----------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    services = open_services(args)
    progress = TerminalProgress()
    try:
        services.backups.folder = _backup_folder(args)
        result = services.backups.back_up(args.out, reason="command line", progress=progress).value
    finally:
        progress.finish()
        services.close()
    print(
        f"Backup written to {result.path} ({_size(result.size)}, {result.patients:,} patients); "
        "checked and synced to the disk."
    )
    if result.removed:
        print(f"Rotation removed {len(result.removed)} older backup(s).")
    return EXIT_OK


def _lock_for(path: Path) -> Any:
    from mesodesk.ui.instance import InstanceLock

    return InstanceLock.for_database(path)


def cmd_restore(args: argparse.Namespace) -> int:
    from mesodesk.domain.audit import RESTORE
    from mesodesk.domain.clock import Clock
    from mesodesk.domain.errors import DatabaseError
    from mesodesk.services.backup import database_file, inspect_backup, restore_event, restore_file
    from mesodesk.services.registry import Services
    from mesodesk.store.db import resolve_target

    target = resolve_target(args.db)
    dest = database_file(target)
    contents = inspect_backup(args.file)
    lock = _lock_for(dest)
    if not lock.acquire():
        raise DatabaseError(lock.refusal())
    try:
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    "restore replaces every record in the database; add --yes to confirm when "
                    "not on a terminal"
                )
            answer = input(
                f"Replace all the data in {dest} with the backup {contents.path.name} "
                f"(taken {_local(contents.taken_at)}, {contents.patients:,} patients)?\n"
                "The current data are backed up first. Type yes to go on: "
            )
            if answer.strip().casefold() not in ("yes", "y"):
                print("Nothing was changed.")
                return EXIT_ERROR
        progress = TerminalProgress()
        try:
            result = restore_file(
                target,
                contents.path,
                folder=_backup_folder(args),
                now=Clock().utcnow(),
                progress=progress,
            )
        finally:
            progress.finish()
        services = Services.open(target)
        try:
            services.audit.record_event(
                RESTORE, details=restore_event(result), detail="data replaced from a backup"
            )
        finally:
            services.close()
    finally:
        lock.release()
    print(f"Restored {contents.path.name} ({contents.patients:,} patients) into {dest}.")
    if result.saved_before is None:
        print("There was no database there before.")
    else:
        kept = "a backup" if result.saved_before_verified else "a plain copy (it was damaged)"
        print(f"The data from before the restore were kept as {kept}: {result.saved_before}")
    return EXIT_OK


WARNINGS_PER_RULE = 10


def print_safety_warnings(warnings: list[Any] | None, *, every: bool = False) -> None:
    """Stored records that break a safety rule, by rule (warnings: the exit status stays)."""
    if warnings is None:
        print(
            "      safety rules: not checked yet (the schema is brought up to date when "
            "mesodesk opens the database)"
        )
        return
    if not warnings:
        print("ok    safety rules: no stored session or side effect breaks one")
        return
    by_rule: dict[str, list[Any]] = {}
    for w in warnings:
        by_rule.setdefault(w.finding.rule, []).append(w)
    print(
        f"warn  safety rules: {len(warnings):,} finding(s) in stored records, by rule "
        "(records are never changed; answer them by editing the record)"
    )
    for rule, found in sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"warn  {rule}: {len(found):,}")
        shown = found if every else found[:WARNINGS_PER_RULE]
        for w in shown:
            print(f"        {w}")
        if len(found) > len(shown):
            print(f"        … and {len(found) - len(shown):,} more (--all-warnings lists them)")


def cmd_check(args: argparse.Namespace) -> int:
    from mesodesk.services.health import check_database
    from mesodesk.store.db import resolve_target

    target = resolve_target(args.db)
    report = check_database(target, full=not args.quick)
    for finding in report.findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.name}: {finding.message}")
    if report.ok:
        print_safety_warnings(report.warnings, every=args.all_warnings)
    if report.ok:
        print("The database is sound.")
        return EXIT_OK
    from mesodesk.paths import default_backup_dir

    print(
        "mesodesk: the database is not sound. Restore it from a backup: mesodesk restore "
        f"BACKUP-FILE (backups are kept in {default_backup_dir()} unless you chose another "
        "folder).",
        file=sys.stderr,
    )
    return EXIT_ERROR


# -- the audit trail ------------------------------------------------------------------------------


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from mesodesk.services.audit import verify_connection
    from mesodesk.store.db import check_sqlite_file, create_db_engine, resolve_target

    target = resolve_target(args.db)
    if target.path is not None and not check_sqlite_file(target.path):
        from mesodesk.domain.errors import DatabaseError

        raise DatabaseError(f"There is no database at {target.path}.")
    engine = create_db_engine(target, read_only=True, pool=False)
    try:
        with engine.connect() as conn:
            report = verify_connection(conn)
    finally:
        engine.dispose()
    if report.ok:
        print(report.describe())
        return EXIT_OK
    print(f"mesodesk: {report.describe()}", file=sys.stderr)
    return EXIT_ERROR


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time()).astimezone()


def cmd_audit_list(args: argparse.Namespace) -> int:
    from mesodesk.domain.audit import AuditQuery

    services = open_services(args)
    try:
        patient_id = None
        if args.patient:
            patient_id = services.patients.get_by_record_no(args.patient).id
        query = AuditQuery(
            patient_id=patient_id,
            actor=args.user or None,
            since=_day_start(args.since) if args.since else None,
            until=_day_start(args.until + timedelta(days=1)) if args.until else None,
        )
        if args.csv is not None:
            written = services.audit.export_csv(args.csv, query)
            print(f"{written:,} entries written to {args.csv}")
            return EXIT_OK
        limit = args.limit or 1_000_000
        entries: list[Any] = []
        offset = 0
        while len(entries) < limit:
            page = services.audit.search(query, offset=offset, limit=min(1000, limit - offset))
            entries.extend(page.entries)
            if len(page.entries) < min(1000, limit - offset):
                break
            offset += len(page.entries)
    finally:
        services.close()
    if args.json:
        print_json(
            [
                {
                    "entry": e.seq,
                    "at": e.at,
                    "who": e.actor,
                    "practitioner_id": e.actor_id,
                    "action": e.action,
                    "record_type": e.entity,
                    "record_id": e.entity_id,
                    "patient": e.record_no,
                    "before": e.before,
                    "after": e.after,
                    "detail": e.detail,
                    "hash": e.hash,
                }
                for e in entries
            ]
        )
        return EXIT_OK
    print_table(
        ["Entry", "When", "Who", "Action", "Record", "Patient", "Fields"],
        [
            [
                e.seq,
                _local(e.at),
                e.actor,
                e.action,
                f"{e.entity} {e.entity_id}" if e.entity else e.detail,
                e.record_no or "",
                ", ".join(e.changed_fields())[:60],
            ]
            for e in entries
        ],
    )
    return EXIT_OK
