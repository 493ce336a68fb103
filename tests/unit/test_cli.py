import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mesodesk.cli import main


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version(capsys: Any) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("mesodesk ")


def test_demo_then_list_and_search(capsys: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    code, out, _ = run(capsys, "--db", db, "demo", "--patients", "300", "--seed", "1", "--create")
    assert code == 0 and "300 patients" in out
    code, out, _ = run(capsys, "--db", db, "patients", "--json")
    listed = json.loads(out)
    assert len(listed) == 300
    assert {"record_no", "first_name", "last_name", "birth_date"} <= set(listed[0])
    # newest registration first
    code, out, _ = run(capsys, "patients", "--db", db, "--json", "--limit", "300")
    assert json.loads(out) == listed
    accented = next(
        p
        for p in listed
        if p["last_name"]
        in (
            "Müller",
            "González",
            "Lefèvre",
            "Jiménez",
            "Sánchez",
            "Pérez",
            "Martínez",
            "Fernández",
            "Gómez",
            "López",
        )
    )
    from mesodesk.domain.text import fold

    typed = fold(accented["last_name"])[:4]
    code, out, _ = run(capsys, "--db", db, "patients", "--search", typed, "--json")
    assert accented["record_no"] in [p["record_no"] for p in json.loads(out)]


def test_demo_is_deterministic(capsys: Any, tmp_path: Path) -> None:
    outs = []
    for name in ("a.db", "b.db"):
        db = str(tmp_path / name)
        run(
            capsys,
            "--db",
            db,
            "--create",
            "demo",
            "--patients",
            "50",
            "--seed",
            "7",
            "--as-of",
            "2026-01-01",
        )
        outs.append(run(capsys, "--db", db, "patients", "--json")[1])
    assert outs[0] == outs[1]


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["patients", "--limit", "0"],
        ["patients", "--limit", "many"],
        ["demo", "--patients", "-5"],
        ["demo", "--as-of", "yesterday"],
        ["patients", "--archived", "--archived-only"],
        ["nonsense"],
    ],
)
def test_wrong_arguments_exit_2_without_traceback(
    capsys: Any, tmp_path: Path, args: list[str]
) -> None:
    code, _, err = run(capsys, "--db", str(tmp_path / "x.db"), *args)
    assert code == 2
    assert "Traceback" not in err and "error:" in err


def test_too_long_search_is_refused(capsys: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    code, _, err = run(capsys, "--db", db, "--create", "patients", "--search", "a" * 10_000)
    assert code == 1 and "too long" in err and "Traceback" not in err


def test_a_mistyped_database_is_not_created(capsys: Any, tmp_path: Path) -> None:
    """The issue's case: --db with a typo made folders and an empty database silently."""
    typo = tmp_path / "clinc" / "mesodesk.sqlite3"
    for command in (["patients"], ["demo", "--patients", "3"], ["backup"], ["due"]):
        code, _, err = run(capsys, "--db", str(typo), *command)
        assert code == 1 and "There is no database" in err and "--create" in err
        assert not typo.parent.exists()
    code, _, _ = run(capsys, "--db", str(typo), "--create", "patients")
    assert code == 0 and typo.exists()
    assert oct(typo.stat().st_mode & 0o777) == "0o600"
    assert oct(typo.parent.stat().st_mode & 0o777) == "0o700"


def test_not_a_database_is_left_untouched(capsys: Any, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my shopping list\n" * 100)
    before = path.read_bytes()
    code, _, err = run(capsys, "--db", str(path), "patients")
    assert code == 1 and "not a mesodesk database" in err
    assert path.read_bytes() == before


def test_demo_refuses_a_database_with_patients(capsys: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    run(capsys, "--db", db, "demo", "--patients", "5", "--create")
    code, _, err = run(capsys, "--db", db, "demo", "--patients", "5")
    assert code == 1 and "empty database" in err


def test_console_script_entry_point(tmp_path: Path) -> None:
    db = str(tmp_path / "y.db")
    out = subprocess.run(
        [sys.executable, "-m", "mesodesk", "--db", db, "--create", "patients", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == []


def test_show_due_and_recall(capsys: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    run(
        capsys,
        "--db",
        db,
        "--create",
        "demo",
        "--patients",
        "300",
        "--seed",
        "3",
        "--as-of",
        "2026-11-24",
    )
    code, out, _ = run(capsys, "--db", db, "show", "MD-000007", "--json")
    assert code == 0
    record = json.loads(out)
    assert record["patient"]["record_no"] == "MD-000007"
    assert {"first_name", "last_name", "birth_date"} <= set(record["patient"])
    for session in record["sessions"]:
        assert "T" in session["date"] and isinstance(session["blend"], list)
        assert {"product", "lot", "amount"} <= set(session["blend"][0])
    for effect in record["side_effects"]:
        assert {"kind", "grade", "onset", "resolved", "outcome"} <= set(effect)
    code, out, _ = run(capsys, "--db", db, "due", "--date", "2026-11-24", "--json")
    due = json.loads(out)
    assert code == 0 and due and all(d["due"] <= "2026-11-24" for d in due)
    code, out, _ = run(capsys, "--db", db, "recall", "PCD-2405-B", "--json")
    recall = json.loads(out)
    assert code == 0 and recall["lot"] == "PCD-2405-B" and recall["sessions"]
    code, out, _ = run(capsys, "--db", db, "recall", "PCD-2405-B", "--csv")
    assert out.splitlines()[0].startswith("record_no,")
    code, _, err = run(capsys, "--db", db, "recall", "NO-SUCH-LOT")
    assert code == 1 and "no lot" in err
    code, _, err = run(capsys, "--db", db, "show", "MD-999999")
    assert code == 1 and "no patient" in err


def test_csv_cells_cannot_run_as_formulas() -> None:
    from mesodesk.services.export import spreadsheet_safe

    assert spreadsheet_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheet_safe("+33 6 12") == "'+33 6 12"
    assert spreadsheet_safe("-1") == "'-1"
    assert spreadsheet_safe("@SUM") == "'@SUM"
    assert spreadsheet_safe("Smith") == "Smith"
    assert spreadsheet_safe(2.5) == 2.5
