import csv
import io
from datetime import date, datetime

from mesodesk.domain.enums import AEOutcome, Grade, SideEffectKind
from mesodesk.domain.treatment import Recall, RecallEntry, RecallSideEffect
from mesodesk.services.export import RECALL_HEADERS, spreadsheet_safe, write_recall_csv


def test_every_formula_start_is_neutralised() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert spreadsheet_safe(f"{start}1+1") == f"'{start}1+1"
    assert spreadsheet_safe("Ana") == "Ana"
    assert spreadsheet_safe("") == ""
    assert spreadsheet_safe(-2.5) == -2.5  # numbers stay numbers


def test_recall_csv_rows() -> None:
    effect = RecallSideEffect(
        1, SideEffectKind.PAIN, Grade.MODERATE, date(2026, 3, 2), None, AEOutcome.ONGOING, "L-1"
    )
    entry = RecallEntry(
        7,
        "MD-000007",
        "@Ana",
        "Müller",
        "+1 555",
        3,
        datetime(2026, 3, 1, 9, 5),
        "HA 1%",
        "L-1",
        1.5,
        (effect,),
    )
    out = io.StringIO()
    write_recall_csv(Recall("L-1", ((1, "HA 1%", date(2027, 1, 1)),), (entry,)), out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == RECALL_HEADERS
    assert rows[1] == [
        "MD-000007",
        "Müller",
        "'@Ana",
        "'+1 555",
        "2026-03-01 09:05",
        "HA 1%",
        "L-1",
        "1.5",
        "Pain grade 2 from 2026-03-02 (Ongoing)",
    ]
