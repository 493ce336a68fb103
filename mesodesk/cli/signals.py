"""Lot safety signals from the command line: `mesodesk signals [--from D] [--to D] [--json]`.

Lists the product lots whose rate of a kind of side effect is disproportionate (the method is
in mesodesk.domain.signals and docs/signals.md). Exit status 0 whether or not there are signals:
a script reads the JSON.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from mesodesk.cli import EXIT_OK, UsageError, iso_date, open_services, print_json, print_table
from mesodesk.domain.signals import Signal, SignalReport


def register(sub: Any, db_option: Callable[[argparse.ArgumentParser], None]) -> None:
    signals = sub.add_parser(
        "signals",
        help="product lots whose rate of a kind of side effect is disproportionate",
        description="List the product lots used in the period whose rate of a kind of side "
        "effect stands out against the product's other lots (serious events and infections: "
        "against the clinic's other lots). Default period: from the first session to today.",
    )
    db_option(signals)
    signals.add_argument("--from", dest="date_from", type=iso_date, default=None, metavar="D")
    signals.add_argument("--to", dest="date_to", type=iso_date, default=None, metavar="D")
    signals.add_argument("--json", action="store_true", help="machine-readable output")
    signals.set_defaults(run=cmd_signals)


def signal_json(signal: Signal) -> dict[str, Any]:
    return {
        "product": signal.product,
        "lot": signal.lot_number,
        "kind": signal.kind.value,
        "cases": signal.cases,
        "exposed_patients": signal.exposed_patients,
        "expected": round(signal.expected, 3),
        "score": round(signal.score, 3),
        "serious": signal.serious,
        "ic": round(signal.ic, 3),
        "compared_with": signal.comparison.value,
        "comparison_patients": signal.comparison_patients,
        "window_days": signal.window_days,
        "shares_cases_with": [lot.lot_number for lot in signal.shares_cases_with],
    }


def report_json(report: SignalReport) -> dict[str, Any]:
    return {
        "method": report.method,
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "lots_examined": report.lots_examined,
        "signals": [signal_json(s) for s in report.signals],
    }


def cmd_signals(args: argparse.Namespace) -> int:
    if args.date_from and args.date_to and args.date_to < args.date_from:
        raise UsageError("--to is before --from")
    services = open_services(args)
    try:
        report = services.signals.signals(args.date_from, args.date_to)
    finally:
        services.close()
    if args.json:
        print_json(report_json(report))
        return EXIT_OK
    period = f"{report.start.isoformat()} to {report.end.isoformat()}"
    if not report.signals:
        print(f"No signal: {report.lots_examined:,} lots used from {period}.")
        return EXIT_OK
    print(f"Signals, {period} ({report.lots_examined:,} lots used):")
    rows = [
        (
            s.product,
            s.lot_number,
            s.kind.label,
            s.cases,
            s.exposed_patients,
            f"{s.expected:.2f}",
            f"{s.score:.2f}",
            "yes" if s.serious else "",
            s.comparison_words
            + (
                f"; same patients as {', '.join(x.lot_number for x in s.shares_cases_with)}"
                if s.shares_cases_with
                else ""
            ),
        )
        for s in report.signals
    ]
    print_table(
        (
            "product",
            "lot",
            "kind",
            "cases",
            "exposed",
            "expected",
            "IC025",
            "serious",
            "compared with",
        ),
        rows,
    )
    print(f"\nMethod: {report.method}.")
    return EXIT_OK
