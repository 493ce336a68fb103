"""Exports a person opens in a spreadsheet: the lot recall list as CSV.

Shared by the command line and the GUI, so both write the same columns and both neutralise
cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import IO, Any, TextIO

from mesodesk.domain.treatment import Recall

RECALL_HEADERS = [
    "record_no",
    "last_name",
    "first_name",
    "phone",
    "session_date",
    "product",
    "lot",
    "amount_ml",
    "side_effects",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (= + - @, tab or CR first)."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def recall_rows(recall: Recall) -> list[list[Any]]:
    return [
        [
            e.record_no,
            e.last_name,
            e.first_name,
            e.phone,
            e.started_at.strftime("%Y-%m-%d %H:%M"),
            e.product,
            e.lot_number,
            e.amount_ml,
            "; ".join(
                f"{x.kind.label} grade {int(x.grade)} from {x.onset_on.isoformat()}"
                f" ({x.outcome.label})"
                for x in e.side_effects
            ),
        ]
        for e in recall.entries
    ]


def write_recall_csv(recall: Recall, out: IO[str] | TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(RECALL_HEADERS)
    for row in recall_rows(recall):
        writer.writerow([spreadsheet_safe(v) for v in row])


def save_recall_csv(recall: Recall, path: str | os.PathLike[str]) -> int:
    """Write the recall list to a file; the number of sessions written.

    UTF-8 with a byte-order mark, so that spreadsheet programs read accented names correctly.
    The file appears whole or not at all: it is written beside the target, then renamed.
    """
    from mesodesk.files import write_text_atomically

    write_text_atomically(
        Path(path), lambda out: write_recall_csv(recall, out), encoding="utf-8-sig"
    )
    return len(recall.entries)
