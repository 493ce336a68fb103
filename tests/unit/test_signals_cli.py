"""`mesodesk signals` on the demo clinic: it names the infection-cluster lot (kind infection,
serious) and PCD-2405-B, and its counts agree with independent SQL over the raw tables."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mesodesk.cli import main
from mesodesk.services.demo import BAD_LOT_NUMBER, INFECTION_LOT_NUMBER

AS_OF = "2026-11-24"


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo clinic at the size the app offers on first start."""
    path = tmp_path_factory.mktemp("signals") / "demo.sqlite3"
    code = main(
        [
            "--db",
            str(path),
            "demo",
            "--patients",
            "1000",
            "--seed",
            "1",
            "--as-of",
            AS_OF,
            "--create",
        ]
    )
    assert code == 0
    return path


def sql_counts(path: Path, lot_number: str, kind: str, window: int, end: str) -> tuple[int, int]:
    """Exposed patients of the lot, and those with a side effect of the kind starting within
    ``window`` days after one of their sessions with it (on or before ``end``)."""
    con = sqlite3.connect(path)
    exposed = con.execute(
        "SELECT count(DISTINCT s.patient_id) FROM blend_item b "
        "JOIN treatment_session s ON s.id = b.session_id "
        "JOIN product_lot l ON l.id = b.lot_id WHERE l.lot_number = ? "
        "AND substr(s.started_at, 1, 10) <= ?",
        (lot_number, end),
    ).fetchone()[0]
    cases = con.execute(
        "SELECT count(DISTINCT fx.patient_id) FROM side_effect fx "
        "JOIN treatment_session s ON s.patient_id = fx.patient_id "
        "JOIN blend_item b ON b.session_id = s.id "
        "JOIN product_lot l ON l.id = b.lot_id "
        "WHERE l.lot_number = ? AND fx.kind = ? AND fx.onset_on <= ? "
        "AND julianday(fx.onset_on) - julianday(substr(s.started_at, 1, 10)) BETWEEN 0 AND ?",
        (lot_number, kind, end, window - 1),
    ).fetchone()[0]
    con.close()
    return exposed, cases


def test_signals_json_names_the_infection_cluster_and_the_bad_lot(capsys: Any, demo: Path) -> None:
    code, out, _ = run(capsys, "--db", str(demo), "signals", "--json", "--to", AS_OF)
    assert code == 0
    report = json.loads(out)
    assert "BCPNN IC025" in report["method"]
    keys = {"product", "lot", "kind", "cases", "exposed_patients", "expected", "score", "serious"}
    assert all(keys <= set(s) for s in report["signals"])
    found = {(s["lot"], s["kind"]): s for s in report["signals"]}
    infection = found[INFECTION_LOT_NUMBER, "infection"]
    assert infection["serious"] is True and infection["product"] == "L-carnitine 20%"
    assert infection["compared_with"] == "clinic"
    bad = next(s for s in report["signals"] if s["lot"] == BAD_LOT_NUMBER)
    assert bad["product"] == "Phosphatidylcholine 5% / deoxycholate"
    assert bad["kind"] in ("nodules", "redness_bumps") and bad["compared_with"] == "product"
    # the serious signal comes first
    assert report["signals"][0]["serious"] is True
    # the counts, recomputed from the tables
    assert (infection["exposed_patients"], infection["cases"]) == sql_counts(
        demo, INFECTION_LOT_NUMBER, "infection", 90, AS_OF
    )
    assert infection["cases"] >= 3 and infection["expected"] < 1
    assert (bad["exposed_patients"], bad["cases"]) == sql_counts(
        demo, BAD_LOT_NUMBER, bad["kind"], 90 if bad["kind"] == "nodules" else 7, AS_OF
    )
    assert bad["cases"] > 2 * bad["expected"]


def test_signals_as_a_table_and_over_a_period(capsys: Any, demo: Path) -> None:
    code, out, _ = run(capsys, "--db", str(demo), "signals", "--to", AS_OF)
    assert code == 0
    assert INFECTION_LOT_NUMBER in out and BAD_LOT_NUMBER in out
    assert "Method: BCPNN IC025" in out
    # a period before either lot was used names neither, and says how many lots it looked at
    code, out, _ = run(
        capsys, "--db", str(demo), "signals", "--from", "2023-01-01", "--to", "2023-06-30"
    )
    assert code == 0
    assert INFECTION_LOT_NUMBER not in out and BAD_LOT_NUMBER not in out
    code, out, err = run(
        capsys, "--db", str(demo), "signals", "--from", "2025-01-01", "--to", "2024-01-01"
    )
    assert code == 2 and "--to is before --from" in err
