"""Patients and the demo clinic: `mesodesk demo`, `mesodesk patients`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from mesodesk.cli import (
    EXIT_OK,
    TerminalProgress,
    iso_date,
    open_services,
    positive,
    print_json,
    print_table,
)


def register(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    demo = sub.add_parser("demo", help="fill an empty database with a realistic demo clinic")
    db_option(demo)
    demo.add_argument("--patients", type=positive(1_000_000), default=1000, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument(
        "--as-of",
        type=iso_date,
        default=None,
        metavar="DATE",
        help="the demo's today (YYYY-MM-DD): its history ends the day before",
    )
    demo.set_defaults(run=cmd_demo)

    patients = sub.add_parser("patients", help="list or search patients")
    db_option(patients)
    patients.add_argument("--search", metavar="TEXT", default="")
    group = patients.add_mutually_exclusive_group()
    group.add_argument("--archived", action="store_true", help="include archived patients")
    group.add_argument("--archived-only", action="store_true", help="only archived patients")
    patients.add_argument("--limit", type=positive(1_000_000), default=None, metavar="N")
    patients.add_argument("--json", action="store_true", help="print JSON")
    patients.set_defaults(run=cmd_patients)


def cmd_demo(args: argparse.Namespace) -> int:
    services = open_services(args)
    progress = TerminalProgress()
    try:
        summary = services.demo.generate(
            args.patients, args.seed, today=args.as_of, progress=progress
        )
    finally:
        progress.finish()
        services.close()
    print(
        f"Demo clinic written to {services.location}: {summary.patients:,} patients, "
        f"{summary.courses:,} courses, {summary.sessions:,} sessions, "
        f"{summary.side_effects:,} side effects, {summary.lots} product lots "
        f"(lot {summary.bad_lot} has an excess of nodules, lot {summary.infection_lot} a "
        "cluster of delayed infections)."
    )
    return EXIT_OK


def cmd_patients(args: argparse.Namespace) -> int:
    from mesodesk.domain.search import PatientQuery, PatientSort

    services = open_services(args)
    try:
        query = PatientQuery(
            text=args.search,
            include_archived=args.archived,
            archived_only=args.archived_only,
            # without a search: newest first; with one: the best matches first
            sort=PatientSort.RELEVANCE if args.search.strip() else PatientSort.CREATED,
            descending=not args.search.strip(),
        )
        limit = args.limit or 1_000_000
        rows: list[Any] = []
        offset = 0
        while len(rows) < limit:
            page = services.patients.search(
                query, offset=offset, limit=min(1000, limit - len(rows)), with_total=False
            )
            rows.extend(page.rows)
            if len(page.rows) < min(1000, limit - offset):
                break
            offset += len(page.rows)
        today = services.clock.today()
    finally:
        services.close()
    if args.json:
        print_json(
            [
                {
                    "record_no": r.record_no,
                    "first_name": r.first_name,
                    "last_name": r.last_name,
                    "birth_date": r.birth_date,
                    "phone": r.phone,
                    "last_session": r.last_session_at,
                    "next_due": r.next_due,
                    "lapsed": r.only_lapsed(today),
                    "archived": r.archived,
                }
                for r in rows
            ]
        )
    else:
        print_table(
            ["Record", "Last name", "First name", "Born", "Phone", "Next due"],
            [
                [
                    r.record_no + (" (archived)" if r.archived else ""),
                    r.last_name,
                    r.first_name,
                    r.birth_date.isoformat(),
                    r.phone,
                    r.next_due.isoformat()
                    if r.next_due
                    else ("lapsed" if r.only_lapsed(today) else ""),
                ]
                for r in rows
            ],
        )
    return EXIT_OK
