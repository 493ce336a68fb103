"""The specialist's PDF summary from the command line: `mesodesk report` (saved, printed, or
both) and `mesodesk printers`. Printing hands the PDF itself to CUPS (services.printing)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mesodesk.cli import (
    EXIT_OK,
    UsageError,
    iso_date,
    open_services,
    positive,
    print_json,
    print_table,
)
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.summary import FreeText, Privacy
from mesodesk.services.printing import COPIES_MAX, CupsPrinting, PrintOptions


def register(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    report = sub.add_parser("report", help="the PDF summary of a patient for the specialist")
    db_option(report)
    report.add_argument("record_no", metavar="RECORD_NO", help="such as MD-000123")
    report.add_argument(
        "--out", metavar="FILE.pdf", default=None, help="where to write the PDF (or --print)"
    )
    report.add_argument("--from", dest="date_from", type=iso_date, default=None, metavar="D")
    report.add_argument("--to", dest="date_to", type=iso_date, default=None, metavar="D")
    privacy = report.add_mutually_exclusive_group()
    privacy.add_argument(
        "--pseudonymise",
        "--pseudonymize",
        dest="pseudonymise",
        action="store_true",
        help="a one-time code instead of name, initials and record number; no date of birth or "
        "contact details; dates kept; free text left out unless named with --include",
    )
    privacy.add_argument(
        "--deidentify",
        "--de-identify",
        dest="deidentify",
        action="store_true",
        help="HIPAA Safe Harbor style: the one-time code, dates as days from the first session, "
        "age in bands, no free text, no practitioner names",
    )
    report.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="FIELD",
        type=_free_text,
        help="with --pseudonymise: a free-text field to include (repeat for each): "
        + ", ".join(f.value for f in FreeText),
    )
    report.add_argument(
        "--paper", choices=("a4", "letter"), default=None, help="default: the clinic's"
    )
    report.add_argument("--no-charts", action="store_true", help="leave the charts out")
    report.add_argument(
        "--print",
        dest="print_",
        action="store_true",
        help="send the PDF to a printer (CUPS), as a document",
    )
    report.add_argument(
        "--printer", default=None, metavar="NAME", help="default: the system's default printer"
    )
    report.add_argument(
        "--copies", type=positive(COPIES_MAX), default=1, metavar="N", help="default: 1"
    )
    report.set_defaults(run=cmd_report)

    printers = sub.add_parser("printers", help="the printers this computer knows, and the default")
    printers.add_argument("--json", action="store_true", help="as JSON")
    printers.set_defaults(run=cmd_printers)


def _free_text(value: str) -> FreeText:
    try:
        return FreeText.parse(value)
    except ValueError:
        choices = ", ".join(f.value for f in FreeText)
        raise argparse.ArgumentTypeError(f"{value!r} is not one of: {choices}") from None


def cmd_report(args: argparse.Namespace) -> int:
    if args.include and not args.pseudonymise:
        raise UsageError(
            "--include goes with --pseudonymise (a de-identified summary has no free text)"
        )
    if not args.print_ and (args.printer is not None or args.copies != 1):
        raise UsageError("--printer and --copies go with --print")
    if args.out is None and not args.print_:
        raise UsageError("give --out FILE.pdf, --print, or both")
    out = Path(args.out) if args.out is not None else None
    if out is not None and out.suffix.lower() != ".pdf":
        raise UsageError(f"--out must name a .pdf file, not {out.name!r}")
    if args.date_from and args.date_to and args.date_to < args.date_from:
        raise UsageError("--to is before --from")
    printing: CupsPrinting | None = None
    if args.print_:
        try:
            job_options = PrintOptions(printer=args.printer, copies=args.copies).validated()
        except ValidationError as exc:
            raise UsageError(str(exc)) from None
        printing = CupsPrinting()
        printing.require()  # before the summary is made: no file for a print that cannot happen
    services = open_services(args)
    try:
        patient = services.patients.get_by_record_no(args.record_no)
        options = services.summaries.options(
            date_from=args.date_from,
            date_to=args.date_to,
            privacy=(
                Privacy.DEIDENTIFIED
                if args.deidentify
                else Privacy.PSEUDONYMISED
                if args.pseudonymise
                else Privacy.IDENTIFIED
            ),
            free_text=args.include,
            paper=args.paper,
            charts=not args.no_charts,
        )
        if printing is None:
            assert out is not None
            result = services.summaries.write(patient.id, out, options)
            pages = result.pages
            code = result.code
            warning = result.warning
        else:
            printed = services.summaries.print_summary(
                patient.id, options, printing.sender(job_options), keep=out
            )
            pages = printed.pages
            code = printed.code
            warning = printed.warning
    finally:
        services.close()
    if out is not None:
        print(f"Summary written to {out} ({_pages(pages)}).")
    if warning:
        print(f"mesodesk: warning: {warning}", file=sys.stderr)
    if code:
        # the clinic's way back from the letter to the patient: also in the audit trail
        print(f"{options.privacy.label} as {code} (the audit trail links it to {args.record_no}).")
    if printing is not None:
        job = printed.job
        copies = f", {job.copies} copies" if job.copies != 1 else ""
        print(
            f"Summary sent to the printer {job.printer} as job {job.job_id} ({_pages(pages)}"
            f"{copies})."
        )
        if job.warning:
            print(f"mesodesk: {job.warning}", file=sys.stderr)
    return EXIT_OK


def _pages(n: int) -> str:
    return f"{n} page{'s' if n != 1 else ''}"


def cmd_printers(args: argparse.Namespace) -> int:
    found = CupsPrinting().printers()
    if args.json:
        print_json(
            {
                "default": found.default,
                "printers": [
                    {**asdict(p), "default": p.name == found.default} for p in found.printers
                ],
            }
        )
        return EXIT_OK
    if not found.printers:
        print("No printers are set up on this computer (or on its print server).")
        return EXIT_OK
    rows = []
    for p in found.printers:
        state = p.state + (f": {p.reason}" if p.reason and p.state == "stopped" else "")
        if not p.accepting:
            state += " · refusing jobs" + (f": {p.reason}" if p.reason else "")
        rows.append(
            [
                p.name + (" *" if p.name == found.default else ""),
                state,
                ", ".join(x for x in (p.description, p.location) if x),
            ]
        )
    print_table(["Printer", "State", "Description"], rows)
    print(f"Default: {found.default}" if found.default else "No default printer: give --printer.")
    return EXIT_OK
