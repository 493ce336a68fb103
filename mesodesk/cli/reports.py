"""The specialist's PDF summary from the command line: `mesodesk report`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mesodesk.cli import EXIT_OK, UsageError, iso_date, open_services


def register(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    report = sub.add_parser("report", help="the PDF summary of a patient for the specialist")
    db_option(report)
    report.add_argument("record_no", metavar="RECORD_NO", help="such as MD-000123")
    report.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    report.add_argument("--from", dest="date_from", type=iso_date, default=None, metavar="D")
    report.add_argument("--to", dest="date_to", type=iso_date, default=None, metavar="D")
    report.add_argument(
        "--deidentify",
        action="store_true",
        help="initials and record number only, no contact details",
    )
    report.add_argument(
        "--paper", choices=("a4", "letter"), default=None, help="default: the clinic's"
    )
    report.add_argument("--no-charts", action="store_true", help="leave the charts out")
    report.set_defaults(run=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"--out must name a .pdf file, not {out.name!r}")
    if args.date_from and args.date_to and args.date_to < args.date_from:
        raise UsageError("--to is before --from")
    services = open_services(args)
    try:
        patient = services.patients.get_by_record_no(args.record_no)
        options = services.summaries.options(
            date_from=args.date_from,
            date_to=args.date_to,
            deidentify=args.deidentify,
            paper=args.paper,
            charts=not args.no_charts,
        )
        result = services.summaries.write(patient.id, out, options)
    finally:
        services.close()
    print(f"Summary written to {out} ({result.pages} page{'s' if result.pages != 1 else ''}).")
    if result.warning:
        print(f"mesodesk: warning: {result.warning}", file=sys.stderr)
    return EXIT_OK
