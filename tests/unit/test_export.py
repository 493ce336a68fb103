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


def test_recall_csv_has_a_row_per_side_effect_saying_whether_it_suspects_the_lot() -> None:
    suspecting = RecallSideEffect(
        1,
        SideEffectKind.PAIN,
        Grade.MODERATE,
        date(2026, 3, 2),
        None,
        AEOutcome.ONGOING,
        "L-1",
        True,
    )
    other = RecallSideEffect(
        2,
        SideEffectKind.BRUISING,
        Grade.MILD,
        date(2026, 4, 2),
        date(2026, 4, 5),
        AEOutcome.RESOLVED,
        "",
        False,
    )
    session = ("MD-000007", "@Ana", "Müller", "+1 555")
    entry = RecallEntry(
        7, *session, 3, datetime(2026, 3, 1, 9, 5), "HA 1%", "L-1", 1.5, (suspecting, other)
    )
    quiet = RecallEntry(7, *session, 4, datetime(2026, 5, 1, 9, 0), "HA 1%", "L-1", 2.0, ())
    out = io.StringIO()
    write_recall_csv(Recall("L-1", ((1, "HA 1%", date(2027, 1, 1)),), (entry, quiet)), out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == RECALL_HEADERS
    first = ["MD-000007", "Müller", "'@Ana", "'+1 555", "2026-03-01 09:05", "HA 1%", "L-1", "1.5"]
    second = [*first[:4], "2026-05-01 09:00", "HA 1%", "L-1", "2.0"]
    assert rows[1:] == [
        [*first, "Pain", "2", "2026-03-02", "", "Ongoing", "true", "L-1", "blend"],
        [*first, "Bruising", "1", "2026-04-02", "2026-04-05", "Resolved", "false", "", "blend"],
        [*second, "", "", "", "", "", "", "", "blend"],
    ]


def test_a_numbing_product_s_session_has_no_amount_and_says_how_the_lot_was_used() -> None:
    session = ("MD-000008", "Ana", "Silva", "555 0101")
    numbed = RecallEntry(
        8, *session, 5, datetime(2026, 6, 1, 10, 0), "Numbing cream", "NC-1", None, (), True
    )
    out = io.StringIO()
    write_recall_csv(Recall("NC-1", ((2, "Numbing cream", date(2027, 1, 1)),), (numbed,)), out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["lot"], row["amount_ml"], row["used_as"]) == ("NC-1", "", "numbing")
