"""Exports a person opens in a spreadsheet: the lot recall list as CSV.

Shared by the command line and the GUI, so both write the same columns and both neutralise
cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import IO, Any, TextIO

from mesodesk.domain.treatment import Recall, RecallEntry, RecallSideEffect

RECALL_HEADERS = [
    "record_no",
    "last_name",
    "first_name",
    "phone",
    "session_date",
    "product",
    "lot",
    "amount_ml",
    "side_effect",
    "grade",
    "onset",
    "resolved",
    "outcome",
    "suspected",
    "suspected_lot",
    "used_as",  # last, so that the columns of earlier versions keep their places
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (= + - @, tab or CR first)."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def recall_rows(recall: Recall) -> list[list[Any]]:
    """One row per side effect reported since a session that used the lot, and one row for a
    session followed by none; ``suspected`` says whether the side effect suspects this lot
    ("true"), or is another side effect the patient reported since ("false")."""
    rows: list[list[Any]] = []
    for e in recall.entries:
        session = [
            e.record_no,
            e.last_name,
            e.first_name,
            e.phone,
            e.started_at.strftime("%Y-%m-%d %H:%M"),
            e.product,
            e.lot_number,
            "" if e.amount_ml is None else e.amount_ml,
        ]
        if not e.side_effects:
            rows.append([*session, "", "", "", "", "", "", "", used_as(e)])
        for x in e.side_effects:
            rows.append(
                [
                    *session,
                    x.kind.label,
                    int(x.grade),
                    x.onset_on.isoformat(),
                    x.resolved_on.isoformat() if x.resolved_on else "",
                    x.outcome.label,
                    "true" if x.suspected else "false",
                    x.suspected_lot,
                    used_as(e),
                ]
            )
    return rows


def used_as(e: RecallEntry) -> str:
    """How the session used the lot: "blend" (injected) or "numbing" (on the skin)."""
    return "numbing" if e.numbing else "blend"


def amount_words(e: RecallEntry) -> str:
    """'1.5 ml' (in the blend) or 'numbing' (the numbing product: no amount), for the terminal."""
    return "numbing" if e.amount_ml is None else f"{e.amount_ml:g} ml"


def effect_words(x: RecallSideEffect) -> str:
    """'Pain grade 2 from 2026-03-02 (Ongoing)', as the terminal lists them."""
    return f"{x.kind.label} grade {int(x.grade)} from {x.onset_on.isoformat()} ({x.outcome.label})"


def recall_session_rows(recall: Recall) -> list[list[Any]]:
    """One row per session, the side effects suspecting the lot apart from the others (the
    terminal's table)."""
    return [
        [
            e.record_no,
            e.last_name,
            e.first_name,
            e.phone,
            e.started_at.strftime("%Y-%m-%d %H:%M"),
            amount_words(e),
            "; ".join(effect_words(x) for x in e.side_effects if x.suspected),
            "; ".join(effect_words(x) for x in e.side_effects if not x.suspected),
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
