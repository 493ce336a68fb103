"""`mesodesk due --lapsed`, `show` in the words of the due list, and `recall LOT --product`."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mesodesk.cli import main
from mesodesk.domain.clock import Clock, FixedClock
from mesodesk.services.registry import Services
from tests.conftest import NOW

LATER = NOW.date() + timedelta(days=200)


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def on_later_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's clock on LATER, 10:30."""
    monkeypatch.setattr(Clock, "now", lambda self: datetime.combine(LATER, NOW.time()))


def test_due_and_due_lapsed_split_the_courses(capsys: Any, demo1500: Path) -> None:
    db = str(demo1500)
    code, out, _ = run(capsys, "--db", db, "due", "--date", LATER.isoformat(), "--json")
    due = json.loads(out)
    code_l, out_l, _ = run(
        capsys, "--db", db, "due", "--lapsed", "--date", LATER.isoformat(), "--json"
    )
    lapsed = json.loads(out_l)
    assert code == code_l == 0 and due and lapsed
    assert not {d["course_id"] for d in due} & {d["course_id"] for d in lapsed}
    assert all(d["lapses_on"] is None or d["lapses_on"] > LATER.isoformat() for d in due)
    assert all(d["lapses_on"] <= LATER.isoformat() for d in lapsed)
    services = Services.open(demo1500, clock=FixedClock(NOW), read_only=True)
    try:
        expected = {e.course_id for e in services.courses.due(LATER, lapsed=True)}
    finally:
        services.close()
    assert {d["course_id"] for d in lapsed} == expected
    code, out, _ = run(capsys, "--db", db, "due", "--lapsed", "--date", LATER.isoformat())
    assert f"{len(lapsed)} course(s) with a maintenance lapsed by {LATER.isoformat()}" in out


def test_show_says_what_the_due_list_says(capsys: Any, demo1500: Path, on_later_day: None) -> None:
    db = str(demo1500)
    _, out, _ = run(capsys, "--db", db, "due", "--lapsed", "--date", LATER.isoformat(), "--json")
    lapsed = json.loads(out)[0]
    _, out, _ = run(capsys, "--db", db, "due", "--date", LATER.isoformat(), "--json")
    overdue = next(d for d in json.loads(out) if d["days_overdue"] > 0)
    for entry, state in ((lapsed, "lapsed"), (overdue, "overdue")):
        code, out, _ = run(capsys, "--db", db, "show", entry["record_no"], "--json")
        course = next(c for c in json.loads(out)["courses"] if c["id"] == entry["course_id"])
        assert code == 0 and course["next_due_state"] == state
        assert course["next_due"] == entry["due"]
        code, out, _ = run(capsys, "--db", db, "show", entry["record_no"])
        if state == "lapsed":
            assert f"{entry['due']} (maintenance, lapsed since {entry['lapses_on']})" in out
        else:
            assert f"next due {entry['due']} (" in out and ", overdue)" in out


def shared_number(path: Path) -> tuple[str, list[str]]:
    con = sqlite3.connect(path)
    try:
        number, names = con.execute(
            "SELECT min(l.lot_number), group_concat(p.name, '|') FROM product_lot l "
            "JOIN product p ON p.id = l.product_id GROUP BY l.lot_folded "
            "HAVING count(DISTINCT l.product_id) > 1 ORDER BY l.lot_folded LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return number, sorted(names.split("|"))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_recall_of_a_shared_number_refuses_without_product(
    capsys: Any, demo1500: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, products = shared_number(demo1500)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # a script: nobody to ask
    code, out, err = run(capsys, "--db", str(demo1500), "recall", number.lower())
    assert code == 2 and not out
    assert f"lot {number.lower()} exists for several products ({'; '.join(products)})" in err
    assert "--product" in err
    code, _, err = run(
        capsys, "--db", str(demo1500), "recall", number, "--product", "no such thing"
    )
    assert code == 2 and "not of no such thing" in err
    # on a terminal, it asks
    monkeypatch.setattr("sys.stdin", Terminal("9\n2\n"))
    code, out, err = run(capsys, "--db", str(demo1500), "recall", number, "--json")
    assert code == 0 and json.loads(out)["product"] == products[1]
    assert f"  1  {products[0]}" in err and "Which one? [1-2]" in err


def test_recall_json_and_csv_say_which_side_effects_suspect_the_lot(
    capsys: Any, demo1500: Path
) -> None:
    from mesodesk.services.demo import BAD_LOT_NUMBER

    db = str(demo1500)
    code, out, _ = run(capsys, "--db", db, "recall", BAD_LOT_NUMBER.lower(), "--json")
    recall = json.loads(out)
    assert code == 0 and recall["lot"] == BAD_LOT_NUMBER and recall["product"]
    effects = [x for s in recall["sessions"] for x in s["side_effects"]]
    suspected = [x for x in effects if x["suspected"] is True]
    others = [x for x in effects if x["suspected"] is False]
    assert len(suspected) + len(others) == len(effects)
    assert (len(suspected), len(others)) == (
        recall["suspected_side_effects"],
        recall["other_side_effects"],
    )
    assert suspected and others
    assert all(x["suspected_lot"] == BAD_LOT_NUMBER for x in suspected)
    assert all(x["suspected_lot"] != BAD_LOT_NUMBER for x in others)
    code, out, _ = run(capsys, "--db", db, "recall", BAD_LOT_NUMBER, "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["suspected"] for r in rows} == {"true", "false", ""}
    assert sum(r["suspected"] == "true" for r in rows) == len(suspected)
    assert len({(r["record_no"], r["session_date"]) for r in rows}) == len(recall["sessions"])
    code, out, _ = run(capsys, "--db", db, "recall", BAD_LOT_NUMBER)
    assert f"{len(suspected)} side effect(s) suspecting this lot" in out
