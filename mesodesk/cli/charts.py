"""Charts from the command line: `mesodesk chart RECORD_NO --out FILE` (a patient's timeline) and
`mesodesk chart --clinic [--from D --to D] --out FILE` (the clinic dashboard on one page).

The format comes from the file's extension: .png, .svg or .pdf.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mesodesk.cli import EXIT_OK, UsageError, iso_date, open_services
from mesodesk.domain.errors import MesodeskError

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def register(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    chart = sub.add_parser(
        "chart",
        help="a patient's side effects and outcomes over time, or the clinic dashboard, "
        "as PNG, SVG or PDF",
        description="Draw a patient's timeline (RECORD_NO) or, with --clinic, the clinic "
        "dashboard. The format comes from the extension of --out: .png, .svg or .pdf.",
    )
    db_option(chart)
    chart.add_argument("record_no", metavar="RECORD_NO", nargs="?", help="such as MD-000123")
    chart.add_argument(
        "--clinic", action="store_true", help="the clinic dashboard instead of one patient"
    )
    chart.add_argument("--from", dest="date_from", type=iso_date, default=None, metavar="D")
    chart.add_argument("--to", dest="date_to", type=iso_date, default=None, metavar="D")
    chart.add_argument("--out", required=True, metavar="FILE", help="FILE.png, .svg or .pdf")
    chart.set_defaults(run=cmd_chart)


def _format(out: Path) -> str:
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"--out must end in .png, .svg or .pdf (the format comes from it), not {out.name!r}"
        )
    return fmt


def _check_folder(out: Path) -> None:
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise MesodeskError(f"The folder {folder} does not exist.")


def cmd_chart(args: argparse.Namespace) -> int:
    out = Path(args.out)
    fmt = _format(out)
    if args.clinic and args.record_no:
        raise UsageError("give either RECORD_NO or --clinic, not both")
    if not args.clinic and not args.record_no:
        raise UsageError("give a RECORD_NO, or --clinic for the clinic dashboard")
    if not args.clinic and (args.date_from or args.date_to):
        raise UsageError("--from and --to go with --clinic")
    if args.date_from and args.date_to and args.date_to < args.date_from:
        raise UsageError("--to is before --from")
    _check_folder(out)
    services = open_services(args)
    try:
        if args.clinic:
            data = services.analytics.dashboard(args.date_from, args.date_to)
            signals = services.signals.signals(args.date_from, args.date_to).signals
            what = f"the clinic dashboard, {data.start.isoformat()} to {data.end.isoformat()}"
        else:
            patient = services.patients.get_by_record_no(args.record_no)
            record = services.treatment.record(patient.id)
            what = f"the timeline of {patient.record_no}"
        today = services.clock.today()
    finally:
        services.close()

    from mesodesk.reports import dashboard as clinic_charts
    from mesodesk.reports import style, timeline

    figure = (
        clinic_charts.clinic_dashboard(data, signals=signals)
        if args.clinic
        else timeline.patient_timeline(record, today)
    )
    from mesodesk.files import write_atomically

    # whole or not at all (never a 0-byte picture on a full disk), owner-only, not via a link
    write_atomically(out, lambda fh: style.save(figure, fh, fmt))
    print(f"Wrote {what} to {out}.")
    return EXIT_OK
