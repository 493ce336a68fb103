"""mesodesk's log: a rotating file in the data folder that says what ran, and never a patient's
data. The demo and the commands a clinic uses run here for real; then the log is searched for
every name, record number, phone, e-mail and note the demo wrote into the database."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mesodesk import logs
from mesodesk.cli import main
from mesodesk.paths import data_dir


def run(capsys: Any, *args: str) -> int:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    capsys.readouterr()
    return code


def patient_data(db: Path) -> set[str]:
    """Every piece of patient data in the database that a log could leak."""
    con = sqlite3.connect(db)
    try:
        values = {f"MD-{n:06d}" for (n,) in con.execute("SELECT record_number FROM patient")}
        for (allergies,) in con.execute("SELECT allergies FROM patient"):
            values.update(json.loads(allergies))
        for sql in (
            "SELECT first_name, last_name, phone, email, address, guardian_name,"
            " medical_notes, contraindication_note FROM patient",
            "SELECT notes, override_reason FROM treatment_session",
            "SELECT kind_note, body_area_note, action_note, notes FROM side_effect",
        ):
            try:
                rows = con.execute(sql).fetchall()
            except sqlite3.OperationalError as exc:  # a column renamed: say so, do not skip
                pytest.fail(f"{sql}: {exc}")
            values.update(str(v) for row in rows for v in row if v not in (None, ""))
        return values
    finally:
        con.close()


def leaks(log: str, values: set[str]) -> list[str]:
    found = []
    for value in values:
        # a whole word of the log (the name "Ana" is not in "Analytics")
        if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", log):
            found.append(value)
    return found


def test_a_run_of_the_demo_and_the_commands_logs_no_patient_data(
    capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "clinic.sqlite3"
    d = ["--db", str(db)]
    assert run(capsys, *d, "demo", "--patients", "40", "--seed", "1", "--create") == 0
    con = sqlite3.connect(db)
    first, last, number = con.execute(
        "SELECT first_name, last_name, record_number FROM patient ORDER BY id LIMIT 1"
    ).fetchone()
    (lot,) = con.execute("SELECT lot_number FROM product_lot LIMIT 1").fetchone()
    con.close()
    record = f"MD-{number:06d}"
    assert run(capsys, *d, "patients", "--search", last) == 0
    assert run(capsys, *d, "show", record) == 0
    assert run(capsys, *d, "show", record, "--json") == 0
    assert run(capsys, *d, "due", "--json") == 0
    assert run(capsys, *d, "recall", lot) == 0
    assert run(capsys, *d, "report", record, "--out", str(tmp_path / f"{last} {first}.pdf")) == 0
    assert run(capsys, *d, "show", "MD-999999") == 1  # refused: the record number is not logged
    assert run(capsys, *d, "audit", "list", "--patient", record) == 0

    # A real bug whose text quotes the record, as SQLAlchemy's errors quote their parameters:
    # the log keeps the type and the code lines, never the text.
    from mesodesk.services.treatment import TreatmentService

    def broken(self: Any, patient_id: int) -> Any:
        raise ValueError(f"cannot load {first} {last} ({record})")

    monkeypatch.setattr(TreatmentService, "record", broken)
    assert run(capsys, *d, "show", record) == 1

    path = data_dir() / "logs" / logs.FILENAME
    log = path.read_text(encoding="utf-8")
    # it logged, for real: what ran, the demo's size, the refusal and the bug's type and place
    assert "demo clinic loaded: 40 patients" in log
    assert "schema upgraded" in log
    for command in ("demo", "patients", "show", "due", "recall", "report", "audit"):
        assert f": {command} (Python" in log and f"{command} ended with status" in log
    assert "show refused: NotFoundError" in log
    assert "show failed" in log and "builtins.ValueError" in log and "in broken" in log

    values = patient_data(db)
    assert first in values and record in values and len(values) > 100
    assert leaks(log, values) == []
    assert "MD-999999" not in log
    assert f"cannot load {first}" not in log  # the code line is there, never what it said


def test_the_log_rotates_and_stays_small(tmp_path: Path) -> None:
    path = logs.setup(tmp_path / "logs")
    assert path == tmp_path / "logs" / logs.FILENAME
    log = logs.get("mesodesk.test")
    for i in range(12_000):  # about 1.3 MB
        log.info("line %06d of a long day, padded to about a hundred characters", i)
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files[:2] == ["mesodesk.log", "mesodesk.log.1"]
    assert all(p.stat().st_size <= logs.MAX_BYTES for p in (tmp_path / "logs").iterdir())


def test_a_traceback_keeps_the_types_and_lines_but_never_the_text(tmp_path: Path) -> None:
    # the values are named away from the lines that raise: the log shows code lines
    name, saving = "Müller, José", "while saving José Müller MD-000123"

    def load() -> None:
        raise KeyError(name)

    try:
        try:
            load()
        except KeyError as exc:
            raise RuntimeError(saving) from exc
    except RuntimeError as exc:
        text = logs.describe_exception(exc)
        logs.setup(tmp_path)
        logs.get(__name__).error("failed", exc_info=exc)
    written = (tmp_path / logs.FILENAME).read_text(encoding="utf-8")
    for shown in (text, written):
        assert "builtins.KeyError" in shown and "builtins.RuntimeError" in shown
        assert "direct cause" in shown and "in load" in shown
        assert shown.index("KeyError") < shown.index("RuntimeError")  # in Python's order
        assert "Müller" not in shown and "José" not in shown and "MD-000123" not in shown


def test_other_libraries_and_stderr_get_nothing(tmp_path: Path, capsys: Any) -> None:
    logs.setup(tmp_path)
    logging.getLogger("sqlalchemy.engine").warning("[parameters: ('José Müller',)]")
    logs.get("mesodesk.x").warning("a warning of mesodesk's own")
    text = (tmp_path / logs.FILENAME).read_text(encoding="utf-8")
    assert "a warning of mesodesk's own" in text and "José" not in text
    assert "mesodesk's own" not in capsys.readouterr().err
