"""Backups, restore, checks, the audit trail and the clinic key: `mesodesk backup`, `restore`,
`check`, `audit`, `key`.

`restore` takes the database's in-use lock exclusively (mesodesk.store.locks), which every
mesodesk process holds shared while it has the database open: it waits until every other
mesodesk (the app, or a command still running) has closed the database, and refuses after a
while; whatever starts meanwhile waits for it. It also takes the app's one-instance lock
(mesodesk.ui.instance), whose message names the process that holds it. The other commands need
no more than the shared lock: SQLite keeps concurrent readers and writers apart, and a backup
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
    restore.add_argument(
        "--clinic",
        metavar="NAME",
        default=None,
        help="the backup's clinic name, to confirm restoring another clinic's backup",
    )
    _folder_option(restore)
    restore.set_defaults(run=cmd_restore)

    check = sub.add_parser(
        "check",
        help="check the database: integrity, references, schema, audit trail and its anchors, "
        "every record against the trail (exit 0 when sound)",
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
    _anchor_options(check)
    check.set_defaults(run=cmd_check)

    audit = sub.add_parser("audit", help="the audit trail: verify it, list entries")
    db_option(audit)
    audit.set_defaults(run=lambda args: _audit_usage(audit))
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=type(audit))
    verify = actions.add_parser(
        "verify",
        help="check the chain with the clinic key, and against every anchor found: the witness "
        "file, the backups, printed summaries (exit 0 when intact)",
    )
    db_option(verify)
    _anchor_options(verify)
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

    key = sub.add_parser(
        "key",
        help="the clinic key that seals the audit trail: where it is, carry it to another computer",
    )
    db_option(key)
    key.set_defaults(run=lambda args: _key_usage(key))
    key_actions = key.add_subparsers(dest="key_command", metavar="ACTION", parser_class=type(key))
    show = key_actions.add_parser("show", help="where this database's clinic key is kept")
    db_option(show)
    show.set_defaults(run=cmd_key_show)
    export = key_actions.add_parser(
        "export", help="write the clinic key to a file, to carry it to a new computer"
    )
    db_option(export)
    export.add_argument("--out", metavar="FILE", required=True, help="the file to write")
    export.set_defaults(run=cmd_key_export)
    import_ = key_actions.add_parser(
        "import", help="keep a clinic key carried from another computer"
    )
    db_option(import_)
    import_.add_argument("file", metavar="FILE", help="a key written by mesodesk key export")
    import_.set_defaults(run=cmd_key_import)


def _anchor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--folder",
        metavar="DIR",
        action="append",
        default=None,
        help="a backup folder whose backups are anchors (default: the backups folder in the "
        "user's data folder); may be repeated",
    )
    parser.add_argument(
        "--anchor",
        metavar="ENTRY:SEAL",
        action="append",
        default=[],
        help="an anchor printed in a summary's footer, such as 1234:9f2c4e1a0b3d5c7e",
    )
    parser.add_argument(
        "--pdf",
        metavar="FILE",
        action="append",
        default=[],
        help="a PDF summary made by mesodesk, whose anchor is checked",
    )


def _anchors(args: argparse.Namespace) -> tuple[list[Path], list[Any]]:
    from mesodesk.paths import default_backup_dir
    from mesodesk.services.audit import parse_anchor, pdf_anchor

    folders = [Path(f).expanduser() for f in (args.folder or [])] or [default_backup_dir()]
    anchors = [parse_anchor(text) for text in args.anchor]
    anchors += [pdf_anchor(Path(name)) for name in args.pdf]
    return folders, anchors


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


def _key_usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("mesodesk key: choose an action: show, export or import", file=sys.stderr)
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
        out = None
        if args.out is not None:
            from mesodesk.files import check_output_target

            out = check_output_target(args.out)
        result = services.backups.back_up(out, reason="command line", progress=progress)
    finally:
        progress.finish()
        services.close()
    backup = result.value
    print(
        f"Backup written to {backup.path} ({_size(backup.size)}, {backup.patients:,} patients); "
        "checked and synced to the disk."
    )
    if backup.removed:
        print(f"Rotation removed {len(backup.removed)} older backup(s).")
    if result.warning:
        print(f"mesodesk: warning: {result.warning}", file=sys.stderr)
    return EXIT_OK


def _lock_for(path: Path) -> Any:
    from mesodesk.ui.instance import InstanceLock

    return InstanceLock.for_database(path)


def describe_backup(contents: Any) -> str:
    """What a restore would bring back, for the person to check before saying yes."""
    lines = [
        f"Backup:          {contents.path}",
        f"Clinic:          {contents.display_name}"
        + ("" if contents.clinic_uid else " (a backup from before clinic identities)"),
        f"Taken:           {_local(contents.taken_at)}",
        f"Newest entry:    {_local(contents.newest_entry_at)}",
        f"Audit trail:     entry {contents.head_seq:,}, seal {contents.head_hash[:16]}",
        "Records:         "
        + ", ".join(f"{n:,} {t}" for t, n in sorted(contents.rows.items()) if n),
    ]
    for item in contents.not_restored:
        lines.append(f"Not restored:    {item}")
    return "\n".join(lines)


def cmd_restore(args: argparse.Namespace) -> int:
    from mesodesk.domain.audit import Actor
    from mesodesk.domain.clock import Clock
    from mesodesk.domain.errors import DatabaseError
    from mesodesk.services.backup import (
        database_file,
        inspect_backup,
        refuse_restore_target,
        restore_file,
    )
    from mesodesk.store.db import resolve_target
    from mesodesk.store.locks import InUseLock
    from mesodesk.store.migrate import no_database_message, refuse_second_name

    target = resolve_target(args.db)
    dest = database_file(target)
    if not dest.exists() and not getattr(args, "create", False):
        raise DatabaseError(no_database_message(target))
    refuse_restore_target(dest)
    if dest.exists():
        refuse_second_name(dest)
    contents = inspect_backup(args.file, dest=dest)
    lock = _lock_for(dest)
    if not lock.acquire():
        raise DatabaseError(lock.refusal())
    in_use = InUseLock(dest)
    try:
        in_use.exclusive()
        confirmed = args.clinic
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    "restore replaces every record in the database; add --yes to confirm when "
                    "not on a terminal"
                )
            print(describe_backup(contents))
            if contents.other_clinic:
                print(
                    f"\nThis is a backup of {contents.display_name}, not of "
                    f"{contents.current_name or 'the clinic in this database'}."
                )
                confirmed = input(f"Type the backup's clinic name ({contents.display_name}): ")
                if not contents.confirms(confirmed):
                    print("The name does not match. Nothing was changed.")
                    return EXIT_ERROR
            answer = input(
                f"\nReplace all the data in {dest} with this backup?\n"
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
                confirmed_name=confirmed,
                actor=Actor.system(),
                contents=contents,
            )
        finally:
            progress.finish()
    finally:
        in_use.close()
        lock.release()
    print(f"Restored {contents.path.name} ({contents.patients:,} patients) into {dest}.")
    if result.saved_before is None:
        print("There was no database there before.")
    else:
        kept = "a backup" if result.saved_before_verified else "a plain copy (it was damaged)"
        print(f"The data from before the restore were kept as {kept}: {result.saved_before}")
    for item in contents.not_restored:
        print(f"Left out of the backup: {item}")
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
    folders, anchors = _anchors(args)
    report = check_database(target, full=not args.quick, folders=folders, anchors=anchors)
    for finding in report.findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.name}: {finding.message}")
    if report.ok:
        print_safety_warnings(report.warnings, every=args.all_warnings)
    if report.ok:
        print("The database is sound.")
        return EXIT_OK
    from mesodesk.paths import default_backup_dir

    if report.only_the_key_is_missing:
        print(
            "mesodesk: the database could not be verified: its clinic key is not on this "
            "computer. Bring the key (mesodesk key import FILE; README: Moving to a new "
            "computer) and check again. A restore would not help: a backup's trail needs the "
            "same key.",
            file=sys.stderr,
        )
        return EXIT_ERROR
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
    from mesodesk.store.migrate import no_database_message

    target = resolve_target(args.db)
    if target.path is not None and not check_sqlite_file(target.path):
        from mesodesk.domain.errors import DatabaseError

        raise DatabaseError(no_database_message(target))
    folders, anchors = _anchors(args)
    engine = create_db_engine(target, read_only=True, pool=False)
    try:
        with engine.connect() as conn:
            report = verify_connection(
                conn,
                where=str(target.path) if target.path is not None else target.describe(),
                folders=folders,
                anchors=anchors,
            )
    finally:
        engine.dispose()
    if report.ok:
        print(report.describe())
        return EXIT_OK
    print(f"mesodesk: {report.describe()}", file=sys.stderr)
    return EXIT_ERROR


def _day_start(day: date) -> datetime | None:
    """The start of a local day as an instant; None past the end of the calendar."""
    try:
        return datetime.combine(day, time()).astimezone()
    except (OverflowError, ValueError, OSError):
        return None


def _day_after(day: date) -> datetime | None:
    return _day_start(day + timedelta(days=1)) if day < date.max else None


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
            until=_day_after(args.until) if args.until else None,
        )
        if args.csv is not None:
            from mesodesk.files import check_output_target

            written = services.audit.export_csv(check_output_target(args.csv), query)
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


# -- the clinic key -------------------------------------------------------------------------------


def _clinic_of(args: argparse.Namespace) -> Any:
    from mesodesk.domain.errors import DatabaseError
    from mesodesk.store.db import check_sqlite_file, create_db_engine, resolve_target
    from mesodesk.store.integrity import read_clinic
    from mesodesk.store.migrate import no_database_message

    target = resolve_target(args.db)
    if target.path is not None and not check_sqlite_file(target.path):
        raise DatabaseError(no_database_message(target))
    engine = create_db_engine(target, read_only=True, pool=False)
    try:
        with engine.connect() as conn:
            clinic = read_clinic(conn)
    finally:
        engine.dispose()
    if clinic is None:
        raise DatabaseError(
            "This database has no clinic identity yet: mesodesk gives it one (and its key) "
            "when it opens it."
        )
    return clinic


def cmd_key_show(args: argparse.Namespace) -> int:
    from mesodesk.store.integrity import load_key
    from mesodesk.store.keys import FileKeyStore

    keys = FileKeyStore()
    clinic = _clinic_of(args)
    key, why = load_key(clinic, keys)
    print(f"Clinic:      {clinic.uid}")
    print(f"Key id:      {clinic.key_id}")
    print(f"Kept in:     {keys.location(clinic.uid)}")
    if key is None:
        print(f"mesodesk: {why}", file=sys.stderr)
        return EXIT_ERROR
    print("The key is on this computer and is this database's.")
    return EXIT_OK


def cmd_key_export(args: argparse.Namespace) -> int:
    from mesodesk.domain.errors import DatabaseError
    from mesodesk.files import write_atomically
    from mesodesk.store.integrity import load_key
    from mesodesk.store.keys import FileKeyStore, export_key

    keys = FileKeyStore()
    clinic = _clinic_of(args)
    key, why = load_key(clinic, keys)
    if key is None:
        raise DatabaseError(why)
    out = Path(args.out)
    write_atomically(out, lambda fh: fh.write(export_key(key)))
    print(
        f"The clinic key was written to {out} (readable by you only). Keep it as safe as the "
        "data: with it, anyone can seal changes to this clinic's audit trail. On the new "
        "computer: mesodesk key import FILE, then delete the file."
    )
    return EXIT_OK


def cmd_key_import(args: argparse.Namespace) -> int:
    from mesodesk.files import read_input
    from mesodesk.store.keys import FileKeyStore, parse_key_file

    path = Path(args.file).expanduser()
    key = parse_key_file(read_input(path, limit=4096, what="clinic key file"), str(path))
    kept = FileKeyStore().install(key)
    print(f"The key of clinic {key.uid} (key id {key.key_id}) is kept in {kept}.")
    return EXIT_OK
